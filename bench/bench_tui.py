"""Benchmark of the review UI on a 1,000-claim draft (headless, 120×40). Not a test: it prints figures.

    python bench/bench_tui.py [--claims 1000] [--moves 100] [--dir DIR]

Figures (median and p95 where there are samples):

* open: ReviewSession opened (lock + journal replay of ``--journal`` prior events).
* first paint: app constructed → first frame of the review screen composited (claims list rendered);
  and cold start: a new Python process → that first frame (interpreter, imports, draft, session, app).
* key → render: ``j`` pressed → the frame showing the next claim composited, over ``--moves`` claims.
* accept → render: ``a`` pressed → frame composited (includes the fsync'd journal write).
* decision → disk: ``a`` pressed → the journal line is fsync'd (``append_json_line`` returned);
  and ``ReviewSession.accept`` alone (the storage floor).

"Composited" is when Textual hands the frame to the driver (``App._display``); headless, nothing is
written to a terminal, so terminal drawing time is not included.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual import events

import agent.review.session as review_mod
from agent.core.contracts import Draft
from agent.core.paths import Workspace
from agent.review.session import ReviewSession
from tests.support.review import FakeBackend, big_draft
from tui.app import BriefReviewApp
from tui.review_screen import ReviewScreen


def trimmed(n: int) -> tuple[Draft, Any, Any]:
    draft, docs, chunks = big_draft(n)
    keep = {c.id for c in draft.claims()[:n]}
    sections = [s.model_copy(update={"claims": [c for c in s.claims if c.id in keep]}) for s in draft.sections]
    return draft.model_copy(update={"sections": sections}), docs, chunks


def stats(name: str, samples_s: list[float], target_ms: float | None = None) -> None:
    ms = sorted(x * 1000 for x in samples_s)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    verdict = ""
    if target_ms is not None:
        verdict = "  OK" if p95 < target_ms else "  OVER TARGET"
        verdict = f"   target < {target_ms:g} ms{verdict}"
    print(f"{name:<38} n={len(ms):<4} median {statistics.median(ms):8.2f} ms   p95 {p95:8.2f} ms{verdict}")


class PaintClock:
    """Timestamps of frames composited for the review screen (wraps ``App._display``)."""

    def __init__(self, app: BriefReviewApp) -> None:
        self.frames: list[float] = []
        original: Callable[..., None] = app._display

        def display(screen: Any, renderable: Any) -> None:
            if renderable is not None and isinstance(screen, ReviewScreen):
                self.frames.append(time.perf_counter())
            original(screen, renderable)

        app._display = display  # type: ignore[method-assign]

    def first_after(self, t0: float) -> float | None:
        return next((t for t in self.frames if t >= t0), None)


async def key_to_frame(app: BriefReviewApp, clock: PaintClock, key: str) -> tuple[float, float]:
    """Send one key the way a terminal does (through the driver) and wait for the next frame.

    Pilot.press is not used for the timing: it adds its own idle-detection sleeps (tens of ms).
    """
    assert app._driver is not None
    t = time.perf_counter()
    app._driver.send_message(events.Key(key, key))
    deadline = t + 5
    while (painted := clock.first_after(t)) is None:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"no frame after {key!r}")
        await asyncio.sleep(0.0005)
    return t, painted


async def run(args: argparse.Namespace) -> None:
    root = Path(args.dir or tempfile.mkdtemp(prefix="bench_tui_"))
    ws = Workspace.at(root / "ws").ensure()
    draft, docs, chunks = trimmed(args.claims)
    print(load())
    print(f"draft: {len(draft.claims())} claims in {len(draft.sections)} sections; workspace {ws.root}")

    # A prior session's journal, so the open includes a realistic replay.
    with ReviewSession(ws, draft, reviewer="bench") as s:
        floor = []
        for c in draft.claims()[-args.journal :]:
            t = time.perf_counter()
            s.accept(c.id)
            floor.append(time.perf_counter() - t)
    opens = []
    for _ in range(5):
        t = time.perf_counter()
        s = ReviewSession(ws, draft, reviewer="bench")
        opens.append(time.perf_counter() - t)
        s.close()
    stats(f"open (replay {args.journal} events)", opens)
    stats("ReviewSession.accept (fsync)", floor, 20)

    session = ReviewSession(ws, draft, reviewer="bench")
    backend = FakeBackend(docs, chunks, ws.exports_dir)
    written: list[float] = []
    original_append = review_mod.append_json_line

    def timed_append(path: Path, obj: object) -> None:
        original_append(path, obj)
        written.append(time.perf_counter())

    review_mod.append_json_line = timed_append
    try:
        t_start = time.perf_counter()
        app = BriefReviewApp(session, backend)
        clock = PaintClock(app)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            first = clock.first_after(t_start)
            assert first is not None, "no frame painted"
            stats("first paint", [first - t_start], 1500)

            moves = []
            for _ in range(args.moves):
                before = app.review.current
                t, painted = await key_to_frame(app, clock, "j")
                await pilot.pause()  # settle (not timed)
                assert app.review.current != before
                moves.append(painted - t)
            stats(f"key -> render (j, {args.moves} claims)", moves, 50)

            accepts, to_disk = [], []
            for _ in range(args.decisions):
                n_written = len(written)
                t, painted = await key_to_frame(app, clock, "a")
                await pilot.pause()
                assert len(written) == n_written + 1
                accepts.append(painted - t)
                to_disk.append(written[-1] - t)
            stats("accept -> render", accepts, 50)
            stats("decision -> disk (a -> fsync)", to_disk, 20)
    finally:
        review_mod.append_json_line = original_append
        session.close()


async def child_first_paint(args: argparse.Namespace) -> None:
    """In a fresh process: open the draft and run the app until its first frame, then say so."""
    ws = Workspace.at(Path(args.dir) / "cold").ensure()
    draft, docs, chunks = trimmed(args.claims)
    with ReviewSession(ws, draft, reviewer="bench") as session:
        app = BriefReviewApp(session, FakeBackend(docs, chunks))
        clock = PaintClock(app)
        async with app.run_test(size=(120, 40)) as pilot:
            while not clock.frames:
                await pilot.pause(0.001)
            print("PAINTED", flush=True)


def cold_start(args: argparse.Namespace) -> float:
    """Process start → first frame: interpreter, imports, draft, session, app (what a user waits for)."""
    folder = args.dir or tempfile.mkdtemp(prefix="bench_tui_cold_")
    t = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child-first-paint", "--claims", str(args.claims), "--dir", folder],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - t
    proc.wait()
    assert line.strip() == "PAINTED", line
    return elapsed


def load() -> str:
    try:
        return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()) + f" on {os.cpu_count()} CPUs"
    except OSError:
        return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--moves", type=int, default=100)
    parser.add_argument("--decisions", type=int, default=50)
    parser.add_argument("--journal", type=int, default=200, help="events in the journal before opening")
    parser.add_argument("--dir", help="where to put the workspace (default: a new temp folder)")
    parser.add_argument("--child-first-paint", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_first_paint:
        asyncio.run(child_first_paint(args))
        return
    asyncio.run(run(args))
    stats("cold start -> first paint (process)", [cold_start(args) for _ in range(3)], 1500)


if __name__ == "__main__":
    main()
