"""Run eval cases: ingest into a throwaway workspace, draft, score, write the results; and the ``brief eval`` CLI.

``brief eval CASE_DIR... [--jobs N] [--judge] [--out DIR]`` runs cases; ``brief eval --compare RUN_A RUN_B`` prints
the per-metric deltas between two runs. The drafting endpoint is the configured one (the embedded llama-server when
none is configured); every case gets its own temporary workspace, so nothing leaks between cases or into the user's.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import platform
import re
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, SecretStr
from rich.console import Console

from agent import __version__
from agent.core.atomic import atomic_write_text
from agent.core.contracts import Draft, SectionDraft
from agent.core.paths import PROJECT_ROOT, Workspace
from agent.core.settings import Settings, load_settings, redact_url
from agent.llm.seam import LLM
from evals.cases import Case, CaseError, GoldLeakError, load_case
from evals.metrics import CEILING_THRESHOLD, JUDGE_PROMPT_VERSION, score_draft
from evals.report import (
    CaseResult,
    CaseSummary,
    RunManifest,
    RunProvenance,
    compare,
    load_results,
    markdown_table,
    print_markdown,
)

if TYPE_CHECKING:
    from agent.services import Services

Drafter = Callable[["Services", str], Draft]
"""What drafts a brief: ``(services, topic) -> Draft`` (default :func:`agent.drafting.pipeline.draft_brief`)."""


def default_runs_dir() -> Path:
    """``evals/runs`` of the source checkout (or of the current folder when Briefwright is installed elsewhere)."""
    if (PROJECT_ROOT / "evals" / "cases").is_dir():
        return PROJECT_ROOT / "evals" / "runs"
    return Path.cwd() / "evals" / "runs"


class JudgeConfig(BaseModel):
    """The optional judge: any OpenAI-compatible endpoint. No ``base_url``: the drafting endpoint judges."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    model: str | None = None
    api_key: SecretStr | None = None

    def describe(self) -> dict[str, Any]:
        return {"base_url": redact_url(self.base_url), "model": self.model, "prompt_version": JUDGE_PROMPT_VERSION}


# --------------------------------------------------------------------------- provenance


def git_commit(root: Path = PROJECT_ROOT) -> tuple[str | None, bool | None]:
    """``(commit, dirty)`` of the code from ``git rev-parse HEAD`` / ``git status --porcelain``; ``(None, None)``
    outside a git checkout or without git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return head or None, bool(status.strip())


def run_provenance(settings: Settings, run_id: str, judge: JudgeConfig | None = None) -> RunProvenance:
    """Code version, platform and the (secret-free) settings that shape a run."""
    commit, dirty = git_commit()
    return RunProvenance(
        run_id=run_id,
        git_commit=commit,
        git_dirty=dirty,
        briefwright_version=__version__,
        python=sys.version.split()[0],
        platform=platform.platform(),
        llm=_redacted(settings.llm.model_dump(mode="json", exclude={"api_key"})),
        embeddings=_redacted(settings.embeddings.model_dump(mode="json", exclude={"api_key"})),
        index=_redacted(settings.index.model_dump(mode="json")),
        judge=judge.describe() if judge else None,
        ceiling_threshold=CEILING_THRESHOLD,
    )


def _redacted(fields: dict[str, Any]) -> dict[str, Any]:
    """Endpoint URLs without credentials: run provenance is written to disk and shared."""
    return {k: redact_url(v) if k in ("base_url", "chroma_url") and v else v for k, v in fields.items()}


def new_run_id(commit: str | None = None) -> str:
    """``20261123-123456-ab12cd3``: UTC time, then the short commit when known."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{commit[:7]}" if commit else stamp


# --------------------------------------------------------------------------- one case


@contextlib.contextmanager
def _judge_llm(services: Services, judge: JudgeConfig | LLM | None) -> Iterator[LLM | None]:
    if judge is None or not isinstance(judge, JudgeConfig):
        yield judge
        return
    if judge.base_url is None:
        yield services.llm  # the drafting endpoint judges its own drafts: weaker, but needs nothing more
        return
    from agent.llm.runtime import open_llm

    llm_cfg = services.settings.llm.model_copy(
        update={"base_url": judge.base_url, "model": judge.model, "api_key": judge.api_key}
    )
    with open_llm(services.settings.model_copy(update={"llm": llm_cfg}), services.workspace) as llm:
        yield llm


