"""Trust: a case folder received from someone else cannot redirect the user's credentials, run code or inject
links; the embedded server asks for a key of its own."""

from __future__ import annotations

import http.server
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
    case = tmp_path / "case"
    case.mkdir()
    (case / "config.toml").write_text(f'[llm]\nbase_url = "{url}"\nmodel = "m"\nmax_attempts = 1\n')
    return case


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
    s = load_settings(Workspace.at(case))
    assert s.llm.api_key is None and s.llm.key_notice and "127.0.0.1:1" in s.llm.key_notice
    assert s.trusted_endpoints == []
    (case / "config.toml").write_text('[llm]\nbase_url = "http://127.0.0.1:1/v1"\napi_key = "sk-the-case-own"\n')
    assert load_settings(Workspace.at(case)).llm.api_key is None  # the environment's key wins, and is withheld
    monkeypatch.delenv("OPENAI_API_KEY")
    s = load_settings(Workspace.at(case))
    assert s.llm.api_key is not None and s.llm.api_key.get_secret_value() == "sk-the-case-own"
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    # the user's own config binds a key to an endpoint like the environment does
    user = Path(str(tmp_path / "home" / ".config" / "briefwright"))
    user.mkdir(parents=True)
    (user / "config.toml").write_text('trusted_endpoints = ["http://127.0.0.1:2/v1"]\n')
    (case / "config.toml").write_text('[llm]\nbase_url = "http://127.0.0.1:2/v1"\n')
    assert load_settings(Workspace.at(case)).llm.api_key is not None
    # the OpenAI key's own home is trusted by default (the README's example config keeps working)
    (case / "config.toml").write_text('[llm]\nbase_url = "https://api.openai.com/v1"\n')
    assert load_settings(Workspace.at(case)).llm.api_key is not None


def test_embeddings_key_is_bound_too(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BRIEF_EMBEDDINGS__API_KEY", KEY)
    case = tmp_path / "case"
    case.mkdir()
    (case / "config.toml").write_text('[embeddings]\nprovider = "openai"\nbase_url = "http://127.0.0.1:3/v1"\n')
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
