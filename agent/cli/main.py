"""``brief``: the command line. Every subcommand works on one workspace (``--workspace``, default ``./.brief``).

Exit status: 0 success, 1 the command ran but something failed (e.g. a file could not be ingested),
2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from agent import __version__
from agent.cli.common import Handler, user_errors
from agent.core.display import printable, safe
from agent.core.paths import UnsafePath, Workspace
from agent.core.settings import load_settings


def build_parser() -> argparse.ArgumentParser:
    from agent.cli import corpus, doctor, draft, evaluate, model_files, review, tradecraft, trust

    p = argparse.ArgumentParser(prog="brief", description="Draft intelligence briefs; verify every claim.")
    p.add_argument("--version", action="version", version=f"briefwright {__version__}")
    p.add_argument("-w", "--workspace", type=Path, help="case folder (default ./.brief or $BRIEF_WORKSPACE)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (corpus, tradecraft, model_files, draft, review, doctor, evaluate, trust):
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
        Console(stderr=True).print(f"[red]configuration error:[/] {safe(e)}")
        return 2
    try:
        ws.check_links()  # before anything is written: a received case folder may carry links out of it
    except UnsafePath as e:
        Console(stderr=True).print(f"[red]error:[/] {safe(e)}")
        return 2
    # `brief trust` shows what it unlocks itself; the warning would tell the user to run what they are running.
    workspace_notice = None if args.command == "trust" else settings.workspace_notice
    for notice in (workspace_notice, settings.llm.key_notice, settings.embeddings.key_notice):
        if notice:
            Console(stderr=True).print(f"warning: {printable(notice)}", markup=False, highlight=False)
    handler: Handler = args.handler
    try:
        return handler(args, ws, settings, console)
    except KeyboardInterrupt:
        Console(stderr=True).print("[yellow]interrupted[/]")
        return 130
    except user_errors() as e:
        # made printable and escaped (a message may quote `briefwright[local]`), unwrapped (it may end with a command
        # to copy)
        Console(stderr=True).print(f"[red]error:[/] {safe(e)}", soft_wrap=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