def _section_printer(console: Console, case: str) -> Any:
    from agent.drafting.progress import DraftProgress

    class _Printer(DraftProgress):
        def section_started(self, key: str, title: str, index: int, total: int) -> None:
            console.print(f"  [dim]{case}: drafting {title} ({index}/{total})[/]")

        def section_finished(self, section: SectionDraft) -> None:
            note = f"failed: {section.error}" if section.status == "failed" else f"{len(section.claims)} claims"
            console.print(f"  [dim]{case}: {section.title}: {note} in {section.elapsed_s:.0f} s[/]")

    return _Printer()


def run_case(
    case: Case | Path,
    settings: Settings,
    *,
    judge: JudgeConfig | LLM | None = None,
    llm: LLM | None = None,
    drafter: Drafter | None = None,
    workspace_dir: Path | None = None,
    console: Console | None = None,
) -> CaseResult:
    """Evaluate one case: ingest its sources into a fresh workspace (a temporary folder unless ``workspace_dir``),
    draft a brief on its topic with the configured endpoint (or ``llm``, or ``drafter``), and score the draft.

    Never raises for a failing stage: the result then has ``status="failed"`` and the error (a case that cannot
    be loaded, or whose gold brief would be ingested, raises :class:`~evals.cases.CaseError` from ``load_case``).
    ``judge`` turns on the LLM-judge score: a :class:`JudgeConfig` (opened here) or an :class:`~agent.llm.seam.LLM`.
    """
    from agent.corpus.ingest import ingest_paths
    from agent.services import open_services

    if not isinstance(case, Case):
        case = load_case(case)
    t0 = time.monotonic()
    result = CaseResult(
        case=case.name,
        case_dir=str(case.root),
        topic=case.topic,
        gold_path=str(case.gold_path or ""),
        gold_sha256=case.fingerprint.sha256 if case.fingerprint else "",
        gold_sections=list(case.gold.sections) if case.gold else [],
        gold_truncated=case.gold.truncated if case.gold else False,
        sources=[str(p) for p in case.sources],
    )
    stage = "setup"
    with contextlib.ExitStack() as stack:
        root = workspace_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="brief-eval-")))
        ws = Workspace.at(root / "workspace").ensure()
        try:
            services = stack.enter_context(open_services(ws, settings))
            if llm is not None:
                services.use_llm(llm)
            stage = "ingest"
            fp = case.fingerprint
            result.ingest = ingest_paths(services, case.sources, exclude_sha256={fp.sha256} if fp else set())
            documents = services.store.documents()
            for doc in documents:
                if fp is not None and (doc.sha256 == fp.sha256 or doc.id == fp.doc_id):
                    raise GoldLeakError(f"the gold brief was ingested as {doc.path}; refusing to score")
            if not documents:
                failed = "; ".join(f"{o.path}: {o.error}" for o in result.ingest if o.error)
                raise RuntimeError(f"no source document could be ingested ({failed or 'nothing found'})")
            stage = "draft"
            t_draft = time.monotonic()
            if drafter is not None:
                draft = drafter(services, case.topic)
            else:
                from agent.drafting.pipeline import draft_brief

                progress = _section_printer(console, case.name) if console else None
                draft = draft_brief(services, case.topic, progress=progress)
            draft_s = time.monotonic() - t_draft
            result.draft = draft
            result.draft_id = draft.id
            prov = result.draft_provenance = draft.provenance
            result.model, result.endpoint_kind = prov.model, prov.endpoint_kind
            result.prompts, result.template, result.embedding_model = prov.prompts, prov.template, prov.embedding_model
            stage = "score"
            with _judge_llm(services, judge) as judge_llm:
                result.scores = score_draft(
                    draft,
                    case.gold,
                    [d.text for d in documents],
                    embedder=services.embedder,
                    judge=judge_llm,
                    aliases=case.aliases,
                    wall_s=0.0,
                    draft_s=draft_s,
                )
            result.scores.cost.wall_s = time.monotonic() - t0
            result.metrics = result.scores.flat()
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as e:
            result.status = "failed"
            result.error = f"{stage}: {type(e).__name__}: {e}"
            if not isinstance(e, CaseError):  # an unexpected failure: keep where it happened
                result.error += "\n" + traceback.format_exc(limit=-4)
    result.finished = datetime.now(UTC)
    return result


