"""The review state machine (agent.review.session): decisions, journal, replay, undo/redo, lock, read-only."""

from __future__ import annotations

import inspect
import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agent.core.contracts import Draft, Flag, ReviewEvent
from agent.core.paths import Workspace
from agent.review.session import (
    JournalError,
    NothingToRedo,
    NothingToUndo,
    ReadOnlyError,
    ReviewBackend,
    ReviewError,
    ReviewLocked,
    ReviewSession,
)
from tests.support.review import FakeBackend, cite, seed_draft


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.at(tmp_path / "ws").ensure()


@pytest.fixture
def draft() -> Draft:
    return seed_draft()[0]


def journal(ws: Workspace, draft: Draft) -> list[dict]:
    path = ws.journal_file(draft.id)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def open_session(ws: Workspace, draft: Draft, **kw: object) -> ReviewSession:
    return ReviewSession(ws, draft, reviewer="ana", **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- decisions


def test_accept_is_on_disk_with_whole_snapshots(ws: Workspace, draft: Draft) -> None:
    claim = draft.claims()[0]
    with open_session(ws, draft) as s:
        ev = s.accept(claim.id)
        assert s.claim(claim.id).status == "accepted"
    [line] = journal(ws, draft)
    assert line["id"] == ev.id and line["action"] == "accept" and line["reviewer"] == "ana"
    assert line["before"]["status"] == "pending" and line["after"]["status"] == "accepted"
    assert line["after"]["citations"] == json.loads(claim.model_dump_json())["citations"]  # a whole claim
    assert line["draft_id"] == draft.id and line["section"] == claim.section and line["time"]


def test_reviewer_defaults_to_settings(ws: Workspace, draft: Draft, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEF_REVIEWER", "carol")
    with ReviewSession(ws, draft) as s:
        assert s.accept(draft.claims()[0].id).reviewer == "carol"


def test_edit_keeps_the_original_beside_the_edit(ws: Workspace, draft: Draft) -> None:
    claim = draft.claims()[1]
    with open_session(ws, draft) as s:
        s.edit(claim.id, "  Around 10,000 North Korean troops were reportedly deployed.  ")
        c = s.claim(claim.id)
    assert (c.status, c.text, c.edited_text) == (
        "edited",
        claim.text,
        "Around 10,000 North Korean troops were reportedly deployed.",
    )
    assert c.final_text == c.edited_text


@pytest.mark.parametrize("text", ["", "   "])
def test_edit_refuses_empty_text_and_writes_nothing(ws: Workspace, draft: Draft, text: str) -> None:
    with open_session(ws, draft) as s, pytest.raises(ValueError, match="empty"):
        s.edit(draft.claims()[0].id, text)
    assert journal(ws, draft) == []


def test_edit_refuses_unchanged_text(ws: Workspace, draft: Draft) -> None:
    claim = draft.claims()[0]
    with open_session(ws, draft) as s, pytest.raises(ValueError, match="unchanged"):
        s.edit(claim.id, claim.text)


def test_reject_with_and_without_reason(ws: Workspace, draft: Draft) -> None:
    a, b = draft.claims()[:2]
    with open_session(ws, draft) as s:
        s.reject(a.id, "anonymous sourcing only")
        s.reject(b.id)
        assert s.claim(a.id).reviewer_note == "anonymous sourcing only"
        assert s.claim(b.id).reviewer_note is None
        assert s.claim(b.id).status == "rejected"
    lines = journal(ws, draft)
    assert [line["note"] for line in lines] == ["anonymous sourcing only", None]


def test_note_does_not_change_status_and_empty_clears(ws: Workspace, draft: Draft) -> None:
    claim = draft.claims()[0]
    with open_session(ws, draft) as s:
        s.accept(claim.id)
        s.note(claim.id, "check against the Kursk figures")
        assert (s.claim(claim.id).status, s.claim(claim.id).reviewer_note) == (
            "accepted",
            "check against the Kursk figures",
        )
        s.note(claim.id, "")
        assert s.claim(claim.id).reviewer_note is None


def test_reset_returns_to_pending_and_keeps_note(ws: Workspace, draft: Draft) -> None:
    claim = draft.claims()[0]
    with open_session(ws, draft) as s:
        s.edit(claim.id, "Reworded.")
        s.note(claim.id, "keep")
        s.reset(claim.id)
        c = s.claim(claim.id)
    assert (c.status, c.edited_text, c.reviewer_note) == ("pending", None, "keep")


def test_add_claim_with_and_without_evidence(ws: Workspace) -> None:
    draft, docs, chunks = seed_draft()
    doc = docs[2]
    with open_session(ws, draft) as s:
        bare = s.add_claim("tags", "Sanctions evasion").after
        cited = s.add_claim(
            "bluf", "Troops were deployed.", [cite(doc, chunks, "North Korea has continued to back Russia")]
        ).after
        assert bare is not None and cited is not None
        assert bare.flags == [Flag.MANUAL, Flag.UNSUPPORTED] and bare.origin == "manual"
        assert cited.flags == [Flag.MANUAL, Flag.SINGLE_SOURCE]
        assert [c.id for c in s.claims("tags")][-1] == bare.id
        assert s.counts().total == len(draft.claims()) + 2
    line = journal(ws, draft)[0]
    assert line["action"] == "add" and line["before"] is None and line["after"]["text"] == "Sanctions evasion"


def test_add_claim_to_unknown_section_is_refused(ws: Workspace, draft: Draft) -> None:
    with open_session(ws, draft) as s, pytest.raises(KeyError):
        s.add_claim("nope", "x")


def test_take_redraft_replaces_in_place_and_is_pending(ws: Workspace) -> None:
    draft, docs, chunks = seed_draft()
    claim = draft.claims()[3]
    new = FakeBackend(docs, chunks).redraft_claim(draft, claim, "hedge it")
    with open_session(ws, draft) as s:
        s.note(claim.id, "too strong")
        s.accept(claim.id)
        s.take_redraft(claim.id, new)
        c = s.claim(claim.id)
        assert [x.id for x in s.claims(claim.section)] == [x.id for x in draft.section(claim.section).claims]
    assert c.text.endswith("(Revised: hedge it)") and c.status == "pending" and c.origin == "redrafted"
    assert c.reviewer_note == "too strong"
    assert journal(ws, draft)[-1]["action"] == "redraft"


# --------------------------------------------------------------------------- undo / redo


def test_undo_redo_are_journal_events_and_restore_whole_claims(ws: Workspace, draft: Draft) -> None:
    claim = draft.claims()[0]
    with open_session(ws, draft) as s:
        first = s.edit(claim.id, "Reworded.")
        s.reject(claim.id, "no")
        undo = s.undo()
        assert undo.note is not None and s.claim(claim.id).status == "edited"
        s.undo()
        assert s.claim(claim.id) == claim
        with pytest.raises(NothingToUndo):
            s.undo()
        s.redo()
        assert s.claim(claim.id).edited_text == "Reworded."
        s.redo()
        assert s.claim(claim.id).status == "rejected"
        with pytest.raises(NothingToRedo):
            s.redo()
    actions = [line["action"] for line in journal(ws, draft)]
    assert actions == ["edit", "reject", "undo", "undo", "redo", "redo"]
    assert journal(ws, draft)[3]["note"] == first.id  # the second undo names the edit it undid


def test_a_new_decision_clears_redo(ws: Workspace, draft: Draft) -> None:
    a, b = draft.claims()[:2]
    with open_session(ws, draft) as s:
        s.accept(a.id)
        s.undo()
        s.accept(b.id)
        assert not s.can_redo
        with pytest.raises(NothingToRedo):
            s.redo()


def test_undo_of_an_added_claim_removes_it(ws: Workspace, draft: Draft) -> None:
    with open_session(ws, draft) as s:
        added = s.add_claim("tags", "Kursk")
        s.undo()
        with pytest.raises(KeyError):
            s.claim(added.claim_id)
        assert s.counts().total == len(draft.claims())
        s.redo()
        assert s.claim(added.claim_id).text == "Kursk"


# --------------------------------------------------------------------------- replay


def test_reopen_replays_decisions_and_undo_history(ws: Workspace, draft: Draft) -> None:
    a, b, c = draft.claims()[:3]
    with open_session(ws, draft) as s:
        s.accept(a.id)
        s.edit(b.id, "Reworded.")
        s.reject(c.id, "weak")
        s.undo()
        added = s.add_claim("tags", "Kursk")
    with open_session(ws, draft) as s:
        assert s.claim(a.id).status == "accepted"
        assert s.claim(b.id).edited_text == "Reworded."
        assert s.claim(c.id).status == "pending"
        assert s.claim(added.claim_id).text == "Kursk"
        assert s.counts().summary() == f"3 of {len(draft.claims()) + 1} reviewed"
        assert s.event_count == 5
        s.undo()  # undo survives the restart: removes the added claim
        s.undo()  # then the edit
        assert s.claim(b.id).status == "pending"
        with pytest.raises(KeyError):
            s.claim(added.claim_id)
        s.redo()
        assert s.claim(b.id).status == "edited"


def test_torn_last_line_is_ignored_with_a_warning(ws: Workspace, draft: Draft) -> None:
    a, b = draft.claims()[:2]
    with open_session(ws, draft) as s:
        s.accept(a.id)
        ev = s.accept(b.id)
    path = ws.journal_file(draft.id)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])  # a crash in the middle of the last write
    with open_session(ws, draft) as s:
        assert s.claim(a.id).status == "accepted"
        assert s.claim(b.id).status == "pending"
        assert any("incomplete last line" in w for w in s.warnings)
        s.reject(b.id)  # must not be glued onto the fragment
    lines = journal(ws, draft)
    assert [line["action"] for line in lines] == ["accept", "reject"]
    torn = path.with_suffix(".jsonl.torn").read_text(encoding="utf-8")
    assert ev.id in torn  # the fragment is kept for audit, not silently lost
    with open_session(ws, draft) as s:
        assert s.warnings == [] and s.claim(b.id).status == "rejected"


