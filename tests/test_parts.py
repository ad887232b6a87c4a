"""Drafting v2: code chooses the sentences, the model does one small job per call, code checks every answer.

Unit tests of the support checks and of the builders on hand-made passages (including ones that must not
fire), and the whole default template drafted on the seeds with a scripted model at our own seam.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest
from pydantic import BaseModel

from agent.core.contracts import Flag, Sentence
from agent.core.drafts import load_draft
from agent.corpus.text import content_words
from agent.drafting import builders, checks
from agent.drafting.parts import answer_schema
from agent.drafting.pipeline import draft_brief
from agent.drafting.template import load_template
from agent.llm.seam import Message
from agent.llm.testing import FakeLLM
from agent.services import Services

TOPIC = "North Korea's military support for Russia in the Ukraine war"
NUMBERED = re.compile(r"^\[(\d+)\] (.+)$", re.M)

# --------------------------------------------------------------------------- checks on hand-made passages

SENT = "Reports indicate that more than 10,000 troops, including elite units, have been deployed to Kursk."


def test_names_and_numbers_must_be_in_the_cited_sentences() -> None:
    assert checks.unsupported_numbers("About 12,000 troops went to Kursk.", [SENT]) == ["12000"]
    assert checks.unsupported_numbers("More than 10,000 troops went to Kursk.", [SENT]) == []
    assert checks.unsupported_names("Troops reached Kursk and Belgorod.", [SENT]) == ["Belgorod"]
    # forms of a name fold together; a sentence's first word and months are not names
    assert checks.unsupported_names("Korean units went to Kursk.", ["North Korea sent units to Kursk."]) == []
    assert checks.unsupported_names("Elite units deployed in November.", [SENT]) == []


def test_refusals_fire_on_copies_echoes_invented_names_and_foreign_script() -> None:
    common: dict[str, Any] = {
        "all_source_names": checks.source_name_stems([SENT, "Kim Jong Un met Vladimir Putin."]),
        "source_scripts": {"LATIN"},
        "instructions": ["State one security consequence of these facts: who is affected and how."],
        "analytic": True,
    }
    copied = "Reports indicate that more than 10,000 troops, including elite units, have been deployed."
    assert "copies" in (checks.refusal(copied, [SENT], **common) or "")
    assert "restates the task" in (
        checks.refusal("One security consequence of these facts: who is affected and how.", [SENT], **common) or ""
    )
    assert "Xi Jinping" not in SENT
    assert "names" in (checks.refusal("Troops answer to Xi Jinping in Kursk.", [SENT], **common) or "")
    assert "2021" in (checks.refusal("Troops bound by a 2021 pact went to Kursk.", [SENT], **common) or "")
    assert "cjk" in (checks.refusal("Troops deployed to Kursk 部队.", [SENT], **common) or "")
    # must NOT fire: an own-words statement with the sources' names, or a copy where no analysis is asked
    fine = "Kim Jong Un's deployment of elite units to Kursk raises the risk that combat experience flows back."
    assert checks.refusal(fine, [SENT], **common) is None
    assert checks.refusal(copied, [SENT], **{**common, "analytic": False}) is None


def test_flags_discriminate() -> None:
    ok = checks.flags_for("More than 10,000 troops are in Kursk.", [SENT], analytic=False, instructions=["x"])
    assert ok == []
    bad = checks.flags_for("About 12,000 troops are in Belgorod.", [SENT], analytic=False, instructions=["x"])
    assert bad == [Flag.NAME_NOT_IN_EVIDENCE, Flag.NUMBER_NOT_IN_EVIDENCE]


def _sentence(text: str) -> Sentence:
    return Sentence(
        id="s", doc_id="d", ordinal=0, start=0, end=len(text), text=text, kind="body",
        entities=[], dates=[], numbers=[], cues=[],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "text", "role"),
    [
        ("Vladimir Putin", "In a message, Russian President Vladimir Putin praised the troops.", "Russian President"),
        ("Kim Jong Un", "The North Korean leader Kim Jong Un replied.", "North Korean leader"),
        ("Kim Il Sung", "Led by the Soviet-backed North Korean leader Kim Il Sung.", "Soviet-backed North Korean leader"),  # noqa: E501
        ("Yoon Suk Yeol", "Yoon Suk Yeol, the president of South Korea, declared it.", "the president of South Korea"),
        ("Vladimir Putin", "Vladimir Putin met the delegation on Monday.", None),
        ("Yoon Suk Yeol", "President Yoon Suk Yeol of South Korea declared it.", "President of South Korea"),
    ],
)  # fmt: skip
def test_role_from_the_sentence(name: str, text: str, role: str | None) -> None:
    assert builders.role_from_sentence(name, _sentence(text)) == role


# --------------------------------------------------------------------------- the whole template on the seeds


def sentences_given(messages: Sequence[Message]) -> list[str]:
    return [t for _, t in NUMBERED.findall(messages[1]["content"])]


def condensing(messages: Sequence[Message], schema: type[BaseModel]) -> dict[str, Any]:
    """A model that does its job: a statement of its own built from words of the sentences it was given."""
    given = sentences_given(messages)
    if "role" in schema.model_fields:
        return {"role": "senior official"}
    if schema.__name__ == "Phrasing":  # a capable endpoint words code's findings: here, it keeps them as they are
        return {"text": re.findall(r"Code found, for the brief's [^:]+: “(.+?)” In at most", messages[1]["content"])[0]}
    words = [w for w in re.findall(r"[A-Za-z]{4,}", given[0])][:5]
    answer: dict[str, Any] = {"text": "Taken together, the reporting shows " + " ".join(words).lower() + " matters."}
    if "likelihood" in schema.model_fields:
        answer["likelihood"] = "likely"
    if "sentences" in schema.model_fields:  # a capable endpoint picks the sentences it rests on
        answer["sentences"] = ["1"]
    return answer


def test_every_builder_a_template_may_name_is_registered() -> None:
    import agent.drafting.parts  # noqa: F401  (registers the builders that ask the model)
    from agent.drafting.template import BUILDERS

    assert sorted(builders.CODE_BUILDERS) == sorted(BUILDERS)


def test_default_template_drafts_part_by_part_on_the_seeds(services: Services) -> None:
    fake = FakeLLM(condensing)
    services.use_llm(fake)
    draft = draft_brief(services, TOPIC)
    docs = {d.id: d for d in services.store.documents()}
    template = load_template()
    assert [s.key for s in draft.sections] == [s.key for s in template.sections]
    assert all(s.status == "done" for s in draft.sections), [(s.key, s.error) for s in draft.sections]
    # one small job per call: a capable endpoint picks among at most twice the part's sentences (an enum of the
    # numbers it was shown); the topic line is the shared prefix of every prompt
    for messages, schema, _name in fake.calls:
        if schema.__name__ == "Phrasing":  # code's finding, with the sentences it cites (if any) as data
            assert len(sentences_given(messages)) <= 6
            continue
        assert 1 <= len(sentences_given(messages)) <= 6
        if "sentences" in schema.model_fields:
            enum = schema.model_json_schema()["properties"]["sentences"]["items"]["enum"]
            assert enum == [str(n) for n in range(1, len(sentences_given(messages)) + 1)]
        assert messages[1]["content"].startswith(f"Topic of the brief: {TOPIC}")
    # every citation is a whole sentence (or a marked sub-span of one) of its document, at most 60 words
    stored = {s.id: s for d in docs.values() for s in services.analyser.sentences(services.store, [d])[d.id]}
    for claim in draft.claims():
        for c in claim.citations:
            assert docs[c.doc_id].text[c.start : c.end] == c.quote
            assert c.sentence_id in stored and stored[c.sentence_id].start == c.start
            assert len(c.quote.split()) <= 60
    # the digest: fact sentences from every source
    assert len(draft.digest) >= 12 and {d.doc_id for d in draft.digest} == set(docs)
    entities = [c.text for c in draft.section("entities").claims]
    assert any(e.startswith("Vladimir Putin, Russian President") for e in entities), entities
    assert any(e.startswith("Kim Jong Un") for e in entities), entities
    tags = [c.text for c in draft.section("tags").claims]
    assert tags and all(1 <= len(t.split()) <= 4 for t in tags), tags
    assert not any(t.endswith(",") for t in tags)
    risks = [c for c in draft.section("assumptions").claims if c.label == "Bias & Deception Risks"]
    assert risks and risks[0].citations, "the seeds' anonymous and state-media sourcing must be named"
    assert draft.confidence in ("low", "moderate")
    techniques = draft.section("techniques").claims
    assert techniques and all(c.origin == "computed" for c in techniques)
    assert load_draft(services.workspace, draft.id) == draft


def test_a_refused_answer_is_asked_again_then_left_out(services: Services) -> None:
    """Copying a sentence where analysis is asked is refused; the retry carries the reason; a second refusal
    leaves the part out, recorded, and the rest of the brief goes on."""

    def copier(messages: Sequence[Message], schema: type[BaseModel]) -> dict[str, Any]:
        if "role" in schema.model_fields:
            return {"role": "official"}
        answer: dict[str, Any] = {"text": sentences_given(messages)[0]}
        if "likelihood" in schema.model_fields:
            answer["likelihood"] = "likely"
        if "sentences" in schema.model_fields:
            answer["sentences"] = ["1"]
        return answer

    fake = FakeLLM(copier)
    services.use_llm(fake)
    draft = draft_brief(services, TOPIC)
    implications = draft.section("implications")
    assert implications.status == "done" and implications.claims == []
    assert any("copies the source sentences" in s for s in implications.skipped)
    retries = [m for m, _, _ in fake.calls if m[-1]["content"].startswith("That answer was refused")]
    assert retries, "a refused answer is asked again with the reason"
    # what code writes stands whatever the model does; only Key Facts (figures copied on purpose) may copy
    assert [c.label for c in draft.section("bluf").claims if c.label != "Key Facts"] == ["Confidence"]


def test_an_llm_failure_mid_brief_keeps_what_was_drafted_and_resume_finishes(services: Services) -> None:
    from agent.llm.seam import LLMError

    calls = {"n": 0}

    def flaky(messages: Sequence[Message], schema: type[BaseModel]) -> Any:
        calls["n"] += 1
        if "geopolitical consequence" in messages[1]["content"]:
            return LLMError("server went away")
        return condensing(messages, schema)

    services.use_llm(FakeLLM(flaky))
    draft = draft_brief(services, TOPIC)
    assert draft.section("bluf").status == "done" and draft.section("bluf").claims
    assert draft.section("implications").status == "failed"
    assert "server went away" in (draft.section("implications").error or "")
    services.use_llm(FakeLLM(condensing))
    resumed = draft_brief(services, "", resume=load_draft(services.workspace, draft.id))
    assert all(s.status == "done" for s in resumed.sections)
    assert resumed.section("bluf").claims == draft.section("bluf").claims


@pytest.mark.parametrize(
    ("old", "new", "guidance", "refused"),
    [
        ("Confidence: moderate.", "Confidence: moderate.", "state the basis: anonymous sources", "old text"),
        ("Troops were sent.", "More than 9,000 troops were sent.", "give the figure 10,000", "10000"),
        ("Troops were sent.", "Troops were sent by Putin.", "say that Kim Jong Un sent them", "Kim"),
        ("Troops were sent.", "Kim Jong Un sent more than 10,000 troops.", "say that Kim Jong Un sent 10,000", None),
    ],
)
def test_a_redraft_that_ignores_the_reviewer_is_not_offered(
    old: str, new: str, guidance: str, refused: str | None
) -> None:
    from agent.drafting.redraft import redraft_ignores

    why = redraft_ignores(old, new, guidance)
    assert (why is None) if refused is None else (refused in (why or "")), why


def test_parts_a_small_model_cannot_do_are_left_to_the_analyst_with_their_evidence(services: Services) -> None:
    """On the embedded default (no endpoint configured) the template's ``capable`` parts are not drafted: each is
    recorded with its evidence, whose chunks are offered for adding a claim by hand."""
    services.settings.llm.capable = False
    fake = FakeLLM(condensing)
    services.use_llm(fake)
    draft = draft_brief(services, TOPIC)
    recs = draft.section("recommendations")
    assert recs.claims == []  # none of its parts shipped from the embedded model on the dev set (issue 19)
    left = [s for s in recs.skipped if "left to the analyst" in s]
    assert len(left) == 5 and all("its evidence: “" in s for s in left)
    cited = {cit.chunk_id for claim in recs.claims for cit in claim.citations}
    assert set(recs.evidence_chunk_ids) > cited  # the evidence of the parts left out is offered too
    asked = " ".join(m[1]["content"] for m, _, _ in fake.calls)
    assert "best plausible outcome" not in asked and "Best case" not in asked
    # the key facts (1 of 11 shipped from the embedded model, a count read as the wrong quantity) are the analyst's,
    # the figures' sentences given
    bluf = draft.section("bluf")
    assert "Key Facts" not in [c.label for c in bluf.claims]
    assert any(s.startswith("Key Facts: left to the analyst") and "its evidence: “" in s for s in bluf.skipped)


def test_no_example_in_the_prompts_carries_a_topic() -> None:
    """A small model copies the examples it is shown ("Kim Jong Un" turned up in a brief on an earthquake):
    no name of a person, place, nationality or organisation may stand in a template or prompt."""
    import tomllib
    from importlib import resources

    from agent.corpus.sentences import SentenceAnalyser

    nlp = SentenceAnalyser().nlp
    NOT_NAMES_HERE = {"JSON", "Reviewer"}  # the small NER model tags these PERSON
    found: list[str] = []
    for f in resources.files("prompts").iterdir():
        if not f.name.endswith(".toml"):
            continue
        data = tomllib.loads(f.read_text(encoding="utf-8"))
        texts = [data.get("system", ""), data.get("user", "")]
        for sec in data.get("sections", []):
            texts += [sec.get("intent", ""), sec.get("claim", "")]
            texts += [p.get("task", "") for p in sec.get("parts", [])]
        for t in texts:
            names = [e for e in nlp(t).ents if e.label_ in ("PERSON", "GPE", "NORP") and e.text not in NOT_NAMES_HERE]
            found += [f"{f.name}: {e.text} ({e.label_})" for e in names]
    assert found == []


def test_a_claim_cites_only_the_chosen_sentences_that_carry_it() -> None:
    """Words every source shares with the topic ("North Korean", "Russia") prove nothing: a sentence stays cited
    for a shared figure or for words of its own."""
    from agent.drafting.parts import _backing

    topic = "North Korea's deepening military and economic ties with Russia amid the Ukraine war"
    deaths = _sentence("Despite the deaths of 1,100 to 3,000 North Korean soldiers in Kursk, North Korea backs Russia.")
    troops = _sentence("Reports indicate that more than 10,000 troops, including elite units, have been deployed.")
    missiles = _sentence(
        "Ukrainian officials claim that over 60 North Korean KN-23 missiles have been fired into Ukraine."
    )
    claim = "North Korea has deployed over 10,000 troops, and over 60 KN-23 missiles have been fired into Ukraine."
    assert _backing(claim, [deaths, troops, missiles], topic) == [troops, missiles]
    assert _backing("The weather was mild in the capital.", [deaths, troops, missiles], topic) == []


@pytest.mark.parametrize("topic", [TOPIC, "North Korean troops in Kursk"])
def test_key_people_are_entities_whatever_the_topics_wording(services: Services, topic: str) -> None:
    """Putin and Kim are named in every source: they stay key individuals on a short topic too (a relevance bar
    alone once dropped them), while a body named once in a background passage does not make the list."""
    from agent.drafting.evidence import SentenceBase

    docs = services.store.documents()
    base = SentenceBase.build(docs, services.analyser.sentences(services.store, docs), services.embedder, topic)
    names = [c.name for c in builders.entity_candidates(base)]
    assert {"Vladimir Putin", "Kim Jong Un"} <= set(names), names
    assert "United Nations" not in names


def test_a_capable_model_picks_its_sentences_and_code_checks_each_pick(services: Services) -> None:
    """The model picks by number among the sentences it was shown; a pick that does not carry the claim is not
    cited: code re-selects among the sentences it showed, and flags the claim for the reviewer."""
    from agent.drafting.parts import model_part
    from agent.drafting.pipeline import draft_context

    def picks(wrong: bool) -> Any:
        def answer(messages: Sequence[Message], schema: type[BaseModel]) -> dict[str, Any]:
            given = sentences_given(messages)
            n = len(given)
            # the claim restates words of the last sentence shown; the pick names the first (wrong) or the last
            words = [w for w in re.findall(r"[A-Za-z]{5,}", given[-1])][:6]
            return {
                "text": "The reporting shows " + " ".join(words).lower() + ".",
                "sentences": ["1" if wrong else str(n)],
            }

        return answer

    spec = load_template().section("implications")
    part = spec.parts[0]
    for wrong in (False, True):
        fake = FakeLLM(picks(wrong))
        services.use_llm(fake)
        from agent.core.contracts import Draft, Provenance

        d = Draft(id=f"d{wrong}", topic=TOPIC, provenance=Provenance(model="fake", endpoint_kind="fake"))
        ctx = draft_context(services, d, fake, None)
        claim, _usage, why = model_part(ctx, spec, part, [])
        assert claim is not None, why
        shown = sentences_given(fake.calls[0][0])
        assert len(shown) == 2 * part.sentences
        assert [c.quote for c in claim.citations][-1] in shown[-1]
        assert (Flag.REATTRIBUTED in claim.flags) is wrong


class _BagOfWords:
    """A deterministic embedder for unit tests: hashed word counts (similar words, similar vectors)."""

    name = "bow"

    def embed(self, texts: Sequence[str]) -> Any:
        import numpy as np

        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in content_words(t):
                out[i, sum(map(ord, w)) % 64] += 1.0
        return out


def _base(texts: dict[str, list[str]], topic: str) -> Any:
    from agent.core.contracts import SourceDocument
    from agent.drafting.evidence import SentenceBase

    docs = [SourceDocument(id=k, path=f"{k}.txt", text=" ".join(v), sha256=k) for k, v in texts.items()]
    sentences = {
        k: [_sentence(t).model_copy(update={"id": f"{k}{i}", "doc_id": k}) for i, t in enumerate(v)]
        for k, v in texts.items()
    }
    return SentenceBase.build(docs, sentences, _BagOfWords(), topic)


TROOPS = "More than 10,000 North Korean troops were deployed to Kursk in November 2024."
TROOPS_AGAIN = "In November 2024 more than 10,000 North Korean troops were deployed to Kursk."


def test_the_digest_folds_restatements_counts_independent_sources_and_hears_every_source() -> None:
    topic = "North Korean troops deployed to Kursk"
    own = {
        "a": ["Seoul's spy agency briefed lawmakers about the troop movements and casualties.", "Casualties rose."],
        "b": ["Kyiv said North Korean troops captured in Kursk carried Russian papers.", "Fighting continued."],
        "c": ["Analysts said the deployment of North Korean troops surprised Kyiv officials in Kursk."],
    }
    base = _base({"a": [TROOPS, *own["a"]], "b": [TROOPS_AGAIN, *own["b"]], "c": own["c"]}, topic)
    digest = base.digest()
    texts = [d.text for d in digest]
    assert (TROOPS in texts) != (TROOPS_AGAIN in texts), texts  # the restatement is folded into one item
    first = next(d for d in digest if d.text in (TROOPS, TROOPS_AGAIN))
    assert first.sources == 2  # ... stated by two independent sources
    assert {d.doc_id for d in digest} == {"a", "b", "c"}  # every source heard


def test_a_syndicated_copy_is_not_corroboration() -> None:
    topic = "North Korean troops deployed to Kursk"
    story = [TROOPS, "Seoul's spy agency briefed lawmakers about the troop movements and casualties."]
    base = _base({"a": story, "b": list(story)}, topic)
    assert base.origin["b"] == base.origin["a"]
    assert max(d.sources for d in base.digest()) == 1


def test_gaps_list_single_source_figures_and_not_corroborated_ones() -> None:
    from agent.core.contracts import NumberMention

    def fig(text: str, low: float, high: float, counts: str) -> NumberMention:
        return NumberMention(text=text, start=0, end=len(text), low=low, high=high, counts=counts, kind="cardinal")

    base = _base(
        {
            "a": ["More than 10,000 North Korean troops were deployed to Kursk in November 2024."],
            "b": ["Some 10,000 North Korean troops went to Kursk, officials in Seoul said this week."],
            "c": ["Between 1,100 and 3,000 North Korean soldiers were killed in Kursk by December."],
        },
        "North Korean troops in Kursk",
    )
    numbers = {"a0": fig("10,000", 10000, 10000, "troops"), "b0": fig("10,000", 10000, 10000, "troops")}
    numbers["c0"] = fig("1,100 and 3,000", 1100, 3000, "soldiers")
    # each mention where its words are in the sentence (what a figure measures is read around it)
    base.sentences = [
        s.model_copy(
            update={
                "numbers": [
                    numbers[s.id].model_copy(
                        update={
                            "start": s.start + s.text.index(numbers[s.id].text),
                            "end": s.start + s.text.index(numbers[s.id].text) + len(numbers[s.id].text),
                        }
                    )
                ]
            }
        )
        for s in base.sentences
    ]
    built = builders.gaps(base, [s.id for s in base.sentences])
    assert len(built) == 1, [b.text for b in built]
    assert "1,100 and 3,000 soldiers" in built[0].text and "troops" not in built[0].text  # 10,000 is corroborated
    assert [c.sentence_id for c in built[0].citations] == ["c0"]


def test_one_disagreement_between_several_sources_is_one_gap_and_not_single_source() -> None:
    """Two injured in one report, four in two others: one gap naming every source of each value (two gaps, one
    per pair, were judged a DUPLICATE), and the disputed figure is not also listed as resting on a single source
    (judged WRONG)."""
    from agent.core.contracts import Contradiction, NumberMention

    base = _base(
        {
            "a": ["A landmine blast injured two soldiers near the border on Monday."],
            "b": ["Four soldiers were injured in the landmine explosion, the army said."],
            "c": ["The army said four soldiers were wounded by the mine near the border."],
        },
        "landmine blast at the border",
    )
    counts = {"a0": ("two", 2), "b0": ("Four", 4), "c0": ("four", 4)}
    base.sentences = [
        s.model_copy(
            update={
                "numbers": [
                    NumberMention(
                        text=counts[s.id][0],
                        start=0,
                        end=3,
                        low=counts[s.id][1],
                        high=counts[s.id][1],
                        counts="soldiers",
                        kind="cardinal",
                    )
                ]
            }
        )
        for s in base.sentences
    ]
    by_id = {s.id: s for s in base.sentences}
    found = [
        Contradiction(
            kind="figure",
            about="soldiers injured",
            values=["two", "four"],
            citations=[base.citation(by_id["a0"]), base.citation(by_id[other])],
        )
        for other in ("b0", "c0")
    ]
    built = builders.gaps(base, [s.id for s in base.sentences], found)
    disagree = [b for b in built if b.text.startswith("Sources disagree")]
    assert len(disagree) == 1, [b.text for b in built]
    assert {c.sentence_id for c in disagree[0].citations} == {"a0", "b0", "c0"}
    assert not any("single source" in b.text for b in built), [b.text for b in built]


def test_the_likelihood_enum_is_the_whole_icd203_scale() -> None:
    """A capable model saw six terms and could not say "almost certain" (a relay run asked for it): the schema offers
    every term of the contract's scale."""
    from typing import get_args

    from agent.core.contracts import Likelihood

    part = next(p for s in load_template().sections for p in s.parts if p.likelihood)
    enum = answer_schema(part).model_json_schema()["properties"]["likelihood"]["enum"]
    assert enum == list(get_args(Likelihood))


