"""Per-topic shipped share from blind reviews of dev-set drafts (issue 19).

    python bench/score_reviews.py CASES REVIEWS R

For each CASES/<topic>/sheet-R.md (``../shared/tools/review_sheet.py``) the review REVIEWS/<prefix>-R.md, where
``<prefix>`` is the topic folder's name up to its first hyphen, holds one line per claim as a fresh reviewer writes
it: ``C<n> | <label> | ACCEPT|EDIT|REJECT | <reason or -> | <citations> | <why>``. It prints per topic the claims
shipped (ACCEPT + EDIT) and those judged WRONG, the share over all topics, the share of code's claims about the
sources, and the shipped count per label. A measurement, not a test: it asserts nothing.
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ABOUT_SOURCES = ("Information Gaps", "Bias", "Corroboration", "Contradiction", "Confidence", "Source Reliability")
LINE = re.compile(r"\s*(C\d+)\s*\|\s*([^|]*)\|\s*([A-Z-]+)\s*\|\s*([^|]*)\|")
CLAIM = re.compile(r"^## (C\d+) \[[^\]]*\]\s*([^:\n]*)", re.M)


def main() -> None:
    cases, reviews, r = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    total = shipped_all = about = about_shipped = 0
    by_label: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    verdicts: Counter[str] = Counter()
    for case in sorted(p for p in cases.iterdir() if p.is_dir()):
        prefix = case.name.split("-")[0]
        review, sheet = reviews / f"{prefix}-{r}.md", case / f"sheet-{r}.md"
        if not review.exists() or not sheet.exists():
            print(f"{prefix:12s} no review or sheet")
            continue
        labels = {m.group(1): m.group(2).strip() for m in CLAIM.finditer(sheet.read_text())}
        shipped = n = wrong = 0
        for line in review.read_text().splitlines():
            m = LINE.match(line)
            if not m:
                continue
            label = labels.get(m.group(1), m.group(2).strip())
            ok = m.group(3) in ("ACCEPT", "EDIT")
            reason = m.group(4).strip().split()[:1]
            n += 1
            shipped += ok
            wrong += (not ok) and reason == ["WRONG"]
            by_label[label][0] += ok
            by_label[label][1] += 1
            verdicts[m.group(3) if ok else f"REJECT {' '.join(reason)}"] += 1
            if label.startswith(ABOUT_SOURCES):
                about += 1
                about_shipped += ok
        total += n
        shipped_all += shipped
        print(f"{prefix:12s} {shipped}/{n} shipped, {wrong} WRONG")
    share = 100 * shipped_all / max(total, 1)
    print(f"all: {shipped_all}/{total} ({share:.0f} %); about the sources: {about_shipped}/{about}")
    for label, (ok, n) in sorted(by_label.items(), key=lambda kv: -kv[1][1]):
        if n > 1 or not ok:
            print(f"  {label}: {ok}/{n}")
    print(dict(verdicts))


if __name__ == "__main__":
    main()
