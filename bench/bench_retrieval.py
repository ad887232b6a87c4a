"""Retrieval benchmarks: ingest throughput against raw embedding, and hybrid query latency at scale.

    python bench/bench_retrieval.py                 # ingest ratio + query latency at 10k and 100k chunks
    python bench/bench_retrieval.py --sizes 10000   # a quicker run
    python bench/bench_retrieval.py --sizes --formats txt   # the ingest part only, plain text only

1. Ingest: the seeds (and variants of them, so there is enough work to time), written in turn as .txt, .pdf,
   .docx, .html (with a news site's boilerplate) and .eml (hard-wrapped), are ingested into a fresh
   workspace (reading alone is timed per format first); then the same chunk texts are embedded again, raw,
   by the same model in the same process.
   The figure that matters is the ratio ingest time / raw embedding time (target ≤ 1.2): what
   reading, chunking, SQLite, FTS5 and Chroma add on top of the embedding model.
2. Query latency: a store and a Chroma collection of N chunks (text recombined from the seeds'
   sentences; vectors from the real model for a base set, and for the rest small perturbations of
   them, renormalised, since embedding 100k chunks would take ~50 min on 2 cores). Then real hybrid
   queries (query embedding + dense + BM25 + fusion + fetch) are timed; p50/p95 reported (target:
   p95 < 100 ms at 100k).
"""

from __future__ import annotations

import argparse
import html
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.core.contracts import Chunk, SourceDocument, stable_id  # noqa: E402
from agent.core.paths import PROJECT_ROOT, Workspace  # noqa: E402
from agent.corpus.ingest import ingest_paths  # noqa: E402

SEEDS_DIR = PROJECT_ROOT / "seeds"
from agent.core.settings import load_settings  # noqa: E402
from agent.services import open_services  # noqa: E402

QUERIES = [
    "North Korean sappers clearing minefields in Kursk",
    "the 2024 treaty's mutual-defence clause",
    "casualties among North Korean soldiers",
    "Russian technology transfer to Pyongyang",
    "state media claims about the liberation of Kursk",
    "economic aid and oil shipments to North Korea",
    "South Korean intelligence on troop deployments",
    "Kim Jong Un New Year message to Putin",
    "sanctions evasion and arms trade",
    "impact on the Korean peninsula security",
]


def sentences() -> list[str]:
    out: list[str] = []
    for p in sorted(SEEDS_DIR.glob("00[1-4]_*.txt")):
        out += [s.strip() for s in re.split(r"(?<=[.!?])\s+", p.read_text()) if len(s.split()) > 5]
    return out


FORMATS = ("txt", "pdf", "docx", "html", "eml")


def write_variant(folder: Path, i: int, paragraphs: list[str], fmt: str) -> Path:
    """Variant ``i`` of the seeds' text as a file of the given format (made as tests/docgen.py makes them)."""
    from tests import docgen

    name = folder / f"doc{i:03d}.{fmt}"
    if fmt == "txt":
        name.write_text(f"Variant {i}\n\n" + "\n\n".join(paragraphs))
    elif fmt == "pdf":  # ~3 paragraphs a page; the PDF core fonts are Latin-1
        paragraphs = [_latin1(p) for p in paragraphs]
        pages = ["\n\n".join(paragraphs[j : j + 3]) for j in range(0, len(paragraphs), 3)]
        docgen.make_pdf(name, [f"Variant {i}\n\n" + pages[0], *pages[1:]], title=f"Variant {i}")
    elif fmt == "docx":
        import docx

        d = docx.Document()
        d.add_heading(f"Variant {i}", 0)
        for p in paragraphs:
            d.add_paragraph(p)
        d.save(str(name))
    elif fmt == "html":
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        name.write_text(
            docgen.NEWS_PAGE.replace("<title>Sappers clear Kursk minefields", f"<title>Variant {i}").replace(
                "<h1>Sappers clear Kursk minefields</h1>", f"<h1>Variant {i}</h1>{body}"
            )
        )
    elif fmt == "eml":
        from email.message import EmailMessage

        msg = EmailMessage()
        msg["From"], msg["Subject"], msg["Date"] = (
            "Jane Roe <jr@example.org>",
            f"Variant {i}",
            "Fri, 14 Feb 2025 09:30 +0000",
        )
        msg.set_content(docgen.hard_wrapped(paragraphs))
        name.write_bytes(bytes(msg))
    return name


def _latin1(text: str) -> str:
    for a, b in (("“", '"'), ("”", '"'), ("‘", "'"), ("’", "'"), ("—", "-"), ("–", "-"), ("…", "...")):
        text = text.replace(a, b)
    return text.encode("latin-1", "replace").decode("latin-1")


