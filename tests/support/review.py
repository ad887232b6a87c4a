"""Builders for review tests and the TUI benchmark: a realistic draft over the seed sources, and a fake backend.

Claims quote the seed documents verbatim and their spans are found with ``str.find``, so the
evidence the TUI shows is real text at real offsets. This module holds no tests.
"""

from __future__ import annotations

import re
import threading
from datetime import date
from pathlib import Path

from agent.core.claims import Grader
from agent.core.contracts import (
    AchCell,
    AchEvidence,
    AchMatrix,
    Chunk,
    Citation,
    Claim,
    Contradiction,
    CueKind,
    Draft,
    Figure,
    FigureSet,
    Flag,
    Provenance,
    SectionDraft,
    SourceDocument,
    SourceProfile,
    TimelineEvent,
    stable_id,
)
from agent.tradecraft.grading import credibility
from agent.tradecraft.profiles import Registry, apply_grades, set_document
from tests.support.seeds import SEEDS_DIR

SECTIONS = [
    ("bluf", "BLUF (Bottom Line Up Front)"),
    ("hypotheses", "Competing Hypotheses"),
    ("assumptions", "Key Assumptions and Red Flags"),
    ("implications", "Implications and Strategic Risks"),
    ("recommendations", "Recommendations and Outlook"),
    ("entities", "Key Individuals and Entities"),
    ("tags", "Thematic Tags"),
    ("techniques", "Structured Analytic Techniques Applied"),
]

# Metadata a real ingest would take from the page; the seed files carry only their text.
_META = {
    "001": ("Regional Affairs Daily", date(2025, 12, 27)),
    "002": ("Eurasia Insider", date(2025, 12, 28)),
    "003": ("Foreign Policy Review", date(2025, 3, 24)),
    "004": ("Boundless Discovery", date(2025, 1, 14)),
}

