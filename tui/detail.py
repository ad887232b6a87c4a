"""The right-hand pane: the claim under review and its evidence, as pre-rendered lines.

Moving to the next claim must repaint in well under 50 ms. Static widgets of ``height: auto`` make
every update a DOM layout pass; here the whole pane is one Line-API widget: the claim and evidence are
rendered to lines once per selection (at the pane's width) and only the visible lines are painted.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.segment import Segment
from textual import events
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class DetailView(ScrollView, can_focus=False):
    """Shows one renderable, scrollable (mouse wheel, page keys via the screen)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._renderable: RenderableType | None = None
        self._lines: list[Strip] = []
        self._rendered_width = -1

    def show(self, renderable: RenderableType) -> None:
        self._renderable = renderable
        self._layout_lines()
        if self.scroll_offset.y:
            self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def plain_text(self) -> str:
        """Everything the pane shows (also what is scrolled out of view), as plain text."""
        return "\n".join(strip.text.rstrip() for strip in self._lines)

    def _layout_lines(self) -> None:
        width = self.scrollable_content_region.width
        self._rendered_width = width
        if width <= 0 or self._renderable is None:
            self._lines = []
        else:
            console = self.app.console
            options = console.options.update(width=width, height=None)
            lines = console.render_lines(self._renderable, options, style=self.rich_style, pad=True)
            self._lines = [
                Strip(Segment.adjust_line_length(line, width, style=self.rich_style), width) for line in lines
            ]
        # A new virtual size costs a layout pass (the whole screen repaints). Most claims fit the pane,
        # so never go below the pane's height: moving between short claims keeps the size unchanged.
        size = Size(max(width, 0), max(len(self._lines), self.scrollable_content_region.height))
        if size != self.virtual_size:
            self.virtual_size = size

    def on_resize(self, event: events.Resize) -> None:
        if self.scrollable_content_region.width != self._rendered_width:
            self._layout_lines()
            self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        return self._lines[index].crop_extend(scroll_x, scroll_x + width, self.rich_style)
