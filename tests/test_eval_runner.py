"""The eval runner (real ingest and embeddings, a stub drafter), run files, the table, and run comparison."""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from rich.console import Console

from agent.core.contracts import Citation, Claim, Draft, DroppedCitation, Provenance, SectionDraft, Usage
from agent.core.settings import load_settings
from agent.llm.seam import Message
from agent.llm.testing import FakeLLM
from agent.services import Services
from evals.cases import load_case
from evals.report import CaseResult, compare, compare_results, load_results, markdown_table
from evals.runner import JudgeConfig, main, rescore, run_case, run_eval
from tests.support.seeds import GOLD, SOURCES

SEEN_DOCS: list[set[str]] = []


def _draft(services: Services, topic: str, *, cite_all: bool) -> Draft:
    """Two claims quoting the first chunk of document 004 verbatim; the second one's citation is fabricated
    unless ``cite_all``. Records which documents the drafter could see."""
    docs = services.store.documents()
    SEEN_DOCS.append({d.sha256 for d in docs})
    doc = next(d for d in docs if d.title and "Consequential Alliance" in d.title)
    chunk = services.store.chunks_for(doc.id)[0]
    quote = chunk.text[:43]  # "A Consequential Alliance: North Korea and R"

    def cited(text: str, label: str | None, section: str) -> Claim:
        c = Citation(
            chunk_id=chunk.id,
            doc_id=doc.id,
            quote=quote,
            start=chunk.start,
            end=chunk.start + len(quote),
            quote_as_given=quote,
        )
        return Claim(id=f"{section}-{label}", section=section, text=text, label=label, citations=[c])

    second = cited("North Korea backs Russia.", "Hypothesis A", "hypotheses")
    if not cite_all:
        second = second.model_copy(
            update={"citations": [], "dropped": [DroppedCitation(chunk_ref="S9", quote="x", reason="unknown-chunk")]}
        )
    sections = [
        SectionDraft(
            key="bluf",
            title="BLUF",
            status="done",
            claims=[cited("A consequential alliance: North Korea and Russia.", None, "bluf")],
            evidence_chunk_ids=[chunk.id],
            usage=Usage(prompt_tokens=1000, completion_tokens=100, calls=1),
        ),
        SectionDraft(
            key="hypotheses",
            title="Competing Hypotheses",
            status="done",
            claims=[second],
            evidence_chunk_ids=[chunk.id],
            usage=Usage(prompt_tokens=500, completion_tokens=50, calls=1, retries=1),
        ),
    ]
    return Draft(
        id="stub",
        topic=topic,
        sections=sections,
        provenance=Provenance(model="stub-model", endpoint_kind="fake", prompts={"draft_section": "v1"}),
    )


def half_cited(services: Services, topic: str) -> Draft:
    return _draft(services, topic, cite_all=False)


def all_cited(services: Services, topic: str) -> Draft:
    return _draft(services, topic, cite_all=True)


def failing(services: Services, topic: str) -> Draft:
    raise RuntimeError("model fell over")


def seeds_case(tmp: Path) -> Path:
    """A copy of the seeds case that also has a copy of the gold brief among its sources (then excluded)."""
    root = tmp / "seeds"
    (root / "sources").mkdir(parents=True)
    for src in SOURCES:
        shutil.copy(src, root / "sources" / src.name)
    shutil.copy(GOLD, root / "gold.txt")
    (root / "case.toml").write_text('topic = "North Korea and Russia"\n', encoding="utf-8")
    return root


