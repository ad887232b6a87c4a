"""The workspace's document store: SQLite holding documents, chunks and the ingest manifest, plus
the keyword (BM25) index over the chunks (:mod:`agent.corpus.keyword`), rebuilt when the chunks change.

Chroma holds the vectors; this holds the text and offsets every citation is checked against.
"""

from __future__ import annotations

import contextlib
import sqlite3
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from agent.core.contracts import Chunk, Sentence, SourceDocument
from agent.corpus.keyword import BM25Index, query_terms

_SCHEMA = """
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, path TEXT NOT NULL, title TEXT, outlet TEXT, author TEXT, published TEXT, url TEXT,
    content_type TEXT NOT NULL, text TEXT NOT NULL, sha256 TEXT NOT NULL, ingested_at TEXT NOT NULL, extra TEXT
);
CREATE TABLE IF NOT EXISTS paths (path TEXT PRIMARY KEY, doc_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS sentences (doc_id TEXT PRIMARY KEY, version TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('generation', 0);
"""


_SENTENCES = TypeAdapter(list[Sentence])
# Document fields kept as one JSON column (``extra``): rows written before they existed load with their defaults.
_EXTRA_FIELDS = ("field_sources", "pages", "attachments")
_EXTRA = TypeAdapter(dict[str, Any])


