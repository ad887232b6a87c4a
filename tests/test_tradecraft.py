"""Tradecraft by code on hand-made passages (each rule, and cases that must NOT fire) and on the seeds."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from spacy.language import Language

from agent.core.contracts import AchEvidence, Citation, Sentence, SourceDocument, stable_id
from agent.corpus.inference import infer
from agent.corpus.sentences import analyse
from agent.services import Services
from agent.tradecraft import ach, grading
from agent.tradecraft.corroboration import Corroboration
from agent.tradecraft.figures import figure_sets
from agent.tradecraft.profiles import Registry, RegistryError, is_weakly_sourced, profile, set_document
from agent.tradecraft.timeline import build_timeline


def doc(
    text: str, *, published: date | None = date(2025, 3, 1), outlet: str | None = None, **kw: object
) -> SourceDocument:
    did = stable_id(text)
    return SourceDocument(
        id=did,
        path=f"/x/{did}.txt",
        text=text,
        sha256=did,
        published=published,
        outlet=outlet,
        **kw,  # type: ignore[arg-type]
    )


def corpus(nlp: Language, *docs: SourceDocument, outlets: bool = True) -> tuple[list[Sentence], Corroboration]:
    sents = [s for d in docs for s in analyse(nlp, d.id, d.text, d.published) if s.kind in ("body", "bullet")]
    vecs = np.zeros((len(sents), 4), dtype=np.float32)  # no embedding: only shared words make statements the same
    return sents, Corroboration([d.id for d in docs], sents, vecs, {d.id: d.outlet for d in docs} if outlets else {})


def cite(s: Sentence) -> Citation:
    return Citation(
        chunk_id="", doc_id=s.doc_id, quote=s.text, start=s.start, end=s.end, quote_as_given="", sentence_id=s.id
    )


# ---------------------------------------------------------------- corroboration

STORY = (
    "North Korea sent 11,000 soldiers to the Kursk region in November 2024. "
    "The soldiers were placed under Russian command near Sudzha. "
    "Seoul's spy agency said the troops had suffered heavy losses. "
)
REWRITE = (
    "In November 2024, North Korea sent 11,000 soldiers to the Kursk region. "
    "These soldiers were placed under Russian command near Sudzha. "
    "Seoul's spy agency said the troops had suffered heavy losses. "
)
OTHER = "Satellite images show North Korea sent 11,000 soldiers to the Kursk region by rail in November 2024. "


def test_a_rewrite_counts_once_and_an_independent_source_counts(nlp: Language) -> None:
    a, b, c = doc(STORY), doc(REWRITE), doc(OTHER)
    sents, corro = corpus(nlp, a, b, c)
    assert corro.origin[b.id] == corro.origin[a.id]  # the rewrite is the same source
    assert corro.origin[c.id] != corro.origin[a.id]
    first = next(i for i, s in enumerate(sents) if s.doc_id == a.id)
    assert len(corro.independent_sources(first)) == 2  # story (with its rewrite) and the satellite report


def test_one_shared_fact_is_news_not_a_rewrite(nlp: Language) -> None:
    a = doc(STORY)
    c = doc(OTHER + "Rail traffic across the Tumen bridge doubled in October. Russia paid in oil and wheat.")
    _, corro = corpus(nlp, a, c)
    assert corro.origin[a.id] != corro.origin[c.id]


def test_the_same_outlet_counts_once(nlp: Language) -> None:
    a = doc("Kim Jong Un inspected a missile factory in Hamhung on Monday.", outlet="Yonhap")
    b = doc("Russia delivered air defence systems to Pyongyang in 2024, officials said.", outlet="yonhap")
    _, corro = corpus(nlp, a, b)
    assert corro.origin[a.id] == corro.origin[b.id]
    _, apart = corpus(nlp, a, b, outlets=False)
    assert apart.origin[a.id] != apart.origin[b.id]


# ---------------------------------------------------------------- credibility


@pytest.mark.parametrize(
    ("sources", "contradicted", "weak", "grade"),
    [
        (0, False, False, 6),
        (1, False, False, 3),
        (1, False, True, 4),
        (2, False, True, 2),
        (2, False, False, 2),
        (3, False, False, 1),
        (5, False, True, 1),
        (1, True, False, 5),
        (2, True, False, 4),
    ],
)
def test_credibility_rules(sources: int, contradicted: bool, weak: bool, grade: int) -> None:
    assert grading.credibility(sources, contradicted=contradicted, weak=weak) == grade


def test_document_credibility_is_the_median_grade() -> None:
    assert grading.document_credibility([]) == 6
    assert grading.document_credibility([4, 4, 2]) == 4
    assert grading.document_credibility([3, 2, 4, 2]) == 2


def test_confidence_needs_confirmed_information_from_reliable_sources() -> None:
    assert grading.confidence_for(2, ["B", "F"]) == "high"
    assert grading.confidence_for(2, ["F"]) == "moderate"
    assert grading.confidence_for(3, ["A"]) == "moderate"
    assert grading.confidence_for(4, ["A"]) == "low"


def test_vague_estimate_words() -> None:
    assert grading.vague_words("North Korea may send more troops.") == ["may"]
    assert grading.vague_words("It appears to be growing, and could widen.") == ["appears to", "could"]
    assert grading.vague_words("North Korea sent 11,000 troops in November 2024.") == []
    assert grading.vague_words("The May 2024 summit was held in Pyongyang.") == []  # the month is no estimate


# ---------------------------------------------------------------- figures and contradictions


def test_independent_sources_giving_different_figures_contradict(nlp: Language) -> None:
    a = doc("South Korea's spy agency said about 1,100 North Korean soldiers were killed or wounded in Kursk.")
    b = doc("Ukraine's military intelligence said some 4,000 North Korean soldiers were killed or wounded.")
    sents, corro = corpus(nlp, a, b)
    sets, clash = figure_sets(sents, corro, cite)
    assert len(sets) == 1 and sets[0].disagree and (sets[0].low, sets[0].high) == (1100, 4000)
    assert sets[0].quantity == "troops killed or wounded"
    assert len(clash) == 1 and clash[0].kind == "figure"
    assert {c.doc_id for c in clash[0].citations} == {a.id, b.id}


def test_overlapping_figures_are_a_range_not_a_contradiction(nlp: Language) -> None:
    a = doc("Officials said between 1,000 and 3,000 North Korean soldiers were killed in the fighting.")
    b = doc("Another estimate said 2,500 North Korean soldiers were killed.")
    sents, corro = corpus(nlp, a, b)
    sets, clash = figure_sets(sents, corro, cite)
    assert clash == []
    assert len(sets) == 1 and not sets[0].disagree and (sets[0].low, sets[0].high) == (1000, 3000)
    assert [f.text for f in sets[0].figures] == ["between 1,000 and 3,000", "2,500"] and sets[0].sources == 2


def test_figures_of_different_things_never_contradict(nlp: Language) -> None:
    a = doc("More than 10,000 troops have been deployed to the Kursk region.")
    b = doc("Ukrainian sources suggest North Korea could eventually send up to 100,000 soldiers.")
    c = doc("About 1,100 North Korean soldiers were killed in December.")
    sents, corro = corpus(nlp, a, b, c)
    sets, clash = figure_sets(sents, corro, cite)
    assert clash == []  # deployed, projected and killed are three quantities
    assert sets == []  # each given once, as one figure


def test_one_source_giving_two_figures_is_a_range_not_a_contradiction(nlp: Language) -> None:
    a = doc("At first 3,000 soldiers were sent. By the end of the year, 11,000 soldiers had been sent in total.")
    sents, corro = corpus(nlp, a)
    sets, clash = figure_sets(sents, corro, cite)
    assert clash == [] and len(sets) == 1 and sets[0].sources == 1


# ---------------------------------------------------------------- timeline


def test_relative_and_exact_dates_of_one_event_merge(nlp: Language) -> None:
    a = doc("The invasion of the Kursk region in Russia by Ukrainian forces in August of last year became pivotal.")
    b = doc("In a surprise attack on August 6, 2024, Ukrainian forces launched a campaign to seize the Kursk region.")
    sents, corro = corpus(nlp, a, b)
    events, clash = build_timeline(sents, corro, cite)
    assert clash == []
    assert [(e.date, e.sources) for e in events] == [("2024-08-06", 2)]
    assert {c.doc_id for c in events[0].citations} == {a.id, b.id}


def test_different_dates_for_one_event_contradict(nlp: Language) -> None:
    a = doc("Putin and Kim Jong Un signed the mutual defence treaty in Pyongyang on June 19, 2024.")
    b = doc("Putin and Kim Jong Un signed the mutual defence treaty in Pyongyang on July 19, 2024.")
    sents, corro = corpus(nlp, a, b)
    events, clash = build_timeline(sents, corro, cite)
    assert len(clash) == 1 and clash[0].kind == "date" and sorted(clash[0].values) == ["2024-06-19", "2024-07-19"]
    assert len(events) == 2


def test_different_events_with_different_dates_do_not_contradict(nlp: Language) -> None:
    a = doc("In 2019, Putin and Kim Jong Un met for the first time in Vladivostok.")
    b = doc("In June 2024, Putin made a historic visit to Pyongyang and signed a treaty with Kim Jong Un.")
    c = doc("On July 27, 1953, an armistice was signed, establishing a demilitarized zone in Korea.")
    sents, corro = corpus(nlp, a, b, c)
    events, clash = build_timeline(sents, corro, cite)
    assert clash == []
    assert [e.date for e in events] == ["1953-07-27", "2019", "2024-06"]


def test_a_dateline_is_not_an_event(nlp: Language) -> None:
    a = doc("Analysis of the war\nMarch 24th, 2025\nThe front held through the winter months near Pokrovsk.")
    sents, corro = corpus(nlp, a)
    events, _ = build_timeline(sents, corro, cite)
    assert events == []


# ---------------------------------------------------------------- profiles


def test_registry_finds_outlets_by_name_alias_and_domain(tmp_path: Path) -> None:
    reg = Registry.load(None)
    assert reg.find("Reuters") and reg.find("Reuters").reliability == "B"  # type: ignore[union-attr]
    assert reg.find("kcna").type == "state-media"  # type: ignore[union-attr]
    assert reg.find(None, "https://www.reuters.com/world/asia/x").name == "Reuters"  # type: ignore[union-attr]
    assert reg.find("Boundless Discovery") is None
    assert reg.find(None, "https://notreuters.com/x") is None


def test_workspace_registry_and_analyst_grade_win(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text('[[outlet]]\nname = "Reuters"\ntype = "wire"\nreliability = "C"\n', encoding="utf-8")
    d = doc("Troops moved north across the river at dawn, witnesses said.", outlet="Reuters")
    p = profile(d, [], Registry.load(path))
    assert (p.reliability, p.reliability_from) == ("C", "registry")
    set_document(path, d.id, reliability="A", type="newspaper")
    p = profile(d, [], Registry.load(path))
    assert (p.reliability, p.reliability_from, p.type, p.type_from) == ("A", "analyst", "newspaper", "analyst")
    assert "Reuters" in path.read_text(encoding="utf-8")  # the analyst's outlet entries are kept
    set_document(path, d.id, reliability="")
    assert profile(d, [], Registry.load(path)).reliability == "C"


@pytest.mark.parametrize(
    ("name", "outlet"),
    [
        ("source_3_xinhua-via-somedailynews.txt", "Xinhua"),
        ("source_1_trtworld.txt", "TRT World"),
        ("reuters-via-nationthailand.txt", "Reuters"),
        ("ap-via-core.txt", "Associated Press"),
        ("2025-04-29 apnews story.html", "Associated Press"),
    ],
)
def test_a_file_named_after_an_outlet_is_graded_as_that_outlet(name: str, outlet: str) -> None:
    d = doc("Troops moved north across the river at dawn.").model_copy(update={"path": f"/cases/{name}"})
    p = profile(d, [], Registry.load(None))
    assert (p.outlet, p.outlet_from, p.reliability_from) == (outlet, "inferred", "registry")


@pytest.mark.parametrize("name", ["source_2_shmews.txt", "notes-2025.txt", "chapter.txt", "report_final.md"])
def test_a_file_name_without_an_outlet_names_none(name: str) -> None:
    d = doc("Troops moved north across the river at dawn.").model_copy(update={"path": f"/cases/{name}"})
    assert profile(d, [], Registry.load(None)).outlet is None


def test_metadata_outlet_wins_over_the_file_name() -> None:
    d = doc("Troops moved north.", outlet="Namibia Daily News").model_copy(update={"path": "/c/xinhua-via-ndn.txt"})
    assert profile(d, [], Registry.load(None)).outlet == "Namibia Daily News"


def test_unknown_outlet_cannot_be_judged() -> None:
    p = profile(doc("Troops moved north across the river at dawn."), [], Registry.load(None))
    assert (p.reliability, p.reliability_from, p.type) == ("F", "default", "unknown")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[[outlet]\nname = 1", "not valid TOML"),
        ('[[outlet]]\nname = "X"\nreliability = "Z"\n', "reliability 'Z' is not one of A-F"),
        ('[[outlet]]\nname = "X"\ntype = "tabloid"\n', "type 'tabloid'"),
        ('[documents.abc]\npublished = "yesterday"\n', "not a date"),
    ],
)
def test_a_bad_registry_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RegistryError, match=message) as e:
        Registry.load(path)
    assert str(path) in str(e.value)


def test_set_document_refuses_a_bad_grade(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="A-F"):
        set_document(tmp_path / "sources.toml", "abc", reliability="G")
    assert not (tmp_path / "sources.toml").exists()


def test_outlet_author_and_date_inferred_from_the_text() -> None:
    text = (
        "A Consequential Alliance\n\nWas this email forwarded to you? Click here to subscribe.\n\n"
        "This week, Boundless Discovery delves into the war.\n\nIn 2024 the treaty was signed. As of today, "
        "December 3rd, martial law was declared.\n"
    )
    got = infer(doc(text, published=None))
    assert (got.outlet, got.type, got.published) == ("Boundless Discovery", "newsletter", date(2024, 12, 3))
    byline = infer(doc("Implications of Support\nMarch 24th, 2025\nCody Brown\nThe invasion of Kursk began."))
    assert byline.author == "Cody Brown"
    plain = infer(doc("Troops moved.\nThe Kremlin said nothing today about it.\nTalks continue."))
    assert (plain.outlet, plain.type, plain.author, plain.published) == (None, None, None, None)


def test_inferred_fields_say_so() -> None:
    text = "Weekly Brief\n\nThis week, Boundless Discovery explores the alliance between the two states."
    p = profile(doc(text, published=None), [], Registry.load(None))
    assert (p.outlet, p.outlet_from, p.type_from) == ("Boundless Discovery", "inferred", "default")
    p2 = profile(doc(text, outlet="Reuters"), [], Registry.load(None))
    assert (p2.outlet, p2.outlet_from, p2.type, p2.type_from) == ("Reuters", "file", "wire", "registry")


def test_weak_sourcing_needs_more_than_one_stray_cue(nlp: Language) -> None:
    weak = doc(
        "Sources close to the Kremlin said the deal was done. The text was released by KCNA. "
        "Troops moved north. The weather turned cold."
    )
    strong = doc(
        " ".join(f"Ministry spokesman Ivan Petrov said step {i} of the plan was finished." for i in range(12))
        + " A senior U.S. official stated that it worked."
    )
    assert is_weakly_sourced(analyse(nlp, weak.id, weak.text, None))
    assert not is_weakly_sourced(analyse(nlp, strong.id, strong.text, None))


# ---------------------------------------------------------------- ACH


def _matrix(marks: dict[tuple[str, str], str]) -> ach.AchMatrix:
    ev = [
        AchEvidence(
            id=e, text=e, citation=Citation(chunk_id="", doc_id="d", quote=e, start=0, end=1, quote_as_given="")
        )
        for e in ("e1", "e2", "e3")
    ]
    m = ach.new_matrix(["hA", "hB"], ev)
    for (h, e), mark in marks.items():
        m.cell(h, e).mark = mark  # type: ignore[assignment]
    return m


def test_ach_least_inconsistent_wins_and_diagnosticity() -> None:
    m = _matrix({("hA", "e1"): "C", ("hB", "e1"): "C", ("hA", "e2"): "C", ("hB", "e2"): "I", ("hA", "e3"): "I"})
    s = {x.hypothesis: x for x in ach.scores(m)}
    assert (s["hA"].inconsistent, s["hB"].inconsistent) == (1, 1)
    m.cell("hB", "e3").mark = "I"
    s = {x.hypothesis: x for x in ach.scores(m)}
    assert (s["hA"].inconsistent, s["hB"].inconsistent) == (1, 2)
    assert ach.diagnostic(m, "e1") is False  # consistent with both: decides nothing
    assert ach.diagnostic(m, "e2") is True
    assert ach.diagnostic(m, "e3") is False
    text = ach.summary(m, {"hA": "Hypothesis A", "hB": "Hypothesis B"})
    assert text and text.startswith("ACH: Hypothesis A is the least inconsistent") and "1 of 3 items" in text


def test_ach_summary_waits_for_marks_and_says_when_it_does_not_discriminate() -> None:
    assert ach.summary(_matrix({}), {}) is None
    tie = ach.summary(_matrix({("hA", "e1"): "I", ("hB", "e1"): "I"}), {"hA": "A", "hB": "B"})
    assert tie and "does not yet discriminate" in tie and "2 of 6 cells" in tie


def test_uniform_model_marks_are_not_analysis() -> None:
    assert ach.uniform(["C", "C", "C", "C"])
    assert ach.uniform([None, None])
    assert not ach.uniform(["C", "I", "C", "C"])
    same_rows = {(h, e): m for e in ("e1", "e2", "e3") for h, m in (("hA", "C"), ("hB", "I"))}
    assert ach.uninformative(_matrix(same_rows))  # every row "C I": the hypotheses judged, not the evidence
    varied = dict(same_rows) | {("hA", "e2"): "I", ("hB", "e2"): "C"}
    assert not ach.uninformative(_matrix(varied))
    assert ach.uninformative(_matrix({}))


# ---------------------------------------------------------------- the seeds


def test_seeds_profiles_timeline_and_ranges(services: Services) -> None:
    from agent.drafting.analysis import analyse_sources

    docs = services.store.documents()
    base, a = analyse_sources(services, docs, "North Korea's military support for Russia", services.workspace.root)
    by_file = {Path(d.path).name[:3]: a.profiles[d.id] for d in docs}
    for weak in ("001", "002"):
        assert by_file[weak].weak_sourcing and by_file[weak].cues.get("anonymous")
        for strong in ("003", "004"):
            assert by_file[weak].credibility > by_file[strong].credibility  # a worse grade
    assert (by_file["004"].outlet, by_file["004"].outlet_from, by_file["004"].type) == (
        "Boundless Discovery",
        "inferred",
        "newsletter",
    )
    assert by_file["003"].published == date(2025, 3, 24) and by_file["003"].author == "Cody Brown"
    events = {e.date: e for e in a.timeline}
    assert "treaty" in events["2024-06"].text.lower()
    assert "kursk" in events["2024-08-06"].text.lower() and events["2024-08-06"].sources == 2
    assert any("deployed" in e.text for e in a.timeline if e.date == "2024-11")
    assert "martial law" in events["2024-12-03"].text  # "As of today, December 3rd" in a newsletter dated by code
    for e in a.timeline:
        for c in e.citations:
            assert base.docs[c.doc_id].text[c.start : c.end] == c.quote
    killed = [f for f in a.figures if f.quantity == "troops killed"]  # "the deaths of anywhere from 1,100 to 3,000"
    assert killed and (killed[0].low, killed[0].high) == (1100, 3000)
    assert "1,100 to 3,000" in killed[0].figures[0].citation.quote


def test_grades_set_after_drafting_apply_to_the_drafts_profiles(tmp_path: Path) -> None:
    from agent.tradecraft.profiles import apply_grades

    path = tmp_path / "sources.toml"
    d = doc("Troops moved north across the river at dawn, witnesses said.")
    p = profile(d, [], Registry.load(path))
    assert apply_grades([p], Registry.load(path)) == [p]
    set_document(path, d.id, reliability="B", outlet="Reuters")
    (q,) = apply_grades([p], Registry.load(path))
    assert (q.reliability, q.reliability_from, q.outlet, q.outlet_from, q.grade) == (
        "B",
        "analyst",
        "Reuters",
        "analyst",
        "B6",
    )


def test_profile_fields_say_where_ingest_found_them() -> None:
    d = doc("Troops moved north across the river at dawn.", outlet="Reuters").model_copy(
        update={"field_sources": {"outlet": "sidecar", "published": "inferred"}}
    )
    p = profile(d, [], Registry.load(None))
    assert (p.outlet_from, p.published_from) == ("sidecar", "inferred")


def test_ingest_and_profiles_rank_a_fields_origins_alike() -> None:
    """One precedence: what ingest keeps for a field is what a profile would pick from the same candidates."""
    from agent.core.origins import PRECEDENCE, pick
    from agent.corpus.readers import Meta

    candidates = [("From the text", "inferred"), ("From the e-mail", "inherited"), ("From the file", "file")]
    candidates += [("From the sidecar", "sidecar"), ("From the analyst", "analyst")]
    for order in (candidates, candidates[::-1], candidates[2:] + candidates[:2]):
        meta = Meta()
        for value, origin in order:
            meta.put("outlet", value, origin)  # type: ignore[arg-type]
        assert (meta.outlet, meta.sources["outlet"]) == ("From the analyst", "analyst")
        assert pick(*order) == ("From the analyst", "analyst")
    # at equal rank the first value found stays; an empty value never counts
    assert pick(("a", "inferred"), ("b", "inferred"), ("", "analyst")) == ("a", "inferred")
    assert PRECEDENCE.index("registry") < PRECEDENCE.index("file")
    # a profile: the registry's type (Reuters: a wire) beats the one the text suggests (a newsletter)
    text = "Weekly Brief\n\nThis week, Reuters explores the alliance. Subscribe to the newsletter."
    assert infer(doc(text)).type == "newsletter"
    p = profile(doc(text, outlet="Reuters"), [], Registry.load(None))
    assert (p.type, p.type_from) == ("wire", "registry")


def test_the_analysis_names_a_source_by_the_outlet_its_file_is_named_after() -> None:
    """Claims name a source by its outlet: "TRT World is state media", not "source_1_trtworld.txt is state media"."""
    from agent.drafting.analysis import source_documents
    from agent.drafting.builders import short_label

    d = doc("Troops moved north across the river at dawn.").model_copy(update={"path": "/c/source_1_trtworld.txt"})
    (seen,) = source_documents([d], Registry.load(None))
    assert short_label(seen) == "TRT World"
