"""The one place a :class:`~agent.core.contracts.Claim` is made.

Every path builds its claims here: a part the model drafted, a part code wrote, a claim drafted or redrafted with
free quotes, a claim the analyst added in review. Each path says what it knows (text, citations, flags); grading
(independent sources, credibility, sourcing cues, and for a judgment its confidence) is done here too, by the
grader the caller was handed (drafting's, over the draft's sentences), so no path can leave a claim ungraded when
its draft is graded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from agent.core.contracts import (
    Citation,
    Claim,
    ClaimOrigin,
    Confidence,
    DroppedCitation,
    Flag,
    Likelihood,
    ReviewStatus,
)


class Grader(Protocol):
    """Grades a claim in place from the sentences it cites."""

    def __call__(self, claim: Claim, *, judgment: bool = False) -> None: ...


def make_claim(
    *,
    id: str,
    section: str,
    text: str,
    label: str | None = None,
    citations: Sequence[Citation] = (),
    dropped: Sequence[DroppedCitation] = (),
    confidence: Confidence | None = None,
    likelihood: Likelihood | None = None,
    flags: Sequence[Flag] = (),
    origin: ClaimOrigin = "drafted",
    status: ReviewStatus = "pending",
    reviewed_by: str | None = None,
    grader: Grader | None = None,
    judgment: bool = False,
) -> Claim:
    """A new claim, graded when a grader is given (``judgment``: the claim is an analytic judgment, which draws on
    all its lines of evidence and gets a confidence)."""
    claim = Claim(
        id=id,
        section=section,
        text=text,
        label=label,
        citations=list(citations),
        dropped=list(dropped),
        confidence=confidence,
        likelihood=likelihood,
        flags=list(flags),
        origin=origin,
        status=status,
        reviewed_by=reviewed_by,
    )
    if grader is not None:
        grader(claim, judgment=judgment)
    return claim
