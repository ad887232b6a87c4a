"""``brief draft``: draft a brief from the workspace's sources, with a progress bar per section."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from agent.core.contracts import Draft, SectionDraft
from agent.core.display import printable, safe
from agent.core.paths import Workspace
from agent.core.settings import Settings
from agent.drafting.progress import DraftProgress


def register(sub: Any) -> None:
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


class _RichProgress(DraftProgress):
    def __init__(self, progress: Progress, sections: list[SectionDraft]) -> None:
        self.p = progress
        self.tasks: dict[str, TaskID] = {}
        for s in sections:
            if s.status != "done":
                self.tasks[s.key] = progress.add_task(safe(s.title), total=1, start=False, info="waiting")

    def section_started(self, key: str, title: str, index: int, total: int) -> None:
        self.p.start_task(self.tasks[key])
        self.p.update(self.tasks[key], info="drafting…")

    def section_finished(self, section: SectionDraft) -> None:
        u = section.usage
        if section.status == "failed":
            info = f"[red]failed[/]: {safe(section.error)}"
        else:
            info = f"{len(section.claims)} claims, {u.prompt_tokens}+{u.completion_tokens} tok"
            if section.empty_reason:
                info += f" [yellow]({safe(section.empty_reason)})[/]"
        self.p.update(self.tasks[section.key], completed=1, info=info)
        self.p.stop_task(self.tasks[section.key])


def _summary(draft: Draft, elapsed: float, settings: Settings) -> dict[str, Any]:
    from agent.llm.openai_client import cost_usd

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
    from agent.core.drafts import load_draft
    from agent.corpus.ingest import ingest_paths
    from agent.drafting.pipeline import draft_brief
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
                    err.print(f"[red]✗[/] {safe(o.path)}: {safe(o.error)}")
            doc_ids = [o.doc_id for o in outcomes if o.doc_id and o.status != "skipped"]
            if not doc_ids:
                err.print("[red]error:[/] none of --sources could be ingested")
                return 1
        if services.store.count_chunks() == 0:
            err.print(f"[red]error:[/] the workspace {safe(ws.root)} has no documents: run `brief ingest PATH` first")
            return 1
        services.check_index()
        show = console.is_terminal and not (args.quiet or args.json)
        if show:
            console.print(f"[dim]LLM: {safe(services.llm.info.model)} ({safe(services.llm.info.kind)})[/]")
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
                from agent.drafting.template import load_template

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
            f"Draft [bold]{safe(draft.id)}[/]: {summary['claims']} claims, {summary['citations']} verified quotes, "
            f"{summary['flagged_unsupported']} unsupported; {summary['tokens_in']:,} tokens in, "
            f"{summary['tokens_out']:,} out, {summary['llm_calls']} calls ({summary['retries']} retries), "
            f"{summary['elapsed_s']} s" + (f", ${summary['cost_usd']:.4f}" if summary["cost_usd"] is not None else "")
        )
        if failed:
            console.print(
                f"[red]failed sections: {safe(', '.join(failed))}[/] — "
                f"`brief draft --resume {safe(draft.id)}` retries them"
            )
        for section in draft.sections:  # what drafting left to the analyst, and why
            for note in section.skipped:
                console.print(printable(f"◌ {section.title}: {note}"), markup=False, highlight=False)
        console.print(safe(f"Next: `brief review {draft.id}` to verify, then `brief export {draft.id}`."))
    return 1 if failed else 0
