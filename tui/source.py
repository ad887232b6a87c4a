"""The whole source document, scrolled to a cited span, every span of the claim highlighted."""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from agent.core.contracts import Citation, SourceDocument, SourceProfile
from agent.core.display import printable
from tui.render import SPAN_STYLE, source_line


class SourceScreen(Screen[None]):
    """One document at a time; ``n``/``p`` step through the claim's citations (across documents)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back", id="source.close"),
        Binding("n", "step(1)", "Next citation", id="source.next"),
        Binding("p", "step(-1)", "Previous citation", id="source.prev"),
        Binding("j,down", "scroll(1)", "Down", id="source.down", show=False),
        Binding("k,up", "scroll(-1)", "Up", id="source.up", show=False),
    ]

    def __init__(
        self,
        citations: list[Citation],
        docs: dict[str, SourceDocument],
        index: int = 0,
        profiles: dict[str, SourceProfile] | None = None,
    ) -> None:
        super().__init__()
        self.citations = citations
        self.docs = docs
        self.index = index
        self.profiles = profiles or {}

    def compose(self) -> ComposeResult:
        yield Static(id="source-header")
        yield VerticalScroll(id="source-body", can_focus=False)
        yield Footer()

    async def on_mount(self) -> None:
        await self._show()

    async def _show(self) -> None:
        cit = self.citations[self.index]
        doc = self.docs[cit.doc_id]
        header = source_line(doc, self.profiles.get(doc.id))
        header.append(f"\ncitation {self.index + 1} of {len(self.citations)}", style="dim")
        header.append(printable(f" · characters {cit.start}–{cit.end} · {Path(doc.path).name}"), style="dim")
        self.query_one("#source-header", Static).update(header)
        body = self.query_one("#source-body", VerticalScroll)
        await body.remove_children()
        spans = [(c.start, c.end) for c in self.citations if c.doc_id == doc.id]
        target: Static | None = None
        paragraphs = []
        for m in re.finditer(r"[^\n]+", printable(doc.text)):  # one line, one paragraph widget (offsets hold)
            text = Text(m.group())
            for s, e in spans:
                lo, hi = max(s, m.start()), min(e, m.end())
                if lo < hi:
                    text.stylize(SPAN_STYLE, lo - m.start(), hi - m.start())
            widget = Static(text, classes="paragraph")
            if target is None and m.start() <= cit.start < m.end() + 1:
                target = widget
                widget.add_class("-target")
            paragraphs.append(widget)
        await body.mount_all(paragraphs)
        if target is not None:
            self.call_after_refresh(body.scroll_to_center, target, animate=False)

    async def action_step(self, delta: int) -> None:
        self.index = (self.index + delta) % len(self.citations)
        await self._show()

    def action_scroll(self, delta: int) -> None:
        body = self.query_one("#source-body", VerticalScroll)
        body.scroll_relative(y=delta * 3, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
