"""Words of a text, as the checks, the corroboration measure and keyword search compare them: the one stop-word
list, and the stem that folds the forms of a name."""

from __future__ import annotations

import re

WORD_RE = re.compile(r"[^\W_]+(?:[’'-][^\W_]+)*")
# English function words, left out wherever words are compared or searched: content words, keyword terms, names.
STOPWORDS = frozenset(
    """a about above after again against all also am among an and another any are as at be because been before being
    below between both but by can could did do does doing down during each either few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just may me might more most
    must my myself no nor not now of off on once one only or other our ours ourselves out over own per s same shall
    she should since so some such t than that the their theirs them themselves then there these they this those
    through to too under until up very via was we were what when where which while who whom whose why will with
    would you your yours yourself yourselves""".split()  # noqa: SIM905
)


def name_stem(word: str) -> str:
    """Fold the forms a name takes in a sentence: "Korea's", "Korean", "Koreans" -> "korea"."""
    w = word.lower().replace("’", "'").split("'")[0]
    for suffix in ("ians", "ian", "ans", "an", "ns", "es", "s"):
        if len(w) > 4 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD_RE.findall(text)]


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if w not in STOPWORDS and len(w) > 2}