def test_the_assumption_task_shows_the_judgment_it_asks_about() -> None:
    """The assumption task asked about "the brief's judgment" without showing it (issue 19): it quotes the Key
    Judgment drafted before it, by the template's own part reference."""
    sections = load_template().sections
    labels = [p.label for s in sections for p in s.parts]
    task = next(p.task for s in sections for p in s.parts if p.label == "Assumptions")
    assert "{part:Key Judgment}" in task
    assert labels.index("Key Judgment") < labels.index("Assumptions")


def test_a_sentence_that_opens_on_a_pronoun_is_read_with_the_one_before() -> None:
    """ "The decision came after…" does not say which decision: the model is shown the sentence before it, and a
    claim resting on both cites both."""
    from agent.drafting.evidence import lead_ins

    def sent(i: int, text: str) -> Sentence:
        return Sentence(
            id=f"s{i}",
            doc_id="d",
            ordinal=i,
            start=i * 100,
            end=i * 100 + len(text),
            text=text,
            kind="body",
            entities=[],
            dates=[],
            numbers=[],
            cues=[],
        )

    first = sent(0, "Parliament voted on Tuesday to remove the governor from office.")
    anaphoric = [
        sent(1, "The decision came after weeks of street protests in the capital."),
        sent(2, "He said the vote was illegal."),
        sent(3, "“They will not stop,” a witness said."),
        sent(4, "All further steps must be suspended,” he added, and left the room."),
    ]
    standalone = sent(5, "Police closed the main square on Wednesday.")
    leads = lead_ins({"d": [first, *anaphoric, standalone]})
    assert [leads[s.id].id for s in anaphoric] == ["s0", "s1", "s2", "s3"]
    # a bullet item is read with the sentence that opens its list, until a body sentence ends the list
    opens = sent(10, "The ministry listed the measures it took on the first night:")
    items = [sent(11, "Curfews in three districts."), sent(12, "Schools closed until Friday.")]
    items = [x.model_copy(update={"kind": "bullet"}) for x in items]
    after = sent(13, "Markets stayed open in the capital.")
    late = sent(14, "Extra patrols on the ring road.").model_copy(update={"kind": "bullet"})
    leads = lead_ins({"d": [opens, *items, after, late]})
    assert [leads[x.id].id for x in items] == ["s10", "s10"] and late.id not in leads
    assert standalone.id not in leads and first.id not in leads


