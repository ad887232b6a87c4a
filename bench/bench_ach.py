"""Does the model discriminate between hypotheses? The ACH measurement behind ``capable`` (issue 11).

    python bench/bench_ach.py                       # the embedded default, on the seeds
    python bench/bench_ach.py --workspace .brief-demo --draft ID

Drafts (or loads) a brief on the seeds, takes its two hypotheses and the ACH rows code chose, and asks the model
to mark every cell as a capable endpoint would (one call per evidence row, an enum per hypothesis). Prints each
row's marks, how many rows discriminate (marks differ between the hypotheses) and whether code keeps the marks
(a uniform matrix is dropped). This is a measurement, not a test: it asserts nothing and pytest never runs it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.core.drafts import load_draft  # noqa: E402
from agent.core.paths import Workspace  # noqa: E402
from agent.core.settings import load_settings  # noqa: E402
from agent.drafting import builders  # noqa: E402
from agent.drafting.parts import ach_matrix  # noqa: E402
from agent.drafting.pipeline import draft_brief, draft_context  # noqa: E402
from agent.services import open_services  # noqa: E402

TOPIC = "North Korea's military support for Russia in the Ukraine war and the deepening alliance"
SEEDS = sorted((ROOT / "seeds").glob("00[1-4]_*.txt"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workspace", type=Path, default=ROOT / ".brief-demo")
    ap.add_argument("--draft", help="a draft of that workspace (default: the latest; drafted if there is none)")
    args = ap.parse_args()
    ws = Workspace.at(args.workspace)
    settings = load_settings(ws)
    with open_services(ws, settings) as services:
        if not services.store.documents():
            from agent.corpus.ingest import ingest_paths

            ingest_paths(services, SEEDS)
        try:
            draft = load_draft(ws, args.draft)
        except FileNotFoundError:
            draft = draft_brief(services, TOPIC)
        hyps = [c for c in draft.claims() if (c.label or "").startswith("Hypothesis")]
        if len(hyps) < 2:
            print("the draft has fewer than two hypotheses")
            return 1
        ctx = draft_context(services, draft, services.llm, draft.provenance.source_doc_ids or None)
        ctx.capable = True
        digest_ids = [d.sentence_id for d in ctx.digest]
        rows = builders.ach_evidence(ctx.base, hyps, lambda t: list(ctx.sim(t)), digest_ids)
        t0 = time.monotonic()
        m, usage = ach_matrix(ctx, hyps, rows)
        took = time.monotonic() - t0
        # the marks as the model gave them, before code's uniformity check (re-ask with the check off)
        print(
            f"model: {services.llm.info.model}; {len(hyps)} hypotheses x {len(rows)} rows; {took:.1f} s, "
            f"{usage.calls} calls"
        )
        for h in hyps:
            print(f"  {h.label}: {h.text[:100]}")
        kept = any(c.mark for c in m.cells)
        print(f"code kept the marks: {kept}; note: {m.note}")
        if kept:
            diag = sum(1 for e in m.evidence if len({m.cell(h.id, e.id).mark for h in hyps}) > 1)
            print(
                f"rows that discriminate: {diag} of {len(m.evidence)}; marks: {dict(Counter(c.mark for c in m.cells))}"
            )
            for e in m.evidence:
                print("  " + " ".join(m.cell(h.id, e.id).mark or "·" for h in hyps) + "  " + e.text[:90])
    return 0


if __name__ == "__main__":
    sys.exit(main())
