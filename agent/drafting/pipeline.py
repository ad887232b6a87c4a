"""Drafting a brief, section by section: parts drafted over the draft's sentences (:mod:`agent.drafting.parts`),
or free-quote sections over a retrieved evidence pack (:mod:`agent.drafting.freequote`).

One section at a time. The draft is written to the workspace after every section (atomic write),
so a killed run loses at most the section in flight and ``resume`` continues where it stopped. A
section whose LLM call fails for good is recorded as failed with its error; the others go on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from agent import __version__
from agent.core.contracts import Draft, Provenance, SectionDraft, stable_id
from agent.core.drafts import save_draft
from agent.corpus.phrases import noun_phrases
from agent.drafting.analysis import analyse_sources, draft_documents
from agent.drafting.context import DraftContext
from agent.drafting.engine import Engine
from agent.drafting.freequote import draft_section_quotes
from agent.drafting.parts import draft_section_parts
from agent.drafting.progress import DraftProgress
from agent.drafting.template import Prompt, Template, load_prompt, load_template
from agent.llm.seam import LLM

# --------------------------------------------------------------------------- drafting


def new_draft(
    services: Engine, topic: str, template: Template, prompt: Prompt, llm: LLM, doc_ids: Sequence[str] | None
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
            },
            template=f"{template.name}@{template.version}",
            collection=services.index.name,
            embedding_model=services.embedder.name,
            source_doc_ids=source_ids,
            briefwright_version=__version__,
        ),
    )


def draft_brief(
    services: Engine,
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
            grader = ctx.grader if ctx is not None else None
            draft_section_quotes(services.retriever, llm, prompt, draft, section, spec, doc_ids, grader)
        save_draft(services.workspace, draft)
        if on_saved:
            on_saved(draft)
        progress.section_finished(section)
    return draft


def draft_context(services: Engine, draft: Draft, llm: LLM, doc_ids: Sequence[str] | None) -> DraftContext:
    """The sentences of the draft's sources (analysed once and stored), embedded, and the fact digest."""
    docs = draft_documents(services.store, doc_ids)
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
