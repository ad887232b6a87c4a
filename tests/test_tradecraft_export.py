"""Exports carry what tradecraft found: each claim's grade, the source grades, the timeline, contradictions and
ranges, and the ACH matrix with what it says — and the analyst's grades set after drafting."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from agent.core.contracts import (
    AchEvidence,
    Citation,
    Claim,
    Contradiction,
    Draft,
    Figure,
    FigureSet,
    Provenance,
    SectionDraft,
    SourceDocument,
    SourceProfile,
    TimelineEvent,
)
from agent.export.render import render
from agent.tradecraft import ach
from agent.tradecraft.profiles import current_grades, set_document

TEXT_A = "Kyiv said about 1,000 North Korean soldiers were killed in Kursk in December 2024."
TEXT_B = "Seoul said 4,000 North Korean soldiers were killed in Kursk."
DOCS = {
    "a": SourceDocument(id="a", path="a.txt", title="Kyiv report", text=TEXT_A, sha256="a", published=date(2025, 1, 5)),
    "b": SourceDocument(id="b", path="b.txt", title="Seoul report", text=TEXT_B, sha256="b"),
}


def cite(doc: str, start: int = 0, end: int | None = None) -> Citation:
    text = DOCS[doc].text
    end = len(text) if end is None else end
    return Citation(chunk_id="", doc_id=doc, quote=text[start:end], start=start, end=end, quote_as_given="")


def draft() -> Draft:
    fact = Claim(
        id="c1", section="bluf", text="Kyiv puts North Korean losses at about 1,000.", citations=[cite("a")],
        status="accepted", sources=1, credibility=5, cues=["attributed"],
    )  # fmt: skip
    judgment = Claim(
        id="c2", section="bluf", text="It is likely that losses keep rising.", citations=[cite("a"), cite("b")],
        status="accepted", sources=2, credibility=2, likelihood="likely", confidence="moderate", cues=["anonymous"],
    )  # fmt: skip
    ha = Claim(id="ha", section="hypotheses", label="Hypothesis A", text="Pay.", status="accepted")
    hb = Claim(id="hb", section="hypotheses", label="Hypothesis B", text="Treaty.", status="accepted")
    m = ach.new_matrix(["ha", "hb"], [AchEvidence(id="e1", text=TEXT_A, citation=cite("a"))])
    m.cell("ha", "e1").mark, m.cell("hb", "e1").mark = "C", "I"
    profiles = [
        SourceProfile(doc_id="a", label="Kyiv report", credibility=5, cues={"anonymous": 2}, weak_sourcing=True),
        SourceProfile(
            doc_id="b", label="Seoul report", outlet="Boundless Discovery", outlet_from="inferred",
            published=date(2024, 12, 3), published_from="inferred", credibility=3,
        ),
    ]  # fmt: skip
    return Draft(
        id="d1",
        topic="North Korean losses",
        provenance=Provenance(model="m", endpoint_kind="fake"),
        sections=[
            SectionDraft(key="bluf", title="BLUF", status="done", claims=[fact, judgment]),
            SectionDraft(key="hypotheses", title="Competing Hypotheses", status="done", claims=[ha, hb]),
        ],
        profiles=profiles,
        timeline=[TimelineEvent(date="2024-12", precision="month", text=TEXT_A, citations=[cite("a")])],
        figures=[
            FigureSet(
                quantity="troops killed or wounded",
                low=1000,
                high=4000,
                sources=2,
                disagree=True,
                figures=[
                    Figure(text="about 1,000", low=1000, high=1000, doc_id="a", citation=cite("a")),
                    Figure(text="4,000", low=4000, high=4000, doc_id="b", citation=cite("b")),
                ],
            )
        ],
        contradictions=[
            Contradiction(
                kind="figure",
                about="troops killed or wounded",
                values=["about 1,000", "4,000"],
                citations=[cite("a"), cite("b")],
            )
        ],
        ach=m,
    )


def test_markdown_carries_grades_timeline_contradictions_and_the_matrix() -> None:
    md = render(draft(), DOCS.get, "md")
    assert "(1 independent source · credibility 5 (improbable))" in md
    assert (
        "(Likely · moderate confidence · 2 independent sources · credibility 2 (probably true) · cues: anonymous)" in md
    )
    assert "Kyiv report (unknown): F5 — reliability cannot be judged (default), improbable" in md
    assert "rests on anonymous or state-media sourcing" in md
    assert "| 2024-12 | Kyiv said about 1,000" in md
    assert "Sources disagree (figure) on troops killed or wounded: about 1,000 against 4,000" in md
    assert "troops killed or wounded: 1,000–4,000 (2 sources)" in md
    assert "| Hypothesis A | Hypothesis B | Diagnostic |" in md and "| C | I | yes |" in md
    assert "ACH: Hypothesis A is the least inconsistent with the evidence" in md
    # every footnote quotes its source exactly, the inferred outlet and date say so
    assert "Boundless Discovery (inferred), grade F3, 2024-12-03 (inferred)" in md
    for line in md.splitlines():
        if line.startswith("[^"):
            assert "“Kyiv said about 1,000" in line or "“Seoul said 4,000" in line


def test_json_and_html_carry_the_same() -> None:
    data = json.loads(render(draft(), DOCS.get, "json"))
    c1 = data["sections"][0]["claims"][0]
    assert (c1["independent_sources"], c1["credibility"], c1["cues"]) == (1, 5, ["attributed"])
    assert [p["grade"] for p in data["source_profiles"]] == ["F5", "F3"]
    assert data["timeline"][0]["date"] == "2024-12" and data["contradictions"][0]["values"] == ["about 1,000", "4,000"]
    assert data["ach"]["inconsistent"] == {"ha": 0, "hb": 1} and data["ach"]["diagnostic"] == {"e1": True}
    assert data["ach"]["summary"].startswith("ACH: Hypothesis A")
    page = render(draft(), DOCS.get, "html")
    assert "<h2>Timeline</h2>" in page and "<h2>Analysis of Competing Hypotheses</h2>" in page
    assert "<td>C</td><td>I</td><td>yes</td>" in page and "credibility 5 (improbable)" in page


def test_an_unmarked_matrix_shows_no_scores_and_says_why() -> None:
    d = draft()
    assert d.ach is not None
    for c in d.ach.cells:
        c.mark = None
    d.ach.note = "Left for the analyst to mark."
    md = render(d, DOCS.get, "md")
    assert "| · | · | — |" in md and "Inconsistent items" not in md and "Left for the analyst to mark." in md


def test_grades_set_after_drafting_reach_the_export(tmp_path: Path) -> None:
    set_document(tmp_path / "sources.toml", "a", reliability="B")
    md = render(current_grades(draft(), tmp_path), DOCS.get, "md")
    assert "Kyiv report (unknown): B5 — usually reliable (analyst)" in md
