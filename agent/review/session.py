"""The review state machine: a draft plus the replay of its decisions journal.

This module is plain Python (no Textual) so that every rule of review can be tested without a
terminal, and so that the TUI only ever *renders* a :class:`ReviewSession`.

Three promises hold here, because an analyst's hour of decisions must survive anything:

* **Durable first.** Every decision becomes a :class:`~agent.core.contracts.ReviewEvent` that is appended to
  the journal and fsync'd *before* the in-memory state changes. If the append fails, nothing changed.
  A crash or ``kill -9`` after the call returns loses nothing.
* **Replay is the state.** Opening a session replays the journal over the draft (``claim = after``, in
  order). Undo and redo are journal events too, so they survive a restart. A torn last line (a crash
  mid-write) is set aside with a warning, never fatal.
* **One writer.** A session takes an exclusive lock on the draft (``flock`` on a lock file holding
  pid + host). A second writer is refused with :class:`ReviewLocked` naming the holder; it may open
  ``read_only=True`` instead. A lock left by a dead process is taken over (the kernel drops ``flock``
  locks when a process dies, even by SIGKILL).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import socket
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from pydantic import ValidationError

from agent.core.atomic import append_json_line, open_append
from agent.core.claims import Grader, make_claim
from agent.core.contracts import (
    AchCell,
    AchMark,
    AchMatrix,
    Chunk,
    Citation,
    Claim,
    Draft,
    Flag,
    ReviewAction,
    ReviewEvent,
    SectionDraft,
    SourceDocument,
    SourceProfile,
    utcnow,
)
from agent.core.paths import Workspace

log = logging.getLogger(__name__)

ReviewFilter = Literal["pending", "flagged", "rejected", "all"]
FILTERS: tuple[ReviewFilter, ...] = ("pending", "flagged", "rejected", "all")

#: Actions that are decisions of their own (undo/redo only move along the history of these).
_DECISIONS: frozenset[ReviewAction] = frozenset({"accept", "edit", "reject", "note", "reset", "add", "redraft", "ach"})


class ReviewError(Exception):
    """Base of every review failure the UI should show as a message (never a traceback)."""


class ReviewLocked(ReviewError):
    """Another live session holds the draft's lock."""

    def __init__(self, path: Path, pid: int | None, host: str | None, *, unverified: bool = False) -> None:
        self.path, self.pid, self.host = path, pid, host
        who = f"process {pid}" if pid is not None else "another process"
        where = f" on {host}" if host and host != socket.gethostname() else ""
        msg = (
            f"this draft is already open for review by {who}{where} (lock {path}). "
            "Close that session, or open this one read-only."
        )
        if unverified:
            msg += f" If process {pid} is not a review session (a reused pid), delete the lock file."
        super().__init__(msg)


class ReadOnlyError(ReviewError):
    """A write was attempted on a session opened ``read_only=True``."""

    def __init__(self) -> None:
        super().__init__("this review session is read-only: decisions cannot be recorded")


class JournalError(ReviewError):
    """The journal cannot be replayed (corrupt line in the middle, or another draft's journal)."""


def _way_out(path: Path) -> str:
    return (
        f"The decisions in it are not replayed. To review the draft from its last good state, set the journal "
        f"aside (`mv {path} {path}.damaged`) and repeat the decisions after the damaged line; fix the line by "
        f"hand to keep them all."
    )


class StaleRedraft(ReviewError):
    """The claim was decided after its redraft was asked for: taking the redraft would undo that decision."""


class NothingToUndo(ReviewError):
    pass


class NothingToRedo(ReviewError):
    pass


# --------------------------------------------------------------------------- the backend the TUI is handed


