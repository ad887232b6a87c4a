"""The review app: a single :class:`ReviewScreen` over a session, handed its backend.

The app knows nothing of LLMs, indexes or files beyond what :class:`~agent.review.session.ReviewBackend`
offers, so it runs the same over the real pipeline and over an in-memory fake in tests.
"""

from __future__ import annotations

from textual.app import App
from textual.notifications import SeverityLevel

from agent.core.contracts import ReviewEvent
from agent.core.display import printable
from agent.review.session import ReviewBackend, ReviewSession
from tui.keymap import check_keymap
from tui.review_screen import ReviewScreen


class BriefReviewApp(App[None]):
    """Verify a draft claim by claim. ``keys`` remaps bindings by id (``{"accept": "y"}``)."""

    CSS_PATH = "app.tcss"
    TITLE = "Briefwright review"
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, session: ReviewSession, backend: ReviewBackend, keys: dict[str, str] | None = None) -> None:
        super().__init__()
        self.session = session
        self.backend = backend
        self.last_event: ReviewEvent | None = None
        keymap = check_keymap(keys)  # a decision on a key that moves is refused (KeymapError) before anything runs
        if keymap:
            self.set_keymap(keymap)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification is plain text, control codes made visible: messages repeat titles, quotes, file
        names and errors, which come from documents and drafts, so they are never markup."""
        super().notify(printable(message), title=printable(title), severity=severity, timeout=timeout, markup=False)

    def on_mount(self) -> None:
        self.push_screen(ReviewScreen(self.session, self.backend))

    @property
    def review(self) -> ReviewScreen:
        """The main screen (also when a dialog is on top of it)."""
        for screen in self.screen_stack:
            if isinstance(screen, ReviewScreen):
                return screen
        raise LookupError("review screen not mounted")
