"""Analysis of Competing Hypotheses (Heuer): hypotheses x evidence, each cell consistent (C), inconsistent (I) or
not applicable (N), scored by code. The hypothesis with the least inconsistent evidence is the most likely; an item
of evidence marked alike for every hypothesis is not diagnostic and decides nothing.

Cells are filled by the analyst (in the review UI) or by a capable model whose answers code checks: marks that
do not discriminate (every cell the same) are not analysis, and are dropped for the analyst to mark.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agent.core.contracts import AchEvidence, AchMark, AchMatrix

MARKS: tuple[AchMark, ...] = ("C", "I", "N")
MARK_WORDS: dict[str, str] = {"C": "consistent", "I": "inconsistent", "N": "not applicable"}


@dataclass
class Score:
    hypothesis: str
    inconsistent: int
    consistent: int
    marked: int


def scores(m: AchMatrix) -> list[Score]:
    """Per hypothesis (in matrix order): inconsistent and consistent items, and how many cells are marked."""
    out: list[Score] = []
    for h in m.hypotheses:
        cells = [c for c in m.cells if c.hypothesis == h and c.mark is not None]
        out.append(
            Score(
                hypothesis=h,
                inconsistent=sum(1 for c in cells if c.mark == "I"),
                consistent=sum(1 for c in cells if c.mark == "C"),
                marked=len(cells),
            )
        )
    return out


def diagnostic(m: AchMatrix, evidence_id: str) -> bool | None:
    """Whether an item discriminates: marked for every hypothesis, not all alike. ``None`` until fully marked."""
    marks = [m.cell(h, evidence_id).mark for h in m.hypotheses]
    if any(x is None for x in marks):
        return None
    return len(set(marks)) > 1


def complete(m: AchMatrix) -> bool:
    return all(m.cell(h, e.id).mark is not None for h in m.hypotheses for e in m.evidence)


def marked(m: AchMatrix) -> int:
    return sum(1 for c in m.cells if c.mark is not None and c.hypothesis in m.hypotheses)


def summary(m: AchMatrix, labels: Mapping[str, str]) -> str | None:
    """What the matrix says, in one sentence; ``None`` while no cell is marked."""
    if len(m.hypotheses) < 2 or not marked(m):
        return None
    ss = sorted(scores(m), key=lambda s: (s.inconsistent, -s.consistent))
    best, runner = ss[0], ss[1]
    name = labels.get(best.hypothesis, best.hypothesis)
    diag = [e for e in m.evidence if diagnostic(m, e.id)]
    total = len(m.hypotheses) * len(m.evidence)
    state = "" if complete(m) else f" ({marked(m)} of {total} cells marked so far)"
    if best.inconsistent == runner.inconsistent:
        return (
            f"The ACH matrix does not yet discriminate: {name} and {labels.get(runner.hypothesis, runner.hypothesis)} "
            f"each have {best.inconsistent} inconsistent items{state}."
        )
    return (
        f"ACH: {name} is the least inconsistent with the evidence ({best.inconsistent} inconsistent items, against "
        f"{runner.inconsistent} for {labels.get(runner.hypothesis, runner.hypothesis)}); "
        f"{len(diag)} of {len(m.evidence)} items are diagnostic{state}."
    )


def uniform(marks: Sequence[AchMark | None]) -> bool:
    """A model's marks that are all the same (or all missing) say nothing about the hypotheses."""
    given = [x for x in marks if x is not None]
    return len(set(given)) <= 1


def uninformative(m: AchMatrix) -> bool:
    """Marks that cannot be a reading of the evidence: all alike, or every row marked the same way (the model
    judged the hypotheses, or their order, not each item: the embedded 1.5B model, measured on the seeds, marked
    every row "consistent, inconsistent")."""
    if uniform([c.mark for c in m.cells]):
        return True
    rows = {tuple(m.cell(h, e.id).mark for h in m.hypotheses) for e in m.evidence}
    return len(m.evidence) >= 2 and len(rows) == 1


def new_matrix(hypotheses: Sequence[str], evidence: Sequence[AchEvidence], note: str | None = None) -> AchMatrix:
    m = AchMatrix(hypotheses=list(hypotheses), evidence=list(evidence), note=note)
    for e in evidence:
        for h in hypotheses:
            m.cell(h, e.id)
    return m
