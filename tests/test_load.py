"""Load: ingest many generated documents with bounded memory (peak RSS printed), resumable after an
interruption; a 1,000-claim draft reviewed in the TUI. Slow-marked; ``BRIEF_LOAD_DOCS`` sets the corpus size
(default 10,000). The figures are printed (run with -s), not asserted as timings: benchmarks are not tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.core.paths import PROJECT_ROOT, Workspace

pytestmark = pytest.mark.slow

N_DOCS = int(os.environ.get("BRIEF_LOAD_DOCS", "10000"))
PLACES = ["Kursk", "Pyongyang", "Moscow", "Seoul", "Donetsk", "Vladivostok", "Rason", "Belgorod"]


def _corpus(folder: Path, n: int) -> None:
    for i in range(n):
        sub = folder / f"batch{i // 1000:02}"
        sub.mkdir(parents=True, exist_ok=True)
        place, other = PLACES[i % len(PLACES)], PLACES[(i * 7 + 3) % len(PLACES)]
        (sub / f"report{i:05}.md").write_text(
            f"---\ntitle: Field report {i}\noutlet: Wire {i % 13}\ndate: 2025-{i % 12 + 1:02}-{i % 28 + 1:02}\n---\n"
            f"Officials in {place} said on Tuesday that unit {i} had moved {100 + i % 900} soldiers towards {other}. "
            f"The movement follows the treaty signed in June 2024, and analysts expect a rotation within "
            f"{i % 9 + 2} months. Satellite images reviewed by the outlet show {i % 40 + 3} new vehicles.\n"
        )


_MEASURED = (
    "import json, resource, sys\n"
    "from agent.cli.main import main\n"
    "code = main(sys.argv[1:])\n"
    "print(json.dumps({'peak_rss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _ingest(ws: Path, src: Path) -> tuple[int, float, list[dict]]:
    """``brief ingest --json`` in a child process: its exit code, its own peak RSS (MB) and the outcomes."""
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURED, "-w", str(ws), "ingest", str(src), "--json"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=3600,
    )
    peak = json.loads(proc.stderr.strip().splitlines()[-1])["peak_rss_kb"] / 1024
    outcomes = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc.returncode, peak, outcomes


def test_ingest_of_many_documents_has_bounded_memory(tmp_path: Path) -> None:
    small, large = tmp_path / "small", tmp_path / "large"
    _corpus(small, max(1, N_DOCS // 10))
    _corpus(large, N_DOCS)
    t0 = time.monotonic()
    code, rss_small, out_small = _ingest(tmp_path / "ws-small", small)
    assert code == 0 and len(out_small) == max(1, N_DOCS // 10)
    t1 = time.monotonic()
    code, rss_large, out_large = _ingest(tmp_path / "ws-large", large)
    t2 = time.monotonic()
    assert code == 0 and len(out_large) == N_DOCS
    assert {o["status"] for o in out_large} == {"added"}
    print(
        f"\ningest {N_DOCS // 10} docs: {t1 - t0:.0f}s, peak RSS {rss_small:.0f} MB; "
        f"{N_DOCS} docs: {t2 - t1:.0f}s, peak RSS {rss_large:.0f} MB"
    )
    # Memory does not grow with the corpus (embedding groups are bounded): ten times the documents, well
    # under twice the memory.
    assert rss_large < 1.5 * rss_small + 200, (rss_small, rss_large)
    # Resumable: a second run does no work for what is already in.
    code, _, again = _ingest(tmp_path / "ws-large", large)
    assert code == 0 and {o["status"] for o in again} == {"unchanged"}


async def test_a_thousand_claim_draft_is_reviewed_in_the_tui(tmp_path: Path) -> None:
    from agent.review.session import ReviewSession
    from tests.support.review import FakeBackend, big_draft
    from tui.app import BriefReviewApp
    from tui.claim_list import ClaimList

    draft, docs, chunks = big_draft(1000)
    assert len(draft.claims()) >= 1000
    ws = Workspace.at(tmp_path / "ws").ensure()
    timings: dict[str, float] = {}
    with ReviewSession(ws, draft, reviewer="load") as session:
        app = BriefReviewApp(session, FakeBackend(docs, chunks, ws.exports_dir), None)
        t0 = time.monotonic()
        async with app.run_test(size=(120, 40)) as pilot:
            timings["open"] = time.monotonic() - t0
            t = time.monotonic()
            for _ in range(100):
                await pilot.press("a")  # accept and move on
            timings["100 accepts"] = time.monotonic() - t
            t = time.monotonic()
            await pilot.press("f")  # filter: pending
            await pilot.press("9", "tab", "a")
            await pilot.press("slash", *"Kursk", "enter")
            timings["filter, jump, search"] = time.monotonic() - t
            assert app.review.query_one(ClaimList).claim_ids()
        events = [json.loads(line) for line in ws.journal_file(draft.id).read_text().splitlines()]
    assert len(events) == 101 and {e["action"] for e in events} == {"accept"}
    print("\nTUI, 1,000 claims: " + ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()))
