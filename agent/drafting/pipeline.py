"""Grounded drafting: plan per-section queries, retrieve an evidence pack, draft claims, verify them.

One section at a time. The draft is written to the workspace after every section (atomic write),
so a killed run loses at most the section in flight and ``resume`` continues where it stopped. A
section whose LLM call fails for good is recorded as failed with its error; the others go on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field, ValidationError, create_model

from agent import __version__
from agent.core.atomic import atomic_write_text
from agent.core.contracts import Claim, Confidence, Draft, Provenance, SearchHit, SectionDraft, Usage, stable_id
from agent.core.paths import Workspace, safe_name
from agent.core.settings import Settings
from agent.corpus.embeddings import Embedder
from agent.corpus.index import ChromaIndex
from agent.corpus.numbers import numbers_in
from agent.corpus.phrases import noun_phrases
from agent.corpus.retrieve import Retriever
from agent.corpus.sentences import SentenceAnalyser
from agent.corpus.store import Store
from agent.drafting.analysis import analyse_sources
from agent.drafting.checks import is_repeat, names_in, unsupported_names
from agent.drafting.parts import DraftContext, draft_section_parts
from agent.drafting.template import Prompt, SectionSpec, Template, load_prompt, load_template
from agent.drafting.verify import (
    EvidenceItem,
    EvidencePack,
    GivenCitation,
    verify_claim,
    without_headings,
)
from agent.llm.seam import LLM, LLMError


class Services(Protocol):
    """What drafting needs of the composition root (:class:`agent.services.Services` has it)."""

    @property
    def workspace(self) -> Workspace: ...
    @property
    def store(self) -> Store: ...
    @property
    def retriever(self) -> Retriever: ...
    @property
    def index(self) -> ChromaIndex: ...
    @property
    def embedder(self) -> Embedder: ...
    @property
    def llm(self) -> LLM: ...
    @property
    def analyser(self) -> SentenceAnalyser: ...
    @property
    def settings(self) -> Settings: ...


PACK_SIZE = 6  # chunks per section: ~1,300 prompt tokens of evidence with 900-character chunks
PER_QUERY = 4


# --------------------------------------------------------------------------- what the model answers


class DraftedCitation(BaseModel):
    source: str = Field(description="The id of the evidence source, e.g. S1")
    quote: str = Field(description="Words copied exactly from that source")


def claim_schema(spec: SectionSpec | None) -> type[BaseModel]:
    """The JSON shape of one claim; in sections with sub-headings the label is one of them."""
    fields: dict[str, Any] = {}
    if spec is not None and spec.labels:
        fields["label"] = (Literal[tuple(spec.labels)], Field(description="Sub-heading"))
    max_chars = spec.text_max_chars if spec is not None else None
    fields["text"] = (str, Field(min_length=1, max_length=max_chars, description="The claim, in your own words"))
    fields["confidence"] = (Literal["low", "moderate", "high"], ...)
    fields["citations"] = (list[DraftedCitation], Field(min_length=1, max_length=3))
    name = f"Claim_{spec.key}" if spec else "Claim"
    return create_model(name, **fields)


def section_schema(spec: SectionSpec) -> type[BaseModel]:
    item = claim_schema(spec)
    # The template's bounds are part of the schema, so a constrained endpoint cannot answer with fewer
    # hypotheses than the section needs (an eval run got one hypothesis and no Assessment).
    bounds = Field(min_length=min(spec.min_claims, spec.max_claims), max_length=spec.max_claims)
    fields: dict[str, Any] = {"claims": (list[item], bounds)}  # type: ignore[valid-type]
    if spec.key == "bluf":
        fields["overall_confidence"] = (Literal["low", "moderate", "high"], Field(description="Overall confidence"))
    return create_model(f"Section_{spec.key}", **fields)


# --------------------------------------------------------------------------- evidence


def plan_queries(spec: SectionSpec, topic: str) -> list[str]:
    """Per-section retrieval queries: the template's queries with the topic filled in."""
    return [q.replace("{topic}", topic) for q in spec.queries]


