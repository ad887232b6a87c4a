"""Keyword ranking: BM25 over chunk text, in memory, with numpy.

SQLite's FTS5 ``bm25()`` scores every row that matches any query term, which took ~250 ms per
query at 100k chunks here; this index scores the same way (Okapi BM25, k1 = 1.2, b = 0.75) with
vectorised posting lists in a few milliseconds. It is built from the store's chunks on first use
and cached beside the store (``keyword.npz``), keyed by the store's generation counter, so a
process only rebuilds it after an ingest changed the chunks.

Terms: lower-cased words, stop words removed, Harman's "S" stemmer (sappers → sapper,
treaties → treaty), the same for documents and queries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.corpus.text import STOPWORDS

_WORD = re.compile(r"\w+", re.UNICODE)
K1, B = 1.2, 0.75


def search_stem(word: str) -> str:
    """The stem of a search term, for documents and queries alike. Harman's S stemmer: plural endings only, so it
    rarely conflates unrelated words."""
    if len(word) > 3 and word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if len(word) > 2 and word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


def terms(text: str) -> list[str]:
    return [search_stem(w) for w in (t.lower() for t in _WORD.findall(text)) if w not in STOPWORDS and len(w) > 1]


def query_terms(query: str) -> list[str]:
    return list(dict.fromkeys(terms(query)))


@dataclass
class BM25Index:
    vocab: dict[str, int]
    indptr: np.ndarray  # per term: start of its postings
    postings: np.ndarray  # chunk row numbers (int32)
    tfs: np.ndarray  # term frequencies (float32)
    doc_len: np.ndarray  # tokens per chunk (float32)
    chunk_ids: list[str]
    chunk_doc: np.ndarray  # per chunk: index into doc_ids (int32)
    doc_ids: list[str]
    generation: int

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, str]], generation: int) -> BM25Index:
        """From ``(chunk_id, doc_id, text)`` rows."""
        vocab: dict[str, int] = {}
        doc_index: dict[str, int] = {}
        chunk_ids: list[str] = []
        chunk_doc: list[int] = []
        lens: list[int] = []
        term_ids: list[np.ndarray] = []
        for cid, did, text in rows:
            toks = terms(text)
            ids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in toks), dtype=np.int32, count=len(toks))
            term_ids.append(ids)
            chunk_ids.append(cid)
            chunk_doc.append(doc_index.setdefault(did, len(doc_index)))
            lens.append(len(toks))
        n_terms = len(vocab)
        if chunk_ids:
            row = np.repeat(np.arange(len(chunk_ids), dtype=np.int64), [len(t) for t in term_ids])
            col = np.concatenate(term_ids).astype(np.int64)
            # Unique (term, chunk) pairs with counts, sorted by term then chunk.
            key = col * len(chunk_ids) + row
            uniq, counts = np.unique(key, return_counts=True)
            t_of = (uniq // len(chunk_ids)).astype(np.int64)
            postings = (uniq % len(chunk_ids)).astype(np.int32)
            indptr = np.zeros(n_terms + 1, dtype=np.int64)
            np.add.at(indptr, t_of + 1, 1)
            indptr = np.cumsum(indptr)
            tfs = counts.astype(np.float32)
        else:
            postings, tfs, indptr = np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(n_terms + 1, np.int64)
        return cls(
            vocab,
            indptr,
            postings,
            tfs,
            np.asarray(lens, dtype=np.float32),
            chunk_ids,
            np.asarray(chunk_doc, dtype=np.int32),
            list(doc_index),
            generation,
        )

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp.npz")
        np.savez(
            tmp,
            indptr=self.indptr,
            postings=self.postings,
            tfs=self.tfs,
            doc_len=self.doc_len,
            chunk_doc=self.chunk_doc,
            vocab=np.asarray(list(self.vocab), dtype=str),
            chunk_ids=np.asarray(self.chunk_ids, dtype=str),
            doc_ids=np.asarray(self.doc_ids, dtype=str),
            generation=np.asarray(self.generation),
        )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> BM25Index:
        """Load a saved index. Never unpickles: the file is in a workspace, which may come from someone else
        (a pickled object would run code); a file that needs pickling raises ``ValueError``."""
        with np.load(path, allow_pickle=False) as z:
            return cls(
                vocab={t: i for i, t in enumerate(z["vocab"].tolist())},
                indptr=z["indptr"],
                postings=z["postings"],
                tfs=z["tfs"],
                doc_len=z["doc_len"],
                chunk_ids=z["chunk_ids"].tolist(),
                chunk_doc=z["chunk_doc"],
                doc_ids=z["doc_ids"].tolist(),
                generation=int(z["generation"]),
            )

    def search(self, query: str, k: int, *, allowed_docs: Sequence[str] | None = None) -> list[tuple[str, float]]:
        n = len(self.chunk_ids)
        qt = [self.vocab[t] for t in query_terms(query) if t in self.vocab]
        if not n or not qt:
            return []
        avgdl = float(self.doc_len.mean()) or 1.0
        scores = np.zeros(n, dtype=np.float32)
        for t in qt:
            a, b = self.indptr[t], self.indptr[t + 1]
            rows, tf = self.postings[a:b], self.tfs[a:b]
            df = b - a
            idf = np.log((n - df + 0.5) / (df + 0.5) + 1.0)  # Lucene's variant: always positive
            denom = tf + K1 * (1 - B + B * self.doc_len[rows] / avgdl)
            scores[rows] += (idf * tf * (K1 + 1) / denom).astype(np.float32)
        if allowed_docs is not None:
            allowed = {d for d in allowed_docs}
            mask = np.fromiter((d in allowed for d in self.doc_ids), dtype=bool, count=len(self.doc_ids))
            scores[~mask[self.chunk_doc]] = 0.0
        hit = np.flatnonzero(scores > 0)
        if hit.size == 0:
            return []
        top = (
            hit[np.argsort(-scores[hit], kind="stable")[:k]]
            if hit.size <= k
            else hit[np.argpartition(-scores[hit], k - 1)[:k]]
        )
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.chunk_ids[i], float(scores[i])) for i in top]
