"""Eval results on disk, the summary table, and run-to-run comparison.

A run is a folder ``<runs>/<run_id>/`` holding ``run.json`` (:class:`RunManifest`: provenance and every case's
headline metrics), one ``<case>.json`` per case (:class:`CaseResult`: all metrics, per-claim details, ingest
outcomes, provenance), ``<case>.draft.json`` (the scored draft) and ``report.md`` (the table printed at the end).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from rich.console import Console
from rich.markdown import Markdown

from agent.core.contracts import Draft, IngestOutcome, Provenance
from evals.metrics import Scores

Better = Literal["higher", "lower"] | None
Kind = Literal["rate", "score", "count", "seconds"]


class MetricSpec(BaseModel):
    """How one headline metric is shown: its key in :meth:`Scores.flat`, label, format, and which way is better."""

    model_config = ConfigDict(frozen=True)

    key: str
    label: str
    kind: Kind
    better: Better


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(key="sections_failed", label="sections failed", kind="count", better="lower"),
    MetricSpec(key="claims", label="claims", kind="count", better=None),
    MetricSpec(key="claims_cited_rate", label="claims with ≥1 verbatim quote", kind="rate", better="higher"),
    MetricSpec(key="fabricated_rate", label="fabricated-citation rate", kind="rate", better="lower"),
    MetricSpec(key="quote_not_found_rate", label="quote-not-found rate", kind="rate", better="lower"),
    MetricSpec(key="reattributed_rate", label="re-attributed citation rate", kind="rate", better="lower"),
    MetricSpec(key="support_rate", label="support proxy (numbers+names in quotes)", kind="rate", better="higher"),
    MetricSpec(key="instruction_echo_rate", label="instruction-echo rate", kind="rate", better="lower"),
    MetricSpec(key="copied_sentence_rate", label="copied-sentence rate (analysis)", kind="rate", better="lower"),
    MetricSpec(key="graded_rate", label="claims graded (credibility 1-6)", kind="rate", better="higher"),
    MetricSpec(key="corroborated_rate", label="graded claims on ≥2 independent sources", kind="rate", better=None),
    MetricSpec(key="contradictions", label="contradictions found", kind="count", better=None),
    MetricSpec(key="timeline_events", label="timeline events", kind="count", better=None),
    MetricSpec(key="judge_score", label="judge support score", kind="score", better="higher"),
    MetricSpec(key="entity_recall", label="entity recall vs gold", kind="rate", better="higher"),
    MetricSpec(key="tag_jaccard", label="tag Jaccard", kind="score", better="higher"),
    MetricSpec(key="tag_recall", label="tag recall", kind="rate", better="higher"),
    MetricSpec(key="rouge_l_bluf", label="ROUGE-L F: BLUF", kind="score", better="higher"),
    MetricSpec(key="rouge_l_hypotheses", label="ROUGE-L F: hypotheses", kind="score", better="higher"),
    MetricSpec(key="soft_recall_bluf", label="soft recall: BLUF", kind="score", better="higher"),
    MetricSpec(key="soft_recall_hypotheses", label="soft recall: hypotheses", kind="score", better="higher"),
    MetricSpec(key="tradecraft", label="tradecraft checks passed", kind="rate", better="higher"),
    MetricSpec(key="gold_ceiling", label="gold support ceiling", kind="rate", better=None),
    MetricSpec(key="wall_s", label="wall time", kind="seconds", better="lower"),
    MetricSpec(key="prompt_tokens", label="tokens in", kind="count", better="lower"),
    MetricSpec(key="completion_tokens", label="tokens out", kind="count", better="lower"),
    MetricSpec(key="llm_calls", label="LLM calls", kind="count", better="lower"),
    MetricSpec(key="retries", label="retries", kind="count", better="lower"),
)
_SPECS = {m.key: m for m in METRICS}


# --------------------------------------------------------------------------- what is written


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")  # newer result files stay readable by older code


class RunProvenance(_Model):
    """Everything needed to say what produced a result: code, model, prompts, settings (never a secret)."""

    run_id: str
    git_commit: str | None = None
    git_dirty: bool | None = None
    briefwright_version: str = ""
    python: str = ""
    platform: str = ""
    llm: dict[str, Any] = Field(default_factory=dict, description="Configured endpoint/model/sampling (no keys)")
    embeddings: dict[str, Any] = Field(default_factory=dict)
    index: dict[str, Any] = Field(default_factory=dict)
    judge: dict[str, Any] | None = None
    ceiling_threshold: float = 0.0
    rescored_from: str | None = Field(default=None, description="The run whose drafts were scored again")


class CaseResult(_Model):
    """One case of one run: what went in, what came out, the scores and where it all came from."""

    case: str
    case_dir: str
    status: Literal["ok", "failed"] = "ok"
    error: str | None = None
    started: datetime = Field(default_factory=lambda: datetime.now(UTC))
    finished: datetime | None = None
    topic: str = ""
    gold_path: str = ""
    gold_sha256: str = ""
    gold_sections: list[str] = Field(default_factory=list)
    gold_truncated: bool = False
    sources: list[str] = Field(default_factory=list)
    ingest: list[IngestOutcome] = Field(default_factory=list)
    draft_id: str | None = None
    draft_file: str | None = None
    model: str | None = None
    endpoint_kind: str | None = None
    prompts: dict[str, str] = Field(default_factory=dict, description="prompt name -> version, from the draft")
    template: str | None = None
    embedding_model: str | None = None
    draft_provenance: Provenance | None = Field(default=None, description="The draft's own provenance, in full")
    provenance: RunProvenance | None = None
    scores: Scores | None = None
    metrics: dict[str, float | None] = Field(default_factory=dict, description="Headline numbers (Scores.flat)")
    draft: Draft | None = Field(default=None, exclude=True, description="The scored draft (written separately)")


class CaseSummary(_Model):
    case: str
    status: Literal["ok", "failed"]
    error: str | None = None
    file: str
    metrics: dict[str, float | None] = Field(default_factory=dict)


class RunManifest(_Model):
    """``run.json``: the run's provenance and every case's headline metrics."""

    run_id: str
    started: datetime
    finished: datetime | None = None
    jobs: int = 1
    provenance: RunProvenance
    cases: list[CaseSummary] = Field(default_factory=list)


# --------------------------------------------------------------------------- reading runs back


def load_results(path: Path) -> list[CaseResult]:
    """The case results of a run, given its folder, its ``run.json``, or a single ``<case>.json``."""
    path = Path(path)
    if path.is_dir():
        path = path / "run.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such run (give a run folder, its run.json, or a case .json)")
    data = json.loads(path.read_text(encoding="utf-8"))
    if "cases" in data and "run_id" in data:
        manifest = RunManifest.model_validate(data)
        out = []
        for summary in manifest.cases:
            case_file = path.parent / summary.file
            if case_file.is_file():
                out.append(CaseResult.model_validate_json(case_file.read_text(encoding="utf-8")))
            else:  # a run.json copied without its case files still compares on the headline metrics
                out.append(
                    CaseResult(
                        case=summary.case,
                        case_dir="",
                        status=summary.status,
                        error=summary.error,
                        metrics=summary.metrics,
                    )
                )
        return out
    return [CaseResult.model_validate(data)]


# --------------------------------------------------------------------------- formatting


def format_value(key: str, value: float | None) -> str:
    """A metric value as shown in tables: rates as percentages, scores to 3 decimals, counts as integers."""
    if value is None:
        return "–"
    kind = _SPECS[key].kind if key in _SPECS else "score"
    if kind == "rate":
        return f"{100 * value:.1f}%"
    if kind == "count":
        return f"{value:,.0f}"
    if kind == "seconds":
        return f"{value:,.1f} s"
    return f"{value:.3f}"


def format_delta(key: str, delta: float | None) -> str:
    if delta is None:
        return "–"
    kind = _SPECS[key].kind if key in _SPECS else "score"
    if kind == "rate":
        return f"{100 * delta:+.1f} pp"
    if kind == "count":
        return f"{delta:+,.0f}"
    if kind == "seconds":
        return f"{delta:+,.1f} s"
    return f"{delta:+.3f}"


def first_line(text: str | None) -> str:
    """The first line of an error message (tracebacks stay in the JSON result)."""
    lines = (text or "").strip().splitlines()
    return lines[0] if lines else "unknown error"


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def markdown_table(results: Sequence[CaseResult]) -> str:
    """The summary table of a run: one row per headline metric, one column per case."""
    header = ["metric", *[r.case if r.status == "ok" else f"{r.case} (failed)" for r in results]]
    lines = [_md_row(header), _md_row(["---", *["---:" for _ in results]])]
    for spec in METRICS:
        lines.append(_md_row([spec.label, *[format_value(spec.key, r.metrics.get(spec.key)) for r in results]]))
    failures = [f"- **{r.case}** failed: {first_line(r.error)}" for r in results if r.status == "failed"]
    return "\n".join([*lines, "", *failures] if failures else lines)


def print_markdown(text: str, console: Console | None = None) -> None:
    """Render Markdown on a terminal; print it as is otherwise (so it can be pasted or piped)."""
    console = console or Console()
    if console.is_terminal:
        console.print(Markdown(text))
    else:
        console.print(text, markup=False, highlight=False, soft_wrap=True)


# --------------------------------------------------------------------------- comparing runs


class MetricDelta(BaseModel):
    """One metric of one case in two runs: ``delta = b - a``; ``improved`` says whether that is better."""

    case: str
    metric: str
    a: float | None
    b: float | None
    delta: float | None
    improved: bool | None = Field(description="True better, False worse, None unchanged or no direction")


def compare_results(a: Sequence[CaseResult], b: Sequence[CaseResult]) -> list[MetricDelta]:
    """Per-case, per-metric deltas (B − A) for the cases both runs have, in :data:`METRICS` order."""
    by_case_b = {r.case: r for r in b}
    out: list[MetricDelta] = []
    for ra in a:
        rb = by_case_b.get(ra.case)
        if rb is None:
            continue
        for spec in METRICS:
            va, vb = ra.metrics.get(spec.key), rb.metrics.get(spec.key)
            delta = vb - va if va is not None and vb is not None else None
            improved: bool | None = None
            if delta and spec.better:
                improved = delta > 0 if spec.better == "higher" else delta < 0
            out.append(MetricDelta(case=ra.case, metric=spec.key, a=va, b=vb, delta=delta, improved=improved))
    return out


def compare_markdown(deltas: Sequence[MetricDelta], label_a: str = "A", label_b: str = "B") -> str:
    """The comparison as a Markdown table (▲ better, ▼ worse)."""
    lines = [
        _md_row(["case", "metric", label_a, label_b, "Δ", ""]),
        _md_row(["---", "---", "---:", "---:", "---:", ":-:"]),
    ]
    for d in deltas:
        mark = {True: "▲", False: "▼", None: ""}[d.improved]
        label = _SPECS[d.metric].label if d.metric in _SPECS else d.metric
        lines.append(
            _md_row(
                [
                    d.case,
                    label,
                    format_value(d.metric, d.a),
                    format_value(d.metric, d.b),
                    format_delta(d.metric, d.delta),
                    mark,
                ]
            )
        )
    return "\n".join(lines)


def compare(run_a_path: Path, run_b_path: Path, *, console: Console | None = None) -> list[MetricDelta]:
    """Load two runs (folders, ``run.json`` files or case ``.json`` files), print the per-metric deltas B − A,
    and return them. Cases present in only one run are named and skipped."""
    a, b = load_results(Path(run_a_path)), load_results(Path(run_b_path))
    deltas = compare_results(a, b)
    console = console or Console()
    only = sorted({r.case for r in a} ^ {r.case for r in b})
    text = compare_markdown(deltas, label_a=_run_label(run_a_path), label_b=_run_label(run_b_path))
    if only:
        text += "\n\nIn one run only (not compared): " + ", ".join(only)
    print_markdown(text, console)
    return deltas


def _run_label(path: Path) -> str:
    p = Path(path)
    return (p.parent.name if p.name == "run.json" else p.stem if p.is_file() else p.name) or str(p)