def gather_evidence(
    services: Services, queries: Sequence[str], *, doc_ids: Sequence[str] | None, size: int = PACK_SIZE
) -> list[SearchHit]:
    """Interleave the queries' rankings (round robin) so each query contributes; no duplicates."""
    rankings = [services.retriever.search(q, PER_QUERY, doc_ids=doc_ids) for q in queries]
    seen: set[str] = set()
    hits: list[SearchHit] = []
    for rank in range(PER_QUERY):
        for r in rankings:
            if rank < len(r) and r[rank].chunk.id not in seen and len(hits) < size:
                seen.add(r[rank].chunk.id)
                hits.append(r[rank])
    return hits


def make_pack(hits: Sequence[SearchHit]) -> EvidencePack:
    return EvidencePack(
        [
            EvidenceItem(
                label=f"S{n}",
                chunk=h.chunk,
                title=h.doc_title,
                outlet=h.outlet,
                published=h.published.isoformat() if h.published else None,
            )
            for n, h in enumerate(hits, 1)
        ]
    )


def _attr(value: str | None) -> str:
    return (value or "unknown").replace('"', "'").replace("<", "‹").replace(">", "›").replace("\n", " ")


def format_evidence(pack: EvidencePack) -> str:
    """Sources as delimited data. Angle brackets inside the text are neutralised, so no source can
    close its own element or the evidence block, whatever it contains. Title and heading lines are left
    out of the body (the title is an attribute): they assert nothing, and small models like to quote them."""
    parts = []
    for item in pack.items:
        body = without_headings(item.chunk.text).strip().replace("<", "‹").replace(">", "›") or "(no body text)"
        parts.append(
            f'<source id="{item.label}" title="{_attr(item.title)}" outlet="{_attr(item.outlet)}" '
            f'published="{_attr(item.published)}">\n{body}\n</source>'
        )
    return "\n".join(parts)


# --------------------------------------------------------------------------- drafting


class DraftProgress:
    """Callbacks for progress display; the default does nothing."""

    def section_started(self, key: str, title: str, index: int, total: int) -> None: ...

    def section_finished(self, section: SectionDraft) -> None: ...


def new_draft(
    services: Services, topic: str, template: Template, prompt: Prompt, llm: LLM, doc_ids: Sequence[str] | None
) -> Draft:
    now = datetime.now(UTC)
    draft_id = f"{now:%Y%m%d-%H%M%S}-{stable_id('draft', topic, now.isoformat(), length=6)}"
    source_ids = list(doc_ids) if doc_ids is not None else [d.id for d in services.store.documents()]
    info = llm.info
    return Draft(
        id=draft_id,
        topic=topic,
        created=now,
        sections=[SectionDraft(key=s.key, title=s.title) for s in template.sections],
        provenance=Provenance(
            model=info.model,
            endpoint_kind=info.kind,
            base_url=info.base_url,
            sampling=dict(info.sampling),
            prompts={
                prompt.name: prompt.version,
                "compose_claim": load_prompt("compose_claim").version,
                "redraft_claim": load_prompt("redraft_claim").version,
            },
            template=f"{template.name}@{template.version}",
            collection=services.index.name,
            embedding_model=services.embedder.name,
            source_doc_ids=source_ids,
            briefwright_version=__version__,
        ),
    )


def save_draft(ws: Workspace, draft: Draft) -> Path:
    draft.updated = datetime.now(UTC)
    path = ws.draft_file(draft.id)
    atomic_write_text(path, draft.model_dump_json(indent=1))
    return path


def load_draft(ws: Workspace, draft_id: str | None = None) -> Draft:
    """A draft by id (or path), or the workspace's latest."""
    if draft_id:
        p = Path(draft_id)
        path = p if p.suffix == ".json" and p.exists() else ws.draft_file(draft_id)
        if not path.exists():
            raise FileNotFoundError(f"no draft {draft_id!r} in {ws.drafts_dir}")
    else:
        drafts = sorted(ws.drafts_dir.glob("*.json"))
        if not drafts:
            raise FileNotFoundError(f"no drafts in {ws.drafts_dir}: run `brief draft --topic ...` first")
        path = drafts[-1]
    try:
        draft = Draft.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, UnicodeDecodeError) as e:
        raise DraftFileError(
            f"{path} is damaged ({_first_error(e)}) and cannot be read. Restore it from a backup, or draft again "
            f'with `brief draft --topic "…"`; its review journal, if any, is in {ws.journals_dir} and is not touched.'
        ) from e
    safe_name(draft.id)  # the id names the journal, lock and export files
    return draft