# (section, label, text, confidence, [(seed number, verbatim quote)], flags)
_CLAIMS: list[tuple[str, str | None, str, str | None, list[tuple[str, str]], list[Flag]]] = [
    (
        "bluf",
        None,
        "North Korea's military support for Russia in the Ukraine war marks a deepening alliance that is likely "
        "to strengthen further; overall confidence is moderate.",
        "moderate",
        [
            ("003", "the two leaders signed a mutual defense treaty which mandates support in case of an armed attack"),
            (
                "004",
                "In November 2024, North Korean troops were deployed to Russia, notably engaging in battles in Kursk.",
            ),
        ],
        [],
    ),
    (
        "bluf",
        None,
        "More than 10,000 North Korean troops, including elite units, have been deployed to fight for Russia.",
        "moderate",
        [("004", "more than 10,000 troops, including elite units, have been deployed to the ground")],
        [Flag.SINGLE_SOURCE],
    ),
    (
        "hypotheses",
        "Hypothesis A",
        "North Korea's support is driven by strategic alignment with Russia: Kim has pledged to support "
        "'the just cause of the Russian Army'.",
        "moderate",
        [
            ("003", "[North Korea] will invariably support and encourage the just cause of the Russian Army."),
            ("001", "Putin lauded the ‘heroic participation’ of North Korean military personnel"),
        ],
        [],
    ),
    (
        "hypotheses",
        "Hypothesis B",
        "North Korea's actions are motivated by what it gains in return, putting the Kremlin in its debt.",
        "low",
        [("003", "North Korea is engaging in a strategic investment to put the Kremlin in symbolic debt")],
        [Flag.SINGLE_SOURCE],
    ),
    (
        "hypotheses",
        "Assessment",
        "Hypothesis A is better supported; a shift in economic dependency would change this judgment.",
        "low",
        [],
        [Flag.UNSUPPORTED],
    ),
    (
        "assumptions",
        "Bias & Deception Risks",
        "Reports of North Korean sappers rest on anonymous sources and state media.",
        "moderate",
        [
            ("001", "Sources close to the Russian military have hinted at the deployment of North Korean engineers"),
            ("002", "One anonymous source, granted limited access to a closed-door briefing"),
        ],
        [Flag.LOW_RELIABILITY],
    ),
    (
        "assumptions",
        "Information Gaps",
        "Between 1,100 and 3,000 North Korean soldiers died in Kursk in December.",
        "low",
        [("003", "the deaths of anywhere from 1,100 to 3,000 North Korean soldiers in Kursk back in December")],
        [Flag.SINGLE_SOURCE],
    ),
    (
        "implications",
        "Security",
        "Over 60 North Korean KN-23 missiles have reportedly been fired into Ukraine, showing the scale of "
        "Pyongyang's involvement.",
        "moderate",
        [("004", "over 60 North Korean KN-23 missiles have been fired into Ukrainian territory")],
        [Flag.SINGLE_SOURCE],
    ),
    (
        "implications",
        "Political / Geopolitical",
        "Russia has moved from backing UN sanctions on North Korea to opposing new ones and buying its weapons.",
        "high",
        [
            ("004", "By 2022, Russia had actively opposed new sanctions against North Korea"),
            ("004", "supporting UN sanctions against North Korea in response to its nuclear activities"),
        ],
        [Flag.SINGLE_SOURCE],
    ),
    (
        "recommendations",
        "Immediate (0–30 days)",
        "Monitor further troop rotations to Kursk and any new weapons transfers.",
        None,
        [("003", "North Korea continued pouring soldiers to fill the hollowing mold of Russian forces")],
        [Flag.SINGLE_SOURCE],
    ),
    (
        "entities",
        "Kim Jong Un",
        "Kim Jong Un, leader of North Korea, has publicly committed to supporting Russia's war.",
        "high",
        [("003", "North Korean leader Kim Jong-Un crystallized his support of Russia and its ambitions in Ukraine")],
        [Flag.SINGLE_SOURCE],
    ),
    (
        "entities",
        "Vladimir Putin",
        "Vladimir Putin, President of Russia, praised North Korean troops for the 'liberation' of Kursk.",
        "moderate",
        [
            ("001", "highlighted the role of North Korean troops in the liberation of the Kursk region"),
            ("002", "Putin’s praise for the ‘liberation’ of Kursk"),
        ],
        [],
    ),
    ("tags", None, "North Korea; Russia; Ukraine war; Kursk; military cooperation", None, [], [Flag.UNSUPPORTED]),
    (
        "techniques",
        None,
        "Analysis of Competing Hypotheses weighed strategic against economic motives.",
        None,
        [],
        [Flag.UNSUPPORTED],
    ),
]


