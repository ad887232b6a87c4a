"""Ingest: files -> SourceDocuments (with metadata) -> Chunks with stable ids and exact offsets.

Each file is read (:mod:`agent.corpus.readers`: text, Markdown, web pages, PDF, Word, e-mail), checked
and normalised on its own; a bad file is reported with a specific reason and the rest of the ingest goes
on. An e-mail's readable attachments are documents of their own (``mail.eml#report.pdf``). Chunks are
cut from the re-flowed text (hard-wrap newlines read as spaces, same length), so a chunk is a paragraph's
sentences rather than a wrapped line's, and every chunk is still an exact slice of the document text.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from langchain_text_splitters import RecursiveCharacterTextSplitter

from agent.core.contracts import Chunk, IngestOutcome, SourceDocument, stable_id
from agent.core.settings import Settings
from agent.corpus.embeddings import Embedder
from agent.corpus.index import ChromaIndex
from agent.corpus.readers import (
    SIDECAR_SUFFIX,
    SUPPORTED,
    AttachmentFailure,
    IngestError,
    decode,
    normalise_text,
    read_document,
    read_sources,
)
from agent.corpus.reflow import laid_out, reflow
from agent.corpus.store import Store

__all__ = [
    "SUPPORTED",
    "IngestError",
    "IngestReport",
    "chunk_document",
    "decode",
    "discover",
    "ingest_paths",
    "normalise_text",
    "read_document",
    "read_sources",
]


class Services(Protocol):
    """What ingest needs of the composition root (:class:`agent.services.Services` has it): the parts, not the root."""

    @property
    def settings(self) -> Settings: ...
    @property
    def store(self) -> Store: ...
    @property
    def embedder(self) -> Embedder: ...
    @property
    def index(self) -> ChromaIndex: ...


# --------------------------------------------------------------------------- reading


def discover(paths: Iterable[Path]) -> Iterator[Path]:
    """Files under the given paths, in a stable order. Sidecars and hidden files are not sources, nor the
    ``NAME_files`` folder a browser saves a page's images and scripts in beside ``NAME.html``."""
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                if f.is_file() and not _hidden(rel) and not f.name.endswith(SIDECAR_SUFFIX) and not _page_assets(f, p):
                    if f.name.lower() == "readme.md":
                        continue
                    yield f
        else:
            yield p


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


def _page_assets(f: Path, root: Path) -> bool:
    for folder in f.relative_to(root).parents:
        if folder.name.endswith("_files"):
            page = (root / folder).with_name(folder.name.removesuffix("_files"))
            if any(page.with_name(page.name + ext).is_file() for ext in (".html", ".htm")):
                return True
    return False


# --------------------------------------------------------------------------- chunking


def chunk_document(doc: SourceDocument, *, size: int, overlap: int) -> list[Chunk]:
    """Split on paragraphs, then sentences, then words; every chunk is an exact slice of the text.

    Hard-wrapped paragraphs are split as the paragraphs they are (:func:`agent.corpus.reflow.reflow`).
    """
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=size,
        chunk_overlap=overlap,
        separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=True,
    )
    flowed = reflow(doc.text, laid_out=laid_out(doc))  # same length: offsets into it are offsets into the text
    chunks: list[Chunk] = []
    for n, piece in enumerate(splitter.create_documents([flowed])):
        start = int(piece.metadata["start_index"])
        flat = piece.page_content
        if start < 0 or flowed[start : start + len(flat)] != flat:
            # The splitter's offset is a search; fall back to our own, never to a wrong offset.
            start = flowed.find(flat, chunks[-1].start if chunks else 0)
            if start < 0:
                raise IngestError(f"internal: chunk {n} is not a slice of the document")
        end = start + len(flat)
        chunks.append(
            Chunk(
                id=stable_id("chunk", doc.id, start, end),
                doc_id=doc.id,
                ordinal=n,
                text=doc.text[start:end],
                start=start,
                end=end,
            )
        )
    return chunks


