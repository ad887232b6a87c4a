"""Export a reviewed draft as Markdown (the seed-000 layout), JSON or HTML.

By default only verified claims (accepted or edited) are exported. ``include_pending`` adds the
claims not yet reviewed, each marked, under a banner that says the brief is an unverified preview;
rejected claims are never exported. Each claim's quotes become footnotes (outlet, date, title, the
quote), and a sources list closes the brief. The reviewers who verified the claims are named, each
claim's flags are shown, and a claim that stands on no source (``unsupported``, e.g. added by hand without
evidence) is marked so and not counted as verified. Only http(s) URLs become links.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from agent.core.atomic import atomic_write_text
from agent.core.contracts import Claim, Draft, Flag, SectionDraft, SourceDocument
from agent.core.paths import safe_name

Format = Literal["md", "json", "html"]
FORMATS: tuple[Format, ...] = ("md", "json", "html")
_HEADLESS_LABEL = {"bluf", "entities", "tags"}


@dataclass
class _Note:
    n: int
    doc: SourceDocument | None
    quote: str
    doc_id: str


def _included(claim: Claim, include_pending: bool) -> bool:
    return claim.status in ("accepted", "edited") or (include_pending and claim.status == "pending")


def _verified(claim: Claim) -> bool:
    """Accepted or edited by an analyst, and standing on source evidence."""
    return claim.status in ("accepted", "edited") and Flag.UNSUPPORTED not in claim.flags


NO_SOURCE = "[NO SOURCE: the analyst's own judgment, not verified against the sources]"


def _flags(claim: Claim) -> str:
    return ", ".join(str(f) for f in claim.flags if f != Flag.UNSUPPORTED)


def safe_url(url: str | None) -> str | None:
    """The URL if it may be a link (http or https), else None: a source's metadata is not trusted."""
    return url if url and re.match(r"https?://[^\s<>\"'`]+$", url.strip(), re.I) else None


class _Builder:
    def __init__(self, draft: Draft, get_doc: Callable[[str], SourceDocument | None], include_pending: bool):
        self.draft, self.get_doc, self.include_pending = draft, get_doc, include_pending
        self.notes: list[_Note] = []
        self._docs: dict[str, SourceDocument | None] = {}
        self.used_docs: list[str] = []

    def doc(self, doc_id: str) -> SourceDocument | None:
        if doc_id not in self._docs:
            self._docs[doc_id] = self.get_doc(doc_id)
        return self._docs[doc_id]

    def cite(self, claim: Claim) -> list[int]:
        refs = []
        for c in claim.citations:
            note = _Note(len(self.notes) + 1, self.doc(c.doc_id), c.quote, c.doc_id)
            self.notes.append(note)
            refs.append(note.n)
            if c.doc_id not in self.used_docs:
                self.used_docs.append(c.doc_id)
        return refs

    def sections(self) -> list[tuple[SectionDraft, list[tuple[Claim, list[int]]]]]:
        out = []
        for s in self.draft.sections:
            claims = [(c, self.cite(c)) for c in s.claims if _included(c, self.include_pending)]
            out.append((s, claims))
        return out


def _doc_line(doc: SourceDocument | None, doc_id: str) -> tuple[str, str, str]:
    if doc is None:
        return (f"document {doc_id} (no longer in the workspace)", "", "")
    outlet = doc.outlet or "outlet unknown"
    date = doc.published.isoformat() if doc.published else "date unknown"
    return (doc.label(), outlet, date)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")


def md_escape(text: str) -> str:
    """Text as Markdown that renders as the same text (no links, html, emphasis or footnotes)."""
    text = _MD_SPECIAL.sub(r"\\\1", text.replace("\n", " "))
    return re.sub(r"^(\s*)([-=]{3,}|\d+\.)", r"\1\\\2", text)


def _status_mark(claim: Claim) -> str:
    mark = " **[UNVERIFIED]**" if claim.status == "pending" else ""
    if Flag.UNSUPPORTED in claim.flags:
        mark += f" **{md_escape(NO_SOURCE)}**"
    if _flags(claim):
        mark += f" _(flags: {md_escape(_flags(claim))})_"
    return mark


