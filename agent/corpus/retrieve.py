"""Hybrid retrieval: dense (Chroma, cosine) fused with keyword (SQLite FTS5, BM25) by reciprocal rank.

Reciprocal-rank fusion needs no score calibration between the two rankings: a chunk's score is
``sum(1 / (k + rank))`` over the rankings it appears in. Filters (documents, date range) apply to
both rankings before fusion, so a filtered search never returns a chunk outside the filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from agent.core.contracts import SearchHit
from agent.corpus.embeddings import Embedder
from agent.corpus.index import ChromaIndex
from agent.corpus.store import Store


@dataclass
class Retriever:
    store: Store
    index: ChromaIndex
    embedder: Embedder
    candidates: int = 50
    rrf_k: int = 60

    def search(
        self,
        query: str,
        k: int = 8,
        *,
        doc_ids: Sequence[str] | None = None,
        since: date | None = None,
        until: date | None = None,
        mode: str = "hybrid",
    ) -> list[SearchHit]:
        n = max(k, self.candidates)
        dense: list[tuple[str, float]] = []
        keyword: list[tuple[str, float]] = []
        if mode in ("hybrid", "dense"):
            vec = self.embedder.embed([query])[0]
            dense = self.index.query(vec, n, doc_ids=doc_ids, since=since, until=until)
        if mode in ("hybrid", "keyword"):
            keyword = self.store.keyword_search(query, n, doc_ids=doc_ids, since=since, until=until)
        scores: dict[str, float] = {}
        dense_rank: dict[str, int] = {}
        kw_rank: dict[str, int] = {}
        for rank, (cid, _) in enumerate(dense, 1):
            dense_rank[cid] = rank
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (self.rrf_k + rank)
        for rank, (cid, _) in enumerate(keyword, 1):
            kw_rank[cid] = rank
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (self.rrf_k + rank)
        best = sorted(scores, key=lambda c: (-scores[c], c))[:k]
        chunks = self.store.get_chunks(best)
        meta = self.store.document_meta(c.doc_id for c in chunks.values())
        hits: list[SearchHit] = []
        for cid in best:
            chunk = chunks.get(cid)
            if chunk is None:  # in the vector index but not the store: an interrupted ingest; skip it
                continue
            title, outlet, published = meta.get(chunk.doc_id, (None, None, None))
            hits.append(
                SearchHit(
                    chunk=chunk,
                    score=scores[cid],
                    dense_rank=dense_rank.get(cid),
                    keyword_rank=kw_rank.get(cid),
                    doc_title=title,
                    outlet=outlet,
                    published=published,
                )
            )
        return hits