# --------------------------------------------------------------------------- the stage


@dataclass
class IngestReport:
    outcomes: list[IngestOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[IngestOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


EMBED_GROUP_CHUNKS = 512  # chunks embedded together across files: length-sorted batches pad little


@dataclass
class _Pending:
    path: str
    key: str
    doc: SourceDocument
    chunks: list[Chunk]
    previous: str | None
    replaces: bool = False  # an earlier version of this file is in the workspace


def ingest_paths(
    services: Services,
    paths: Iterable[Path],
    *,
    on_file: Callable[[IngestOutcome], None] | None = None,
    exclude_sha256: set[str] | None = None,
) -> list[IngestOutcome]:
    """Ingest files and folders into the workspace's store and index.

    Each file is read, checked and chunked on its own (a bad file is that file's failure only); the
    chunks of several files are embedded together, which is ~1.5x faster than file by file with the
    local model, and then each file is written to the index and the store. Unchanged files (same path,
    same text, same metadata) do no work; changed files replace their old chunks. ``exclude_sha256`` refuses files
    with those contents (the eval harness passes the gold brief's). Outcomes come in file order.
    """
    settings = services.settings
    max_bytes = int(settings.ingest.max_file_mb * 1_000_000)
    exclude = exclude_sha256 or set()
    outcomes: list[IngestOutcome] = []
    group: list[_Pending] = []

    def emit(outcome: IngestOutcome) -> None:
        outcomes.append(outcome)
        if on_file:
            on_file(outcome)

    def flush() -> None:
        for outcome in _embed_and_write(services, group):
            emit(outcome)
        group.clear()

    for path in discover(paths):
        for prepared in _prepare(services, path, max_bytes, exclude):
            if isinstance(prepared, IngestOutcome):
                flush()  # keep outcomes in file order
                emit(prepared)
                continue
            group.append(prepared)
            if sum(len(p.chunks) for p in group) >= EMBED_GROUP_CHUNKS:
                flush()
    flush()
    return outcomes


def _prepare(services: Services, path: Path, max_bytes: int, exclude: set[str]) -> list[_Pending | IngestOutcome]:
    """The file's own document, then (an e-mail) its attachments', each ready to embed or with its outcome."""
    try:
        found = read_sources(path, max_bytes=max_bytes)
    except IngestError as e:
        return [IngestOutcome(path=str(path), status="failed", error=str(e))]
    base = str(path.resolve())
    if path.suffix.lower() == ".eml":
        _forget_dropped_attachments(services, base, {base + d.path[len(str(path)) :] for d in found})
    out: list[_Pending | IngestOutcome] = []
    for item in found:
        if isinstance(item, AttachmentFailure):
            out.append(IngestOutcome(path=item.path, status="failed", error=item.error))
            continue
        shown = item.path  # the path as given, with ``#attachment`` for an attachment
        key = base + shown[len(str(path)) :]
        out.append(_prepare_document(services, shown, key, item, exclude))
    return out


def _forget_dropped_attachments(services: Services, base: str, keys: set[str]) -> None:
    """An e-mail read again without an attachment it had: that attachment's document goes (unless another file
    holds the same document)."""
    store = services.store
    for key, doc_id in store.attachment_paths(base).items():
        if key in keys:
            continue
        store.forget_path(key)
        if not store.other_paths_for(doc_id, key):
            services.index.delete_document(doc_id)
            store.delete_document(doc_id)


def _prepare_document(
    services: Services, shown: str, key: str, doc: SourceDocument, exclude: set[str]
) -> _Pending | IngestOutcome:
    if doc.sha256 in exclude:
        return IngestOutcome(path=shown, status="skipped", error="excluded (e.g. a gold brief is never a source)")
    doc = doc.model_copy(update={"path": key})
    store = services.store
    previous = store.doc_id_for_path(key)
    stored = store.find_document(doc.id) if previous == doc.id else None
    if stored is not None and _same_metadata(stored, doc):
        return IngestOutcome(path=shown, status="unchanged", doc_id=doc.id, chunks=len(store.chunk_ids_for(doc.id)))
    cfg = services.settings.index
    chunks = chunk_document(doc, size=cfg.chunk_size, overlap=cfg.chunk_overlap)
    return _Pending(
        shown, key, doc, chunks, previous, replaces=previous is not None and (stored is not None or previous != doc.id)
    )


_METADATA = {
    "sha256",  # the file's bytes: an edited front matter is a change even where the text and fields are not
    "title",
    "outlet",
    "author",
    "published",
    "url",
    "content_type",
    "field_sources",
    "pages",
    "attachments",
}


def _same_metadata(a: SourceDocument, b: SourceDocument) -> bool:
    """Same text, same file, same metadata: nothing to do. (A changed sidecar or front matter, or an e-mail that lost
    an attachment, is not.)"""
    return a.model_dump(include=_METADATA) == b.model_dump(include=_METADATA)


def _embed_and_write(services: Services, group: list[_Pending]) -> list[IngestOutcome]:
    if not group:
        return []
    texts = [c.text for p in group for c in p.chunks]
    per_file: list[Any] = []
    try:
        vectors = services.embedder.embed(texts)
        at = 0
        for p in group:
            per_file.append(vectors[at : at + len(p.chunks)])
            at += len(p.chunks)
    except Exception:
        if len(group) == 1:
            per_file = [None]
        else:  # find the file that fails: embed one by one
            return [o for p in group for o in _embed_and_write(services, [p])]
    out: list[IngestOutcome] = []
    for p, vecs in zip(group, per_file, strict=True):
        if vecs is None:
            try:
                vecs = services.embedder.embed([c.text for c in p.chunks])
            except Exception as e:  # an embedding endpoint failure is this file's failure, not the run's
                out.append(
                    IngestOutcome(path=str(p.path), status="failed", doc_id=p.doc.id, error=f"embedding failed: {e}")
                )
                continue
        out.append(_write(services, p, vecs))
    return out


def _write(services: Services, p: _Pending, vectors: Any) -> IngestOutcome:
    """The new version first, then the old one goes: a failure on the way leaves the old version searchable."""
    store, index = services.store, services.index
    new_id = p.previous != p.doc.id and not store.has_document(p.doc.id)
    try:
        index.upsert(p.doc, p.chunks, vectors)
        store.put_document(p.doc, p.chunks, path_key=p.key)
    except Exception as e:  # this file's failure (a full disk, a locked database), not the run's
        if new_id:
            with contextlib.suppress(Exception):
                index.delete_document(p.doc.id)  # no vectors without their store rows
        return IngestOutcome(path=str(p.path), status="failed", doc_id=p.doc.id, error=f"not written: {e}")
    if p.previous and p.previous != p.doc.id and not store.other_paths_for(p.previous, p.key):
        index.delete_document(p.previous)
        store.delete_document(p.previous)
    return IngestOutcome(
        path=str(p.path),
        status="replaced" if p.replaces else "added",
        doc_id=p.doc.id,
        chunks=len(p.chunks),
    )


def reindex(services: Services, *, on_doc: Callable[[IngestOutcome], None] | None = None) -> list[IngestOutcome]:
    """Embed every stored document's chunks again into a fresh collection of the configured embedding model (after
    switching models, or when the index is damaged). The store is not touched."""
    store, index = services.store, services.index
    index.reset()
    outcomes = []
    for doc in store.documents():
        chunks = store.chunks_for(doc.id)
        try:
            index.upsert(doc, chunks, services.embedder.embed([c.text for c in chunks]))
            outcome = IngestOutcome(path=doc.path, status="replaced", doc_id=doc.id, chunks=len(chunks))
        except Exception as e:  # that document's failure; the others go on
            outcome = IngestOutcome(path=doc.path, status="failed", doc_id=doc.id, error=f"not indexed: {e}")
        outcomes.append(outcome)
        if on_doc:
            on_doc(outcome)
    return outcomes