def test_corrupt_middle_line_is_an_error_not_silently_skipped(ws: Workspace, draft: Draft) -> None:
    with open_session(ws, draft) as s:
        s.accept(draft.claims()[0].id)
        s.accept(draft.claims()[1].id)
    path = ws.journal_file(draft.id)
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0], "{not json", lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(JournalError, match="line 2"):
        open_session(ws, draft)
    assert not ws.lock_file(draft.id).exists()  # a failed open leaves no lock behind


def test_journal_of_another_draft_is_refused(ws: Workspace, draft: Draft) -> None:
    other = draft.model_copy(update={"id": "otherdraft"})
    with open_session(ws, other) as s:
        s.accept(draft.claims()[0].id)
    ws.journal_file(other.id).rename(ws.journal_file(draft.id))
    with pytest.raises(JournalError, match="belongs to draft otherdraft"):
        open_session(ws, draft)


# --------------------------------------------------------------------------- lock and read-only


def test_second_session_is_refused_with_the_holders_pid(ws: Workspace, draft: Draft) -> None:
    with open_session(ws, draft):
        with pytest.raises(ReviewLocked) as err:
            open_session(ws, draft)
        assert str(os.getpid()) in str(err.value) and "read-only" in str(err.value)
    with open_session(ws, draft):  # released on close
        pass