@runtime_checkable
class ReviewBackend(Protocol):
    """Everything the review UI needs from the rest of Briefwright, so no widget imports an SDK.

    The real implementation sits over the store, drafting and export modules; tests use an
    in-memory fake. Methods may raise; the UI turns exceptions into notifications.
    """

    def document(self, doc_id: str) -> SourceDocument:
        """The whole source document (for context around a quote and the source view)."""
        ...

    def chunk(self, chunk_id: str) -> Chunk:
        """One chunk of a document."""
        ...

    def evidence(self, section_key: str, draft: Draft) -> list[Chunk]:
        """The chunks of a section's evidence pack, to pick from when adding a claim by hand."""
        ...

    def redraft_claim(self, draft: Draft, claim: Claim, guidance: str) -> Claim:
        """Ask the LLM again for this claim, with the reviewer's guidance. Slow: called in a worker."""
        ...

    def grader(self, draft: Draft) -> Grader | None:
        """The grader of this draft's claims (drafting's, over its sources' sentences), for a claim the analyst
        adds: ``None`` when the draft was not graded when drafted. Slow the first time (the sources are
        analysed again), then kept per draft."""
        ...

    def export(self, draft: Draft, fmt: str, include_pending: bool) -> Path:
        """Write the brief (the same files as ``brief export``) and return the main file's path."""
        ...

    def source_profiles(self, draft: Draft) -> list[SourceProfile]:
        """The draft's source profiles with the analyst's current grades applied (the workspace's
        ``sources.toml``: grades set in review or with ``brief sources set`` after drafting)."""
        ...

    def set_source_grade(self, doc_id: str, *, reliability: str | None = None, type: str | None = None) -> None:
        """Record the analyst's reliability (A-F) and/or type for one document in the workspace's
        ``sources.toml``. Raises ``ValueError`` (a ``RegistryError``) for a bad value or an unreadable file."""
        ...


# --------------------------------------------------------------------------- the lock


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


class ReviewLock:
    """An exclusive, crash-safe lock on one draft: ``flock`` on a file holding ``{"pid", "host"}``.

    ``flock`` (not just ``O_EXCL``) is what makes a lock stale-proof: the kernel releases it when the
    holder dies, so a file left behind by a ``kill -9`` is simply taken over. The pid/host inside are
    for the message naming the holder, and for the dead-pid check on file systems without ``flock``.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def holder(self) -> tuple[int | None, str | None]:
        """Who the lock file names (pid, host); ``(None, None)`` when unreadable."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return None, None
        pid = data.get("pid")
        return (int(pid) if isinstance(pid, int) else None), data.get("host")

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(5):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                os.close(fd)
                if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
                pid, host = self.holder()
                raise ReviewLocked(self.path, pid, host) from None
            # The file may have been unlinked by its previous holder between our open and flock:
            # then we hold a lock on an orphan inode. Start again on the file now at the path.
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            pid, host = self.holder()
            if pid is not None and pid != os.getpid() and host == socket.gethostname() and _pid_alive(pid):
                # flock is free but a live process names itself: a file system without working flock,
                # or a holder that did not use flock. Refuse rather than risk two writers.
                os.close(fd)
                raise ReviewLocked(self.path, pid, host, unverified=True)
            if pid is not None:
                log.warning("taking over stale review lock %s (pid %s on %s is gone)", self.path, pid, host)
            payload = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": utcnow().isoformat()})
            os.ftruncate(fd, 0)
            os.pwrite(fd, payload.encode("utf-8"), 0)
            os.fsync(fd)
            self._fd = fd
            return
        raise ReviewLocked(self.path, *self.holder())

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        os.close(fd)


# --------------------------------------------------------------------------- counts


@dataclass(frozen=True)
class Counts:
    """How far review has got, for one section or the whole draft."""

    total: int = 0
    pending: int = 0
    accepted: int = 0
    edited: int = 0
    rejected: int = 0
    flagged: int = 0

    @property
    def reviewed(self) -> int:
        return self.total - self.pending

    @property
    def done(self) -> bool:
        return self.pending == 0

    def summary(self) -> str:
        """E.g. ``"23 of 41 reviewed"``."""
        return f"{self.reviewed} of {self.total} reviewed"


def _count(claims: Iterable[Claim]) -> Counts:
    n = {"pending": 0, "accepted": 0, "edited": 0, "rejected": 0}
    total = flagged = 0
    for c in claims:
        total += 1
        n[c.status] += 1
        flagged += bool(c.flags)
    return Counts(total=total, flagged=flagged, **n)


