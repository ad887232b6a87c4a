"""The tradecraft pass over a draft's sources (:mod:`agent.tradecraft`), run by code before any claim is drafted:
source profiles and grades, figures and their ranges, contradictions and the timeline; then each claim's
independent sources, credibility grade, sourcing cues, confidence and estimative-language flag."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from agent.core.contracts import (
    Chunk,
    Citation,
    Claim,
    Contradiction,
    CueKind,
    Draft,
    FigureSet,
    Flag,
    Sentence,
    SourceDocument,
    SourceProfile,
    TimelineEvent,
)
from agent.corpus.embeddings import Embedder
from agent.corpus.inference import infer
from agent.corpus.sentences import SentenceAnalyser
from agent.corpus.store import Store
from agent.drafting.evidence import SentenceBase, density
from agent.tradecraft import grading
from agent.tradecraft.figures import figure_sets
from agent.tradecraft.profiles import REGISTRY_FILE, Registry, effective_document, is_weakly_sourced, profile
from agent.tradecraft.timeline import build_timeline
from agent.tradecraft.wires import carried_copy


class Sources(Protocol):
    @property
    def store(self) -> Store: ...

    @property
    def embedder(self) -> Embedder: ...

    @property
    def analyser(self) -> SentenceAnalyser: ...


@dataclass
class Analysis:
    registry: Registry
    profiles: dict[str, SourceProfile]
    figures: list[FigureSet]
    contradictions: list[Contradiction]
    timeline: list[TimelineEvent]
    contradicted: set[str] = field(default_factory=set)  # sentence ids a contradiction cites


def registry_path(workspace_root: Path) -> Path:
    return workspace_root / REGISTRY_FILE


def source_documents(docs: Sequence[SourceDocument], registry: Registry) -> list[SourceDocument]:
    """The documents as the analysis sees them: dates and outlets the analyst set, the text states or the file's name
    carries filled in (relative dates resolve against the date; one outlet's documents count as one source)."""
    out: list[SourceDocument] = []
    for d in docs:
        e = effective_document(d, registry)
        grade = registry.documents.get(d.id)
        copy = carried_copy(d.text, registry)
        # a republished agency story counts as the agency's: two sites carrying it are one line of reporting
        named = registry.find_in_name(d.path)  # the outlet the file is named after, when nothing else says
        outlet = (
            (grade.outlet if grade else None)
            or d.outlet
            or infer(d).outlet
            or (copy.agency.name if copy else None)
            or (named.name if named else None)
        )
        out.append(e.model_copy(update={"outlet": outlet}) if outlet != e.outlet else e)
    return out


def analyse_sources(
    services: Sources, docs: Sequence[SourceDocument], topic: str, workspace_root: Path
) -> tuple[SentenceBase, Analysis]:
    registry = Registry.load(registry_path(workspace_root))
    eff = source_documents(docs, registry)
    sentences = services.analyser.sentences(services.store, eff)
    chunks: dict[str, list[Chunk]] = {d.id: services.store.chunks_for(d.id) for d in eff}
    base = SentenceBase.build(eff, sentences, services.embedder, topic or "the sources", chunks)
    return base, analyse_base(base, sentences, registry, {d.id: d for d in docs})


def draft_documents(store: Store, doc_ids: Sequence[str] | None) -> list[SourceDocument]:
    """The documents a draft is drafted from (``None``: every stored one)."""
    wanted = set(doc_ids) if doc_ids is not None else None
    return [d for d in store.documents() if wanted is None or d.id in wanted]


def analyse_base(
    base: SentenceBase,
    sentences: dict[str, list[Sentence]],
    registry: Registry,
    originals: dict[str, SourceDocument] | None = None,
) -> Analysis:
    """The analysis over a sentence base; ``originals`` are the documents as stored (before dates and outlets
    were filled in), so each profile field says where it came from."""
    originals = originals or {}
    corro = base.corroboration
    published = {d: doc.published for d, doc in base.docs.items()}
    figures, fig_clash = figure_sets(base.sentences, corro, base.citation, published)
    timeline, date_clash = build_timeline(base.sentences, corro, base.citation)
    contradictions = fig_clash + date_clash
    contradicted = {c.sentence_id for x in contradictions for c in x.citations if c.sentence_id}
    weak_docs = {d for d in base.docs if is_weakly_sourced(sentences.get(d, []))}
    grades: dict[str, list[int]] = {d: [] for d in base.docs}
    for i, s in enumerate(base.sentences):
        if density(s) <= 0:
            continue  # a sentence without figures, dates or names states little to grade
        grades[s.doc_id].append(
            grading.credibility(
                len(corro.independent_sources(i)),
                contradicted=s.id in contradicted,
                weak=_weak_sentence(s) or s.doc_id in weak_docs,
            )
        )
    profiles = {
        d.id: profile(
            originals.get(d.id, d),
            sentences.get(d.id, []),
            registry,
            origin=base.origin.get(d.id, d.id),
            credibility=grading.document_credibility(grades[d.id]),
        )
        for d in base.docs.values()
    }
    profiles = {d: as_agency_copy(p, base.docs[d].text, registry) for d, p in profiles.items()}
    return Analysis(registry, profiles, figures, contradictions, timeline, contradicted)


def as_agency_copy(p: SourceProfile, text: str, registry: Registry) -> SourceProfile:
    """A source no one graded that carries a news agency's story (its dateline, credit or byline) takes the
    agency's type and reliability, marked inferred; the analyst's and the registry's grades stand."""
    if p.reliability_from != "default":
        return p
    copy = carried_copy(text, registry)
    if copy is None:
        return p
    update: dict[str, object] = {
        "reliability": copy.agency.reliability,
        "reliability_from": "inferred",
        "type": copy.agency.type,
        "type_from": "inferred",
    }
    if not p.outlet or p.outlet == copy.agency.name:
        update |= {"outlet": copy.agency.name, "outlet_from": "inferred"}
    else:
        update |= {"outlet": f"{p.outlet} ({copy.agency.name} copy)"}
    return p.model_copy(update=update)


def _weak_sentence(s: Sentence) -> bool:
    return bool(grading.weak_cues(c.kind for c in s.cues))


def grade_claim(claim: Claim, base: SentenceBase, analysis: Analysis, *, judgment: bool = False) -> None:
    """Set a claim's independent sources, credibility, cues and (for a judgment) confidence and vague-estimate
    flag, from the sentences it cites. A claim written by code about the sources is counted, not graded."""
    sids = [c.sentence_id for c in claim.citations if c.sentence_id]
    at = [i for i in (base.corroboration.index_of(s) for s in sids) if i is not None]
    cited = [base.sentences[i] for i in at]
    if not claim.citations:
        claim.sources, claim.credibility, claim.cues = 0, None, []
        return
    claim.sources = len(base.corroboration.sources_for(sids, claim.doc_ids))
    kinds: list[CueKind] = sorted({c.kind for s in cited for c in s.cues})
    claim.cues = kinds
    contradicted = any(s in analysis.contradicted for s in sids)
    if contradicted and Flag.CONTRADICTED not in claim.flags:
        claim.flags.append(Flag.CONTRADICTED)
    if claim.origin == "computed":
        claim.credibility = None
        return
    weak = any(_weak_sentence(s) for s in cited) or all(
        analysis.profiles[d].weak_sourcing for d in claim.doc_ids if d in analysis.profiles
    )
    # A statement of fact is as credible as its least corroborated sentence (two facts from two sources are two
    # single-source facts); a judgment draws on all its independent lines of evidence.
    corroborated = (
        claim.sources if judgment or not cited else min(len(base.corroboration.independent_sources(i)) for i in at)
    )
    claim.credibility = grading.credibility(corroborated, contradicted=contradicted, weak=weak)
    if judgment:
        if claim.confidence is None:
            claim.confidence = grading.confidence_for(
                claim.credibility, [analysis.profiles[d].reliability for d in claim.doc_ids if d in analysis.profiles]
            )
        if grading.is_vague_estimate(claim) and Flag.VAGUE_ESTIMATE not in claim.flags:
            claim.flags.append(Flag.VAGUE_ESTIMATE)


def is_graded(draft: Draft) -> bool:
    """Whether the draft's claims were graded when it was drafted (by parts, over the sources' sentences)."""
    return bool(draft.profiles or draft.digest)


@dataclass
class Grading:
    """The grader of :func:`agent.core.claims.make_claim` over a draft's sentences: a citation resolved to a
    span (a free quote) is first tied to the sentence it lies in, then the claim is graded by :func:`grade_claim`."""

    base: SentenceBase
    analysis: Analysis

    def __call__(self, claim: Claim, *, judgment: bool = False) -> None:
        claim.citations = [self._in_sentence(c) for c in claim.citations]
        grade_claim(claim, self.base, self.analysis, judgment=judgment)

    def _in_sentence(self, c: Citation) -> Citation:
        if c.sentence_id:
            return c
        overlap = [
            (min(s.end, c.end) - max(s.start, c.start), s.id) for s in self.base.sentences if s.doc_id == c.doc_id
        ]
        best = max(overlap, default=(0, ""))
        return c.model_copy(update={"sentence_id": best[1]}) if best[0] > 0 else c


def grading_for(sources: Sources, draft: Draft, workspace_root: Path) -> Grading:
    """The grader of a draft's claims, from its sources analysed again (as :func:`analyse_sources` did when it was
    drafted; the analyst's current source grades apply)."""
    docs = draft_documents(sources.store, draft.provenance.source_doc_ids or None)
    return Grading(*analyse_sources(sources, docs, draft.topic, workspace_root))
