"""Information credibility (Admiralty 1-6), confidence and estimative language, by rule.

The rules are simple enough to state in a brief's techniques section:

- 6 cannot be judged: nothing cited.
- 5 improbable: another independent source contradicts it (a different figure or date) and none confirms it.
- 4 doubtful: contradicted but also confirmed, or stated by one source only, on anonymous, unnamed-official or
  state-media sourcing (in the sentence, or by a source that rests on such sourcing).
- 3 possibly true: one source, no such cue.
- 2 probably true: two independent sources.
- 1 confirmed: three or more independent sources.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from agent.core.contracts import (
    CREDIBILITY_TERMS,
    RELIABILITY_TERMS,
    WEAK_CUES,
    Claim,
    Confidence,
    Credibility,
    SourceProfile,
)


def credibility(sources: int, *, contradicted: bool = False, weak: bool = False) -> Credibility:
    if sources <= 0:
        return 6
    if contradicted:
        return 4 if sources >= 2 else 5
    if sources >= 3:
        return 1
    if sources == 2:
        return 2
    return 4 if weak else 3


def document_credibility(grades: Sequence[int]) -> Credibility:
    """A source's credibility: the median grade of the statements it carries (6 when it carries none)."""
    if not grades:
        return 6
    ordered = sorted(grades)
    return ordered[(len(ordered) - 1) // 2]  # type: ignore[return-value]


def confidence_for(cred: int | None, reliabilities: Iterable[str]) -> Confidence:
    """Confidence in a judgment from its evidence: high needs confirmed information from reliable sources
    (A-B); moderate needs information at least possibly true; anything weaker is low."""
    best = min(reliabilities, default="F")
    if cred is not None and cred <= 2 and best in ("A", "B"):
        return "high"
    if cred is not None and cred <= 3:
        return "moderate"
    return "low"


def grade_label(cred: int | None) -> str:
    return f"{cred} ({CREDIBILITY_TERMS[cred]})" if cred else "not graded"


def reliability_label(p: SourceProfile) -> str:
    return f"{p.reliability} ({RELIABILITY_TERMS[p.reliability]})"


# --------------------------------------------------------------------------- estimative language

# Words that make a statement a judgment of likelihood without saying how likely (ICD-203 asks for its terms).
_VAGUE = re.compile(
    r"\b(?:[Mm]ight|[Cc]ould|[Pp]ossibly|[Pp]erhaps|[Pp]robably|[Pp]robable|[Ll]ikely|[Uu]nlikely|[Pp]otential(?:ly)?"
    r"|[Aa]ppears? to|[Ss]eems? to|[Ss]uggests?|[Pp]resumably|[Cc]onceivabl[ey]|[Pp]lausibl[ey]|[Ee]xpected to)\b"
    r"|\bmay\b|\bMay(?=\s+(?:be|have|not|also|well|soon|never|still|even|become|seek|try|want|use)\b)"
)


def vague_words(text: str) -> list[str]:
    return [m.group(0) for m in _VAGUE.finditer(text)]


def is_vague_estimate(claim: Claim) -> bool:
    """A judgment word in the claim but no ICD-203 likelihood field: the reader cannot tell how likely."""
    return claim.likelihood is None and bool(vague_words(claim.text))


def estimate_label(claim: Claim) -> str:
    """The likelihood and confidence of a judgment, always in this form: "Likely · moderate confidence"."""
    parts: list[str] = []
    if claim.likelihood:
        parts.append(claim.likelihood[:1].upper() + claim.likelihood[1:])
    if claim.confidence:
        parts.append(f"{claim.confidence} confidence")
    return " · ".join(parts)


def weak_cues(cues: Iterable[str]) -> list[str]:
    return sorted({c for c in cues if c in WEAK_CUES})