# Tradecraft as the drafting stage would fill it, by hand (as code would grade these seeds).
_PROFILES: dict[str, dict[str, object]] = {
    "001": {
        "type": "newspaper",
        "type_from": "inferred",
        "credibility": 4,
        "cues": {"anonymous": 2, "state-media": 1, "hedged": 3},
        "cue_phrases": ["Sources close to the Russian military", "Pyongyang Central News Agency"],
        "weak_sourcing": True,
    },
    "002": {
        "credibility": 4,
        "cues": {"anonymous": 3, "state-media": 1, "hedged": 2},
        "cue_phrases": ["One anonymous source", "insiders familiar with the Kremlin’s inner workings"],
        "weak_sourcing": True,
    },
    "003": {
        "type": "think-tank",
        "type_from": "registry",
        "reliability": "C",
        "reliability_from": "registry",
        "credibility": 3,
        "cues": {"attributed": 3, "hedged": 1},
    },
    "004": {"type": "newsletter", "type_from": "inferred", "credibility": 3, "cues": {"hedged": 2, "attributed": 1}},
}
# The sourcing cues of what each seed states, for the claims citing it.
_DOC_CUES: dict[str, list[CueKind]] = {"001": ["anonymous", "state-media"], "002": ["anonymous"], "003": [], "004": []}
# (date, precision, text, seed, quote): not in date order, as a view must sort them.
_EVENTS: list[tuple[str, str, str, str, str]] = [
    (
        "2024-11",
        "month",
        "North Korean troops were deployed to Russia and fought in Kursk.",
        "004",
        "In November 2024, North Korean troops were deployed to Russia, notably engaging in battles in Kursk.",
    ),
    (
        "2024-06",
        "month",
        "Putin visited North Korea and signed the Treaty on Comprehensive Strategic Partnership.",
        "004",
        "In June 2024, Putin made a historic visit to North Korea",
    ),
    (
        "2024-12-03",
        "day",
        "President Yoon Suk Yeol of South Korea declared emergency martial law.",
        "004",
        "President Yoon Suk Yeol of South Korea has declared emergency martial law",
    ),
    (
        "2024-08",
        "month",
        "Ukrainian forces invaded the Kursk region of Russia.",
        "003",
        "The invasion of the Kursk region in Russia by Ukrainian forces in August of last year",
    ),
    (
        "2024-12",
        "month",
        "Between 1,100 and 3,000 North Korean soldiers died in Kursk.",
        "003",
        "the deaths of anywhere from 1,100 to 3,000 North Korean soldiers in Kursk back in December",
    ),
]
_ACH_EVIDENCE: list[tuple[str, str]] = [
    ("003", "[North Korea] will invariably support and encourage the just cause of the Russian Army."),
    ("003", "North Korea is engaging in a strategic investment to put the Kremlin in symbolic debt"),
    ("004", "In November 2024, North Korean troops were deployed to Russia, notably engaging in battles in Kursk."),
    ("001", "Putin lauded the ‘heroic participation’ of North Korean military personnel"),
]


def add_tradecraft(draft: Draft, docs: list[SourceDocument], chunks: list[Chunk]) -> None:
    """Fill a seed draft's tradecraft (profiles, timeline, figures, a contradiction, the ACH matrix with two
    model marks) and each claim's independent sources, credibility and cues, in place."""
    by_num = {Path(d.path).name[:3]: d for d in docs}
    num_of = {d.id: n for n, d in by_num.items()}
    draft.profiles = [
        SourceProfile(doc_id=d.id, label=d.label(), outlet=d.outlet, outlet_from="file", **_PROFILES[n])  # type: ignore[arg-type]
        for n, d in sorted(by_num.items())
    ]
    draft.profiles[1].origin = draft.profiles[0].doc_id  # 002 rewrites 001's story: one source, counted once
    origin = {p.doc_id: p.origin or p.doc_id for p in draft.profiles}
    for claim in draft.claims():
        nums = sorted({num_of[c.doc_id] for c in claim.citations})
        independent = len({origin[c.doc_id] for c in claim.citations})
        claim.sources = independent if nums else None
        claim.cues = sorted({k for n in nums for k in _DOC_CUES[n]})
        claim.credibility = credibility(independent, weak=bool(claim.cues)) if nums else None
    draft.timeline = [
        TimelineEvent(date=d, precision=p, text=t, citations=[cite(by_num[n], chunks, q)])  # type: ignore[arg-type]
        for d, p, t, n, q in _EVENTS
    ]
    killed = cite(by_num["003"], chunks, "1,100 to 3,000 North Korean soldiers")
    sent = cite(by_num["004"], chunks, "more than 10,000 troops")
    projected = cite(by_num["004"], chunks, "North Korea could eventually send up to 100,000 soldiers")
    draft.figures = [
        FigureSet(
            quantity="North Korean soldiers killed",
            low=1100,
            high=3000,
            figures=[Figure(text="1,100 to 3,000", low=1100, high=3000, doc_id=killed.doc_id, citation=killed)],
        ),
        FigureSet(
            quantity="North Korean troops sent",
            low=10000,
            high=100000,
            figures=[
                Figure(text="more than 10,000", low=10000, high=10000, doc_id=sent.doc_id, citation=sent),
                Figure(text="up to 100,000", low=100000, high=100000, doc_id=projected.doc_id, citation=projected),
            ],
        ),
    ]
    november = cite(by_num["004"], chunks, _EVENTS[0][4])
    december = cite(by_num["003"], chunks, _EVENTS[4][4])
    draft.contradictions = [
        Contradiction(
            kind="date",
            about="North Korean troops in battle in Kursk",
            values=["2024-11", "2024-12"],
            citations=[november, december],
        )
    ]
    first = draft.claims()[0]
    first.flags = [*first.flags, Flag.CONTRADICTED]
    first.likelihood = "likely"
    hypotheses = [c.id for c in draft.section("hypotheses").claims if (c.label or "").startswith("Hypothesis")][:2]
    evidence = [
        AchEvidence(id=stable_id("ach", n, q), text=q, citation=cite(by_num[n], chunks, q)) for n, q in _ACH_EVIDENCE
    ]
    draft.ach = AchMatrix(
        hypotheses=hypotheses,
        evidence=evidence,
        cells=[AchCell(hypothesis=h, evidence=e.id) for e in evidence for h in hypotheses],
        note="The model marked the cells it could judge; code kept the marks that discriminate.",
    )
    draft.ach.cell(hypotheses[0], evidence[0].id).mark = "C"
    draft.ach.cell(hypotheses[0], evidence[0].id).by = "model"
    draft.ach.cell(hypotheses[1], evidence[0].id).mark = "I"
    draft.ach.cell(hypotheses[1], evidence[0].id).by = "model"


