"""The real :class:`agent.review.session.ReviewBackend`: the review UI's window onto the engine.

The TUI is handed this object and never imports the LLM client, Chroma or LangChain itself.
"""

from __future__ import annotations

from pathlib import Path

from agent.core.claims import Grader
from agent.core.contracts import Chunk, Claim, Draft, SourceDocument, SourceProfile
from agent.drafting.analysis import grading_for, is_graded
from agent.drafting.redraft import redraft_claim
from agent.export.render import export_brief
from agent.services import Services
from agent.tradecraft.profiles import REGISTRY_FILE, Registry, apply_grades, set_document


class ServicesBackend:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._graders: dict[str, Grader] = {}  # per draft: its sources analysed once per session, not per redraft

    def document(self, doc_id: str) -> SourceDocument:
        return self.services.store.get_document(doc_id)

    def chunk(self, chunk_id: str) -> Chunk:
        return self.services.store.get_chunk(chunk_id)

    def evidence(self, section_key: str, draft: Draft) -> list[Chunk]:
        ids = draft.section(section_key).evidence_chunk_ids
        chunks = self.services.store.get_chunks(ids)
        return [chunks[i] for i in ids if i in chunks]

    def redraft_claim(self, draft: Draft, claim: Claim, guidance: str) -> Claim:
        # the draft's sentences, analysed once per session: every redraft selects from them and is graded over them
        if draft.id not in self._graders:
            self._graders[draft.id] = grading_for(self.services, draft, self.services.workspace.root)
        new, _usage = redraft_claim(self.services, draft, claim, guidance, self._graders[draft.id])
        return new

    def grader(self, draft: Draft) -> Grader | None:
        if not is_graded(draft):
            return None
        if draft.id not in self._graders:
            self._graders[draft.id] = grading_for(self.services, draft, self.services.workspace.root)
        return self._graders[draft.id]

    def export(self, draft: Draft, fmt: str, include_pending: bool) -> Path:
        return export_brief(
            draft, self.services.workspace, self.services.store.find_document, fmt, include_pending=include_pending
        )

    @property
    def registry_file(self) -> Path:
        return self.services.workspace.root / REGISTRY_FILE

    def source_profiles(self, draft: Draft) -> list[SourceProfile]:
        return apply_grades(draft.profiles, Registry.load(self.registry_file))

    def set_source_grade(self, doc_id: str, *, reliability: str | None = None, type: str | None = None) -> None:
        set_document(self.registry_file, doc_id, reliability=reliability, type=type)
        self._graders.clear()  # grades changed: the next redraft is graded under them
