"""``brief draft``, ``export``, ``review``, ``doctor`` and ``eval``: registered on the main parser."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from agent.cli import command
from agent.draft import DraftProgress
from agent.models import Draft, SectionDraft
from agent.paths import Workspace
from agent.settings import Settings


@command
def _register(sub: Any) -> None:
    s = sub.add_parser("draft", help="draft a brief from the workspace's sources")
    s.add_argument("--topic", help="what the brief is about (required unless --resume)")
    s.add_argument("--sources", nargs="+", type=Path, help="ingest these first and draft from them only")
    s.add_argument(
        "--resume",
        nargs="?",
        const="latest",
        metavar="DRAFT",
        help="continue an interrupted draft (default: the latest) without redoing finished sections",
    )
    s.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    s.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    s.set_defaults(handler=cmd_draft)

    s = sub.add_parser("export", help="write a reviewed draft as md, json or html")
    s.add_argument("draft", nargs="?", help="draft id or path (default: the latest)")
    s.add_argument("--format", "-f", choices=["md", "json", "html"], default="md")
    s.add_argument("--include-pending", action="store_true", help="also unreviewed claims, marked UNVERIFIED")
    s.add_argument("-o", "--output", type=Path, help="file to write (default: WORKSPACE/exports/DRAFT.FORMAT)")
    s.add_argument("--stdout", action="store_true", help="print instead of writing a file")
    s.set_defaults(handler=cmd_export)

    s = sub.add_parser("review", help="verify a draft claim by claim in the terminal UI")
    s.add_argument("draft", nargs="?", help="draft id or path (default: the latest)")
    s.add_argument("--read-only", action="store_true", help="browse without recording decisions")
    s.set_defaults(handler=cmd_review)

    s = sub.add_parser("doctor", help="check the endpoint, models and index")
    s.set_defaults(handler=cmd_doctor)

    s = sub.add_parser("eval", help="draft and score against gold briefs (offline evaluation)")
    from evals.runner import add_eval_arguments

    add_eval_arguments(s)
    s.set_defaults(handler=cmd_eval)


class _RichProgress(DraftProgress):
    def __init__(self, progress: Progress, sections: list[SectionDraft]) -> None:
        self.p = progress
        self.tasks: dict[str, TaskID] = {}
        for s in sections:
            if s.status != "done":
                self.tasks[s.key] = progress.add_task(s.title, total=1, start=False, info="waiting")

    def section_started(self, key: str, title: str, index: int, total: int) -> None:
        self.p.start_task(self.tasks[key])
        self.p.update(self.tasks[key], info="drafting…")

    def section_finished(self, section: SectionDraft) -> None:
        u = section.usage
        if section.status == "failed":
            info = f"[red]failed[/]: {section.error}"
        else:
            info = f"{len(section.claims)} claims, {u.prompt_tokens}+{u.completion_tokens} tok"
            if section.empty_reason:
                info += f" [yellow]({section.empty_reason})[/]"
        self.p.update(self.tasks[section.key], completed=1, info=info)
        self.p.stop_task(self.tasks[section.key])


def _summary(draft: Draft, elapsed: float, settings: Settings) -> dict[str, Any]:
    from agent.llm_openai import cost_usd

    u = draft.usage
    claims = draft.claims()
    return {
        "draft": draft.id,
        "topic": draft.topic,
        "sections": {
            s.key: {"status": s.status, "claims": len(s.claims), "error": s.error, "empty_reason": s.empty_reason}
            for s in draft.sections
        },
        "claims": len(claims),
        "citations": sum(len(c.citations) for c in claims),
        "flagged_unsupported": sum(1 for c in claims if "unsupported" in c.flags),
        "overall_confidence": draft.confidence,
        "tokens_in": u.prompt_tokens,
        "tokens_out": u.completion_tokens,
        "llm_calls": u.calls,
        "retries": u.retries,
        "cost_usd": cost_usd(u, settings.llm),
        "elapsed_s": round(elapsed, 1),
        "model": draft.provenance.model,
    }


def cmd_draft(args: argparse.Namespace, ws: Workspace, settings: Settings, console: Console) -> int:
    from agent.draft import draft_brief, load_draft, new_draft  # noqa: F401
    from agent.ingest import ingest_paths
    from agent.services import open_services

    err = Console(stderr=True)
    if not args.topic and not args.resume:
        err.print('[red]error:[/] give --topic "..." (or --resume to continue a draft)')
        return 2
    resume = None
    if args.resume:
        resume = load_draft(ws, None if args.resume == "latest" else args.resume)
    t0 = time.monotonic()
    with open_services(ws, settings) as services:
        doc_ids = None
        if args.sources:
            outcomes = ingest_paths(services, args.sources)
            for o in outcomes:
                if o.status == "failed":
                    err.print(f"[red]✗[/] {o.path}: {o.error}")
            doc_ids = [o.doc_id for o in outcomes if o.doc_id and o.status != "skipped"]
            if not doc_ids:
                err.print("[red]error:[/] none of --sources could be ingested")
                return 1
        if services.store.count_chunks() == 0:
            err.print(f"[red]error:[/] the workspace {ws.root} has no documents: run `brief ingest PATH` first")
            return 1
        show = console.is_terminal and not (args.quiet or args.json)
        if show:
            console.print(f"[dim]LLM: {services.llm.info.model} ({services.llm.info.kind})[/]")
        sections = resume.sections if resume else None
        with Progress(
            TextColumn("{task.description:<40}"),
            BarColumn(bar_width=12),
            TimeElapsedColumn(),
            TextColumn("{task.fields[info]}"),
            console=console,
            disable=not show,
        ) as progress:
            if sections is None:
                from agent.prompts import load_template

                sections = [SectionDraft(key=s.key, title=s.title) for s in load_template().sections]
            draft = draft_brief(
                services,
                args.topic or "",
                doc_ids=doc_ids,
                resume=resume,
                progress=_RichProgress(progress, sections) if show else None,
            )
    summary = _summary(draft, time.monotonic() - t0, settings)
    failed = [k for k, v in summary["sections"].items() if v["status"] == "failed"]
    if args.json:
        print(json.dumps(summary, indent=2))
    elif not args.quiet:
        console.print(
            f"Draft [bold]{draft.id}[/]: {summary['claims']} claims, {summary['citations']} verified quotes, "
            f"{summary['flagged_unsupported']} unsupported; {summary['tokens_in']:,} tokens in, "
            f"{summary['tokens_out']:,} out, {summary['llm_calls']} calls ({summary['retries']} retries), "
            f"{summary['elapsed_s']} s" + (f", ${summary['cost_usd']:.4f}" if summary["cost_usd"] is not None else "")
        )
        if failed:
            console.print(
                f"[red]failed sections: {', '.join(failed)}[/] — `brief draft --resume {draft.id}` retries them"
            )
        console.print(f"Next: `brief review {draft.id}` to verify, then `brief export {draft.id}`.")
    return 1 if failed else 0


def reviewed_draft(ws: Workspace, draft_id: str | None) -> Draft:
    """The draft with its review journal replayed (read-only: no lock needed)."""
    from agent.draft import load_draft
    from agent.review import ReviewSession

    draft = load_draft(ws, draft_id)
    session = ReviewSession(ws, draft, reviewer="export", read_only=True)
    try:
        return session.current_draft()
    finally:
        session.close()


def cmd_export(args: argparse.Namespace, ws: Workspace, settings: Settings, console: Console) -> int:
    from agent.export import export_draft, render
    from agent.store import Store

    try:
        draft = reviewed_draft(ws, args.draft)
    except FileNotFoundError as e:
        Console(stderr=True).print(f"[red]error:[/] {e}")
        return 1
    store = Store(ws.store_db)
    try:
        if args.stdout:
            sys.stdout.write(render(draft, store.find_document, args.format, args.include_pending))
            return 0
        path = export_draft(
            draft,
            store.find_document,
            args.format,
            ws.exports_dir,
            include_pending=args.include_pending,
            out=args.output,
        )
    finally:
        store.close()
    claims = draft.claims()
    verified = sum(1 for c in claims if c.status in ("accepted", "edited"))
    pending = sum(1 for c in claims if c.status == "pending")
    console.print(
        f"Wrote {path} ({verified} verified claims"
        f"{f', {pending} unverified included' if args.include_pending else ''}; "
        f"{pending} still pending review)"
    )
    return 0


def cmd_review(args: argparse.Namespace, ws: Workspace, settings: Settings, console: Console) -> int:
    from agent.draft import load_draft
    from agent.review import ReviewLocked, ReviewSession
    from agent.review_backend import ServicesBackend
    from agent.services import open_services

    try:
        draft = load_draft(ws, args.draft)
    except FileNotFoundError as e:
        Console(stderr=True).print(f"[red]error:[/] {e}")
        return 1
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        Console(stderr=True).print("[red]error:[/] `brief review` needs an interactive terminal")
        return 2
    try:
        session = ReviewSession(ws, draft, reviewer=settings.review.reviewer, read_only=args.read_only)
    except ReviewLocked as e:
        Console(stderr=True).print(f"[red]error:[/] {e}\nUse `brief review --read-only` to browse meanwhile.")
        return 1
    from tui import run_review  # type: ignore[attr-defined,unused-ignore]

    with open_services(ws, settings) as services, session:
        run_review(session, ServicesBackend(services), settings.review.keys)
    return 0


def cmd_doctor(args: argparse.Namespace, ws: Workspace, settings: Settings, console: Console) -> int:
    from agent.doctor import doctor

    return doctor(settings, ws, out=console.print)


def cmd_eval(args: argparse.Namespace, ws: Workspace, settings: Settings, console: Console) -> int:
    from evals.runner import cli_main

    return cli_main(args, settings, console)
