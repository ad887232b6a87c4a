"""``brief ingest``, ``search`` and ``status``: the sources of a case."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from agent.cli.common import parse_date
from agent.core.display import printable, safe
from agent.core.paths import Workspace
from agent.core.settings import Settings, redact_url


def register(sub: Any) -> None:
    s = sub.add_parser("ingest", help="read source documents into the workspace's index")
    s.add_argument("paths", nargs="*", type=Path, help="files or folders (.txt, .md, .html)")
    s.add_argument(
        "--reindex",
        action="store_true",
        help="embed every stored source again with the configured embedding model (after switching models)",
    )
    s.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="read symlinks to files and folders outside the paths given (skipped and reported by default)",
    )
    s.add_argument("-q", "--quiet", action="store_true", help="no progress; print only failures")
    s.add_argument("--json", action="store_true", help="one JSON object per file on stdout")
    s.set_defaults(handler=cmd_ingest)

    s = sub.add_parser("search", help="hybrid (dense + keyword) search over the ingested chunks")
    s.add_argument("query")
    s.add_argument("-k", type=int, default=8, help="number of results (default 8)")
    s.add_argument("--doc", action="append", dest="docs", help="only this document id (repeatable)")
    s.add_argument("--since", type=parse_date, help="only documents published on/after YYYY-MM-DD")
    s.add_argument("--until", type=parse_date, help="only documents published on/before YYYY-MM-DD")
    s.add_argument("--mode", choices=["hybrid", "dense", "keyword"], default="hybrid")
    s.add_argument("--json", action="store_true", help="JSON on stdout")
    s.set_defaults(handler=cmd_search)

    s = sub.add_parser("status", help="what the workspace holds")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=cmd_status)


def cmd_ingest(args: argparse.Namespace, ws: Workspace, settings: Settings, console: Console) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from agent.core.contracts import IngestOutcome
    from agent.corpus.ingest import Skipped, ingest_paths, walk
    from agent.services import open_services

    if args.reindex:
        from agent.corpus.ingest import reindex

        with open_services(ws, settings) as services:
            done = reindex(services)
        failed = [o for o in done if o.status == "failed"]
        for o in failed:
            Console(stderr=True).print(f"✗ {printable(o.path)}: {printable(o.error)}", markup=False)
        console.print(f"re-embedded {len(done) - len(failed)} sources; {len(failed)} failed")
        return 1 if failed else 0
    if not args.paths:
        Console(stderr=True).print("error: give files or folders to ingest (or --reindex)")
        return 2
    missing = [p for p in args.paths if not p.exists()]
    for p in missing:
        console.print(f"[red]✗[/] {safe(p)}: no such file or folder")
    paths = [p for p in args.paths if p.exists()]
    # Every path an outcome will be given for (a symlink skipped included), so that the rest are attachments.
    files = [f.path if isinstance(f, Skipped) else f for f in walk(paths, follow_symlinks=args.follow_symlinks)]
    show = console.is_terminal and not (args.quiet or args.json)
    err = Console(stderr=True)
    with (
        open_services(ws, settings) as services,
        Progress(
            TextColumn("[bold]ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
            disable=not show,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task("", total=len(files))
        given = {str(f) for f in files}

        def on_file(o: IngestOutcome) -> None:
            # An e-mail's attachments (``mail.eml#report.pdf``) are outcomes of their own, not files of the count.
            progress.update(task, advance=1 if o.path in given else 0, description=safe(Path(o.path).name))
            if args.json:
                print(o.model_dump_json(), flush=True)
            elif o.status == "failed":
                err.print(f"[red]✗[/] {safe(o.path)}: {safe(o.error)}")
            elif o.status == "skipped":
                err.print(f"[yellow]-[/] {safe(o.path)}: skipped ({safe(o.error or 'not read')})")
            elif not args.quiet:
                progress.console.print(f"[green]✓[/] {safe(o.path)}: {o.status}, {o.chunks} chunks")

        outcomes = ingest_paths(services, paths, on_file=on_file, follow_symlinks=args.follow_symlinks)
    failed = [o for o in outcomes if o.status == "failed"]
    if not args.json and not args.quiet:
        counts = {s: sum(1 for o in outcomes if o.status == s) for s in ("added", "replaced", "unchanged", "skipped")}
        summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        attached = f" (attachments included: {len(outcomes) - len(files)})" if len(outcomes) > len(files) else ""
        console.print(f"{len(outcomes)} files{attached}: {summary or 'nothing ingested'}; {len(failed)} failed")
    return 1 if failed or missing else 0


def cmd_search(args: argparse.Namespace, ws: Workspace, settings: Settings, console: Console) -> int:
    from agent.services import open_services

    with open_services(ws, settings) as services:
        if services.store.count_chunks() == 0:
            Console(stderr=True).print(
                f"The workspace {safe(ws.root)} has no documents yet: run `brief ingest PATH` first."
            )
            return 1
        services.check_index()
        hits = services.retriever.search(
            args.query, args.k, doc_ids=args.docs, since=args.since, until=args.until, mode=args.mode
        )
    if args.json:
        print(json.dumps([h.model_dump(mode="json") for h in hits], ensure_ascii=False, indent=2))
        return 0
    table = Table(show_lines=True, title=f"{len(hits)} results for {safe(repr(args.query))}")
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("document")
    table.add_column("offsets")
    table.add_column("text", ratio=3)
    for n, h in enumerate(hits, 1):
        doc = h.doc_title or h.chunk.doc_id
        meta = " · ".join(x for x in (h.outlet, h.published.isoformat() if h.published else None) if x)
        ranks = f"dense {h.dense_rank or '-'} / kw {h.keyword_rank or '-'}"
        snippet = h.chunk.text if len(h.chunk.text) <= 300 else h.chunk.text[:300] + "…"
        table.add_row(
            str(n),
            f"{h.score:.4f}\n[dim]{ranks}[/]",
            f"{safe(doc)}\n[dim]{safe(meta)} {safe(h.chunk.doc_id)}[/]",
            f"{h.chunk.start}–{h.chunk.end}",
            safe(snippet),
        )
    console.print(table)
    return 0


def cmd_status(args: argparse.Namespace, ws: Workspace, settings: Settings, console: Console) -> int:
    from agent.services import open_services

    with open_services(ws, settings) as services:
        docs = services.store.documents()
        n_chunks = services.store.count_chunks()
        drafts = sorted(ws.drafts_dir.glob("*.json"), key=lambda p: p.stat().st_mtime)
        info: dict[str, Any] = {
            "workspace": str(ws.root),
            "documents": len(docs),
            "chunks": n_chunks,
            "index": redact_url(settings.index.chroma_url) or str(ws.chroma_dir),
            "drafts": [p.stem for p in drafts],
            "llm": redact_url(settings.llm.base_url) or f"embedded llama-server ({settings.llm.local_model})",
        }
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    console.print(f"[bold]Workspace[/] {safe(info['workspace'])}")
    console.print(f"  {len(docs)} documents, {n_chunks} chunks; index: {safe(info['index'])}")
    for d in docs:
        console.print(
            f"  • {safe(d.label())} "
            f"[dim]{safe(d.outlet or 'outlet unknown')} · {d.published or 'date unknown'} · {safe(d.id)}[/]"
        )
    console.print(f"  drafts: {safe(', '.join(info['drafts']) or 'none')}")
    console.print(f"  LLM: {safe(info['llm'])}")
    return 0
