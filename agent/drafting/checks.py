"""Support checks by code on everything a model writes (DESIGN.md, "Drafting").

Each check is a pure function of the claim's text and the sentences it cites, so it can be tested on
hand-made passages: names and numbers must be in the cited sentences, an analytic claim must not be a
copy of its sentence, nothing may restate the instructions or the topic, and no text may be in a script
the sources do not use. :func:`refusal` says why an answer is refused (it is asked again with
that reason, twice at most); :func:`flags_for` sets the reviewer's flags on what is kept.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

from agent.core.contracts import Flag
from agent.corpus.dates import MONTH_NAMES, WEEKDAY_NAMES
from agent.corpus.numbers import figure_values, numbers_in
from agent.corpus.text import STOPWORDS, name_stem, words
from agent.corpus.text import WORD_RE as _WORD

# Capitalised words that are not names: sentence openers, labels, ICD-203 terms, months and days.
NOT_NAMES = STOPWORDS | frozenset(
    [
        "if",
        "although",
        "however",
        "hypothesis",
        "assessment",
        "best",
        "worst",
        "likely",
        "case",
        "judgment",
        "confidence",
        "key",
        "monitor",
        "verify",
        "track",
        "strengthen",
        "prepare",
        "assess",
        "engage",
        "increase",
        "maintain",
        "review",
        "expand",
        "develop",
        "coordinate",
        "support",
        "almost",
        "unlikely",
        "roughly",
        "even",
        "chance",
        "certain",
    ]
    + [m.lower() for m in (*MONTH_NAMES, *WEEKDAY_NAMES)]
)


def _name_parts(word: str) -> list[str]:
    """The capitalised parts of a hyphenated word ("X-linked", "pro-X" -> ["X"]), or the word itself."""
    parts = word.split("-")
    return [p for p in parts if p[:1].isupper()] if len(parts) > 1 else [word]


def names_in(text: str) -> list[str]:
    """Capitalised words (or hyphenated words with a capitalised part: "anti-X") that are not the sentence's first
    word nor a known non-name: the claim's names."""
    out: list[str] = []
    for m in _WORD.finditer(text):
        w = m.group(0)
        parts = _name_parts(w)
        if not parts or (not w[0].isupper() and "-" not in w) or w.lower() in NOT_NAMES:
            continue
        if all(p.lower() in NOT_NAMES for p in parts):
            continue
        before = text[: m.start()].rstrip()
        if w[0].isupper() and (not before or before[-1] in '.!?:;"“('):
            continue  # a sentence's first word is capitalised anyway
        out.append(w)
    return out


def known_name(name: str, pool: set[str]) -> bool:
    """Whether ``name`` is in ``pool`` (name stems): as a whole, or by its capitalised parts when it is a
    hyphenated form of a source name ("X-linked", "X-backed", "pro-X", "anti-X")."""
    if name_stem(name) in pool:
        return True
    parts = [p for p in _name_parts(name) if p.lower() not in NOT_NAMES]
    return bool(parts) and "-" in name and all(name_stem(p) in pool for p in parts)


def unsupported_names(text: str, cited: Sequence[str]) -> list[str]:
    """Names in ``text`` found in none of the ``cited`` sentences (forms folded: Korea / Korean / Korea's, and
    hyphenated forms: Korea-backed)."""
    pool = {name_stem(w) for c in cited for w in _WORD.findall(c)}
    return [n for n in names_in(text) if not known_name(n, pool)]


def unsupported_numbers(text: str, cited: Sequence[str]) -> list[str]:
    """Figures in ``text`` that none of the ``cited`` sentences gives, however written there ("1,200" / "1200",
    "1.2 million" / "1,200,000", "12m", "20th", "two" / "2", "a dozen" / "12")."""
    quoted = set().union(*(numbers_in(c) for c in cited)) if cited else set()
    known: set[float] = set()
    for c in cited:
        for vals in figure_values(c).values():
            known |= vals
    mine = figure_values(text)
    return sorted(n for n in numbers_in(text) - quoted if not (mine.get(n, set()) & known))


_OPENER = re.compile(r"^(?:according to|as reported by|reports say|sources say)\b[^,]{0,60},\s*", re.IGNORECASE)
_PAREN = re.compile(r"\s*\([^()]*\)")
_TAIL = re.compile(r"^(?P<head>.+?)\s*(?:,|;|\s[—–-])\s+(?P<tail>[^,;—–]+?)[.!]?$")


