"""The typed contracts between pipeline stages (see DESIGN.md, "Data").

Every stage takes and returns these models and writes them to disk as JSON, so a run can
stop anywhere and resume. Ids are content hashes: the same input gives the same id.
"""

from __future__ import annotations

import bisect
import hashlib
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def stable_id(*parts: object, length: int = 16) -> str:
    """A short hex id from the parts' text: equal parts give equal ids, across processes."""
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8"))
    return h.hexdigest()[:length]


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- sources


MetaSource = Literal["sidecar", "file", "inherited", "inferred", "analyst"]
"""Where a metadata field came from: a ``NAME.meta.json`` sidecar; the file's own metadata (HTML meta tags, PDF
info, DOCX core properties, e-mail headers, front matter); the e-mail an attachment came in; the text itself."""


class Attachment(_Model):
    """A file attached to an e-mail: ingested as its own document (``doc_id``) or only listed (``note`` says why)."""

    name: str
    content_type: str
    size: int
    doc_id: str | None = None
    note: str | None = None


class SourceDocument(_Model):
    """One source file, normalised. ``id`` is the hash of the normalised text."""

    id: str
    path: str
    title: str | None = None
    outlet: str | None = None
    author: str | None = None
    published: date | None = None
    url: str | None = None
    content_type: str = "text/plain"
    text: str
    sha256: str = Field(description="SHA-256 of the raw file bytes (change detection)")
    ingested_at: datetime = Field(default_factory=utcnow)
    field_sources: dict[str, MetaSource] = Field(
        default_factory=dict, description="where each known metadata field (title, outlet, ...) came from"
    )
    pages: list[int] = Field(
        default_factory=list, description="start offset in ``text`` of each page (PDF); empty when not paged"
    )
    attachments: list[Attachment] = Field(default_factory=list, description="an e-mail's attachments")

    def label(self) -> str:
        """How the document is named to people: title, else file name."""
        return self.title or self.path.rsplit("/", 1)[-1]

    def page_of(self, offset: int) -> int | None:
        """The 1-based page holding character ``offset`` of the text; ``None`` for a document without pages."""
        return page_of(self, offset)


def page_of(doc: SourceDocument, offset: int) -> int | None:
    """The 1-based page of ``doc`` that holds character ``offset``; ``None`` when the document has no pages."""
    if not doc.pages:
        return None
    return max(1, bisect.bisect_right(doc.pages, offset))


class Chunk(_Model):
    """A contiguous slice of a document: ``doc.text[start:end] == text``."""

    id: str
    doc_id: str
    ordinal: int
    text: str
    start: int
    end: int


class SearchHit(_Model):
    """One retrieved chunk with its fused score and the ranks that produced it."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    keyword_rank: int | None = None
    doc_title: str | None = None
    outlet: str | None = None
    published: date | None = None


class IngestOutcome(_Model):
    path: str
    status: Literal["added", "replaced", "unchanged", "failed", "skipped"]
    doc_id: str | None = None
    chunks: int = 0
    error: str | None = None


# --------------------------------------------------------------------------- sentences (evidence units)


class Mention(_Model):
    """A named entity (spaCy label: PERSON, ORG, GPE, NORP, ...)."""

    text: str
    start: int
    end: int
    label: str


Precision = Literal["day", "month", "year"]


class DateMention(_Model):
    """A date expression resolved against the document's own date: ``2024-08-06``, ``2024-08`` or ``2024``."""

    text: str
    start: int
    end: int
    value: str
    precision: Precision


NumberKind = Literal["cardinal", "money", "percent", "quantity", "ordinal"]


class NumberMention(_Model):
    """A number or range (``low``..``high``) and the noun it counts (``troops``), when the parse says."""

    text: str
    start: int
    end: int
    low: float
    high: float
    counts: str | None
    kind: NumberKind


CueKind = Literal["anonymous", "unnamed-official", "state-media", "hedged", "attributed", "unattributed"]
WEAK_CUES: frozenset[str] = frozenset({"anonymous", "unnamed-official", "state-media"})
# "Officials said", "witnesses said", "according to reports", "it is widely understood": nobody named, though not
# the secret sourcing WEAK_CUES are; a reader is told of them (sourcing risks), the confidence rule does not count them
UNNAMED_CUES: frozenset[str] = WEAK_CUES | {"unattributed"}