def keyword_terms(query: str) -> list[str]:
    return query_terms(query)


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.executescript(_SCHEMA)
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(documents)")}
        if "extra" not in columns:  # a workspace from before field sources, pages and attachments
            self._db.execute("ALTER TABLE documents ADD COLUMN extra TEXT")
        self._keyword: BM25Index | None = None
        self.keyword_cache = path.with_name("keyword.npz")

    def close(self) -> None:
        self._db.close()

    # -- documents

    def put_document(self, doc: SourceDocument, chunks: Sequence[Chunk], *, path_key: str) -> None:
        """Store a document and its chunks (replacing any earlier chunks of it) in one transaction."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc.id,))
            db.execute(
                "INSERT OR REPLACE INTO documents (id, path, title, outlet, author, published, url, content_type,"
                " text, sha256, ingested_at, extra) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    doc.id,
                    doc.path,
                    doc.title,
                    doc.outlet,
                    doc.author,
                    doc.published.isoformat() if doc.published else None,
                    doc.url,
                    doc.content_type,
                    doc.text,
                    doc.sha256,
                    doc.ingested_at.isoformat(),
                    _EXTRA.dump_json(doc.model_dump(include=set(_EXTRA_FIELDS))).decode("utf-8"),
                ),
            )
            db.executemany(
                'INSERT INTO chunks (id, doc_id, ordinal, start, "end", text) VALUES (?,?,?,?,?,?)',
                [(c.id, c.doc_id, c.ordinal, c.start, c.end, c.text) for c in chunks],
            )
            db.execute("INSERT OR REPLACE INTO paths VALUES (?, ?)", (path_key, doc.id))
            db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def delete_document(self, doc_id: str) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            db.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
            db.execute("DELETE FROM sentences WHERE doc_id = ?", (doc_id,))
            db.execute("DELETE FROM paths WHERE doc_id = ?", (doc_id,))
            db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # -- sentences (the analysis of a document; its id is the hash of its text, so it never goes stale)

    def get_sentences(self, doc_id: str, version: str) -> list[Sentence] | None:
        """The stored analysis of a document by analyser ``version``; ``None`` when there is none."""
        row = self._db.execute("SELECT version, json FROM sentences WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None or row[0] != version:
            return None
        return _SENTENCES.validate_json(row[1])

    def put_sentences(self, doc_id: str, version: str, sentences: Sequence[Sentence]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO sentences VALUES (?, ?, ?)",
            (doc_id, version, _SENTENCES.dump_json(list(sentences)).decode("utf-8")),
        )

    def doc_id_for_path(self, path_key: str) -> str | None:
        row = self._db.execute("SELECT doc_id FROM paths WHERE path = ?", (path_key,)).fetchone()
        return row[0] if row else None

    def attachment_paths(self, path_key: str) -> dict[str, str]:
        """``{path: doc_id}`` of the attachments stored for the e-mail at ``path_key`` (``path_key#name``)."""
        rows = self._db.execute(
            "SELECT path, doc_id FROM paths WHERE path >= ? AND path < ?", (path_key + "#", path_key + "$")
        )
        return {r[0]: r[1] for r in rows}

    def forget_path(self, path_key: str) -> None:
        self._db.execute("DELETE FROM paths WHERE path = ?", (path_key,))

    def other_paths_for(self, doc_id: str, path_key: str) -> list[str]:
        rows = self._db.execute("SELECT path FROM paths WHERE doc_id = ? AND path != ?", (doc_id, path_key))
        return [r[0] for r in rows]

    def has_document(self, doc_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone() is not None

    def get_document(self, doc_id: str) -> SourceDocument:
        row = self._db.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            raise KeyError(f"no document {doc_id!r} in this workspace")
        return _doc(row)

    def find_document(self, doc_id: str) -> SourceDocument | None:
        """Like :meth:`get_document`, but ``None`` for a document no longer in the workspace."""
        try:
            return self.get_document(doc_id)
        except KeyError:
            return None

    def documents(self) -> list[SourceDocument]:
        return [_doc(r) for r in self._db.execute("SELECT * FROM documents ORDER BY path")]

    def document_meta(self, doc_ids: Iterable[str]) -> dict[str, tuple[str | None, str | None, date | None]]:
        ids = list(dict.fromkeys(doc_ids))
        out: dict[str, tuple[str | None, str | None, date | None]] = {}
        for b in range(0, len(ids), 500):
            part = ids[b : b + 500]
            q = f"SELECT id, title, path, outlet, published FROM documents WHERE id IN ({','.join('?' * len(part))})"
            for r in self._db.execute(q, part):
                title = r["title"] or Path(r["path"]).name
                out[r["id"]] = (title, r["outlet"], date.fromisoformat(r["published"]) if r["published"] else None)
        return out

    # -- chunks

    def get_chunk(self, chunk_id: str) -> Chunk:
        row = self._db.execute(
            'SELECT id, doc_id, ordinal, start, "end", text FROM chunks WHERE id = ?', (chunk_id,)
        ).fetchone()
        if row is None:
            raise KeyError(f"no chunk {chunk_id!r} in this workspace")
        return _chunk(row)

    def get_chunks(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        out: dict[str, Chunk] = {}
        for b in range(0, len(chunk_ids), 500):
            part = list(chunk_ids[b : b + 500])
            q = f'SELECT id, doc_id, ordinal, start, "end", text FROM chunks WHERE id IN ({",".join("?" * len(part))})'
            for r in self._db.execute(q, part):
                out[r["id"]] = _chunk(r)
        return out

    def chunk_ids_for(self, doc_id: str) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE doc_id = ? ORDER BY ordinal", (doc_id,))]

    def chunks_for(self, doc_id: str) -> list[Chunk]:
        q = 'SELECT id, doc_id, ordinal, start, "end", text FROM chunks WHERE doc_id = ? ORDER BY ordinal'
        return [_chunk(r) for r in self._db.execute(q, (doc_id,))]

    def count_chunks(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def generation(self) -> int:
        """Bumped by every change to the chunks; keys the keyword index cache."""
        return int(self._db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])

    def keyword_index(self) -> BM25Index:
        """The BM25 index of the current chunks: in memory, else the cache file, else built (and cached)."""
        gen = self.generation()
        if self._keyword is not None and self._keyword.generation == gen:
            return self._keyword
        index: BM25Index | None = None
        if self.keyword_cache.exists():
            try:
                index = BM25Index.load(self.keyword_cache)
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # damaged or tampered: rebuilt
                index = None
            if index is not None and index.generation != gen:
                index = None
        if index is None:
            rows = self._db.execute("SELECT id, doc_id, text FROM chunks ORDER BY rowid")
            index = BM25Index.build(((r[0], r[1], r[2]) for r in rows), gen)
            with contextlib.suppress(OSError):  # a read-only workspace still searches; it rebuilds next time
                index.save(self.keyword_cache)
        self._keyword = index
        return index

    def doc_ids_published(self, since: date | None, until: date | None) -> list[str]:
        where, params = ["published IS NOT NULL"], []
        if since:
            where.append("published >= ?")
            params.append(since.isoformat())
        if until:
            where.append("published <= ?")
            params.append(until.isoformat())
        return [r[0] for r in self._db.execute(f"SELECT id FROM documents WHERE {' AND '.join(where)}", params)]

    def keyword_search(
        self,
        query: str,
        k: int,
        *,
        doc_ids: Sequence[str] | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> list[tuple[str, float]]:
        """BM25 over chunk text: ``[(chunk_id, score)]``, best first (higher is better)."""
        allowed: Sequence[str] | None = doc_ids
        if since or until:
            dated = set(self.doc_ids_published(since, until))
            allowed = [d for d in doc_ids if d in dated] if doc_ids is not None else list(dated)
        return self.keyword_index().search(query, k, allowed_docs=allowed)


def _doc(row: sqlite3.Row) -> SourceDocument:
    return SourceDocument(
        id=row["id"],
        path=row["path"],
        title=row["title"],
        outlet=row["outlet"],
        author=row["author"],
        published=date.fromisoformat(row["published"]) if row["published"] else None,
        url=row["url"],
        content_type=row["content_type"],
        text=row["text"],
        sha256=row["sha256"],
        ingested_at=row["ingested_at"],
        **(_EXTRA.validate_json(row["extra"]) if row["extra"] else {}),
    )


def _chunk(row: sqlite3.Row) -> Chunk:
    return Chunk(id=row[0], doc_id=row[1], ordinal=row[2], start=row[3], end=row[4], text=row[5])