def _carries(text: str) -> bool:
    """Whether a stretch of a claim carries a name or a figure (dropping it would lose what the claim says)."""
    return bool(names_in(" " + text) or figure_values(text))


def trimmed(text: str, limit: int) -> str | None:
    """``text`` within ``limit`` words, or cut to it cleanly: an attribution opener ("According to officials, "),
    a parenthesis or trailing clauses that carry no name nor figure dropped. ``None`` when it cannot be without
    losing meaning (the claim is then asked again, shorter)."""
    if len(text.split()) <= limit:
        return text
    out = text.strip()
    m = _OPENER.match(out)
    if m and not _carries(m.group(0)):
        rest = out[m.end() :]
        out = rest[:1].upper() + rest[1:]
    for p in _PAREN.findall(out):
        if not _carries(p):
            out = out.replace(p, "", 1)
    while len(out.split()) > limit:
        t = _TAIL.match(out)
        if not t or _carries(t.group("tail")) or len(t.group("head").split()) < 4:
            return None
        out = t.group("head").rstrip(" ,;") + "."
    return out


_CLAUSE_BREAK = re.compile(
    r",\s+(?:resulting|leading|causing|which|who|after|as|while|following|prompting)\b|;|\s+[—–]\s+"
)


def event_cut(text: str, limit: int) -> str:
    """What happened, within ``limit`` words when a clause break allows: the main clause of "X attacked Y on
    Monday, resulting in disruption at four airports" is the event; the consequence is another date's."""
    if len(text.split()) <= limit:
        return text
    for m in _CLAUSE_BREAK.finditer(text):
        head = text[: m.start()].strip()
        if 4 <= len(head.split()) <= limit:
            return head
    return text


