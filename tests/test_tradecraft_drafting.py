"""The tradecraft pass inside drafting: claims graded from their sentences, the ACH matrix and what the model may
put in it, and the brief's sections fed by profiles and contradictions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
from pydantic import BaseModel
from spacy.language import Language

from agent.core.contracts import Claim, Draft, Flag, Provenance, SourceDocument, stable_id
from agent.corpus.dates import human_date
from agent.corpus.sentences import analyse
from agent.drafting.analysis import analyse_base, grade_claim
from agent.drafting.evidence import SentenceBase
from agent.llm.seam import Message
from agent.llm.testing import FakeLLM
from agent.services import Services
from agent.tradecraft.profiles import Registry

TOPIC = "North Korea's military support for Russia in the Ukraine war"


def base_of(nlp: Language, *texts: str) -> tuple[SentenceBase, Any]:
    docs = []
    for t in texts:
        did = stable_id(t)
        docs.append(SourceDocument(id=did, path=f"{did}.txt", text=t, sha256=did, published=date(2025, 1, 10)))
    sentences = {d.id: analyse(nlp, d.id, d.text, d.published) for d in docs}
    cands = [s for d in docs for s in sentences[d.id] if s.kind == "body"]
    zeros = np.zeros((len(cands), 4), dtype=np.float32)
    base = SentenceBase(docs={d.id: d for d in docs}, sentences=cands, vectors=zeros, topic_sim=np.zeros(len(cands)))
    return base, analyse_base(base, sentences, Registry.load(None))


A = "North Korea sent 11,000 soldiers to the Kursk region in November 2024, Seoul's spy agency said."
B = "North Korea sent 11,000 soldiers to the Kursk region in November 2024, officials in Kyiv said."
C = "Sources close to the Kremlin said Russia pays North Korea $2,000 per soldier per month."


def claim_citing(base: SentenceBase, *needles: str) -> Claim:
    cites = [base.citation(s) for s in base.sentences if any(n in s.text for n in needles)]
    return Claim(id="c", section="bluf", text="x", citations=cites)


def test_a_corroborated_fact_grades_above_a_single_anonymous_one(nlp: Language) -> None:
    base, a = base_of(nlp, A, B, C)
    fact = claim_citing(base, "spy agency")
    grade_claim(fact, base, a)
    assert (fact.sources, fact.credibility) == (2, 2)  # restated by the satellite report: probably true
    anon = claim_citing(base, "Kremlin")
    grade_claim(anon, base, a)
    assert (anon.sources, anon.credibility, anon.cues) == (1, 4, ["anonymous"])  # one anonymous source: doubtful


def test_a_fact_is_as_credible_as_its_least_corroborated_sentence_a_judgment_draws_on_all(nlp: Language) -> None:
    base, a = base_of(nlp, A, B, C)
    both = claim_citing(base, "spy agency", "Kremlin")
    grade_claim(both, base, a)
    assert both.sources == 3 and both.credibility == 4  # the $2,000 is one anonymous source's
    judged = claim_citing(base, "spy agency", "Kremlin").model_copy(update={"text": "Russia may keep paying."})
    grade_claim(judged, base, a, judgment=True)
    assert judged.credibility == 1 and judged.confidence == "moderate"  # sources F: never high confidence
    assert Flag.VAGUE_ESTIMATE in judged.flags  # "may" without a likelihood
    judged2 = judged.model_copy(update={"flags": [], "likelihood": "likely", "text": "It is likely Russia pays."})
    grade_claim(judged2, base, a, judgment=True)
    assert Flag.VAGUE_ESTIMATE not in judged2.flags


def test_a_contradicted_figure_is_flagged_and_graded_improbable(nlp: Language) -> None:
    base, a = base_of(nlp, "Kyiv said about 1,000 North Korean soldiers were killed in Kursk.",
                      "Seoul said 4,000 North Korean soldiers were killed in fighting in Kursk.")  # fmt: skip
    assert len(a.contradictions) == 1
    c = claim_citing(base, "1,000")
    grade_claim(c, base, a)
    assert Flag.CONTRADICTED in c.flags and c.credibility == 5


def test_code_written_claims_are_counted_not_graded(nlp: Language) -> None:
    base, a = base_of(nlp, A, B)
    c = claim_citing(base, "spy agency").model_copy(update={"origin": "computed"})
    grade_claim(c, base, a)
    assert c.sources == 2 and c.credibility is None
    bare = Claim(id="b", section="techniques", text="Every sentence was screened.", origin="computed")
    grade_claim(bare, base, a)
    assert (bare.sources, bare.credibility) == (0, None)


# ---------------------------------------------------------------- drafting on the seeds


def answering(marks: Sequence[str] | None) -> Any:
    """A model that condenses, and marks ACH rows with ``marks`` in turn (``None``: always "consistent")."""
    n = {"row": 0}

    def answer(messages: Sequence[Message], schema: type[BaseModel]) -> dict[str, Any]:
        fields = schema.model_fields
        if "h1" in fields:
            out = {}
            for k in range(1, len(fields) + 1):
                out[f"h{k}"] = "consistent" if marks is None else marks[(n["row"] + k) % len(marks)]
            n["row"] += 1
            return out
        if "role" in fields:
            return {"role": "senior official"}
        given = messages[1]["content"].split("<sentences>")[1].split("</sentences>")[0]
        words = [w for w in given.split() if w.isalpha() and len(w) > 4][n["row"] % 3 :][:5]
        if "explanation these sentences give" in messages[1]["content"]:
            n["explained"] = n.get("explained", 0) + 1
        # a second explanation in other words than the first (the embedded model's task does not show the first)
        if "DIFFERENT explanation" in messages[1]["content"] or n.get("explained", 0) > 1:
            words = [w for w in given.split() if w.isalpha() and len(w) > 4][::-1][:5]
        n["row"] += 1
        figures = " ".join(dict.fromkeys(re.findall(r"(?:more than )?\$?\b\d[\d,]*\d\b", given)))
        text = "the reporting shows " + " ".join(words).lower() + (f" with {figures}" if figures else "") + " matters."
        if "DIFFERENT explanation" in messages[1]["content"] or n.get("explained", 0) > 1:
            text = "another account blames " + " ".join(words).lower() + "."
        ans: dict[str, Any] = {"text": text[:1].upper() + text[1:]}
        if "likelihood" in fields:
            ans["likelihood"] = "likely"
            ans["text"] = "It is likely that " + text
        if "sentences" in fields:
            ans["sentences"] = ["1"]
        return ans

    return answer


def draft_with(services: Services, fake: FakeLLM, capable: bool) -> Draft:
    from agent.drafting.parts import draft_section_parts
    from agent.drafting.pipeline import draft_context
    from agent.drafting.template import load_template

    services.use_llm(fake)
    services.settings.llm.capable = capable
    draft = Draft(id="d", topic=TOPIC, provenance=Provenance(model="fake", endpoint_kind="fake"))
    template = load_template()
    from agent.core.contracts import SectionDraft

    draft.sections = [SectionDraft(key=s.key, title=s.title) for s in template.sections]
    ctx = draft_context(services, draft, fake, None)
    for section, spec in zip(draft.sections, template.sections, strict=True):
        draft_section_parts(ctx, section, spec)
    return draft


def test_the_embedded_model_leaves_the_hypotheses_and_their_weighing_to_the_analyst(services: Services) -> None:
    fake = FakeLLM(answering(["consistent", "inconsistent"]))
    draft = draft_with(services, fake, capable=False)
    # no hypothesis drafted (the analyst's, with its evidence), so no matrix; the model is never asked to mark one
    assert draft.ach is None and not draft.section("hypotheses").claims
    assert not any("h1" in schema.model_fields for _, schema, _ in fake.calls)  # not asked at all
    # the brief carries what the pass found
    assert len(draft.profiles) == 4 and draft.timeline
    graded = [c for c in draft.claims() if c.origin == "drafted" and c.citations]
    assert graded and all(c.credibility is not None and c.sources for c in graded)
    tech = {c.label: c.text for c in draft.section("techniques").claims}
    # what code found about the sources, not a claim of independence it cannot check ("the four sources are four
    # independent lines", judged WRONG where sites retell other outlets) nor a list of outlets it cannot grade
    # on the embedded default it is a note for the analyst (it never shipped as code wrote it), not a claim
    assert "Source Reliability Assessment" not in tech
    assert "Corroboration Check" not in tech  # shipped 2 of 10 as code wrote it: a note for the analyst too
    from agent.drafting.template import load_template

    # and so is the corroboration line wherever code writes one (the seeds state no fact thrice)
    assert "Corroboration Check" in load_template().section("techniques").parts[0].capable_labels
    notes = draft.section("techniques").skipped
    reliability = next(n for n in notes if n.startswith("Source Reliability Assessment: left to the analyst"))
    assert "independent lines" not in reliability and "not graded" not in reliability and "F4" not in reliability
    assert not any(c.label == "Confidence" for c in draft.section("bluf").claims)
    assert any(n.startswith("Confidence: left to the analyst; code found: ") for n in draft.section("bluf").skipped)
    assert draft.confidence in ("low", "moderate", "high")  # the level is kept in the draft
    assert "Analysis of Competing Hypotheses" not in tech  # no matrix, no technique applied
    # the seeds' history (1948, the 2019 summit) is background to the reporting period, not its first event; with
    # no date that two independent sources give, the timeline is no claim (a list of dates is no finding)
    from agent.drafting.analysis import analyse_sources
    from agent.drafting.parts import timeline_analysis

    base, analysis = analyse_sources(services, services.store.documents(), draft.topic, services.workspace.root)
    said, agreed = timeline_analysis(base, analysis)
    earliest = min(e.date for e in draft.timeline)
    assert earliest < "2024" and f"from {human_date(earliest)})" in said and "background" in said
    assert f"from {human_date(earliest)} to" not in said
    # on the embedded default the timeline line is a note (0 of 13 shipped as code wrote it), there when it found
    # dates several sources give
    assert "Timeline Analysis" not in tech
    assert any(n.startswith("Timeline Analysis: left to the analyst") for n in notes) is agreed
    # the contradiction check is a claim only when it found a disagreement or a revision: its silence is no finding
    found = bool(draft.contradictions or any(f.revised for f in draft.figures))
    assert ("Contradiction Check" in tech) is found
    assert "none cites" not in reliability


def test_a_capable_models_uniform_ach_marks_are_dropped(services: Services) -> None:
    draft = draft_with(services, FakeLLM(answering(None)), capable=True)
    m = draft.ach
    assert m is not None and all(c.mark is None for c in m.cells)
    assert "every cell consistent" in (m.note or "")


def test_a_capable_models_marks_that_follow_the_hypotheses_not_the_evidence_are_dropped(services: Services) -> None:
    def by_position(messages: Sequence[Message], schema: type[BaseModel]) -> dict[str, Any]:
        if "h1" in schema.model_fields:
            return {"h1": "consistent", "h2": "inconsistent"}  # what the 1.5B model answered for every row
        return answering(None)(messages, schema)

    draft = draft_with(services, FakeLLM(by_position), capable=True)
    m = draft.ach
    assert m is not None and all(c.mark is None for c in m.cells)
    assert "not of the evidence" in (m.note or "")


def test_a_capable_models_discriminating_ach_marks_are_kept_and_the_assessment_says_what_they_say(
    services: Services,
) -> None:
    condense = answering(None)
    rows = {"n": 0}

    def marks(messages: Sequence[Message], schema: type[BaseModel]) -> dict[str, Any]:
        """The first hypothesis fits every item; every other one is contradicted by every other item."""
        if "h1" not in schema.model_fields:
            return condense(messages, schema)
        rows["n"] += 1
        n = len(schema.model_fields)
        return {f"h{k}": "inconsistent" if k > 1 and rows["n"] % 2 else "consistent" for k in range(1, n + 1)}

    draft = draft_with(services, FakeLLM(marks), capable=True)
    m = draft.ach
    assert m is not None and all(c.mark in ("C", "I") and c.by == "model" for c in m.cells)
    # the marks set apart one hypothesis (fewest inconsistent items), and the Assessment names that one
    inconsistent = {h: sum(1 for c in m.cells if c.hypothesis == h and c.mark == "I") for h in m.hypotheses}
    best, runner = sorted(m.hypotheses, key=lambda h: inconsistent[h])[:2]
    assert inconsistent[best] < inconsistent[runner], inconsistent
    hypotheses = {c.id: c.label for c in draft.section("hypotheses").claims}
    assessment = next(c for c in draft.section("hypotheses").claims if c.label == "Assessment")
    assert assessment.text.startswith(f"ACH: {hypotheses[best]} is the least inconsistent"), assessment.text
    assert f"{inconsistent[best]} inconsistent items, against {inconsistent[runner]}" in assessment.text


def test_human_dates() -> None:
    from agent.corpus.dates import human_date

    assert [human_date(v) for v in ("2024-08-06", "2024-11", "2024")] == ["6 August 2024", "November 2024", "2024"]


def test_key_dates_written_by_code_each_event_said_by_the_model_and_checked(services: Services) -> None:
    from agent.core.contracts import Provenance
    from agent.drafting.parts import model_part
    from agent.drafting.pipeline import draft_context
    from agent.drafting.template import load_template

    seen: list[str] = []

    def answer(messages: Sequence[Message], schema: type[BaseModel]) -> dict[str, Any]:
        given = messages[-1]["content"] if len(messages) == 2 else messages[1]["content"]
        seen.append(given)
        if len(messages) == 2 and len(seen) == 1:
            return {"text": "Exactly 99,999 soldiers were sent"}  # a number the sentence does not give: refused
        return {"text": "Leaders acted on the agreement"}

    fake = FakeLLM(answer)
    services.use_llm(fake)
    draft = Draft(id="k", topic=TOPIC, provenance=Provenance(model="fake", endpoint_kind="fake"))
    ctx = draft_context(services, draft, fake, None)
    spec = load_template().section("bluf")
    part = next(p for p in spec.parts if p.label == "Key Dates")
    ctx.capable = False  # the embedded model's key dates shipped 0 of 4: the events go to the analyst, unasked
    claim, usage, why = model_part(ctx, spec, part, [])
    assert claim is None and usage.calls == 0 and why and "left to the analyst" in why and "2025" in why, why
    ctx.capable = True
    claim, usage, why = model_part(ctx, spec, part, [])
    assert claim is not None, why
    assert usage.calls == 4  # three events, one re-asked
    assert "refused" in fake.calls[1][0][-1]["content"] and "99,999" not in claim.text
    dates = [p.split(":")[0] for p in claim.text.rstrip(".").split("; ")]
    assert Flag.NUMBER_NOT_IN_EVIDENCE not in claim.flags  # a resolved year ("In February" -> 2025) is code's
    assert len(dates) == 3 and all(re.fullmatch(r"(\d{1,2} )?[A-Z][a-z]+ \d{4}", d) for d in dates), claim.text
    # in date order, each date the one its cited sentence states (resolved), each sentence quoted exactly
    from agent.corpus.dates import human_date

    events = {human_date(e.date): e for e in ctx.analysis.timeline} if ctx.analysis else {}
    assert [events[d].date for d in dates] == sorted(events[d].date for d in dates)
    assert len(claim.citations) == 3
    for c in claim.citations:
        assert services.store.get_document(c.doc_id).text[c.start : c.end] == c.quote
        assert any(e.citations[0].sentence_id == c.sentence_id for e in events.values())
    assert any("(" in m[0][1]["content"] and ")" in m[0][1]["content"] for m in fake.calls)


# ---------------------------------------------------------------- redraft


def test_every_path_grades_through_the_claim_factory(nlp: Language, tmp_path: Any) -> None:
    """A free quote is tied to the sentence it lies in and graded like a cited sentence; so is a claim the analyst
    adds in review when a grader is at hand."""
    from agent.core.contracts import Chunk, SectionDraft
    from agent.core.paths import Workspace
    from agent.drafting.analysis import Grading
    from agent.drafting.verify import EvidenceItem, EvidencePack, GivenCitation, verify_claim
    from agent.review.session import ReviewSession

    base, a = base_of(nlp, A, B, C)
    grader = Grading(base, a)
    doc = next(d for d in base.docs.values() if d.text == A)
    pack = EvidencePack([EvidenceItem("S1", Chunk(id="k", doc_id=doc.id, ordinal=0, text=A, start=0, end=len(A)))])
    quoted = verify_claim(
        claim_id="q", section="bluf", text="North Korea sent 11,000 soldiers to Kursk.", label=None,
        confidence=None, given=[GivenCitation("S1", "sent 11,000 soldiers to the Kursk region")], pack=pack,
        grader=grader,
    )  # fmt: skip
    assert quoted.citations[0].sentence_id == base.sentences[0].id
    assert (quoted.sources, quoted.credibility) == (2, 2)  # as the sentence itself grades (see above)
    ungraded = verify_claim(
        claim_id="q", section="bluf", text="x", label=None, confidence=None,
        given=[GivenCitation("S1", "sent 11,000 soldiers to the Kursk region")], pack=pack,
    )  # fmt: skip
    assert (ungraded.sources, ungraded.credibility) == (None, None)

    ws = Workspace.at(tmp_path / "ws").ensure()
    draft = Draft(id="d", topic=TOPIC, provenance=Provenance(model="fake", endpoint_kind="fake"))
    draft.sections = [SectionDraft(key="bluf", title="BLUF")]
    with ReviewSession(ws, draft, reviewer="tester") as s:
        event = s.add_claim("bluf", "Russia pays per soldier.", claim_citing(base, "Kremlin").citations, grader=grader)
    assert event.after is not None and event.after.origin == "manual"
    assert (event.after.sources, event.after.credibility, event.after.cues) == (1, 4, ["anonymous"])


async def test_a_claim_the_analyst_adds_in_the_review_app_is_graded(services: Services) -> None:
    """In the review app over the real backend, a claim the analyst adds with a picked chunk of evidence comes
    back graded like a drafted claim: independent sources, credibility and sourcing cues (issue 18)."""
    from textual.widgets import SelectionList

    from agent.review.session import ReviewSession
    from agent.review_backend import ServicesBackend
    from tui.app import BriefReviewApp

    draft = draft_with(services, FakeLLM(answering(["consistent", "inconsistent"])), capable=False)
    backend = ServicesBackend(services)
    with ReviewSession(services.workspace, draft, reviewer="tester") as session:
        first = draft.claims()[0].section
        assert backend.evidence(first, draft)  # the section the app opens on has chunks to pick from
        app = BriefReviewApp(session, backend)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("plus", *"Troops were sent")
            app.screen.query_one(SelectionList).focus()
            await pilot.press("space", "ctrl+s")  # tick the first chunk, save
            await app.workers.wait_for_complete()  # the draft's grader is made in a thread
            await pilot.pause()
        [added] = [c for c in session.current_draft().claims() if c.origin == "manual"]
    assert added.citations and all(c.sentence_id for c in added.citations)  # tied to the sentences it spans
    assert added.sources and added.credibility is not None  # ungraded, both are None
