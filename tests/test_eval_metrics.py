"""Every eval metric on small hand-made inputs whose answers are worked out by hand in the comments."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from agent.core.contracts import Citation, Claim, Draft, DroppedCitation, Provenance, SectionDraft, Usage
from agent.llm.seam import LLMError
from agent.llm.testing import FakeLLM
from evals.gold import load_gold, parse_gold
from evals.metrics import (
    citation_validity,
    claim_support,
    content_words,
    cost,
    entity_recall,
    entity_variants,
    gold_entities,
    gold_support_ceiling,
    in_pack,
    judge_support,
    lcs_length,
    named_entities,
    normalize,
    numbers,
    rouge_l,
    score_draft,
    section_status,
    soft_recall,
    split_tags,
    support_proxy,
    tag_overlap,
    tradecraft,
)
from tests.support.seeds import GOLD

# --------------------------------------------------------------------------- builders


def cit(quote: str, chunk: str = "c1", *, reattributed_from: str | None = None) -> Citation:
    return Citation(
        chunk_id=chunk,
        doc_id="d1",
        quote=quote,
        start=0,
        end=len(quote),
        quote_as_given=quote,
        reattributed_from=reattributed_from,
    )


def drop(ref: str, reason: str) -> DroppedCitation:
    return DroppedCitation(chunk_ref=ref, quote="q", reason=reason)


def claim(
    text: str,
    quotes: Sequence[str | Citation] = (),
    *,
    dropped: Sequence[DroppedCitation] = (),
    label: str | None = None,
    section: str = "bluf",
    cid: str | None = None,
) -> Claim:
    return Claim(
        id=cid or f"c{abs(hash((text, label))) % 10**8}",
        section=section,
        text=text,
        label=label,
        citations=[q if isinstance(q, Citation) else cit(q) for q in quotes],
        dropped=list(dropped),
    )


def draft(sections: dict[str, list[Claim]], *, confidence: str | None = None, usage: Sequence[Usage] = ()) -> Draft:
    secs = []
    for n, (key, claims) in enumerate(sections.items()):
        secs.append(
            SectionDraft(
                key=key, title=key, status="done", claims=claims, usage=usage[n] if n < len(usage) else Usage()
            )
        )
    return Draft(
        id="d",
        topic="t",
        sections=secs,
        provenance=Provenance(model="m", endpoint_kind="fake"),
        confidence=confidence,
    )


# --------------------------------------------------------------------------- citation validity


def test_citation_validity_counts_citations_as_given() -> None:
    pack = ["c1", "c2", "c3"]  # the model sees them as S1, S2, S3
    a = claim("A", [cit("qa", "c1")], dropped=[drop("S9", "unknown-chunk")])
    b = claim("B", [cit("qb", "c2", reattributed_from="S7")], dropped=[drop("S1", "quote-not-found")])
    c = claim("C", dropped=[drop("S2", "empty-quote"), drop("S3", "too-short")])
    d = claim("D", [cit("qd", "c3", reattributed_from="S2")])  # wrong source named, but one of the pack
    section = SectionDraft(key="bluf", title="BLUF", claims=[a, b, c, d], evidence_chunk_ids=pack)
    v = citation_validity([section])
    # 4 claims, 3 with a resolved quote; given = (1+1) + (1+1) + (0+2) + (1+0) = 7.
    assert (v.claims, v.claims_cited, v.citations_given, v.resolved) == (4, 3, 7, 3)
    assert v.claims_cited_rate == pytest.approx(0.75)
    # Fabricated: S9 (dropped, unknown) and S7 (found elsewhere, but S7 names nothing in a 3-item pack).
    assert v.fabricated == 2 and v.fabricated_rate == pytest.approx(2 / 7)
    assert v.quote_not_found_rate == pytest.approx(1 / 7)
    assert v.empty_quote_rate == pytest.approx(1 / 7) and v.too_short_rate == pytest.approx(1 / 7)
    assert v.reattributed == 2 and v.reattributed_rate == pytest.approx(2 / 7)


def test_citation_validity_without_claims_has_no_rates() -> None:
    v = citation_validity([SectionDraft(key="bluf", title="BLUF")])
    assert v.claims == 0 and v.claims_cited_rate is None and v.fabricated_rate is None


def test_in_pack_follows_the_labels_the_model_sees() -> None:
    ids = ["aa", "bb", "cc"]
    assert [in_pack(r, ids) for r in ("S1", "[S3]", "source S3", "S4", "S0", "bb", "zz")] == [
        True,
        True,
        True,
        False,
        False,
        True,
        False,
    ]
    assert in_pack("S1", []) is None


# --------------------------------------------------------------------------- support proxy


def test_numbers_and_names_extraction() -> None:
    assert numbers("1,100 to 3,000 soldiers, $2,000, 3rd, 50%, KN-23, 2.0 and 2.5") == {
        "1100",
        "3000",
        "2000",
        "3",
        "50",
        "23",
        "2",
        "2.5",
    }
    text = (
        "In December, Kim Jong-Un met Vladimir Putin’s envoys in Pyongyang. Russia sent troops. The U.S. and the "
        "Treaty on Comprehensive Strategic Partnership. Hypothesis A is better supported. "
        "Strengthened North Korea-Russia ties matter. Analysts disagree."
    )
    assert named_entities(text) == [
        "December",
        "Kim Jong-Un",
        "Vladimir Putin",
        "Pyongyang",
        "Russia",  # sentence-initial, kept because "Russia" also appears mid-sentence
        "U.S",
        "Treaty on Comprehensive Strategic Partnership",
        "North Korea",  # "Strengthened" opens the sentence; "Analysts" alone at the start is no name
    ]
    assert named_entities("Talks resumed in March with Ukrainian officials.", include_dates=False) == ["Ukraine"]
    assert named_entities("As the Kim–Putin summit showed, Kim Jong-Un leads.") == ["Kim", "Putin", "Kim Jong-Un"]
    assert named_entities("Per the Korean Central News Agency (KCNA), sources S1 and S2 agree.") == [
        "Korean Central News Agency",
        "KCNA",
    ]
    assert normalize("The U.S. and Kim Jong-Un’s troops") == "the us and kim jong un troops"


def test_claim_support_needs_every_number_and_name_in_the_quotes() -> None:
    ok = claim(
        "North Korea sent more than 10,000 troops to Kursk in November 2024.",
        [
            "In November 2024, North Korean troops were deployed to Russia, notably engaging in battles in Kursk.",
            "Reports indicate that more than 10,000 troops",
        ],
    )
    s = claim_support(ok)
    assert s.supported and s.missing == [] and s.checked == 5  # 10000, 2024, North Korea, Kursk, November
    bad = claim(
        "Putin flew to Pyongyang in June 2024 with 3,000 advisers.",
        ["In June 2024, Putin made a historic visit to North Korea"],
    )
    s = claim_support(bad)
    assert not s.supported and s.missing == ["3000", "Pyongyang"]


def test_support_proxy_rates() -> None:
    claims = [
        claim("North Korea deployed troops in Kursk.", ["North Korean troops fought in Kursk."]),
        claim("The deal is worth 500 million.", ["The deal is worth 400 million."]),
        claim("Tensions rose.", []),  # uncited: unsupported whatever it says
        claim("The alliance deepened.", ["the alliance deepened further"]),  # nothing to check: supported
    ]
    s = support_proxy(claims)
    assert (s.claims, s.supported, s.checkable) == (4, 2, 2)
    assert s.rate == pytest.approx(0.5) and s.checkable_rate == pytest.approx(0.5)
    assert [p.supported for p in s.per_claim] == [True, False, False, True]


def test_judge_score_with_a_fake_judge() -> None:
    claims = [
        claim("A", ["quote a"], cid="a"),
        claim("B", ["quote b"], cid="b"),
        claim("C", [], cid="c"),
        claim("D", ["quote d"], cid="d"),
    ]
    judge = FakeLLM([{"verdict": "yes"}, {"verdict": "partly", "reason": "no date"}, LLMError("endpoint down")])
    score = judge_support(claims, judge)
    # yes = 1, partly = 0.5, uncited = 0; the failed call is left out: (1 + 0.5 + 0) / 3.
    assert score.score == pytest.approx(0.5)
    assert (score.claims, score.judged, score.errors) == (4, 3, 1)
    assert [p.verdict for p in score.per_claim] == ["yes", "partly", "uncited", "error"]
    assert len(judge.calls) == 3  # the uncited claim costs no call
    user = judge.calls[0][0][1]["content"]
    assert "Claim: A" in user and "<quotes>\n[1] quote a\n</quotes>" in user
    assert score.model == "fake-model" and score.usage.calls == 2


# --------------------------------------------------------------------------- coverage


def test_entity_variants_and_recall() -> None:
    assert entity_variants("Kim Jong-Un") == {"kim jong un"}
    assert {"russia", "russian"} <= entity_variants("Russia")
    assert "putin" in entity_variants("Vladimir Putin", person=True)
    assert "korea" not in entity_variants("North Korea", person=True)
    gold = ["Kim Jong Un", "Vladimir Putin", "North Korean military", "South Korea", "Northeast Asia"]
    text = "Kim Jong-un praised Putin. North Korean troops fought in Kursk. Seoul worries."
    aliases = {"North Korean military": ["North Korean troops"]}
    r = entity_recall(gold, text, aliases=aliases, people=["Vladimir Putin", "Kim Jong Un"])
    assert r.found == ["Kim Jong Un", "Vladimir Putin", "North Korean military"]
    assert r.missing == ["South Korea", "Northeast Asia"] and r.recall == pytest.approx(0.6)
    # Without knowing Putin is a person, "Putin" alone does not match "Vladimir Putin".
    assert entity_recall(gold, text, aliases=aliases).recall == pytest.approx(0.4)
    assert entity_recall([], text).recall is None


def test_gold_entities_of_seed_000() -> None:
    assert gold_entities(load_gold(GOLD)) == [
        "Kim Jong Un",
        "Vladimir Putin",
        "North Korean military",
        "Russian military",
        "North Korea",
        "Russia",
        "Ukraine",
        "US",
        "South Korea",
        "Northeast Asia",
    ]


def test_tag_overlap() -> None:
    gold = ["regional conflicts", "military cooperation", "North Korea", "sanctions"]
    drafted = split_tags(["#Regional-Conflicts, North Korea", "nuclear weapons; Sanction."])
    assert drafted == ["#Regional-Conflicts", "North Korea", "nuclear weapons", "Sanction"]
    sentence = "Russia and North Korea have deepened their ties, as the messages show."
    assert split_tags([sentence]) == [sentence]  # a sentence is not a list of tags
    t = tag_overlap(gold, drafted)
    # Matched: regional conflict(s), North Korea, sanction(s) = 3; union = 4 + 4 - 3 = 5.
    assert t.matched == ["regional conflicts", "North Korea", "sanctions"]
    assert t.jaccard == pytest.approx(3 / 5) and t.recall == pytest.approx(3 / 4)
    assert tag_overlap([], []).jaccard is None


def test_rouge_l() -> None:
    assert lcs_length(list("ABCBDAB"), list("BDCABA")) == 4
    r = rouge_l("the cat sat on the mat", "The cat lay on the mat.")  # LCS "the cat on the mat" = 5 of 6
    assert (r.precision, r.recall, r.f) == pytest.approx((5 / 6, 5 / 6, 5 / 6))
    r = rouge_l("a b c d", "b d e")  # LCS "b d": P = 2/4, R = 2/3, F = 2PR/(P+R) = 4/7
    assert (r.precision, r.recall, r.f) == pytest.approx((0.5, 2 / 3, 4 / 7))
    assert rouge_l("", "b d e").f == 0.0


class TableEmbedder:
    """Vectors looked up by text: cosine similarities are known exactly."""

    def __init__(self, table: dict[str, list[float]]) -> None:
        self.table = table

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([self.table[t] for t in texts], dtype=np.float32)


def test_soft_recall() -> None:
    emb = TableEmbedder({"g1": [1, 0], "g2": [0, 1], "d1": [1, 0], "d2": [0.6, 0.8]})
    # g1: max(1.0, 0.6) = 1.0; g2: max(0.0, 0.8) = 0.8; mean 0.9.
    assert soft_recall(["g1", "g2"], ["d1", "d2"], emb) == pytest.approx(0.9)
    assert soft_recall([], ["d1"], emb) is None
    assert soft_recall(["g1"], [], emb) == 0.0


# --------------------------------------------------------------------------- tradecraft and cost


def test_tradecraft_all_checks_pass() -> None:
    q = ["quote"]
    d = draft(
        {
            "bluf": [claim("We judge with moderate confidence that ties will deepen.", q)],
            "hypotheses": [
                claim("Strategy drives it.", q, label="Hypothesis A", section="hypotheses"),
                claim("Money drives it.", q, label="Hypothesis B", section="hypotheses"),
                claim(
                    "A is better supported; indicators: troop rotations.", q, label="Assessment", section="hypotheses"
                ),
            ],
            "assumptions": [
                claim("Russia reciprocates.", q, label="Assumptions", section="assumptions"),
                claim("Troop numbers are unknown.", q, label="Information Gaps", section="assumptions"),
            ],
        }
    )
    t = tradecraft(d)
    assert t.model_dump() == {
        "confidence_in_bluf": True,
        "two_hypotheses": True,
        "assessment": True,
        "indicators_named": True,
        "assumptions_listed": True,
        "gaps_listed": True,
        "every_claim_cited": True,
        "score": 1.0,
    }


def test_tradecraft_failures() -> None:
    d = draft(
        {
            "bluf": [claim("Ties will deepen.", ["q"])],
            "hypotheses": [
                claim("Hypothesis A: strategy drives it.", ["q"], section="hypotheses"),  # unlabelled, by its text
                claim("More on A.", [], label="Hypothesis A", section="hypotheses"),
            ],
            "assumptions": [claim("Russia reciprocates.", ["q"], label="Assumptions", section="assumptions")],
        },
        confidence="high",  # stated as a field: counts even if the BLUF text does not say it
    )
    t = tradecraft(d)
    assert t.confidence_in_bluf and t.assumptions_listed
    # One hypothesis (A, twice), no Assessment, no indicators, no gaps, one claim uncited: 2 of 7 pass.
    assert not (t.two_hypotheses or t.assessment or t.indicators_named or t.gaps_listed or t.every_claim_cited)
    assert t.score == pytest.approx(2 / 7)
    assert tradecraft(draft({})).score == 0.0


def test_section_status() -> None:
    d = draft({"bluf": [claim("x", ["q"])], "hypotheses": [], "tags": []})
    d.sections[2].status, d.sections[2].error = "failed", "LLMError: timed out"
    st = section_status(d)
    assert (st.done, st.failed, st.empty, st.errors) == (2, 1, 1, {"tags": "LLMError: timed out"})


def test_cost_sums_section_usage() -> None:
    d = draft(
        {"bluf": [], "tags": []},
        usage=[
            Usage(prompt_tokens=100, completion_tokens=20, calls=1, latency_s=1.5),
            Usage(prompt_tokens=50, completion_tokens=10, calls=2, retries=1, latency_s=0.5),
        ],
    )
    c = cost(d.usage, wall_s=12.5, draft_s=10.0)
    assert (c.prompt_tokens, c.completion_tokens, c.calls, c.retries) == (150, 30, 3, 1)
    assert (c.wall_s, c.draft_s, c.llm_latency_s) == pytest.approx((12.5, 10.0, 2.0))


# --------------------------------------------------------------------------- gold support ceiling


def test_gold_support_ceiling() -> None:
    gold = parse_gold("1. BLUF\nNorth Korea sent troops to Kursk. Aliens landed on the Moon yesterday.\n")
    sources = ["North Korean troops were sent to the Kursk region."]
    assert content_words("North Korea sent troops to Kursk.") == ["north", "korea", "sent", "troop", "kursk"]
    c = gold_support_ceiling(gold, sources)
    # Sentence 1: 4 of 5 content words in the sources ("korea" is not; "korean" is) = 0.8 >= 0.8: supportable.
    # Sentence 2: alien, land, moon, yesterday: 0 of 4.
    assert [round(s.coverage, 3) for s in c.per_sentence] == [0.8, 0.0]
    assert c.per_sentence[0].missing == ["korea"]
    assert (c.sentences, c.supportable, c.share) == (2, 1, 0.5)
    assert c.per_section == {"bluf": 0.5}
    assert gold_support_ceiling(gold, sources, threshold=0.9).share == 0.0


def test_score_draft_scores_only_the_sections_the_gold_has() -> None:
    gold = parse_gold(
        "1. BLUF\nNorth Korea sent troops to Kursk.\n2. Competing Hypotheses\n- Hypothesis A: Strategy.\n"
        "7. Thematic Tags\nKursk, troops\n"
    )
    d = draft(
        {
            "bluf": [claim("North Korea sent troops to Kursk.", ["North Korean troops were sent to Kursk."])],
            "tags": [claim("Kursk, artillery", ["q"], section="tags")],
        }
    )
    s = score_draft(d, gold, ["North Korean troops were sent to Kursk."], wall_s=3.0)
    assert set(s.coverage.rouge_l) == {"bluf", "hypotheses"}
    assert s.coverage.rouge_l["bluf"].f == 1.0 and s.coverage.rouge_l["hypotheses"].f == 0.0
    assert s.coverage.soft_recall == {}  # no embedder given
    assert s.coverage.tags is not None and s.coverage.tags.jaccard == pytest.approx(1 / 3)
    assert s.coverage.entities.gold == ["North Korea", "Kursk"] and s.coverage.entities.recall == 1.0
    assert s.sections is not None and (s.sections.done, s.sections.failed, s.sections.empty) == (2, 0, 0)
    flat = s.flat()
    assert flat["claims"] == 2 and flat["claims_cited_rate"] == 1.0 and flat["judge_score"] is None
    assert flat["rouge_l_bluf"] == 1.0 and flat["wall_s"] == 3.0 and flat["soft_recall_bluf"] is None


def test_writing_rates_catch_echoes_and_copies() -> None:
    from agent.core.contracts import Citation, Claim, Draft, Provenance, SectionDraft
    from evals.metrics import writing

    quote = "Reports indicate that more than 10,000 troops have been deployed to Kursk."
    cite = Citation(chunk_id="c", doc_id="d", quote=quote, start=0, end=len(quote), quote_as_given="")

    def claim(i: int, section: str, text: str) -> Claim:
        return Claim(id=f"c{i}", section=section, text=text, citations=[cite])

    claims = [
        claim(1, "bluf", "The key judgment about the topic is that it matters."),  # echoes the instructions
        claim(2, "recommendations", "Reports indicate that more than 10,000 troops have been deployed."),  # a copy
        claim(3, "implications", "The deployment gives Pyongyang combat experience it can use at home."),
        claim(4, "tags", "Reports indicate that more than 10,000 troops have been deployed."),  # not analysis
        claim(5, "bluf", "North Korean troops in Kursk remain significant."),  # the topic restated
        claim(6, "bluf", "North Korean troops in Kursk lost 1,100 to 3,000 men by December, far above early reports."),
    ]
    draft = Draft(
        id="d1",
        topic="North Korean troops in Kursk",
        sections=[SectionDraft(key="all", title="All", claims=claims)],
        provenance=Provenance(model="m", endpoint_kind="fake"),
    )
    w = writing(draft, ["The key judgment about the topic, its likely course and an explicit confidence."])
    assert (w.echoing, w.copied, w.analytic_claims) == (2, 1, 5)
    assert w.instruction_echo_rate == 2 / 6 and w.copied_sentence_rate == 1 / 5


def test_grading_reports_share_graded_corroboration_and_what_tradecraft_found() -> None:
    from agent.core.contracts import (
        AchEvidence,
        Citation,
        Claim,
        Contradiction,
        Draft,
        FigureSet,
        Provenance,
        SectionDraft,
        SourceProfile,
        TimelineEvent,
    )
    from agent.tradecraft import ach
    from evals.metrics import grading

    cite = Citation(chunk_id="c", doc_id="d", quote="q", start=0, end=1, quote_as_given="")
    claims = [
        Claim(id="1", section="bluf", text="a", citations=[cite], sources=2, credibility=2),
        Claim(id="2", section="bluf", text="b", citations=[cite], sources=1, credibility=4),
        Claim(id="3", section="bluf", text="c", citations=[cite]),  # not graded
        Claim(id="4", section="entities", text="d", citations=[cite], origin="computed", sources=1),  # not gradable
        Claim(id="5", section="bluf", text="e"),  # no citation: not gradable
    ]
    m = ach.new_matrix(["1", "2"], [AchEvidence(id="e", text="t", citation=cite)])
    m.cell("1", "e").mark = "C"
    draft = Draft(
        id="d1",
        topic="t",
        sections=[SectionDraft(key="bluf", title="BLUF", claims=claims)],
        provenance=Provenance(model="m", endpoint_kind="fake"),
        profiles=[SourceProfile(doc_id="d", label="d", weak_sourcing=True), SourceProfile(doc_id="e", label="e")],
        timeline=[TimelineEvent(date="2024", precision="year", text="x", citations=[cite])],
        figures=[FigureSet(quantity="troops", low=1, high=3, figures=[])],
        contradictions=[Contradiction(kind="date", about="x", values=["2024-06", "2024-07"], citations=[cite, cite])],
        ach=m,
    )
    g = grading(draft)
    assert (g.gradable, g.graded, g.graded_rate) == (3, 2, 2 / 3)
    assert g.corroborated_rate == 0.5 and g.mean_sources == 1.5 and g.credibility == {"2": 1, "4": 1}
    assert (g.contradictions, g.figure_ranges, g.timeline_events, g.weak_sources) == (1, 1, 1, 1)
    assert g.ach_marked_rate == 0.5
