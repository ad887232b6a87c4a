"""Code-written claims that must be right on any kind of event and source: the confidence rule, agency copy,
figures compared only for the same quantity, scope and time. Fixtures are invented passages of different kinds
of event (a flood, a factory fire, a strike, an outage), none taken from one topic."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest
from spacy.language import Language

from agent.core.contracts import Citation, Sentence, SourceDocument, stable_id
from agent.corpus.sentences import analyse
from agent.drafting import builders
from agent.drafting.analysis import analyse_base, source_documents
from agent.drafting.evidence import SentenceBase
from agent.tradecraft.corroboration import Corroboration
from agent.tradecraft.figures import figure_sets, measure_of, scope_of
from agent.tradecraft.profiles import Registry
from agent.tradecraft.wires import agencies, carried_copy


def doc(text: str, published: date | None = date(2025, 6, 2), outlet: str | None = None) -> SourceDocument:
    did = stable_id(text)
    return SourceDocument(id=did, path=f"/x/{did}.txt", text=text, sha256=did, published=published, outlet=outlet)


def base_of(nlp: Language, *docs: SourceDocument) -> tuple[SentenceBase, dict[str, list[Sentence]]]:
    sentences = {d.id: analyse(nlp, d.id, d.text, d.published) for d in docs}
    cands = [s for d in docs for s in sentences[d.id] if s.kind in ("body", "bullet")]
    zeros = np.zeros((len(cands), 4), dtype=np.float32)
    base = SentenceBase(docs={d.id: d for d in docs}, sentences=cands, vectors=zeros, topic_sim=np.zeros(len(cands)))
    return base, sentences


def cite(s: Sentence) -> Citation:
    return Citation(
        chunk_id="", doc_id=s.doc_id, quote=s.text, start=s.start, end=s.end, quote_as_given="", sentence_id=s.id
    )


def figures_of(nlp: Language, *docs: SourceDocument) -> tuple[Any, Any]:
    sents = [s for d in docs for s in analyse(nlp, d.id, d.text, d.published) if s.kind == "body"]
    corro = Corroboration([d.id for d in docs], sents, np.zeros((len(sents), 4), dtype=np.float32))
    return figure_sets(sents, corro, cite, {d.id: d.published for d in docs})


# ---------------------------------------------------------------- confidence: a stated rule from its basis

THREE = [
    "Floodwaters forced 4,000 residents from their homes in the river valley on Monday, the regional council said.",
    "A fire at a chemical plant burned for nine hours before crews contained it, the fire service said on Tuesday.",
    "Dock workers began a 48-hour strike at the port over pay, their union said in a statement on Wednesday.",
]


def test_two_corroborated_key_facts_of_24_is_never_high_confidence(nlp: Language) -> None:
    """The failure the reviewers marked WRONG: 'Confidence: high. Two of 24 key facts are stated by more than one
    independent source.'"""
    base, _ = base_of(nlp, *(doc(t) for t in THREE))
    built, level = builders.confidence(base, [2, 2] + [1] * 22)
    assert level == "moderate"  # three independent lines, none weakly sourced, but few facts confirmed
    assert built.text.startswith("Moderate, not high, because few of the key facts")
    assert "Rule:" not in built.text  # the basis, not the rule's text
    two, _ = base_of(nlp, *(doc(t) for t in THREE[:2]))
    built, level = builders.confidence(two, [2, 2] + [1] * 22)
    assert level == "low"
    assert built.text.startswith(
        "Low, because few of the key facts were found confirmed by a second independent source and the two "
        "sources are only two independent lines of reporting."
    )


def test_confidence_levels_follow_the_rule(nlp: Language) -> None:
    base, _ = base_of(nlp, *(doc(t) for t in THREE))
    assert builders.independent_lines(base) == 3
    assert builders.confidence_level(base, 12, 24, 0) == "high"
    assert builders.confidence_level(base, 8, 24, 0) == "moderate"  # a third corroborated: not high
    assert builders.confidence_level(base, 12, 24, 1) == "moderate"  # one source rests on weak sourcing
    assert builders.confidence_level(base, 12, 24, 2) == "low"  # most sources rest on it
    assert builders.confidence_level(base, 2, 24, 0) == "moderate"  # few confirmed, but three lines
    two, _ = base_of(nlp, *(doc(t) for t in THREE[:2]))
    assert builders.confidence_level(two, 4, 24, 0) == "low"  # under a fifth confirmed from two lines
    assert builders.confidence_level(two, 12, 24, 0) == "moderate"
    built, level = builders.confidence(base, [2] * 8 + [1] * 16)
    assert level == "moderate" and "Moderate, not high, because fewer than half of the key facts" in built.text


def test_one_line_of_reporting_is_low_confidence_whatever_the_count(nlp: Language) -> None:
    one = [doc(t, outlet="Same Outlet") for t in THREE]  # one outlet's reports count once
    base, _ = base_of(nlp, *one)
    assert builders.independent_lines(base) == 1
    built, level = builders.confidence(base, [2] * 20 + [1] * 4)
    assert level == "low" and "one line of reporting" in built.text