class DraftFileError(ValueError):
    """A draft file that cannot be read (damaged, truncated, edited by hand)."""


def _first_error(e: Exception) -> str:
    if isinstance(e, ValidationError):
        err = e.errors()[0]
        return f"{'.'.join(str(x) for x in err['loc']) or 'file'}: {err['msg']}"
    return str(e)


def draft_brief(
    services: Services,
    topic: str,
    *,
    doc_ids: Sequence[str] | None = None,
    resume: Draft | None = None,
    progress: DraftProgress | None = None,
    template: Template | None = None,
    on_saved: Callable[[Draft], None] | None = None,
) -> Draft:
    """Draft (or finish drafting) a brief on ``topic``; returns the draft, saved after every section."""
    template = template or load_template()
    prompt = load_prompt("draft_section")
    progress = progress or DraftProgress()
    llm = services.llm
    if resume is not None:
        draft = resume
        topic = draft.topic
        doc_ids = doc_ids if doc_ids is not None else draft.provenance.source_doc_ids
    else:
        draft = new_draft(services, topic, template, prompt, llm, doc_ids)
        save_draft(services.workspace, draft)
    todo = [s for s in draft.sections if s.status != "done"]
    ctx = None
    if any(spec.parts for spec in template.sections) and todo:
        ctx = draft_context(services, draft, llm, doc_ids)
        save_draft(services.workspace, draft)
    for n, section in enumerate(todo, 1):
        try:
            spec = template.section(section.key)
        except KeyError:
            section.status, section.error = "failed", f"section {section.key!r} is not in template {template.name}"
            continue
        progress.section_started(section.key, section.title, n, len(todo))
        if spec.parts and ctx is not None:
            t0 = time.monotonic()
            draft_section_parts(ctx, section, spec)
            section.elapsed_s = time.monotonic() - t0
        else:
            _draft_section(services, llm, prompt, draft, section, spec, doc_ids)
        save_draft(services.workspace, draft)
        if on_saved:
            on_saved(draft)
        progress.section_finished(section)
    return draft


def draft_context(services: Services, draft: Draft, llm: LLM, doc_ids: Sequence[str] | None) -> DraftContext:
    """The sentences of the draft's sources (analysed once and stored), embedded, and the fact digest."""
    wanted = set(doc_ids) if doc_ids is not None else None
    docs = [d for d in services.store.documents() if wanted is None or d.id in wanted]
    base, analysis = analyse_sources(services, docs, draft.topic, services.workspace.root)
    digest = base.digest()
    draft.digest = digest
    draft.profiles = list(analysis.profiles.values())
    draft.timeline = analysis.timeline
    draft.figures = analysis.figures
    draft.contradictions = analysis.contradictions
    nlp = services.analyser.nlp
    cfg = services.settings.llm
    return DraftContext(
        capable=cfg.capable if cfg.capable is not None else cfg.base_url is not None,
        draft=draft,
        base=base,
        digest=digest,
        llm=llm,
        prompt=load_prompt("compose_claim"),
        embedder=services.embedder,
        noun_phrases=lambda text: noun_phrases(nlp, text),
        analysis=analysis,
    )