class Cue(_Model):
    """A sourcing cue: anonymous, a single unnamed official, state media, hedged, or attributed to ``who``."""

    kind: CueKind
    text: str
    start: int
    end: int
    who: str | None


SentenceKind = Literal["body", "heading", "boilerplate", "bullet"]


class Sentence(_Model):
    """A sentence of a document with exact offsets (``doc.text[start:end] == text``): what a claim cites."""

    id: str
    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    kind: SentenceKind
    entities: list[Mention]
    dates: list[DateMention]
    numbers: list[NumberMention]
    cues: list[Cue]


# --------------------------------------------------------------------------- drafting

Confidence = Literal["low", "moderate", "high"]
# ICD-203 expressions of likelihood, from least to most likely.
Likelihood = Literal[
    "almost no chance",
    "very unlikely",
    "unlikely",
    "roughly even chance",
    "likely",
    "very likely",
    "almost certain",
]
ReviewStatus = Literal["pending", "accepted", "edited", "rejected"]
ClaimOrigin = Literal["drafted", "redrafted", "manual", "computed"]
# Admiralty information credibility: 1 confirmed ... 5 improbable, 6 cannot be judged.
Credibility = Literal[1, 2, 3, 4, 5, 6]
CREDIBILITY_TERMS: dict[int, str] = {
    1: "confirmed",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "cannot be judged",
}


class Flag(StrEnum):
    """Why a claim deserves a closer look. Set by code, never by the model."""

    UNSUPPORTED = "unsupported"  # no citation survived verification
    SINGLE_SOURCE = "single-source"  # all surviving citations come from one document
    NUMBER_NOT_IN_EVIDENCE = "number-not-in-evidence"  # a number/date in the claim is in none of its quotes
    REATTRIBUTED = "reattributed"  # a quote was found in another chunk than the one the model named
    FUZZY_QUOTE = "fuzzy-quote"  # a quote matched only approximately
    DROPPED_CITATION = "dropped-citation"  # at least one citation was dropped by verification
    MANUAL = "manual"  # added by hand in review
    LOW_RELIABILITY = "low-reliability"  # rests only on anonymous / state-media sourcing
    NAME_NOT_IN_EVIDENCE = "name-not-in-evidence"  # a name in the claim is in none of its cited sentences
    COPIED_SENTENCE = "copied-sentence"  # mostly a copy of a cited sentence where analysis is asked for
    ECHOES_INSTRUCTIONS = "echoes-instructions"  # restates the section's instructions or the topic
    VAGUE_ESTIMATE = "vague-estimate"  # a judgment word ("may", "probably") without a likelihood and confidence
    CONTRADICTED = "contradicted"  # another source states a different figure or date for what it cites


class Citation(_Model):
    """A quote resolved by code to a character span of a source document."""

    chunk_id: str
    doc_id: str
    quote: str = Field(description="The document's own text at [start, end): what is shown and exported")
    start: int
    end: int
    quote_as_given: str = Field(description="What the model wrote, before resolution")
    match: Literal["exact", "normalized", "fuzzy"] = "exact"
    score: float = 1.0
    reattributed_from: str | None = Field(
        default=None, description="The chunk the model named, when the quote was found in another one"
    )
    sentence_id: str | None = Field(default=None, description="The sentence cited (chosen by code), if any")


class DroppedCitation(_Model):
    """A citation the model gave that verification refused, kept for the audit trail."""

    chunk_ref: str
    quote: str
    reason: Literal["unknown-chunk", "quote-not-found", "empty-quote", "too-short", "heading", "instruction"]


class Claim(_Model):
    id: str
    section: str
    text: str
    label: str | None = Field(default=None, description="Sub-heading within the section, e.g. 'Hypothesis A'")
    citations: list[Citation] = Field(default_factory=list)
    dropped: list[DroppedCitation] = Field(default_factory=list)
    confidence: Confidence | None = None
    likelihood: Likelihood | None = Field(default=None, description="ICD-203 likelihood, where a judgment")
    flags: list[Flag] = Field(default_factory=list)
    status: ReviewStatus = "pending"
    edited_text: str | None = None
    reviewer_note: str | None = None
    reviewed_by: str | None = Field(default=None, description="Who made the claim's current review decision")
    origin: ClaimOrigin = Field(
        default="drafted", description="'computed': written by code from the pipeline's results, not by a model"
    )
    sources: int | None = Field(default=None, description="Independent sources stating what it cites (by code)")
    credibility: Credibility | None = Field(default=None, description="Admiralty information credibility, 1-6")
    cues: list[CueKind] = Field(default_factory=list, description="Sourcing cues in its cited sentences")

    @property
    def final_text(self) -> str:
        return self.edited_text if self.status == "edited" and self.edited_text else self.text

    @property
    def doc_ids(self) -> list[str]:
        return sorted({c.doc_id for c in self.citations})