# --------------------------------------------------------------------------- a run


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.-]+", "-", name).strip("-") or "case"


def _run_case_job(
    case_dir: str,
    settings: Settings,
    judge: JudgeConfig | None,
    workspace_dir: str | None,
    drafter: Drafter | None,
) -> CaseResult:
    """Process-pool entry point (top level, so it can be pickled)."""
    ws = Path(workspace_dir) if workspace_dir else None
    return run_case(Path(case_dir), settings, judge=judge, workspace_dir=ws, drafter=drafter)


def write_case_result(run_dir: Path, result: CaseResult) -> Path:
    """Write ``<case>.json`` (and ``<case>.draft.json`` when there is a draft) into the run folder."""
    name = _safe_name(result.case)
    if result.draft is not None:
        draft_file = run_dir / f"{name}.draft.json"
        atomic_write_text(draft_file, result.draft.model_dump_json(indent=2))
        result.draft_file = draft_file.name
    path = run_dir / f"{name}.json"
    atomic_write_text(path, result.model_dump_json(indent=2))
    return path


def run_eval(
    case_dirs: Sequence[Path],
    settings: Settings,
    *,
    jobs: int = 1,
    out_dir: Path | None = None,
    judge: JudgeConfig | None = None,
    keep_workspaces: bool = False,
    console: Console | None = None,
    drafter: Drafter | None = None,
) -> list[CaseResult]:
    """Run cases (``jobs`` > 1: that many at once, each in its own process) and write the run to
    ``out_dir/<run_id>/``: ``run.json``, a ``<case>.json`` and ``<case>.draft.json`` per case, ``report.md``.
    Prints progress and the summary table on ``console``; returns the results in ``case_dirs`` order.

    Cases are loaded (and checked: gold brief present, never among the sources) before anything runs, so a
    misconfigured case fails at once with :class:`~evals.cases.CaseError`. ``drafter`` replaces
    :func:`agent.drafting.pipeline.draft_brief` (tests; with ``jobs`` > 1 it must be a module-level function).
    """
    console = console or Console()
    cases = [load_case(Path(d)) for d in case_dirs]
    names = [_safe_name(c.name) for c in cases]
    if len(set(names)) != len(names):
        raise CaseError(f"two cases share a name ({', '.join(names)}); set `name` in their case.toml")
    started = datetime.now(UTC)
    run_dir = new_run_dir(out_dir)
    run_id = run_dir.name
    provenance = run_provenance(settings, run_id, judge)
    console.print(f"[bold]eval run[/] {run_id}: {len(cases)} case(s), {jobs} at a time → {run_dir}")

    def ws_dir(case: Case) -> Path | None:
        return run_dir / f"{_safe_name(case.name)}.workspace" if keep_workspaces else None

    results: dict[str, CaseResult] = {}

    def done(result: CaseResult) -> None:
        result.provenance = provenance
        write_case_result(run_dir, result)
        results[result.case] = result
        wall = result.metrics.get("wall_s")
        if result.status == "ok":
            claims = int(result.metrics.get("claims") or 0)
            console.print(f"[green]✓[/] {result.case}: {claims} claims in {wall or 0:.0f} s")
        else:
            first = (result.error or "").splitlines()[0] if result.error else "unknown error"
            console.print(f"[red]✗[/] {result.case}: {first}")

    if jobs <= 1 or len(cases) == 1:
        for case in cases:
            done(run_case(case, settings, judge=judge, workspace_dir=ws_dir(case), console=console, drafter=drafter))
    else:
        ctx = multiprocessing.get_context("spawn")  # no fork of a process holding threads and servers
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            futures = {
                pool.submit(
                    _run_case_job, str(c.root), settings, judge, str(ws_dir(c)) if keep_workspaces else None, drafter
                ): c
                for c in cases
            }
            for fut in as_completed(futures):
                case = futures[fut]
                try:
                    done(fut.result())
                except Exception as e:  # the worker itself died (e.g. out of memory)
                    done(CaseResult(case=case.name, case_dir=str(case.root), status="failed", error=repr(e)))

    ordered = [results[c.name] for c in cases]
    finish_run(run_dir, ordered, provenance, started=started, jobs=jobs, console=console)
    return ordered


