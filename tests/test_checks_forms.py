"""Checks that accept right answers: a source name's hyphenated forms, figures written another way, and a claim a
little over its length limit trimmed cleanly (or asked shorter when it cannot be without losing meaning)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import BaseModel

from agent.drafting import checks
from agent.drafting.pipeline import draft_brief
from agent.llm.seam import Message
from agent.llm.testing import FakeLLM
from agent.services import Services
from tests.test_parts import TOPIC, condensing, sentences_given

SENT = "Officials in Velmora said the Tarsk group carried out the attack, which killed 20 people."
COMMON: dict[str, Any] = {
    "all_source_names": checks.source_name_stems([SENT]),
    "source_scripts": {"LATIN"},
    "instructions": ["State one consequence of these facts."],
    "analytic": True,
}


@pytest.mark.parametrize(
    "claim",
    [
        "The attack by Tarsk-linked fighters killed 20 people.",
        "A Tarsk-backed unit is blamed for the attack.",
        "The strike may harden pro-Velmora opinion.",
        "The attack may feed anti-Tarsk sentiment across the region.",
    ],
)
def test_a_hyphenated_form_of_a_source_name_is_not_an_invented_name(claim: str) -> None:
    assert checks.unsupported_names(claim, [SENT]) == []
    assert checks.refusal(claim, [SENT], **COMMON) is None


def test_a_name_of_the_analysts_topic_is_not_an_invented_name() -> None:
    claim = "The Tarsk attack deepened the Orvan crisis."
    assert "names Orvan" in (checks.refusal(claim, [SENT], **COMMON) or "")
    assert checks.refusal(claim, [SENT], **COMMON, topic="The Orvan crisis of 2025") is None


def test_a_hyphenated_name_still_needs_its_name_in_the_sources() -> None:
    assert checks.unsupported_names("Many Kord-linked fighters attacked.", [SENT]) == ["Kord-linked"]
    assert "names" in (checks.refusal("The attack may feed anti-Kord sentiment.", [SENT], **COMMON) or "")


@pytest.mark.parametrize(
    ("claim", "source"),
    [
        ("It was the 20th attack this year.", "It was attack number 20 this year."),
        ("The toll rose to 20 people.", "The toll rose to the 20th victim."),
        ("Some 1200 homes were damaged.", "Some 1,200 homes were damaged."),
        ("About 1.2 million people fled.", "About 1,200,000 people fled."),
        ("About 1,200,000 people fled.", "About 1.2 million people fled."),
        ("The fund holds 12m dollars.", "The fund holds 12 million dollars."),
        ("The fund holds 12 million dollars.", "The fund holds $12m."),
        ("The 2 leaders met.", "The two leaders met."),
        ("Some 12 villages were cut off.", "A dozen villages were cut off."),
    ],
)
def test_a_figure_written_another_way_is_the_same_figure(claim: str, source: str) -> None:
    assert checks.unsupported_numbers(claim, [source]) == []


def test_a_different_figure_is_still_unsupported() -> None:
    assert checks.unsupported_numbers("About 1.3 million people fled.", ["About 1,200,000 people fled."]) == ["1.3"]
    assert checks.unsupported_numbers("The 3 leaders met.", ["The two leaders met."]) == ["3"]
    assert checks.unsupported_numbers("It killed 21 people.", [SENT]) == ["21"]


def test_a_claim_a_little_too_long_is_trimmed_only_where_nothing_is_lost() -> None:
    # a trailing clause with no name or figure, or an attribution opener, can go
    long = "The attack killed 20 people in Velmora, which raises fears that further violence will follow soon."
    assert checks.trimmed(long, 10) == "The attack killed 20 people in Velmora."
    opener = "According to officials, the Tarsk group carried out the attack that killed 20 people."
    assert checks.trimmed(opener, 12) == "The Tarsk group carried out the attack that killed 20 people."
    within = "The attack killed 20 people."
    assert checks.trimmed(within, 10) == within
    # a clause that carries a name or figure cannot go: the claim is asked again, shorter
    assert checks.trimmed("The attack was carried out by a group, which officials named as Tarsk today.", 8) is None
    assert checks.trimmed("One long sentence without any comma that simply goes on and on for far too long.", 8) is None


def copied(messages: Sequence[Message], schema: type[BaseModel]) -> dict[str, Any]:
    """An answer copying the first sentence given (within the schema's length): refused where analysis is asked."""
    answer: dict[str, Any] = {"text": " ".join(sentences_given(messages)[0][:380].split()[:-1])}
    if "likelihood" in schema.model_fields:
        answer["likelihood"] = "likely"
    if "sentences" in schema.model_fields:
        answer["sentences"] = ["1"]
    return answer


def test_a_capable_model_is_told_why_at_once(services: Services) -> None:
    """A capable model asked the same messages again cannot know what to change (the relay helper said so): its
    refused answer is followed by a re-ask with the reason, not by another sample."""

    def first_copies(messages: Sequence[Message], schema: type[BaseModel]) -> dict[str, Any]:
        if not messages[-1]["content"].startswith("That answer") and "role" not in schema.model_fields:
            return copied(messages, schema)
        return condensing(messages, schema)

    services.settings.llm.capable = True
    fake = FakeLLM(first_copies)
    services.use_llm(fake)
    draft_brief(services, TOPIC)
    again = [i for i, k in enumerate(fake.samples) if k == 1]
    assert all(fake.calls[i][0] != fake.calls[i - 1][0] for i in again)  # never the same messages sampled again
    assert any(m[-1]["content"].startswith("That answer was refused: ") for m, _, _ in fake.calls)


def test_a_second_candidate_to_the_same_messages_comes_before_a_reask(services: Services) -> None:
    """A model part's first answer refused, another sample of the SAME messages is taken (the server's prompt
    cache serves them) and kept when it passes: no re-ask with a reason is needed (the embedded model)."""
    services.settings.llm.capable = False

    def first_copies(messages: Sequence[Message], schema: type[BaseModel]) -> dict[str, Any]:
        if fake.samples[-1] == 0 and "role" not in schema.model_fields:
            return copied(messages, schema)
        return condensing(messages, schema)

    fake = FakeLLM(first_copies)
    services.use_llm(fake)
    draft = draft_brief(services, TOPIC)
    assert all(s.status == "done" for s in draft.sections)
    seconds = [i for i, k in enumerate(fake.samples) if k == 1]
    assert seconds, "a refused first answer is followed by another sample"
    for i in seconds:
        assert fake.calls[i][0] == fake.calls[i - 1][0]  # the same messages
    # a second candidate that passes is kept: the next call is not a re-ask of its part
    calls = [m for m, _, _ in fake.calls]
    kept = [i for i in seconds if i + 1 == len(calls) or not calls[i + 1][-1]["content"].startswith("That answer")]
    assert kept
    texts = {c.text for c in draft.claims()}
    assert any(condensing(calls[i], fake.calls[i][1])["text"] in texts for i in kept)


@pytest.mark.parametrize("capable", [True])
def test_a_competing_hypothesis_is_refused_when_it_rewords_the_first(services: Services, capable: bool) -> None:
    """B's evidence leaves out A's sentences and an answer rewording A is refused with that reason; a capable model
    is shown A in its task (the embedded one drafts no hypothesis). With one hypothesis left there is no
    Assessment: weighing explanations is the analyst's."""
    hyp_a: dict[str, str] = {}

    def rewording(messages: Sequence[Message], schema: type[BaseModel]) -> dict[str, Any]:
        answer = condensing(messages, schema)
        first = messages[1]["content"]
        if "explanation these sentences give" in first and hyp_a.get("sentences", first) == first:
            # A's asks (its candidates and re-asks): an explanation in words no earlier claim of the brief used
            words = re.findall(r"[A-Za-z]{5,}", sentences_given(messages)[0])[::-1][:6]
            answer["text"] = "Taken together, the reporting shows " + " ".join(words).lower() + " matters."
            hyp_a["text"], hyp_a["sentences"] = answer["text"], first
        elif "explanation" in first and hyp_a:
            assert (hyp_a["text"] in first) is capable  # B is shown A only on a capable endpoint
            said = hyp_a["text"].removeprefix("Taken together, the reporting shows ").removesuffix(" matters.")
            answer["text"] = f"What matters most is {said}, as the reporting shows."
        return answer

    services.settings.llm.capable = capable
    fake = FakeLLM(rewording)
    services.use_llm(fake)
    draft = draft_brief(services, TOPIC)
    hyps = draft.section("hypotheses")
    labels = [c.label for c in hyps.claims]
    assert "Hypothesis A" in labels and "Hypothesis B" not in labels, (hyps.skipped, hyps.error)
    assert any("rewords Hypothesis A" in s for s in hyps.skipped), hyps.skipped
    assert "Assessment" not in labels and any(s.startswith("Assessment:") for s in hyps.skipped)
    # B's evidence leaves out the sentences A rests on
    a = next(c for c in hyps.claims if c.label == "Hypothesis A")
    a_quotes = {c.quote for c in a.citations}
    b_asks = [
        m
        for m, _, _ in fake.calls
        if "explanation these sentences give" in m[1]["content"] and m[1]["content"] != hyp_a["sentences"]
    ]
    assert b_asks and not any(q in sentences_given(m) for m in b_asks for q in a_quotes)


def test_overlap_tells_a_rewording_from_another_explanation() -> None:
    from agent.drafting.parts import DISTINCT_OVERLAP, overlap

    a = "Heavy rainfall over three days overwhelmed the river defences upstream of the city."
    reworded = "Three days of heavy rainfall overwhelmed the city's upstream river defences."
    other = "Officials blame years of unchecked construction on the floodplain for the damage."
    assert overlap(a, reworded) >= DISTINCT_OVERLAP > overlap(a, other)


def test_two_explanations_of_one_event_are_not_one_for_naming_it() -> None:
    """Both hypotheses name the event (its places, its parties): the words of the topic do not make them one."""
    from agent.drafting.parts import DISTINCT_OVERLAP, overlap

    topic = "Riverton flood after the Kessel dam failure in the Alder valley"
    a = "The Kessel dam failure in the Alder valley was driven by heavy rainfall over three days upstream of Riverton."
    b = "The Kessel dam failure in the Alder valley flooded Riverton because of years of building on the floodplain."
    assert overlap(a, b) >= DISTINCT_OVERLAP  # counted with the topic's words, they look like one
    assert overlap(a, b, topic) < DISTINCT_OVERLAP
    reworded = "Three days of heavy upstream rainfall caused the Kessel dam failure that flooded Riverton."
    assert overlap(a, reworded, topic) >= DISTINCT_OVERLAP


def test_a_fact_may_say_what_the_topic_says_a_judgment_may_not() -> None:
    """The date of the main event ("14 October: the army seized power in the capital") restates the topic by
    nature; a judgment that is the topic again says nothing."""
    topic = "the army seized power in the capital after the president fled"
    text = "The army seized power in the capital after the president fled abroad."
    common = {**COMMON, "all_source_names": checks.source_name_stems([text]), "topic": topic}
    common.pop("analytic")
    assert checks.refusal(text, [text], analytic=False, **common) is None
    assert "restates" in (checks.refusal(text, [text + " Troops"], analytic=True, **common) or "")


@pytest.mark.parametrize(
    ("text", "cut"),
    [
        (
            "The check-in software was attacked by ransomware on the first day, resulting in disruption at four "
            "large airports across the region.",
            "The check-in software was attacked by ransomware on the first day",
        ),
        ("Parliament voted to remove the governor; protests spread to three more cities by the evening.", None),
        ("The agency confirmed the outage was ransomware.", "The agency confirmed the outage was ransomware."),
    ],
)
def test_a_dates_event_is_its_main_clause(text: str, cut: str | None) -> None:
    assert checks.event_cut(text, 16) == (cut or text)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("The airport's cyberattack on the check-in software was attributed to a ", True),
        ("Officials said the dam burst because of the", True),
        ("Officials said the dam burst after three days of rain.", False),
        ("The flood was what the engineers had warned of.", False),
    ],
)
def test_a_statement_that_stops_mid_sentence_is_refused(text: str, fragment: bool) -> None:
    said = checks.refusal(text, [], **COMMON)
    assert ("mid-sentence" in (said or "")) is fragment


def test_a_figure_only_the_topic_gives_is_refused_its_dates_are_not() -> None:
    """The topic is the analyst's words: a claim may say when the event happened as the topic does, but a figure
    no source sentence states ("the loss of about 15 GW", judged UNSUPPORTED) is refused."""
    from agent.drafting.checks import refusal

    topic = "The 28 April 2025 blackout: the sudden loss of about 15 GW across two countries, and its cause"
    cited = ["Power was restored to 99% of homes by Tuesday morning, the grid operator said."]

    def why(text: str) -> str | None:
        return refusal(
            text, cited, all_source_names={"gw"}, source_scripts={"LATIN"}, instructions=[], analytic=False, topic=topic
        )

    assert "15" in (why("The loss of 15 GW on 28 April 2025 cut power; 99% was restored by Tuesday.") or "")
    assert why("On 28 April 2025 power failed; 99% of homes had it back by Tuesday morning.") is None