def test_run_case_ingests_drafts_and_scores(tmp_path: Path) -> None:
    SEEN_DOCS.clear()
    settings = load_settings()
    result = run_case(seeds_case(tmp_path), settings, drafter=half_cited)
    assert result.status == "ok", result.error
    assert [o.status for o in result.ingest] == ["added"] * 4
    assert result.model == "stub-model" and result.prompts == {"draft_section": "v1"}
    assert result.draft_provenance is not None and result.draft_provenance.endpoint_kind == "fake"
    m = result.metrics
    assert m["claims"] == 2 and m["claims_cited_rate"] == 0.5
    assert m["fabricated_rate"] == 0.5  # 1 of 2 citations given named S9, not in the pack
    assert (m["prompt_tokens"], m["completion_tokens"], m["llm_calls"], m["retries"]) == (1500, 150, 2, 1)
    assert m["wall_s"] is not None and m["wall_s"] > 0
    assert m["gold_ceiling"] == pytest.approx(0.5)  # 12 of 24 gold sentences: see test_eval_metrics for the rule
    assert m["soft_recall_bluf"] is not None and 0 < m["soft_recall_bluf"] < 1  # real MiniLM embeddings
    assert result.scores is not None and result.scores.coverage is not None
    assert result.scores.coverage.entities.found == ["North Korea", "Russia"]
    # The gold brief never reached the store.
    assert len(SEEN_DOCS) == 1 and load_case(Path(result.case_dir)).fingerprint.sha256 not in SEEN_DOCS[0]


def test_ingest_skips_the_gold_even_if_the_loader_was_bypassed(tmp_path: Path) -> None:
    SEEN_DOCS.clear()
    root = seeds_case(tmp_path)
    case = load_case(root)
    leaked = case.model_copy(update={"sources": [*case.sources, case.gold_path]})
    result = run_case(leaked, load_settings(), drafter=all_cited)
    assert result.status == "ok"
    assert [o.status for o in result.ingest] == ["added"] * 4 + ["skipped"]
    assert case.fingerprint.sha256 not in SEEN_DOCS[0] and len(SEEN_DOCS[0]) == 4


SOURCE_RE = re.compile(r'<source id="(S\d+)"[^>]*>\n(.*?)\n</source>', re.S)


def half_fabricating(messages: Sequence[Message], schema: type[BaseModel]) -> dict[str, Any]:
    """A model at the LLM seam: every claim cites S1 verbatim, and also an invented source S99."""
    evidence = dict(SOURCE_RE.findall(messages[-1]["content"]))
    sentence = next(s for s in re.split(r"(?<=[.!?])\s+", evidence["S1"]) if len(s.split()) >= 6)[:200]
    js = schema.model_json_schema()
    claim_def = next(v for k, v in js["$defs"].items() if k.startswith("Claim"))
    label = claim_def["properties"].get("label", {}).get("enum", [None])[0]
    n = js["properties"]["claims"].get("minItems", 2)
    claims = [
        {
            "text": f"Claim {i} on the evidence.",
            "confidence": "moderate",
            "citations": [
                {"source": "S1", "quote": sentence},
                {"source": "S99", "quote": "words that appear in no source document whatsoever"},
            ],
            **({"label": label} if label else {}),
        }
        for i in range(n)
    ]
    return {"claims": claims, **({"overall_confidence": "low"} if "overall_confidence" in schema.model_fields else {})}


def test_run_case_with_the_real_drafting_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEF_TEMPLATE", "brief_template_quotes")  # the free-quote path: its metrics are checked
    result = run_case(seeds_case(tmp_path), load_settings(), llm=FakeLLM(half_fabricating))
    assert result.status == "ok", result.error
    m = result.metrics
    assert m["sections_failed"] == 0 and m["claims"] is not None and m["claims"] >= 8
    # Per claim: 2 citations given, the S1 one resolved, the S99 one dropped as unknown-chunk.
    assert (m["claims_cited_rate"], m["fabricated_rate"], m["quote_not_found_rate"]) == (1.0, 0.5, 0.0)
    assert result.scores is not None and result.scores.tradecraft.confidence_in_bluf
    assert result.model == "fake-model" and "draft_section" in result.prompts


