"""Eval case folders: loading, ``case.toml``, and the rule that a gold brief is never a source."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.core.paths import PROJECT_ROOT
from evals.cases import CaseError, GoldLeakError, load_case
from tests.support.seeds import GOLD, SOURCES

SEEDS_CASE = PROJECT_ROOT / "evals" / "cases" / "seeds-nk-russia"


def make_case(tmp: Path, *, gold_name: str = "gold.txt", toml: str | None = None, n_sources: int = 2) -> Path:
    root = tmp / "case"
    (root / "sources").mkdir(parents=True)
    for src in SOURCES[:n_sources]:
        shutil.copy(src, root / "sources" / src.name)
    shutil.copy(GOLD, root / gold_name)
    if toml is not None:
        (root / "case.toml").write_text(toml, encoding="utf-8")
    return root


def test_seeds_case_references_sources_001_to_004_and_gold_000() -> None:
    case = load_case(SEEDS_CASE)
    assert case.name == "seeds-nk-russia"
    assert [p.name for p in case.sources] == [p.name for p in SOURCES]
    assert case.gold_path == GOLD.resolve()
    assert GOLD.resolve() not in case.sources
    assert list(case.gold.sections)[:2] == ["bluf", "hypotheses"]
    assert case.topic.startswith("North Korea's deepening military and economic ties with Russia")
    assert "Putin" in case.aliases.get("Vladimir Putin", ["Putin"])


def test_a_case_without_a_gold_brief_needs_its_topic_and_is_scored_without_coverage(tmp_path: Path) -> None:
    root = make_case(tmp_path, toml='topic = "A topic"\n')
    (root / "gold.txt").unlink()
    case = load_case(root)
    assert (case.topic, case.gold, case.gold_path, case.fingerprint) == ("A topic", None, None, None)
    assert len(case.sources) == 2
    (root / "case.toml").write_text('gold = "gold.txt"\ntopic = "A topic"\n', encoding="utf-8")
    with pytest.raises(CaseError, match="not found"):  # a gold brief named but missing is still an error
        load_case(root)


def test_folder_case_with_defaults(tmp_path: Path) -> None:
    case = load_case(make_case(tmp_path, gold_name="gold.md"))
    assert case.name == "case" and case.gold_path.name == "gold.md"
    assert [p.name for p in case.sources] == [p.name for p in SOURCES[:2]]
    # No topic in case.toml: the gold brief's headline.
    assert case.topic.startswith("Kim Jong Un emphasizes deepened North Korea-Russia ties")


def test_gold_copied_into_sources_is_refused(tmp_path: Path) -> None:
    root = make_case(tmp_path)
    shutil.copy(GOLD, root / "sources" / "background.txt")
    with pytest.raises(GoldLeakError, match=r"background.txt is the gold brief .*same bytes"):
        load_case(root)


def test_resaved_copy_of_the_gold_is_refused(tmp_path: Path) -> None:
    root = make_case(tmp_path)
    # Other bytes (CRLF line ends, a BOM), same text once normalised: still the gold brief.
    text = GOLD.read_text(encoding="utf-8").replace("\n", "\r\n")
    (root / "sources" / "copy.txt").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    with pytest.raises(GoldLeakError, match="same text"):
        load_case(root)


def test_gold_listed_as_a_source_is_refused(tmp_path: Path) -> None:
    root = make_case(tmp_path, toml='sources = ["sources", "gold.txt"]\n')
    with pytest.raises(GoldLeakError, match="same path"):
        load_case(root)


def test_exclude_keeps_a_file_out_of_the_sources(tmp_path: Path) -> None:
    root = make_case(tmp_path, toml='exclude = ["sources/old/*"]\n')
    (root / "sources" / "old").mkdir()
    shutil.copy(GOLD, root / "sources" / "old" / "gold-copy.txt")
    case = load_case(root)
    assert [p.name for p in case.sources] == [p.name for p in SOURCES[:2]]


def test_case_toml_topic_gold_and_sources_elsewhere(tmp_path: Path) -> None:
    root = tmp_path / "c"
    root.mkdir()
    (root / "case.toml").write_text(
        f'name = "x"\ntopic = "Kursk"\ngold = "{GOLD}"\nsources = ["{SOURCES[3]}"]\n[aliases]\n"Kim Jong Un" = "Kim"\n',
        encoding="utf-8",
    )
    case = load_case(root)
    assert (case.name, case.topic, case.gold_path, case.sources) == ("x", "Kursk", GOLD.resolve(), [SOURCES[3]])
    assert case.aliases == {"Kim Jong Un": ["Kim"]}


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("no-gold", "no gold brief .* and no `topic`"),
        ("two-golds", "both gold.md and gold.txt"),
        ("bad-toml", "not valid TOML"),
        ("unknown-key", "unknown key"),
        ("no-sources", "no source documents"),
        ("missing-source", "not found"),
        ("not-a-brief", "no section headings"),
    ],
)
def test_broken_cases_say_what_is_wrong(tmp_path: Path, setup: str, message: str) -> None:
    root = make_case(tmp_path)
    if setup == "no-gold":
        (root / "gold.txt").unlink()
    elif setup == "two-golds":
        shutil.copy(GOLD, root / "gold.md")
    elif setup == "bad-toml":
        (root / "case.toml").write_text("topic = \n")
    elif setup == "unknown-key":
        (root / "case.toml").write_text('topics = "x"\n')
    elif setup == "no-sources":
        shutil.rmtree(root / "sources")
        (root / "sources").mkdir()
    elif setup == "missing-source":
        (root / "case.toml").write_text('sources = ["nowhere/"]\n')
    elif setup == "not-a-brief":
        (root / "gold.txt").write_text("Just an article.\nNo headings.\n")
    with pytest.raises(CaseError, match=message):
        load_case(root)
