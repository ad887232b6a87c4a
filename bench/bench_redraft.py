"""Redraft that follows the reviewer (issue 20): each note of a notes file redrafted, with latency, and a blind sheet.

    python bench/bench_redraft.py NOTES OUT            # embedded default
    OPENAI_BASE_URL=… OPENAI_API_KEY=… python bench/bench_redraft.py NOTES OUT   # a configured endpoint

NOTES is JSON lines, one note each, written before any redraft output is seen:
``{"id": "n01", "topic": "<case folder>", "ws": "<workspace folder in it>", "claim_id": "<claim id>",
"kind": "drop", "note": "Drop 'including elite units'."}``; ``--cases`` is the folder holding the case folders
(``../shared/devset/layout.py`` writes it). OUT gets ``results.jsonl`` (old and new text, cited quotes, the
refusal, the latency) and ``sheet.md``: per note the old claim, its sentences, the note and the new claim with its
sentences (or the tool's answer), for a fresh reviewer who judges whether it follows the note, ships and invents.
It prints each result, the number offered and the median latency. A measurement, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.core.drafts import load_draft  # noqa: E402
from agent.core.paths import Workspace  # noqa: E402
from agent.core.settings import load_settings  # noqa: E402
from agent.llm.seam import LLMError  # noqa: E402
from agent.review_backend import ServicesBackend  # noqa: E402
from agent.services import open_services  # noqa: E402


def redraft_one(cases: Path, note: dict) -> dict:
    ws = Workspace.at(cases / note["topic"] / note["ws"])
    with open_services(ws, load_settings(ws)) as services:
        draft = load_draft(ws)
        claim = next(c for c in draft.claims() if c.id == note["claim_id"])
        t0 = time.monotonic()
        try:
            new = ServicesBackend(services).redraft_claim(draft, claim, note["note"])
            got = {"new": new.text, "quotes": [c.quote for c in new.citations], "error": None}
        except LLMError as e:  # a refusal, with its reason
            got = {"new": None, "quotes": [], "error": f"{type(e).__name__}: {e}"}
        except Exception as e:  # a crash is a finding too: recorded, and the other notes go on
            got = {"new": None, "quotes": [], "error": f"{type(e).__name__}: {e}"}
        got.update(
            id=note["id"],
            topic=note["topic"],
            kind=note.get("kind"),
            note=note["note"],
            old=claim.final_text,
            old_quotes=[c.quote for c in claim.citations],
            latency=round(time.monotonic() - t0, 2),
        )
    return got


def sheet(results: list[dict]) -> str:
    lines: list[str] = []
    for r in results:
        lines += [f"## {r['id']} (topic folder: {r['topic']})", f"OLD CLAIM: {r['old']}"]
        lines.append("OLD CLAIM'S CITED SENTENCES:")
        lines += [f"  - {q}" for q in r["old_quotes"]]
        lines.append(f"REVIEWER'S NOTE: {r['note']}")
        if r["new"]:
            lines += [f"NEW CLAIM: {r['new']}", "NEW CLAIM'S CITED SENTENCES:"] + [f"  - {q}" for q in r["quotes"]]
        else:
            lines.append(f"NO NEW VERSION. The tool answered: {r['error']}")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notes", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--cases", type=Path, default=Path("CASES"))
    args = ap.parse_args()
    notes = [json.loads(line) for line in args.notes.read_text().splitlines() if line.strip()]
    args.out.mkdir(parents=True, exist_ok=True)
    results: list[dict] = []
    for note in notes:
        r = redraft_one(args.cases, note)
        results.append(r)
        print(r["id"], f"{r['latency']:.1f} s", (r["new"] or r["error"] or "")[:150], flush=True)
    (args.out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in results))
    (args.out / "sheet.md").write_text(sheet(results))
    latencies = [r["latency"] for r in results]
    offered = sum(1 for r in results if r["new"])
    median = statistics.median(latencies) if latencies else 0.0
    print(f"offered {offered} of {len(results)}; median latency {median:.1f} s")


if __name__ == "__main__":
    main()