@pytest.mark.parametrize(
    ("capable", "calls"),
    [(True, 1), (False, 3)],
)
def test_an_answer_that_the_evidence_holds_nothing_is_never_a_claim(
    services: Services, capable: bool, calls: int
) -> None:
    """ "None" (or "The sentences do not say…") is an honest answer, not a claim: a capable model, offered it, is
    believed and the part goes to the analyst with its evidence; the small model is asked again, then the part is
    left out with the reason. Nothing is published either way."""
    from agent.core.contracts import Draft, Provenance
    from agent.drafting.parts import model_part
    from agent.drafting.pipeline import draft_context

    def answer(messages: Sequence[Message], schema: type[BaseModel]) -> dict[str, Any]:
        said = "Nothing in these sentences." if capable else "The sentences do not give any explanation."
        out: dict[str, Any] = {"text": said}
        if "sentences" in schema.model_fields:
            out["sentences"] = []  # it rests on none: the schema must let it say so (a capable model could not)
        return out

    services.settings.llm.capable = capable
    fake = FakeLLM(answer)
    services.use_llm(fake)
    # the embedded model drafts no hypothesis (they are the analyst's there): its case is the key judgment
    spec = load_template().section("hypotheses" if capable else "bluf")
    part = spec.parts[0]
    d = Draft(id=f"none{capable}", topic=TOPIC, provenance=Provenance(model="fake", endpoint_kind="fake"))
    ctx = draft_context(services, d, fake, None)
    claim, _usage, why = model_part(ctx, spec, part, [])
    assert claim is None and why
    assert len(fake.calls) == calls
    assert ("nothing for it" in why) is capable
    assert ("nothing in these sentences" in fake.calls[0][0][-1]["content"]) is capable


