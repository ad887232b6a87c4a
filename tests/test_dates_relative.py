"""Weekdays, weekday-anchored dates and decades in text, and a document's date inferred from a dateline or a
weekday written with its date. Invented, topic-neutral sentences."""

from __future__ import annotations

from datetime import date

import pytest
from spacy.language import Language

from agent.corpus.dates import resolve_date
from agent.corpus.inference import infer_metadata
from agent.corpus.sentences import analyse

THURSDAY = date(2031, 5, 15)  # a Thursday


@pytest.mark.parametrize(
    ("expr", "base", "expected"),
    [
        # a weekday: the most recent such day on or before the document's date
        ("on Tuesday", THURSDAY, ("2031-05-13", "day")),
        ("Thursday", THURSDAY, ("2031-05-15", "day")),
        ("Friday night", THURSDAY, ("2031-05-09", "day")),
        ("late Monday", THURSDAY, ("2031-05-12", "day")),
        ("Sunday morning", THURSDAY, ("2031-05-11", "day")),
        ("earlier on Wednesday", THURSDAY, ("2031-05-14", "day")),
        # without a document date a weekday is left unresolved, not guessed
        ("on Tuesday", None, None),
        # "last/next Tuesday" are ambiguous: left alone
        ("next Tuesday", THURSDAY, None),
        ("last Tuesday", THURSDAY, None),
        # a weekday written with its date: the date
        ("Tuesday, May 13", THURSDAY, ("2031-05-13", "day")),
        ("Friday, May 9, 2031", None, ("2031-05-09", "day")),
        ("Saturday 10 May", THURSDAY, ("2031-05-10", "day")),
        # a decade is no event date
        ("the 1970s", THURSDAY, None),
        ("the early 1970s", THURSDAY, None),
    ],
)
def test_weekdays_and_decades(expr: str, base: date | None, expected: tuple[str, str] | None) -> None:
    assert resolve_date(expr, base) == expected


def test_weekday_in_analyse(nlp: Language) -> None:
    text = "The council approved the plan on Tuesday. The first reform dates from the 1970s.\n"
    sents = analyse(nlp, "d", text, THURSDAY)
    got = [(d.value, d.precision) for s in sents for d in s.dates]
    assert ("2031-05-13", "day") in got
    assert not any(v.startswith("197") for v, _ in got), got


@pytest.mark.parametrize(
    "text",
    [
        "The minister said she would visit the port on Monday.\n",
        "The council will vote on the plan on Friday.\n",
        "The envoy is to travel to the capital on Sunday to discuss the plan.\n",
    ],
)
def test_a_weekday_ahead_is_not_resolved_backwards(nlp: Language, text: str) -> None:
    sents = analyse(nlp, "d", text, THURSDAY)
    assert [d.value for s in sents for d in s.dates] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a dateline: place, month and day, then the agency or a dash; the year from the text
        (
            "NORTHTOWN, May 15 (Wire) - The council met on Tuesday.\nIt had met in March 2031 as well.\n",
            date(2031, 5, 15),
        ),
        (
            "Northtown [Region], May 15 (Wire): The council met on Tuesday. Its budget of April 2031 passed.\n",
            date(2031, 5, 15),
        ),
        ("NORTHTOWN, May. 15 — The council met on Tuesday, its first since April 2031.\n", date(2031, 5, 15)),
        ("May 15 (Wire) — The council met on Tuesday, its first since April 2031.\n", date(2031, 5, 15)),
        # a weekday written with its date: the latest such date, the year the one the weekday fits
        (
            "The council said on Thursday (May 15) that the plan passed. It first met on Tuesday, May 13, 2031.\n",
            date(2031, 5, 15),
        ),
        # a date written a few days after it is a later lower bound; one weeks later (a plan) is not
        (
            "The council said on Thursday (May 15) that the plan of April 2031 passed; it was signed May 19.\n",
            date(2031, 5, 19),
        ),
        (
            "The council said on Thursday (May 15) that the plan of April 2031 passed; it takes effect June 30.\n",
            date(2031, 5, 15),
        ),
        # a weekday that does not fit the year the text gives is no evidence
        ("The council said on Friday (May 15) that the plan of April 2031 passed.\n", None),
        # a year written alone is as often history as the story's own: no date
        ("NORTHTOWN, May 15 (Wire) - The council, founded in 1970, met on Tuesday.\n", None),
        # no year anywhere: no date
        ("NORTHTOWN, May 15 (Wire) - The council met on Tuesday.\n", None),
    ],
)
def test_document_date_inferred(text: str, expected: date | None) -> None:
    assert infer_metadata(text, today=date(2040, 1, 1)).published == expected


def test_weekday_date_without_a_year_is_the_most_recent_fitting_year() -> None:
    text = "The council said on Thursday (May 15) that the plan passed.\n"
    # May 15 is a Thursday in 2031 and again in 2036 (and 2025 before): the most recent one not after today
    assert infer_metadata(text, today=date(2033, 1, 1)).published == date(2031, 5, 15)
    assert infer_metadata(text, today=date(2037, 1, 1)).published == date(2036, 5, 15)
    # not after today, and not further back than a few years
    assert infer_metadata(text, today=date(2031, 5, 14)).published == date(2025, 5, 15)
    assert infer_metadata(text, today=date(2050, 1, 1)).published is None  # 2042 is more than six years back


@pytest.mark.parametrize(
    ("first", "title"),
    [
        ("+ ↺ − 16 px", None),
        ("Share | 12 | ▶", None),
        ("Floods cut the coastal road", "Floods cut the coastal road"),
        ("Quake hits Ankara", "Quake hits Ankara"),
    ],
)
def test_a_first_line_of_page_controls_is_no_title(first: str, title: str | None) -> None:
    text = f"{first}\n\nThe council said on Monday that the road would stay closed until the water receded."
    assert infer_metadata(text).title == title
