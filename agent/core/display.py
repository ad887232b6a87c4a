"""Text from documents, drafts and settings, made safe to show in a terminal.

Anything a case folder holds (titles, quotes, claim text, file names, outlet names, settings, error messages that
repeat them) may carry terminal control codes (``ESC ]0;…`` retitles the window, ``ESC [2J`` clears the screen),
bidirectional overrides that reorder what is read, or Rich markup (``[link=…]``, a stray ``[/]`` that makes
printing fail). On output it is data, never instructions: :func:`printable` makes every such character visible
and harmless; :func:`safe` also escapes Rich markup, for strings printed through a console that parses it.
Both hold for data already stored, whatever ingest did with it.
"""

from __future__ import annotations

import re

from rich.markup import escape

# C0 controls except tab and newline, DEL, C1 controls; bidi embeddings/overrides and isolates.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(m: re.Match[str]) -> str:
    n = ord(m.group())
    if n < 0x20:
        return chr(0x2400 + n)  # the Unicode control picture: ESC shows as ␛, NUL as ␀, CR as ␍
    if n == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"  # C1 controls and bidi overrides: the replacement character


def printable(value: object) -> str:
    """``value`` as text with every control code (C0/C1 but tab and newline, ESC and so every escape sequence,
    bidi overrides and isolates) replaced by a visible stand-in, one character for one: offsets into the text
    (a quoted span to highlight) still hold."""
    text = value if isinstance(value, str) else str(value)
    return _CONTROL.sub(_visible, text)


def safe(value: object) -> str:
    """``value`` ready to splice into Rich markup: control codes made visible and markup escaped, so that
    ``[llm]``, ``[/]`` or ``[link=…]`` print as the characters they are."""
    return escape(printable(value))


__all__ = ["printable", "safe"]
