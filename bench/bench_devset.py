"""Drafting on every kind of event: per-topic figures over the dev set (issue 19).

    python bench/bench_devset.py CASES                 # read the latest draft of each CASES/<topic>/ws
    python bench/bench_devset.py CASES --draft          # ingest and draft each topic first (embedded default)
    python bench/bench_devset.py CASES --ws ws-base     # another workspace name inside each case

CASES is the folder ``../shared/devset/layout.py`` writes (``<topic>/case.toml``, ``<topic>/sources/``). For each
topic it prints the claims drafted (model-written and code-written), the sections left empty, the parts refused
three times grouped by reason, the parts left to the analyst, completion tokens and drafting time; then the
refusal counts by reason over the whole set. A measurement, not a test: it asserts nothing and pytest never runs it.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The reason a part was refused, by the words the checks use (agent/drafting/checks.py and parts.py).
REASONS = (
    ("names", re.compile(r"\bit names\b")),
    ("figures", re.compile(r"figures and dates|leaves out the figures|no sentence states")),
    ("length", re.compile(r"words long")),
    ("copies", re.compile(r"copies the source")),
    ("restates task", re.compile(r"restates the task")),
    ("unsupported", re.compile(r"says nothing the given sentences say")),
    ("repeat", re.compile(r"repeats an earlier")),
    ("not distinct", re.compile(r"rewords|nothing for it to differ from")),
    ("likelihood", re.compile(r"likelihood")),
    ("evidence holds nothing", re.compile(r"give nothing|found nothing for it")),
    ("builder failed", re.compile(r"not written \(")),
    ("script", re.compile(r"characters; write in English")),
    ("model error", re.compile(r"Error|error|timed out")),
)


def reason_of(note: str) -> str:
    last = note.split("(last:", 1)[-1]
    for name, pattern in REASONS:
        if pattern.search(last):
            return name
    return "other"


def latest_draft(ws: Path) -> dict | None:
    drafts = sorted((ws / "drafts").glob("*.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(drafts[-1].read_text()) if drafts else None


def draft_topic(case: Path, ws: Path) -> float:
    topic = tomllib.loads((case / "case.toml").read_text())["topic"]
    brief = [sys.executable, "-m", "agent.cli.main", "-w", str(ws)]
    subprocess.run([*brief, "ingest", str(case / "sources")], check=True, cwd=ROOT, capture_output=True)
    t0 = time.perf_counter()
    subprocess.run([*brief, "draft", "--topic", topic], cwd=ROOT, capture_output=True)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", type=Path)
    ap.add_argument("--ws", default="ws", help="the workspace folder inside each case (default: ws)")
    ap.add_argument("--draft", action="store_true", help="ingest and draft each topic first")
    args = ap.parse_args()
    total: Counter[str] = Counter()
    rows = []
    for case in sorted(p for p in args.cases.iterdir() if (p / "case.toml").exists()):
        ws = case / args.ws
        wall = draft_topic(case, ws) if args.draft else None
        d = latest_draft(ws)
        if d is None:
            rows.append((case.name, "no draft"))
            continue
        claims = [c for s in d["sections"] for c in s["claims"]]
        skipped = [n for s in d["sections"] for n in s.get("skipped", [])]
        refused = Counter(reason_of(n) for n in skipped if "refused" in n)
        handed = sum(1 for n in skipped if "left to the analyst" in n)
        empty = [s["key"] for s in d["sections"] if not s["claims"]]
        failed = [s["key"] for s in d["sections"] if s.get("status") == "failed"]
        tokens = sum(s.get("usage", {}).get("completion_tokens", 0) for s in d["sections"])
        elapsed = wall if wall is not None else sum(s.get("elapsed_s", 0.0) for s in d["sections"])
        hyps = sum(1 for c in claims if (c.get("label") or "").startswith("Hypothesis"))
        total.update(refused)
        rows.append(
            (
                case.name,
                f"{len(claims):3d} claims  {hyps} hyp  refused {sum(refused.values())} "
                f"{dict(refused) or ''}  handed {handed}  empty {empty or '-'}  failed {failed or '-'}  "
                f"{tokens} completion tokens  {elapsed:.0f} s",
            )
        )
    width = max(len(r[0]) for r in rows) if rows else 10
    for name, line in rows:
        print(f"{name:<{width}}  {line}")
    drafted = sum(1 for _, line in rows if line != "no draft")
    print(f"refused three times, by reason, over {drafted} drafted topics: {dict(total.most_common()) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