def seed_documents() -> list[SourceDocument]:
    docs = []
    for path in sorted(SEEDS_DIR.glob("00[1-4]_*.txt")):
        text = path.read_text(encoding="utf-8")
        outlet, published = _META[path.name[:3]]
        docs.append(
            SourceDocument(
                id=stable_id("doc", text),
                path=str(path),
                title=text.split("\n", 1)[0].strip(),
                outlet=outlet,
                published=published,
                text=text,
                sha256=stable_id("raw", text, length=64),
            )
        )
    return docs


def paragraph_chunks(doc: SourceDocument) -> list[Chunk]:
    """One chunk per paragraph, with exact offsets (a stand-in for the real chunker)."""
    chunks = []
    for n, m in enumerate(re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]+)*", doc.text)):
        chunks.append(
            Chunk(
                id=stable_id("chunk", doc.id, m.start(), m.end()),
                doc_id=doc.id,
                ordinal=n,
                text=m.group(),
                start=m.start(),
                end=m.end(),
            )
        )
    return chunks


def cite(doc: SourceDocument, chunks: list[Chunk], quote: str) -> Citation:
    start = doc.text.find(quote)
    if start < 0:
        raise AssertionError(f"quote not in {doc.path}: {quote!r}")
    end = start + len(quote)
    chunk = next(c for c in chunks if c.doc_id == doc.id and c.start <= start and end <= c.end)
    return Citation(chunk_id=chunk.id, doc_id=doc.id, quote=quote, start=start, end=end, quote_as_given=quote)