def test_the_date_asked_about_is_marked_in_its_sentence(nlp: Any) -> None:
    """ "…violates the declaration signed on October 26, 2025, the general said" is about two moments: the model is
    shown which mention the date it is asked about is."""
    from agent.corpus.sentences import analyse
    from agent.drafting.parts import marked_date

    text = "“This violates the declaration signed on October 26, 2025,” the general said on Monday."
    (s,) = [x for x in analyse(nlp, "d", text, date(2025, 11, 10)) if x.dates]
    assert "«October 26, 2025»" in marked_date(s, "26 October 2025")
    assert marked_date(s, "1 March 2020") == s.text


def test_organisations_are_asked_their_role_too(services: Services) -> None:
    """ "Defence Ministry" alone was marked EDIT for lack of a role: organisations get the role task as people do."""
    from agent.drafting.evidence import SentenceBase

    fake = FakeLLM(condensing)
    services.use_llm(fake)
    draft_brief(services, TOPIC)
    asked = {
        m[1]["content"].rsplit("The named entity: ", 1)[-1].split(".")[0]
        for m, schema, _ in fake.calls
        if "role" in schema.model_fields
    }
    docs = services.store.documents()
    base = SentenceBase.build(docs, services.analyser.sentences(services.store, docs), services.embedder, TOPIC)
    orgs = {c.name for c in builders.entity_candidates(base) if c.label == "ORG" and not builders.entity_role(c)[0]}
    assert orgs and orgs <= asked, (orgs, asked)