def new_run_dir(out_dir: Path | None = None, suffix: str = "") -> Path:
    """Create ``<out_dir>/<run_id><suffix>/`` (``out_dir`` default :func:`default_runs_dir`, git-ignored)."""
    base = out_dir or default_runs_dir()
    base.mkdir(parents=True, exist_ok=True)
    ignore = base / ".gitignore"
    if not ignore.exists():
        atomic_write_text(ignore, "# eval runs are results, not sources\n*\n")
    run_id = new_run_id(git_commit()[0]) + suffix
    run_dir, n = base / run_id, 1
    while True:  # two runs started in the same second get distinct folders
        try:
            run_dir.mkdir()
            return run_dir
        except FileExistsError:
            n += 1
            run_dir = base / f"{run_id}-{n}"


def finish_run(
    run_dir: Path,
    results: Sequence[CaseResult],
    provenance: RunProvenance,
    *,
    started: datetime,
    jobs: int = 1,
    console: Console | None = None,
) -> RunManifest:
    """Write ``run.json`` and ``report.md`` for finished case results and print the table."""
    console = console or Console()
    manifest = RunManifest(
        run_id=run_dir.name,
        started=started,
        finished=datetime.now(UTC),
        jobs=jobs,
        provenance=provenance,
        cases=[
            CaseSummary(
                case=r.case, status=r.status, error=r.error, file=f"{_safe_name(r.case)}.json", metrics=r.metrics
            )
            for r in results
        ],
    )
    atomic_write_text(run_dir / "run.json", manifest.model_dump_json(indent=2))
    table = markdown_table(results)
    elapsed = (manifest.finished - started).total_seconds() if manifest.finished else 0.0
    atomic_write_text(run_dir / "report.md", f"# Eval run {run_dir.name}\n\n{table}\n\nRun time: {elapsed:.0f} s\n")
    print_markdown(table, console)
    console.print(f"run time {elapsed:.0f} s; results in {run_dir}")
    return manifest


def rescore(
    run_path: Path,
    settings: Settings,
    *,
    out_dir: Path | None = None,
    judge: LLM | None = None,
    console: Console | None = None,
) -> list[CaseResult]:
    """Score the drafts of an earlier run again with the current metrics code, without drafting again (drafting is
    the slow part). Writes a new run ``<run_id>-rescored`` whose provenance names the run it came from; cost
    metrics are the original run's. Cases that failed, or whose draft file is missing, are carried over as they were.
    """
    from agent.corpus.embeddings import make_embedder
    from agent.corpus.ingest import IngestError, read_document

    console = console or Console()
    run_path = Path(run_path)
    source_dir = run_path if run_path.is_dir() else run_path.parent
    started = datetime.now(UTC)
    run_dir = new_run_dir(out_dir or source_dir.parent, suffix="-rescored")
    provenance = run_provenance(settings, run_dir.name)
    provenance.rescored_from = str(source_dir)
    embedder = make_embedder(settings.embeddings)
    max_bytes = int(settings.ingest.max_file_mb * 1_000_000)
    out: list[CaseResult] = []
    for old in load_results(run_path):
        draft_file = source_dir / old.draft_file if old.draft_file else None
        if old.status != "ok" or draft_file is None or not draft_file.is_file():
            out.append(old)
            continue
        case = load_case(Path(old.case_dir))
        draft = Draft.model_validate_json(draft_file.read_text(encoding="utf-8"))
        texts = []
        for path in case.sources:
            with contextlib.suppress(IngestError):
                texts.append(read_document(path, max_bytes=max_bytes).text)
        prior = old.scores.cost if old.scores else None
        scores = score_draft(
            draft,
            case.gold,
            texts,
            embedder=embedder,
            judge=judge,
            aliases=case.aliases,
            wall_s=prior.wall_s if prior else 0.0,
            draft_s=prior.draft_s if prior else None,
        )
        new = old.model_copy(update={"scores": scores, "metrics": scores.flat(), "draft": draft})
        new.provenance = provenance
        write_case_result(run_dir, new)
        out.append(new)
    finish_run(run_dir, out, provenance, started=started, console=console)
    return out


