"""Snapshot tests (pytest-textual-snapshot) of the main screen, the edit dialog, the source view and the sources,
timeline and ACH views at 120×40.

Snapshots live in ``tests/snapshots/``. Regenerate with ``pytest tests/test_tui_snapshots.py --snapshot-update``
only after looking at the new SVGs (open them in a browser, or ``rsvg-convert`` them to PNG).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_textual_snapshot
from textual.pilot import Pilot
from textual.widgets import TextArea

from agent.core.paths import Workspace
from agent.review.session import ReviewSession
from agent.tradecraft.profiles import REGISTRY_FILE
from tests.support.review import FakeBackend, seed_draft
from tui.app import BriefReviewApp

SIZE = (120, 40)
SNAPSHOT_DIR = Path(__file__).parent / "snapshots"


class _SnapshotsHere(pytest_textual_snapshot.SVGImageExtension):
    """Store SVGs under tests/snapshots/<test module>/ instead of syrupy's __snapshots__."""

    @classmethod
    def dirname(cls, *, test_location: Any) -> str:
        return str(SNAPSHOT_DIR / test_location.basename)


@pytest.fixture(autouse=True)
def _snapshot_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pytest_textual_snapshot, "SVGImageExtension", _SnapshotsHere)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[BriefReviewApp]:
    ws = Workspace.at(tmp_path / "ws").ensure()
    draft, docs, chunks = seed_draft()
    session = ReviewSession(ws, draft, reviewer="tester")
    # Some decisions already made, so every badge shows.
    claims = draft.claims()
    session.accept(claims[0].id)
    session.edit(claims[2].id, "Kim Jong Un has pledged to support 'the just cause of the Russian Army'.")
    session.reject(claims[4].id, "no evidence cited")
    yield BriefReviewApp(session, FakeBackend(docs, chunks, ws.exports_dir, ws.root / REGISTRY_FILE))
    session.close()


def test_main_screen(app: BriefReviewApp, snap_compare: Any) -> None:
    """The claims list with badges and counts; the claim under review with its evidence in context."""
    assert snap_compare(app, terminal_size=SIZE)


def test_main_screen_edited_claim(app: BriefReviewApp, snap_compare: Any) -> None:
    """An edited claim: the edit beside the drafted original."""
    assert snap_compare(app, terminal_size=SIZE, press=["j"])


def test_edit_dialog(app: BriefReviewApp, snap_compare: Any) -> None:
    """The multi-line editor with the drafted original above it."""

    async def open_editor(pilot: Pilot[None]) -> None:
        await pilot.press("e")
        pilot.app.screen.query_one(TextArea).cursor_blink = False  # a blinking cursor makes a flaky snapshot
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_editor)


def test_source_view(app: BriefReviewApp, snap_compare: Any) -> None:
    """The whole source document scrolled to the cited span, highlighted."""

    async def open_source(pilot: Pilot[None]) -> None:
        await pilot.press("4", "o")  # a span deep in a long document: the view scrolls to it
        await pilot.pause()
        await pilot.pause()  # the scroll to the span happens after the first refresh

    assert snap_compare(app, terminal_size=SIZE, run_before=open_source)


def test_sources_view(app: BriefReviewApp, snap_compare: Any) -> None:
    """Every source with outlet, type, reliability, credibility, grade and cues; the analyst graded one (B, ✎)."""
    assert snap_compare(app, terminal_size=SIZE, press=["G", "down", "B"])


def test_timeline_view(app: BriefReviewApp, snap_compare: Any) -> None:
    """Dated events in date order, then the contradictions and figure ranges with their sentences."""
    assert snap_compare(app, terminal_size=SIZE, press=["T"])


def test_ach_view(app: BriefReviewApp, snap_compare: Any) -> None:
    """The matrix: the model's marks in parentheses, the analyst's bold; scores, diagnosticity and summary."""
    assert snap_compare(app, terminal_size=SIZE, press=["H", "down", "i", "right", "c"])
