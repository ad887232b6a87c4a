"""The timeline view: dated events in date order (enter opens the cited sentence in its source), then the
contradictions between sources and the ranges of figures they give, each with its sentences."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from agent.core.contracts import Citation, Draft, SourceDocument, SourceProfile, TimelineEvent
from agent.core.display import printable
from agent.review.session import ReviewBackend
from tui.render import grade_style, plain
from tui.source import SourceScreen

TIMELINE_BINDINGS: list[BindingType] = [
    Binding("escape,q", "close", "Back", id="timeline.close"),
    Binding("o", "open_event", "Open source", id="timeline.open"),
    Binding("pagedown", "scroll_details(1)", "Scroll details down", id="timeline.details_down", show=False),
    Binding("pageup", "scroll_details(-1)", "Scroll details up", id="timeline.details_up", show=False),
]


def event_order(events: list[TimelineEvent]) -> list[TimelineEvent]:
    """Date order; ISO strings of any precision sort right ("2024" < "2024-08" < "2024-08-06")."""
    return sorted(events, key=lambda e: (e.date, e.text))


class TimelineScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = TIMELINE_BINDINGS

    def __init__(self, draft: Draft, backend: ReviewBackend, profiles: dict[str, SourceProfile]) -> None:
        super().__init__()
        self.draft = draft
        self.backend = backend
        self.profiles = profiles
        self.events = event_order(list(draft.timeline))

    def compose(self) -> ComposeResult:
        yield Static(id="view-title", classes="view-title")
        yield DataTable(id="timeline-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="timeline-details", can_focus=False):
            yield Static(id="timeline-checks")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        title = Text("Timeline", style="bold")
        title.append(f"   {len(self.events)} dated events · enter or o: the cited sentence in its source", style="dim")
        self.query_one("#view-title", Static).update(title)
        table = self.query_one(DataTable)
        table.add_column("Date", width=10, key="date")
        table.add_column("Event", width=72, key="event")
        table.add_column("Sources", width=7, key="sources")
        table.add_column("Cited", width=20, key="cited")
        for n, e in enumerate(self.events):
            table.add_row(
                plain(e.date, style="bold"),
                plain(e.text),
                Text(str(e.sources), justify="right", style="" if e.sources > 1 else "dim"),
                self._cited(e.citations),
                key=str(n),
                height=None,  # as many lines as the event's text needs
            )
        if not self.events:
            table.display = False
        else:
            table.focus()
        self.query_one("#timeline-checks", Static).update(self._checks())

    def _label(self, doc_id: str) -> Text:
        p = self.profiles.get(doc_id)
        if p is None:
            try:
                return plain(self.backend.document(doc_id).label()[:40], style="italic")
            except Exception:
                return plain(doc_id, style="dim")
        out = Text()
        out.append(printable(p.outlet or p.label[:40]), style="italic")
        out.append(f" {p.grade}", style=grade_style(p))
        return out

    def _cited(self, citations: list[Citation]) -> Text:
        outlets = []
        for c in citations:
            p = self.profiles.get(c.doc_id)
            name = (p.outlet or p.label) if p else c.doc_id
            if name not in outlets:
                outlets.append(name)
        return plain(", ".join(outlets), overflow="ellipsis", no_wrap=True)

    def _quote(self, cit: Citation) -> Text:
        out = Text("    ")
        out.append_text(self._label(cit.doc_id))
        out.append(": ", style="dim")
        out.append(printable(f"“{' '.join(cit.quote.split())}”"))
        return out

    def _checks(self) -> RenderableType:
        # Imported here: agent.tradecraft.figures pulls in numpy, ~0.1 s the review screen's start need not pay.
        from agent.tradecraft.figures import range_text

        parts: list[RenderableType] = []
        if not self.events:
            parts.append(Text("No dated events in this draft (drafted before the timeline was built).\n", style="dim"))
        parts.append(Text(f"Contradictions ({len(self.draft.contradictions)})", style="bold"))
        if not self.draft.contradictions:
            parts.append(Text("  None found between the sources.", style="dim"))
        for c in self.draft.contradictions:
            head = Text("  ")
            head.append(printable(f"⚠ {c.kind}: "), style="bold yellow")
            head.append(printable(c.about), style="bold")
            head.append(printable(" — " + " vs ".join(c.values)))
            parts.append(head)
            parts += [self._quote(cit) for cit in c.citations]
        parts.append(Text(""))
        parts.append(Text(f"Figures ({len(self.draft.figures)})", style="bold"))
        if not self.draft.figures:
            parts.append(Text("  No figure given by the sources for a common quantity.", style="dim"))
        for f in self.draft.figures:
            head = Text("  ")
            if f.disagree:
                head.append("⚠ ", style="bold yellow")
            head.append(printable(f.quantity), style="bold")
            head.append(printable(f": {range_text(f)}"))
            head.append(
                f"  ({f.sources} source{'s' if f.sources != 1 else ''}"
                f"{', independent sources disagree' if f.disagree else ''})",
                style="yellow" if f.disagree else "dim",
            )
            parts.append(head)
            for fig in f.figures:
                line = Text("    ")
                line.append(printable(fig.text), style="bold")
                line.append(" — ", style="dim")
                line.append_text(self._label(fig.doc_id))
                line.append(": ", style="dim")
                line.append(printable(f"“{' '.join(fig.citation.quote.split())}”"))
                parts.append(line)
        return Group(*parts)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_event()

    def action_open_event(self) -> None:
        table = self.query_one(DataTable)
        if not self.events or not table.display:
            return
        event = self.events[min(table.cursor_row, len(self.events) - 1)]
        try:
            docs: dict[str, SourceDocument] = {c.doc_id: self.backend.document(c.doc_id) for c in event.citations}
        except Exception as e:
            self.notify(f"Cannot open the source: {e}", severity="error")
            return
        if not event.citations:
            self.notify("This event cites no sentence.", severity="warning")
            return
        self.app.push_screen(SourceScreen(event.citations, docs, profiles=self.profiles))

    def action_scroll_details(self, delta: int) -> None:
        details = self.query_one("#timeline-details", VerticalScroll)
        details.scroll_relative(y=delta * max(1, details.size.height - 1), animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
