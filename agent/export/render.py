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
from agent.core.contracts import (
    CREDIBILITY_TERMS,
    RELIABILITY_TERMS,
    AchMatrix,
    Citation,
    Claim,
    Draft,
    Flag,
    SectionDraft,
    SourceDocument,
    SourceProfile,
)
from agent.core.paths import Workspace, safe_name
from agent.tradecraft import ach
from agent.tradecraft.figures import range_text
from agent.tradecraft.grading import estimate_label
from agent.tradecraft.profiles import current_grades

Format = Literal["md", "json", "html"]
FORMATS: tuple[Format, ...] = ("md", "json", "html")
_HEADLESS_LABEL = {"bluf", "entities", "tags"}


@dataclass
class _Note:
    n: int
    doc: SourceDocument | None
    quote: str
    doc_id: str
    page: int | None = None  # of a paged source (PDF): "p. 3"

    @property
    def where(self) -> str:
        return f", p. {self.page}" if self.page else ""


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
        self.profiles = {p.doc_id: p for p in draft.profiles}

    def doc(self, doc_id: str) -> SourceDocument | None:
        if doc_id not in self._docs:
            self._docs[doc_id] = self.get_doc(doc_id)
        return self._docs[doc_id]

    def cite(self, claim: Claim) -> list[int]:
        return self.cite_all(claim.citations)

    def cite_all(self, citations: list[Citation]) -> list[int]:
        refs = []
        for c in citations:
            doc = self.doc(c.doc_id)
            note = _Note(len(self.notes) + 1, doc, c.quote, c.doc_id, doc.page_of(c.start) if doc else None)
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


def grade_text(claim: Claim) -> str:
    """What code measured of a claim, in one consistent form: "Likely · moderate confidence · 2 independent sources ·
    credibility 2 (probably true) · cues: anonymous"."""
    parts = [estimate_label(claim)] if estimate_label(claim) else []
    if claim.credibility is not None and claim.sources is not None:
        many = "source" if claim.sources == 1 else "sources"
        parts.append(f"{claim.sources} independent {many}")
        parts.append(f"credibility {claim.credibility} ({CREDIBILITY_TERMS[claim.credibility]})")
    weak = [c for c in claim.cues if c != "attributed"]
    if weak and claim.credibility is not None:
        parts.append("cues: " + ", ".join(weak))
    return " · ".join(parts)


def profile_line(p: SourceProfile) -> str:
    where = f"{p.outlet}, " if p.outlet else ""
    cues = ", ".join(f"{k} {v}" for k, v in sorted(p.cues.items()) if k != "attributed")
    return (
        f"{p.label} ({where}{p.type}): {p.grade} — {RELIABILITY_TERMS[p.reliability]} ({p.reliability_from}), "
        f"{CREDIBILITY_TERMS[p.credibility]}"
        + (f"; sourcing cues: {cues}" if cues else "")
        + ("; rests on anonymous or state-media sourcing" if p.weak_sourcing else "")
    )


def ach_rows(m: AchMatrix) -> tuple[list[str], list[tuple[str, list[str], str, Citation]], list[int]]:
    """(hypothesis ids, rows of (evidence text, marks, diagnostic), inconsistency score per hypothesis)."""
    rows = []
    for e in m.evidence:
        marks: list[str] = [m.cell(h, e.id).mark or "·" for h in m.hypotheses]
        d = ach.diagnostic(m, e.id)
        rows.append((e.text, marks, "—" if d is None else ("yes" if d else "no"), e.citation))
    return m.hypotheses, rows, [s.inconsistent for s in ach.scores(m)] if ach.marked(m) else []


_COMPUTED = "Computed by code from the sources (not individually reviewed); each line cites its sentence."


