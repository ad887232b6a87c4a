"""The ACH matrix view (Heuer's Analysis of Competing Hypotheses): hypotheses across, evidence down.

Each cell is consistent (C), inconsistent (I), not applicable (N) or unmarked (·). A mark the model made shows in
parentheses, dim; the analyst's own marks are bold. Marking a cell is a review decision like accepting a claim:
:meth:`~agent.review.session.ReviewSession.mark_ach` writes it to the journal (fsync'd) before the screen
changes, and undo / redo work on it. Code scores the matrix: per hypothesis the inconsistent items (the fewest
wins), per item whether it is diagnostic (marked differently across hypotheses).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from agent.core.contracts import AchCell, AchMark, AchMatrix, ReviewEvent, SourceProfile
from agent.core.display import printable
from agent.review.session import ReviewError, ReviewSession
from agent.tradecraft import ach
from tui.render import grade_style, plain

ACH_BINDINGS: list[BindingType] = [
    Binding("escape,q", "close", "Back", id="ach.close"),
    Binding("c", "mark('C')", "Consistent", id="ach.consistent"),
    Binding("i", "mark('I')", "Inconsistent", id="ach.inconsistent"),
    Binding("n", "mark('N')", "Not applicable", id="ach.not_applicable"),
    Binding("backspace,space,delete", "mark('')", "Clear", id="ach.clear", key_display="⌫"),
    Binding("u,ctrl+z", "undo", "Undo", id="ach.undo"),
    Binding("ctrl+y", "redo", "Redo", id="ach.redo", show=False),
]
MARK_STYLE = {"C": "bold green", "I": "bold red", "N": "bold blue"}
EVIDENCE_WIDTH = 46
SOURCE_WIDTH = 24
FIRST_HYPOTHESIS = 2  # the column of the first hypothesis (after evidence and source)
DIAG_COLUMN = "diagnostic"


def cell_text(cell: AchCell) -> Text:
    if cell.mark is None:
        return Text("·", style="dim", justify="center")
    if cell.by == "model":
        return Text(f"({cell.mark})", style="dim italic", justify="center")
    return Text(cell.mark, style=MARK_STYLE[cell.mark], justify="center")


class AchScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = ACH_BINDINGS

    def __init__(self, session: ReviewSession, profiles: dict[str, SourceProfile]) -> None:
        super().__init__()
        self.session = session
        self.profiles = profiles
        self.matrix: AchMatrix | None = session.ach()
        self.labels: dict[str, str] = {}
        if self.matrix is not None:
            for n, h in enumerate(self.matrix.hypotheses):
                try:
                    self.labels[h] = self.session.claim(h).label or f"Hypothesis {n + 1}"
                except KeyError:
                    self.labels[h] = f"Hypothesis {n + 1}"
        self.changed = False

    @property
    def usable(self) -> bool:
        return self.matrix is not None and len(self.matrix.hypotheses) >= 2 and bool(self.matrix.evidence)

    def compose(self) -> ComposeResult:
        yield Static(id="view-title", classes="view-title")
        yield DataTable(id="ach-table", cursor_type="cell", zebra_stripes=True)
        yield Static(id="ach-detail", classes="view-detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        title = Text("ACH matrix", style="bold")
        title.append(
            "   C consistent · I inconsistent · N not applicable · · unmarked · (C) marked by the model",
            style="dim",
        )
        self.query_one("#view-title", Static).update(title)
        table = self.query_one(DataTable)
        if not self.usable:
            table.display = False
            m = self.matrix
            why = (
                "This draft has no ACH matrix."
                if m is None
                else f"This draft's ACH matrix has {len(m.hypotheses)} hypotheses and {len(m.evidence)} evidence items."
            )
            self.query_one("#ach-detail", Static).update(
                Text(
                    f"{why}\nA matrix needs at least two hypotheses (claims labelled “Hypothesis …” in Competing "
                    "Hypotheses) and evidence. Draft again with `brief draft`: the drafting stage builds it from "
                    "the Competing Hypotheses section.",
                    style="yellow",
                )
            )
            return
        assert self.matrix is not None
        table.add_column("Evidence", width=EVIDENCE_WIDTH, key="evidence")
        table.add_column("Source", width=SOURCE_WIDTH, key="source")
        for h in self.matrix.hypotheses:
            table.add_column(plain(self.labels[h]), width=max(12, len(self.labels[h])), key=h)
        table.add_column("Diagnostic", width=10, key=DIAG_COLUMN)
        for n, e in enumerate(self.matrix.evidence, 1):
            text = " ".join(e.text.split())
            if len(text) > EVIDENCE_WIDTH - 4:
                text = text[: EVIDENCE_WIDTH - 5] + "…"
            table.add_row(plain(f"{n}. {text}"), self._source(e.citation.doc_id), *self._blank(), key=e.id)
        table.add_row(
            Text("Inconsistent (fewest wins)", style="bold"), Text(""), *self._blank(), key="score.inconsistent"
        )
        table.add_row(Text("Consistent", style="dim"), Text(""), *self._blank(), key="score.consistent")
        self.refresh_matrix()
        table.move_cursor(row=0, column=FIRST_HYPOTHESIS)
        table.focus()

    def _source(self, doc_id: str) -> Text:
        """The outlet (else title) and grade of an evidence item's source, to fit its column."""
        p = self.profiles.get(doc_id)
        if p is None:
            return plain(doc_id, style="dim", no_wrap=True, overflow="ellipsis")
        name = p.outlet or p.label
        room = SOURCE_WIDTH - len(p.grade) - 1
        out = Text()
        out.append(printable(name if len(name) <= room else name[: room - 1] + "…"), style="italic")
        out.append(f" {p.grade}", style=grade_style(p))
        return out

    def _blank(self) -> list[Text]:
        assert self.matrix is not None
        return [Text("")] * (len(self.matrix.hypotheses) + 1)

    # ------------------------------------------------------------------ state -> screen

    def refresh_matrix(self) -> None:
        """Re-read the matrix from the session (the record) and redraw every cell, the scores and the summary."""
        self.matrix = self.session.ach()
        m = self.matrix
        if m is None:
            return
        table = self.query_one(DataTable)
        for e in m.evidence:
            for h in m.hypotheses:
                table.update_cell(e.id, h, cell_text(m.cell(h, e.id)))
            d = ach.diagnostic(m, e.id)
            table.update_cell(
                e.id,
                DIAG_COLUMN,
                Text("—" if d is None else ("yes" if d else "no"), style="bold" if d else "dim", justify="center"),
            )
        best = min((s.inconsistent for s in ach.scores(m)), default=0)
        for s in ach.scores(m):
            style = "bold green" if s.marked and s.inconsistent == best else "bold"
            table.update_cell(
                "score.inconsistent", s.hypothesis, Text(str(s.inconsistent), style=style, justify="center")
            )
            table.update_cell("score.consistent", s.hypothesis, Text(str(s.consistent), style="dim", justify="center"))
        self._show_detail()

    def _current(self) -> tuple[str | None, str | None]:
        """(hypothesis id, evidence id) under the cursor; ``None`` where the cursor is on neither."""
        m = self.matrix
        table = self.query_one(DataTable)
        if m is None or not table.display:
            return None, None
        row, col = table.cursor_coordinate
        evidence = m.evidence[row].id if row < len(m.evidence) else None
        i = col - FIRST_HYPOTHESIS
        hypothesis = m.hypotheses[i] if 0 <= i < len(m.hypotheses) else None
        return hypothesis, evidence

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        m = self.matrix
        if m is None:
            return
        parts = []
        marked, total = ach.marked(m), len(m.hypotheses) * len(m.evidence)
        scores = Text(f"{marked} of {total} cells marked.  ", style="dim")
        for s in ach.scores(m):
            scores.append(printable(self.labels[s.hypothesis]), style="bold")
            scores.append(f": {s.inconsistent} inconsistent, {s.consistent} consistent   ")
        parts.append(scores)
        summary = ach.summary(m, self.labels)
        parts.append(plain(summary or "No cell is marked yet: mark cells with c, i or n.", style="bold cyan"))
        if m.note:
            parts.append(plain(m.note, style="dim italic"))
        hypothesis, evidence = self._current()
        item = next((e for e in m.evidence if e.id == evidence), None)
        if item is not None:
            n = m.evidence.index(item) + 1
            line = Text(f"\n{n}. ", style="bold")
            line.append(printable(" ".join(item.text.split())))
            p = self.profiles.get(item.citation.doc_id)
            line.append("\n   — ", style="dim")
            if p is not None:
                line.append(printable(p.label), style="italic")
                line.append(f" {p.grade}", style=grade_style(p))
            else:
                line.append(printable(item.citation.doc_id), style="dim")
            if hypothesis is not None:
                cell = m.cell(hypothesis, item.id)
                line.append(printable(f"\n   {self.labels[hypothesis]}: "), style="bold")
                if cell.mark is None:
                    line.append("unmarked", style="dim")
                else:
                    line.append(
                        f"{ach.MARK_WORDS[cell.mark]} (marked by {'you' if cell.by == 'analyst' else 'the model'})"
                    )
            parts.append(line)
        self.query_one("#ach-detail", Static).update(Group(*parts))

    # ------------------------------------------------------------------ decisions

    def _guard(self, fn: Callable[[], ReviewEvent]) -> ReviewEvent | None:
        try:
            return fn()
        except (ReviewError, ValueError, KeyError, OSError) as e:
            self.notify(str(e).strip("'\""), severity="error", timeout=8)
            return None

    def action_mark(self, mark: str) -> None:
        hypothesis, evidence = self._current()
        if hypothesis is None or evidence is None:
            self.notify("Move to a cell of a hypothesis column (arrows) to mark it.", severity="warning")
            return
        value: AchMark | None = mark or None  # type: ignore[assignment]
        if self._guard(lambda: self.session.mark_ach(hypothesis, evidence, value)):
            self.changed = True
            self.refresh_matrix()

    def action_undo(self) -> None:
        if ev := self._guard(self.session.undo):
            self.changed = True
            what = "the ACH mark" if ev.cell_after is not None else "the last claim decision"
            self.notify(f"Undid {what}.", timeout=3)
            self.refresh_matrix()

    def action_redo(self) -> None:
        if ev := self._guard(self.session.redo):
            self.changed = True
            what = "the ACH mark" if ev.cell_after is not None else "the last claim decision"
            self.notify(f"Redid {what}.", timeout=3)
            self.refresh_matrix()

    def action_close(self) -> None:
        self.dismiss(None)