# --------------------------------------------------------------------------- the command line


def add_eval_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The ``eval`` arguments, on any parser (``brief eval`` or the standalone :func:`main`)."""
    parser.add_argument(
        "cases", nargs="*", type=Path, metavar="CASE_DIR", help="case folders (sources/, gold.md if any)"
    )
    parser.add_argument("-j", "--jobs", type=int, default=1, help="cases run at once, each in its own process")
    parser.add_argument("--out", type=Path, help=f"where runs are written (default {default_runs_dir()})")
    parser.add_argument(
        "--compare", nargs=2, type=Path, metavar=("RUN_A", "RUN_B"), help="print per-metric deltas B − A of two runs"
    )
    parser.add_argument(
        "--rescore", type=Path, metavar="RUN", help="score an earlier run's drafts again with the current metrics"
    )
    parser.add_argument("--judge", action="store_true", help="also score support with an LLM judge (off by default)")
    parser.add_argument("--judge-url", help="OpenAI-compatible endpoint of the judge (default: the drafting endpoint)")
    parser.add_argument("--judge-model", help="the judge's model name")
    parser.add_argument("--keep-workspaces", action="store_true", help="keep each case's workspace in the run folder")
    return parser


def register_eval_command(sub: Any) -> None:
    """Add ``eval`` to ``brief``'s subcommands: ``agent.cli.main.command(register_eval_command)``."""
    parser = sub.add_parser("eval", help="evaluate drafting against gold briefs (cases), or compare two runs")
    add_eval_arguments(parser)
    parser.set_defaults(handler=cmd_eval)


def cmd_eval(args: argparse.Namespace, ws: Workspace, settings: Settings, console: Console) -> int:
    """``brief eval``: 0 all cases ran, 1 a case failed, 2 usage error or a case that cannot be loaded."""
    err = Console(stderr=True)
    if args.compare:
        if args.cases:
            err.print("[red]error:[/] give either CASE_DIR... or --compare RUN_A RUN_B, not both")
            return 2
        try:
            compare(Path(args.compare[0]), Path(args.compare[1]), console=console)
        except (FileNotFoundError, ValueError) as e:
            err.print(f"[red]error:[/] {e}")
            return 2
        return 0
    if getattr(args, "rescore", None):
        try:
            rescore(Path(args.rescore), settings, out_dir=args.out, console=console)
        except (FileNotFoundError, CaseError) as e:
            err.print(f"[red]error:[/] {e}")
            return 2
        return 0
    if not args.cases:
        err.print("[red]error:[/] no case folders given (e.g. brief eval evals/cases/seeds-nk-russia)")
        return 2
    if args.jobs < 1:
        err.print("[red]error:[/] --jobs must be at least 1")
        return 2
    judge_url, judge_model = getattr(args, "judge_url", None), getattr(args, "judge_model", None)
    judge = None
    if args.judge or judge_url:
        import os

        key = os.environ.get("BRIEF_JUDGE_API_KEY")
        judge = JudgeConfig(base_url=judge_url, model=judge_model, api_key=SecretStr(key) if key else None)
    try:
        results = run_eval(
            args.cases,
            settings,
            jobs=args.jobs,
            out_dir=args.out,
            judge=judge,
            keep_workspaces=getattr(args, "keep_workspaces", False),
            console=console,
        )
    except CaseError as e:
        err.print(f"[red]case error:[/] {e}")
        return 2
    return 0 if all(r.status == "ok" for r in results) else 1


def cli_main(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """What ``brief eval`` calls (``agent.cli.draft.cmd_eval``); arguments this parser lacks take their defaults."""
    return cmd_eval(args, Workspace.at(), settings, console)


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry point, the same as ``brief eval``:
    ``python -c 'import sys; from evals.runner import main; sys.exit(main())' CASE_DIR``."""
    parser = add_eval_arguments(argparse.ArgumentParser(prog="brief eval", description=__doc__))
    args = parser.parse_args(argv)
    ws = Workspace.at()
    try:
        settings = load_settings(ws)
    except ValueError as e:
        Console(stderr=True).print(f"[red]configuration error:[/] {e}")
        return 2
    return cmd_eval(args, ws, settings, Console())
