"""The list of sections and claims: a virtual, line-per-row widget.

Drafts can run to a thousand claims. A widget per row (ListView, Tree nodes) or an OptionList (which
re-measures every option when one prompt changes) makes each decision cost time proportional to the
draft; here a row is one line rendered on demand from the session (Textual's Line API), so opening,
moving and deciding cost only the rows on screen.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from typing import ClassVar, Literal

from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from agent.core.display import printable
from agent.review.session import ReviewSession
from tui.render import badge


@dataclass(frozen=True)
class Row:
    kind: Literal["section", "claim"]
    key: str  # section key or claim id
    number: int = 0  # the section's 1-based position (for the jump keys)


class ClaimList(ScrollView, can_focus=False):
    """Sections (with counts) and their claims (with badges); one highlighted row, the claim under review.

    Not focusable on purpose: the review screen owns every key, so a list binding can never shadow
    a review binding (space, tab, arrows). The mouse still works: clicking a claim posts :class:`Picked`.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "claim-list--cursor",
        "claim-list--section",
        "claim-list--done",
    }

    class Picked(Message):
        """A claim row was clicked."""

        def __init__(self, claim_id: str) -> None:
            super().__init__()
            self.claim_id = claim_id

    def __init__(self, session: ReviewSession, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session = session
        self.rows: list[Row] = []
        self._index: dict[str, int] = {}
        self.cursor_id: str | None = None
        self._strips: dict[tuple[Row, int, bool], tuple[object, Strip]] = {}
        self._styles_ready = False

    # ------------------------------------------------------------------ content

    def set_rows(self, rows: list[Row]) -> None:
        self.rows = rows
        self._index = {r.key: i for i, r in enumerate(rows) if r.kind == "claim"}
        self.virtual_size = Size(self.size.width, len(rows))
        self.refresh()

    def claim_ids(self) -> list[str]:
        return [r.key for r in self.rows if r.kind == "claim"]

    def row_of(self, claim_id: str) -> int | None:
        return self._index.get(claim_id)

    def move_to(self, claim_id: str | None) -> None:
        """Highlight a claim and scroll it into view (no message: the screen decided this)."""
        old = self.row_of(self.cursor_id) if self.cursor_id else None
        self.cursor_id = claim_id
        row = self.row_of(claim_id) if claim_id else None
        if row is not None:
            height = max(1, self.scrollable_content_region.height)
            top = int(self.scroll_offset.y)
            if row < top + 1:
                self.scroll_to(y=max(0, row - 1), animate=False, immediate=True)
            elif row >= top + height:
                self.scroll_to(y=row - height + 1, animate=False, immediate=True)
        # Only the two rows whose highlight changed are redrawn (a scroll redraws what it must).
        for r in (old, row):
            if r is not None:
                self.refresh_line(r)

    def refresh_claim(self, claim_id: str) -> None:
        """A claim changed: redraw its row and its section's header (counts)."""
        row = self.row_of(claim_id)
        if row is None:
            return
        self.refresh_line(row)
        for r in range(row, -1, -1):
            if self.rows[r].kind == "section":
                self.refresh_line(r)
                break

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles_ready = False
        self._strips.clear()

    def _load_styles(self) -> None:
        """Resolving a widget's styles walks the DOM; do it once per theme change, not per line."""
        self._base = self.rich_style
        self._cursor_style = self.get_component_rich_style("claim-list--cursor")
        self._section_style = self.get_component_rich_style("claim-list--section")
        self._done_style = self.get_component_rich_style("claim-list--done")
        self._styles_ready = True

    # ------------------------------------------------------------------ rendering

    def render_line(self, y: int) -> Strip:
        if not self._styles_ready:
            self._load_styles()
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width or self.size.width
        if index >= len(self.rows):
            return Strip.blank(width, self._base)
        row = self.rows[index]
        # Rows are cached on what they show: the (immutable) claim object or the section's counts.
        subject: object = self.session.claim(row.key) if row.kind == "claim" else astuple(self.session.counts(row.key))
        cursor = row.kind == "claim" and row.key == self.cursor_id
        key = (row, width, cursor)
        cached = self._strips.get(key)
        # Claims are immutable snapshots replaced on every decision, so identity says "unchanged".
        if cached is not None and (cached[0] is subject if row.kind == "claim" else cached[0] == subject):
            strip = cached[1]
        else:
            text = self._row_text(row, width)
            if cursor:
                text.stylize(self._cursor_style)
            strip = Strip(text.render(self.app.console), text.cell_len).crop_extend(0, width, self._base)
            if len(self._strips) > 4096:
                self._strips.clear()
            self._strips[key] = (subject, strip)
        return strip.apply_offsets(scroll_x, index)

    def _row_text(self, row: Row, width: int) -> Text:
        if row.kind == "section":
            counts = self.session.counts(row.key)
            style = self._section_style
            title = printable(self.session.section_title(row.key))
            right = f" {counts.reviewed}/{counts.total}"
            if counts.done and counts.total:
                right = f" ✓ {counts.total}/{counts.total}"
            left_out = len(self.session.section_notes(row.key))
            if left_out:
                right = f" ◌{left_out}" + right  # parts drafting left to the analyst (listed in the claim pane)
            left = f"{row.number}. {title}" if row.number <= 9 else title
            room = max(1, width - len(right))
            text = Text(left[:room].ljust(room), style=style)
            text.append(right, style=self._done_style if counts.done else style)
            return text
        claim = self.session.claim(row.key)
        text = Text("  ", style=self._base)
        text.append_text(badge(claim))
        text.append(" ")
        body = claim.final_text if claim.status == "edited" else claim.text
        label = f"{claim.label}: " if claim.label else ""
        room = max(1, width - text.cell_len - 1)
        line = printable((label + body).replace("\n", " "))
        if len(line) > room:
            line = line[: room - 1] + "…"
        text.append(line, style="dim strike" if claim.status == "rejected" else "")
        text.set_length(width)
        return text

    # ------------------------------------------------------------------ mouse

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = int(self.scroll_offset.y) + offset.y
        if 0 <= index < len(self.rows) and self.rows[index].kind == "claim":
            self.post_message(self.Picked(self.rows[index].key))

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.rows))
