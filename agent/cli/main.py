"""``brief``: the command line. Every subcommand works on one workspace (``--workspace``, default ``./.brief``).

Exit status: 0 success, 1 the command ran but something failed (e.g. a file could not be ingested),
2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from rich.console import Console

from agent import __version__
from agent.core.paths import Workspace
from agent.core.settings import Settings, load_settings

Handler = Callable[[argparse.Namespace, Workspace, Settings, Console], int]


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def build_parser() -> argparse.ArgumentParser:
    from agent.cli import corpus, doctor, draft, evaluate, model_files, review, tradecraft

    p = argparse.ArgumentParser(prog="brief", description="Draft intelligence briefs; verify every claim.")
    p.add_argument("--version", action="version", version=f"briefwright {__version__}")
    p.add_argument("-w", "--workspace", type=Path, help="case folder (default ./.brief or $BRIEF_WORKSPACE)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (corpus, tradecraft, model_files, draft, review, doctor, evaluate):
        group.register(sub)
    return p


# --------------------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    ws = Workspace.at(args.workspace)
    console = Console()
    try:
        settings = load_settings(ws)
    except ValueError as e:
        Console(stderr=True).print(f"[red]configuration error:[/] {e}")
        return 2
    for notice in (settings.llm.key_notice, settings.embeddings.key_notice):
        if notice:
            Console(stderr=True).print(f"warning: {notice}", markup=False, highlight=False)
    handler: Handler = args.handler
    try:
        return handler(args, ws, settings, console)
    except KeyboardInterrupt:
        Console(stderr=True).print("[yellow]interrupted[/]")
        return 130
    except _user_errors() as e:
        Console(stderr=True).print(f"[red]error:[/] {e}")
        return 1


def _user_errors() -> tuple[type[BaseException], ...]:
    """Errors whose message is the whole story for the user: no traceback."""
    from agent.cli.tradecraft import NothingToAnalyse
    from agent.core.drafts import DraftFileError
    from agent.core.model_files import AssetError
    from agent.core.paths import UnsafeName
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
        DraftFileError,
        ReviewError,
        RegistryError,
        NothingToAnalyse,
    )


if __name__ == "__main__":
    sys.exit(main())
