"""``brief eval``: draft eval cases offline and score them against their gold briefs (see ``evals/``)."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from agent.core.paths import Workspace
from agent.core.settings import Settings


def register(sub: Any) -> None:
    from evals.runner import add_eval_arguments

    s = sub.add_parser(
        "eval", help="draft and score eval cases, against their gold briefs where they have one (offline evaluation)"
    )
    add_eval_arguments(s)
    s.set_defaults(handler=cmd_eval)


def cmd_eval(args: argparse.Namespace, ws: Workspace, settings: Settings, console: Console) -> int:
    from evals.runner import cli_main

    return cli_main(args, settings, console)
