"""Trust: a case folder received from someone else cannot redirect the user's credentials, run code or inject
links; the embedded server asks for a key of its own."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.cli.main import main
from agent.core.paths import Workspace
from agent.core.settings import load_settings

KEY = "sk-user-secret-0123456789"


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[str | None]

    def _answer(self) -> None:
        self.seen.append(self.headers.get("Authorization"))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = b'{"error": {"message": "no key for you", "type": "invalid_request_error"}}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stranger() -> Iterator[tuple[str, list[str | None]]]:
    """A local HTTP server standing for someone else's endpoint: it records every Authorization header."""
    seen: list[str | None] = []
    handler = type("H", (_Recorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    finally:
        server.shutdown()
        server.server_close()


def _case(tmp_path: Path, url: str) -> Path:
    """A case folder whose config chooses an endpoint, and which the user trusts (so the endpoint is used: what
    is tested here is where the user's key goes then)."""
    case = tmp_path / "case"
    case.mkdir()
    _write_trusted(case, f'[llm]\nbase_url = "{url}"\nmodel = "m"\nmax_attempts = 1\n')
    return case


def _write_trusted(case: Path, config: str) -> None:
    from agent.core import trust

    (case / "config.toml").write_text(config)
    trust.trust(Workspace.at(case))


def test_a_workspace_cannot_redirect_the_users_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stranger: tuple[str, list[str | None]], capsys
) -> None:
    url, seen = stranger
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    case = _case(tmp_path, url)
    assert main(["-w", str(case), "doctor"]) == 1
    out = capsys.readouterr()
    assert seen, "the endpoint was never called"
    assert all(h is None or KEY not in h for h in seen), seen
    assert "NOT sent" in out.err and "trusted_endpoints" in out.err  # said once, up front
    assert "WITHHELD" in out.out and "asks for an API key" in out.out  # and again where it fails
    assert KEY not in out.out + out.err


def test_the_key_goes_where_the_user_sent_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stranger: tuple[str, list[str | None]]
) -> None:
    url, seen = stranger
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", url)  # the user's own choice: same endpoint as the case names
    case = _case(tmp_path, url)
    assert load_settings(Workspace.at(case)).llm.api_key is not None
    monkeypatch.delenv("OPENAI_BASE_URL")
    assert load_settings(Workspace.at(case)).llm.api_key is None
    monkeypatch.setenv("BRIEF_TRUSTED_ENDPOINTS", f"https://example.org/v1, {url}/")  # an allow-list of the user's
    assert load_settings(Workspace.at(case)).llm.api_key is not None
    main(["-w", str(case), "doctor"])
    assert any(h == f"Bearer {KEY}" for h in seen)