def _doc_line(doc: SourceDocument | None, doc_id: str, profile: SourceProfile | None = None) -> tuple[str, str, str]:
    """(title, outlet, date) of a source; where the file has none, the profile's (analyst's or inferred)."""
    if doc is None:
        return (f"document {doc_id} (no longer in the workspace)", "", "")
    outlet = doc.outlet or "outlet unknown"
    date = doc.published.isoformat() if doc.published else "date unknown"
    if profile is not None:
        if profile.outlet and profile.outlet_from in ("analyst", "inferred"):
            outlet = profile.outlet + (" (inferred)" if profile.outlet_from == "inferred" else "")
        if profile.published and profile.published_from in ("analyst", "inferred"):
            date = profile.published.isoformat() + (" (inferred)" if profile.published_from == "inferred" else "")
        outlet += f", grade {profile.grade}"
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
            graded = grade_text(c)
            text = md_escape(c.final_text) + _refs(refs) + (f" _({md_escape(graded)})_" if graded else "")
            text += _status_mark(c)
            if s.key == "bluf":
                lines.append(text)
            elif c.label:
                lines.append(f"- {md_escape(c.label)}: {text}")
            else:
                lines.append(f"- {text}")
        if s.key == "bluf" and draft.confidence:
            lines.append(f"Overall confidence: {draft.confidence}.")
    lines += _md_tradecraft(draft, b)
    if b.notes:
        lines += ["", "Notes"]
        for note in b.notes:
            title, outlet, date = _doc_line(note.doc, note.doc_id, b.profiles.get(note.doc_id))
            lines.append(
                f"[^{note.n}]: {md_escape(outlet)}, {date}{note.where} — “{md_escape(note.quote)}” ({md_escape(title)})"
            )
    if b.used_docs:
        lines += ["", "Sources"]
        for doc_id in b.used_docs:
            doc = b.doc(doc_id)
            title, outlet, date = _doc_line(doc, doc_id, b.profiles.get(doc_id))
            url = ""
            if doc is not None and doc.url:
                link = safe_url(doc.url)
                url = f" <{link}>" if link else f" (url: {md_escape(doc.url)})"
            lines.append(f"- {md_escape(title)} — {md_escape(outlet)}, {date}{url} (id {doc_id})")
    return "\n".join(lines) + "\n"


