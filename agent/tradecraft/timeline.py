"""The timeline: dated statements from the sentence layer (dates resolved against each source's date), one
event per happening however many sources state it, and dates that sources give differently for the same event.

Two dated sentences of different sources tell of the same event when they name the same kind of happening (an
attack, an agreement, a deployment, ...), share a named place, organisation or people, and share words beyond
those. Their dates agree when one contains the other (August 2024 and 6 August 2024); otherwise they contradict.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from agent.core.contracts import Citation, Contradiction, DateMention, Sentence, TimelineEvent
from agent.tradecraft.corroboration import Corroboration, jaccard

SAME_EVENT = 0.2  # content-word Jaccard (dates left out) two statements of one event share at least

EVENT_KINDS: dict[str, re.Pattern[str]] = {
    k: re.compile(rf"\b(?:{v})\b", re.IGNORECASE)
    for k, v in {
        "attack": r"invasion|invaded?|attacks?|attacked|incursion|offensive|assault|strikes?|struck|campaign"
        r"|launched|seized?|captured",
        "agreement": r"treaty|agreement|pact|accord|deal|signed|signing|armistice|ceasefire",
        "deployment": r"deployed|deployment|sent|dispatched|arrived|stationed",
        "meeting": r"met|meeting|summit|visit|visited|talks",
        "election": r"elections?|elected|voted?|won",
        "casualties": r"killed|deaths?|died|casualties|wounded",
        "declaration": r"declared|announced|proclaimed|martial law",
        "test": r"tests?|tested|launch",
    }.items()
}
_NAMED = ("GPE", "LOC", "ORG", "NORP", "PERSON", "FAC", "EVENT", "LAW")
MAX_EVENT_WORDS = 45


def kinds(text: str) -> set[str]:
    return {k for k, rx in EVENT_KINDS.items() if rx.search(text)}


def _names(s: Sentence) -> set[str]:
    return {re.sub(r"[’']s$", "", e.text).lower() for e in s.entities if e.label in _NAMED}


def nested(a: str, b: str) -> bool:
    """One date contains the other: 2024-08 and 2024-08-06, 2024 and 2024-06."""
    return a.startswith(b) or b.startswith(a)


@dataclass
class _Dated:
    s: Sentence
    d: DateMention
    words: set[str]
    kinds: set[str]
    names: set[str]


def _words_without_dates(s: Sentence, corro: Corroboration) -> set[str]:
    i = corro.index_of(s.id)
    ws = set(corro.words[i]) if i is not None else set()
    date_words = {w.lower() for d in s.dates for w in re.findall(r"\w+", d.text)}
    return ws - date_words


def same_event(a: _Dated, b: _Dated) -> bool:
    return bool(a.kinds & b.kinds) and bool(a.names & b.names) and jaccard(a.words, b.words) >= SAME_EVENT


def build_timeline(
    sentences: Sequence[Sentence], corro: Corroboration, cite: Callable[[Sentence], Citation]
) -> tuple[list[TimelineEvent], list[Contradiction]]:
    """Events in date order, each with the sentences stating it; and date contradictions between sources."""
    dated: list[_Dated] = []
    for s in sentences:
        if s.kind not in ("body", "bullet"):
            continue
        # a sentence that is all date (a dateline) is no event; prefer the most precise date of a sentence
        for d in sorted(s.dates, key=lambda d: ("day", "month", "year").index(d.precision))[:1]:
            if len(s.text.split()) - len(d.text.split()) < 4:
                continue
            dated.append(_Dated(s, d, _words_without_dates(s, corro), kinds(s.text), _names(s)))
    groups: list[list[_Dated]] = []
    contradictions: list[Contradiction] = []
    for item in dated:
        home = None
        for g in groups:
            if any(
                x.s.doc_id != item.s.doc_id and same_event(x, item) and nested(x.d.value, item.d.value) for x in g
            ) or any(x.s.id == item.s.id for x in g):
                home = g
                break
        if home is not None:
            home.append(item)
        else:
            home = [item]
            groups.append(home)
        for g in groups:
            if g is home:
                continue
            for x in g:
                clash = (
                    corro.origin.get(x.s.doc_id, x.s.doc_id) != corro.origin.get(item.s.doc_id, item.s.doc_id)
                    and x.d.precision != "year"
                    and item.d.precision != "year"
                    and same_event(x, item)
                    and jaccard(x.words, item.words) >= 1.5 * SAME_EVENT
                    and not nested(x.d.value, item.d.value)
                )
                if clash:
                    about = sorted(x.kinds & item.kinds)[0] + ": " + ", ".join(sorted(x.names & item.names)[:3])
                    contradictions.append(
                        Contradiction(
                            kind="date",
                            about=about,
                            values=[x.d.value, item.d.value],
                            citations=[cite(x.s), cite(item.s)],
                        )
                    )
                    break
    events: list[TimelineEvent] = []
    for g in groups:
        best = max(g, key=lambda x: (("year", "month", "day").index(x.d.precision), len(x.names)))
        origins = {corro.origin.get(x.s.doc_id, x.s.doc_id) for x in g}
        words = best.s.text.split()
        text = " ".join(words[:MAX_EVENT_WORDS]) + ("…" if len(words) > MAX_EVENT_WORDS else "")
        events.append(
            TimelineEvent(
                date=best.d.value,
                precision=best.d.precision,
                text=text,
                citations=[cite(best.s), *[cite(x.s) for x in g if x is not best][:3]],
                sources=len(origins),
            )
        )
    events.sort(key=lambda e: (e.date, e.precision != "year"))
    return events, contradictions