def render_markdown(
    draft: Draft, get_doc: Callable[[str], SourceDocument | None], include_pending: bool = False
) -> str:
    b = _Builder(draft, get_doc, include_pending)
    sections = b.sections()
    total = len(draft.claims())
    verified = sum(1 for c in draft.claims() if _verified(c))
    lines = [md_escape(draft.topic), f"Drafted on: {draft.created:%Y-%m-%d}"]
    if include_pending:
        lines.append("")
        lines.append("> **UNVERIFIED PREVIEW** — claims marked [UNVERIFIED] have not been reviewed by an analyst.")
    lines += [
        f"AI-drafted brief from open sources; {verified} of {total} claims verified by "
        f"{md_escape(_reviewers(draft))}. Model: {md_escape(draft.provenance.model)}.",
        f"Intelligence Report: {md_escape(draft.topic)}",
    ]
    n = 0
    for s, claims in sections:
        if s.key == "techniques":
            lines.append(md_escape(s.title))
        else:
            n += 1
            lines.append(f"{n}\\. {md_escape(s.title)}")
        if not claims:
            lines.append("_No verified claims in this section._")
            continue
        if s.key == "tags":
            lines.append(", ".join(md_escape(c.final_text) + _refs(r) for c, r in claims))
            continue
        for c, refs in claims:
            text = md_escape(c.final_text) + _refs(refs) + _status_mark(c)
            if s.key == "bluf":
                lines.append(text)
            elif c.label:
                lines.append(f"- {md_escape(c.label)}: {text}")
            else:
                lines.append(f"- {text}")
        if s.key == "bluf" and draft.confidence:
            lines.append(f"Overall confidence: {draft.confidence}.")
    if b.notes:
        lines += ["", "Notes"]
        for note in b.notes:
            title, outlet, date = _doc_line(note.doc, note.doc_id)
            lines.append(f"[^{note.n}]: {md_escape(outlet)}, {date} — “{md_escape(note.quote)}” ({md_escape(title)})")
    if b.used_docs:
        lines += ["", "Sources"]
        for doc_id in b.used_docs:
            doc = b.doc(doc_id)
            title, outlet, date = _doc_line(doc, doc_id)
            url = ""
            if doc is not None and doc.url:
                link = safe_url(doc.url)
                url = f" <{link}>" if link else f" (url: {md_escape(doc.url)})"
            lines.append(f"- {md_escape(title)} — {md_escape(outlet)}, {date}{url} (id {doc_id})")
    return "\n".join(lines) + "\n"


def _refs(refs: list[int]) -> str:
    return "".join(f"[^{r}]" for r in refs)


def _reviewers(draft: Draft) -> str:
    names = sorted({c.reviewed_by for c in draft.claims() if _verified(c) and c.reviewed_by})
    return ", ".join(names) if names else "no analyst yet"


def render_json(draft: Draft, get_doc: Callable[[str], SourceDocument | None], include_pending: bool = False) -> str:
    b = _Builder(draft, get_doc, include_pending)
    out: dict[str, Any] = {
        "id": draft.id,
        "topic": draft.topic,
        "created": draft.created.isoformat(),
        "verified_only": not include_pending,
        "overall_confidence": draft.confidence,
        "reviewers": _reviewers(draft),
        "provenance": draft.provenance.model_dump(mode="json"),
        "sections": [],
    }
    for s, claims in b.sections():
        out["sections"].append(
            {
                "key": s.key,
                "title": s.title,
                "claims": [
                    {
                        "id": c.id,
                        "label": c.label,
                        "text": c.final_text,
                        "original_text": c.text,
                        "status": c.status,
                        "verified": _verified(c),
                        "reviewed_by": c.reviewed_by,
                        "confidence": c.confidence,
                        "flags": [str(f) for f in c.flags],
                        "reviewer_note": c.reviewer_note,
                        "citations": [
                            {
                                "note": r,
                                **cit.model_dump(mode="json", include={"doc_id", "chunk_id", "quote", "start", "end"}),
                            }
                            for cit, r in zip(c.citations, refs, strict=True)
                        ],
                    }
                    for c, refs in claims
                ],
            }
        )
    out["sources"] = []
    for doc_id in b.used_docs:
        doc = b.doc(doc_id)
        out["sources"].append(
            {
                "id": doc_id,
                "title": doc.label() if doc else None,
                "outlet": doc.outlet if doc else None,
                "published": doc.published.isoformat() if doc and doc.published else None,
                "url": doc.url if doc else None,
                "path": doc.path if doc else None,
            }
        )
    return json.dumps(out, ensure_ascii=False, indent=2) + "\n"


