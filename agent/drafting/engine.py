"""What drafting needs of the composition root (:class:`agent.services.Services` has it): the parts, not the root."""

from __future__ import annotations

from typing import Protocol

from agent.core.paths import Workspace
from agent.core.settings import Settings
from agent.corpus.embeddings import Embedder
from agent.corpus.index import ChromaIndex
from agent.corpus.retrieve import Retriever
from agent.corpus.sentences import SentenceAnalyser
from agent.corpus.store import Store
from agent.llm.seam import LLM


class Engine(Protocol):
    """The workspace, its store and indexes, the sentence analyser and the model, as drafting uses them."""

    @property
    def workspace(self) -> Workspace: ...
    @property
    def store(self) -> Store: ...
    @property
    def retriever(self) -> Retriever: ...
    @property
    def index(self) -> ChromaIndex: ...
    @property
    def embedder(self) -> Embedder: ...
    @property
    def llm(self) -> LLM: ...
    @property
    def analyser(self) -> SentenceAnalyser: ...
    @property
    def settings(self) -> Settings: ...
