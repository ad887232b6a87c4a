"""Briefwright's terminal UI for reviewing drafts (Textual). Depends on ``agent``; never the reverse."""

from __future__ import annotations

from agent.review.session import ReviewBackend, ReviewSession


def run_review(session: ReviewSession, backend: ReviewBackend, keys: dict[str, str] | None = None) -> None:
    """Run the review app in the terminal until the reviewer quits. The caller closes the session."""
    from tui.app import BriefReviewApp  # Textual is imported only when the UI is actually run

    BriefReviewApp(session, backend, keys).run()


__all__ = ["run_review"]