def test_a_builder_that_fails_costs_its_part_not_the_brief(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any) -> Any:
        raise IndexError("list index out of range")

    monkeypatch.setitem(builders.CODE_BUILDERS, "tags", broken)
    services.use_llm(FakeLLM(condensing))
    draft = draft_brief(services, TOPIC)
    tags = draft.section("tags")
    assert tags.claims == [] and any("IndexError" in s for s in tags.skipped)
    assert draft.section("techniques").claims and draft.section("entities").claims


@pytest.mark.parametrize("invents", [False, True])
def test_a_capable_model_words_codes_findings_and_code_checks_the_wording(services: Services, invents: bool) -> None:
    """On a capable endpoint the confidence, gaps, risks and techniques are worded by the model from code's
    finding (given as data); a wording with a figure the finding does not give, or without its level, is refused
    and code's finding stands. The embedded model is never asked."""
    worded = "Taken together, the sourcing leaves this brief at low confidence for the reader." + (
        " Some 4,321 reports agree." if invents else ""
    )

    def answer(messages: Sequence[Message], schema: type[BaseModel]) -> dict[str, Any]:
        if schema.__name__ == "Phrasing":
            return {"text": worded}
        return condensing(messages, schema)

    for capable in (True, False):
        services.settings.llm.capable = capable
        fake = FakeLLM(answer)
        services.use_llm(fake)
        draft = draft_brief(services, TOPIC)
        asked = [m for m, schema, _ in fake.calls if schema.__name__ == "Phrasing"]
        assert bool(asked) is capable
        conf = next((c for c in draft.section("bluf").claims if c.label == "Confidence"), None)
        if not capable:  # the embedded default leaves the line to the analyst, its basis a note (never shipped)
            assert conf is None and any(n.startswith("Confidence: left to") for n in draft.section("bluf").skipped)
            continue
        assert conf is not None
        if draft.confidence == "low" and not invents:
            assert conf.text == worded
        else:
            assert conf.text.startswith(draft.confidence.capitalize())  # the label says "Confidence", not the text
        assert any("Code found, for the brief's Confidence" in m[-1]["content"] for m in asked)