class FakeBackend:
    """In-memory :class:`agent.review.session.ReviewBackend` over the seed documents.

    ``redraft_claim`` returns a visibly changed claim; ``redraft_gate`` (an Event) lets a test hold the
    redraft "in flight" to prove the UI stays responsive. ``fail_redraft`` makes it raise.
    """

    def __init__(
        self,
        docs: list[SourceDocument],
        chunks: list[Chunk],
        exports_dir: Path | None = None,
        registry_file: Path | None = None,
    ) -> None:
        self.docs = {d.id: d for d in docs}
        self.registry_file = registry_file  # the workspace's sources.toml (None: only the default registry)
        self.chunks = {c.id: c for c in chunks}
        self.exports_dir = exports_dir
        self.redraft_calls: list[tuple[str, str]] = []
        self.redraft_gate: threading.Event | None = None
        self.fail_redraft: str | None = None
        self.exports: list[tuple[str, bool]] = []

    def document(self, doc_id: str) -> SourceDocument:
        return self.docs[doc_id]

    def chunk(self, chunk_id: str) -> Chunk:
        return self.chunks[chunk_id]

    def evidence(self, section_key: str, draft: Draft) -> list[Chunk]:
        ids = draft.section(section_key).evidence_chunk_ids
        return [self.chunks[i] for i in ids if i in self.chunks]

    def redraft_claim(self, draft: Draft, claim: Claim, guidance: str) -> Claim:
        self.redraft_calls.append((claim.id, guidance))
        if self.redraft_gate is not None:
            self.redraft_gate.wait(10)
        if self.fail_redraft:
            raise RuntimeError(self.fail_redraft)
        return claim.model_copy(
            update={"id": stable_id("redraft", claim.id, guidance), "text": f"{claim.text} (Revised: {guidance})"}
        )

    def grader(self, draft: Draft) -> Grader | None:
        return None  # the seed draft is not graded; the real backend's grader is tested over a real workspace

    def export(self, draft: Draft, fmt: str, include_pending: bool) -> Path:
        self.exports.append((fmt, include_pending))
        folder = self.exports_dir or Path(".")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{draft.id}.{fmt}"
        lines = [f"# {draft.topic}"]
        for s in draft.sections:
            lines.append(f"## {s.title}")
            lines += [f"- {c.final_text}" for c in s.claims if c.status in ("accepted", "edited") or include_pending]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def source_profiles(self, draft: Draft) -> list[SourceProfile]:
        return apply_grades(draft.profiles, Registry.load(self.registry_file))

    def set_source_grade(self, doc_id: str, *, reliability: str | None = None, type: str | None = None) -> None:
        if self.registry_file is None:
            raise ValueError("no workspace registry in this test")
        set_document(self.registry_file, doc_id, reliability=reliability, type=type)


def seed_draft(repeat: int = 1, *, tradecraft: bool = True) -> tuple[Draft, list[SourceDocument], list[Chunk]]:
    """A draft of the seed case: 14 realistic claims (``repeat`` times over, for the benchmark), with its
    tradecraft filled (:func:`add_tradecraft`) when asked."""
    docs = seed_documents()
    by_num = {Path(d.path).name[:3]: d for d in docs}
    chunks = [c for d in docs for c in paragraph_chunks(d)]
    sections = []
    for key, title in SECTIONS:
        claims = []
        evidence: list[str] = []
        for r in range(repeat):
            for n, (sec, label, text, conf, quotes, flags) in enumerate(_CLAIMS):
                if sec != key:
                    continue
                cits = [cite(by_num[num], chunks, q) for num, q in quotes]
                evidence += [c.chunk_id for c in cits if c.chunk_id not in evidence]
                suffix = f" [{r + 1}]" if repeat > 1 else ""
                claims.append(
                    Claim(
                        id=stable_id("claim", key, n, r),
                        section=key,
                        text=text + suffix,
                        label=label,
                        citations=cits,
                        confidence=conf,
                        flags=flags,
                    )
                )
        sections.append(SectionDraft(key=key, title=title, status="done", claims=claims, evidence_chunk_ids=evidence))
    draft = Draft(
        id=stable_id("draft", "seed", repeat),
        topic="North Korea–Russia military cooperation after Putin's New Year message",
        sections=sections,
        provenance=Provenance(model="fake", endpoint_kind="fake", source_doc_ids=[d.id for d in docs]),
    )
    if tradecraft:
        add_tradecraft(draft, docs, chunks)
    return draft, docs, chunks


def big_draft(n_claims: int = 1000) -> tuple[Draft, list[SourceDocument], list[Chunk]]:
    """At least ``n_claims`` claims, cycling the seed claims (for the benchmark)."""
    repeat = -(-n_claims // len(_CLAIMS))
    return seed_draft(repeat)