# ---------------------------------------------------------------- agency copy and state agencies


@pytest.mark.parametrize(
    ("text", "agency", "how"),
    [
        ("CAPITAL CITY, June 2 (Reuters) - Rescue crews searched the valley on Monday.", "Reuters", "copy"),
        ("HARBOUR TOWN (AP) — Dock workers walked out on Wednesday over pay.", "Associated Press", "copy"),
        ("Old Town [Country], June 2 (ANI): Crews fought the fire.", "Asian News International", "copy"),
        ("The council said 4,000 people left their homes.\nSource: BBC", "BBC", "copy"),
        ("The plant's owner told AFP the fire was contained by evening.", "Agence France-Presse", "copy"),
        ("The regulator told news agency Reuters it was investigating.", "Reuters", "cites"),
        ("Xinhua reported that the port had reopened on Friday.", "Xinhua", "cites"),
    ],
)
def test_agency_copy_and_citations_are_recognised(text: str, agency: str, how: str) -> None:
    got = agencies(text, Registry.load(None))
    assert got and got[0].agency.name == agency and got[0].how == how


@pytest.mark.parametrize(
    "text",
    [
        "The union's leader, a former AP reporter, said talks would resume.",  # the name, not a credit
        "Engineers restored the line (APs were replaced) by noon on Tuesday.",
        "Footage from CCTV cameras showed the car entering the car park at noon.",
    ],
)
def test_a_name_in_passing_is_no_agency_copy(text: str) -> None:
    assert carried_copy(text, Registry.load(None)) is None


def test_a_republished_wire_story_is_graded_as_the_agencys_and_two_copies_count_once(nlp: Language) -> None:
    registry = Registry.load(None)
    a = doc("RIVERTOWN, June 2 (Reuters) - Floodwaters forced 4,000 residents from their homes on Monday.")
    b = doc("RIVERTOWN, June 2 (Reuters) - The regional council opened 12 shelters for families on Monday night.")
    c = doc("BEIJING, June 2 (Xinhua) -- Officials said the port would reopen after the dock strike ended on Friday.")
    d = doc("Local volunteers handed out water and blankets at the school gym through the night.")
    docs = source_documents([a, b, c, d], registry)
    base, sentences = base_of(nlp, *docs)
    analysis = analyse_base(base, sentences, registry, {x.id: x for x in (a, b, c, d)})
    p = analysis.profiles
    assert (p[a.id].type, p[a.id].reliability, p[a.id].reliability_from) == ("wire", "B", "inferred")
    assert (p[c.id].type, p[c.id].reliability) == ("state-media", "D")
    assert p[d.id].reliability == "F"  # nothing in the text says whose it is
    assert base.origin[a.id] == base.origin[b.id] != base.origin[d.id]  # one agency's stories: one line
    assert builders.independent_lines(base) == 3


# ---------------------------------------------------------------- figures: same quantity, scope and time


def test_killed_and_injured_are_two_quantities(nlp: Language) -> None:
    a = doc("The explosion at the depot killed at least 12 people and injured 40 people, officials said.")
    s = next(s for s in analyse(nlp, a.id, a.text, a.published) if s.numbers)
    assert sorted(measure_of(n, s) for n in s.numbers) == ["injured", "killed"]
    b = doc("Hospital staff said 42 people were injured in the depot explosion.", outlet="Other")
    sets, clash = figures_of(nlp, a, b)
    assert clash == []  # 12 killed is not set against 45 injured
    assert {f.quantity for f in sets} == {"people injured"}


def test_one_places_figure_is_not_set_against_the_whole(nlp: Language) -> None:
    c = doc("At least 30 people died in the floods in Germany, the interior ministry said.")
    d = doc("In Bavaria, 19 people died in the floods, the district governor said.", outlet="Other")
    s = next(s for s in analyse(nlp, c.id, c.text, c.published) if s.numbers)
    assert scope_of(s.numbers[0], s) == {"germany"}
    sets, clash = figures_of(nlp, c, d)
    assert clash == [] and not any(f.disagree for f in sets)


def test_an_earlier_estimate_replaced_by_a_later_one_is_a_revision(nlp: Language) -> None:
    early = doc("Officials said 18 people were killed in the blast at the market.", published=date(2025, 6, 2))
    late = doc("Officials said 31 people were killed in the blast at the market.", published=date(2025, 6, 4))
    late.outlet = "Other"
    sets, clash = figures_of(nlp, early, late)
    assert clash == []
    assert len(sets) == 1 and sets[0].revised and not sets[0].disagree


def test_the_same_day_different_counts_contradict(nlp: Language) -> None:
    a = doc("The army said 20 soldiers were wounded when the mine exploded on patrol.", outlet="One")
    b = doc("A spokesman said 40 soldiers were wounded when the mine exploded on patrol.", outlet="Two")
    sets, clash = figures_of(nlp, a, b)
    assert len(clash) == 1 and sets[0].disagree and not sets[0].revised


