"""``brief sources``, ``timeline`` and ``contradictions``: what code found about the sources, before or after a
draft, and the analyst's grades (``brief sources set``)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from agent.cli.common import NothingToAnalyse, parse_date
from agent.core.display import safe
from agent.core.paths import Workspace
from agent.core.settings import Settings

if TYPE_CHECKING:
    from agent.drafting.analysis import Analysis
    from agent.drafting.evidence import SentenceBase


def register(sub: Any) -> None:
    s = sub.add_parser("sources", help="each source's profile and Admiralty grade; `sources set` grades one")
    s.add_argument("--draft", help="only the sources of this draft (id)")
    s.add_argument("--json", action="store_true", help="JSON on stdout")
    s.set_defaults(handler=cmd_sources)
    acts = s.add_subparsers(dest="action", metavar="ACTION")
    g = acts.add_parser("set", help="set a document's reliability, type, outlet, author or date (sources.toml)")
    g.add_argument("doc", help="document id (or a unique prefix of it)")
    g.add_argument("--reliability", help="Admiralty source reliability A-F ('' removes your grade)")
    g.add_argument("--type", help="wire, newspaper, state-media, think-tank, newsletter, blog, unknown")
    g.add_argument("--outlet")
    g.add_argument("--author")
    g.add_argument("--published", type=lambda v: parse_date(v).isoformat() if v else "", help="YYYY-MM-DD")
    g.set_defaults(handler=cmd_sources_set)

    s = sub.add_parser("timeline", help="dated events in the sources, in order, each with its sentences")
    s.add_argument("--draft", help="only the sources of this draft (id)")
    s.add_argument("--json", action="store_true", help="JSON on stdout")
    s.set_defaults(handler=cmd_timeline)

    s = sub.add_parser("contradictions", help="figures and dates the sources give differently; figure ranges")
    s.add_argument("--draft", help="only the sources of this draft (id)")
    s.add_argument("--json", action="store_true", help="JSON on stdout")
    s.set_defaults(handler=cmd_contradictions)


def _analysis(args: argparse.Namespace, ws: Workspace, settings: Settings) -> tuple[SentenceBase, Analysis]:
    from agent.core.drafts import load_draft
    from agent.drafting.analysis import analyse_sources
    from agent.services import open_services

    with open_services(ws, settings) as services:
        docs = services.store.documents()
        topic = ""
        if args.draft:
            try:
                draft = load_draft(ws, args.draft)
            except FileNotFoundError as e:
                raise NothingToAnalyse(str(e)) from e
            wanted = set(draft.provenance.source_doc_ids)
            docs = [d for d in docs if not wanted or d.id in wanted]
            topic = draft.topic
        if not docs:
            raise NothingToAnalyse(f"no documents in {ws.root}: run `brief ingest PATH...` first")
        return analyse_sources(services, docs, topic, ws.root)


def cmd_sources(args: argparse.Namespace, ws: Workspace, settings: Settings, console: Console) -> int:
    from agent.core.contracts import CREDIBILITY_TERMS, RELIABILITY_TERMS

    _, a = _analysis(args, ws, settings)
    profiles = list(a.profiles.values())
    if args.json:
        print(json.dumps([p.model_dump(mode="json") | {"grade": p.grade} for p in profiles], indent=1))
        return 0
    t = Table(title="Sources: Admiralty grade = reliability A-F (registry or you) + credibility 1-6 (code)")
    for col in ("id", "source", "type", "grade", "sourcing cues"):
        t.add_column(col, overflow="fold")
    for p in profiles:
        name = p.outlet or p.label
        cues = ", ".join(f"{k} {v}" for k, v in sorted(p.cues.items()) if k != "attributed")
        t.add_row(
            safe(p.doc_id[:10]),
            safe(name[:40]) + (f" [dim]({safe(p.outlet_from)})[/]" if p.outlet else ""),
            f"{safe(p.type)} [dim]({safe(p.type_from)})[/]",
            f"[bold]{safe(p.grade)}[/] [dim]({safe(p.reliability_from)})[/]",
            ("[yellow]weak[/] " if p.weak_sourcing else "") + safe(cues),
        )
    console.print(t)
    seen = sorted({(p.reliability, p.credibility) for p in profiles})
    legend = "; ".join(f"{r}{c}: {RELIABILITY_TERMS[r]}, {CREDIBILITY_TERMS[c]}" for r, c in seen)
    console.print(f"[dim]{legend}. weak: rests on anonymous or state-media sourcing.[/]")
    console.print(f"Grade a source: brief sources set ID --reliability B   (writes {safe(ws.root / 'sources.toml')})")
    return 0


def cmd_sources_set(args: argparse.Namespace, ws: Workspace, settings: Settings, console: Console) -> int:
    from agent.corpus.store import Store
    from agent.drafting.analysis import registry_path
    from agent.tradecraft.profiles import set_document

    store = Store(ws.store_db)
    try:
        ids = [d.id for d in store.documents() if d.id.startswith(args.doc)]
    finally:
        store.close()
    if len(ids) != 1:
        what = "no document" if not ids else f"{len(ids)} documents"
        console.print(f"[red]error:[/] {what} with id {safe(repr(args.doc))}; `brief sources` lists them")
        return 1
    values = {k: getattr(args, k) for k in ("reliability", "type", "outlet", "author", "published")}
    if all(v is None for v in values.values()):
        console.print("[red]error:[/] nothing to set: give --reliability, --type, --outlet, --author or --published")
        return 2
    path = registry_path(ws.root)
    set_document(path, ids[0], **values)
    console.print(
        f"[green]✓[/] {safe(ids[0])}: " + safe(", ".join(f"{k}={v!r}" for k, v in values.items() if v is not None))
    )
    console.print(f"  saved in {safe(path)}; drafts and exports show it from now on")
    return 0


def cmd_timeline(args: argparse.Namespace, ws: Workspace, settings: Settings, console: Console) -> int:
    base, a = _analysis(args, ws, settings)
    if args.json:
        print(json.dumps([e.model_dump(mode="json") for e in a.timeline], indent=1))
        return 0
    t = Table(title=f"Timeline: {len(a.timeline)} dated events")
    for col in ("date", "event", "sources", "cited"):
        t.add_column(col)
    for e in a.timeline:
        cited = "; ".join(dict.fromkeys(base.docs[c.doc_id].label()[:30] for c in e.citations))
        t.add_row(safe(e.date), safe(e.text), str(e.sources), safe(cited))
    console.print(t)
    return 0


def cmd_contradictions(args: argparse.Namespace, ws: Workspace, settings: Settings, console: Console) -> int:
    from agent.tradecraft.figures import range_text

    base, a = _analysis(args, ws, settings)
    if args.json:
        out = {
            "contradictions": [c.model_dump(mode="json") for c in a.contradictions],
            "figures": [f.model_dump(mode="json") for f in a.figures],
        }
        print(json.dumps(out, indent=1))
        return 0
    if not a.contradictions:
        console.print(
            "No contradictions: no two independent sources give different figures or dates for the same thing."
        )
    for c in a.contradictions:
        console.print(f"[bold red]✗ {safe(c.kind)}[/] {safe(c.about)}: {' vs '.join(safe(v) for v in c.values)}")
        for cit in c.citations:
            console.print(f"   {safe(base.docs[cit.doc_id].label()[:40])}: “{safe(cit.quote)}”")
    if a.figures:
        t = Table(title="Figures given for the same quantity")
        for col in ("quantity", "range", "sources", "figures"):
            t.add_column(col)
        for f in a.figures:
            figs = "; ".join(f"{x.text} ({base.docs[x.doc_id].label()[:30]})" for x in f.figures)
            t.add_row(safe(f.quantity), safe(range_text(f)), str(f.sources), safe(figs))
        console.print(t)
    return 0
