"""The engine's services for one workspace, built once and handed to the CLI, the TUI and evals.

Nothing is created at import time. The LLM is started lazily (the embedded server takes seconds),
and everything is closed when the ``open_services`` context ends.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from agent.core.paths import Workspace
from agent.core.settings import Settings
from agent.corpus.embeddings import Embedder, make_embedder
from agent.corpus.index import REINDEX, ChromaIndex, IndexError_, collection_name
from agent.corpus.retrieve import Retriever
from agent.corpus.sentences import SentenceAnalyser
from agent.corpus.store import Store
from agent.llm.seam import LLM


@dataclass
class Services:
    workspace: Workspace
    settings: Settings
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _llm: LLM | None = None

    @cached_property
    def store(self) -> Store:
        store = Store(self.workspace.store_db)
        self._stack.callback(store.close)
        return store

    @cached_property
    def embedder(self) -> Embedder:
        return make_embedder(self.settings.embeddings)

    @cached_property
    def index(self) -> ChromaIndex:
        cfg = self.settings.index
        name = collection_name(
            cfg.collection,
            self.settings.embeddings.model if self.settings.embeddings.provider == "openai" else "minilm-l6-v2-int8",
        )
        if cfg.chroma_url:
            return ChromaIndex(url=cfg.chroma_url, collection=name)
        return ChromaIndex(path=str(self.workspace.chroma_dir), collection=name)

    def check_index(self) -> None:
        """The vector index holds one vector per stored chunk, else :class:`IndexError_` naming the way out (the
        sources were ingested with another embedding model, or the index was damaged or swapped)."""
        chunks, vectors = self.store.count_chunks(), self.index.count()
        if chunks != vectors:
            model = self.settings.embeddings.model if self.settings.embeddings.provider == "openai" else "local MiniLM"
            raise IndexError_(
                f"the index {self.index.name} ({model}) holds {vectors} vectors for {chunks} stored chunks: the "
                f"sources were ingested with another embedding model, or the index is damaged; {REINDEX}"
            )

    @cached_property
    def retriever(self) -> Retriever:
        cfg = self.settings.index
        return Retriever(self.store, self.index, self.embedder, candidates=cfg.candidates, rrf_k=cfg.rrf_k)

    @cached_property
    def analyser(self) -> SentenceAnalyser:
        """Sentences, entities, dates, numbers and sourcing cues (spaCy, loaded on first use)."""
        return SentenceAnalyser()

    _llm_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def llm(self) -> LLM:
        """The configured endpoint, or the embedded llama-server (started on first use, once, even when
        review workers ask for it from several threads)."""
        with self._llm_lock:
            if self._llm is None:
                from agent.llm.runtime import open_llm

                self._llm = self._stack.enter_context(open_llm(self.settings, self.workspace))
            return self._llm

    def use_llm(self, llm: LLM) -> None:
        """Hand in an LLM (tests, or a caller that manages its own)."""
        self._llm = llm

    def close(self) -> None:
        self._stack.close()


@contextlib.contextmanager
def open_services(workspace: Workspace, settings: Settings) -> Iterator[Services]:
    workspace.ensure()
    services = Services(workspace, settings)
    try:
        yield services
    finally:
        services.close()
