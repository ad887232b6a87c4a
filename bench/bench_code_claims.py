"""What code writes about the sources, on every case of a folder of cases: no model involved.

    python bench/bench_code_claims.py ../devset/CASES            # every case (a folder with case.toml, sources/)
    python bench/bench_code_claims.py ../devset/CASES --only nepal --full

For each case: ingests its sources into a scratch workspace (kept under --workspaces, reused), runs the tradecraft
pass and prints the source grades, independent lines, contradictions and revisions, the confidence line, the gaps,
the sourcing risks, the entities with their roles, the tags and the timeline's span. It is a measurement for a
reader to judge on each kind of event (issue 19), not a test: it asserts nothing and pytest never runs it.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.core.paths import Workspace  # noqa: E402
from agent.core.settings import load_settings  # noqa: E402
from agent.corpus.ingest import ingest_paths  # noqa: E402
from agent.corpus.phrases import noun_phrases  # noqa: E402
from agent.drafting import builders  # noqa: E402
from agent.drafting.analysis import analyse_sources  # noqa: E402
from agent.services import open_services  # noqa: E402


def one_case(case: Path, workspaces: Path, full: bool) -> dict[str, object]:
    meta = tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))
    topic = str(meta["topic"])
    ws = Workspace.at(workspaces / case.name).ensure()
    settings = load_settings(ws)
    with open_services(ws, settings) as services:
        ingest_paths(services, sorted((case / "sources").iterdir()))  # unchanged files are skipped
        docs = services.store.documents()
        base, a = analyse_sources(services, docs, topic, ws.root)
        digest = base.digest()
        conf, level = builders.confidence(base, [d.sources for d in digest], a.profiles)
        gaps = builders.gaps(base, [d.sentence_id for d in digest], a.contradictions)
        risks = builders.bias_risks(base, a.profiles)
        ents = [(c, *builders.entity_role(c)) for c in builders.entity_candidates(base)]
        nlp = services.analyser.nlp
        tags = builders.tag_candidates(base, lambda t: noun_phrases(nlp, t))
    print(f"\n=== {case.name}")
    for d in docs:
        p = a.profiles[d.id]
        print(f"  {Path(d.path).name:45} {p.grade:3} {p.type:11} rel from {p.reliability_from:9} outlet={p.outlet}")
    print(f"  independent lines: {len({base.origin.get(d, d) for d in base.docs})} of {len(docs)} documents")
    for c in a.contradictions:
        print(f"  CONTRADICTION {c.kind}: {c.about}: {' vs '.join(c.values)}")
        if full:
            for x in c.citations:
                print(f"      | {x.quote[:160]}")
    for f in a.figures:
        if getattr(f, "revised", False):
            print(f"  revision: {f.quantity}: {', '.join(x.text for x in f.figures)}")
    print(f"  {conf.text}")
    for g in gaps:
        print(f"  GAP: {g.text}")
    for r in risks:
        print(f"  RISK: {r.text}")
    print("  entities: " + "; ".join(f"{c.name} [{role or '-'}]" for c, role, _ in ents))
    print("  tags: " + "; ".join(tags))
    if a.timeline:
        print(f"  timeline: {len(a.timeline)} events, {a.timeline[0].date} .. {a.timeline[-1].date}")
        if full:
            for e in a.timeline:
                print(f"      {e.date}: {e.text[:120]}")
    return {
        "case": case.name,
        "grades": Counter(a.profiles[d.id].reliability for d in docs),
        "lines": len({base.origin.get(d, d) for d in base.docs}),
        "contradictions": len(a.contradictions),
        "revisions": sum(1 for f in a.figures if getattr(f, "revised", False)),
        "confidence": level,
        "gaps": len(gaps),
        "risks": len(risks),
        "entities": f"{sum(1 for _, r, _ in ents if r)}/{len(ents)}",
        "tags": len(tags),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", type=Path)
    ap.add_argument("--workspaces", type=Path, default=Path("/tmp/bench-code-claims"))
    ap.add_argument("--only", default="", help="cases whose name contains this")
    ap.add_argument("--full", action="store_true", help="also the cited sentences and every timeline event")
    args = ap.parse_args()
    cases = sorted(p for p in args.cases.iterdir() if (p / "case.toml").exists() and args.only in p.name)
    rows = [one_case(c, args.workspaces, args.full) for c in cases]
    print(
        "\n| case | reliability grades | lines | contradictions | revisions | confidence | gaps | risks | "
        "entities with role | tags |"
    )
    print("| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        grades = " ".join(f"{k}×{v}" for k, v in sorted(r["grades"].items()))  # type: ignore[attr-defined]
        print(
            f"| {r['case']} | {grades} | {r['lines']} | {r['contradictions']} | {r['revisions']} | {r['confidence']} | "
            f"{r['gaps']} | {r['risks']} | {r['entities']} | {r['tags']} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
