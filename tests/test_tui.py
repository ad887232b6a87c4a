"""Pilot tests of the review app: real key presses, assertions on the journal on disk.

The backend is the in-memory fake (no LLM, no index): redraft returns a visibly changed claim.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console
from textual.geometry import Region
from textual.widgets import DataTable, Input, SelectionList, Static, TextArea

from agent.core.contracts import Chunk, Draft, SourceDocument
from agent.core.paths import PROJECT_ROOT, Workspace
from agent.review.session import ReviewSession
from agent.tradecraft.profiles import REGISTRY_FILE, Registry, set_document
from tests.support.review import FakeBackend, seed_draft
from tui.ach_view import AchScreen
from tui.app import BriefReviewApp
from tui.claim_list import ClaimList
from tui.detail import DetailView
from tui.modals import AddClaimDialog, EditDialog, HelpScreen, RedraftDialog, TextPrompt
from tui.source import SourceScreen
from tui.sources_view import SourcesScreen
from tui.timeline_view import TimelineScreen

SIZE = (120, 40)


@dataclass
class Env:
    ws: Workspace
    draft: Draft
    docs: list[SourceDocument]
    chunks: list[Chunk]
    session: ReviewSession
    backend: FakeBackend

    def app(self, keys: dict[str, str] | None = None) -> BriefReviewApp:
        return BriefReviewApp(self.session, self.backend, keys)

    def journal(self) -> list[dict]:
        path = self.ws.journal_file(self.draft.id)
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    def actions(self) -> list[str]:
        return [e["action"] for e in self.journal()]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    ws = Workspace.at(tmp_path / "ws").ensure()
    draft, docs, chunks = seed_draft()
    session = ReviewSession(ws, draft, reviewer="tester")
    yield Env(ws, draft, docs, chunks, session, FakeBackend(docs, chunks, ws.exports_dir, ws.root / REGISTRY_FILE))
    session.close()


def shown(app: BriefReviewApp) -> list[str]:
    return app.review.query_one(ClaimList).claim_ids()


def progress(app: BriefReviewApp) -> str:
    return text_of(app, "#progress")


def detail(app: BriefReviewApp) -> str:
    """The claim-and-evidence pane as plain text, lines joined with spaces (quotes wrap across lines)."""
    return " ".join(app.review.query_one(DetailView).plain_text().split())


def text_of(app: BriefReviewApp, selector: str) -> str:
    """What a widget shows on screen, as plain text (wrapped lines joined with spaces)."""
    widget = app.review.query_one(selector)
    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return " ".join(" ".join(line.text.split()) for line in lines)


# --------------------------------------------------------------------------- what is shown


async def test_claim_and_its_evidence_in_context(env: Env) -> None:
    claim = env.draft.claims()[0]
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        panel = detail(app)
        assert "BLUF (Bottom Line Up Front)" in panel and "pending" in panel and "Likely · moderate confidence" in panel
        evidence = detail(app)
        assert "Implications of North Korean Support for Russia" in evidence
        assert "Foreign Policy Review" in evidence and "2025-03-24" in evidence
        assert " ".join(claim.citations[0].quote.split()) in evidence
        assert "Most pertinently," in evidence  # the sentence before the quote: context, not just the quote
        await pilot.press("j")  # a flagged claim shows its flag
        assert "single-source" in detail(app)


async def test_what_drafting_left_out_and_code_written_claims_are_shown(tmp_path: Path) -> None:
    """Parts left to the analyst are listed under the section's claims; a claim written by code says so instead
    of "No evidence"; a judgment shows its likelihood."""
    ws = Workspace.at(tmp_path / "ws2").ensure()
    draft, docs, chunks = seed_draft()
    bluf = draft.sections[0]
    bluf.skipped = ["Best: left to the analyst (needs a capable model); its evidence: “Troops…”"]
    bluf.claims[0].likelihood = "likely"
    computed = bluf.claims[0].model_copy(update={"id": "computed1", "citations": [], "origin": "computed"})
    bluf.claims.insert(1, computed)
    session = ReviewSession(ws, draft, reviewer="tester")
    app = BriefReviewApp(session, FakeBackend(docs, chunks, ws.exports_dir))
    try:
        async with app.run_test(size=SIZE) as pilot:
            panel = detail(app)
            assert "Likely · moderate confidence" in panel
            assert "Left out of this section" in panel and "Best: left to the analyst" in panel
            assert "◌1" in text_of(app, "ClaimList")  # the section's header counts what was left out
            await pilot.press("j")
            panel = detail(app)
            assert "Written by code" in panel and "No evidence" not in panel
    finally:
        session.close()


# --------------------------------------------------------------------------- decisions


async def test_deciding_the_last_claim_shows_its_new_state(env: Env) -> None:
    """Found by reviewing a whole draft: after the last claim was accepted, its pane still said "pending"."""
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        last = shown(app)[-1]
        app.review.select(last)
        await pilot.press("a")
        assert app.review.current == last
        assert "accepted" in detail(app) and "pending" not in detail(app).split("Evidence")[0]


async def test_accept_writes_the_journal_and_moves_on(env: Env) -> None:
    first, second = env.draft.claims()[:2]
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        assert app.review.current == first.id
        await pilot.press("a")
        assert app.review.current == second.id
        assert "1 of 14 reviewed" in progress(app)
    [event] = env.journal()
    assert (event["action"], event["claim_id"], event["after"]["status"], event["reviewer"]) == (
        "accept",
        first.id,
        "accepted",
        "tester",
    )


async def test_edit_dialog_saves_the_edit_beside_the_original(env: Env) -> None:
    claim = env.draft.claims()[0]
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        assert isinstance(app.screen, EditDialog)
        app.screen.query_one(TextArea).text = "North Korea's support for Russia is deepening (moderate confidence)."
        await pilot.press("ctrl+s")
        assert not isinstance(app.screen, EditDialog)
    [event] = env.journal()
    assert event["action"] == "edit"
    assert event["after"]["edited_text"] == "North Korea's support for Russia is deepening (moderate confidence)."
    assert event["after"]["text"] == claim.text


async def test_edit_by_keys_clear_and_retype(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", "ctrl+l", *"Moderate confidence overall.", "ctrl+s")
        assert not isinstance(app.screen, EditDialog)
    [event] = env.journal()
    assert event["after"]["edited_text"] == "Moderate confidence overall."


async def test_edit_cancel_and_unchanged_write_nothing(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", "escape")
        await pilot.press("e", "ctrl+s")  # saved without a change: nothing to record
        await pilot.pause()
        assert not isinstance(app.screen, EditDialog)
    assert env.journal() == []


async def test_reject_with_a_reason(env: Env) -> None:
    claim = env.draft.claims()[0]
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"state media only", "enter")
    [event] = env.journal()
    assert (event["action"], event["claim_id"], event["note"]) == ("reject", claim.id, "state media only")
    assert event["after"]["reviewer_note"] == "state media only"


async def test_reject_without_a_reason_and_escape_cancels(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r", "escape")
        assert env.journal() == []
        await pilot.press("r", "enter")
    assert env.actions() == ["reject"] and env.journal()[0]["note"] is None


async def test_note(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", *"verify figure", "enter")
    [event] = env.journal()
    assert event["action"] == "note" and event["after"]["reviewer_note"] == "verify figure"
    assert event["after"]["status"] == "pending"


async def test_undo_and_redo_from_the_keyboard(env: Env) -> None:
    first = env.draft.claims()[0]
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "u")
        assert env.session.claim(first.id).status == "pending"
        assert app.review.current == first.id  # undo brings the claim back into view
        await pilot.press("ctrl+y")
        assert env.session.claim(first.id).status == "accepted"
        await pilot.press("ctrl+z")
        await pilot.press("u")  # nothing left: a notification, not a crash
    assert env.actions() == ["accept", "undo", "redo", "undo"]


async def test_reset_to_pending(env: Env) -> None:
    first = env.draft.claims()[0]
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "k", "p")
        assert env.session.claim(first.id).status == "pending"
    assert env.actions() == ["accept", "reset"]


async def test_filter_cycles_pending_flagged_rejected_all(env: Env) -> None:
    claims = env.draft.claims()
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")  # accept claim 1
        await pilot.press("r", "enter")  # reject claim 2
        await pilot.press("f")
        assert app.review.filter == "pending"
        assert shown(app) == [c.id for c in claims[2:]]
        await pilot.press("f")
        assert shown(app) == [c.id for c in claims if c.flags]
        await pilot.press("f")
        assert shown(app) == [claims[1].id] and app.review.current == claims[1].id
        await pilot.press("f")
        assert shown(app) == [c.id for c in claims]
        assert "filter: all" in progress(app)


async def test_navigation_next_prev_next_pending_and_jump(env: Env) -> None:
    claims = env.draft.claims()
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "down")
        assert app.review.current == claims[2].id
        await pilot.press("k")
        assert app.review.current == claims[1].id
        await pilot.press("a")  # claim 1 accepted, cursor on claim 2
        await pilot.press("k", "k", "tab")  # from claim 0 (pending) the next pending is claim 2
        assert app.review.current == claims[2].id
        await pilot.press("3")
        assert app.review.current == env.draft.section("assumptions").claims[0].id
        await pilot.press("space")
        assert app.review.current == env.draft.section("assumptions").claims[1].id


async def test_search(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"kim", "enter")
        assert [env.session.claim(i).label for i in shown(app)] == ["Hypothesis A", "Kim Jong Un"]
        await pilot.press("slash")
        app.screen.query_one(Input).value = ""
        await pilot.press("enter")
        assert len(shown(app)) == 14


async def test_click_selects_a_claim(env: Env) -> None:
    target = env.draft.section("entities").claims[1]
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        claim_list = app.review.query_one(ClaimList)
        row = claim_list.row_of(target.id)
        assert row is not None
        assert await pilot.click(ClaimList, offset=(6, row))
        assert app.review.current == target.id
        await pilot.press("a")
    assert env.journal()[0]["claim_id"] == target.id


async def test_keys_are_remapped_from_settings(env: Env) -> None:
    app = env.app(keys={"accept": "y", "next": "l"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")  # no longer bound
        assert env.journal() == []
        await pilot.press("l", "y")
    [event] = env.journal()
    assert event["claim_id"] == env.draft.claims()[1].id


# --------------------------------------------------------------------------- redraft


async def test_redraft_runs_in_a_worker_and_the_reviewer_takes_it(env: Env) -> None:
    claims = env.draft.claims()
    env.backend.redraft_gate = threading.Event()
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R", *"hedge the figure", "enter")
        # The model is still "thinking": the UI keeps answering keys.
        await pilot.press("j")
        assert app.review.current == claims[1].id
        assert "redrafting 1" in progress(app)
        env.backend.redraft_gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, RedraftDialog)
        assert app.screen.new.text.endswith("(Revised: hedge the figure)")
        await pilot.press("t")
        assert not isinstance(app.screen, RedraftDialog)
    assert env.backend.redraft_calls == [(claims[0].id, "hedge the figure")]
    [event] = env.journal()
    assert event["action"] == "redraft" and event["claim_id"] == claims[0].id
    assert event["after"]["text"] == claims[0].text + " (Revised: hedge the figure)"
    assert event["after"]["status"] == "pending" and event["after"]["origin"] == "redrafted"


async def test_redraft_a_section_asks_for_each_pending_claim(env: Env) -> None:
    section = env.draft.sections[1]  # Competing Hypotheses
    first, second = section.claims[0].id, section.claims[1].id
    env.session.edit(first, "An analyst's own wording of the first hypothesis.")  # decided claims: S leaves them
    env.session.reject(second, "not a hypothesis")
    claims = env.session.claims(section.key)
    pending = [c.id for c in claims if c.status == "pending"]
    assert len(pending) >= 1
    decided = {c.id: c.model_dump_json() for c in claims if c.status != "pending"}
    assert len(decided) == 2
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "S", *"weigh the sources", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        taken = 0
        while isinstance(app.screen, RedraftDialog):
            await pilot.press("t")
            await pilot.pause()
            taken += 1
        assert taken == len(pending)
    assert [c for c, _ in env.backend.redraft_calls] == pending
    events = env.journal()
    assert [e["action"] for e in events][2:] == ["redraft"] * len(pending)
    assert sorted(e["claim_id"] for e in events[2:]) == sorted(pending)
    # every decided claim of the section is left byte for byte as it was: text, citations, status, note
    after = {c.id: c.model_dump_json() for c in env.session.current_draft().section(section.key).claims}
    assert {i: after[i] for i in decided} == decided


async def test_redraft_kept_old_writes_nothing(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, RedraftDialog)
        await pilot.press("k")
    assert env.journal() == []


async def test_redraft_failure_is_a_notification(env: Env) -> None:
    env.backend.fail_redraft = "endpoint unreachable"
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("endpoint unreachable" in n.message for n in app._notifications)
        assert app.review.redrafting == set()
        await pilot.press("a")  # still working
    assert env.actions() == ["accept"]


# --------------------------------------------------------------------------- add, export, source, help, read-only


async def test_add_claim_without_evidence_is_flagged(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus")
        assert isinstance(app.screen, AddClaimDialog)
        await pilot.press(*"Russia supplies oil", "ctrl+s")
        await pilot.pause()
    [event] = env.journal()
    assert event["action"] == "add" and event["section"] == "bluf"
    assert event["after"]["flags"] == ["manual", "unsupported"] and event["after"]["citations"] == []


async def test_undo_of_an_added_claim_removes_it_from_the_list(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus", *"Russia supplies oil", "ctrl+s")
        await pilot.pause()
        added = env.journal()[0]["claim_id"]
        assert app.review.current == added and added in shown(app)
        await pilot.press("u")
        assert added not in shown(app) and app.review.current in shown(app)
        await pilot.press("ctrl+y")
        assert app.review.current == added
    assert env.actions() == ["add", "undo", "redo"]


async def test_add_claim_with_picked_evidence(env: Env) -> None:
    evidence = env.backend.evidence("bluf", env.draft)
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus", *"Troops deployed to Kursk")
        selection = app.screen.query_one(SelectionList)
        selection.focus()
        await pilot.press("space")  # tick the first chunk
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()  # the draft's grader is fetched in a thread
        await pilot.pause()
        new_id = env.journal()[0]["claim_id"]
        assert new_id in shown(app)
    cit = env.journal()[0]["after"]["citations"][0]
    chunk = evidence[0]
    assert (cit["chunk_id"], cit["start"], cit["end"]) == (chunk.id, chunk.start, chunk.end)
    doc = next(d for d in env.docs if d.id == chunk.doc_id)
    assert doc.text[cit["start"] : cit["end"]] == cit["quote"]


async def test_export_notifies_the_path(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "x")
        await app.workers.wait_for_complete()
        await pilot.pause()
        path = env.ws.exports_dir / f"{env.draft.id}.md"
        assert any(str(path) in n.message for n in app._notifications)
    assert env.backend.exports == [("md", False)]
    assert env.draft.claims()[0].text in path.read_text(encoding="utf-8")
    assert env.draft.claims()[1].text not in path.read_text(encoding="utf-8")  # pending claims stay out


async def test_open_source_scrolls_to_the_span_and_closes(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SourceScreen)
        target = screen.query_one(".-target")
        cit = env.draft.claims()[0].citations[0]
        assert cit.quote in str(target.render())
        await pilot.press("n")
        assert screen.index == 1
        await pilot.press("escape")
        assert not isinstance(app.screen, SourceScreen)


async def test_help_lists_remapped_keys(env: Env) -> None:
    app = env.app(keys={"accept": "y"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert ("y", "Accept", "accept") in app.screen.rows
        await pilot.press("escape")


async def test_read_only_session_refuses_decisions_with_a_notification(env: Env) -> None:
    env.session.close()
    with ReviewSession(env.ws, env.draft, reviewer="tester", read_only=True) as ro:
        app = BriefReviewApp(ro, env.backend)
        async with app.run_test(size=SIZE) as pilot:
            assert app.review.sub_title == "read-only"
            await pilot.press("a")
            assert any("read-only" in n.message for n in app._notifications)
            assert app.review.current == env.draft.claims()[0].id
    assert env.journal() == []


async def test_missing_source_is_shown_not_raised(env: Env) -> None:
    env.backend.docs.clear()
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        assert "unavailable" in detail(app)
        await pilot.press("o")
        assert not isinstance(app.screen, SourceScreen)
        await pilot.press("a")
    assert env.actions() == ["accept"]


# --------------------------------------------------------------------------- a kill -9 loses nothing

_CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from agent.core.paths import Workspace
    from agent.review.session import ReviewSession
    from tests.support.review import FakeBackend, seed_draft
    from tui.app import BriefReviewApp

    async def main() -> None:
        ws = Workspace.at(sys.argv[1])
        draft, docs, chunks = seed_draft(repeat=4)
        session = ReviewSession(ws, draft, reviewer="killed")
        app = BriefReviewApp(session, FakeBackend(docs, chunks))
        async with app.run_test(size=(120, 40)) as pilot:
            print("READY", flush=True)
            for n in range(10_000):
                await pilot.press("a" if n % 3 else "r", *(() if n % 3 else ("enter",)))
                # "confirmed" = the app has shown the decision as done
                print("CONFIRMED", app.last_event.id, app.last_event.claim_id, flush=True)

    asyncio.run(main())
    """
)


