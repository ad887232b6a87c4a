"""``brief review`` (the terminal UI) and ``brief export`` (md, json, html)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from agent.core.contracts import Draft
from agent.core.display import safe
from agent.core.paths import Workspace
from agent.core.settings import Settings


def register(sub: Any) -> None:
    s = sub.add_parser("export", help="write a reviewed draft as md, json or html")
    s.add_argument("draft", nargs="?", help="draft id or path (default: the latest)")
    s.add_argument("--format", "-f", choices=["md", "json", "html"], default="md")
    s.add_argument("--include-pending", action="store_true", help="also unreviewed claims, marked UNVERIFIED")
    s.add_argument(
        "-o",
        "--output",
        type=Path,
        help="file to write, or a folder to write DRAFT.FORMAT into (default: WORKSPACE/exports/DRAFT.FORMAT)",
    )
    s.add_argument("--stdout", action="store_true", help="print instead of writing a file")
    s.set_defaults(handler=cmd_export)

    s = sub.add_parser("review", help="verify a draft claim by claim in the terminal UI")
    s.add_argument("draft", nargs="?", help="draft id or path (default: the latest)")
    s.add_argument("--read-only", action="store_true", help="browse without recording decisions")
    s.set_defaults(handler=cmd_review)


def reviewed_draft(ws: Workspace, draft_id: str | None) -> Draft:
    """The draft with its review journal replayed (read-only: no lock needed)."""
    from agent.core.drafts import load_draft
    from agent.review.session import ReviewSession

    draft = load_draft(ws, draft_id)
    session = ReviewSession(ws, draft, reviewer="export", read_only=True)
    try:
        return session.current_draft()
    finally:
        session.close()


def cmd_export(args: argparse.Namespace, ws: Workspace, settings: Settings, console: Console) -> int:
    from agent.corpus.store import Store
    from agent.export.render import brief_text, export_brief

    try:
        draft = reviewed_draft(ws, args.draft)
    except FileNotFoundError as e:
        Console(stderr=True).print(f"[red]error:[/] {safe(e)}")
        return 1
    store = Store(ws.store_db)
    try:
        if args.stdout:
            sys.stdout.write(
                brief_text(draft, ws, store.find_document, args.format, include_pending=args.include_pending)
            )
            return 0
        path = export_brief(
            draft, ws, store.find_document, args.format, include_pending=args.include_pending, out=args.output
        )
    except OSError as e:  # a folder that cannot be written, a file where a folder should be…
        Console(stderr=True).print(f"[red]error:[/] cannot write the export: {safe(e)}")
        return 1
    finally:
        store.close()
    claims = draft.claims()
    verified = sum(1 for c in claims if c.status in ("accepted", "edited"))
    pending = sum(1 for c in claims if c.status == "pending")
    console.print(
        f"Wrote {safe(path)} ({verified} verified claims"
        f"{f', {pending} unverified included' if args.include_pending else ''}; "
        f"{pending} still pending review)"
    )
    return 0


def cmd_review(args: argparse.Namespace, ws: Workspace, settings: Settings, console: Console) -> int:
    from agent.core.drafts import load_draft
    from agent.review.session import ReviewLocked, ReviewSession
    from agent.review_backend import ServicesBackend
    from agent.services import open_services

    try:
        draft = load_draft(ws, args.draft)
    except FileNotFoundError as e:
        Console(stderr=True).print(f"[red]error:[/] {safe(e)}")
        return 1
    from tui.keymap import KeymapError, check_keymap  # type: ignore[attr-defined,unused-ignore]

    try:
        check_keymap(settings.review.keys)
    except KeymapError as e:
        Console(stderr=True).print(f"[red]error:[/] {safe(e)}")
        return 2
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        Console(stderr=True).print("[red]error:[/] `brief review` needs an interactive terminal")
        return 2
    try:
        session = ReviewSession(ws, draft, reviewer=settings.review.reviewer, read_only=args.read_only)
    except ReviewLocked as e:
        Console(stderr=True).print(f"[red]error:[/] {safe(e)}\nUse `brief review --read-only` to browse meanwhile.")
        return 1
    from tui import run_review  # type: ignore[attr-defined,unused-ignore]

    with open_services(ws, settings) as services, session:
        run_review(session, ServicesBackend(services), settings.review.keys)
    return 0
