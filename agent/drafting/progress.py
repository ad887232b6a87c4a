"""Progress of a draft, for display (the CLI's bars, the eval runner); light to import: nothing of drafting."""

from __future__ import annotations

from agent.core.contracts import SectionDraft


class DraftProgress:
    """Callbacks for progress display; the default does nothing."""

    def section_started(self, key: str, title: str, index: int, total: int) -> None: ...

    def section_finished(self, section: SectionDraft) -> None: ...