def bench_ingest(copies: int, formats: list[str]) -> None:
    from agent.corpus.ingest import read_sources

    tmp = Path(tempfile.mkdtemp(prefix="bw-bench-ingest-"))
    src = tmp / "src"
    src.mkdir()
    rng = random.Random(1)
    sents = sentences()
    files: dict[str, list[Path]] = {f: [] for f in formats}
    for i in range(copies):
        rng.shuffle(sents)
        fmt = formats[i % len(formats)]
        paragraphs = [" ".join(sents[j : j + 4]) for j in range(0, len(sents), 4)]
        files[fmt].append(write_variant(src, i, paragraphs, fmt))
    for fmt, paths in files.items():  # reading alone (warm: the libraries are imported by the first file)
        read_sources(paths[0], max_bytes=10**8)
        t0 = time.perf_counter()
        for p in paths:
            read_sources(p, max_bytes=10**8)
        dt = time.perf_counter() - t0
        print(f"read {fmt}: {len(paths)} files in {dt:.2f} s = {1000 * dt / len(paths):.0f} ms/file")
    ws = Workspace.at(tmp / "ws").ensure()
    settings = load_settings(ws)
    with open_services(ws, settings) as services:
        services.embedder.embed(["warm-up"])  # load the model before timing either side
        embed, in_model = services.embedder.embed, [0.0]

        def timed(texts: list[str]) -> np.ndarray:
            t = time.perf_counter()
            try:
                return embed(texts)
            finally:
                in_model[0] += time.perf_counter() - t

        services.embedder.embed = timed  # type: ignore[method-assign]
        t0 = time.perf_counter()
        outcomes = ingest_paths(services, [src])
        t_ingest = time.perf_counter() - t0
        services.embedder.embed = embed  # type: ignore[method-assign]
        t0 = time.perf_counter()
        services.store.keyword_index()  # the BM25 rebuild an ingest causes (done at the next search)
        t_kw = time.perf_counter() - t0
        n_chunks = sum(o.chunks for o in outcomes)
        texts = [c.text for o in outcomes if o.doc_id for c in services.store.chunks_for(o.doc_id)]
        t0 = time.perf_counter()
        services.embedder.embed(texts)
        t_raw = time.perf_counter() - t0
    print(f"ingest: {len(outcomes)} files, {n_chunks} chunks in {t_ingest:.1f} s = {n_chunks / t_ingest:.1f} chunks/s")
    print(
        f"  of which in the embedding model: {in_model[0]:.1f} s; everything else (reading, chunking, SQLite, Chroma): "
        f"{t_ingest - in_model[0]:.1f} s = {100 * (t_ingest - in_model[0]) / t_ingest:.0f} % (steady under load)"
    )
    print(f"raw embedding of the same chunks: {t_raw:.1f} s = {len(texts) / t_raw:.1f} chunks/s")
    print(f"keyword index rebuild after the ingest: {t_kw:.2f} s")
    print(f"ratio (ingest + keyword rebuild) / raw embedding: {(t_ingest + t_kw) / t_raw:.3f}  (target <= 1.2)")
    shutil.rmtree(tmp, ignore_errors=True)


def bench_query(n: int, base: int = 1500) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f"bw-bench-q{n}-"))
    ws = Workspace.at(tmp / "ws").ensure()
    settings = load_settings(ws)
    rng = random.Random(n)
    nrng = np.random.default_rng(n)
    sents = sentences()
    with open_services(ws, settings) as services:
        t0 = time.perf_counter()
        base_texts = [" ".join(rng.sample(sents, 4)) for _ in range(base)]
        base_vecs = services.embedder.embed(base_texts)
        t_embed = time.perf_counter() - t0
        per_doc = 100
        t0 = time.perf_counter()
        for d in range(0, n, per_doc):
            texts, vecs = [], []
            for i in range(d, min(n, d + per_doc)):
                j = rng.randrange(base)
                texts.append(" ".join(rng.sample(sents, 4)) if i >= base else base_texts[i])
                v = base_vecs[j] + nrng.normal(0, 0.02, base_vecs.shape[1]).astype(np.float32)
                vecs.append(v / np.linalg.norm(v))
            text = "\n\n".join(texts)
            doc = SourceDocument(
                id=stable_id("bench", n, d),
                path=f"bench/{d}.txt",
                title=f"bench {d}",
                text=text,
                sha256=stable_id("raw", n, d, length=64),
            )
            chunks, pos = [], 0
            for k, t in enumerate(texts):
                chunks.append(
                    Chunk(id=stable_id("c", doc.id, k), doc_id=doc.id, ordinal=k, text=t, start=pos, end=pos + len(t))
                )
                pos += len(t) + 2
            services.index.upsert(doc, chunks, np.stack(vecs))
            services.store.put_document(doc, chunks, path_key=doc.path)
        t_build = time.perf_counter() - t0
        r = services.retriever
        for q in QUERIES[:3]:
            r.search(q, 8)  # warm caches
        lat: list[float] = []
        for _ in range(5):
            for q in QUERIES:
                t0 = time.perf_counter()
                hits = r.search(q, 8)
                lat.append((time.perf_counter() - t0) * 1000)
                assert hits
        dense, kw = [], []
        vec = services.embedder.embed([QUERIES[0]])[0]
        for _ in range(20):
            t0 = time.perf_counter()
            services.index.query(vec, 50)
            dense.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            services.store.keyword_search(QUERIES[0], 50)
            kw.append((time.perf_counter() - t0) * 1000)
    q = statistics.quantiles(lat, n=20)
    print(
        f"{n:>7,} chunks: built in {t_build:.0f} s (+{t_embed:.0f} s embedding {base} base chunks); "
        f"hybrid query p50 {statistics.median(lat):.1f} ms, p95 {q[18]:.1f} ms, max {max(lat):.1f} ms "
        f"(of {len(lat)}); dense alone p50 {statistics.median(dense):.1f} ms, "
        f"BM25 alone p50 {statistics.median(kw):.1f} ms"
    )
    shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=30, help="document variants for the ingest benchmark")
    ap.add_argument(
        "--formats", default=",".join(FORMATS), help=f"file formats of the variants, in turn (of {', '.join(FORMATS)})"
    )
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--skip-ingest", action="store_true")
    args = ap.parse_args()
    if not args.skip_ingest:
        bench_ingest(args.copies, args.formats.split(","))
    for n in args.sizes:
        bench_query(n)


if __name__ == "__main__":
    main()
