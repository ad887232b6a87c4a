"""Text is text on output: whatever a document, a draft or a setting holds — terminal escape sequences, bidi
overrides, Rich markup — the CLI and the TUI show it as characters, never act on it, and never crash on it.
These hold for data already stored, whatever ingest made of it (the store is edited directly here)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from agent.cli.main import main
from agent.core.display import printable, safe
from agent.services import Services

HOSTILE_TITLE = "Report \x1b]0;pwned\x07\x1b[2J [link=http://evil.example/]click[/link] [/] \u202eevil\u202c \x9b31m"


def _harmless(text: str) -> None:
    for bad in ("\x1b", "\x07", "\u202e", "\u202c", "\x9b", "\x00"):
        assert bad not in text, (bad, text)


def test_printable_and_safe() -> None:
    shown = printable(HOSTILE_TITLE)
    _harmless(shown)
    assert "␛]0;pwned" in shown and "\ufffdevil\ufffd" in shown  # visible, not silently gone
    assert len(shown) == len(HOSTILE_TITLE)  # one for one: offsets of quoted spans still hold
    assert printable("tab\tand\nnewline\r\n") == "tab\tand\nnewline␍\n"
    from rich.console import Console

    console = Console(record=True, width=200, force_terminal=False)
    message = "bad section [llm] and [[outlet]] and [/] and a\\"
    console.print(f"[red]error:[/] {safe(message)}")
    out = console.export_text()
    assert "error: bad section [llm] and [[outlet]] and [/] and a\\" in out


def _poison(ws_root: Path) -> str:
    """Give the first stored document a hostile title and outlet, straight in the store."""
    db = sqlite3.connect(ws_root / "store.sqlite3")
    try:
        doc_id = db.execute("SELECT id FROM documents ORDER BY path LIMIT 1").fetchone()[0]
        db.execute(
            "UPDATE documents SET title = ?, outlet = ? WHERE id = ?",
            (HOSTILE_TITLE, "[bold]Outlet \x1b]0;x\x07", doc_id),
        )
        db.commit()
    finally:
        db.close()
    return str(doc_id)


def test_status_and_search_show_hostile_titles_as_text(
    services: Services, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # tables keep the title on one line
    root = services.workspace.root
    _poison(root)
    assert main(["-w", str(root), "status"]) == 0
    out = capsys.readouterr().out
    _harmless(out)
    assert "[link=http://evil.example/]click[/link] [/]" in out  # shown literally: no link, no MarkupError
    assert "[bold]Outlet" in out
    assert main(["-w", str(root), "search", "troops", "-k", "40", "--mode", "keyword"]) == 0
    out = capsys.readouterr().out
    _harmless(out)
    assert "[link=http://evil.example/]" in out


def test_error_messages_keep_their_brackets(services: Services, capsys: pytest.CaptureFixture[str]) -> None:
    root = services.workspace.root
    (root / "sources.toml").write_text('[[outlet]]\ntype = "wire"\n')
    assert main(["-w", str(root), "sources"]) == 1
    err = capsys.readouterr().err
    assert "[[outlet]] number 1 has no name" in err, err


def test_timeline_sources_and_contradictions_show_hostile_titles_as_text(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    root = services.workspace.root
    _poison(root)
    for command in ("sources", "timeline", "contradictions"):
        assert main(["-w", str(root), command]) == 0, command
        _harmless(capsys.readouterr().out)


# --------------------------------------------------------------------------- the review UI


async def test_the_review_ui_shows_hostile_text_as_text(tmp_path: Path) -> None:
    """Topic, claim text and labels (ACH column headers), source titles and quotes: shown, never acted on."""
    from agent.core.paths import Workspace
    from agent.review.session import ReviewSession
    from agent.tradecraft.profiles import REGISTRY_FILE
    from tests.support.review import FakeBackend, seed_draft
    from tui.app import BriefReviewApp
    from tui.detail import DetailView

    ws = Workspace.at(tmp_path / "ws").ensure()
    draft, docs, chunks = seed_draft()
    draft.topic = HOSTILE_TITLE
    first = draft.sections[0].claims[0]
    first.text = f"{HOSTILE_TITLE} {first.text}"
    for claim in draft.claims():
        if claim.section == "hypotheses" and claim.label:
            claim.label = f"{claim.label} [/] [bold]\x1b[2J"
    cited = first.citations[0].doc_id
    docs = [d.model_copy(update={"title": HOSTILE_TITLE}) if d.id == cited else d for d in docs]
    backend = FakeBackend(docs, chunks, ws.exports_dir, ws.root / REGISTRY_FILE)
    with ReviewSession(ws, draft, reviewer="tester") as session:
        app = BriefReviewApp(session, backend)
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            pane = app.review.query_one(DetailView).plain_text()
            assert "␛]0;pwned" in pane and "[link=http://evil.example/]click[/link] [/]" in pane
            screens = [app.export_screenshot()]
            for key in ("o", "escape", "G", "escape", "T", "escape", "H"):
                await pilot.press(key)
                await pilot.pause()
                screens.append(app.export_screenshot())
            from textual.widgets import DataTable

            headers = [c.label.plain for c in app.screen.query_one(DataTable).columns.values()]
            assert any(h.endswith("[/] [bold]␛[2J") for h in headers), headers  # the ACH header, as written
            for svg in screens:
                _harmless(svg)
            assert app.is_running  # no MarkupError took it down


async def test_notifications_are_plain_text_whoever_sends_them(tmp_path: Path) -> None:
    """A notification repeats file names, titles and errors: the app and its screens post it as plain text with
    control codes made visible, never as markup (planted: the app's notify passing markup through fails this)."""
    from agent.core.paths import Workspace
    from agent.review.session import ReviewSession
    from agent.tradecraft.profiles import REGISTRY_FILE
    from tests.support.review import FakeBackend, seed_draft
    from tui.app import BriefReviewApp

    ws = Workspace.at(tmp_path / "ws").ensure()
    draft, docs, chunks = seed_draft()
    backend = FakeBackend(docs, chunks, ws.exports_dir, ws.root / REGISTRY_FILE)
    with ReviewSession(ws, draft, reviewer="tester") as session:
        app = BriefReviewApp(session, backend)
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            app.review.notify(f"exported {HOSTILE_TITLE}", markup=True)
            app.notify("[bold]x[/bold] \x1b[2J", title="\x1b]0;t\x07")
            await pilot.pause()
            posted = list(app._notifications)
            assert [n.markup for n in posted] == [False, False]
            assert all("\x1b" not in n.message and "\x1b" not in n.title for n in posted)
            assert "[bold]x[/bold] ␛[2J" in posted[1].message
            assert app.is_running