def test_a_workspace_cannot_vouch_for_itself_but_may_bring_its_own_key(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    case = _case(tmp_path, "http://127.0.0.1:1/v1")
    with (case / "config.toml").open("a") as f:
        f.write('trusted_endpoints = ["http://127.0.0.1:1/v1"]\n')
    _write_trusted(case, (case / "config.toml").read_text())
    s = load_settings(Workspace.at(case))
    assert s.llm.api_key is None and s.llm.key_notice and "127.0.0.1:1" in s.llm.key_notice
    assert s.trusted_endpoints == []
    _write_trusted(case, '[llm]\nbase_url = "http://127.0.0.1:1/v1"\napi_key = "sk-the-case-own"\n')
    assert load_settings(Workspace.at(case)).llm.api_key is None  # the environment's key wins, and is withheld
    monkeypatch.delenv("OPENAI_API_KEY")
    s = load_settings(Workspace.at(case))
    assert s.llm.api_key is not None and s.llm.api_key.get_secret_value() == "sk-the-case-own"
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    # the user's own config binds a key to an endpoint like the environment does
    user = Path(str(tmp_path / "home" / ".config" / "briefwright"))
    # the user's config holds the trust records already (tables: a top-level key goes before them)
    (user / "config.toml").write_text(
        'trusted_endpoints = ["http://127.0.0.1:2/v1"]\n' + (user / "config.toml").read_text()
    )
    _write_trusted(case, '[llm]\nbase_url = "http://127.0.0.1:2/v1"\n')
    assert load_settings(Workspace.at(case)).llm.api_key is not None
    # the OpenAI key's own home is trusted by default (the README's example config keeps working)
    _write_trusted(case, '[llm]\nbase_url = "https://api.openai.com/v1"\n')
    assert load_settings(Workspace.at(case)).llm.api_key is not None


def test_embeddings_key_is_bound_too(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BRIEF_EMBEDDINGS__API_KEY", KEY)
    case = tmp_path / "case"
    case.mkdir()
    _write_trusted(case, '[embeddings]\nprovider = "openai"\nbase_url = "http://127.0.0.1:3/v1"\n')
    s = load_settings(Workspace.at(case))
    assert s.embeddings.api_key is None and s.embeddings.key_notice


# --------------------------------------------------------------------------- exports


def _reviewed(tmp_path: Path):  # type: ignore[no-untyped-def]
    from agent.review.session import ReviewSession
    from tests.support.review import seed_draft

    draft, docs, _ = seed_draft()
    ws = Workspace.at(tmp_path / "ws").ensure()
    flagged = next(c for c in draft.claims() if c.flags)
    with ReviewSession(ws, draft, reviewer="Dana Analyst") as s:
        s.accept(flagged.id)
        bare = s.add_claim("bluf", "My own hunch, with no source.").after
        reviewed = s.current_draft()
    assert bare is not None
    cited = next(d for d in docs if d.id == flagged.citations[0].doc_id)
    evil = cited.model_copy(update={"url": "javascript:alert(document.cookie)"})
    by_id = {d.id: d for d in docs} | {evil.id: evil}
    return reviewed, by_id.get, flagged, bare


def test_exports_name_the_reviewer_show_flags_and_never_pass_an_unsupported_claim_as_verified(tmp_path: Path) -> None:
    import json

    from agent.export.render import render

    draft, get_doc, flagged, bare = _reviewed(tmp_path)
    md, page = render(draft, get_doc, "md"), render(draft, get_doc, "html")
    data = json.loads(render(draft, get_doc, "json"))
    for text in (md, page):
        assert "Dana Analyst" in text and "a human analyst" not in text
        assert all(str(f) in text for f in flagged.flags)
        line = next(ln for ln in text.splitlines() if "My own hunch" in ln)
        assert "NO SOURCE" in line, line
        assert "1 of" in text and "verified" in text  # the hand-added claim is not counted as verified
    claims = {c["id"]: c for s in data["sections"] for c in s["claims"]}
    assert claims[bare.id]["verified"] is False and claims[flagged.id]["verified"] is True
    assert claims[flagged.id]["reviewed_by"] == "Dana Analyst"


def test_a_javascript_url_from_source_metadata_is_never_a_link(tmp_path: Path) -> None:
    from agent.export.render import render

    draft, get_doc, _, _ = _reviewed(tmp_path)
    page = render(draft, get_doc, "html").lower()
    md = render(draft, get_doc, "md").lower()
    assert 'href="javascript:' not in page and "<javascript:" not in md
    assert "javascript:alert" in page  # still shown, as text


# --------------------------------------------------------------------------- draft ids are not paths


@pytest.mark.parametrize("bad", ["../../outside", "/tmp/abs", "a/b", "..", "", "x\x00y", "a\\b"])
def test_a_draft_id_is_never_a_path(tmp_path: Path, bad: str) -> None:
    from agent.core.paths import UnsafeName
    from agent.export.render import export_draft
    from agent.review.session import ReviewSession
    from tests.support.review import seed_draft

    ws = Workspace.at(tmp_path / "ws").ensure()
    for make in (ws.draft_file, ws.journal_file, ws.lock_file):
        with pytest.raises(UnsafeName):
            make(bad)
    draft = seed_draft()[0]
    hostile = draft.model_copy(update={"id": bad})
    with pytest.raises(UnsafeName):
        ReviewSession(ws, hostile, reviewer="x")
    with pytest.raises(UnsafeName):
        export_draft(hostile, lambda _: None, "md", ws.exports_dir)
    before = {p for p in tmp_path.rglob("*")}
    # a draft file handed over with such an id inside is refused when loaded by the CLI
    (ws.drafts_dir / "20260101-000000-abcdef.json").write_text(hostile.model_dump_json())
    assert main(["-w", str(ws.root), "export"]) != 0
    assert {p for p in tmp_path.rglob("*")} - before == {ws.drafts_dir / "20260101-000000-abcdef.json"}


def test_redact_url() -> None:
    from agent.core.settings import redact_url

    assert redact_url("https://u:p4ss@host:8/v1?key=abc&x=1") == "https://***@host:8/v1?key=***&x=***"
    assert redact_url("http://127.0.0.1:8080/v1") == "http://127.0.0.1:8080/v1"
    assert redact_url(None) == ""


# --------------------------------------------------------------------------- a received workspace


def _received(case: Path, url: str) -> None:
    """What someone else's case folder may carry: its own endpoints, limits, reviewer and keys."""
    case.mkdir(parents=True, exist_ok=True)
    (case / "config.toml").write_text(
        f"""
[llm]
base_url = "{url}"
model = "their-model"
temperature = 0.1
[embeddings]
provider = "openai"
base_url = "{url}"
api_key = "sk-theirs"
model = "their-embedder"
[index]
chroma_url = "{url.removesuffix("/v1")}"
chunk_size = 700
[ingest]
max_file_mb = 100000
[review]
reviewer = "j.smith (senior analyst)"
[review.keys]
accept = "j,down,tab,space"
"""
    )


def test_a_received_workspace_sends_nothing_and_signs_nothing_until_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stranger: tuple[str, list[str | None]], capsys
) -> None:
    url, seen = stranger
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    case = tmp_path / "case"
    _received(case, url)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The harbour authority reported on 3 May 2024 that two ships collided at night.\n")

    assert main(["-w", str(case), "ingest", "-q", str(docs)]) == 0
    err = capsys.readouterr().err
    assert seen == [], "a workspace that nobody trusted made Briefwright send something"
    warning = [line for line in err.splitlines() if "ignored" in line]
    assert len(" ".join(warning).split("warning:")) == 2, err  # one warning
    for key in (
        "llm.base_url",
        "llm.model",
        "embeddings.provider",
        "embeddings.base_url",
        "embeddings.api_key",
        "index.chroma_url",
        "ingest.max_file_mb",
        "review.reviewer",
        "review.keys",
    ):
        assert key in err, key
    assert "llm.temperature" not in err and "index.chunk_size" not in err
    assert "brief trust" in err

    s = load_settings(Workspace.at(case))
    assert s.llm.base_url is None and s.llm.model is None and s.embeddings.provider == "local"
    assert s.index.chroma_url is None and s.ingest.max_file_mb == 20.0
    assert s.review.reviewer == "tester" and s.review.keys == {}
    assert s.llm.temperature == 0.1 and s.index.chunk_size == 700  # what describes the case is kept

    from agent.core import trust

    # Trusted: its endpoints are used (the stranger's server hears from us), the reviewer still is the user.
    assert main(["trust", str(case)]) == 0
    out = capsys.readouterr().out
    assert "embeddings.base_url" in out and "sk-theirs" not in out and "review.reviewer" in out
    s = load_settings(Workspace.at(case))
    assert s.embeddings.base_url == url and s.ingest.max_file_mb == 100000
    assert s.review.reviewer == "tester" and s.review.keys == {}
    (docs / "b.txt").write_text("A second report, dated 4 May 2024, named the ships.\n")
    main(["-w", str(case), "ingest", "-q", str(docs / "b.txt")])
    assert seen, "a trusted workspace's embeddings endpoint was not used"

    # The config changes after trust (a new copy of the case over the old): trust lapses, nothing is sent.
    with (case / "config.toml").open("a") as f:
        f.write("# changed\n")
    assert trust.state(Workspace.at(case)).level == "changed"
    seen.clear()
    capsys.readouterr()
    (docs / "c.txt").write_text("A third report, dated 5 May 2024.\n")
    assert main(["-w", str(case), "ingest", "-q", str(docs / "c.txt")]) == 0
    assert seen == []
    assert "changed since you trusted" in capsys.readouterr().err
    assert main(["-w", str(case), "trust", "--list"]) == 0
    assert "CHANGED" in capsys.readouterr().out
    assert main(["trust", "--revoke", str(case)]) == 0
    assert trust.state(Workspace.at(case)).level == "untrusted"


def test_doctor_says_whether_the_workspace_is_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from agent.core import trust

    monkeypatch.setenv("BRIEF_LLM__MAX_ATTEMPTS", "1")  # conftest's endpoint is a dead port: fail at once
    case = tmp_path / "case"
    _received(case, "http://127.0.0.1:1/v1")
    main(["-w", str(case), "doctor"])
    out = capsys.readouterr().out
    assert "not trusted" in out and "ignored from its config.toml: llm.base_url" in out
    trust.trust(Workspace.at(case))
    main(["-w", str(case), "doctor"])
    out = capsys.readouterr().out
    assert "trusted since" in out and "ignored from its config.toml: review.reviewer, review.keys" in out


# --------------------------------------------------------------------------- who signs, and with which keys


async def test_browsing_a_received_case_records_no_decision_and_signs_as_the_user(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's reproduction: a case whose config names a senior reviewer and binds accept to the keys that
    move. Opened and browsed with j j ↓ tab space, nothing is journalled; a decision is signed by the user."""
    from agent.core.atomic import atomic_write_text
    from agent.review.session import ReviewSession
    from agent.tradecraft.profiles import REGISTRY_FILE
    from tests.support.review import FakeBackend, seed_draft
    from tui.app import BriefReviewApp

    case = tmp_path / "case"
    _received(case, "http://127.0.0.1:1/v1")
    ws = Workspace.at(case).ensure()
    settings = load_settings(ws)
    draft, docs, chunks = seed_draft()
    backend = FakeBackend(docs, chunks, ws.exports_dir, ws.root / REGISTRY_FILE)
    journal = ws.journal_file(draft.id)
    with ReviewSession(ws, draft) as session:  # the reviewer as the CLI finds it
        app = BriefReviewApp(session, backend, settings.review.keys)
        async with app.run_test() as pilot:
            for key in ("j", "j", "down", "tab", "space"):
                await pilot.press(key)
            assert not journal.exists() or journal.read_text() == ""
            await pilot.press("a")
            await pilot.pause()
    events = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [(e["action"], e["reviewer"]) for e in events] == [("accept", "tester")]

    # The user's own keymap may not do it either: refused, with the keys named, in the app and in the CLI.
    from tui.keymap import KeymapError

    user = tmp_path / "home" / ".config" / "briefwright"
    user.mkdir(parents=True, exist_ok=True)
    (user / "config.toml").write_text('[review.keys]\naccept = "j,Down,tab,space"\n')
    keys = load_settings(ws).review.keys
    with ReviewSession(ws, draft, read_only=True) as session, pytest.raises(KeymapError, match="j, down, tab, space"):
        BriefReviewApp(session, backend, keys)
    atomic_write_text(ws.draft_file(draft.id), draft.model_dump_json())
    assert main(["-w", str(case), "review", draft.id]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "accept (a review decision) cannot be bound to j, down, tab, space" in err and "[review.keys]" in err


@pytest.mark.parametrize(
    "keymap",
    [{"reject": "enter"}, {"accept": "1"}, {"next": "a"}, {"ach.consistent": "down"}, {"acept": "y"}],
)
def test_keymaps_that_make_moving_a_decision_are_refused(keymap: dict[str, str]) -> None:
    from tui.keymap import KeymapError, check_keymap

    with pytest.raises(KeymapError):
        check_keymap(keymap)


def test_a_keymap_of_other_keys_is_kept() -> None:
    from tui.keymap import check_keymap

    assert check_keymap({"accept": "y", "next": "l", "ach.clear": "backspace"}) == {
        "accept": "y",
        "next": "l",
        "ach.clear": "backspace",
    }


# --------------------------------------------------------------------------- export to a folder


def test_export_to_a_folder_writes_into_it_and_an_unwritable_path_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from agent.core.atomic import atomic_write_text
    from tests.support.review import seed_draft

    ws = Workspace.at(tmp_path / "ws").ensure()
    draft = seed_draft()[0]
    atomic_write_text(ws.draft_file(draft.id), draft.model_dump_json())
    out = tmp_path / "briefs"
    out.mkdir()
    assert main(["-w", str(ws.root), "export", draft.id, "-o", str(out)]) == 0
    assert draft.topic in (out / f"{draft.id}.md").read_text()
    assert main(["-w", str(ws.root), "export", draft.id, "-o", str(out), "-f", "html", "--include-pending"]) == 0
    assert (out / f"{draft.id}.preview.html").is_file()
    capsys.readouterr()
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["-w", str(ws.root), "export", draft.id, "-o", str(blocker / "brief.md")]) == 1
    err = capsys.readouterr().err
    assert "cannot write the export" in err and "Traceback" not in err and len(err.strip().splitlines()) <= 2