class Usage(_Model):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    retries: int = 0
    latency_s: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            calls=self.calls + other.calls,
            retries=self.retries + other.retries,
            latency_s=self.latency_s + other.latency_s,
        )


class SectionDraft(_Model):
    key: str
    title: str
    status: Literal["pending", "done", "failed"] = "pending"
    claims: list[Claim] = Field(default_factory=list)
    evidence_chunk_ids: list[str] = Field(default_factory=list, description="The evidence pack it was drafted from")
    error: str | None = None
    empty_reason: str | None = Field(default=None, description="Why a finished section has no claims")
    duplicates_dropped: int = Field(default=0, description="Claims dropped as repeats of an earlier one")
    skipped: list[str] = Field(
        default_factory=list, description="Parts not drafted, and why (refused answers, too little evidence)"
    )
    usage: Usage = Field(default_factory=Usage)
    elapsed_s: float = 0.0


class Provenance(_Model):
    model: str
    endpoint_kind: str
    base_url: str | None = None
    sampling: dict[str, Any] = Field(default_factory=dict)
    prompts: dict[str, str] = Field(default_factory=dict, description="prompt name -> version hash")
    template: str = ""
    collection: str = ""
    embedding_model: str = ""
    source_doc_ids: list[str] = Field(default_factory=list)
    briefwright_version: str = ""


class DigestItem(_Model):
    """One sentence of the fact digest: the fact-dense sentences a draft stands on, chosen by code."""

    n: int
    sentence_id: str
    doc_id: str
    start: int
    end: int
    text: str
    sources: int = Field(default=1, description="Independent documents stating it (near-duplicates folded)")


# --------------------------------------------------------------------------- tradecraft

SourceType = Literal["wire", "newspaper", "state-media", "think-tank", "newsletter", "blog", "unknown"]
# Admiralty source reliability: A completely reliable ... E unreliable, F cannot be judged.
Reliability = Literal["A", "B", "C", "D", "E", "F"]
RELIABILITY_TERMS: dict[str, str] = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
FieldOrigin = Literal["analyst", "sidecar", "file", "inherited", "registry", "inferred", "default"]


class SourceProfile(_Model):
    """Who a source is and how far it can be trusted: type and Admiralty grade, each field with where it came from.

    ``reliability`` (A-F) is the source's, from the outlet registry or the analyst; ``credibility`` (1-6) is code's
    grade of what this document states: corroboration by independent sources, contradictions, its sourcing cues.
    """

    doc_id: str
    label: str
    outlet: str | None = None
    outlet_from: FieldOrigin | None = None
    author: str | None = None
    author_from: FieldOrigin | None = None
    published: date | None = None
    published_from: FieldOrigin | None = None
    type: SourceType = "unknown"
    type_from: FieldOrigin = "default"
    reliability: Reliability = "F"
    reliability_from: FieldOrigin = "default"
    credibility: Credibility = 6
    cues: dict[str, int] = Field(default_factory=dict, description="Sourcing cues found, by kind")
    cue_phrases: list[str] = Field(default_factory=list, description="The anonymous / state-media phrases, verbatim")
    weak_sourcing: bool = Field(default=False, description="Rests largely on anonymous or state-media sourcing")
    origin: str = Field(default="", description="The source it counts as for corroboration (rewrites, one outlet)")

    @property
    def grade(self) -> str:
        """The Admiralty code, e.g. ``C3``."""
        return f"{self.reliability}{self.credibility}"


class TimelineEvent(_Model):
    """A dated statement, its date resolved by code, with the sentences (from any source) that state it."""

    date: str = Field(description="2024-08-06, 2024-08 or 2024")
    precision: Precision
    text: str
    citations: list[Citation]
    sources: int = 1