def test_a_figure_that_describes_a_thing_is_no_count(nlp: Language) -> None:
    a = doc("The motion passed with 130 votes in the 163-member assembly on Tuesday.")
    b = doc("The regional bloc of 55 members suspended the country on Wednesday.", outlet="Other")
    c = doc("A spokesman said the 55-member bloc suspended the country with immediate effect.", outlet="Third")
    sets, clash = figures_of(nlp, a, b, c)
    assert clash == [] and not any(f.disagree for f in sets)


def test_figures_from_two_different_happenings_are_not_a_dispute(nlp: Language) -> None:
    a = doc("The station operator said the storm led to nearly 14 train cancellations and delays on Friday night.")
    b = doc("Rail data from a tracking firm showed 29 cancellations across three lines, with long queues.", outlet="B")
    _sets, clash = figures_of(nlp, a, b)
    assert clash == []


# ---------------------------------------------------------------- entities and tags

PORT = [
    "Harbourline Logistics, a shipping company based in the port, said the strike had stopped all loading on Monday.",
    "Harbourline Logistics said on Tuesday that the strike would cost it millions, according to Reuters.",
    "The union told Reuters that Harbourline Logistics had refused to meet its negotiators.",
    "Harbourline Logistcs confirmed the port would stay closed, Reuters reported on Wednesday.",
    "Port director Maria Delgado said talks with the union of Harbourline Logistics would resume on Thursday.",
    "Maria Delgado said the port in Valencia would reopen once the strike ended.",
]


def test_entities_are_whole_deduplicated_actors_with_roles_not_outlets(nlp: Language) -> None:
    base, _ = base_of(nlp, *(doc(t) for t in PORT))
    cands = builders.entity_candidates(base)
    names = [c.name for c in cands]
    assert "Reuters" not in names  # who reported it, not who did it
    assert "Harbourline Logistcs" not in names  # one body spelt two ways, counted once
    firm = next(c for c in cands if c.name == "Harbourline Logistics")
    assert firm.mentions >= 5
    assert builders.entity_role(firm)[0] == "shipping company based in the port"


def test_a_person_mistagged_as_a_place_is_no_tag(nlp: Language) -> None:
    texts = [
        "Opposition leader Ada Okonjo said the count in Lagos was rigged.",
        "The vote went against Okonjo in Lagos.",
        "Okonjo said the vote in Lagos would be challenged in court.",
    ]
    base, _ = base_of(nlp, *(doc(t) for t in texts))
    assert any(e.text == "Okonjo" and e.label == "GPE" for s in base.sentences for e in s.entities)  # spaCy's error
    tags = builders.tag_candidates(base, lambda _t: [])
    assert "Lagos" in tags
    assert "Okonjo" not in tags


# ---------------------------------------------------------------- techniques say what was done and what it found


def test_the_contradiction_check_names_what_it_found(nlp: Language) -> None:
    a = doc("The army said 20 soldiers were wounded when the mine exploded on patrol.", outlet="One")
    b = doc("A spokesman said 40 soldiers were wounded when the mine exploded on patrol.", outlet="Two")
    sets, clash = figures_of(nlp, a, b)
    said = builders.contradiction_check(clash, sets)
    assert "they disagree on troops injured (20 against 40)" in said
    early = doc("Officials said 18 people were killed in the blast at the market.", published=date(2025, 6, 2))
    late = doc("Officials said 31 people were killed in the blast at the market.", published=date(2025, 6, 4))
    late.outlet = "Other"
    sets, clash = figures_of(nlp, early, late)
    said = builders.contradiction_check(clash, sets)
    assert (
        "none of these differ" in said
        and "were not compared" in said
        and "revised the figure for people killed" in said
    )


def test_a_state_agencys_copy_is_a_sourcing_risk(nlp: Language) -> None:
    registry = Registry.load(None)
    c = doc("CAPITAL, June 2 (Xinhua) -- Officials said the port would reopen after the dock strike ended on Friday.")
    d = doc("Local volunteers handed out water and blankets at the school gym through the night.")
    docs = source_documents([c, d], registry)
    base, sentences = base_of(nlp, *docs)
    analysis = analyse_base(base, sentences, registry, {x.id: x for x in (c, d)})
    risks = builders.bias_risks(base, analysis.profiles, "The dock strike at China's ports")
    assert len(risks) == 1 and "is state media" in risks[0].text and "Xinhua" in risks[0].text  # once, not twice
    assert all("Xinhua" in r.text for r in builders.bias_risks(base, {}))  # nothing else in these sources is a risk
    # a state outlet reporting on a dispute its state is no party to carries no state narrative of it (a third
    # country's state media flagged on someone else's dispute was judged GENERIC on the dev set)
    assert not builders.bias_risks(base, analysis.profiles, "The dock strike at Kenya's ports")


