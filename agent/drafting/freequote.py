"""The free-quote engine: the model drafts a section's claims over a retrieved evidence pack and quotes its sources;
:mod:`agent.drafting.verify` then locates every quote in the sources or drops it.

Templates whose sections list no parts are drafted this way, and so is a redraft (:mod:`agent.drafting.redraft`):
the model writes the claim and names its quotes, code checks them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from agent.core.claims import Grader
from agent.core.contracts import Claim, Draft, SearchHit, SectionDraft, stable_id
from agent.corpus.retrieve import Retriever
from agent.drafting.checks import is_repeat
from agent.drafting.template import Prompt, SectionSpec
from agent.drafting.verify import EvidenceItem, EvidencePack, GivenCitation, verify_claim, without_headings
from agent.llm.seam import LLM, LLMError

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
    retriever: Retriever, queries: Sequence[str], *, doc_ids: Sequence[str] | None, size: int = PACK_SIZE
) -> list[SearchHit]:
    """Interleave the queries' rankings (round robin) so each query contributes; no duplicates."""
    rankings = [retriever.search(q, PER_QUERY, doc_ids=doc_ids) for q in queries]
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


# --------------------------------------------------------------------------- drafting a section


def draft_section_quotes(
    retriever: Retriever,
    llm: LLM,
    prompt: Prompt,
    draft: Draft,
    section: SectionDraft,
    spec: SectionSpec,
    doc_ids: Sequence[str] | None,
    grader: Grader | None = None,
) -> None:
    """Fill ``section`` with the claims the model drafts over the section's evidence pack, every quote verified (and
    each claim graded, when the draft is)."""
    t0 = time.monotonic()
    section.error = None
    hits = gather_evidence(retriever, plan_queries(spec, draft.topic), doc_ids=doc_ids)
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
                grader=grader,
            )
        )
    section.claims = claims
    section.usage = result.usage
    section.status = "done"
    section.empty_reason = None if claims else "the model returned no claims for this section"
    if spec.key == "bluf":
        draft.confidence = getattr(answer, "overall_confidence", None)
    section.elapsed_s = time.monotonic() - t0