def _md_tradecraft(draft: Draft, b: _Builder) -> list[str]:
    lines: list[str] = []
    labels = {c.id: c.label or c.id for c in draft.claims()}
    if draft.profiles:
        lines += ["", "Source Grades (Admiralty: reliability A-F, credibility 1-6)"]
        lines += [f"- {md_escape(profile_line(p))}" for p in draft.profiles]
    if draft.timeline:
        lines += ["", "Timeline", _COMPUTED, "", "| Date | Event | Sources |", "|---|---|---|"]
        for e in draft.timeline:
            lines.append(f"| {e.date} | {md_escape(e.text)}{_refs(b.cite_all(e.citations))} | {e.sources} |")
    ranges = [f for f in draft.figures if f.low != f.high]
    if draft.contradictions or ranges:
        lines += ["", "Contradictions and Ranges", _COMPUTED]
        for c in draft.contradictions:
            values = " against ".join(md_escape(v) for v in c.values)
            lines.append(
                f"- Sources disagree ({c.kind}) on {md_escape(c.about)}: {values}{_refs(b.cite_all(c.citations))}"
            )
        for f in ranges:
            cites = b.cite_all([x.citation for x in f.figures])
            many = "source" if f.sources == 1 else "sources"
            lines.append(f"- {md_escape(f.quantity)}: {range_text(f)} ({f.sources} {many}){_refs(cites)}")
    m = draft.ach
    if m is not None and len(m.hypotheses) >= 2:
        hyps, rows, score = ach_rows(m)
        lines += ["", "Analysis of Competing Hypotheses (C consistent, I inconsistent, N not applicable, · unmarked)"]
        lines.append("| Evidence | " + " | ".join(md_escape(labels.get(h, h)) for h in hyps) + " | Diagnostic |")
        lines.append("|---|" + "---|" * len(hyps) + "---|")
        for text, marks, diag, cit in rows:
            lines.append(f"| {md_escape(text)}{_refs(b.cite_all([cit]))} | " + " | ".join(marks) + f" | {diag} |")
        if score:
            lines.append("| Inconsistent items | " + " | ".join(str(x) for x in score) + " | |")
        said = ach.summary(m, labels)
        lines.append(md_escape(said) if said else md_escape(m.note or "The matrix is not yet marked."))
    return lines


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
                        "likelihood": c.likelihood,
                        "independent_sources": c.sources,
                        "credibility": c.credibility,
                        "cues": list(c.cues),
                        "flags": [str(f) for f in c.flags],
                        "reviewer_note": c.reviewer_note,
                        "citations": [
                            {
                                "note": r,
                                **cit.model_dump(mode="json", include={"doc_id", "chunk_id", "quote", "start", "end"}),
                                "page": b.notes[r - 1].page,
                            }
                            for cit, r in zip(c.citations, refs, strict=True)
                        ],
                    }
                    for c, refs in claims
                ],
            }
        )
    out["source_profiles"] = [p.model_dump(mode="json") | {"grade": p.grade} for p in draft.profiles]
    out["timeline"] = [e.model_dump(mode="json") for e in draft.timeline]
    out["figures"] = [f.model_dump(mode="json") for f in draft.figures]
    out["contradictions"] = [c.model_dump(mode="json") for c in draft.contradictions]
    if draft.ach is not None:
        labels = {c.id: c.label or c.id for c in draft.claims()}
        out["ach"] = draft.ach.model_dump(mode="json") | {
            "labels": {h: labels.get(h, h) for h in draft.ach.hypotheses},
            "inconsistent": {s.hypothesis: s.inconsistent for s in ach.scores(draft.ach)},
            "diagnostic": {e.id: ach.diagnostic(draft.ach, e.id) for e in draft.ach.evidence},
            "summary": ach.summary(draft.ach, labels),
        }
    else:
        out["ach"] = None
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
        "blockquote{margin:.2em 0 .2em 1em;color:#444}.grade{color:#555;font-size:.9em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .4em;vertical-align:top}</style>"
        "</head><body>",
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
            graded = grade_text(c)
            grade = f' <span class="grade">({e(graded)})</span>' if graded else ""
            parts.append(f"<li>{label}{e(c.final_text)}{sup}{grade}{mark}</li>")
        parts.append("</ul>")
        if s.key == "bluf" and draft.confidence:
            parts.append(f"<p>Overall confidence: {e(draft.confidence)}.</p>")
    parts += _html_tradecraft(draft, b)
    if b.notes:
        parts.append("<h2>Notes</h2><ol>")
        for note in b.notes:
            title, outlet, date = _doc_line(note.doc, note.doc_id, b.profiles.get(note.doc_id))
            parts.append(
                f'<li id="n{note.n}">{e(outlet)}, {e(date)}{e(note.where)} — <q>{e(note.quote)}</q> ({e(title)}) '
                f'<a href="#r{note.n}">↩</a></li>'
            )
        parts.append("</ol>")
    if b.used_docs:
        parts.append("<h2>Sources</h2><ul>")
        for doc_id in b.used_docs:
            doc = b.doc(doc_id)
            title, outlet, date = _doc_line(doc, doc_id, b.profiles.get(doc_id))
            link = ""
            if doc is not None and doc.url:
                url = safe_url(doc.url)
                link = f' <a href="{e(url)}">{e(url)}</a>' if url else f" (url: {e(doc.url)})"
            parts.append(f"<li>{e(title)} — {e(outlet)}, {e(date)}{link}</li>")
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _sups(refs: list[int]) -> str:
    return "".join(f'<sup><a href="#n{r}" id="r{r}">{r}</a></sup>' for r in refs)


