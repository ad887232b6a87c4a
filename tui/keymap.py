"""The reviewer's own key remapping, checked before the app starts.

A decision (accept, reject, edit, a grade, an ACH mark…) is something the reviewer signs. A key that moves through
the claims (``j``/``k``, arrows, tab, space, enter, page keys, the section numbers…) is pressed dozens of times
while reading; bound to a decision, reading becomes signing. So a keymap that puts a decision on a key that moves,
or a move on a decision's key, on the same screen, is refused with the keys named; so is an unknown binding id
(a typo would otherwise be ignored silently).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.binding import Binding, BindingType

DECISIONS: frozenset[str] = frozenset(
    {
        "accept",
        "edit",
        "reject",
        "note",
        "reset",
        "undo",
        "redo",
        "add_claim",
        "redraft",
        "redraft_section",
        "sources.reliability",
        "sources.type",
        "ach.consistent",
        "ach.inconsistent",
        "ach.not_applicable",
        "ach.clear",
        "ach.undo",
        "ach.redo",
        "redraft.take",
    }
)
"""Binding ids whose action is journalled as the reviewer's decision (or changes one)."""

MOVES: frozenset[str] = frozenset(
    {
        "up",
        "down",
        "left",
        "right",
        "tab",
        "shift+tab",
        "space",
        "enter",
        "escape",
        "pageup",
        "pagedown",
        "home",
        "end",
        "j",
        "k",
    }
)
"""Keys that move on every screen (lists, tables, scrolling), whatever a binding says."""

_ALIASES = {
    " ": "space",
    "\t": "tab",
    "return": "enter",
    "ctrl+m": "enter",
    "ctrl+i": "tab",
    "esc": "escape",
    "pgup": "pageup",
    "pgdn": "pagedown",
    "page_up": "pageup",
    "page_down": "pagedown",
}


class KeymapError(ValueError):
    """A keymap that would make moving through a draft record decisions, or that names no known binding."""


def _keys(spec: str) -> list[str]:
    out = []
    for raw in spec.split(","):
        key = raw if raw == " " else raw.strip()
        if not key:
            continue
        if len(key) > 1:
            key = key.lower()
        out.append(_ALIASES.get(key, key))
    return out


def _screens() -> dict[str, list[Binding]]:
    from tui.ach_view import ACH_BINDINGS
    from tui.modals import AddClaimDialog, EditDialog, HelpScreen, RedraftDialog, TextPrompt
    from tui.review_screen import REVIEW_BINDINGS
    from tui.source import SourceScreen
    from tui.sources_view import SOURCES_BINDINGS
    from tui.timeline_view import TIMELINE_BINDINGS

    def bindings(items: Iterable[BindingType]) -> list[Binding]:
        return [b for b in items if isinstance(b, Binding) and b.id]

    return {
        "review": bindings(REVIEW_BINDINGS),
        "source": bindings(SourceScreen.BINDINGS),
        "sources": bindings(SOURCES_BINDINGS),
        "timeline": bindings(TIMELINE_BINDINGS),
        "ach": bindings(ACH_BINDINGS),
        "redraft": bindings(RedraftDialog.BINDINGS),
        "edit": bindings(EditDialog.BINDINGS),
        "add": bindings(AddClaimDialog.BINDINGS),
        "prompt": bindings(TextPrompt.BINDINGS),
        "help": bindings(HelpScreen.BINDINGS),
    }


def check_keymap(keymap: Mapping[str, str] | None) -> dict[str, str]:
    """The keymap to give Textual (binding id -> keys, normalised), or :class:`KeymapError` saying what is wrong."""
    if not keymap:
        return {}
    screens = _screens()
    known = {b.id for bs in screens.values() for b in bs}
    problems: list[str] = []
    unknown = sorted(k for k in keymap if k not in known)
    if unknown:
        problems.append(f"no such binding id: {', '.join(unknown)} (`?` in the review lists them)")
    mapped: dict[str, list[str]] = {}
    for binding_id, spec in keymap.items():
        if not isinstance(spec, str) or not _keys(spec):
            problems.append(f'{binding_id}: give keys as a string, e.g. {binding_id} = "y"')
            continue
        mapped[binding_id] = _keys(spec)
    for bindings in screens.values():
        keys = {b.id: mapped.get(b.id or "") or _keys(b.key) for b in bindings if b.id}
        decisions = {i for i in keys if i in DECISIONS}
        moving = set(MOVES)
        for i, ks in keys.items():
            if i not in decisions:
                moving.update(ks)
        for i in sorted(decisions & mapped.keys()):
            clash = [k for k in keys[i] if k in moving]
            if clash:
                problems.append(
                    f"{i} (a review decision) cannot be bound to {', '.join(clash)}: that key moves or switches "
                    "views, and browsing would record decisions"
                )
        for i in sorted((keys.keys() - decisions) & mapped.keys()):
            clash = [k for k in keys[i] if any(k in keys[d] for d in decisions)]
            if clash:
                problems.append(f"{i} cannot be bound to {', '.join(clash)}: that key makes a review decision")
    if problems:
        raise KeymapError("refused [review.keys]: " + "; ".join(dict.fromkeys(problems)))
    return {i: ",".join(ks) for i, ks in mapped.items()}
