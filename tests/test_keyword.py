from __future__ import annotations

import math
from pathlib import Path

import pytest

from agent.core.contracts import Chunk, SourceDocument
from agent.corpus.keyword import BM25Index, query_terms, search_stem
from agent.corpus.store import Store


def test_s_stemmer_and_terms() -> None:
    assert [search_stem(w) for w in ["sappers", "treaties", "clauses", "clause", "class", "virus", "minefields"]] == [
        "sapper",
        "treaty",
        "clause",
        "clause",
        "class",
        "virus",
        "minefield",
    ]
    assert query_terms("The Treaties of the sappers, the SAPPERS!") == ["treaty", "sapper"]


def test_bm25_scores_match_the_formula() -> None:
    rows = [("a", "d1", "kursk kursk sappers"), ("b", "d1", "treaty clause"), ("c", "d2", "kursk treaty text more")]
    idx = BM25Index.build(rows, generation=1)
    got = dict(idx.search("kursk", 3))
    n, df, avgdl = 3, 2, (3 + 2 + 3) / 3  # "more" is a stop word
    idf = math.log((n - df + 0.5) / (df + 0.5) + 1)

    def bm25(tf: int, dl: int) -> float:
        return idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * dl / avgdl))

    assert got["a"] == pytest.approx(bm25(2, 3), rel=1e-5) and got["c"] == pytest.approx(bm25(1, 3), rel=1e-5)
    assert "b" not in got
    assert next(c for c, _ in idx.search("kursk treaty", 3)) == "c"  # both terms beat one
    assert [c for c, _ in idx.search("kursk", 3, allowed_docs=["d2"])] == ["c"]
    assert idx.search("nothing matches", 3) == []


def test_store_caches_the_index_and_rebuilds_after_a_change(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.sqlite3")
    doc = SourceDocument(id="d1", path="/x", text="sappers cleared minefields", sha256="0")
    store.put_document(
        doc, [Chunk(id="c1", doc_id="d1", ordinal=0, text=doc.text, start=0, end=len(doc.text))], path_key="/x"
    )
    assert [c for c, _ in store.keyword_search("minefield", 5)] == ["c1"]
    assert store.keyword_cache.exists()
    gen = store.generation()
    # A second process (a new Store) loads the cached index instead of rebuilding it.
    other = Store(tmp_path / "store.sqlite3")
    assert other.keyword_index().generation == gen
    doc2 = SourceDocument(id="d2", path="/y", text="treaty on mutual defense", sha256="1")
    other.put_document(
        doc2, [Chunk(id="c2", doc_id="d2", ordinal=0, text=doc2.text, start=0, end=len(doc2.text))], path_key="/y"
    )
    assert store.generation() == gen + 1
    assert [c for c, _ in store.keyword_search("mutual defense", 5)] == ["c2"]
    store.delete_document("d2")
    assert store.keyword_search("mutual defense", 5) == []


class _Payload:
    """Unpickling this runs code: it creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.marker,))


def test_a_tampered_keyword_cache_runs_no_code_and_is_rebuilt(tmp_path: Path) -> None:
    import numpy as np

    store = Store(tmp_path / "store.sqlite3")
    doc = SourceDocument(id="d1", path="/x", text="sappers cleared minefields", sha256="0")
    store.put_document(
        doc, [Chunk(id="c1", doc_id="d1", ordinal=0, text=doc.text, start=0, end=len(doc.text))], path_key="/x"
    )
    store.keyword_index()
    marker = tmp_path / "pwned"
    with np.load(store.keyword_cache, allow_pickle=True) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["vocab"] = np.asarray([_Payload(marker), "sapper"], dtype=object)
    np.savez(store.keyword_cache, **arrays)  # what someone handing over a workspace could do
    fresh = Store(tmp_path / "store.sqlite3")
    hits = fresh.keyword_search("minefield", 5)
    assert not marker.exists(), "loading the workspace's keyword cache ran code"
    assert [c for c, _ in hits] == ["c1"]
    with np.load(fresh.keyword_cache) as z:  # rebuilt without any pickled object
        assert z["vocab"].dtype.kind == "U"
