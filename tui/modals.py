"""Modal dialogs of the review UI. Each returns its answer with ``dismiss`` (``None`` = cancelled)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, SelectionList, Static, TextArea
from textual.widgets.selection_list import Selection

from agent.core.contracts import Chunk, Claim
from agent.core.display import printable
from tui.render import plain, word_diff


class TextPrompt(ModalScreen[str | None]):
    """One line of text: a reject reason, a note, a search, redraft guidance.

    Enter submits (an empty answer is an answer: "reject without a reason"); Escape cancels.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, title: str, *, value: str = "", placeholder: str = "", hint: str = "") -> None:
        super().__init__()
        self.title_text, self.value, self.placeholder, self.hint = title, value, placeholder, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog prompt"):
            yield Label(plain(self.title_text), classes="dialog-title")
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Label(self.hint or "Enter to confirm · Esc to cancel", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class EditDialog(ModalScreen[str | None]):
    """Multi-line editor for a claim's text; the drafted original stays in view above it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="edit.save"),
        Binding("ctrl+l", "clear", "Clear text", id="edit.clear"),
        Binding("escape", "cancel", "Cancel", id="edit.cancel"),
    ]

    def __init__(self, claim: Claim) -> None:
        super().__init__()
        self.claim = claim

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog edit"):
            yield Label(
                plain(f"Edit claim{f' — {self.claim.label}' if self.claim.label else ''}"), classes="dialog-title"
            )
            yield Label("Original (drafted):", classes="dialog-hint")
            yield Static(plain(self.claim.text), id="edit-original")  # model text: never markup
            yield Label("Your wording (kept beside the original):", classes="dialog-hint")
            yield TextArea(self.claim.edited_text or self.claim.text, id="edit-text", soft_wrap=True)
            yield Label("ctrl+l clears the text to write it anew · f7 selects all", classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save  ctrl+s", variant="primary", id="edit-save")
                yield Button("Cancel  esc", id="edit-cancel")

    def action_clear(self) -> None:
        """Rewriting a claim from scratch is common; the original stays in view above."""
        area = self.query_one(TextArea)
        area.clear()
        area.focus()

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "edit-save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class RedraftDialog(ModalScreen[bool]):
    """Old and new versions side by side as a word diff: take the new one (t) or keep the old (k)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "take", "Take new", id="redraft.take"),
        Binding("k,escape", "keep", "Keep old", id="redraft.keep"),
    ]

    def __init__(self, old: Claim, new: Claim, guidance: str) -> None:
        super().__init__()
        self.old, self.new, self.guidance = old, new, guidance

    def compose(self) -> ComposeResult:
        left, right = word_diff(self.old.text, self.new.text)
        with Vertical(classes="dialog redraft"):
            yield Label("Redrafted claim", classes="dialog-title")
            yield Label(Text.assemble(("Guidance: ", "bold"), (printable(self.guidance or "(none)"), "italic")))
            with Horizontal(classes="diff"):
                with Vertical(classes="diff-side"):
                    yield Label("Current", classes="dialog-hint")
                    yield Static(left, id="diff-old")
                with Vertical(classes="diff-side"):
                    yield Label("Redrafted", classes="dialog-hint")
                    yield Static(right, id="diff-new")
            cites = len(self.new.citations)
            yield Label(
                f"The new version has {cites} citation{'s' if cites != 1 else ''}; taking it sets the claim back "
                "to pending so its evidence is checked.",
                classes="dialog-hint",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Take new  t", variant="primary", id="redraft-take")
                yield Button("Keep old  k", id="redraft-keep")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "redraft-take")

    def action_take(self) -> None:
        self.dismiss(True)

    def action_keep(self) -> None:
        self.dismiss(False)


class AddClaimDialog(ModalScreen[tuple[str, list[str]] | None]):
    """Write a claim by hand and tick the evidence chunks that support it (none is allowed, but flagged)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Add", id="add.save"),
        Binding("escape", "cancel", "Cancel", id="add.cancel"),
    ]

    def __init__(self, section_title: str, chunks: list[tuple[Chunk, str]]) -> None:
        super().__init__()
        self.section_title = section_title
        self.chunks = chunks  # (chunk, source label)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog add"):
            yield Label(plain(f"Add a claim to {self.section_title}"), classes="dialog-title")
            yield TextArea("", id="add-text", soft_wrap=True)
            yield Label(
                "Evidence from this section's pack (space to tick; none = flagged unsupported):",
                classes="dialog-hint",
            )
            yield SelectionList[str](
                *(
                    Selection(plain(f"{label}: {chunk.text[:90].replace(chr(10), ' ')}…"), chunk.id)
                    for chunk, label in self.chunks
                ),
                id="add-evidence",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Add  ctrl+s", variant="primary", id="add-save")
                yield Button("Cancel  esc", id="add-cancel")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "add-save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        text = self.query_one(TextArea).text.strip()
        if not text:
            self.notify("Write the claim first.", severity="warning", markup=False)
            return
        self.dismiss((text, list(self.query_one(SelectionList).selected)))

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """Every key of the review screen and its views, with the keys actually in force (after remapping).
    A row without a binding id is a heading."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "close", "Close", id="help.close")]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows  # (keys, description, binding id)

    def compose(self) -> ComposeResult:
        text = Text()
        for keys, description, binding_id in self.rows:
            if not binding_id:  # a heading: the keys of one of the views
                text.append(f"\n{description}\n", style="bold")
                continue
            text.append(f"{keys:>16}  ", style="bold cyan")
            text.append(description)
            text.append(f"   ({binding_id})\n", style="dim")
        with Vertical(classes="dialog help"):
            yield Label("Review keys", classes="dialog-title")
            with VerticalScroll():
                yield Static(text)
            yield Label(
                plain('Remap keys in your own ~/.config/briefwright/config.toml:  [review.keys]  accept = "y"'),
                classes="dialog-hint",
            )

    def action_close(self) -> None:
        self.dismiss(None)