class Figure(_Model):
    """One figure a source gives for a quantity, with the sentence that gives it."""

    text: str
    low: float
    high: float
    doc_id: str
    citation: Citation


class FigureSet(_Model):
    """The figures the sources give for one quantity ("North Korean soldiers killed"): a range, or a disagreement."""

    quantity: str
    low: float
    high: float
    figures: list[Figure]
    sources: int = 1
    disagree: bool = Field(default=False, description="Independent sources give figures that do not overlap")
    revised: bool = Field(
        default=False, description="A later report gives another figure: an estimate revised, not a contradiction"
    )


class Contradiction(_Model):
    """Statements of different sources about the same thing that disagree, with both sentences."""

    kind: Literal["figure", "date"]
    about: str
    values: list[str]
    citations: list[Citation]


AchMark = Literal["C", "I", "N"]  # consistent, inconsistent, not applicable


class AchCell(_Model):
    hypothesis: str = Field(description="The hypothesis claim's id")
    evidence: str = Field(description="The evidence item's id")
    mark: AchMark | None = None
    by: Literal["model", "analyst"] | None = None


class AchEvidence(_Model):
    id: str
    text: str
    citation: Citation
    sources: int = 1


class AchMatrix(_Model):
    """Hypotheses x evidence (Heuer's ACH): each cell consistent / inconsistent / not applicable, scored by code."""

    hypotheses: list[str] = Field(default_factory=list, description="Hypothesis claim ids, in brief order")
    evidence: list[AchEvidence] = Field(default_factory=list)
    cells: list[AchCell] = Field(default_factory=list)
    note: str | None = Field(default=None, description="How the cells were filled (or why they were left empty)")

    def cell(self, hypothesis: str, evidence: str) -> AchCell:
        for c in self.cells:
            if c.hypothesis == hypothesis and c.evidence == evidence:
                return c
        cell = AchCell(hypothesis=hypothesis, evidence=evidence)
        self.cells.append(cell)
        return cell


class Draft(_Model):
    id: str
    topic: str
    digest: list[DigestItem] = Field(default_factory=list)
    profiles: list[SourceProfile] = Field(default_factory=list)
    timeline: list[TimelineEvent] = Field(default_factory=list)
    figures: list[FigureSet] = Field(default_factory=list)
    contradictions: list[Contradiction] = Field(default_factory=list)
    ach: AchMatrix | None = None
    created: datetime = Field(default_factory=utcnow)
    updated: datetime = Field(default_factory=utcnow)
    sections: list[SectionDraft] = Field(default_factory=list)
    provenance: Provenance
    confidence: Confidence | None = Field(default=None, description="Overall confidence stated in the BLUF")

    def section(self, key: str) -> SectionDraft:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)

    def claims(self) -> list[Claim]:
        return [c for s in self.sections for c in s.claims]

    def find_claim(self, claim_id: str) -> Claim:
        for c in self.claims():
            if c.id == claim_id:
                return c
        raise KeyError(claim_id)

    @property
    def usage(self) -> Usage:
        total = Usage()
        for s in self.sections:
            total = total + s.usage
        return total


# --------------------------------------------------------------------------- review

ReviewAction = Literal["accept", "edit", "reject", "note", "reset", "undo", "redo", "add", "redraft", "ach"]


class ReviewEvent(_Model):
    """One decision, appended (fsync'd) to the draft's journal before the UI shows it as done.

    ``before``/``after`` are whole claim snapshots (``None`` for a claim that does not exist
    on that side), so replaying the journal over the draft is ``claim = after`` in order.

    An ACH mark (action ``ach``, and the undo or redo of one) changes no claim: it carries the matrix cell
    before and after instead (``claim_id`` is the hypothesis), and replay is ``cell = cell_after``.
    """

    id: str
    draft_id: str
    claim_id: str
    section: str
    action: ReviewAction
    before: Claim | None = None
    after: Claim | None = None
    note: str | None = None
    reviewer: str
    time: datetime = Field(default_factory=utcnow)
    cell_before: AchCell | None = Field(default=None, description="An ACH cell before the mark (action 'ach')")
    cell_after: AchCell | None = Field(default=None, description="An ACH cell after the mark (action 'ach')")
