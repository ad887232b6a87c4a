"""The main review screen: the claims list on the left, the claim and its evidence on the right.

The screen renders a :class:`~agent.review.session.ReviewSession` and turns keys into its decisions. It owns
every key (nothing on it takes focus), so bindings never compete with a focused widget's own.
Decisions go to disk inside the session before anything on screen changes; every failure becomes
a notification.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from agent.core.claims import Grader
from agent.core.contracts import Chunk, Citation, Claim, ReviewEvent, SourceDocument, SourceProfile
from agent.core.display import printable
from agent.review.session import FILTERS, ReviewBackend, ReviewError, ReviewFilter, ReviewSession
from tui.ach_view import ACH_BINDINGS, AchScreen
from tui.claim_list import ClaimList, Row
from tui.detail import DetailView
from tui.modals import AddClaimDialog, EditDialog, HelpScreen, RedraftDialog, TextPrompt
from tui.render import citation_block, claim_panel
from tui.source import SourceScreen
from tui.sources_view import SOURCES_BINDINGS, SourcesScreen
from tui.timeline_view import TIMELINE_BINDINGS, TimelineScreen

if TYPE_CHECKING:
    from tui.app import BriefReviewApp

T = TypeVar("T")

REVIEW_BINDINGS: list[BindingType] = [
    Binding("a", "accept", "Accept", id="accept"),
    Binding("e", "edit", "Edit", id="edit"),
    Binding("r", "reject", "Reject", id="reject"),
    Binding("n", "note", "Note", id="note", show=False),
    Binding("p", "reset", "Back to pending", id="reset", show=False),
    Binding("u,ctrl+z", "undo", "Undo", id="undo"),
    Binding("ctrl+y", "redo", "Redo", id="redo", show=False),
    Binding("j,down", "move(1)", "Next claim", id="next", show=False, priority=True),
    Binding("k,up", "move(-1)", "Previous claim", id="prev", show=False, priority=True),
    Binding("tab,space", "next_pending", "Next pending", id="next_pending", priority=True),
    Binding("shift+tab", "prev_pending", "Previous pending", id="prev_pending", show=False, priority=True),
    Binding("f", "cycle_filter", "Filter", id="filter"),
    Binding("slash", "search", "Search", id="search", key_display="/"),
    Binding("o", "open_source", "Source", id="open_source"),
    Binding("G", "sources", "Sources", id="sources", key_display="G"),
    Binding("T", "timeline", "Timeline", id="timeline", key_display="T"),
    Binding("H", "ach", "ACH", id="ach", key_display="H"),
    Binding("R", "redraft", "Redraft", id="redraft", key_display="R", show=False),
    Binding("S", "redraft_section", "Redraft section", id="redraft_section", key_display="S", show=False),
    Binding("plus", "add_claim", "Add", id="add_claim", key_display="+", show=False),
    Binding("x", "export", "Export", id="export"),
    Binding("question_mark", "help", "Help", id="help", key_display="?"),
    Binding("q", "quit", "Quit", id="quit", show=False),  # in the help (?); the footer is full
    Binding("pagedown", "scroll_evidence(1)", "Scroll evidence down", id="evidence_down", show=False),
    Binding("pageup", "scroll_evidence(-1)", "Scroll evidence up", id="evidence_up", show=False),
    *(Binding(str(n), f"jump({n})", f"Jump to section {n}", id=f"section_{n}", show=False) for n in range(1, 10)),
]


class ReviewScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = REVIEW_BINDINGS

    def __init__(self, session: ReviewSession, backend: ReviewBackend) -> None:
        super().__init__()
        self.session = session
        self.backend = backend
        self.filter: ReviewFilter = "all"
        self.query_text = ""
        self.current: str | None = None
        self.last_event: ReviewEvent | None = None
        self.redrafting: set[str] = set()
        # Redrafts that came back, each with the claim as it was when asked for: shown one at a time, and only
        # while no dialog is open (keys typed in an editor are text, not "take"/"keep").
        self._ready: list[tuple[Claim, Claim, str]] = []
        self._offering = False
        self._docs: dict[str, SourceDocument] = {}
        self.profiles: dict[str, SourceProfile] = {}

    @property
    def review_app(self) -> BriefReviewApp:
        return cast("BriefReviewApp", self.app)

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Static(id="progress")
                yield ClaimList(self.session, id="claims")
            yield DetailView(id="detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = printable(self.session.base.topic)
        self.sub_title = "read-only" if self.session.read_only else printable(f"reviewer: {self.session.reviewer}")
        for warning in self.session.warnings:
            self.notify(warning, severity="warning", timeout=10)
        self.load_profiles()
        self.rebuild()
        first = self.session.next_pending()
        claims = self.session.claims()
        self.select(first.id if first else (claims[0].id if claims else None))

    # ------------------------------------------------------------------ state -> screen

    def load_profiles(self) -> None:
        """The sources' profiles with the analyst's current grades (also those set after drafting)."""
        try:
            profiles = self.backend.source_profiles(self.session.base)
        except Exception as e:  # an unreadable sources.toml: the grades as drafted, and say so
            self.notify(f"Cannot read the source registry ({e}); grades as drafted.", severity="warning", timeout=10)
            profiles = list(self.session.base.profiles)
        self.profiles = {p.doc_id: p for p in profiles}

    def rebuild(self) -> None:
        """Rebuild the rows after a filter or search change (one pass over the draft, no rendering)."""
        visible = {c.id for c in self.session.visible(self.filter, self.query_text)}
        rows: list[Row] = []
        for n, key in enumerate(self.session.sections, 1):
            rows.append(Row("section", key, n))
            rows += [Row("claim", c.id) for c in self.session.claims(key) if c.id in visible]
        self.query_one(ClaimList).set_rows(rows)
        self.refresh_progress()

    def refresh_progress(self) -> None:
        counts = self.session.counts()
        text = Text(counts.summary(), style="bold")
        text.append(f"  ✗ {counts.rejected}  ⚑ {counts.flagged}\n", style="dim")
        text.append("filter: ", style="dim")
        text.append(self.filter, style="bold reverse" if self.filter != "all" else "bold")
        if self.query_text:
            text.append("  search: ", style="dim")
            text.append(repr(self.query_text), style="bold")
        shown = len(self.query_one(ClaimList).claim_ids())
        text.append(f"  ({shown} shown)", style="dim")
        if self.redrafting:
            text.append(f"  · redrafting {len(self.redrafting)}…", style="yellow")
        self.query_one("#progress", Static).update(text, layout=False)  # fixed height: no layout pass

    def select(self, claim_id: str | None) -> None:
        """Make a claim the one under review: highlight it and show it with its evidence."""
        self.current = claim_id
        self.query_one(ClaimList).move_to(claim_id)
        self.show_current()

    def show_current(self) -> None:
        detail = self.query_one(DetailView)
        if self.current is None:
            detail.show(Text("\nNothing to show with this filter.  f: change filter  /: clear search", style="dim"))
            return
        claim = self.session.claim(self.current)
        ids = self.session.claims(claim.section)
        position = f"claim {[c.id for c in ids].index(claim.id) + 1} of {len(ids)} in section"
        detail.show(
            Group(
                Text(""),
                claim_panel(
                    claim,
                    self.session.section_title(claim.section),
                    position,
                    self.session.section_notes(claim.section),
                ),
                Rule(style="dim"),
                Text("Evidence", style="bold"),
                self._evidence(claim),
            )
        )

    def _doc(self, doc_id: str) -> SourceDocument:
        if doc_id not in self._docs:
            self._docs[doc_id] = self.backend.document(doc_id)
        return self._docs[doc_id]

    def _evidence(self, claim: Claim) -> RenderableType:
        if not claim.citations:
            return Text("No citations.", style="dim")
        blocks: list[RenderableType] = []
        for n, cit in enumerate(claim.citations, 1):
            try:
                doc: SourceDocument | None = self._doc(cit.doc_id)
                error = None
            except Exception as e:  # a missing source must not take the screen down
                doc, error = None, f"cannot load source: {e}"
            blocks.append(citation_block(n, cit, doc, error, self.profiles.get(cit.doc_id)))
        return Group(*blocks)

    def after_decision(self, event: ReviewEvent, *, advance: bool = False) -> None:
        self.last_event = event
        self.review_app.last_event = event
        if event.after is None or event.before is None:  # a claim appeared or went away
            self.rebuild()
        else:
            self.query_one(ClaimList).refresh_claim(event.claim_id)
            self.refresh_progress()
        if advance:
            before = self.current
            self.action_move(1)
            if self.current == before:  # the last claim: nothing to move to, so show its new state here
                self.show_current()
        elif event.after is not None and self.query_one(ClaimList).row_of(event.claim_id) is not None:
            self.select(event.claim_id)
        else:  # the claim went away (an undone add): stay where we were, or start at the top
            shown = self.query_one(ClaimList).claim_ids()
            self.select(self.current if self.current in shown else (shown[0] if shown else None))

    def guard(self, fn: Callable[[], T]) -> T | None:
        """Run a session call; a failure becomes a notification (the session's state is unchanged)."""
        try:
            return fn()
        except (ReviewError, ValueError, KeyError, OSError) as e:
            self.notify(str(e).strip("'\""), severity="error", timeout=8)
            return None

    # ------------------------------------------------------------------ decisions

    def _current_claim(self) -> Claim | None:
        if self.current is None:
            self.notify("No claim selected.", severity="warning")
            return None
        return self.session.claim(self.current)

    def action_accept(self) -> None:
        if (claim := self._current_claim()) is None:
            return
        claim_id = claim.id
        if ev := self.guard(lambda: self.session.accept(claim_id)):
            self.after_decision(ev, advance=True)

    def action_edit(self) -> None:
        if (claim := self._current_claim()) is None:
            return

        def done(text: str | None) -> None:
            if text is None:
                return
            if text.strip() == (claim.edited_text or claim.text).strip():
                self.notify("No change.", severity="information")
                return
            if ev := self.guard(lambda: self.session.edit(claim.id, text)):
                self.after_decision(ev, advance=True)

        self.app.push_screen(EditDialog(claim), done)

    def action_reject(self) -> None:
        if (claim := self._current_claim()) is None:
            return

        def done(reason: str | None) -> None:
            if reason is not None and (ev := self.guard(lambda: self.session.reject(claim.id, reason))):
                self.after_decision(ev, advance=True)

        self.app.push_screen(TextPrompt("Reject claim — reason (optional)", placeholder="why it does not stand"), done)

    def action_note(self) -> None:
        if (claim := self._current_claim()) is None:
            return

        def done(text: str | None) -> None:
            if text is not None and (ev := self.guard(lambda: self.session.note(claim.id, text))):
                self.after_decision(ev)

        self.app.push_screen(
            TextPrompt("Reviewer note (empty clears it)", value=claim.reviewer_note or "", placeholder="note"), done
        )

    def action_reset(self) -> None:
        if (claim := self._current_claim()) is None:
            return
        claim_id = claim.id
        if ev := self.guard(lambda: self.session.reset(claim_id)):
            self.after_decision(ev)

    def action_undo(self) -> None:
        if ev := self.guard(self.session.undo):
            self.notify(f"Undid {self._undone_action(ev)}.", timeout=3)
            self.after_decision(ev)

    def action_redo(self) -> None:
        if ev := self.guard(self.session.redo):
            what = "the ACH mark" if ev.cell_after is not None else (ev.after.status if ev.after else "removal")
            self.notify(f"Redid {what}.", timeout=3)
            self.after_decision(ev)

    @staticmethod
    def _undone_action(ev: ReviewEvent) -> str:
        before, after = ev.before, ev.after
        if ev.cell_after is not None:
            return "the ACH mark"
        if before is None:
            return "the added claim"
        if after is None:
            return "a removal"
        return f"{before.status} → {after.status}" if before.status != after.status else "the change"

    # ------------------------------------------------------------------ navigation

    def action_move(self, delta: int) -> None:
        ids = self.query_one(ClaimList).claim_ids()
        if not ids:
            return
        if self.current not in ids:
            self.select(ids[0])
            return
        i = ids.index(self.current) + delta
        if 0 <= i < len(ids):
            self.select(ids[i])

    def action_next_pending(self, backwards: bool = False) -> None:
        shown = self.query_one(ClaimList).claim_ids()
        if not shown:
            return
        order = list(reversed(shown)) if backwards else shown
        start = order.index(self.current) + 1 if self.current in order else 0
        for cid in order[start:] + order[:start]:
            if self.session.claim(cid).status == "pending":
                self.select(cid)
                return
        self.notify("No pending claims left in view." if self.session.counts().pending else "Every claim is reviewed.")

    def action_prev_pending(self) -> None:
        self.action_next_pending(backwards=True)

    def action_jump(self, n: int) -> None:
        sections = self.session.sections
        if not 1 <= n <= len(sections):
            return
        key = sections[n - 1]
        shown = set(self.query_one(ClaimList).claim_ids())
        claims = [c for c in self.session.claims(key) if c.id in shown]
        if not claims:
            self.notify(f"No claims of {self.session.section_title(key)} in view (filter: {self.filter}).")
            return
        pending = [c for c in claims if c.status == "pending"]
        self.select((pending or claims)[0].id)

    def action_cycle_filter(self) -> None:
        self.filter = FILTERS[(FILTERS.index(self.filter) + 1) % len(FILTERS)]
        self._refilter()

    def _refilter(self) -> None:
        self.rebuild()
        shown = self.query_one(ClaimList).claim_ids()
        self.select(self.current if self.current in shown else (shown[0] if shown else None))

    def action_search(self) -> None:
        def done(text: str | None) -> None:
            if text is not None:
                self.query_text = text.strip()
                self._refilter()

        self.app.push_screen(
            TextPrompt(
                "Search claims (empty clears)", value=self.query_text, placeholder="words in text, label or note"
            ),
            done,
        )

    def on_claim_list_picked(self, message: ClaimList.Picked) -> None:
        self.select(message.claim_id)

    def action_scroll_evidence(self, delta: int) -> None:
        detail = self.query_one(DetailView)
        detail.scroll_relative(y=delta * max(1, detail.size.height - 2), animate=False)

    # ------------------------------------------------------------------ sources, redraft, add, export

    def action_open_source(self) -> None:
        if (claim := self._current_claim()) is None:
            return
        if not claim.citations:
            self.notify("This claim cites no source.", severity="warning")
            return
        try:
            docs = {c.doc_id: self._doc(c.doc_id) for c in claim.citations}
        except Exception as e:
            self.notify(f"Cannot open the source: {e}", severity="error")
            return
        self.app.push_screen(SourceScreen(claim.citations, docs, profiles=self.profiles))

    def action_sources(self) -> None:
        def done(_: None) -> None:  # grades may have changed: the evidence shows them
            self.load_profiles()
            self.show_current()

        self.app.push_screen(SourcesScreen(self.session.base, self.backend), done)

    def action_timeline(self) -> None:
        self.app.push_screen(TimelineScreen(self.session.base, self.backend, self.profiles))

    def action_ach(self) -> None:
        def done(_: None) -> None:  # an undo there may have undone a claim decision
            self.rebuild()
            shown = self.query_one(ClaimList).claim_ids()
            self.select(self.current if self.current in shown else (shown[0] if shown else None))

        self.app.push_screen(AchScreen(self.session, self.profiles), done)

    def action_redraft(self) -> None:
        if (claim := self._current_claim()) is None:
            return
        if claim.id in self.redrafting:
            self.notify("This claim is already being redrafted.")
            return

        def done(guidance: str | None) -> None:
            if guidance is None:
                return
            self.redrafting.add(claim.id)
            self.refresh_progress()
            self.notify("Redrafting in the background — keep reviewing.", timeout=3)
            self._redraft(claim, guidance)

        self.app.push_screen(
            TextPrompt(
                "Redraft this claim — guidance for the model",
                value=claim.reviewer_note or "",
                placeholder="e.g. attribute the troop figure to its source",
            ),
            done,
        )

    def action_redraft_section(self) -> None:
        """Ask again for every pending claim of the current section, with one piece of guidance; each new
        version comes back as its own diff to take or keep. Reviewed claims are left as they are."""
        if (claim := self._current_claim()) is None:
            return
        section = claim.section
        todo = [c for c in self.session.claims(section) if c.status == "pending" and c.id not in self.redrafting]
        if not todo:
            self.notify("No pending claims to redraft in this section.")
            return

        def done(guidance: str | None) -> None:
            if guidance is None:
                return
            self.redrafting.update(c.id for c in todo)
            self.refresh_progress()
            self.notify(f"Redrafting {len(todo)} claims in the background — keep reviewing.", timeout=3)
            self._redraft_many(todo, guidance)

        self.app.push_screen(
            TextPrompt(
                f"Redraft the {len(todo)} pending claims of “{self.session.section_title(section)}” — guidance",
                placeholder="e.g. cite the analysis pieces, not the anonymous reports",
            ),
            done,
        )

    @work(thread=True, group="redraft", exit_on_error=False)
    def _redraft_many(self, claims: list[Claim], guidance: str) -> None:
        """One claim after another (one model, one queue); each result is shown as soon as it is ready."""
        for claim in claims:
            try:
                new = self.backend.redraft_claim(self.session.current_draft(), claim, guidance)
            except Exception as e:
                self.app.call_from_thread(self._redraft_failed, claim.id, e)
                continue
            self.app.call_from_thread(self._redraft_ready, claim, new, guidance)

    @work(thread=True, group="redraft", exit_on_error=False)
    def _redraft(self, claim: Claim, guidance: str) -> None:
        """Slow (an LLM call): in a thread, so the screen keeps answering keys meanwhile."""
        try:
            new = self.backend.redraft_claim(self.session.current_draft(), claim, guidance)
        except Exception as e:
            self.app.call_from_thread(self._redraft_failed, claim.id, e)
            return
        self.app.call_from_thread(self._redraft_ready, claim, new, guidance)

    def _redraft_failed(self, claim_id: str, error: Exception) -> None:
        self.redrafting.discard(claim_id)
        self.refresh_progress()
        self.notify(f"Redraft failed: {error}", severity="error", timeout=10)

    def _redraft_ready(self, asked: Claim, new: Claim, guidance: str) -> None:
        self.redrafting.discard(asked.id)
        self.refresh_progress()
        self._ready.append((asked, new, guidance))
        if self.app.screen is not self:
            self.notify("A redraft is ready: it is shown when you close this dialog.", timeout=4)
        self._offer_next_redraft()

    def on_screen_resume(self) -> None:
        self._offer_next_redraft()

    def _offer_next_redraft(self) -> None:
        """Show the next redraft, if no dialog is open and its claim has not been decided since it was asked for."""
        while self._ready and not self._offering and self.app.screen is self:
            asked, new, guidance = self._ready.pop(0)
            old = self.session.claim(asked.id)
            if old != asked:
                self.notify(
                    f"The redraft of a claim you decided since ({old.status}) was dropped; press R to ask again.",
                    severity="warning",
                    timeout=6,
                )
                continue
            self._offering = True

            def done(take: bool | None, asked: Claim = asked, new: Claim = new) -> None:
                self._offering = False
                if take and (ev := self.guard(lambda: self.session.take_redraft(asked.id, new, expected=asked))):
                    self.notify("Took the redrafted version (now pending).", timeout=3)
                    self.after_decision(ev)
                self.call_later(self._offer_next_redraft)

            self.app.push_screen(RedraftDialog(old, new, guidance), done)

    def action_add_claim(self) -> None:
        if self.current is None and not self.session.sections:
            return
        section = self.session.claim(self.current).section if self.current else self.session.sections[0]
        try:
            chunks = self.backend.evidence(section, self.session.current_draft())
        except Exception as e:
            self.notify(f"Evidence unavailable ({e}); the claim can still be added, flagged.", severity="warning")
            chunks = []
        labelled = [(c, self._label(c)) for c in chunks]
        by_id = {c.id: c for c in chunks}

        def done(result: tuple[str, list[str]] | None) -> None:
            if result is None:
                return
            text, chosen = result
            cites = [_chunk_citation(by_id[i]) for i in chosen]
            if cites:
                self.notify("Grading the added claim…", timeout=2)
                self._add_graded(section, text, cites)
            else:
                self._add(section, text, cites, None)

        self.app.push_screen(AddClaimDialog(self.session.section_title(section), labelled), done)

    @work(thread=True, group="add", exit_on_error=False)
    def _add_graded(self, section: str, text: str, cites: list[Citation]) -> None:
        """The draft's grader may take a while the first time (its sources analysed again): in a thread."""
        try:
            grader = self.backend.grader(self.session.current_draft())
        except Exception as e:
            self.app.call_from_thread(self.notify, f"Grading unavailable ({e}): added ungraded.", severity="warning")
            grader = None
        self.app.call_from_thread(self._add, section, text, cites, grader)

    def _add(self, section: str, text: str, cites: list[Citation], grader: Grader | None) -> None:
        if ev := self.guard(lambda: self.session.add_claim(section, text, cites, grader=grader)):
            if not cites:
                self.notify("Added without evidence: flagged unsupported.", severity="warning")
            self.after_decision(ev)

    def _label(self, chunk: Chunk) -> str:
        try:
            return printable(self._doc(chunk.doc_id).label()[:40])
        except Exception:
            return chunk.doc_id

    def action_export(self) -> None:
        self.notify("Exporting…", timeout=2)
        self._export()

    @work(thread=True, group="export", exit_on_error=False)
    def _export(self) -> None:
        try:
            path = self.backend.export(self.session.current_draft(), "md", False)
        except Exception as e:
            self.app.call_from_thread(self.notify, f"Export failed: {e}", severity="error", timeout=10)
            return
        self.app.call_from_thread(self.notify, f"Exported verified claims to {path}", timeout=10)

    def action_help(self) -> None:
        keymap = self.app._keymap  # the keys actually in force
        rows = []
        for b in REVIEW_BINDINGS:
            assert isinstance(b, Binding)
            keys = keymap.get(b.id or "", b.key) if b.id else b.key
            rows.append((keys, b.description, b.id or ""))
        for title, bindings in (
            ("Sources view (G)", SOURCES_BINDINGS),
            ("Timeline view (T)", TIMELINE_BINDINGS),
            ("ACH view (H)", ACH_BINDINGS),
        ):
            rows.append(("", title, ""))
            for b in bindings:
                assert isinstance(b, Binding)
                if b.show:
                    rows.append((keymap.get(b.id or "", b.key_display or b.key), b.description, b.id or ""))
        self.app.push_screen(HelpScreen(rows))

    async def action_quit(self) -> None:
        self.app.exit()


def _chunk_citation(chunk: Chunk) -> Citation:
    """A hand-picked chunk cited whole: its text is the quote, its offsets the span."""
    return Citation(
        chunk_id=chunk.id,
        doc_id=chunk.doc_id,
        quote=chunk.text,
        start=chunk.start,
        end=chunk.end,
        quote_as_given=chunk.text,
    )