def _html_tradecraft(draft: Draft, b: _Builder) -> list[str]:
    e = html.escape
    parts: list[str] = []
    labels = {c.id: c.label or c.id for c in draft.claims()}
    if draft.profiles:
        parts.append("<h2>Source Grades</h2><p>Admiralty: reliability A-F, credibility 1-6.</p><ul>")
        parts += [f"<li>{e(profile_line(p))}</li>" for p in draft.profiles]
        parts.append("</ul>")
    if draft.timeline:
        parts.append(
            f"<h2>Timeline</h2><p>{e(_COMPUTED)}</p><table><tr><th>Date</th><th>Event</th><th>Sources</th></tr>"
        )
        for ev in draft.timeline:
            refs = _sups(b.cite_all(ev.citations))
            parts.append(f"<tr><td>{e(ev.date)}</td><td>{e(ev.text)}{refs}</td><td>{ev.sources}</td></tr>")
        parts.append("</table>")
    ranges = [f for f in draft.figures if f.low != f.high]
    if draft.contradictions or ranges:
        parts.append(f"<h2>Contradictions and Ranges</h2><p>{e(_COMPUTED)}</p><ul>")
        for c in draft.contradictions:
            values = " against ".join(e(v) for v in c.values)
            parts.append(
                f"<li>Sources disagree ({e(c.kind)}) on {e(c.about)}: {values}{_sups(b.cite_all(c.citations))}</li>"
            )
        for f in ranges:
            refs = _sups(b.cite_all([x.citation for x in f.figures]))
            parts.append(f"<li>{e(f.quantity)}: {e(range_text(f))} ({f.sources} sources){refs}</li>")
        parts.append("</ul>")
    m = draft.ach
    if m is not None and len(m.hypotheses) >= 2:
        hyps, rows, score = ach_rows(m)
        parts.append("<h2>Analysis of Competing Hypotheses</h2>")
        parts.append("<p>C consistent, I inconsistent, N not applicable, · unmarked.</p><table><tr><th>Evidence</th>")
        parts += [f"<th>{e(labels.get(h, h))}</th>" for h in hyps]
        parts.append("<th>Diagnostic</th></tr>")
        for text, marks, diag, cit in rows:
            cells = "".join(f"<td>{x}</td>" for x in marks)
            parts.append(f"<tr><td>{e(text)}{_sups(b.cite_all([cit]))}</td>{cells}<td>{diag}</td></tr>")
        if score:
            parts.append("<tr><th>Inconsistent items</th>" + "".join(f"<td>{x}</td>" for x in score) + "<td></td></tr>")
        parts.append("</table>")
        said = ach.summary(m, labels)
        parts.append(f"<p>{e(said or m.note or 'The matrix is not yet marked.')}</p>")
    return parts


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
    """Render and write atomically to ``out`` or ``out_dir/<draft id>[.preview].<fmt>``; an ``out`` that is a
    folder holds the file under that default name (as ``cp FILE DIR`` does)."""
    text = render(draft, get_doc, fmt, include_pending)
    name = f"{safe_name(draft.id)}{'.preview' if include_pending else ''}.{fmt}"
    path = (out / name if out.is_dir() else out) if out is not None else out_dir / name
    atomic_write_text(path, text)
    return path


def export_brief(
    draft: Draft,
    workspace: Workspace,
    get_doc: Callable[[str], SourceDocument | None],
    fmt: str,
    *,
    include_pending: bool = False,
    out: Path | None = None,
) -> Path:
    """The brief as ``brief export`` and the review UI write it: the sources' grades as the analyst has set them
    now (the workspace's ``sources.toml``), rendered and written to ``out`` or the workspace's exports folder."""
    return export_draft(
        current_grades(draft, workspace.root),
        get_doc,
        fmt,
        workspace.exports_dir,
        include_pending=include_pending,
        out=out,
    )


def brief_text(
    draft: Draft,
    workspace: Workspace,
    get_doc: Callable[[str], SourceDocument | None],
    fmt: str,
    *,
    include_pending: bool = False,
) -> str:
    """What :func:`export_brief` writes, as text (``brief export --stdout``)."""
    return render(current_grades(draft, workspace.root), get_doc, fmt, include_pending)