def copy_ratio(text: str, sentence: str) -> float:
    """How much of ``text`` is ``sentence`` word for word (1.0: a copy), by matched words over the claim's."""
    a, b = words(text), words(sentence)
    if not a or not b:
        return 0.0
    matched = sum(block.size for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    return matched / len(a)


def _runs(claim: list[str], other: list[str]) -> list[tuple[int, int]]:
    """Maximal runs of the claim's words standing contiguously in ``other``: (start in claim, length)."""
    out: list[tuple[int, int]] = []
    prev = [0] * (len(other) + 1)
    for i in range(1, len(claim) + 1):
        cur = [0] * (len(other) + 1)
        for j in range(1, len(other) + 1):
            if claim[i - 1] == other[j - 1]:
                cur[j] = prev[j - 1] + 1
        prev = cur
        best = max(cur)
        if best:
            out.append((i - best, best))
    return out


ECHO_RUN = 5  # consecutive words of the instructions: a claim repeating them restates its task
TOPIC_SHARE = 0.5  # share of a claim's words that are runs (3+) of the topic: it restates the topic


def echoes(text: str, instructions: Iterable[str], topic: str = "") -> bool:
    """Whether the claim restates its instructions (a run of five or more of their words, "The key judgment about
    the topic is that …") or is mostly the topic again (half its words in runs of three or more topic words)."""
    ws = words(text)
    if not ws:
        return False
    for t in instructions:
        if any(n >= ECHO_RUN for _, n in _runs(ws, words(t))):
            return True
    if topic:
        covered: set[int] = set()
        for start, n in _runs(ws, words(topic)):
            if n >= 3:
                covered.update(range(start, start + n))
        if len(covered) >= TOPIC_SHARE * len(ws):
            return True
    return False


def scripts(text: str) -> set[str]:
    """The Unicode scripts of the letters in ``text`` (LATIN, CJK, CYRILLIC, HANGUL, ...)."""
    out: set[str] = set()
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            out.add(name.split(" ")[0] if name else "UNKNOWN")
    return out


def foreign_scripts(text: str, source_scripts: set[str]) -> set[str]:
    return scripts(text) - source_scripts


COPY_LIMIT = 0.8
# A statement ending on a word that needs another after it ("…was attributed to a") stopped mid-sentence.
# (An article can end no sentence; "warned of." can, so other function words count only with no full stop.)
_DANGLING = re.compile(
    r"\b(?:a|an|the|its|their|his|her|whose)\W*$"
    r"|\b(?:to|of|by|and|or|but|with|for|in|on|at|from|that|which|who|as|than)[\s,;:]*$",
    re.IGNORECASE,
)


_MONTH_WORD = "(?:" + "|".join(MONTH_NAMES) + ")"
_TOPIC_DATE = re.compile(
    rf"\b\d{{1,2}}(?:\s*[–-]\s*\d{{1,2}})?\s+{_MONTH_WORD}(?:\s+\d{{4}})?\b"
    rf"|\b{_MONTH_WORD}\s+\d{{1,2}}(?:\s*[–-]\s*\d{{1,2}})?,?\s+\d{{4}}\b|\b{_MONTH_WORD}\s+\d{{4}}\b"
    r"|\b\d{4}-\d{2}-\d{2}\b|\b(?:19|20)\d{2}\b",
    re.IGNORECASE,
)


def topic_dates(topic: str) -> str:
    """The dates the analyst's topic gives ("28 April 2025", "8–10 September 2025"): a claim may say when the event
    it is about happened. Its other figures ("the loss of about 15 GW") are the analyst's words, which a claim
    may not state unless a source does (a reviewer cannot check them against anything)."""
    return " ; ".join(m.group(0) for m in _TOPIC_DATE.finditer(topic))


def refusal(
    text: str,
    cited: Sequence[str],
    *,
    all_source_names: set[str],
    source_scripts: set[str],
    instructions: Sequence[str],
    analytic: bool,
    topic: str = "",
) -> str | None:
    """Why a model's answer cannot stand (asked again with this reason), or ``None``."""
    if _DANGLING.search(text):
        return "it stops mid-sentence; write one whole sentence"
    odd = foreign_scripts(text, source_scripts)
    if odd:
        return f"it contains {', '.join(sorted(odd)).lower()} characters; write in English only"
    # the analyst's topic names what the brief is about: its names (and their forms) stand like the sources'
    pool = all_source_names | source_name_stems([topic]) if topic else all_source_names
    invented = [n for n in names_in(text) if not known_name(n, pool)]
    if invented:
        return f"it names {', '.join(invented)}, who or which is in no source sentence; use only names they contain"
    if cited:
        made_up = unsupported_numbers(text, [*cited, topic_dates(topic)])
        if made_up:
            return f"it gives {', '.join(made_up)}, which no sentence states; use only their figures and dates"
    # a fact (a date's event, the figures) may say what the topic says; a judgment that only restates it says nothing
    if echoes(text, instructions, topic if analytic else ""):
        return "it restates the task or the topic instead of answering it"
    if analytic and cited and max(copy_ratio(text, c) for c in [*cited, " ".join(cited)]) >= COPY_LIMIT:
        return "it copies the source sentences; write the statement in your own words"
    return None


def flags_for(
    text: str, cited: Sequence[str], *, analytic: bool, instructions: Sequence[str], topic: str = ""
) -> list[Flag]:
    """The reviewer's flags on a kept claim (each says what to check; none means code found nothing amiss)."""
    flags: list[Flag] = []
    if unsupported_names(text, cited):
        flags.append(Flag.NAME_NOT_IN_EVIDENCE)
    if unsupported_numbers(text, cited):
        flags.append(Flag.NUMBER_NOT_IN_EVIDENCE)
    if analytic and cited and max(copy_ratio(text, c) for c in [*cited, " ".join(cited)]) >= COPY_LIMIT:
        flags.append(Flag.COPIED_SENTENCE)
    # a fact (a date's event, the figures) may say what the topic says; a judgment that only restates it says nothing
    if echoes(text, instructions, topic if analytic else ""):
        flags.append(Flag.ECHOES_INSTRUCTIONS)
    return flags


def source_name_stems(texts: Iterable[str]) -> set[str]:
    """Every word form of the sources, folded as names are (for "is this name in any source at all")."""
    return {name_stem(w) for t in texts for w in _WORD.findall(t)}


def is_repeat(text: str, earlier: Sequence[str], threshold: float = 0.9) -> bool:
    """Whether ``text`` says what an earlier claim said (word-sequence similarity at or above ``threshold``)."""
    words = re.findall(r"\w+", text.lower())
    for e in earlier:
        other = re.findall(r"\w+", e.lower())
        if words == other or SequenceMatcher(None, words, other, autojunk=False).ratio() >= threshold:
            return True
    return False
