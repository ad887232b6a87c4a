"""Pure rendering helpers: claims and evidence to Rich text. No widgets, no I/O, easy to test."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from agent.core.contracts import WEAK_CUES, Citation, Claim, SourceDocument, SourceProfile
from agent.core.display import printable
from agent.tradecraft.grading import estimate_label, grade_label

BADGES: dict[str, tuple[str, str]] = {
    "pending": ("○", "dim"),
    "accepted": ("✓", "bold green"),
    "edited": ("✎", "bold cyan"),
    "rejected": ("✗", "bold red"),
}
FLAG_MARK = ("⚑", "bold yellow")
SPAN_STYLE = "bold black on yellow"

_BOUNDARY = re.compile(r"(?<=[.!?])[\"”’)\]]*\s+|\n+")


def plain(value: object, style: str = "", **kwargs: object) -> Text:
    """Text from a document, a draft or a setting, as Rich text: never markup, its control codes made visible
    (one character for one, so offsets into it still hold)."""
    return Text(printable(value), style=style, **kwargs)  # type: ignore[arg-type]


def badge(claim: Claim) -> Text:
    """The status glyph and the flag marker, two cells each, for the claims list."""
    glyph, style = BADGES[claim.status]
    out = Text(glyph, style=style)
    out.append(" ")
    out.append(FLAG_MARK[0] if claim.flags else " ", style=FLAG_MARK[1])
    return out


def context_bounds(text: str, start: int, end: int, sentences: int = 1, limit: int = 600) -> tuple[int, int]:
    """Where to cut the source around a span: the span's own sentence plus ``sentences`` either side.

    A paragraph break is a boundary too, so context never runs into the next paragraph; ``limit``
    caps each side for texts without punctuation.
    """
    lo = max(0, start - limit)
    cuts = [m.end() for m in _BOUNDARY.finditer(text, lo, start)]
    begin = cuts[-(sentences + 1)] if len(cuts) > sentences else lo
    hi = min(len(text), end + limit)
    after = [m.start() for m in _BOUNDARY.finditer(text, end, hi)]
    finish = after[sentences] if len(after) > sentences else hi
    return begin, max(finish, end)


def _paragraph_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    para_start = text.rfind("\n\n", 0, start)
    para_end = text.find("\n\n", end)
    return (0 if para_start < 0 else para_start + 2), (len(text) if para_end < 0 else para_end)


def passage(doc_text: str, start: int, end: int, sentences: int = 1) -> Text:
    """The span in its context, the span highlighted, with ellipses where the context was cut."""
    doc_text = printable(doc_text)  # one for one: the offsets still hold
    begin, finish = context_bounds(doc_text, start, end, sentences)
    pb, pe = _paragraph_bounds(doc_text, start, end)
    begin, finish = max(begin, min(pb, start)), min(finish, max(pe, end))
    out = Text()
    if doc_text[:begin].rstrip(" \t") and not doc_text[:begin].rstrip(" \t").endswith("\n"):
        out.append("… ", style="dim")
    out.append(doc_text[begin:start].lstrip())
    out.append(doc_text[start:end], style=SPAN_STYLE)
    out.append(doc_text[end:finish].rstrip())
    if doc_text[finish:].strip() and not doc_text[finish:].lstrip(" \t").startswith("\n"):
        out.append(" …", style="dim")
    return out


def grade_style(p: SourceProfile) -> str:
    """Strong grades (A-B, 1-2) green, middling (C, 3) plain, weak or unjudged ones yellow."""
    if p.reliability in "DEF" or p.credibility >= 4:
        return "bold yellow"
    return "bold green" if p.reliability in "AB" and p.credibility <= 2 else "bold"


def source_line(doc: SourceDocument, profile: SourceProfile | None = None) -> Text:
    """Title — outlet · date, with what is unknown said so (never guessed), and the Admiralty grade if known."""
    out = plain(doc.label(), style="bold")
    out.append("  —  ", style="dim")
    out.append(printable(doc.outlet or "outlet unknown"), style="italic" if doc.outlet else "dim italic")
    out.append(" · ", style="dim")
    out.append(doc.published.isoformat() if doc.published else "date unknown", style="" if doc.published else "dim")
    if profile is not None:
        out.append(" · ", style="dim")
        out.append(profile.grade, style=grade_style(profile))
    return out


def citation_block(
    n: int,
    cit: Citation,
    doc: SourceDocument | None,
    error: str | None = None,
    profile: SourceProfile | None = None,
) -> RenderableType:
    head = Text(f"[{n}] ", style="bold magenta")
    if doc is not None:
        head.append_text(source_line(doc, profile))
    else:
        head.append(printable(f"source {cit.doc_id} unavailable"), style="bold red")
    page = doc.page_of(cit.start) if doc is not None else None
    if page:
        head.append(f" · p. {page}")
    if cit.match != "exact":
        head.append(f"  ({cit.match} match {cit.score:.2f})", style="yellow")
    if cit.reattributed_from:
        head.append("  (found in another chunk than cited)", style="yellow")
    if doc is not None and doc.text[cit.start : cit.end] == cit.quote:
        body = passage(doc.text, cit.start, cit.end)
    else:
        body = plain(f"“{cit.quote}”", style=SPAN_STYLE)
        if error:
            body.append(printable(f"\n{error}"), style="red")
    return Group(head, body, Text(""))


def claim_panel(claim: Claim, section_title: str, position: str, notes: Sequence[str] = ()) -> RenderableType:
    """The claim under review: where it sits, its status, flags, confidence and likelihood, text (and edit beside
    it), and what drafting left out of its section for the analyst (``notes``)."""
    head = plain(section_title, style="bold")
    head.append(f"   {position}", style="dim")
    meta = Text()
    if claim.label:
        meta.append(printable(claim.label), style="bold underline")
        meta.append("   ")
    glyph, style = BADGES[claim.status]
    meta.append(f"{glyph} {claim.status}", style=style)
    if estimate := estimate_label(claim):  # "Likely · moderate confidence"
        meta.append("   ")
        meta.append(estimate, style="bold")
    if claim.origin != "drafted":
        meta.append(f"   ({claim.origin})", style="dim italic")
    flags = Text()
    for f in claim.flags:
        flags.append(f" ⚑ {f.value} ", style="bold black on yellow")
        flags.append(" ")
    parts: list[RenderableType] = [head, meta]
    if (line := sourcing_line(claim)) is not None:
        parts.append(line)
    if claim.flags:
        parts.append(flags)
    parts.append(Text(""))
    if claim.edited_text is not None and claim.status == "edited":
        grid = Table.grid(expand=True, padding=(0, 2))
        grid.add_column(ratio=1)
        grid.add_column(ratio=1)
        grid.add_row(Text("Original (drafted)", style="dim"), Text("Edited (what ships)", style="bold cyan"))
        grid.add_row(plain(claim.text, style="dim"), plain(claim.edited_text))
        parts.append(grid)
    else:
        parts.append(plain(claim.text, style="strike dim" if claim.status == "rejected" else ""))
    if claim.reviewer_note:
        parts.append(Text.assemble(("\nNote: ", "bold"), (printable(claim.reviewer_note), "italic")))
    if not claim.citations and claim.origin == "computed":
        parts.append(Text("\nWritten by code from what the pipeline measured; it quotes no sentence.", style="dim"))
    elif not claim.citations:
        parts.append(Text("\nNo evidence: nothing in the sources supports this claim.", style="bold red"))
    if notes:
        parts.append(Text("\nLeft out of this section (add them with +):", style="bold yellow"))
        for n in notes:
            parts.append(plain(f"  • {n}", style="yellow"))
    return Group(*parts)


def sourcing_line(claim: Claim) -> Text | None:
    """What code found of the claim's sourcing: independent sources, credibility, cues (``None`` if nothing)."""
    if claim.sources is None and claim.credibility is None and not claim.cues:
        return None
    out = Text()
    if claim.sources is not None:
        n = claim.sources
        out.append(f"{n} independent source{'s' if n != 1 else ''}", style="bold" if n >= 2 else "yellow")
        out.append(" · ", style="dim")
    cred = claim.credibility
    out.append(f"Credibility {grade_label(cred)}", style="yellow" if cred is None or cred >= 4 else "")
    if claim.cues:
        out.append(" · ", style="dim")
        out.append("cues: ", style="dim")
        out.append(printable(", ".join(claim.cues)), style="yellow" if set(claim.cues) & WEAK_CUES else "")
    return out


def word_diff(old: str, new: str) -> tuple[Text, Text]:
    """Old and new text with removed words struck in red and added words in green."""
    a, b = printable(old).split(" "), printable(new).split(" ")
    left, right = Text(), Text()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            left.append(" ".join(a[i1:i2]) + " ")
            right.append(" ".join(b[j1:j2]) + " ")
        else:
            if i2 > i1:
                left.append(" ".join(a[i1:i2]) + " ", style="bold red strike")
            if j2 > j1:
                right.append(" ".join(b[j1:j2]) + " ", style="bold green underline")
    left.rstrip()
    right.rstrip()
    return left, right