def render_html(draft: Draft, get_doc: Callable[[str], SourceDocument | None], include_pending: bool = False) -> str:
    e = html.escape
    b = _Builder(draft, get_doc, include_pending)
    sections = b.sections()
    parts = [
        "<!doctype html>",
        f'<html lang="en"><head><meta charset="utf-8"><title>{e(draft.topic)}</title>',
        "<style>body{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.5}"
        ".unverified{background:#fff3cd;padding:.5em}.pending{color:#8a6d3b}sup a{text-decoration:none}"
        "blockquote{margin:.2em 0 .2em 1em;color:#444}</style></head><body>",
        f"<h1>{e(draft.topic)}</h1>",
        f"<p>Drafted on {draft.created:%Y-%m-%d}. Model: {e(draft.provenance.model)}. "
        f"{sum(1 for c in draft.claims() if _verified(c))} of {len(draft.claims())} claims verified by "
        f"{e(_reviewers(draft))}.</p>",
    ]
    if include_pending:
        parts.append(
            '<p class="unverified"><strong>UNVERIFIED PREVIEW</strong>: claims marked '
            "[UNVERIFIED] have not been reviewed by an analyst.</p>"
        )
    for s, claims in sections:
        parts.append(f"<h2>{e(s.title)}</h2>")
        if not claims:
            parts.append("<p><em>No verified claims in this section.</em></p>")
            continue
        parts.append("<ul>")
        for c, refs in claims:
            label = f"<strong>{e(c.label)}:</strong> " if c.label else ""
            sup = "".join(f'<sup><a href="#n{r}" id="r{r}">{r}</a></sup>' for r in refs)
            mark = ' <span class="pending">[UNVERIFIED]</span>' if c.status == "pending" else ""
            if Flag.UNSUPPORTED in c.flags:
                mark += f' <strong class="nosource">{e(NO_SOURCE)}</strong>'
            if _flags(c):
                mark += f' <span class="flags">(flags: {e(_flags(c))})</span>'
            parts.append(f"<li>{label}{e(c.final_text)}{sup}{mark}</li>")
        parts.append("</ul>")
        if s.key == "bluf" and draft.confidence:
            parts.append(f"<p>Overall confidence: {e(draft.confidence)}.</p>")
    if b.notes:
        parts.append("<h2>Notes</h2><ol>")
        for note in b.notes:
            title, outlet, date = _doc_line(note.doc, note.doc_id)
            parts.append(
                f'<li id="n{note.n}">{e(outlet)}, {e(date)} — <q>{e(note.quote)}</q> ({e(title)}) '
                f'<a href="#r{note.n}">↩</a></li>'
            )
        parts.append("</ol>")
    if b.used_docs:
        parts.append("<h2>Sources</h2><ul>")
        for doc_id in b.used_docs:
            doc = b.doc(doc_id)
            title, outlet, date = _doc_line(doc, doc_id)
            link = ""
            if doc is not None and doc.url:
                url = safe_url(doc.url)
                link = f' <a href="{e(url)}">{e(url)}</a>' if url else f" (url: {e(doc.url)})"
            parts.append(f"<li>{e(title)} — {e(outlet)}, {e(date)}{link}</li>")
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


RENDERERS: dict[str, Callable[[Draft, Callable[[str], SourceDocument | None], bool], str]] = {
    "md": render_markdown,
    "json": render_json,
    "html": render_html,
}


def render(
    draft: Draft, get_doc: Callable[[str], SourceDocument | None], fmt: str, include_pending: bool = False
) -> str:
    if fmt not in RENDERERS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return RENDERERS[fmt](draft, get_doc, include_pending)


def export_draft(
    draft: Draft,
    get_doc: Callable[[str], SourceDocument | None],
    fmt: str,
    out_dir: Path,
    *,
    include_pending: bool = False,
    out: Path | None = None,
) -> Path:
    """Render and write atomically to ``out`` or ``out_dir/<draft id>[.preview].<fmt>``."""
    text = render(draft, get_doc, fmt, include_pending)
    path = out or out_dir / f"{safe_name(draft.id)}{'.preview' if include_pending else ''}.{fmt}"
    atomic_write_text(path, text)
    return path
