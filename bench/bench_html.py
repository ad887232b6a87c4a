"""Is the web-page reader's time proportionate to the page? (issue 21: a 19 MB page took about 3 minutes.)

    python bench/bench_html.py                      # each page shape at 1 and 4 MB
    python bench/bench_html.py --small 1 --large 19 --shapes hidden

Generates pages of several shapes at two sizes, reads each with the ingest reader (``read_bytes(raw, ".html")``)
and prints seconds per MB and the large/small ratio of seconds per MB: about 1 is proportionate (linear), about
``large/small`` is quadratic. The ratio, not the seconds, is the figure to compare between runs: the seconds move
with the machine's load, the ratio much less. Shapes: paragraphs (an article), furniture (divs with classes,
styles and links), a table, a comment thread (list items), hidden elements between text (what the reader removes
before extraction: a page of them took quadratic time), and one block of inline links. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.corpus.readers import read_bytes  # noqa: E402

WORDS = ["troops", "moved", "north", "across", "the", "river", "officials", "said", "on", "Tuesday", "reports"]


def _piece(shape: str, n: int, sentence: str) -> str:
    return {
        "paragraphs": f"<p>{sentence}.</p>\n",
        "furniture": f"<div class='c{n % 50} block' style='color: red' id='x{n}'><span>{sentence}.</span>"
        f"<a href='/l{n}'>link</a></div>\n",
        "table": f"<tr><td>{n}</td><td>{sentence}.</td><td>{n * 3}</td></tr>\n",
        "thread": f"<li class='comment'><div class='author'>user{n}</div>"
        f"<div class='body'><p>{sentence}.</p></div></li>\n",
        "hidden": f"<span hidden>x{n}</span>{sentence} ",
        "links": f"<a href='/l{n}'>{sentence}</a> ",
    }[shape]


SHAPES = ["paragraphs", "furniture", "table", "thread", "hidden", "links"]
WRAP = {"table": ("<table>", "</table>"), "thread": ("<ul>", "</ul>")}


def page(mb: float, shape: str) -> bytes:
    rnd = random.Random(1)
    open_, close = WRAP.get(shape, ("", ""))
    parts = [f"<html><head><title>A long page</title></head><body><nav><a href='/'>Home</a></nav><article>{open_}"]
    size, n = 0, 0
    while size < mb * 1_000_000:
        piece = _piece(shape, n, " ".join(rnd.choice(WORDS) for _ in range(12)))
        parts.append(piece)
        size += len(piece)
        n += 1
    parts.append(f"{close}</article><footer>All rights reserved</footer></body></html>")
    return "".join(parts).encode()


def seconds(raw: bytes) -> float:
    start = time.perf_counter()
    read_bytes(raw, ".html")
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", type=float, default=1.0, help="MB (default 1)")
    ap.add_argument("--large", type=float, default=4.0, help="MB (default 4)")
    ap.add_argument("--shapes", nargs="+", choices=SHAPES, default=SHAPES)
    args = ap.parse_args()
    read_bytes(page(0.01, "paragraphs"), ".html")  # imports and first-use costs out of the figures
    print(f"{'shape':<11} {args.small:>5.1f} MB s/MB {args.large:>5.1f} MB s/MB  ratio (1 = proportionate)")
    for shape in args.shapes:
        small = seconds(page(args.small, shape)) / args.small
        large = seconds(page(args.large, shape)) / args.large
        print(f"{shape:<11} {small:>13.2f} {large:>13.2f}  {large / small:>5.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