def test_lock_held_by_another_live_process_is_refused(ws: Workspace, draft: Draft, tmp_path: Path) -> None:
    ws.journal_file(draft.id).parent.mkdir(parents=True, exist_ok=True)
    script = textwrap.dedent(
        f"""
        import fcntl, json, os, socket, sys, time
        fd = os.open({str(ws.lock_file(draft.id))!r}, os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, json.dumps({{"pid": os.getpid(), "host": socket.gethostname()}}).encode())
        print("locked", flush=True)
        time.sleep(30)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with pytest.raises(ReviewLocked) as err:
            open_session(ws, draft)
        assert err.value.pid == proc.pid
    finally:
        proc.kill()
        proc.wait()
    with open_session(ws, draft):  # the kernel dropped the dead holder's lock
        pass


def test_stale_lock_of_a_dead_process_is_taken_over(ws: Workspace, draft: Draft) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = ws.lock_file(draft.id)
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname()}), encoding="utf-8")
    with open_session(ws, draft) as s:
        s.accept(draft.claims()[0].id)
        assert json.loads(lock.read_text(encoding="utf-8"))["pid"] == os.getpid()
    assert not lock.exists()


def test_lock_file_naming_a_live_process_without_flock_is_respected(ws: Workspace, draft: Draft) -> None:
    """A file system without working flock: the pid check still prevents two writers."""
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        lock = ws.lock_file(draft.id)
        lock.parent.mkdir(parents=True, exist_ok=True)
        lock.write_text(json.dumps({"pid": live.pid, "host": socket.gethostname()}), encoding="utf-8")
        with pytest.raises(ReviewLocked, match=str(live.pid)):
            open_session(ws, draft)
    finally:
        live.kill()
        live.wait()


def test_read_only_session_opens_beside_a_writer_and_refuses_writes(ws: Workspace, draft: Draft) -> None:
    claim = draft.claims()[0]
    with open_session(ws, draft) as writer:
        writer.accept(claim.id)
        with open_session(ws, draft, read_only=True) as reader:
            assert reader.claim(claim.id).status == "accepted"
            for act in (
                lambda: reader.accept(claim.id),
                lambda: reader.reject(claim.id),
                lambda: reader.note(claim.id, "x"),
                lambda: reader.undo(),
                lambda: reader.add_claim("tags", "x"),
            ):
                with pytest.raises(ReadOnlyError):
                    act()
    assert len(journal(ws, draft)) == 1


def test_read_only_does_not_repair_a_torn_journal(ws: Workspace, draft: Draft) -> None:
    with open_session(ws, draft) as s:
        s.accept(draft.claims()[0].id)
    path = ws.journal_file(draft.id)
    path.write_bytes(path.read_bytes() + b'{"id": "torn')
    before = path.read_bytes()
    with open_session(ws, draft, read_only=True) as s:
        assert s.warnings and s.claim(draft.claims()[0].id).status == "accepted"
    assert path.read_bytes() == before


def test_failed_append_leaves_state_unchanged(ws: Workspace, draft: Draft, monkeypatch: pytest.MonkeyPatch) -> None:
    claim = draft.claims()[0]

    def boom(*a: object, **k: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("agent.review.session.append_json_line", boom)
    with open_session(ws, draft) as s:
        with pytest.raises(OSError):
            s.accept(claim.id)
        assert s.claim(claim.id).status == "pending" and not s.can_undo


# --------------------------------------------------------------------------- reading helpers


def test_counts_filters_search_and_next_pending(ws: Workspace, draft: Draft) -> None:
    ids = [c.id for c in draft.claims()]
    with open_session(ws, draft) as s:
        s.accept(ids[0])
        s.reject(ids[1], "no")
        bluf = s.counts("bluf")
        assert (bluf.total, bluf.reviewed, bluf.accepted, bluf.rejected, bluf.done) == (2, 2, 1, 1, True)
        assert s.counts().summary() == f"2 of {len(ids)} reviewed"
        assert [c.id for c in s.visible("rejected")] == [ids[1]]
        assert ids[0] not in [c.id for c in s.visible("pending")]
        assert all(c.flags for c in s.visible("flagged")) and s.visible("flagged")
        assert len(s.visible("all")) == len(ids)
        assert [c.label for c in s.search("kim jong")] == ["Kim Jong Un"]
        assert s.visible("pending", "Vladimir")[0].label == "Vladimir Putin"
        nxt = s.next_pending(ids[0])
        assert nxt is not None and nxt.id == ids[2]
        last = s.prev_pending(ids[2])
        assert last is not None and last.id == ids[-1]  # wraps round
        assert s.counts_by_section()["tags"].total == 1


def test_current_draft_carries_decisions(ws: Workspace, draft: Draft) -> None:
    claim = draft.claims()[0]
    with open_session(ws, draft) as s:
        s.edit(claim.id, "Reworded.")
        current = s.current_draft()
    assert current.find_claim(claim.id).final_text == "Reworded."
    assert draft.find_claim(claim.id).status == "pending"  # the draft itself is never mutated


def test_history_reads_the_journal(ws: Workspace, draft: Draft) -> None:
    with open_session(ws, draft) as s:
        ev = s.accept(draft.claims()[0].id)
        assert [e.id for e in s.history()] == [ev.id]
        assert isinstance(next(s.history()), ReviewEvent)


def test_fake_backend_satisfies_the_protocol() -> None:
    """The double the review and TUI tests run against has every method of the protocol, with the same
    parameters (names, kinds, defaults): ``isinstance`` on a runtime protocol checks only that the names exist, so a
    double whose signature drifted from the real backend's would pass it."""
    _, docs, chunks = seed_draft()
    assert isinstance(FakeBackend(docs, chunks), ReviewBackend)
    members = [n for n, v in vars(ReviewBackend).items() if callable(v) and not n.startswith("_")]
    assert members
    for name in members:
        want = inspect.signature(getattr(ReviewBackend, name)).parameters.values()
        got = inspect.signature(getattr(FakeBackend, name)).parameters.values()
        assert [(p.name, p.kind, p.default) for p in got] == [(p.name, p.kind, p.default) for p in want], name


# --------------------------------------------------------------------------- ACH marks


def test_ach_marks_are_journaled_replayed_undone_and_exported(ws: Workspace, draft: Draft) -> None:
    assert draft.ach is not None
    h_a, h_b = draft.ach.hypotheses
    e1, e2 = (e.id for e in draft.ach.evidence[1:3])
    with open_session(ws, draft) as s:
        s.accept(draft.claims()[0].id)
        s.mark_ach(h_a, e1, "I")
        s.mark_ach(h_b, e1, "C")
        s.mark_ach(h_a, e2, "N")
        m = s.ach()
        assert m is not None
        assert (m.cell(h_a, e1).mark, m.cell(h_a, e1).by) == ("I", "analyst")
        s.undo()  # the N
        m = s.ach()
        assert m is not None and m.cell(h_a, e2).mark is None
        s.redo()
        s.undo()
        s.mark_ach(h_b, e1, None)  # cleared
        with pytest.raises(ValueError, match="already"):
            s.mark_ach(h_b, e1, None)
        with pytest.raises(KeyError):
            s.mark_ach("nope", e1, "C")
    lines = journal(ws, draft)
    assert [line["action"] for line in lines] == ["accept", "ach", "ach", "ach", "undo", "redo", "undo", "ach"]
    assert lines[1]["cell_before"]["mark"] is None and lines[1]["cell_after"] == {
        "hypothesis": h_a,
        "evidence": e1,
        "mark": "I",
        "by": "analyst",
    }
    assert lines[1]["before"] is None and lines[1]["after"] is None and lines[1]["claim_id"] == h_a
    with open_session(ws, draft) as s:  # a new session from the same files: the marks are there
        m = s.ach()
        assert m is not None
        assert m.cell(h_a, e1).mark == "I" and m.cell(h_b, e1).mark is None and m.cell(h_a, e2).mark is None
        assert s.claim(h_a) == draft.find_claim(h_a)  # an ACH mark changes no claim
        assert s.claim(draft.claims()[0].id).status == "accepted"
        exported = s.current_draft().ach
        assert exported is not None and exported.cell(h_a, e1).mark == "I"
        s.undo()  # undo survives the restart: the clearing of (B, e1) is undone
        m = s.ach()
        assert m is not None and m.cell(h_b, e1).mark == "C"
    assert draft.ach.cell(h_a, e1).mark is None  # the draft itself is never mutated


def test_ach_mark_without_a_matrix_and_old_journals(ws: Workspace, draft: Draft) -> None:
    bare = draft.model_copy(update={"ach": None})
    old_line = {  # an event written before ACH marks existed: no cell fields
        "id": "e1",
        "draft_id": draft.id,
        "claim_id": draft.claims()[0].id,
        "section": "bluf",
        "action": "accept",
        "before": json.loads(draft.claims()[0].model_dump_json()),
        "after": json.loads(draft.claims()[0].model_copy(update={"status": "accepted"}).model_dump_json()),
        "note": None,
        "reviewer": "old",
        "time": "2025-01-01T00:00:00Z",
    }
    ws.journal_file(draft.id).parent.mkdir(parents=True, exist_ok=True)
    ws.journal_file(draft.id).write_text(json.dumps(old_line) + "\n", encoding="utf-8")
    with open_session(ws, bare) as s:
        assert s.claim(draft.claims()[0].id).status == "accepted"
        assert s.ach() is None and s.current_draft().ach is None
        with pytest.raises(ReviewError, match="no ACH matrix"):
            s.mark_ach("h", "e", "C")


def test_services_backend_grades_go_to_the_workspace_registry(ws: Workspace, draft: Draft) -> None:
    """The real backend writes the analyst's grade to ``<workspace>/sources.toml`` and reads it back."""
    from types import SimpleNamespace

    from agent.review_backend import ServicesBackend

    backend = ServicesBackend(SimpleNamespace(workspace=ws))  # type: ignore[arg-type]
    doc = draft.profiles[0].doc_id
    assert backend.source_profiles(draft)[0].reliability == "F"
    backend.set_source_grade(doc, reliability="B", type="wire")
    assert f"[documents.{doc}]" in (ws.root / "sources.toml").read_text(encoding="utf-8")
    graded = backend.source_profiles(draft)[0]
    assert (graded.grade, graded.reliability_from, graded.type) == ("B4", "analyst", "wire")
    with pytest.raises(ValueError, match="not one of A-F"):
        backend.set_source_grade(doc, reliability="Z")


def test_a_short_write_is_not_reported_saved(ws: Workspace, draft: Draft, monkeypatch: pytest.MonkeyPatch) -> None:
    """os.write may write less than asked (a full disk, a signal): the decision is then not saved, the journal
    keeps no fragment, and the next decision is readable."""
    a, b = draft.claims()[0], draft.claims()[1]
    real_write = os.write
    calls: list[int] = []

    def short_then_full(fd: int, data: bytes) -> int:
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(fd, bytes(data)[: len(data) // 2])
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr("agent.core.atomic.os.write", short_then_full)
    with open_session(ws, draft) as s:
        with pytest.raises(OSError):
            s.accept(a.id)
        assert s.claim(a.id).status == "pending"
        s.reject(b.id, "wrong")
    monkeypatch.undo()
    with open_session(ws, draft) as s:
        assert (s.claim(a.id).status, s.claim(b.id).status) == ("pending", "rejected")
        assert not s.warnings
    assert [e["action"] for e in journal(ws, draft)] == ["reject"]


def test_a_stale_redraft_is_refused(ws: Workspace) -> None:
    from agent.review.session import StaleRedraft

    draft, docs, chunks = seed_draft()
    claim = draft.claims()[3]
    new = FakeBackend(docs, chunks).redraft_claim(draft, claim, "hedge it")
    with open_session(ws, draft) as s:
        asked = s.claim(claim.id)
        s.reject(claim.id, "wrong")
        with pytest.raises(StaleRedraft):
            s.take_redraft(claim.id, new, expected=asked)
        assert s.claim(claim.id).status == "rejected"
    assert [e["action"] for e in journal(ws, draft)] == ["reject"]


def test_export_reads_the_draft_without_loading_drafting(ws: Workspace, draft: Draft) -> None:
    """``brief export`` reads a JSON file and renders it: neither the drafting pipeline nor spaCy is loaded."""
    from agent.core.drafts import save_draft

    save_draft(ws, draft)
    code = textwrap.dedent(f"""
        import sys
        from agent.cli.main import main
        rc = main(["-w", {str(ws.root)!r}, "export", "--include-pending"])
        heavy = sorted(m for m in sys.modules if m == "spacy" or m.startswith("agent.drafting.pipeline"))
        print("HEAVY", heavy)
        sys.exit(rc)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stdout, done.stdout
    assert (ws.exports_dir / f"{draft.id}.preview.md").exists()
