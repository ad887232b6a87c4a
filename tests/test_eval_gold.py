"""The gold-brief parser: seed 000 as written, a brief cut mid-section, and Markdown-flavoured variants."""

from __future__ import annotations

from datetime import date

from evals.gold import SECTION_KEYS, parse_gold, split_sentences
from tests.support.seeds import GOLD

SEED = GOLD.read_text(encoding="utf-8")


def test_seed_000_sections_items_entities_tags() -> None:
    gold = parse_gold(SEED)
    assert list(gold.sections) == list(SECTION_KEYS)
    assert [s.number for s in gold.sections.values()] == [1, 2, 3, 4, 5, 6, 7, None]
    assert gold.headline is not None and gold.headline.startswith("Kim Jong Un emphasizes deepened")
    assert gold.title == "N Korea Russia bound in blood of war Kim tells Putin in New Year note"
    assert gold.published == date(2025, 12, 27)
    assert len(gold.preamble) == 4  # headline, date, site blurb, report title
    assert gold.missing == [] and not gold.truncated

    bluf = gold.section("bluf")
    assert bluf.title == "BLUF (Bottom Line Up Front)"
    assert len(bluf.sentences()) == 3
    assert bluf.sentences()[2].startswith("The overall confidence level in this assessment is moderate")

    hyp = gold.section("hypotheses")
    assert [i.label for i in hyp.items] == ["Hypothesis A", "Hypothesis B", "Assessment"]
    assert hyp.items[2].text.startswith("Hypothesis A is currently better supported")
    assert [i.label for i in gold.section("assumptions").items] == [
        "Assumptions",
        "Information Gaps",
        "Bias & Deception Risks",
    ]
    imp = gold.section("implications")
    assert imp.items[0].label is None and imp.items[0].text.startswith("This development could lead")
    assert len(imp.items) == 5
    # "- Scenario Outlook:" only introduces its bullets; it is not an item of its own.
    assert [i.label for i in gold.section("recommendations").items] == [
        "Immediate Actions (0–30 days)",
        "Medium-Term Posture (1–12 months)",
        "Best",
        "Worst",
        "Most-Likely",
    ]
    assert [(e.name, e.role) for e in gold.entities] == [
        ("Kim Jong Un", "North Korean leader"),
        ("Vladimir Putin", "Russian President"),
        ("North Korean military", None),
        ("Russian military", None),
    ]
    assert gold.tags == [
        "regional conflicts",
        "military cooperation",
        "North Korea",
        "Russia",
        "Ukraine conflict",
        "geopolitical strategy",
        "sanctions",
        "regional security",
    ]
    tech = gold.section("techniques")
    assert [i.label for i in tech.items] == [
        "Causal Layered Analysis (CLA)",
        "Cross-Impact Simulation",
        "Scenario Generation",
    ]
    # Site furniture after the brief is not part of it.
    assert "Explore more" not in tech.text and "Support us" not in tech.text and "Daily Summary" not in gold.text()
    # 3 BLUF + 8 hypotheses + 3 assumptions + 5 implications + 5 recommendations sentences.
    assert len(gold.sentences()) == 24


def test_brief_cut_mid_section_4_keeps_what_it_has() -> None:
    cut = SEED.index("Enhanced military cooperation could increase the threat level") + len("Enhanced military coop")
    gold = parse_gold(SEED[:cut])
    assert list(gold.sections) == ["bluf", "hypotheses", "assumptions", "implications"]
    assert gold.missing == ["recommendations", "entities", "tags", "techniques"]
    imp = gold.section("implications")
    assert imp.truncated and gold.truncated
    assert not gold.section("assumptions").truncated
    assert [i.label for i in imp.items] == [None, "Political / Geopolitical", "Security / Counter-Terrorism"]
    assert imp.items[-1].text == "Enhanced military coop"
    assert gold.entities == [] and gold.tags == []
    # The earlier sections are exactly as in the full brief.
    full = parse_gold(SEED)
    for key in ("bluf", "hypotheses", "assumptions"):
        assert gold.section(key) == full.section(key)


def test_brief_that_stops_after_a_heading() -> None:
    gold = parse_gold(SEED[: SEED.index("2. Competing Hypotheses") + len("2. Competing Hypotheses")])
    assert list(gold.sections) == ["bluf", "hypotheses"]
    assert gold.section("hypotheses").items == [] and gold.section("hypotheses").sentences() == []


def test_markdown_flavoured_brief() -> None:
    text = """# Intelligence Report: Test
Published on: March 24th, 2025

## 1. BLUF (Bottom Line Up Front)
Russia is likely to keep buying shells. Confidence is **high**.

## 2. Competing Hypotheses
* **Hypothesis A:** Supply is the driver,
  as stocks are low.
* **Hypothesis B:** Politics is.
1. Assessment: A is better supported.

### 7. Thematic Tags: #sanctions; artillery, Sanctions
Key Individuals & Entities
• Vladimir Putin — Russian President
• Wagner Group (private military company)
Read more: https://example.org
3. Key Assumptions and Red Flags
- Assumptions: never reached.
"""
    gold = parse_gold(text)
    assert list(gold.sections) == ["bluf", "hypotheses", "tags", "entities"]
    assert gold.title == "Test" and gold.published == date(2025, 3, 24)
    assert gold.section("bluf").sentences() == ["Russia is likely to keep buying shells.", "Confidence is high."]
    hyp = gold.section("hypotheses")
    assert [(i.label, i.text) for i in hyp.items] == [
        ("Hypothesis A", "Supply is the driver, as stocks are low."),
        ("Hypothesis B", "Politics is."),
        ("Assessment", "A is better supported."),
    ]
    assert gold.tags == ["sanctions", "artillery"]
    assert [(e.name, e.role) for e in gold.entities] == [
        ("Vladimir Putin", "Russian President"),
        ("Wagner Group", "private military company"),
    ]


def test_text_without_headings_has_no_sections() -> None:
    gold = parse_gold("Just a news article.\nNothing else here.")
    assert gold.sections == {} and gold.missing == list(SECTION_KEYS)
    assert gold.preamble == ["Just a news article.", "Nothing else here."]


def test_split_sentences_keeps_abbreviations() -> None:
    assert split_sentences("The U.S. said no. Russia (e.g. Moscow) said yes! Why? 3 days later, 2025.") == [
        "The U.S. said no.",
        "Russia (e.g. Moscow) said yes!",
        "Why?",
        "3 days later, 2025.",
    ]
