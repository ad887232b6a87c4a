"""Redrafting one claim at the reviewer's request: the model rewrites it over the section's evidence and what the
claim and the note retrieve, quoting its sources (:mod:`agent.drafting.freequote`); code verifies the quotes and
refuses a new version that ignores the reviewer."""

from __future__ import annotations

from typing import Any

from agent.core.claims import Grader
from agent.core.contracts import Claim, Draft, SearchHit, Usage
from agent.drafting.analysis import grading_for, is_graded
from agent.drafting.checks import is_repeat, names_in, unsupported_names
from agent.drafting.engine import Engine
from agent.drafting.freequote import PACK_SIZE, claim_schema, format_evidence, make_pack
from agent.drafting.template import SectionSpec, load_prompt, load_template
from agent.drafting.verify import EvidencePack, GivenCitation, numbers_in, verify_claim
from agent.llm.seam import LLMError


def redraft_pack(engine: Engine, draft: Draft, claim: Claim, guidance: str) -> EvidencePack:
    """The section's evidence pack, then chunks retrieved for the claim and the note."""
    section = draft.section(claim.section)
    store = engine.store
    chunks = store.get_chunks(section.evidence_chunk_ids)
    extra = engine.retriever.search(f"{claim.text} {guidance}", 4, doc_ids=draft.provenance.source_doc_ids or None)
    meta = store.document_meta({c.doc_id for c in chunks.values()})
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
    return make_pack(hits)


def redraft_claim(
    engine: Engine, draft: Draft, claim: Claim, guidance: str, grader: Grader | None = None
) -> tuple[Claim, Usage]:
    """A new version of ``claim`` (same id, ``origin='redrafted'``), guided by the reviewer's note.

    Its evidence is the section's pack plus chunks retrieved for the claim and the note. In a graded draft it is
    graded as the drafted claims were (by ``grader``, else one built over the draft's sources), a judgment as one.
    """
    template = load_template()
    prompt = load_prompt("redraft_claim")
    try:
        spec: SectionSpec | None = template.section(claim.section)
    except KeyError:
        spec = None
    if grader is None and is_graded(draft):
        grader = grading_for(engine, draft, engine.workspace.root)
    part = next((p for p in spec.parts if p.label == claim.label), None) if spec else None
    pack = redraft_pack(engine, draft, claim, guidance)
    messages = prompt.render(
        topic=draft.topic,
        section_title=spec.title if spec else claim.section,
        claim=claim.final_text,
        guidance=guidance or "(none)",
        evidence=format_evidence(pack),
    )
    result = engine.llm.complete(messages, claim_schema(spec), prompt_name=prompt.name, prompt_version=prompt.version)
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
        grader=grader,
        judgment=part.analytic if part else False,
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
