"""What the command groups share: the handler signature, argument types, and the errors whose message is the
whole story for the user. Every ``agent.cli`` module may import this one; it imports none of them."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date

from rich.console import Console

from agent.core.paths import Workspace
from agent.core.settings import Settings

Handler = Callable[[argparse.Namespace, Workspace, Settings, Console], int]


def parse_date(value: str) -> date:
    """An ``argparse`` type: an ISO date (YYYY-MM-DD), or a usage error naming the value."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


class NothingToAnalyse(LookupError):
    """A command that analyses the sources found none (no documents, or an unknown draft)."""


def user_errors() -> tuple[type[BaseException], ...]:
    """Errors whose message is the whole story for the user: no traceback."""
    from agent.core.drafts import DraftFileError
    from agent.core.model_files import AssetError
    from agent.core.paths import UnsafeName, UnsafePath
    from agent.corpus.embeddings import EmbeddingError
    from agent.corpus.index import IndexError_
    from agent.llm.seam import LLMError
    from agent.review.session import ReviewError
    from agent.tradecraft.profiles import RegistryError

    return (
        AssetError,
        EmbeddingError,
        IndexError_,
        LLMError,
        UnsafeName,
        UnsafePath,
        DraftFileError,
        ReviewError,
        RegistryError,
        NothingToAnalyse,
    )
