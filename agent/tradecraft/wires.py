"""Wire copy and agency reporting recognised from the text: which news agency's story a document carries.

A story of a news agency (a wire service or a state agency) is republished by many sites; the site's own name
says nothing about its reliability, the agency's does. What marks agency copy, in the agency's own style:

- a dateline credit: "KYIV, March 3 (Reuters) -", "(AP) —", "New Delhi [India], November 11 (ANI):";
- a credit or byline line: "Source: BBC", "— AFP", "By Jane Doe, Associated Press", "Reporting by ...";
- the agency quoting its own interview by its bare name: "told AFP", "told Reuters" (another outlet writes "told
  news agency Reuters" or "Reuters reported", which is citing the agency, not carrying its copy).

The agencies are the outlets the registry (``outlets.toml`` and the workspace's ``sources.toml``) types as ``wire``
or ``state-media``, by name and alias; this module holds no list of its own. Of any other outlet the registry knows,
only a credit line ("Source: BBC") counts: it marks a rewrite of that outlet's story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from agent.tradecraft.profiles import Outlet, Registry

AGENCY_TYPES = ("wire", "state-media")
HEAD_CHARS = 600  # datelines and bylines sit at the top of a story ...
TAIL_CHARS = 300  # ... credits and "Reporting by" lines at its foot


@dataclass(frozen=True)
class Carried:
    """An agency a document draws on: ``copy`` (it is the agency's story) or ``cites`` (it reports what the agency
    said), with the words that show it."""

    agency: Outlet
    how: Literal["copy", "cites"]
    evidence: str


def _names(o: Outlet) -> list[str]:
    return sorted({o.name, *o.aliases}, key=len, reverse=True)


def _alt(names: list[str]) -> str:
    return "|".join(re.escape(n) for n in names)


def _patterns(o: Outlet) -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
    """(copy marks, citing marks) for one agency. Short aliases (AP, AFP) only count in their fixed positions."""
    names = _alt(_names(o))
    copy = [
        # dateline credit: "(Reuters) -", "(AP) —", "(ANI):", "(Xinhua) --"
        re.compile(rf"\((?:{names})\)\s*(?:[-—–:]|--)"),
        # credit or byline line: "Source: BBC", "— AFP", "By Jane Doe, Associated Press", "(c) Reuters"
        re.compile(rf"(?m)^\s*(?:Source|Credit|Courtesy)\s*:\s*(?:{names})\b"),
        re.compile(rf"(?m)(?:^|[—–-]\s*)(?:©|\(c\)|Copyright)?\s*(?:{names})\s*$"),
        re.compile(rf"(?m)^\s*By\s+[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){{0,3}}\s*[,|/]\s*(?:{names})\b"),
        # the agency naming itself bare as the one told: "told AFP", "told Reuters", "told The Associated Press"
        re.compile(
            rf"\b(?:told|said to|speaking to|in an interview with)\s+(?:the\s+|The\s+)?(?:{names})\b(?!\s+news)"
        ),
    ]
    cites = [
        re.compile(rf"\b(?:{names})\s+(?:reported|said|reports|says|quoted|cited)\b"),
        re.compile(
            rf"\b(?i:according to|told|citing|cited by|quoted by)\s+(?:the\s+)?(?:news\s+agency\s+)?(?:{names})\b"
        ),
        re.compile(rf"\bnews agency\s+(?:{names})\b|\b(?:{names})\s+news agency\b"),
    ]
    return copy, cites


def _in_position(m: re.Match[str], text: str) -> bool:
    """Dateline and byline marks count at the head or the foot of the text; the bare "told X" anywhere."""
    return (
        m.start() < HEAD_CHARS
        or m.start() >= len(text) - TAIL_CHARS
        or m.group(0).lower().startswith(("told", "said to", "speaking", "in an"))
    )


def agencies(text: str, registry: Registry) -> list[Carried]:
    """Every agency the text carries copy of or cites, copy first, each agency once."""
    out: dict[str, Carried] = {}
    for o in registry.outlets:
        copy, cites = _patterns(o)
        if o.type not in AGENCY_TYPES:
            copy, cites = copy[1:2], []  # any known outlet's own credit line ("Source: BBC") marks a rewrite of it
        for rx in copy:
            m = next((m for m in rx.finditer(text) if _in_position(m, text)), None)
            if m:
                out[o.name] = Carried(o, "copy", m.group(0).strip())
                break
        if o.name in out:
            continue
        for rx in cites:
            m = rx.search(text)
            if m:
                out[o.name] = Carried(o, "cites", m.group(0).strip())
                break
    return sorted(out.values(), key=lambda c: (c.how != "copy", text.find(c.evidence)))


def carried_copy(text: str, registry: Registry) -> Carried | None:
    """The agency whose story this text is (its first copy mark), if any."""
    got = agencies(text, registry)
    return got[0] if got and got[0].how == "copy" else None


def credited(text: str, registry: Registry, own: str | None = None) -> list[Carried]:
    """Every outlet the registry knows (of any type) whose reporting the text passes on by name ("Reuters reported",
    "according to the BBC", "told CNN"), in order of first mention, its own outlet left out: a story that retells
    other outlets' reporting is not a line of reporting of its own, the reviewers' first question of a source."""
    out: dict[str, Carried] = {}
    for o in registry.outlets:
        if own and own.lower() in {n.lower() for n in _names(o)}:
            continue
        _copy, cites = _patterns(o)
        for rx in cites:
            m = rx.search(text)
            if m:
                out[o.name] = Carried(o, "cites", m.group(0).strip())
                break
    return sorted(out.values(), key=lambda c: text.find(c.evidence))