def test_a_modifier_figure_is_no_key_figure_gap(nlp: Language) -> None:
    a = doc("A spokesman said the 55-member bloc suspended the country with immediate effect on Wednesday.")
    b = doc("Rescue teams evacuated 1,200 residents from the flooded district on Tuesday.")
    base, _ = base_of(nlp, a, b)
    said = " ".join(g.text for g in builders.gaps(base, [s.id for s in base.sentences]))
    assert "1,200 residents" in said and "55" not in said


# ---------------------------------------------------------------- corroboration: the same fact in other words


def test_the_same_figure_of_the_same_thing_in_other_words_corroborates(nlp: Language) -> None:
    a = doc("Crews said the fire destroyed 240 homes on the eastern ridge before the wind dropped.")
    b = doc("Officials counted 240 homes lost as flames swept the hills east of town.", outlet="Other")
    c = doc("Officials counted 90 homes lost as flames swept the hills east of town.", outlet="Third")
    sents = [s for d in (a, b, c) for s in analyse(nlp, d.id, d.text, d.published) if s.kind == "body"]
    assert len(sents) == 3

    def corro(cos: float) -> Corroboration:
        v = np.array([[1.0, 0.0], [cos, (1 - cos**2) ** 0.5], [cos, (1 - cos**2) ** 0.5]], dtype=np.float32)
        return Corroboration([a.id, b.id, c.id], sents, v, {a.id: None, b.id: "Other", c.id: "Third"})

    close = corro(0.7)  # on one subject, in other words: not a rewrite (Jaccard low, cosine under 0.8)
    assert not close.same_statement(0, 1) and close.same_fact(0, 1)
    assert len(close.independent_sources(0)) == 2  # the 90 homes of the third source confirm nothing
    assert close.origin[a.id] != close.origin[b.id]  # independent reports sharing a fact are not one source
    far = corro(0.3)  # the same figure in unrelated sentences is a coincidence
    assert not far.same_fact(0, 1) and len(far.independent_sources(0)) == 1


# ---------------------------------------------------------------- page furniture and captions are no evidence


@pytest.mark.parametrize(
    "text",
    [
        "Also Read | Ten Steps To Renew Your Licence Before The November 18 Deadline.",
        "READ MORE: Markets slide as oil prices climb for a third week",
        "FILE - Firefighters work at the scene of a warehouse blaze in the port district, March 3, 2019.",
        "Rescuers carry a man from the rubble (AP Photo/Jane Doe) in the old town on Monday.",
        "Workers repair a substation near the city. Image for illustration purposes only.",
        "Updated: 14 March 2025, 09:12 IST by our correspondent in the capital",
        "Combine business intelligence and editorial excellence to reach engaged professionals across 36 leading "
        "media platforms.",
        "Our technology mapped events outlined in 56 news articles across 37 different outlets.",
        "Subscribe to our daily briefing for the latest updates from the region.",
    ],
)
def test_page_furniture_and_captions_are_no_evidence(text: str) -> None:
    from agent.corpus.furniture import is_furniture

    assert is_furniture(text)


@pytest.mark.parametrize(
    "text",
    [
        "Officials said 240 homes were destroyed and photos showed whole streets burned.",
        "The file was passed to prosecutors on Monday, the ministry said.",
        "Images from a supermarket showed long queues at the tills as people stocked up.",
        "Updated figures from the ministry put the toll at 31 on Wednesday.",
    ],
)
def test_statements_that_mention_photos_or_updates_are_evidence(text: str) -> None:
    from agent.corpus.furniture import is_furniture

    assert not is_furniture(text)


def test_a_link_to_another_story_is_not_drafted_from(nlp: Language) -> None:
    from agent.drafting.evidence import is_evidence

    d = doc(
        "Port fire contained\n\n"
        "Crews contained the warehouse fire in the port district on Monday evening.\n"
        "Also Read | Ten Steps To Renew Your Licence Before The November 18 Deadline.\n"
    )
    kept = [s.text for s in analyse(nlp, d.id, d.text, d.published) if is_evidence(s)]
    assert kept == ["Crews contained the warehouse fire in the port district on Monday evening."]


def _pair(nlp: Language, first: str, second: str, cos: float) -> Corroboration:
    """Two independent reports (different outlets), one sentence each, at a chosen embedding cosine."""
    a, b = doc(first, outlet="One"), doc(second, outlet="Two")
    sents = [s for d in (a, b) for s in analyse(nlp, d.id, d.text, d.published) if s.kind == "body"]
    assert len(sents) == 2
    v = np.array([[1.0, 0.0], [cos, (1 - cos**2) ** 0.5]], dtype=np.float32)
    return Corroboration([a.id, b.id], sents, v, {a.id: "One", b.id: "Two"})


