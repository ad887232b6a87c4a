"""The vector index: a Chroma collection, embedded in the workspace or on a Chroma server.

Vectors are computed by our own :class:`agent.corpus.embeddings.Embedder` and handed to Chroma, so
Chroma's default embedding function (which downloads a model) is never used. The collection's
name carries the embedding model, so vectors of different models never mix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any
from urllib.parse import urlparse

import numpy as np

from agent.core.contracts import Chunk, SourceDocument


class IndexError_(RuntimeError):
    """The index could not be opened or queried; the message says what to check."""


REINDEX = "run `brief ingest --reindex` to embed the stored sources again with the configured model"


def _wrong_model(e: Exception) -> bool:
    return "dimension" in str(e).lower()


def collection_name(prefix: str, embedding_model: str) -> str:
    slug = re.sub(r"[^a-zA-Z0-9._-]+", "-", f"{prefix}-{embedding_model}").strip("-._")
    return slug[:200] or "briefwright"


def date_key(d: date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


class ChromaIndex:
    def __init__(self, *, path: str | None = None, url: str | None = None, collection: str) -> None:
        import chromadb

        settings = chromadb.Settings(anonymized_telemetry=False)
        try:
            if url:
                u = urlparse(url if "://" in url else f"http://{url}")
                self.client = chromadb.HttpClient(
                    host=u.hostname or "127.0.0.1",
                    port=u.port or (443 if u.scheme == "https" else 8000),
                    ssl=u.scheme == "https",
                    settings=settings,
                )
                self.where = url
            else:
                assert path is not None
                self.client = chromadb.PersistentClient(path=path, settings=settings)
                self.where = path
            self.collection = self.client.get_or_create_collection(
                collection,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"created_by": "briefwright"},
            )
        except Exception as e:
            kind = f"Chroma server at {url}" if url else f"embedded Chroma at {path}"
            hint = " Is `chroma run` started there?" if url else ""
            raise IndexError_(f"cannot open the {kind}: {e}.{hint}") from e
        self.name = collection
        self._max_batch = max(1, min(self.client.get_max_batch_size(), 4096))

    def upsert(self, doc: SourceDocument, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        self.upsert_many([(doc, chunks, vectors)])

    def upsert_many(self, items: Sequence[tuple[SourceDocument, Sequence[Chunk], np.ndarray]]) -> None:
        """Several documents' chunks in as few calls as Chroma allows (each call has a fixed cost).

        Only vectors and metadata go to Chroma: the text lives in the store, and handing it to Chroma too
        made it build a full-text index of its own that nothing uses (~10 % of ingest time)."""
        metas: list[dict[str, Any]] = []
        chunks: list[Chunk] = []
        for doc, doc_chunks, _ in items:
            for c in doc_chunks:
                m: dict[str, Any] = {"doc_id": doc.id, "start": c.start, "end": c.end, "ordinal": c.ordinal}
                if doc.published:
                    m["published"] = date_key(doc.published)
                metas.append(m)
                chunks.append(c)
        if not chunks:
            return
        vectors = np.concatenate([np.asarray(v, dtype=np.float32) for _, _, v in items])
        for b in range(0, len(chunks), self._max_batch):
            sl = slice(b, b + self._max_batch)
            try:
                self.collection.upsert(
                    ids=[c.id for c in chunks[sl]],
                    embeddings=np.asarray(vectors[sl], dtype=np.float32),
                    metadatas=metas[sl],  # type: ignore[arg-type]
                )
            except Exception as e:
                if _wrong_model(e):
                    raise IndexError_(
                        f"the index {self.name} holds vectors of another embedding model ({e}): {REINDEX}"
                    ) from e
                raise

    def upsert_raw(self, ids: list[str], vectors: np.ndarray, metas: list[dict[str, Any]]) -> None:
        """Bulk insert without documents (benchmarks)."""
        for b in range(0, len(ids), self._max_batch):
            sl = slice(b, b + self._max_batch)
            self.collection.upsert(ids=ids[sl], embeddings=vectors[sl], metadatas=metas[sl])  # type: ignore[arg-type]

    def delete_document(self, doc_id: str) -> None:
        self.collection.delete(where={"doc_id": doc_id})

    def reset(self) -> None:
        """Drop every vector (and the collection's dimension): before embedding everything again."""
        meta = self.collection.metadata
        self.client.delete_collection(self.name)
        self.collection = self.client.get_or_create_collection(
            self.name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}, metadata=meta
        )

    def count(self) -> int:
        return int(self.collection.count())

    def query(
        self,
        vector: np.ndarray,
        k: int,
        *,
        doc_ids: Sequence[str] | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> list[tuple[str, float]]:
        """Nearest chunks: ``[(chunk_id, cosine similarity)]``, best first."""
        clauses: list[dict[str, Any]] = []
        if doc_ids is not None:
            clauses.append({"doc_id": {"$in": list(doc_ids)}})
        if since:
            clauses.append({"published": {"$gte": date_key(since)}})
        if until:
            clauses.append({"published": {"$lte": date_key(until)}})
        where: dict[str, Any] | None = None
        if len(clauses) == 1:
            where = clauses[0]
        elif clauses:
            where = {"$and": clauses}
        n = self.count()
        if n == 0:
            return []
        try:
            res = self.collection.query(
                query_embeddings=[np.asarray(vector, dtype=np.float32)],  # type: ignore[arg-type]
                n_results=min(k, n),
                where=where,
                include=["distances"],
            )
        except Exception as e:
            if _wrong_model(e):
                raise IndexError_(
                    f"the index {self.name} holds vectors of another embedding model ({e}): {REINDEX}"
                ) from e
            raise
        ids = res["ids"][0]
        dists = (res.get("distances") or [[1.0] * len(ids)])[0]
        return [(i, 1.0 - float(d)) for i, d in zip(ids, dists, strict=True)]
