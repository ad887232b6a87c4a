"""Figures the sources give for the same quantity: shown as a range with their sources, or, when independent
sources give figures that do not overlap, as a contradiction with both sentences.

A quantity is what a figure counts (troops, missiles, dollars) and what is said of it: killed or wounded,
projected ("could send up to 100,000"), or a count. Soldiers, troops and personnel are one thing counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from agent.core.contracts import Citation, Contradiction, Figure, FigureSet, NumberMention, Sentence
from agent.tradecraft.corroboration import Corroboration

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
_CASUALTY = re.compile(
    r"\b(?:deaths?|dead|died|killed|kill|casualt(?:y|ies)|wounded|injured|losses|death tolls?)\b", re.I
)
_PROJECTED = re.compile(r"\b(?:could|might|may|plans? to|planned|expected to|eventually|would|will)\b", re.I)


def _noun(counts: str) -> str:
    w = counts.lower()
    if w in _SAME_THING:
        return _SAME_THING[w]
    singular = w[:-1] if w.endswith("s") and not w.endswith("ss") else w
    return _SAME_THING.get(singular, singular + "s" if not w.endswith("s") else w)


def quantity_of(n: NumberMention, s: Sentence) -> tuple[str, str] | None:
    """(what is counted, what is said of it) for a counted cardinal figure; ``None`` for anything else."""
    if not n.counts or n.kind not in ("cardinal", "money") or n.counts.lower() in NOT_COUNTS or n.high < 10:
        return None
    around = s.text[max(0, n.start - s.start - 60) : n.end - s.start + 60]
    if _CASUALTY.search(around):
        measure = "killed or wounded"
    elif _PROJECTED.search(s.text[: n.start - s.start]):
        measure = "projected"
    else:
        measure = "count"
    return _noun(n.counts), measure


def _label(noun: str, measure: str) -> str:
    return {"count": noun, "projected": f"{noun} (projected)"}.get(measure, f"{noun} {measure}")


@dataclass
class _Item:
    n: NumberMention
    s: Sentence


def _overlap(a: NumberMention, b: NumberMention) -> bool:
    lo, hi = max(a.low, b.low), min(a.high, b.high)
    return lo <= hi * (1 + TOLERANCE)


def figure_sets(
    sentences: Sequence[Sentence], corro: Corroboration, cite: Callable[[Sentence], Citation]
) -> tuple[list[FigureSet], list[Contradiction]]:
    """Quantities given as a range or by more than one figure; contradictions where independent sources give
    figures that do not overlap."""
    groups: dict[tuple[str, str], list[_Item]] = {}
    for s in sentences:
        for n in s.numbers:
            q = quantity_of(n, s)
            if q:
                groups.setdefault(q, []).append(_Item(n, s))
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
        clash = [
            (a, b)
            for i, a in enumerate(kept)
            for b in kept[i + 1 :]
            if corro.origin.get(a.s.doc_id, a.s.doc_id) != corro.origin.get(b.s.doc_id, b.s.doc_id)
            and not _overlap(a.n, b.n)
        ]
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