def test_sigkill_mid_session_loses_no_confirmed_decision(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws").ensure()
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(ws.root)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    confirmed: list[tuple[str, str]] = []
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "READY", proc.stderr.read() if proc.stderr else ""
        while len(confirmed) < 15:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "child died"
            _, event_id, claim_id = line.split()
            confirmed.append((event_id, claim_id))
        os.kill(proc.pid, signal.SIGKILL)  # mid-stream: the child is still deciding
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    draft = seed_draft(repeat=4)[0]
    with ReviewSession(ws, draft, reviewer="after") as session:  # the dead child's lock is taken over
        journal_ids = [e.id for e in session.history()]
        for event_id, claim_id in confirmed:
            assert event_id in journal_ids
            assert session.claim(claim_id).status in ("accepted", "rejected")
        assert session.counts().reviewed >= len(confirmed)


async def test_torn_journal_is_reported_on_open(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws").ensure()
    draft, docs, chunks = seed_draft()
    with ReviewSession(ws, draft, reviewer="tester") as s:
        s.accept(draft.claims()[0].id)
    path = ws.journal_file(draft.id)
    path.write_bytes(path.read_bytes() + b'{"action": "acc')  # a crash mid-write
    with ReviewSession(ws, draft, reviewer="tester") as session:
        app = BriefReviewApp(session, FakeBackend(docs, chunks))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert any("incomplete last line" in n.message for n in app._notifications)
            assert "1 of 14 reviewed" in progress(app)


# --------------------------------------------------------------------------- tradecraft: sources, timeline, ACH


def seed_doc(env: Env, number: str) -> SourceDocument:
    return next(d for d in env.docs if Path(d.path).name.startswith(number))


def cell(screen: SourcesScreen | TimelineScreen | AchScreen, row: str, column: str) -> str:
    return str(screen.query_one(DataTable).get_cell(row, column))


def static(screen: SourcesScreen | TimelineScreen | AchScreen, selector: str) -> str:
    """What a Static of a view holds, as plain text with whitespace folded (wide: no wrapping)."""
    console = Console(width=400, file=io.StringIO(), record=True, color_system=None)
    console.print(screen.query_one(selector, Static).content)
    return " ".join(console.export_text().split())


def column(screen: SourcesScreen | TimelineScreen | AchScreen, key: str) -> list[str]:
    return [str(c) for c in screen.query_one(DataTable).get_column(key)]


async def test_claim_pane_shows_sourcing_credibility_cues_and_grades(env: Env) -> None:
    """Per claim: independent sources, credibility with its term, cues, the estimate; per citation the source's
    grade, with a grade the analyst set after drafting (sources.toml) applied."""
    set_document(env.ws.root / REGISTRY_FILE, seed_doc(env, "004").id, reliability="B")  # `brief sources set`
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        panel = detail(app)
        assert "2 independent sources · Credibility 2 (probably true)" in panel
        assert "Likely · moderate confidence" in panel and "⚑ contradicted" in panel
        assert "Foreign Policy Review · 2025-03-24 · C3" in panel  # from the registry
        assert "Boundless Discovery · 2025-01-14 · B3" in panel  # the analyst's B, not the drafted F
        await pilot.press("3")  # Bias & Deception Risks: anonymous / state-media sourcing
        panel = detail(app)
        assert "1 independent source · Credibility 4 (doubtful) · cues: anonymous, state-media" in panel
        assert "Regional Affairs Daily · 2025-12-27 · F4" in panel


async def test_sources_view_sets_reliability_and_type_in_sources_toml(env: Env) -> None:
    doc = seed_doc(env, "001")
    registry = env.ws.root / REGISTRY_FILE
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("G")
        screen = app.screen
        assert isinstance(screen, SourcesScreen)
        assert len(screen.query_one(DataTable).rows) == 4
        assert cell(screen, doc.id, "Grade") == "F4" and "F cannot be judged" in cell(screen, doc.id, "Reliability")
        assert "anon 2" in cell(screen, doc.id, "Cues") and cell(screen, doc.id, "Weak") == "⚠"
        assert "Sources close to the Russian military" in static(screen, "#sources-detail")
        await pilot.press("B")
        assert Registry.load(registry).documents[doc.id].reliability == "B"  # on disk, read back
        assert cell(screen, doc.id, "Grade") == "B4" and "B usually reliable" in cell(screen, doc.id, "Reliability")
        await pilot.press("t")  # newspaper -> the next type
        assert Registry.load(registry).documents[doc.id].type == "state-media"
        assert cell(screen, doc.id, "Type") == "state-media"
        await pilot.press("down", "c")  # lower case works too, on the row now highlighted
        assert Registry.load(registry).documents[seed_doc(env, "002").id].reliability == "C"
        await pilot.press("escape")
        assert not isinstance(app.screen, SourcesScreen)
        await pilot.press("2")  # Hypothesis A cites 001: its evidence shows the new grade
        assert "Regional Affairs Daily · 2025-12-27 · B4" in detail(app)
    assert env.journal() == []  # grades are the registry's, not review decisions


async def test_sources_view_unreadable_registry_is_a_notification(env: Env) -> None:
    registry = env.ws.root / REGISTRY_FILE
    registry.write_text("[documents\nbroken", encoding="utf-8")
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        assert any("Cannot read the source registry" in n.message for n in app._notifications)
        await pilot.press("G", "B")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SourcesScreen)
        assert any("Grade not saved" in n.message and "not valid TOML" in n.message for n in app._notifications)
        assert cell(screen, seed_doc(env, "001").id, "Grade") == "F4"  # as drafted
    assert registry.read_text(encoding="utf-8") == "[documents\nbroken"  # nothing lost


async def test_timeline_in_date_order_opens_the_cited_sentence(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("T")
        screen = app.screen
        assert isinstance(screen, TimelineScreen)
        assert column(screen, "date") == ["2024-06", "2024-08", "2024-11", "2024-12", "2024-12-03"]
        assert column(screen, "event")[1] == "Ukrainian forces invaded the Kursk region of Russia."
        checks = static(screen, "#timeline-checks")
        assert (
            "Contradictions (1)" in checks and "North Korean troops in battle in Kursk — 2024-11 vs 2024-12" in checks
        )
        assert "North Korean soldiers killed: 1,100–3,000" in checks and "“more than 10,000 troops”" in checks
        await pilot.press("down", "enter")
        await pilot.pause()
        source = app.screen
        assert isinstance(source, SourceScreen)
        target = str(source.query_one(".-target").render())
        assert "The invasion of the Kursk region in Russia by Ukrainian forces in August of last year" in target
        assert "Foreign Policy Review · 2025-03-24 · C3" in str(source.query_one("#source-header", Static).content)
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("escape")
        assert not isinstance(app.screen, TimelineScreen)


async def test_ach_marks_are_journaled_undone_and_survive_a_new_session(env: Env) -> None:
    m = env.draft.ach
    assert m is not None
    h_a, h_b = m.hypotheses
    e1, e2 = m.evidence[0].id, m.evidence[1].id
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("H")
        screen = app.screen
        assert isinstance(screen, AchScreen)
        table = screen.query_one(DataTable)
        assert [str(c.label) for c in table.columns.values()][2:4] == ["Hypothesis A", "Hypothesis B"]
        assert cell(screen, e1, "source") == "Foreign Policy Review C3"
        assert (cell(screen, e1, h_a), cell(screen, e1, h_b), cell(screen, e2, h_a)) == ("(C)", "(I)", "·")
        assert cell(screen, e1, "diagnostic") == "yes"
        assert cell(screen, "score.inconsistent", h_a) == "0" and cell(screen, "score.inconsistent", h_b) == "1"
        await pilot.press("down", "i")  # (evidence 2, Hypothesis A): inconsistent
        assert cell(screen, e2, h_a) == "I"
        await pilot.press("right", "c")  # (evidence 2, Hypothesis B): consistent
        assert cell(screen, e2, h_b) == "C" and cell(screen, e2, "diagnostic") == "yes"
        assert cell(screen, "score.inconsistent", h_a) == "1"
        summary = static(screen, "#ach-detail")
        assert "does not yet discriminate" in summary and "4 of 8 cells marked" in summary
        await pilot.press("down", "n", "space")  # marked, then cleared
        assert cell(screen, m.evidence[2].id, h_b) == "·"
        await pilot.press("u")  # undo the clearing
        assert cell(screen, m.evidence[2].id, h_b) == "N"
        await pilot.press("u")  # undo the N
        assert cell(screen, m.evidence[2].id, h_b) == "·"
        await pilot.press("up", "left", "c")  # Hypothesis A: inconsistent -> consistent
        summary = static(screen, "#ach-detail")
        assert "ACH: Hypothesis A is the least inconsistent" in summary
        await pilot.press("escape")
        assert not isinstance(app.screen, AchScreen)
    assert env.actions() == ["ach", "ach", "ach", "ach", "undo", "undo", "ach"]
    assert env.journal()[0]["cell_after"] == {"hypothesis": h_a, "evidence": e2, "mark": "I", "by": "analyst"}
    env.session.close()  # as after a crash: a new session from the same files
    with ReviewSession(env.ws, env.draft, reviewer="tester") as again:
        after = again.current_draft().ach
        assert after is not None
        assert (after.cell(h_a, e2).mark, after.cell(h_b, e2).mark, after.cell(h_b, m.evidence[2].id).mark) == (
            "C",
            "C",
            None,
        )
        assert after.cell(h_a, e1).by == "model"  # the model's marks are kept as the model's


async def test_ach_view_without_a_matrix_says_how_to_get_one(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws").ensure()
    draft, docs, chunks = seed_draft()
    draft.ach = None
    with ReviewSession(ws, draft, reviewer="tester") as session:
        app = BriefReviewApp(session, FakeBackend(docs, chunks))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("H")
            screen = app.screen
            assert isinstance(screen, AchScreen)
            text = static(screen, "#ach-detail")
            assert "This draft has no ACH matrix" in text and "brief draft" in text
            await pilot.press("c")  # nothing to mark: no crash, nothing written
            await pilot.press("escape")
    assert not ws.journal_file(draft.id).exists()


async def test_help_lists_the_view_keys(env: Env) -> None:
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = app.screen.rows
        for row in [("G", "Sources", "sources"), ("T", "Timeline", "timeline"), ("H", "ACH", "ach")]:
            assert row in rows
        assert ("A-F", "Reliability A-F", "sources.reliability") in rows and (
            "c",
            "Consistent",
            "ach.consistent",
        ) in rows


async def test_undo_on_the_main_screen_undoes_an_ach_mark(env: Env) -> None:
    m = env.draft.ach
    assert m is not None
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("H", "down", "i", "escape", "u")
        assert any(n.message == "Undid the ACH mark." for n in app._notifications)
        after = env.session.ach()
        assert after is not None and after.cell(m.hypotheses[0], m.evidence[1].id).mark is None
        assert env.session.counts().reviewed == 0  # no claim was touched
        await pilot.press("ctrl+y")
        assert any(n.message == "Redid the ACH mark." for n in app._notifications)
    assert env.actions() == ["ach", "undo", "redo"]


async def test_a_draft_without_tradecraft_says_so_in_each_view(tmp_path: Path) -> None:
    """A draft made before tradecraft: no sourcing line, no grades, and each view says what is missing."""
    ws = Workspace.at(tmp_path / "ws").ensure()
    draft, docs, chunks = seed_draft(tradecraft=False)
    with ReviewSession(ws, draft, reviewer="tester") as session:
        app = BriefReviewApp(session, FakeBackend(docs, chunks, registry_file=ws.root / REGISTRY_FILE))
        async with app.run_test(size=SIZE) as pilot:
            panel = detail(app)
            assert "Credibility" not in panel and "independent source" not in panel
            assert "Foreign Policy Review · 2025-03-24" in panel and "2025-03-24 ·" not in panel  # no grade
            await pilot.press("G")
            assert isinstance(app.screen, SourcesScreen)
            assert "no source profiles" in static(app.screen, "#sources-detail")
            await pilot.press("B")  # nothing to grade: nothing written
            await pilot.press("escape", "T")
            assert isinstance(app.screen, TimelineScreen)
            checks = static(app.screen, "#timeline-checks")
            assert "No dated events" in checks and "Contradictions (0)" in checks
            await pilot.press("enter", "escape")
    assert not (ws.root / REGISTRY_FILE).exists() and not ws.journal_file(draft.id).exists()


async def test_ach_marks_in_a_read_only_session_are_refused_with_a_notification(env: Env) -> None:
    env.session.close()
    with ReviewSession(env.ws, env.draft, reviewer="tester", read_only=True) as ro:
        app = BriefReviewApp(ro, env.backend)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("H", "i")
            assert any("read-only" in n.message for n in app._notifications)
            screen = app.screen
            assert isinstance(screen, AchScreen)
            assert cell(screen, env.draft.ach.evidence[0].id, env.draft.ach.hypotheses[0]) == "(C)"  # type: ignore[union-attr]
    assert env.journal() == []


# --------------------------------------------------------------------------- trust: redraft timing, markup


async def test_a_redraft_result_waits_for_the_open_editor(env: Env) -> None:
    """Keys typed in an editor are text: a redraft that finishes meanwhile neither pops up over it nor is taken
    or dropped by the 't'/'k' the reviewer is typing."""
    claims = env.draft.claims()
    env.backend.redraft_gate = threading.Event()
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R", *"hedge", "enter")
        await pilot.press("j", "e")
        assert isinstance(app.screen, EditDialog)
        app.screen.query_one(TextArea).text = ""
        env.backend.redraft_gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, EditDialog)
        await pilot.press(*"talk")
        assert app.screen.query_one(TextArea).text == "talk"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, RedraftDialog)  # now shown, for the claim it was asked for
        assert app.screen.new.text.endswith("(Revised: hedge)")
        await pilot.press("k")
    assert [(e["action"], e["claim_id"]) for e in env.journal()] == [("edit", claims[1].id)]


async def test_a_redraft_never_replaces_a_claim_decided_since(env: Env) -> None:
    claims = env.draft.claims()
    env.backend.redraft_gate = threading.Event()
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R", *"hedge", "enter")
        await pilot.press("k" if app.review.current != claims[0].id else "a")  # accept claim 0 meanwhile
        env.backend.redraft_gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if isinstance(app.screen, RedraftDialog):
            await pilot.press("t")
        assert any("decided since" in n.message for n in app._notifications)
    assert [(e["action"], e["claim_id"]) for e in env.journal()] == [("accept", claims[0].id)]
    session = ReviewSession(env.ws, env.draft, reviewer="x", read_only=True)
    assert session.claim(claims[0].id).status == "accepted"


async def test_source_and_model_text_is_never_markup(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws").ensure()
    draft, docs, chunks = seed_draft()
    hostile = "Sanctions [/] evasion [bold]loud[/bold] [link=https://x.example]click[/link] [red"
    first = draft.claims()[0]
    sections = [
        s.model_copy(
            update={
                "claims": [
                    c.model_copy(update={"text": hostile, "label": "[b]L[/]"}) if c.id == first.id else c
                    for c in s.claims
                ]
            }
        )
        for s in draft.sections
    ]
    draft = draft.model_copy(update={"sections": sections})
    doc = docs[0]
    docs = [doc.model_copy(update={"text": doc.text.replace("North Korea", "North [/] Korea", 1)}), *docs[1:]]
    with ReviewSession(ws, draft, reviewer="t") as session:
        backend = FakeBackend(docs, chunks, ws.exports_dir)
        app = BriefReviewApp(session, backend, None)
        async with app.run_test(size=SIZE) as pilot:
            assert "Sanctions [/] evasion [bold]loud[/bold]" in detail(app)
            await pilot.press("e")
            assert isinstance(app.screen, EditDialog)
            shown_text = " ".join(
                line.text
                for w in app.screen.query("Static, Label")
                for line in w.render_lines(Region(0, 0, w.size.width, w.size.height))
            )
            assert "[/]" in shown_text and "[bold]loud[/bold]" in shown_text and "[b]L[/]" in shown_text
            await pilot.press("escape", "plus")
            assert isinstance(app.screen, AddClaimDialog)
            await pilot.press("escape")
            app.review.notify("Redraft failed: bad [/] markup [red")
            await pilot.pause()