@pytest.mark.parametrize(
    ("text", "explains"),
    [
        ("Investigators suspect the fire was started deliberately to destroy records.", True),
        ("The ministry blamed the outage on a fault in a substation.", True),
        ("Protesters accused the council of corruption.", True),
        ("The strike was carried out in retaliation for last week's shelling.", True),
        ("Flooding worsened because the drains were blocked.", True),
        ("The talks were seen as a test of the new government's resolve.", True),
        ("The storm made landfall at 11am with winds of 180 km/h.", False),
        ("Officials said 12 people were killed and 40 injured.", False),
        ("The minister resigned on Tuesday.", False),
    ],
)
def test_explanation_sentences_are_told_from_reports_of_what_happened(text: str, explains: bool) -> None:
    from agent.corpus.explanations import offers_explanation

    assert offers_explanation(text) is explains


DENYING = "The minister said there was “no indication” that the outage was the result of sabotage."


@pytest.mark.parametrize(
    ("claim", "turned"),
    [
        ("The outage was caused by sabotage, the minister said, with no indication of its origin.", True),
        ("The outage was the result of sabotage, according to the minister.", True),
        ("The minister said there was no indication that sabotage caused the outage.", False),
        ("Sabotage was raised as a cause, but the minister said there was no indication of it.", False),
        ("The minister ruled out that the outage was caused by sabotage.", False),
    ],
)
def test_an_explanation_its_source_denies_is_not_asserted(claim: str, turned: bool) -> None:
    """A hypothesis drawn from “no indication it was X” that says it was X turns its source around (a reviewer's
    WRONG on the dev set); carrying the denial, or doubting before the cause, keeps it."""
    from agent.corpus.explanations import drops_denial

    assert (drops_denial(claim, [DENYING]) is not None) is turned
    assert drops_denial(claim, ["Officials blamed the outage on a faulty relay."]) is None


