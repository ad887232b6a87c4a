"""Figures the sources give for the same quantity: shown as a range with their sources, or, when independent
sources give figures that do not overlap, as a contradiction with both sentences.

A quantity is what a figure counts (troops, people, dollars), what is said of it (killed, injured, missing,
displaced, detained, projected — "could send up to 100,000" — or a count) and where (the places its clause names).
Figures are compared only for the same quantity and scope; a later report's other figure is a revision.
Soldiers, troops and personnel are one thing counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from agent.core.contracts import Citation, Contradiction, Figure, FigureSet, NumberMention, Sentence
from agent.tradecraft.corroboration import Corroboration, jaccard

TOLERANCE = 0.1  # figures within 10% of each other agree

# What a figure counts must be a thing in the world, not a span of time or a tally of reports.
NOT_COUNTS = frozenset(
    [
        "year",
        "years",
        "month",
        "months",
        "week",
        "weeks",
        "day",
        "days",
        "hour",
        "hours",
        "time",
        "times",
        "account",
        "accounts",
        "percent",
        "decade",
        "decades",
        "article",
        "articles",
        "outlet",
        "outlets",
        "source",
        "sources",
        "report",
        "reports",
        "nation",
        "nations",
        "leader",
        "leaders",
    ]
)
_SAME_THING = {
    "soldier": "troops",
    "troop": "troops",
    "personnel": "troops",
    "serviceman": "troops",
    "servicemen": "troops",
    "fighter": "troops",
    "force": "troops",
    "worker": "workers",
    "labourer": "workers",
    "laborer": "workers",
    "shell": "shells",
    "round": "shells",
    "missile": "missiles",
    "usd": "dollars",
    "dollar": "dollars",
}
# What is said of a counted thing, by the words next to the figure: "killing 8 people and injuring 20 others" gives
# 8 killed and 20 injured, never one quantity. Forms before the figure ("killing", "death toll of") and after it
# ("killed", "injured", "dead").
_MEASURES: dict[str, str] = {
    "killed or wounded": r"casualt(?:y|ies)|(?:killed|dead) (?:or|and) (?:wounded|injured)",
    "killed": r"kill(?:ed|ing|s)?|dead|deaths?|died|dying|death tolls?|fatalit(?:y|ies)|lives|bodies",
    "injured": r"injur(?:ed|ing|ies|y)|wound(?:ed|ing|s)?|hurt|hospitali[sz]ed",
    "missing": r"missing|unaccounted",
    "displaced": r"displac(?:ed|ing)|evacuat(?:ed|ing|ion)|homeless|fled|sheltering|in shelters",
    "detained": r"arrest(?:ed|ing|s)?|detain(?:ed|ing)|held|custody",
}
_MEASURE_RE = {k: re.compile(rf"\b(?:{v})\b", re.I) for k, v in _MEASURES.items()}
_PROJECTED = re.compile(r"\b(?:could|might|may|plans? to|planned|expected to|eventually|would|will)\b", re.I)
_REVISION = re.compile(
    r"\b(?:rose|risen|rising|climbed|jumped|increased|revised|updated|up from|down from|now stands|has reached)\b",
    re.I,
)
NEAR_BEFORE = 30  # characters before a figure where what it measures is said ("killing at least")
NEAR_AFTER = 60  # ... and after it, past the counted noun ("North Korean soldiers were killed")


def measure_of(n: NumberMention, s: Sentence) -> str:
    """What is said of a counted figure: killed, injured, missing, displaced, detained, projected or a count. The
    words right after the figure win, then those right before it, never across another figure."""
    rel_start, rel_end = n.start - s.start, n.end - s.start
    after = s.text[rel_end : rel_end + NEAR_AFTER]
    before = s.text[max(0, rel_start - NEAR_BEFORE) : rel_start]
    after = re.split(r"\d", after, maxsplit=1)[0]
    before = re.split(r"\d", before)[-1]
    # "20 others were injured" / "8 people killed": the participle after the figure, before any "and"
    head = re.split(r"\b(?:and|while|with|as|but)\b|[,;]", after, maxsplit=1)[0]
    for kind, rx in _MEASURE_RE.items():
        if rx.search(head):
            return kind
    found = [(m.end(), kind) for kind, rx in _MEASURE_RE.items() for m in rx.finditer(before)]
    if found:
        return max(found)[1]  # the nearest before the figure
    if _PROJECTED.search(s.text[:rel_start]):
        return "projected"
    return "count"


_SCOPE_LABELS = ("GPE", "LOC", "FAC")


_LOCATIVE = re.compile(r"\b(?:in|across|throughout|within|at|near|inside)\s+(?:the\s+)?$", re.I)


def scope_of(n: NumberMention, s: Sentence) -> frozenset[str]:
    """The places the figure is said to be in ("in St Elizabeth", "across Spain"; a speaker's country, "South
    Korea's spy agency said", is not where the figure is): a figure for one province is not one for the nation."""
    lo, hi = n.start - 60, n.end + 60
    return frozenset(
        e.text.lower().removeprefix("the ")
        for e in s.entities
        if e.label in _SCOPE_LABELS
        and lo <= e.start <= hi
        and _LOCATIVE.search(s.text[: e.start - s.start])
        and not re.match(r"[’']s\b", s.text[e.end - s.start :])
    )


_LIST_GAP = re.compile(r"\s*(?:,|,?\s*and|,?\s*or)\s+(?:the\s+)?$", re.IGNORECASE)


def where_said(n: NumberMention, s: Sentence) -> str:
    """The places a figure is said to be in, as the sentence words them ("in Haiti and the Dominican Republic"),
    or "" when it names none near the figure."""
    scope = scope_of(n, s)
    places = sorted((e for e in s.entities if e.text.lower().removeprefix("the ") in scope), key=lambda e: e.start)
    places = [e for e in places if e.start >= n.end] or places  # "four dead in Haiti": the place after it first
    if not places:
        return ""
    last = places[-1]
    for e in sorted(s.entities, key=lambda e: e.start):  # "in Haiti and the Dominican Republic": the list goes on
        if (
            e.label in _SCOPE_LABELS
            and e.start >= last.end
            and _LIST_GAP.match(s.text[last.end - s.start : e.start - s.start])
        ):
            last = e
    m = _LOCATIVE.search(s.text[: places[0].start - s.start])
    start = m.start() if m else places[0].start - s.start
    span = s.text[start : last.end - s.start]
    return span[:1].lower() + span[1:] if len(span) <= NEAR_AFTER else ""


def names_measure(words: str, measure: str) -> bool:
    """Whether the words already say what is said of the counted thing ("fatalities" says killed)."""
    rx = _MEASURE_RE.get(measure)
    return bool(rx and rx.search(words))


# Plural already, without a final s; a person is one of the people.
_PLURAL = frozenset(["people", "police", "children", "men", "women", "staff", "crew", "cattle", "livestock"])


def _noun(counts: str) -> str:
    w = counts.lower()
    if w in _PLURAL or w in ("person", "persons"):
        return "people" if w.startswith("person") else w
    if w in _SAME_THING:
        return _SAME_THING[w]
    singular = w[:-1] if w.endswith("s") and not w.endswith("ss") else w
    return _SAME_THING.get(singular, singular + "s" if not w.endswith("s") else w)


# What is said of people that makes even a small figure a key fact: "two soldiers injured" against "four".
HARM = frozenset(["killed", "injured", "missing", "detained", "killed or wounded"])


def quantity_of(n: NumberMention, s: Sentence) -> tuple[str, str] | None:
    """(what is counted, what is said of it) for a counted cardinal figure; ``None`` for anything else. Under ten,
    only people killed, injured, missing or detained count ("two soldiers injured"); other small numbers are as
    often turns of phrase ("two sides", "three main points") as quantities."""
    if not n.counts or n.kind not in ("cardinal", "money") or n.counts.lower() in NOT_COUNTS:
        return None
    if re.match(r"-[A-Za-z]", s.text[n.end - s.start : n.end - s.start + 2]):
        return None  # "the 163-member chamber", "a 48-hour strike": a property of a thing, not a count of members
    measure = measure_of(n, s)
    if n.high < 10 and measure not in HARM:
        return None
    return _noun(n.counts), measure


# "No deaths were reported", "no one was killed", "without casualties": a figure of nought, which a later report
# of three dead revises, and another source's "three died" on the same day contradicts.
_NONE = re.compile(
    r"\b(?:no|zero)\s+(?:confirmed\s+|reported\s+|immediate\s+)?(?P<n1>deaths|fatalities|casualties|injuries|dead)\b"
    r"|\b(?:no\s+one|nobody|none)\s+(?:was\s+|were\s+|had\s+been\s+|has\s+been\s+)?(?P<v>killed|injured|hurt|wounded)\b"
    r"|\bwithout\s+(?:any\s+)?(?P<n2>casualties|injuries|deaths)\b",
    re.IGNORECASE,
)
_NONE_MEASURE = {
    "deaths": "killed",
    "fatalities": "killed",
    "dead": "killed",
    "killed": "killed",
    "casualties": "killed or wounded",
    "injuries": "injured",
    "injured": "injured",
    "hurt": "injured",
    "wounded": "injured",
}


def nought_figures(s: Sentence) -> list[tuple[NumberMention, str]]:
    """The figures of nought a sentence states ("no deaths were reported"), each with what it measures."""
    out: list[tuple[NumberMention, str]] = []
    for m in _NONE.finditer(s.text):
        word = (m.group("n1") or m.group("v") or m.group("n2") or "").lower()
        n = NumberMention(
            text=m.group(0),
            start=s.start + m.start(),
            end=s.start + m.end(),
            low=0,
            high=0,
            counts="people",
            kind="cardinal",
        )
        out.append((n, _NONE_MEASURE[word]))
    return out


def _label(noun: str, measure: str) -> str:
    return {"count": noun, "projected": f"{noun} (projected)"}.get(measure, f"{noun} {measure}")


@dataclass
class _Item:
    n: NumberMention
    s: Sentence


def _overlap(a: NumberMention, b: NumberMention) -> bool:
    lo, hi = max(a.low, b.low), min(a.high, b.high)
    return lo <= hi * (1 + TOLERANCE)


def _when(it: _Item, published: Mapping[str, date | None]) -> date | None:
    return published.get(it.s.doc_id)


def _comparable(a: _Item, b: _Item) -> bool:
    """The same scope: both figures name the same places, or one names none (the overall figure). A figure for
    one place set against a figure for another is not comparable; one place's figure set against the overall one
    disagrees only when the part exceeds the whole (ten dead in one province and thirty in the country agree)."""
    sa, sb = scope_of(a.n, a.s), scope_of(b.n, b.s)
    if sa == sb:
        return True
    if sa and sb:
        return False
    part, whole = (a, b) if sa else (b, a)
    return part.n.low > whole.n.high * (1 + TOLERANCE)


SAME_CONTEXT = 0.2  # content-word Jaccard two sentences share at least when they give a figure for the same thing


def _same_context(a: _Item, b: _Item, corro: Corroboration) -> bool:
    """Both sentences tell of the same happening (they share words beyond the figure): "nearly a dozen
    cancellations" at one airport and "29 cancellations" at three are not one figure disputed."""
    i, j = corro.index_of(a.s.id), corro.index_of(b.s.id)
    if i is None or j is None:
        return True
    return jaccard(corro.words[i], corro.words[j]) >= SAME_CONTEXT


def _revision(a: _Item, b: _Item, published: Mapping[str, date | None]) -> bool:
    """One figure replaced by a later one: the reports are of different days, or a sentence says the figure rose or
    was revised. Not a contradiction."""
    da, db = _when(a, published), _when(b, published)
    return (da is not None and db is not None and da != db) or any(_REVISION.search(x.s.text) for x in (a, b))


def figure_sets(
    sentences: Sequence[Sentence],
    corro: Corroboration,
    cite: Callable[[Sentence], Citation],
    published: Mapping[str, date | None] | None = None,
) -> tuple[list[FigureSet], list[Contradiction]]:
    """Quantities given as a range or by more than one figure; contradictions where independent sources give
    figures that do not overlap for the same quantity, scope and time (``published``: each document's date). A
    later report's different figure is a revision (``FigureSet.revised``), not a contradiction."""
    published = published or {}
    groups: dict[tuple[str, str], list[_Item]] = {}
    for s in sentences:
        for n in s.numbers:
            q = quantity_of(n, s)
            if q:
                groups.setdefault(q, []).append(_Item(n, s))
        for n, measure in nought_figures(s):
            groups.setdefault(("people", measure), []).append(_Item(n, s))
    sets: list[FigureSet] = []
    contradictions: list[Contradiction] = []
    for (noun, measure), items in groups.items():
        # one figure per sentence value; the same figure restated by a rewrite is one figure
        seen: set[tuple[float, float, str]] = set()
        kept: list[_Item] = []
        for it in items:
            key = (it.n.low, it.n.high, corro.origin.get(it.s.doc_id, it.s.doc_id))
            if key not in seen:
                seen.add(key)
                kept.append(it)
        ranged = any(it.n.low != it.n.high for it in kept)
        if len(kept) < 2 and not ranged:
            continue
        origins = {corro.origin.get(it.s.doc_id, it.s.doc_id) for it in kept}
        differ = [
            (a, b)
            for i, a in enumerate(kept)
            for b in kept[i + 1 :]
            if corro.origin.get(a.s.doc_id, a.s.doc_id) != corro.origin.get(b.s.doc_id, b.s.doc_id)
            and not _overlap(a.n, b.n)
            and _comparable(a, b)
            and _same_context(a, b, corro)
        ]
        clash = [(a, b) for a, b in differ if not _revision(a, b, published)]
        revised = len(clash) < len(differ)
        label = _label(noun, measure)
        sets.append(
            FigureSet(
                quantity=label,
                low=min(it.n.low for it in kept),
                high=max(it.n.high for it in kept),
                figures=[
                    Figure(text=it.n.text, low=it.n.low, high=it.n.high, doc_id=it.s.doc_id, citation=cite(it.s))
                    for it in sorted(kept, key=lambda it: (it.n.low, it.n.high))
                ],
                sources=len(origins),
                disagree=bool(clash),
                revised=revised,
            )
        )
        for a, b in clash[:3]:
            contradictions.append(
                Contradiction(kind="figure", about=label, values=[a.n.text, b.n.text], citations=[cite(a.s), cite(b.s)])
            )
    sets.sort(key=lambda f: (not f.disagree, -len(f.figures), f.quantity))
    return sets, contradictions


def fmt(v: float) -> str:
    return f"{v:,.0f}" if v == int(v) else f"{v:,.2f}"


def range_text(f: FigureSet) -> str:
    return fmt(f.low) if f.low == f.high else f"{fmt(f.low)}–{fmt(f.high)}"