def _draft_section(
    services: Services,
    llm: LLM,
    prompt: Prompt,
    draft: Draft,
    section: SectionDraft,
    spec: SectionSpec,
    doc_ids: Sequence[str] | None,
) -> None:
    t0 = time.monotonic()
    section.error = None
    hits = gather_evidence(services, plan_queries(spec, draft.topic), doc_ids=doc_ids)
    pack = make_pack(hits)
    section.evidence_chunk_ids = pack.chunk_ids
    if not len(pack):
        section.status, section.claims = "done", []
        section.empty_reason = "no evidence retrieved for this section's queries (is anything ingested?)"
        section.elapsed_s = time.monotonic() - t0
        return
    labels = f"Each claim's label is one of: {', '.join(spec.labels)}.\n" if spec.labels else ""
    messages = prompt.render(
        topic=draft.topic,
        section_title=spec.title,
        section_intent=spec.intent,
        claim_guidance=spec.claim,
        labels=labels,
        min_claims=spec.min_claims,
        max_claims=spec.max_claims,
        evidence=format_evidence(pack),
        guidance="",
    )
    schema = section_schema(spec)
    try:
        result = llm.complete(messages, schema, prompt_name=prompt.name, prompt_version=prompt.version)
    except LLMError as e:
        section.status, section.error = "failed", f"{type(e).__name__}: {e}"
        section.elapsed_s = time.monotonic() - t0
        return
    answer: Any = result.value
    claims: list[Claim] = []
    kept: list[str] = []
    section.duplicates_dropped = 0
    for i, c in enumerate(answer.claims):
        if is_repeat(c.text, kept):
            section.duplicates_dropped += 1
            continue
        kept.append(c.text)
        claims.append(
            verify_claim(
                claim_id=stable_id("claim", draft.id, section.key, i, c.text, length=12),
                section=section.key,
                text=c.text,
                label=getattr(c, "label", None),
                confidence=c.confidence,
                given=[GivenCitation(source=g.source, quote=g.quote) for g in c.citations],
                pack=pack,
            )
        )
    section.claims = claims
    section.usage = result.usage
    section.status = "done"
    section.empty_reason = None if claims else "the model returned no claims for this section"
    if spec.key == "bluf":
        draft.confidence = getattr(answer, "overall_confidence", None)
    section.elapsed_s = time.monotonic() - t0


# --------------------------------------------------------------------------- redraft


def redraft_claim(services: Services, draft: Draft, claim: Claim, guidance: str) -> tuple[Claim, Usage]:
    """A new version of ``claim`` (same id, ``origin='redrafted'``), guided by the reviewer's note.

    Its evidence is the section's pack plus chunks retrieved for the claim and the note.
    """
    template = load_template()
    prompt = load_prompt("redraft_claim")
    try:
        spec: SectionSpec | None = template.section(claim.section)
    except KeyError:
        spec = None
    section = draft.section(claim.section)
    chunks = services.store.get_chunks(section.evidence_chunk_ids)
    extra = services.retriever.search(f"{claim.text} {guidance}", 4, doc_ids=draft.provenance.source_doc_ids or None)
    meta = services.store.document_meta({c.doc_id for c in chunks.values()})
    hits = [
        SearchHit(
            chunk=chunks[cid],
            score=0.0,
            doc_title=meta[chunks[cid].doc_id][0],
            outlet=meta[chunks[cid].doc_id][1],
            published=meta[chunks[cid].doc_id][2],
        )
        for cid in section.evidence_chunk_ids
        if cid in chunks
    ]
    known = {h.chunk.id for h in hits}
    hits += [h for h in extra if h.chunk.id not in known][: max(0, PACK_SIZE + 2 - len(hits))]
    pack = make_pack(hits)
    messages = prompt.render(
        topic=draft.topic,
        section_title=spec.title if spec else claim.section,
        claim=claim.final_text,
        guidance=guidance or "(none)",
        evidence=format_evidence(pack),
    )
    result = services.llm.complete(messages, claim_schema(spec), prompt_name=prompt.name, prompt_version=prompt.version)
    v: Any = result.value
    new = verify_claim(
        claim_id=claim.id,
        section=claim.section,
        text=v.text,
        label=getattr(v, "label", claim.label),
        confidence=v.confidence,
        given=[GivenCitation(g.source, g.quote) for g in v.citations],
        pack=pack,
        origin="redrafted",
    )
    why = redraft_ignores(claim.final_text, new.text, guidance)
    if why:
        raise RedraftRefused(f"not offered: {why}")
    return new, result.usage


class RedraftRefused(LLMError):
    """The model's new version does not follow the reviewer; the message says how, for the reviewer."""


def redraft_ignores(old: str, new: str, guidance: str) -> str | None:
    """Why a redraft does not follow the reviewer's guidance, or ``None``: it repeats the old text, or leaves out
    a number or a name the guidance asks for."""
    if is_repeat(new, [old], threshold=0.95):
        return "the model returned the old text again; name the fact or the source you want in your guidance"
    lacking = [n for n in numbers_in(guidance) if n not in numbers_in(new)]
    lacking += unsupported_names(" x " + " ".join(names_in(" x " + guidance)), [new])
    if lacking:
        return f"the new version leaves out {', '.join(dict.fromkeys(lacking))}, which your guidance names"
    return None


def overall_confidence(draft: Draft) -> Confidence | None:
    return draft.confidence
