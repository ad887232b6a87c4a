"""The workspace's document store: SQLite holding documents, chunks, the ingest manifest, and a
keyword index (FTS5 with BM25 ranking) kept in step with the chunks by triggers.

Chroma holds the vectors; this holds the text and offsets every citation is checked against.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from agent.models import Chunk, SourceDocument

_SCHEMA = """
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, path TEXT NOT NULL, title TEXT, outlet TEXT, author TEXT, published TEXT, url TEXT,
    content_type TEXT NOT NULL, text TEXT NOT NULL, sha256 TEXT NOT NULL, ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS paths (path TEXT PRIMARY KEY, doc_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, content='chunks', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
"""

# Words too common to rank on; FTS5 has no stop-word list of its own.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours yourself yourselves""".split()  # noqa: SIM905
)
_WORD = re.compile(r"\w+", re.UNICODE)


def keyword_terms(query: str) -> list[str]:
    terms = [w.lower() for w in _WORD.findall(query)]
    return list(dict.fromkeys(t for t in terms if t not in STOPWORDS and len(t) > 1))


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.executescript(_SCHEMA)

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
                "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?)",
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
                ),
            )
            db.executemany(
                'INSERT INTO chunks (id, doc_id, ordinal, start, "end", text) VALUES (?,?,?,?,?,?)',
                [(c.id, c.doc_id, c.ordinal, c.start, c.end, c.text) for c in chunks],
            )
            db.execute("INSERT OR REPLACE INTO paths VALUES (?, ?)", (path_key, doc.id))
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
            db.execute("DELETE FROM paths WHERE doc_id = ?", (doc_id,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def doc_id_for_path(self, path_key: str) -> str | None:
        row = self._db.execute("SELECT doc_id FROM paths WHERE path = ?", (path_key,)).fetchone()
        return row[0] if row else None

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
        terms = keyword_terms(query)
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        where, params = ["chunks_fts MATCH ?"], [match]
        join = ""
        if doc_ids is not None:
            where.append(f"c.doc_id IN ({','.join('?' * len(doc_ids))})")
            params.extend(doc_ids)
        if since or until:
            join = "JOIN documents d ON d.id = c.doc_id"
            if since:
                where.append("d.published >= ?")
                params.append(since.isoformat())
            if until:
                where.append("d.published <= ?")
                params.append(until.isoformat())
        sql = (
            f"SELECT c.id, bm25(chunks_fts) AS s FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid {join} "
            f"WHERE {' AND '.join(where)} ORDER BY s LIMIT ?"
        )
        rows = self._db.execute(sql, [*params, k]).fetchall()
        return [(r[0], -float(r[1])) for r in rows]


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
    )


def _chunk(row: sqlite3.Row) -> Chunk:
    return Chunk(id=row[0], doc_id=row[1], ordinal=row[2], start=row[3], end=row[4], text=row[5])