def test_a_shared_name_and_figure_in_other_words_corroborates(nlp: Language) -> None:
    """Issue 19: facts that three wires state were counted single-source because each gave the figure of another
    noun ("residents" / "people") or in other words. A name and a figure in common, on a close subject, is one fact."""
    first = "Floods in Germany forced 1,200 residents from their homes on Monday, the council said."
    second = "Some 1,200 people in Germany were evacuated as the river burst its banks, officials said."
    close = _pair(nlp, first, second, 0.6)
    assert not close.same_statement(0, 1)
    assert close.same_fact(0, 1) and len(close.independent_sources(0)) == 2
    far = _pair(nlp, first, second, 0.4)  # the same name and number in unrelated sentences is a coincidence
    assert not far.same_fact(0, 1)
    other = _pair(nlp, first, "Floods in Germany forced 3,500 residents from their homes on Monday.", 0.75)
    assert not other.same_fact(0, 1)  # a different count of the same thing is a dispute, not a confirmation


def test_a_bare_small_number_is_no_shared_fact(nlp: Language) -> None:
    """'two' in one sentence and 'two' in another share nothing specific; a name and "two" are not one fact."""
    first = "Germany suspended the accord after a blast injured two soldiers near the border."
    second = "Germany and France signed the accord two weeks after talks in Geneva."
    assert not _pair(nlp, first, second, 0.6).same_fact(0, 1)


def test_two_shared_names_on_one_close_subject_corroborate(nlp: Language) -> None:
    """The same event told in other words by another source, naming the same actors, with no figure at all."""
    first = "Microsoft said a cyberattack on its Azure service disrupted logins for customers across Europe."
    second = "Customers across Europe lost access after Microsoft's Azure platform was hit by hackers."
    assert _pair(nlp, first, second, 0.75).same_fact(0, 1)
    assert not _pair(nlp, first, second, 0.6).same_fact(0, 1)  # under the measured threshold: not enough alone


def test_a_city_the_sources_show_is_a_place_is_no_entity(nlp: Language) -> None:
    """Issue 19: a capital listed as an entity because the tagger called it an organisation. A dateline's city
    and a name set beside a place noun ("the capital, Name") are places, whatever the tagger says."""
    texts = [
        "KARVESSA, Norland (Wire) — Colonel Ivo Brandt said on Tuesday that the army had taken power.",
        "Students marched through the capital, Tavoria, on Tuesday as Colonel Ivo Brandt spoke.",
        "Tavoria announced a curfew on Wednesday, President Lena Morrow said.",
        "Tavoria's mayor said the curfew would last a week. Colonel Ivo Brandt agreed.",
    ]
    base, _ = base_of(nlp, *(doc(t) for t in texts))
    tagged = {(e.text, e.label) for s in base.sentences for e in s.entities}
    assert ("Tavoria", "ORG") in tagged and ("KARVESSA", "ORG") in tagged  # the tagger's error
    names = [c.name for c in builders.entity_candidates(base)]
    assert "Ivo Brandt" in names
    assert "Tavoria" not in names
    assert "KARVESSA" not in names


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Check-in and boarding systems failed at the terminals on Saturday.", "check boarding systems"),
        ("A Category 4 storm flattened coastal villages overnight.", "Category storm"),
        ("Crowds gathered outside the ministry on Monday evening to protest.", "Monday evening"),
        ("The lower house voted to remove the governor from office.", "lower house"),
    ],
)
def test_no_tag_is_a_fragment_a_time_or_a_comparison(nlp: Language, text: str, fragment: str) -> None:
    """Tags reviewers marked as fragments: words cut from inside a phrase, a time of day, a bare comparison."""
    from agent.corpus.phrases import noun_phrases

    assert fragment not in noun_phrases(nlp, text)


def test_whole_noun_phrases_remain_tags(nlp: Language) -> None:
    from agent.corpus.phrases import noun_phrases

    assert "power substations" in noun_phrases(nlp, "Engineers restarted the power substations one by one.")
    assert "ransomware attack" in noun_phrases(nlp, "The ransomware attack hit the airline's servers.")


def test_a_part_whose_query_names_only_a_role_still_gets_on_topic_sentences(nlp: Language) -> None:
    """ "How many, how much: the figures" resembles no news sentence: the sentences close to the topic stand in
    for it (ranked by the query all the same), rather than the part going without evidence."""
    a = doc("Floods cut the coastal road on Monday. At least 40 homes were destroyed in the town. Rain eased later.")
    base, _ = base_of(nlp, a)
    base.topic_sim = np.array([0.5, 0.6, 0.1])
    role_only = np.array([0.05, 0.1, 0.02])
    assert [s.text for s in base.select(role_only, 2)] == [
        "At least 40 homes were destroyed in the town.",
        "Floods cut the coastal road on Monday.",
    ]
    assert base.select(np.array([0.05, 0.1, 0.02]) * 0, 2, min_sim=0.7) == []