def matches_filter(claim: Claim, which: ReviewFilter) -> bool:
    if which == "pending":
        return claim.status == "pending"
    if which == "flagged":
        return bool(claim.flags)
    if which == "rejected":
        return claim.status == "rejected"
    return True


def matches_query(claim: Claim, query: str) -> bool:
    """Case-insensitive substring search over what a reviewer sees of a claim."""
    q = query.casefold().strip()
    if not q:
        return True
    hay = (claim.text, claim.edited_text or "", claim.label or "", claim.reviewer_note or "")
    return any(q in h.casefold() for h in hay)


# --------------------------------------------------------------------------- the session


class ReviewSession:
    """One reviewer's session over one draft: the state is the draft plus its replayed journal.

    Use as a context manager (or call :meth:`close`) so the lock is released. Every decision method
    returns the :class:`ReviewEvent` it wrote; by then the event is fsync'd in the journal.
    """

    def __init__(
        self,
        workspace: Workspace,
        draft: Draft,
        *,
        reviewer: str | None = None,
        read_only: bool = False,
    ) -> None:
        self.workspace = workspace
        self.base = draft
        self.read_only = read_only
        if reviewer is None:
            from agent.core.settings import load_settings

            reviewer = load_settings(workspace).review.reviewer
        self.reviewer = reviewer
        self.journal_path = workspace.journal_file(draft.id)
        self.warnings: list[str] = []
        self._lock = ReviewLock(workspace.lock_file(draft.id))
        self._sections = [s.key for s in draft.sections]
        self._titles = {s.key: s.title for s in draft.sections}
        self._order: dict[str, list[str]] = {s.key: [c.id for c in s.claims] for s in draft.sections}
        self._claims: dict[str, Claim] = {c.id: c for c in draft.claims()}
        self._ach: AchMatrix | None = draft.ach.model_copy(deep=True) if draft.ach is not None else None
        self._undo: list[ReviewEvent] = []
        self._redo: list[ReviewEvent] = []
        self._events = 0
        if not read_only:
            self._lock.acquire()
        try:
            self._replay()
        except BaseException:
            self._lock.release()
            raise

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Release the lock. Decisions are already on disk; nothing else to save."""
        self._lock.release()

    def __enter__(self) -> ReviewSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def draft_id(self) -> str:
        return self.base.id

    @property
    def event_count(self) -> int:
        """Events in the journal (replayed plus written by this session)."""
        return self._events

    # ------------------------------------------------------------------ replay

    def _replay(self) -> None:
        path = self.journal_path
        if not path.exists():
            return
        raw = path.read_bytes()
        if not raw:
            return
        lines = raw.split(b"\n")
        tail = lines.pop()  # b"" when the file ends with a newline, as every complete write does
        if tail:
            self._set_aside_torn_tail(raw, tail)
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                event = ReviewEvent.model_validate_json(line)
            except ValidationError as e:
                raise JournalError(
                    f"{path}: line {n} is not a review event: {e.errors()[0]['msg']}. {_way_out(path)}"
                ) from e
            if event.draft_id != self.base.id:
                raise JournalError(
                    f"{path}: line {n} belongs to draft {event.draft_id}, not {self.base.id}. {_way_out(path)}"
                )
            self._apply(event)
            self._track(event)
            self._events += 1

    def _set_aside_torn_tail(self, raw: bytes, tail: bytes) -> None:
        """A crash mid-append leaves a partial last line: warn, keep its bytes aside, cut it off.

        Cutting it off (when writable) matters: the next append would otherwise be glued onto the
        fragment and become unreadable itself. The fragment is kept in ``<journal>.torn`` for audit.
        """
        msg = f"{self.journal_path}: ignored an incomplete last line ({len(tail)} bytes), likely from a crash"
        self.warnings.append(msg)
        log.warning(msg)
        if self.read_only:
            return
        torn = self.journal_path.with_suffix(self.journal_path.suffix + ".torn")
        with open_append(torn) as fh:
            fh.write(tail + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        fd = os.open(self.journal_path, os.O_WRONLY)
        try:
            os.ftruncate(fd, len(raw) - len(tail))
            os.fsync(fd)
        finally:
            os.close(fd)

    def _apply(self, event: ReviewEvent) -> None:
        """``claim = after``: replace, insert (a new claim) or remove (``after is None``); for an ACH mark,
        ``cell = cell_after``."""
        if event.cell_after is not None:
            self._apply_cell(event.cell_after)
            return
        after = event.after
        if after is None:
            self._claims.pop(event.claim_id, None)
            order = self._order.get(event.section)
            if order is not None and event.claim_id in order:
                order.remove(event.claim_id)
            return
        if after.id not in self._claims:
            if after.section not in self._order:
                self._order[after.section] = []
                self._sections.append(after.section)
                self._titles.setdefault(after.section, after.section)
            self._order[after.section].append(after.id)
        self._claims[after.id] = after

    def _apply_cell(self, cell: AchCell) -> None:
        m = self._ach
        if m is None or cell.hypothesis not in m.hypotheses or cell.evidence not in {e.id for e in m.evidence}:
            msg = f"{self.journal_path}: ignored an ACH mark for a cell this draft's matrix does not have"
            if msg not in self.warnings:
                self.warnings.append(msg)
                log.warning(msg)
            return
        for i, c in enumerate(m.cells):
            if c.hypothesis == cell.hypothesis and c.evidence == cell.evidence:
                m.cells[i] = cell
                return
        m.cells.append(cell)

    def _track(self, event: ReviewEvent) -> None:
        """Keep the undo/redo history in step with the journal, so undo works after a restart."""
        if event.action in _DECISIONS:
            self._undo.append(event)
            self._redo.clear()
        elif event.action == "undo":
            if self._undo and self._undo[-1].id == event.note:
                self._redo.append(self._undo.pop())
        elif event.action == "redo" and self._redo and self._redo[-1].id == event.note:
            self._undo.append(self._redo.pop())

    # ------------------------------------------------------------------ reading

    @property
    def sections(self) -> list[str]:
        return list(self._sections)

    def section_title(self, key: str) -> str:
        return self._titles.get(key, key)

    def section_notes(self, key: str) -> list[str]:
        """What drafting left out of a section, and why (parts left to the analyst, refused answers)."""
        for s in self.base.sections:
            if s.key == key:
                return list(s.skipped)
        return []

    def claim(self, claim_id: str) -> Claim:
        try:
            return self._claims[claim_id]
        except KeyError:
            raise KeyError(f"no claim {claim_id!r} in draft {self.base.id}") from None

    def claims(self, section: str | None = None) -> list[Claim]:
        """Claims in brief order (one section's, or all)."""
        keys = [section] if section is not None else self._sections
        return [self._claims[i] for k in keys for i in self._order.get(k, [])]

    def claim_ids(self) -> list[str]:
        return [i for k in self._sections for i in self._order[k]]

    def counts(self, section: str | None = None) -> Counts:
        return _count(self.claims(section))

    def counts_by_section(self) -> dict[str, Counts]:
        return {k: self.counts(k) for k in self._sections}

    def visible(self, which: ReviewFilter = "all", query: str = "") -> list[Claim]:
        """Claims that pass a filter and a search, in brief order."""
        return [c for c in self.claims() if matches_filter(c, which) and matches_query(c, query)]

    def search(self, query: str) -> list[Claim]:
        return self.visible("all", query)

    def next_pending(self, after: str | None = None, *, backwards: bool = False) -> Claim | None:
        """The next pending claim after ``after`` in brief order, wrapping round; ``None`` when all are done."""
        ids = self.claim_ids()
        if backwards:
            ids.reverse()
        start = ids.index(after) + 1 if after in ids else 0
        for i in ids[start:] + ids[:start]:
            if self._claims[i].status == "pending":
                return self._claims[i]
        return None

    def prev_pending(self, before: str | None = None) -> Claim | None:
        return self.next_pending(before, backwards=True)

    def ach(self) -> AchMatrix | None:
        """The ACH matrix with the analyst's marks applied (a copy), ``None`` when the draft has none."""
        return self._ach.model_copy(deep=True) if self._ach is not None else None

    def current_draft(self) -> Draft:
        """The draft with every decision applied, ACH marks included (what export and redraft see)."""
        sections = [
            s.model_copy(update={"claims": [self._claims[i] for i in self._order.get(s.key, [])]})
            for s in self.base.sections
        ]
        known = {s.key for s in self.base.sections}
        for key in self._sections:
            if key not in known:  # a section only reached by hand-added claims
                sections.append(
                    SectionDraft(key=key, title=self.section_title(key), status="done", claims=self.claims(key))
                )
        return self.base.model_copy(update={"sections": sections, "ach": self.ach(), "updated": utcnow()})

    def history(self) -> Iterator[ReviewEvent]:
        """Every event in the journal, in order (re-read from disk: the journal is the record)."""
        if not self.journal_path.exists():
            return
        with self.journal_path.open("rb") as fh:
            for line in fh:
                if line.endswith(b"\n") and line.strip():
                    yield ReviewEvent.model_validate_json(line)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    # ------------------------------------------------------------------ writing

    def _record(
        self,
        action: ReviewAction,
        claim_id: str,
        section: str,
        before: Claim | None,
        after: Claim | None,
        note: str | None,
        cells: tuple[AchCell, AchCell] | None = None,
    ) -> ReviewEvent:
        if self.read_only:
            raise ReadOnlyError()
        event = ReviewEvent(
            id=uuid.uuid4().hex[:16],
            draft_id=self.base.id,
            claim_id=claim_id,
            section=section,
            action=action,
            before=before,
            after=after,
            note=note,
            reviewer=self.reviewer,
            cell_before=cells[0] if cells else None,
            cell_after=cells[1] if cells else None,
        )
        # Durable first: if this raises, in-memory state is untouched and the UI shows the error.
        append_json_line(self.journal_path, event.model_dump(mode="json"))
        self._apply(event)
        self._track(event)
        self._events += 1
        return event

    def _decide(self, action: ReviewAction, claim_id: str, note: str | None = None, **update: object) -> ReviewEvent:
        before = self.claim(claim_id)
        if action != "note":  # who decided goes with the decision (and into the exports)
            update.setdefault("reviewed_by", self.reviewer if update.get("status") != "pending" else None)
        after = before.model_copy(update=update)
        return self._record(action, claim_id, before.section, before, after, note)

    def accept(self, claim_id: str) -> ReviewEvent:
        """The claim is right as drafted (an earlier edit is kept in the record but not used)."""
        return self._decide("accept", claim_id, status="accepted")

    def edit(self, claim_id: str, text: str) -> ReviewEvent:
        """The claim is right once reworded: ``edited_text`` is kept beside the original ``text``."""
        text = text.strip()
        claim = self.claim(claim_id)
        if not text:
            raise ValueError("an edited claim cannot be empty (reject it instead)")
        if text == claim.text.strip() and claim.status != "edited":
            raise ValueError("the text is unchanged (accept the claim instead)")
        return self._decide("edit", claim_id, status="edited", edited_text=text)

    def reject(self, claim_id: str, reason: str | None = None) -> ReviewEvent:
        """The claim does not stand. The reason, if given, becomes the reviewer note."""
        reason = (reason or "").strip() or None
        update: dict[str, object] = {"status": "rejected"}
        if reason:
            update["reviewer_note"] = reason
        return self._decide("reject", claim_id, note=reason, **update)

    def note(self, claim_id: str, text: str) -> ReviewEvent:
        """Set (or, with empty text, clear) the reviewer note; the status does not change."""
        text = text.strip()
        return self._decide("note", claim_id, note=text or None, reviewer_note=text or None)

    def reset(self, claim_id: str) -> ReviewEvent:
        """Back to pending (the note is kept: it is the reviewer's, not a decision)."""
        return self._decide("reset", claim_id, status="pending", edited_text=None)

    def undo(self) -> ReviewEvent:
        """Undo the latest decision not yet undone. The event's ``note`` is the id of the undone event."""
        if not self._undo:
            raise NothingToUndo("nothing to undo")
        target = self._undo[-1]
        cells = (target.cell_after, target.cell_before) if target.cell_after and target.cell_before else None
        return self._record("undo", target.claim_id, target.section, target.after, target.before, target.id, cells)

    def redo(self) -> ReviewEvent:
        """Redo the latest undone decision. The event's ``note`` is the id of the redone event."""
        if not self._redo:
            raise NothingToRedo("nothing to redo")
        target = self._redo[-1]
        cells = (target.cell_before, target.cell_after) if target.cell_after and target.cell_before else None
        return self._record("redo", target.claim_id, target.section, target.before, target.after, target.id, cells)

    def mark_ach(self, hypothesis_id: str, evidence_id: str, mark: AchMark | None) -> ReviewEvent:
        """Mark one cell of the ACH matrix consistent (C), inconsistent (I) or not applicable (N), or clear it
        (``None``). A decision like the others: journaled first, replayed, undone and redone."""
        m = self._ach
        if m is None:
            raise ReviewError("this draft has no ACH matrix")
        if hypothesis_id not in m.hypotheses:
            raise KeyError(f"no hypothesis {hypothesis_id!r} in the ACH matrix")
        if evidence_id not in {e.id for e in m.evidence}:
            raise KeyError(f"no evidence item {evidence_id!r} in the ACH matrix")
        if mark is not None and mark not in ("C", "I", "N"):
            raise ValueError(f"an ACH mark is C, I or N, not {mark!r}")
        before = next(
            (c for c in m.cells if c.hypothesis == hypothesis_id and c.evidence == evidence_id),
            AchCell(hypothesis=hypothesis_id, evidence=evidence_id),
        )
        after = AchCell(
            hypothesis=hypothesis_id, evidence=evidence_id, mark=mark, by="analyst" if mark is not None else None
        )
        if (before.mark, before.by) == (after.mark, after.by):
            raise ValueError("the cell already has this mark" if mark else "the cell is already unmarked")
        section = self._claims[hypothesis_id].section if hypothesis_id in self._claims else "hypotheses"
        return self._record("ach", hypothesis_id, section, None, None, None, (before, after))

    def add_claim(
        self,
        section: str,
        text: str,
        citations: Sequence[Citation] = (),
        *,
        label: str | None = None,
        confidence: Literal["low", "moderate", "high"] | None = None,
        grader: Grader | None = None,
    ) -> ReviewEvent:
        """A claim written by the reviewer. Allowed without evidence, but then flagged unsupported.

        It is recorded as accepted: the reviewer is its author. Flags say what its evidence is worth; ``grader``
        (drafting's, over the draft's sources) grades it as the drafted claims were.
        """
        text = text.strip()
        if not text:
            raise ValueError("a claim needs text")
        if section not in self._order:
            raise KeyError(f"no section {section!r} in draft {self.base.id}")
        flags = [Flag.MANUAL]
        if not citations:
            flags.append(Flag.UNSUPPORTED)
        elif len({c.doc_id for c in citations}) == 1:
            flags.append(Flag.SINGLE_SOURCE)
        claim = make_claim(
            id="m" + uuid.uuid4().hex[:15],
            section=section,
            text=text,
            label=label,
            citations=list(citations),
            confidence=confidence,
            flags=flags,
            status="accepted",
            origin="manual",
            reviewed_by=self.reviewer,
            grader=grader,
        )
        return self._record("add", claim.id, section, None, claim, None)

    def take_redraft(self, claim_id: str, new_claim: Claim, *, expected: Claim | None = None) -> ReviewEvent:
        """Replace a claim by its redrafted version, in place (same id, so the journal replays by id).

        The new version is pending: its text and evidence changed, so it needs verifying like any draft.
        ``expected`` is the claim as it was when the redraft was asked for: if it changed since (a decision,
        an edit), the redraft is refused with :class:`StaleRedraft` rather than replacing that decision.
        """
        old = self.claim(claim_id)
        if expected is not None and old != expected:
            raise StaleRedraft(f"the claim was decided since its redraft was asked for ({old.status}); ask again")
        after = new_claim.model_copy(
            update={
                "id": old.id,
                "section": old.section,
                "label": new_claim.label or old.label,
                "status": "pending",
                "edited_text": None,
                "reviewer_note": old.reviewer_note,
                "reviewed_by": None,
                "origin": "redrafted",
            }
        )
        return self._record("redraft", claim_id, old.section, old, after, None)
