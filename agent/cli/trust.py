"""``brief trust DIR``: let a case folder's ``config.toml`` choose endpoints, models and limits (see
:mod:`agent.core.trust`). ``--revoke`` takes it back, ``--list`` shows every trusted folder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from agent.core.display import printable
from agent.core.paths import Workspace
from agent.core.settings import USER_ONLY_KEYS, Settings, read_toml, redact_url, split_workspace_config


def register(sub: Any) -> None:
    s = sub.add_parser(
        "trust",
        help="let a workspace's config.toml choose endpoints, models and limits (it describes the case either way)",
    )
    s.add_argument("dir", nargs="?", type=Path, help="the workspace folder (default: the one in use, -w)")
    what = s.add_mutually_exclusive_group()
    what.add_argument("--revoke", action="store_true", help="trust it no more")
    what.add_argument("--list", action="store_true", help="the folders you trust, and whether their config changed")
    s.set_defaults(handler=cmd_trust)


def _shown(key: str, value: object) -> str:
    if "key" in key.rsplit(".", 1)[-1]:
        return "(set)"
    if isinstance(value, str) and "://" in value:
        return redact_url(value)
    return repr(value)


def cmd_trust(args: argparse.Namespace, ws: Workspace, settings: Settings, console: Console) -> int:
    from agent.core import trust

    def say(line: str) -> None:
        console.print(printable(line), markup=False, highlight=False)

    if args.list:
        rows = trust.records()
        if not rows:
            say("You trust no workspace. `brief trust DIR` trusts one.")
        for r in rows:
            state = trust.state(Workspace.at(r.path))
            note = {"trusted": "config unchanged", "changed": "config.toml CHANGED since: its settings are ignored"}
            say(f"{r.path}  (trusted {r.trusted_at}; {note.get(state.level, state.level)})")
        return 0
    target = Workspace.at(args.dir) if args.dir else ws
    if args.revoke:
        found = trust.revoke(target)
        say(f"{target.root}: {'no longer trusted' if found else 'was not trusted'}.")
        return 0
    if not target.root.is_dir():
        Console(stderr=True).print(printable(f"error: no such folder: {target.root}"), markup=False)
        return 2
    try:
        data = read_toml(target.config_file)
    except ValueError as e:
        Console(stderr=True).print(printable(f"error: {e}"), markup=False)
        return 2
    used, _ = split_workspace_config(data, trusted=True)
    _, held = split_workspace_config(data, trusted=False)
    record = trust.trust(target)
    say(f"Trusted {record.path} (its config.toml as it is now, SHA-256 {(record.config_sha256 or 'none')[:16]}…).")
    unlocked = [k for k in held if k not in USER_ONLY_KEYS]
    if unlocked:
        say("Its config.toml now also sets:")
        for dotted in unlocked:
            section, _, key = dotted.partition(".")
            value = used[section][key] if key else used[section]
            say(f"  {dotted} = {_shown(dotted, value)}")
    else:
        say("Its config.toml sets nothing beyond what any case folder may set.")
    never = [k for k in held if k in USER_ONLY_KEYS]
    if never:
        say(f"Still ignored (yours alone to set, in your own config or environment): {', '.join(never)}.")
    say("If its config.toml changes, it is ignored again until you trust it again. Undo: brief trust --revoke DIR.")
    return 0