def test_small_counts_of_people_harmed_are_compared(nlp: Language) -> None:
    """ "Two soldiers injured" against "four soldiers were injured" on the same day: a real discrepancy, which the
    ten-or-more rule for figures once hid; small numbers of anything else stay out."""
    a = doc("A landmine blast near the border injured two soldiers on patrol on Monday, the army said.", outlet="One")
    b = doc("Four soldiers were injured in the landmine blast on patrol near the border on Monday.", outlet="Two")
    _sets, clash = figures_of(nlp, a, b)
    assert len(clash) == 1 and clash[0].about == "troops injured"
    c = doc("The two sides met for three rounds of talks on Monday.", outlet="Three")
    d = doc("The four sides met for five rounds of talks on Monday.", outlet="Four")
    assert figures_of(nlp, c, d) == ([], [])


def test_no_deaths_against_a_death_toll(nlp: Language) -> None:
    """ "No deaths were reported" is a figure of nought: another source's "three people were killed" the same day
    contradicts it; a later report's toll revises it."""
    a = doc("No deaths were reported after the dam burst flooded the valley villages, officials said.", outlet="One")
    b = doc("Three people were killed when the dam burst flooded the valley villages, police said.", outlet="Two")
    _sets, clash = figures_of(nlp, a, b)
    assert len(clash) == 1 and "no deaths" in clash[0].values[0].lower() + clash[0].values[1].lower()
    later = b.model_copy(update={"published": date(2025, 6, 5)})
    sets, clash = figures_of(nlp, a, later)
    assert clash == [] and sets[0].revised


def test_one_places_figure_above_the_whole_disagrees(nlp: Language) -> None:
    """Ten dead in one province and thirty overall agree; a province's figure above the overall one cannot."""
    c = doc("At least 30 people died in the floods, the interior ministry said on Monday.")
    d = doc("In Bavaria, 45 people died in the floods, the district governor said on Monday.", outlet="Other")
    _sets, clash = figures_of(nlp, c, d)
    assert len(clash) == 1
    e = doc("In Bavaria, 19 people died in the floods, the district governor said on Monday.", outlet="Other")
    assert figures_of(nlp, c, e)[1] == []


def test_the_very_figure_of_a_thing_named_otherwise_is_no_single_source_gap(nlp: Language) -> None:
    """ "18 Kessarian prisoners of war" and "18 captured Kessarian soldiers" are one figure from two sources: not a
    gap. Two figures of one sentence cite it once."""
    a = doc("Ministers delayed the return of 18 Kessarian prisoners of war after the blast on Monday.")
    b = doc("The premier announced the planned release of 18 captured Kessarian soldiers on Monday.", outlet="Other")
    c = doc("The clashes in July killed at least 43 people and displaced more than 300,000 civilians.", outlet="Third")
    base, _ = base_of(nlp, a, b, c)
    gaps = builders.gaps(base, [s.id for s in base.sentences])
    said = " ".join(g.text for g in gaps)
    assert "18" not in said and "43 people" in said and "300,000 civilians" in said
    assert all(len({x.sentence_id for x in g.citations}) == len(g.citations) for g in gaps)


def test_one_anonymous_source_in_a_report_is_a_named_sourcing_risk(nlp: Language) -> None:
    """A report that rests one claim on "two sources close to the colonel" has that risk, however many named
    sentences surround it: the reviewer marked "none rests on anonymous sourcing" WRONG."""
    body = " ".join(f"The council met on day {k} and the mayor said the roads stayed open." for k in range(12))
    a = doc(body + " The colonel will be sworn in this week, two sources close to the colonel said.")
    base, _ = base_of(nlp, a)
    risks = builders.bias_risks(base, {})
    assert len(risks) == 1 and "cites unnamed sources (“sources close to the colonel”)" in risks[0].text


