"""Edits code makes itself for a redraft note it can carry out exactly (issue 20): drop a phrase, attribute the
claim to a source, soften or sharpen its likelihood; the rest goes to the model."""

from __future__ import annotations

import pytest
from spacy.language import Language

from agent.drafting.edits import NoteEdit, attributed, drop_phrase, note_edit, shifted


@pytest.mark.parametrize(
    ("note", "edit"),
    [
        (
            "Drop the reference to the Red Fort.",
            NoteEdit("drop", "the Red Fort", "Drop the reference to the Red Fort."),
        ),
        ("Remove 'including elite units'", NoteEdit("drop", "including elite units", "Remove 'including elite units'")),
        (
            "Please cut the last clause about the airport.",
            NoteEdit("drop", "the last clause about the airport", "Please cut the last clause about the airport."),
        ),
        ("Attribute it to Zee News.", NoteEdit("attribute", "Zee News", "Attribute it to Zee News.")),
        (
            "Soften the likelihood: one source only.",
            NoteEdit("soften", "the likelihood: one source only", "Soften the likelihood: one source only."),
        ),
        ("Sharpen it", NoteEdit("sharpen", "it", "Sharpen it")),
        (
            "Drop the clause about the minister's visit. It's boilerplate from the Cabinet statement.",
            NoteEdit("drop", "the minister's visit", "Drop the clause about the minister's visit."),
        ),
        (
            "Police told ANI only that it 'may have been' arson. Tone 'likely' down.",
            NoteEdit("soften", "", "Tone 'likely' down."),
        ),
        ("Drop the toll. Add the number injured.", None),
        ("Drop the toll and add the number injured.", None),
        ("Remove the date; say who announced it.", None),
        ("Fix the causality: the flood came first.", None),
        ("Add the figure of 25 dead.", None),
    ],
)
def test_a_note_is_read_as_an_edit_code_can_do_or_left_to_the_model(note: str, edit: NoteEdit | None) -> None:
    assert note_edit(note) == edit


@pytest.mark.parametrize(
    ("text", "what", "expected"),
    [
        (
            "More than 10,000 troops, including elite units, were deployed in the east.",
            "including elite units",
            "More than 10,000 troops were deployed in the east.",
        ),
        (
            "The blast near the Red Fort killed 13 people and injured 20 on Monday evening.",
            "the Red Fort",
            "The blast killed 13 people and injured 20 on Monday evening.",
        ),
        (
            "Power failed across Spain and Portugal, and flights were cancelled at 14 airports.",
            "and flights were cancelled at 14 airports",
            "Power failed across Spain and Portugal.",
        ),
        (
            "The army chief, who led the revolt, was sworn in as president on Friday.",
            "who led the revolt",
            "The army chief was sworn in as president on Friday.",
        ),
        (
            "A blast killed eight people, with the government reiterating its commitment to zero tolerance towards "
            "terrorism.",
            "the government reiterating its zero-tolerance commitment to terrorism",
            "A blast killed eight people.",
        ),
        (
            "On 28 April a 15 GW Iberian blackout cut power across two countries.",
            "15 GW",
            "On 28 April an Iberian blackout cut power across two countries.",
        ),
        (
            "The storm caused wide damage. The cause is the storm itself, and the motive is to protect lives.",
            "The cause is the storm itself, and the motive is to protect lives",
            "The storm caused wide damage.",
        ),
        (
            "The summit failed to reach a ceasefire due to disagreements over the war, with the U.S. and Russia each "
            "claiming they had a legitimate reason to continue fighting.",
            "with the U.S. and Russia each claiming they had a legitimate reason to continue fighting",
            "The summit failed to reach a ceasefire due to disagreements over the war.",
        ),
    ],
)
def test_a_phrase_the_note_names_goes_with_what_holds_it_and_the_sentence_stands(
    nlp: Language, text: str, what: str, expected: str
) -> None:
    assert drop_phrase(nlp, text, what) == expected


def test_a_phrase_code_cannot_cut_cleanly_goes_to_the_model(nlp: Language) -> None:
    # not in the claim, or the subject of its only clause
    assert drop_phrase(nlp, "Officials said the storm killed 25 people.", "the 40 missing") is None
    assert drop_phrase(nlp, "The storm killed 25 people.", "the storm") is None


def test_an_attribution_puts_the_claim_in_the_outlets_words(nlp: Language) -> None:
    assert (
        attributed(nlp, "The blast killed 13 people.", "Reuters") == "According to Reuters, the blast killed 13 people."
    )
    assert (
        attributed(nlp, "According to officials, Jamaica declared a disaster.", "the Jamaica Observer")
        == "According to the Jamaica Observer, Jamaica declared a disaster."
    )


@pytest.mark.parametrize(
    ("text", "kind", "note", "expected"),
    [
        (
            "It is almost certain that talks resume.",
            "soften",
            "",
            ("It is very likely that talks resume.", "very likely"),
        ),
        (
            "It is likely that talks resume.",
            "soften",
            "",
            ("There is a roughly even chance that talks resume.", "roughly even chance"),
        ),
        (
            "It is unlikely that talks resume.",
            "soften",
            "",
            ("There is a roughly even chance that talks resume.", "roughly even chance"),
        ),
        ("It is likely that talks resume.", "sharpen", "", ("It is very likely that talks resume.", "very likely")),
        (
            "It is very unlikely that talks resume.",
            "sharpen",
            "",
            ("There is almost no chance that talks resume.", "almost no chance"),
        ),
        (
            "It is very likely that talks resume.",
            "soften",
            "Soften to unlikely",
            ("It is unlikely that talks resume.", "unlikely"),
        ),
        (
            "There is a roughly even chance that talks resume.",
            "sharpen",
            "Sharpen to likely",
            ("It is likely that talks resume.", "likely"),
        ),
        ("Talks resume next week.", "soften", "", None),
        # "likely" as an adverb: only "very likely" stands in its place
        ("It was likely an arson attack.", "sharpen", "", ("It was very likely an arson attack.", "very likely")),
        ("It was likely an arson attack.", "soften", "", None),
    ],
)
def test_soften_and_sharpen_move_the_likelihood_one_step_on_the_icd_scale(
    text: str, kind: str, note: str, expected: tuple[str, str] | None
) -> None:
    assert shifted(text, kind, note) == expected  # type: ignore[arg-type]
