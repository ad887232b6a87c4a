"""The sources view: one row per source document with its profile and Admiralty grade, graded by the analyst.

Reliability (A-F) and type are the analyst's to set: a letter key sets the highlighted source's reliability,
``t`` cycles its type. The setting goes to the workspace's ``sources.toml`` through the backend (the same file
``brief sources set`` writes), and the row shows the profile re-read from it, so what is on screen is what
was saved. Credibility (1-6) is code's grade of what the source states and is not set here.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from agent.core.contracts import CREDIBILITY_TERMS, RELIABILITY_TERMS, Draft, SourceProfile
from agent.core.display import printable
from agent.review.session import ReviewBackend
from agent.tradecraft.profiles import SOURCE_TYPES
from tui.render import grade_style, plain

CUE_SHORT = {"anonymous": "anon", "unnamed-official": "unnamed", "state-media": "state", "hedged": "hedged"}

SOURCES_BINDINGS: list[BindingType] = [
    Binding("escape,q", "close", "Back", id="sources.close"),
    Binding("a,A", "reliability('A')", "Reliability A-F", id="sources.reliability", key_display="A-F"),
    *(
        Binding(
            f"{r.lower()},{r}", f"reliability('{r}')", f"Reliability {r}", id=f"sources.reliability_{r}", show=False
        )
        for r in "BCDEF"
    ),
    Binding("t", "cycle_type", "Cycle type", id="sources.type"),
]


def cue_counts(p: SourceProfile) -> str:
    return ", ".join(f"{CUE_SHORT.get(k, k)} {n}" for k, n in sorted(p.cues.items())) or "none"


class SourcesScreen(Screen[None]):
    """Every source of the draft with its type, reliability, credibility, grade and sourcing cues."""

    BINDINGS: ClassVar[list[BindingType]] = SOURCES_BINDINGS

    def __init__(self, draft: Draft, backend: ReviewBackend) -> None:
        super().__init__()
        self.draft = draft
        self.backend = backend
        self.profiles: list[SourceProfile] = []

    def compose(self) -> ComposeResult:
        yield Static(id="view-title", classes="view-title")
        yield DataTable(id="sources-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="sources-detail", classes="view-detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        title = Text("Sources", style="bold")
        title.append(
            "   reliability A-F: the source's (registry, or yours: ✎) · credibility 1-6: code's, of what it states",
            style="dim",
        )
        self.query_one("#view-title", Static).update(title)
        table = self.query_one(DataTable)
        for label, width in (
            ("Source · outlet (from)", 30),
            ("Type", 10),
            ("Reliability", 19),
            ("Credibility", 15),
            ("Grade", 5),
            ("Cues", 18),
            ("Weak", 4),
        ):
            table.add_column(label, width=width, key=label)
        self.load()
        if not self.profiles:
            table.display = False
            self.query_one("#sources-detail", Static).update(
                Text(
                    "This draft has no source profiles (it was drafted before source grading).\n"
                    "Draft it again with `brief draft` to grade its sources; `brief sources` lists the registry.",
                    style="yellow",
                )
            )
        else:
            table.focus()

    def load(self) -> None:
        """Profiles with the analyst's current grades; on failure, the draft's own (and a notification)."""
        try:
            self.profiles = self.backend.source_profiles(self.draft)
        except Exception as e:
            self.notify(f"Cannot read the source registry ({e}); showing the grades as drafted.", severity="warning")
            self.profiles = list(self.draft.profiles)
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for p in self.profiles:
            table.add_row(*self._cells(p), key=p.doc_id, height=2)
        if self.profiles:
            table.move_cursor(row=min(max(row, 0), len(self.profiles) - 1))
            self._show_detail()

    @staticmethod
    def _cells(p: SourceProfile) -> list[Text]:
        source = plain(p.label, no_wrap=True, overflow="ellipsis")
        source.append("\n")
        source.append(printable(p.outlet or "outlet unknown"), style="italic" if p.outlet else "dim italic")
        if p.outlet_from:
            source.append(printable(f" ({p.outlet_from})"), style="dim")
        reliability = Text(f"{p.reliability} ", style="bold")
        reliability.append(RELIABILITY_TERMS[p.reliability].replace("reliability ", ""))
        if p.reliability_from == "analyst":
            reliability.append(" ✎", style="bold cyan")
        credibility = Text(f"{p.credibility} {CREDIBILITY_TERMS[p.credibility]}")
        return [
            source,
            plain(p.type, style="" if p.type != "unknown" else "dim"),
            reliability,
            credibility,
            Text(p.grade, style=grade_style(p)),
            plain(cue_counts(p), style="" if p.cues else "dim"),
            Text("⚠", style="bold yellow") if p.weak_sourcing else Text(""),
        ]

    def current(self) -> SourceProfile | None:
        table = self.query_one(DataTable)
        if not self.profiles or not table.display:
            return None
        return self.profiles[min(table.cursor_row, len(self.profiles) - 1)]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        p = self.current()
        if p is None:
            return
        out = plain(p.label, style="bold")
        out.append(f"   grade {p.grade}\n", style=grade_style(p))
        out.append("Reliability ", style="dim")
        out.append(f"{p.reliability} ({RELIABILITY_TERMS[p.reliability]})")
        out.append(f", from {_origin(p.reliability_from)}", style="dim")
        out.append("  ·  type ", style="dim")
        out.append(printable(p.type))
        out.append(f", from {_origin(p.type_from)}", style="dim")
        out.append("  ·  credibility ", style="dim")
        out.append(f"{p.credibility} ({CREDIBILITY_TERMS[p.credibility]})\n")
        if p.author or p.published:
            out.append("By ", style="dim")
            out.append(printable(p.author or "unknown author"))
            out.append(" · ", style="dim")
            out.append(p.published.isoformat() if p.published else "date unknown")
            out.append("\n")
        out.append("Sourcing cues: ", style="dim")
        out.append(printable(cue_counts(p)))
        if p.weak_sourcing:
            out.append("   ⚠ rests largely on anonymous or state-media sourcing", style="bold yellow")
        for phrase in p.cue_phrases:
            out.append(printable(f"\n  “{phrase}”"), style="italic")
        self.query_one("#sources-detail", Static).update(out)

    # ------------------------------------------------------------------ the analyst's grades

    def _set(self, p: SourceProfile, **values: str) -> None:
        try:
            self.backend.set_source_grade(p.doc_id, **values)
        except (ValueError, OSError) as e:  # RegistryError is a ValueError: nothing was written
            self.notify(f"Grade not saved: {e}", severity="error", timeout=10)
            return
        self.load()
        now = next((q for q in self.profiles if q.doc_id == p.doc_id), p)
        what = ", ".join(f"{k} {v}" for k, v in values.items())
        self.notify(f"{now.label[:40]}: {what} saved to sources.toml; grade now {now.grade}.", timeout=4)

    def action_reliability(self, letter: str) -> None:
        if (p := self.current()) is None:
            return
        if p.reliability == letter and p.reliability_from == "analyst":
            self.notify(f"Reliability is already {letter}.")
            return
        self._set(p, reliability=letter)

    def action_cycle_type(self) -> None:
        if (p := self.current()) is None:
            return
        types = list(SOURCE_TYPES)
        self._set(p, type=types[(types.index(p.type) + 1) % len(types)])

    def action_close(self) -> None:
        self.dismiss(None)


def _origin(origin: str | None) -> str:
    return {
        "analyst": "you",
        "registry": "the outlet registry",
        "default": "the default (unknown)",
        "inferred": "the text",
        "file": "the file",
        "sidecar": "the sidecar",
    }.get(origin or "", origin or "unknown")