def test_failed_stage_is_reported_not_raised(tmp_path: Path) -> None:
    result = run_case(seeds_case(tmp_path), load_settings(), drafter=failing)
    assert result.status == "failed" and result.error is not None
    assert result.error.startswith("draft: RuntimeError: model fell over")
    assert result.scores is None and result.metrics == {}


def test_judge_via_the_llm_seam(tmp_path: Path) -> None:
    judge = FakeLLM([{"verdict": "partly"}])
    result = run_case(seeds_case(tmp_path), load_settings(), drafter=half_cited, judge=judge)
    # One cited claim judged "partly" (0.5), one uncited claim (0): mean 0.25.
    assert result.metrics["judge_score"] == pytest.approx(0.25) and len(judge.calls) == 1


def test_a_case_without_a_gold_brief_is_drafted_and_scored_on_drafting_and_checking_metrics(tmp_path: Path) -> None:
    case = seeds_case(tmp_path)
    (case / "gold.txt").unlink()
    console = Console(file=io.StringIO(), width=200)
    [r] = run_eval([case], load_settings(), out_dir=tmp_path / "runs", drafter=half_cited, console=console)
    assert r.status == "ok", r.error
    assert (r.gold_path, r.gold_sections) == ("", [])
    assert r.metrics["claims"] == 2 and r.metrics["claims_cited_rate"] == 0.5 and r.metrics["fabricated_rate"] == 0.5
    assert r.metrics["entity_recall"] is None and r.metrics["gold_ceiling"] is None
    assert r.scores is not None and r.scores.coverage is None and r.scores.ceiling is None
    [again] = load_results(next(p for p in (tmp_path / "runs").iterdir() if p.is_dir()))
    assert again.metrics == r.metrics  # written and read back


def test_run_eval_writes_a_run_and_compare_shows_deltas(tmp_path: Path) -> None:
    case = seeds_case(tmp_path)
    out = tmp_path / "runs"
    console = Console(file=io.StringIO(), width=200)
    [a] = run_eval([case], load_settings(), out_dir=out, drafter=half_cited, console=console)
    [b] = run_eval([case], load_settings(), out_dir=out, drafter=all_cited, console=console)
    run_a, run_b = sorted(p for p in out.iterdir() if p.is_dir())
    assert sorted(p.name for p in run_a.iterdir()) == ["report.md", "run.json", "seeds.draft.json", "seeds.json"]
    assert (out / ".gitignore").read_text().endswith("*\n")
    manifest = json.loads((run_a / "run.json").read_text())
    assert manifest["cases"][0]["metrics"]["claims_cited_rate"] == 0.5
    assert manifest["provenance"]["llm"]["local_model"] == "qwen2.5-coder-1.5b"
    assert "api_key" not in manifest["provenance"]["llm"]
    saved = json.loads((run_a / "seeds.json").read_text())
    assert saved["draft_file"] == "seeds.draft.json" and "draft" not in saved
    assert Draft.model_validate_json((run_a / "seeds.draft.json").read_text()).id == "stub"
    assert "| claims with ≥1 verbatim quote | 50.0% |" in (run_a / "report.md").read_text()

    deltas = {d.metric: d for d in compare_results(load_results(run_a), load_results(run_b))}
    assert deltas["claims_cited_rate"].delta == pytest.approx(0.5) and deltas["claims_cited_rate"].improved
    assert deltas["fabricated_rate"].delta == pytest.approx(-0.5) and deltas["fabricated_rate"].improved
    assert deltas["claims"].delta == 0 and deltas["claims"].improved is None
    assert deltas["gold_ceiling"].delta == 0

    shown = Console(file=io.StringIO(), width=200)
    compare(run_a, run_b / "run.json", console=shown)
    text = shown.file.getvalue()  # type: ignore[attr-defined]
    assert "| case | metric | " + run_a.name in text and "| --- | --- | ---: | ---: | ---: | :-: |" in text
    assert "| seeds | claims with ≥1 verbatim quote | 50.0% | 100.0% | +50.0 pp | ▲ |" in text
    assert "| seeds | fabricated-citation rate | 50.0% | 0.0% | -50.0 pp | ▲ |" in text
    assert a.metrics["claims_cited_rate"] == 0.5 and b.metrics["claims_cited_rate"] == 1.0