def test_what_comes_next_is_read_in_the_latest_report_and_the_bottom_line_in_what_sources_share(
    nlp: Language, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forecast made before the event loses to the latest report's outlook when recency weighs; a sentence three
    sources state wins over one only its own source states when agreement weighs."""
    early = doc("Forecasters expect the storm to strengthen before landfall on Tuesday.", published=date(2025, 6, 1))
    late = doc("Forecasters expect the storm to weaken over the mountains on Thursday.", published=date(2025, 6, 3))
    base, _ = base_of(nlp, early, late)
    sims = np.array([0.5, 0.45])
    assert base.select(sims, 1)[0].doc_id == early.id
    assert base.select(sims, 1, recent=0.3)[0].doc_id == late.id
    shared = {base.sentences[1].id}
    monkeypatch.setattr(
        SentenceBase,
        "independent_sources",
        lambda self, i: {"a", "b", "c"} if self.sentences[i].id in shared else {"a"},
    )
    assert base.select(sims, 1, agreed=0.1)[0].doc_id == late.id


def test_a_state_outlets_report_without_a_cue_sentence_has_its_confidence(nlp: Language) -> None:
    """A state agency's copy whose sentences carry no sourcing cue counts as weak sourcing in the confidence rule
    (it once crashed the draft: a weakly sourced document with no cited sentence)."""
    registry = Registry.load(None)
    c = doc("Officials said the port would reopen after the dock strike ended on Friday.").model_copy(
        update={"path": "/c/xinhua-story.txt"}
    )
    d = doc("Local volunteers handed out water and blankets at the school gym through the night.")
    docs = source_documents([c, d], registry)
    base, sentences = base_of(nlp, *docs)
    analysis = analyse_base(base, sentences, registry, {x.id: x for x in (c, d)})
    built, level = builders.confidence(base, [1, 1], analysis.profiles)
    assert level == "low" and "state-media" in built.text


def test_a_piece_of_someones_title_is_no_organisation(nlp: Language) -> None:
    """ "Nepal Home" (of "Nepal Home Minister Ramesh Lekhak", tagged ORG by the parse) was listed as an entity with
    the role "Home Minister": it is a piece of a title; the minister is the entity."""
    a = doc("Nepal Home Minister Ramesh Lekhak resigned on Monday after the shooting.")
    b = doc("Nepal Home Minister Ramesh Lekhak resigned on Monday evening, officials said.", outlet="Other")
    base, _ = base_of(nlp, a, b)
    names = [c.name for c in builders.entity_candidates(base)]
    assert "Nepal Home" not in names and "Ramesh Lekhak" in names, names


def test_an_organisation_cut_short_or_named_by_its_acronym_is_one_entity(nlp: Language) -> None:
    """ "European Union Agency" (the parse stopped before "for Cybersecurity") and "ENISA" were listed as two
    entities beside each other: the name is whole, and the acronym written after it is the same body."""
    a = doc(
        "The outage was confirmed as ransomware by the European Union Agency for Cybersecurity (ENISA) on Monday. "
        "ENISA said the attack hit check-in software used at several airports."
    )
    b = doc("ENISA warned airlines on Tuesday that the check-in outage could last days.", outlet="Other")
    base, _ = base_of(nlp, a, b)
    names = [c.name for c in builders.entity_candidates(base)]
    assert "European Union Agency for Cybersecurity" in names, names
    assert "ENISA" not in names and "European Union Agency" not in names, names


def test_tags_say_what_is_particular_to_the_event(nlp: Language) -> None:
    """ "Thai soldiers" (who any such event has) tags nothing; a country says more than the continent named as often."""
    texts = [
        "Local soldiers cleared the landmine field near Alderford in Europe on Monday.",
        "Local soldiers said the landmine field near Alderford in Europe was laid years ago.",
        "Local soldiers marked a second landmine field near Alderford in Europe on Tuesday.",
    ]
    base, _ = base_of(nlp, *[doc(t, outlet=f"O{k}") for k, t in enumerate(texts)])
    tags = builders.tag_candidates(base, lambda t: ["local soldiers", "landmine field"] if "soldiers" in t else [])
    assert "local soldiers" not in tags and "landmine field" in tags
    # a phrase only ever met inside someone's quoted words is theirs, not a tag ("good chance", judged WRONG-KIND)
    said = [f"The envoy said “we have a good chance of peace” after talks in Alderford, day {k}." for k in range(3)]
    base, _ = base_of(nlp, *[doc(t, outlet=f"Q{k}") for k, t in enumerate(said)])
    assert "good chance" not in builders.tag_candidates(base, lambda t: ["good chance"] if "chance" in t else [])


def test_a_storms_name_tagged_as_a_person_does_not_push_out_the_real_people(nlp: Language) -> None:
    """ "Melissa" (the hurricane, tagged PERSON in every source and closest to the topic) set the relevance bar
    and left the prime minister off an empty entities list."""
    a = doc("Hurricane Melissa hit the island on Tuesday. Prime Minister Andrew Holness declared a disaster area.")
    b = doc("Melissa weakened over the hills. Andrew Holness said shelters were full.", outlet="Other")
    base, _ = base_of(nlp, a, b)
    base.topic_sim = np.array([0.9 if "Melissa" in s.text else 0.3 for s in base.sentences])
    names = [c.name for c in builders.entity_candidates(base)]
    assert "Andrew Holness" in names and "Melissa" not in names


def test_a_story_that_passes_on_other_outlets_reporting_says_so() -> None:
    """Reviewers rejected "six independent lines of reporting" where sites retold Reuters, the BBC and the Times:
    the outlets a story credits by name are found (its own name left out), whatever the outlet's type."""
    from agent.tradecraft.profiles import Registry
    from agent.tradecraft.wires import credited

    reg = Registry.load(None)
    text = (
        "The outage spread to three more cities, Reuters reported on Monday. According to the BBC, engineers were "
        "still on site. The Guardian said the company declined to comment. Shops reopened in the afternoon."
    )
    got = credited(text, reg, own="The Guardian")
    assert [c.agency.name for c in got] == ["Reuters", "BBC"]
    assert got[0].evidence == "Reuters reported"
    assert credited("Engineers were still on site on Monday, the company said.", reg) == []


def test_a_place_a_product_or_a_newspaper_is_no_entity(nlp: Language) -> None:
    """Dev-set reviews rejected "St Elizabeth, parish", "Hyundai, car" and "Himalayan Times" as entities (WRONG-KIND):
    a role that makes the name a place or a thing drops it, and a newspaper's name is who reported, not who acted."""
    assert builders.not_an_actor("parish") and builders.not_an_actor("a car") and builders.not_an_actor("app")
    assert not builders.not_an_actor("defence minister") and not builders.not_an_actor(None)
    texts = [
        "Mayor Ada Okonjo told The Coastal Times that the port would reopen.",
        "The Coastal Times reported that Mayor Ada Okonjo ordered an inquiry.",
        "Ada Okonjo said the inquiry would report within a month, the Coastal Times said.",
    ]
    base, _ = base_of(nlp, *(doc(t) for t in texts))
    names = [c.name for c in builders.entity_candidates(base)]
    assert "Ada Okonjo" in names
    assert not any("Coastal Times" in n for n in names), names


def test_a_toll_other_sources_give_in_other_words_is_no_single_source_gap(nlp: Language) -> None:
    """ "19 people were killed" and "cost 19 lives" are one toll from two sources, though no name is shared (a
    reviewer judged "19 lives rest on a single source" WRONG where four sources gave it)."""
    a = doc("At least 19 people were killed when police opened fire on the march on Monday.")
    b = doc("The police shooting at the rally cost 19 lives, hospital staff told reporters.", outlet="Other")
    c = doc("The curfew kept more than 300,000 students out of their schools on Tuesday.", outlet="Third")
    base, _ = base_of(nlp, a, b, c)
    said = " ".join(g.text for g in builders.gaps(base, [s.id for s in base.sentences]))
    assert "19" not in said and "300,000 students" in said


def test_a_toll_another_source_gives_otherwise_is_disputed_not_single_source(nlp: Language) -> None:
    """Ten dead in one report, thirteen and eight in others: the ten is one of three tolls, not an unconfirmed
    single-source figure (judged WRONG), even where the disagreement is not among those the gap list names."""
    a = doc("The blast near the fort on Monday killed 13 people, investigators said.")
    b = doc("At least eight people were killed in the blast near the fort on Monday.", outlet="Other")
    c = doc("Ten people were killed by the car explosion near the fort on Monday evening.", outlet="Third")
    base, _ = base_of(nlp, a, b, c)
    single = [g.text for g in builders.gaps(base, [s.id for s in base.sentences]) if "single source" in g.text]
    assert single == [], single


def test_a_places_population_is_background_not_a_key_figure(nlp: Language) -> None:
    """ "a country of about 30 million people" describes the place; it is no gap in the reporting (judged GENERIC)."""
    a = doc(
        "The colonel said the army was taking power in Kessaria, a country of about 30 million people off the coast."
    )
    b = doc("The clashes in July killed at least 43 people and displaced more than 300,000 civilians.", outlet="Other")
    base, _ = base_of(nlp, a, b)
    said = " ".join(g.text for g in builders.gaps(base, [s.id for s in base.sentences]))
    assert "30 million" not in said and "43 people" in said


def test_a_single_source_figure_says_what_it_counts_and_where(nlp: Language) -> None:
    """ "at least four fatalities" alone was judged a FRAGMENT: the gap says where ("in Haiti") and what was said
    of the people counted ("killed")."""
    a = doc(
        "Officials confirmed three deaths in Jamaica during preparations and at least four fatalities in Haiti and "
        "the Dominican Republic on Tuesday."
    )
    b = doc("The floods on Monday killed 12 people in the coastal towns, the mayor said.", outlet="Other")
    base, _ = base_of(nlp, a, b)
    said = " ".join(g.text for g in builders.gaps(base, [s.id for s in base.sentences]))
    assert "at least four fatalities in Haiti and the Dominican Republic" in said, said
    assert "12 people killed" in said, said


def test_a_figure_a_party_gives_is_no_sourcing_risk_by_itself(nlp: Language) -> None:
    """ "Key figures are attributed to the army, parties with a stake; no source gives an independent count" shipped
    1 of 9 on the dev set (UNSUPPORTED where another source counted, GENERIC elsewhere): it is not written."""
    a = doc("The army said four soldiers were injured in the landmine explosion near the border on Monday.")
    b = doc("A landmine explosion near the border injured two soldiers on Monday, a local hospital said.", outlet="Two")
    c = doc("The ministry said 1,200 fighters were killed in the offensive on Monday.", outlet="Three")
    base, _ = base_of(nlp, a, b, c)
    assert not any("stake" in r.text for r in builders.bias_risks(base, {}))


def test_a_weight_in_other_units_words_confirms_a_count(nlp: Language) -> None:
    """ "350 kg" in one report confirms "360 kgs" in another (judged WRONG as a single-source figure)."""
    a = doc("In the village, the police discovered 350 kg of ammonium nitrate and 20 timers on Monday.")
    b = doc("In the town, the police also seized 360 kgs of inflammable material on Monday.", outlet="Two")
    base, _ = base_of(nlp, a, b)
    said = " ".join(g.text for g in builders.gaps(base, [s.id for s in base.sentences]))
    assert "360" not in said, said