def test_a_hypothesis_that_asserts_a_denied_explanation_is_asked_again(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The denial check is applied to every hypothesis answer, with the reason given back to the model."""
    import agent.drafting.parts as parts_mod

    monkeypatch.setattr(parts_mod, "drops_denial", lambda claim, sentences: "no indication")
    fake = FakeLLM(condensing)
    services.use_llm(fake)
    draft = draft_brief(services, TOPIC)
    assert not [c for c in draft.section("hypotheses").claims if (c.label or "").startswith("Hypothesis")]
    again = [m[-1]["content"] for m, _s, _n in fake.calls if "denies or rules out that explanation" in m[-1]["content"]]
    assert again, "the reason was not given back"
    assert any("refused" in s and "denies or rules out" in s for s in draft.section("hypotheses").skipped)


def test_hypotheses_are_drawn_only_from_sentences_that_give_an_explanation(services: Services) -> None:
    """A hypothesis drawn from sentences that only report what happened came out as a restated fact or an invented
    motive on every dev-set topic (issue 19): the model is shown only sentences giving a cause, motive, blame or
    suspicion."""
    from agent.corpus.explanations import offers_explanation

    fake = FakeLLM(condensing)
    services.use_llm(fake)
    draft_brief(services, TOPIC)
    asked = [m for m, _s, _n in fake.calls if "explanation these sentences give" in m[-1]["content"]]
    assert asked, "the hypotheses were not asked"
    for messages in asked:
        given = sentences_given(messages)
        assert given and all(offers_explanation(s) for s in given), given


def test_no_explanation_in_the_sources_leaves_the_hypotheses_and_assessment_to_the_analyst(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sources that only report what happened give no hypothesis: nothing is asked of the model, the parts are
    left to the analyst with the reason, and nothing weighs hypotheses that were not drafted."""
    from agent.drafting.evidence import SentenceBase

    monkeypatch.setattr(SentenceBase, "explanations", property(lambda self: frozenset()))
    fake = FakeLLM(condensing)
    services.use_llm(fake)
    draft = draft_brief(services, TOPIC)
    hyps = draft.section("hypotheses")
    assert hyps.claims == []
    assert any("no further source sentence gives a cause" in s for s in hyps.skipped), hyps.skipped
    assert not any("explanation these sentences give" in m[-1]["content"] for m, _s, _n in fake.calls)


def test_on_the_embedded_model_the_hypotheses_are_the_analyst_s_with_their_evidence(services: Services) -> None:
    """The embedded model's hypotheses shipped 4 of 35 times on the dev set (issue 19: circular, restated, cause and
    effect reversed): on the embedded default it is not asked for them; each is left to the analyst with the
    sentences that give an explanation, and with no hypothesis there is no Assessment nor matrix to weigh them."""
    fake = FakeLLM(condensing)
    services.settings.llm.capable = False
    services.use_llm(fake)
    draft = draft_brief(services, TOPIC)
    hyps = draft.section("hypotheses")
    assert not hyps.claims
    assert not any("explanation these sentences give" in m[-1]["content"] for m, _, _ in fake.calls)
    for label in ("Hypothesis A", "Hypothesis B"):  # B too, though it refers to A, which was not drafted
        handed = [s for s in hyps.skipped if s.startswith(f"{label}: left to the analyst")]
        assert handed and "“" in handed[0], hyps.skipped  # its evidence, quoted
    assert draft.ach is None


# --------------------------------------------------------------------------- redraft (issue 20)


def rewriting(note_fact: str) -> Any:
    """A model that follows a redraft note: a sentence of its own carrying ``note_fact``, from the shown sentence
    that states it; to a drafting task, it condenses."""

    def answer(messages: Sequence[Message], schema: type[BaseModel]) -> dict[str, Any]:
        if "The reviewer's note" not in messages[-1]["content"]:
            return condensing(messages, schema)
        given = sentences_given(messages)
        n = next(k for k, s in enumerate(given, 1) if note_fact in s)
        words = [w for w in re.findall(r"[A-Za-z]{5,}", given[n - 1]) if w.lower() not in ("reports", "indicate")]
        out: dict[str, Any] = {"text": f"Some {note_fact} {' '.join(words[:4]).lower()} were reported."}
        if "sentences" in schema.model_fields:
            out["sentences"] = [str(n)]
        if "likelihood" in schema.model_fields:
            out["likelihood"] = "likely"
        return out

    return answer


@pytest.mark.parametrize("capable", [False, True])
def test_a_redraft_follows_the_note_through_the_part_machinery(services: Services, capable: bool) -> None:
    """The note's figure is looked up in the sentence layer and shown to the model with the claim and the note; the
    new version cites the sentence stating it, keeps the claim's id and comes back graded (sources, credibility,
    cues), like a drafted claim."""
    from agent.drafting.redraft import redraft_claim

    services.settings.llm.capable = capable
    fake = FakeLLM(rewriting("10,000"))
    services.use_llm(fake)
    draft = draft_brief(services, TOPIC)
    claim = next(c for c in draft.claims() if c.label == "Key Judgment")
    before = len(fake.calls)
    # notes open with their verb, capitalised: "Add" is not a name the new version must carry
    note = "Add the figure: 10,000 troops were deployed."
    new, _usage = redraft_claim(services, draft, claim, note)
    asked = fake.calls[before:]
    assert len(asked) == 1
    task = asked[0][0][-1]["content"]
    assert claim.final_text in task and note in task
    assert len(sentences_given(asked[0][0])) <= (8 if capable else 4)
    assert "10,000" in new.text and new.id == claim.id and new.origin == "redrafted"
    assert any("10,000" in c.quote for c in new.citations)
    assert new.sources and new.credibility is not None and new.cues  # "Reports indicate" is a sourcing cue
    docs = {d.id: d for d in services.store.documents()}
    assert all(docs[c.doc_id].text[c.start : c.end] == c.quote for c in new.citations)


def test_a_note_asking_for_what_no_source_states_gets_that_answer(services: Services) -> None:
    from agent.drafting.redraft import RedraftRefused, redraft_claim

    fake = FakeLLM(condensing)
    services.use_llm(fake)
    draft = draft_brief(services, TOPIC)
    claim = next(c for c in draft.claims() if c.label == "Key Judgment")
    before = len(fake.calls)
    with pytest.raises(RedraftRefused, match="no source sentence states 987654"):
        redraft_claim(services, draft, claim, "say that 987,654 troops were sent")
    assert len(fake.calls) == before  # the model is not asked to invent it


def test_a_redraft_that_keeps_the_old_text_is_asked_again_then_refused(services: Services) -> None:
    from agent.drafting.redraft import RedraftRefused, redraft_claim

    services.use_llm(FakeLLM(condensing))
    draft = draft_brief(services, TOPIC)
    claim = next(c for c in draft.claims() if c.label == "Key Judgment")

    def same(messages: Sequence[Message], schema: type[BaseModel]) -> dict[str, Any]:
        return {"text": claim.final_text, "likelihood": "likely", "sentences": ["1"]}

    fake = FakeLLM(same)
    services.use_llm(fake)
    with pytest.raises(RedraftRefused, match="old text again"):
        redraft_claim(services, draft, claim, "say it more plainly")
    assert len(fake.calls) == 3  # two candidates, then one re-ask with the reason
    assert "old text again" in fake.calls[-1][0][-1]["content"]


@pytest.mark.parametrize(
    ("note", "wanted", "outlets"),
    [
        ("Add the death toll of 25.", ["25"], []),
        ("Soften the likelihood. Sharpen it only if two sources agree.", [], []),
        ("Fix the causality: Kim ordered the deployment after the treaty.", ["Kim"], []),
        ("Attribute it to Zee News, not the police.", [], ["Zee News"]),
        ("Say the Jamaica Observer reported 25 dead in St Elizabeth.", ["St", "Elizabeth", "25"], ["Jamaica Observer"]),
        ("Cite reuters for the figure of 3,000.", ["3000"], ["reuters"]),
        ("Add Hindustan Times' count of 10 killed.", ["10"], ["Hindustan Times"]),
    ],
)
def test_a_note_asks_for_its_facts_not_for_its_verb_or_the_outlet_it_cites(
    note: str, wanted: list[str], outlets: list[str]
) -> None:
    """A note opens with its verb ("Add", "Soften", "Fix"), which is no fact; a word opening a sentence of the note
    is a name only when the sources use it as one ("Kim"); an outlet the note names is whom to cite."""
    from agent.drafting.redraft import note_outlets, note_terms

    names = {"kim", "elizabeth", "st"}
    known = {"reuters", "zee news"}
    assert note_terms(note, names, known)[0] == wanted
    assert note_outlets(note, known) == outlets


def test_a_note_asking_to_drop_something_is_checked_for_it() -> None:
    from agent.drafting.redraft import note_terms, redraft_ignores

    # a figure's comma does not end what is to go; a place after "not" may stay for what did happen there
    assert note_terms("Drop the 35,000 passengers; say 85 of 89 substations.") == (["85", "89"], ["35000"])
    assert note_terms("Fix: the arms were seized in Faridabad, not at the Red Fort.") == (["Faridabad"], [])
    # "cut" in what the note says happened is no request to cut
    assert note_terms("Reverse it: the storm cut Black River off from aid; cut the last clause.")[1] == []
    assert note_terms("Say it plainly, and remove Zelensky.")[1] == ["Zelensky"]
    # a quote goes whole, commas and all; what no source says is to go; a reported "not to <verb>" is no request
    note = (
        "Replace the vague 'has implications for Kyiv, Europe, and Moscow' with what Putin said: he warned Kyiv "
        "not to 'torpedo the progress'."
    )
    wanted, unwanted = note_terms(note)
    assert unwanted == ["has implications for Kyiv, Europe, and Moscow"] and "Putin" in wanted
    assert note_terms("The PM declared it. No source mentions a 'National Disaster Council'.", {"pm"})[1] == [
        "National Disaster Council"
    ]
    # a list of names after "not" goes on: none of them is asked for
    assert note_terms("These are Brussels' figures, not a total for Heathrow, Brussels, Berlin and Dublin.")[0] == []
    # the figure of a phrase to drop is not asked for; "89 substations" is gone from "85 of 89 substations"
    assert note_terms("Drop '15 GW' from the judgment.") == ([], ["15 GW"])
    long = "with the U.S. and Russia each claiming they had a legitimate reason to continue fighting"
    assert note_terms(f"Drop '{long}'. No source reports it.")[1] == [long]  # a long quote goes whole
    # code's own edit is no repeat of the old text, however close: two words dropped are what was asked
    old, new = (
        "On 28 April 2025 a 15 GW blackout cut power across Spain and Portugal, disrupting transport and services; "
        "the grid operator restored 99% of supply on the mainland by the next morning, but the cause remains unclear.",
        "On 28 April 2025 a blackout cut power across Spain and Portugal, disrupting transport and services; "
        "the grid operator restored 99% of supply on the mainland by the next morning, but the cause remains unclear.",
    )
    assert redraft_ignores(old, new, "Drop '15 GW'.") is not None
    assert redraft_ignores(old, new, "Drop '15 GW'.", exact=True) is None
    assert (
        redraft_ignores(
            "REN restored 89 substations.",
            "REN restored 85 of 89 substations.",
            "Give it as 85 of 89 substations restored, not as '89 substations'.",
        )
        is None
    )

    wanted, unwanted = note_terms("Drop the 'elite units' clause and attribute it to the NIS, not to Zelensky")
    assert "NIS" in wanted and "elite units" in unwanted and "Zelensky" in unwanted
    old = "More than 10,000 troops, including elite units, were deployed, Zelensky said."
    assert "keeps elite units" in (
        redraft_ignores(old, "The NIS said 10,000 troops, elite units, went.", "drop 'elite units'") or ""
    )
    assert redraft_ignores(old, "The NIS said more than 10,000 troops were deployed.", "drop 'elite units'") is None


def _claim_on(services: Services, draft: Any, figure: str, text: str) -> Any:
    """A drafted claim rewritten as ``text``, citing the source sentence that states ``figure``."""
    from agent.drafting.analysis import grading_for

    base = grading_for(services, draft, services.workspace.root).base
    s = next(s for s in base.sentences if figure in s.text)
    claim = next(c for c in draft.claims() if c.label == "Key Judgment")
    return claim.model_copy(update={"text": text, "citations": [base.citation(s)], "likelihood": None}), s


def test_a_note_code_can_carry_out_is_not_sent_to_the_model(services: Services) -> None:
    """ "Drop …" on a phrase the claim holds: code cuts it (the parse says what goes), the model is not asked, and
    the new version cites the claim's sentence, graded like any other."""
    from agent.drafting.redraft import redraft_claim

    fake = FakeLLM(condensing)
    services.use_llm(fake)
    draft = draft_brief(services, TOPIC)
    claim, s = _claim_on(
        services, draft, "10,000", "More than 10,000 troops, including elite units, were deployed, officials said."
    )
    before = len(fake.calls)
    new, usage = redraft_claim(services, draft, claim, "Drop 'including elite units'.")
    assert len(fake.calls) == before and usage.completion_tokens == 0
    assert new.text == "More than 10,000 troops were deployed, officials said."
    assert new.id == claim.id and new.origin == "redrafted"
    assert [c.sentence_id for c in new.citations] == [s.id]
    assert new.sources and new.credibility is not None


def test_an_attribution_is_code_s_when_the_outlet_states_the_claim_and_refused_when_not(services: Services) -> None:
    from agent.drafting.redraft import RedraftRefused, redraft_claim

    fake = FakeLLM(condensing)
    services.use_llm(fake)
    # the seeds carry no outlet: give the one stating the figure and another one each (as a sidecar would)
    docs = services.store.documents()
    stating = next(d for d in docs if "10,000" in d.text)
    other = next(d for d in docs if "10,000" not in d.text)
    theirs = "Alpha Daily News"
    for d, outlet in ((stating, theirs), (other, "Beta Times")):
        services.store._db.execute("UPDATE documents SET outlet = ? WHERE id = ?", (outlet, d.id))
    draft = draft_brief(services, TOPIC)
    claim, s = _claim_on(services, draft, "10,000", "More than 10,000 troops were deployed.")
    assert s.doc_id == stating.id
    before = len(fake.calls)
    new, _usage = redraft_claim(services, draft, claim, f"Attribute it to {theirs}.")
    assert len(fake.calls) == before
    assert new.text == f"According to {theirs}, more than 10,000 troops were deployed."
    assert all(c.doc_id == s.doc_id for c in new.citations)
    with pytest.raises(RedraftRefused, match="does not state 10000"):
        redraft_claim(services, draft, claim, "Attribute it to Beta Times.")


def test_an_outlet_a_file_is_named_after_is_whom_to_cite_not_a_fact() -> None:
    """Sources with no outlet in their metadata are known by their file's name ("source_5_westernstandard.txt"):
    a note naming that outlet asks for no name in the text."""
    from agent.core.contracts import SourceDocument
    from agent.drafting.redraft import file_outlets, note_terms, redraft_ignores

    docs = [
        SourceDocument(
            id=f"d{i}", path=f"/case/sources/source_{i}_{n}.txt", text="x", content_type="text/plain", sha256="0"
        )
        for i, n in enumerate(["westernstandard", "internationalintrigue", "firstpost"])
    ]
    note = "The toll is not single-sourced: Firstpost and Western Standard give 19. Only International Intrigue has 30."
    found = file_outlets(note, docs)
    assert found == {"firstpost", "western standard", "international intrigue"}
    assert note_terms(note, set(), found)[0] == ["19", "30"]
    # the figure a note asks for elsewhere is no figure kept against it
    note2 = "Give it as 85 of 89 substations restored, not as '89 substations'."
    assert redraft_ignores("REN restored 89 substations.", "REN had 85 of 89 grid sites back.", note2) is None


def test_a_redraft_may_name_the_outlet_a_source_file_is_named_after(services: Services) -> None:
    """ "Say that Alpha Daily reports it", for a source filed as ``source_1_alphadaily.txt`` with no outlet in its
    metadata: the new version may name that outlet, which is in no sentence, yet invents nothing."""
    from agent.drafting.redraft import redraft_claim

    stating = next(d for d in services.store.documents() if "10,000" in d.text)
    services.store._db.execute("UPDATE documents SET path = ? WHERE id = ?", ("/c/source_1_alphadaily.txt", stating.id))
    services.use_llm(FakeLLM(condensing))
    draft = draft_brief(services, TOPIC)
    claim, _s = _claim_on(services, draft, "10,000", "More than 10,000 troops were deployed.")

    def naming(messages: Sequence[Message], schema: type[BaseModel]) -> dict[str, Any]:
        out: dict[str, Any] = {"text": "Alpha Daily puts the deployment above 10,000 soldiers."}
        if "sentences" in schema.model_fields:
            out["sentences"] = ["1"]
        return out

    services.use_llm(FakeLLM(naming))
    new, _usage = redraft_claim(services, draft, claim, "Say that Alpha Daily reports the figure.")
    assert new.text.startswith("Alpha Daily puts")