def test_brief_eval_compare_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from agent.cli.main import main as brief

    case = seeds_case(tmp_path)
    console = Console(file=io.StringIO(), width=200)
    for drafter in (half_cited, all_cited):
        run_eval([case], load_settings(), out_dir=tmp_path / "runs", drafter=drafter, console=console)
    run_a, run_b = sorted(p for p in (tmp_path / "runs").iterdir() if p.is_dir())
    capsys.readouterr()
    assert brief(["eval", "--compare", str(run_a), str(run_b)]) == 0
    assert "| seeds | claims with ≥1 verbatim quote | 50.0% | 100.0% | +50.0 pp | ▲ |" in capsys.readouterr().out
    assert brief(["eval"]) == 2


def test_rescore_scores_saved_drafts_again(tmp_path: Path) -> None:
    console = Console(file=io.StringIO(), width=200)
    [first] = run_eval([seeds_case(tmp_path)], load_settings(), out_dir=tmp_path / "runs", drafter=half_cited)
    [run_dir] = [p for p in (tmp_path / "runs").iterdir() if p.is_dir()]
    [again] = rescore(run_dir, load_settings(), console=console)
    assert again.metrics == first.metrics  # same draft, same code: same numbers, the original cost included
    [new_dir] = [p for p in (tmp_path / "runs").iterdir() if p.is_dir() and p != run_dir]
    assert new_dir.name.endswith("-rescored")
    manifest = json.loads((new_dir / "run.json").read_text())
    assert manifest["provenance"]["rescored_from"] == str(run_dir)


def test_run_eval_parallel_jobs(tmp_path: Path) -> None:
    cases = []
    for n in (1, 2):
        root = tmp_path / f"case{n}"
        (root / "sources").mkdir(parents=True)
        shutil.copy(SOURCES[3], root / "sources" / SOURCES[3].name)
        (root / "gold.md").write_text(f"1. BLUF\nNorth Korea and Russia, case {n}.\n", encoding="utf-8")
        cases.append(root)
    console = Console(file=io.StringIO(), width=200)
    results = run_eval(cases, load_settings(), jobs=2, out_dir=tmp_path / "runs", drafter=all_cited, console=console)
    assert [r.case for r in results] == ["case1", "case2"]
    assert all(r.status == "ok" and r.metrics["claims_cited_rate"] == 1.0 for r in results)


def test_markdown_table_marks_failures() -> None:
    ok = CaseResult(case="a", case_dir="", metrics={"claims": 3, "claims_cited_rate": 2 / 3, "wall_s": 61.0})
    bad = CaseResult(case="b", case_dir="", status="failed", error="draft: LLMError: down\ntraceback…")
    table = markdown_table([ok, bad])
    assert table.splitlines()[0] == "| metric | a | b (failed) |"
    assert "| claims with ≥1 verbatim quote | 66.7% | – |" in table
    assert "| wall time | 61.0 s | – |" in table
    assert table.splitlines()[-1] == "- **b** failed: draft: LLMError: down"


def test_cli_usage_errors_and_case_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    leaky = seeds_case(tmp_path)
    shutil.copy(GOLD, leaky / "sources" / "gold-copy.txt")
    assert main([str(leaky)]) == 2
    assert "is the gold brief" in capsys.readouterr().err.replace("\n", "")
    assert main(["--compare", str(tmp_path / "nope-a"), str(tmp_path / "nope-b")]) == 2


def test_judge_config_describes_no_secret() -> None:
    from pydantic import SecretStr

    cfg = JudgeConfig(base_url="http://judge/v1", model="big", api_key=SecretStr("sk-secret"))
    assert "sk-secret" not in json.dumps(cfg.describe())
