"""Which value of a document's metadata field wins when several places give one: the one precedence that ingest
(a document's title, outlet, author, date, url) and source profiles (also its type and reliability) share."""

from __future__ import annotations

from typing import Any, TypeVar

from agent.core.contracts import FieldOrigin

# Weakest first: a value from a later origin replaces one from an earlier; at equal rank the first found stays.
# default < inferred from the text < the outlet registry < the e-mail an attachment came in < the file's own
# metadata < a sidecar NAME.meta.json < the analyst.
PRECEDENCE: tuple[FieldOrigin, ...] = ("default", "inferred", "registry", "inherited", "file", "sidecar", "analyst")
_RANK: dict[FieldOrigin, int] = {origin: i for i, origin in enumerate(PRECEDENCE)}

OriginT = TypeVar("OriginT", bound=FieldOrigin)


def outranks(new: FieldOrigin, held: FieldOrigin | None) -> bool:
    """A value from ``new`` replaces one held from ``held`` (nothing held: it does)."""
    return held is None or _RANK[new] > _RANK[held]


def pick(*candidates: tuple[Any, OriginT]) -> tuple[Any, OriginT | None]:
    """The value (and its origin) that wins among ``(value, origin)`` candidates; empty values do not count."""
    best: tuple[Any, OriginT | None] = (None, None)
    for value, origin in candidates:
        if value and outranks(origin, best[1]):
            best = (value, origin)
    return best
