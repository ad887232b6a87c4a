"""Fault suite: the real ``openai`` client and the drafting pipeline against a local OpenAI-compatible server
that misbehaves on cue (refused connections, stalls past the timeout, 429/500 bursts, truncated and non-JSON
bodies), and disk faults while saving a draft or a decision. Every finished section is kept, the failure is
recorded, ``--resume`` completes the draft; nothing half-written is left, and the user is told."""

from __future__ import annotations

import errno
import http.server
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from agent.cli.main import main
from agent.core.contracts import Draft
from agent.core.drafts import load_draft
from agent.core.paths import Workspace
from agent.drafting.pipeline import draft_brief
from agent.llm.openai_client import OpenAICompatibleLLM
from agent.services import Services
from tests.support.drafting import honest

SECRET = "sk-fault-SECRET-9876543210"


@pytest.fixture(autouse=True)
def _quotes_template(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one-call-per-section template, whose answers ``honest`` (tests/support/drafting.py) can write."""
    monkeypatch.setenv("BRIEF_TEMPLATE", "brief_template_quotes")


class _Schema:
    """The JSON schema a request carries, shaped like the pydantic model ``honest`` expects."""

    def __init__(self, js: dict[str, Any]) -> None:
        self.js = js
        self.model_fields = js.get("properties", {})

    def model_json_schema(self) -> dict[str, Any]:
        return self.js


@dataclass
class Script:
    """What the server does for chat call number n (0-based): ``fault(n)`` names a fault or returns None."""

    fault: Callable[[int], str | None] = lambda n: None
    calls: int = 0
    faults: list[str] = field(default_factory=list)
    auth: list[str | None] = field(default_factory=list)
    stall_s: float = 3.0


def _completion(content: str) -> bytes:
    return json.dumps(
        {
            "id": "c",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }
    ).encode()


class _Handler(http.server.BaseHTTPRequestHandler):
    script: Script
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._send(200, b'{"object": "list", "data": [{"id": "m", "object": "model"}]}')

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        s = self.script
        n, s.calls = s.calls, s.calls + 1
        s.auth.append(self.headers.get("Authorization"))
        fault = s.fault(n)
        if fault:
            s.faults.append(fault)
        if fault == "stall":
            time.sleep(s.stall_s)
        if fault == "reset":  # the server dies mid-request: no answer at all
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "429":
            return self._send(429, b'{"error": {"message": "slow down"}}', {"Retry-After": "0"})
        if fault == "500":
            return self._send(500, b'{"error": {"message": "internal"}}')
        if fault == "truncated":
            body = _completion('{"claims": [')
            return self._send(200, body[: len(body) // 2])
        if fault == "not-json":
            return self._send(200, b"<html>502 Bad Gateway</html>")
        schema = _Schema(request["response_format"]["json_schema"]["schema"])
        answer = honest(request["messages"], schema)  # type: ignore[arg-type]
        self._send(200, _completion(json.dumps(answer)))


@pytest.fixture
def endpoint() -> Iterator[tuple[str, Script]]:
    script = Script()
    handler = type("H", (_Handler,), {"script": script})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", script
    finally:
        server.shutdown()
        server.server_close()


def _llm(url: str, services: Services, **kw: Any) -> OpenAICompatibleLLM:
    kw.setdefault("timeout_s", 1.0)
    kw.setdefault("max_attempts", 3)
    return OpenAICompatibleLLM(
        base_url=url,
        api_key=SECRET,
        model="m",
        kind="openai-compatible",
        structured_output="json_schema",
        max_retry_time_s=20,
        max_validation_retries=1,
        log_path=services.workspace.llm_log,
        sleep=lambda s: None,  # retries are immediate here; the waits asked for are tested in test_llm_openai
        **kw,
    )


def _done(draft: Draft) -> list[str]:
    return [s.key for s in draft.sections if s.status == "done"]


def _written(ws: Workspace) -> str:
    """Everything a run wrote into the workspace, as text."""
    return "\n".join(
        p.read_text(errors="replace") for p in ws.root.rglob("*") if p.is_file() and "chroma" not in str(p)
    )


# Transient faults: shorter than the retry budget, so the draft completes as if nothing happened.
TRANSIENT = {
    "429-burst": lambda n: "429" if n in (1, 2) else None,
    "500-burst": lambda n: "500" if n in (3, 4) else None,
    "stall-once": lambda n: "stall" if n == 2 else None,
    "reset-once": lambda n: "reset" if n == 1 else None,
    "truncated-once": lambda n: "truncated" if n == 2 else None,
    "not-json-once": lambda n: "not-json" if n == 2 else None,
}


@pytest.mark.slow  # ~8 s each (a seeded workspace per case)
@pytest.mark.parametrize("kind", list(TRANSIENT))
def test_transient_faults_are_absorbed(services: Services, endpoint: tuple[str, Script], kind: str) -> None:
    url, script = endpoint
    script.fault = TRANSIENT[kind]
    services.use_llm(_llm(url, services))
    draft = draft_brief(services, "North Korea and Russia")
    assert all(s.status == "done" for s in draft.sections), [(s.key, s.error) for s in draft.sections]
    assert script.faults, "the fault never happened"
    assert SECRET not in _written(services.workspace)


# Persistent faults: from the third call on, for the rest of the run. Finished sections are kept on disk, the
# failure is recorded per section, and a resumed draft against a healthy endpoint completes.
PERSISTENT = {
    "refused": "refused",
    "stall": "stall",
    "500": "500",
    "truncated": "truncated",
    "not-json": "not-json",
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(PERSISTENT))
def test_persistent_faults_keep_finished_sections_and_resume_completes(
    services: Services, endpoint: tuple[str, Script], kind: str
) -> None:
    url, script = endpoint
    broken_from = 3
    if kind == "refused":  # nothing listens there: connection refused
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
        healthy = _llm(url, services)
        calls = {"n": 0}

        class Dying:  # the endpoint goes away after a few calls (as a killed server does)
            info = healthy.info

            def complete(self, *a: Any, **k: Any) -> Any:
                calls["n"] += 1
                target = healthy if calls["n"] <= broken_from else _llm(dead, services, max_attempts=2)
                return target.complete(*a, **k)

        services.use_llm(Dying())  # type: ignore[arg-type]
    else:
        script.fault = lambda n: PERSISTENT[kind] if n >= broken_from else None
        script.stall_s = 1.5
        services.use_llm(_llm(url, services, max_attempts=2))
    saved: list[list[str]] = []
    draft = draft_brief(services, "North Korea and Russia", on_saved=lambda d: saved.append(_done(d)))
    failed = [s for s in draft.sections if s.status == "failed"]
    assert failed and all(s.error for s in failed), "the failure is recorded with its reason"
    assert _done(draft), "the sections finished before the fault are kept"
    on_disk = load_draft(services.workspace, draft.id)
    assert _done(on_disk) == _done(draft) and [s.status for s in on_disk.sections] == [s.status for s in draft.sections]
    script.fault = lambda n: None
    services.use_llm(_llm(url, services))
    resumed = draft_brief(services, "", resume=on_disk)
    assert all(s.status == "done" for s in resumed.sections)
    before = {s.key: s.claims for s in draft.sections if s.status == "done"}
    assert all(s.claims == before[s.key] for s in resumed.sections if s.key in before)  # not redrafted
    assert SECRET not in _written(services.workspace)


def test_the_cli_says_a_section_failed_and_how_to_resume(
    services: Services, endpoint: tuple[str, Script], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    url, script = endpoint
    script.fault = lambda n: "500" if n >= 2 else None
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("BRIEF_LLM__MAX_ATTEMPTS", "1")
    monkeypatch.setenv("BRIEF_LLM__MODEL", "m")
    monkeypatch.setenv("BRIEF_LLM__STRUCTURED_OUTPUT", "json_schema")
    ws = str(services.workspace.root)
    services.close()
    assert main(["-w", ws, "draft", "--topic", "North Korea and Russia"]) == 1
    out = capsys.readouterr().out
    assert "failed sections" in out and "brief draft --resume" in out
    script.fault = lambda n: None
    assert main(["-w", ws, "draft", "--resume"]) == 0
    assert all(s.status == "done" for s in load_draft(Workspace.at(ws)).sections)
    assert all(a == f"Bearer {SECRET}" for a in script.auth)  # the user's own endpoint: the key goes there
    assert SECRET not in _written(Workspace.at(ws)) + out


# --------------------------------------------------------------------------- disk faults


def _enospc(*a: Any, **k: Any) -> Any:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_while_saving_a_draft_keeps_the_previous_file(services: Services, monkeypatch) -> None:
    from agent.llm.testing import FakeLLM

    services.use_llm(FakeLLM(honest))
    draft = draft_brief(services, "North Korea and Russia")
    path = services.workspace.draft_file(draft.id)
    before = path.read_bytes()
    monkeypatch.setattr("agent.core.atomic.os.fsync", _enospc)
    from agent.core.drafts import save_draft

    changed = draft.model_copy(update={"topic": "changed"})
    with pytest.raises(OSError, match="No space"):
        save_draft(services.workspace, changed)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")], "a temp file was left behind"


def test_a_read_only_workspace_while_deciding_tells_the_reviewer_and_keeps_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from agent.review.session import ReviewSession
    from tests.support.review import seed_draft

    draft = seed_draft()[0]
    ws = Workspace.at(tmp_path / "ws").ensure()
    with ReviewSession(ws, draft, reviewer="ana") as s:
        s.accept(draft.claims()[0].id)
        journal = ws.journal_file(draft.id)
        before = journal.read_bytes()
        real_open = os.open

        def read_only(path: Any, flags: int, *a: Any) -> int:
            if flags & (os.O_WRONLY | os.O_RDWR):
                raise OSError(errno.EROFS, "Read-only file system", str(path))
            return real_open(path, flags, *a)

        monkeypatch.setattr("agent.core.atomic.os.open", read_only)
        with pytest.raises(OSError, match="Read-only"):
            s.reject(draft.claims()[1].id)
        assert s.claim(draft.claims()[1].id).status == "pending"
        monkeypatch.undo()
    assert journal.read_bytes() == before


def test_a_full_disk_while_deciding_leaves_no_fragment(tmp_path: Path, monkeypatch) -> None:
    from agent.review.session import ReviewSession
    from tests.support.review import seed_draft

    draft = seed_draft()[0]
    ws = Workspace.at(tmp_path / "ws").ensure()
    with ReviewSession(ws, draft, reviewer="ana") as s:
        s.accept(draft.claims()[0].id)
        journal = ws.journal_file(draft.id)
        before = journal.read_bytes()
        real = __import__("os").write
        monkeypatch.setattr("agent.core.atomic.os.write", lambda fd, data: real(fd, bytes(data)[:10]) and _enospc())
        with pytest.raises(OSError, match="No space"):
            s.reject(draft.claims()[1].id)
        monkeypatch.undo()
        assert journal.read_bytes() == before
    with ReviewSession(ws, draft, reviewer="ana") as s:
        assert not s.warnings and s.claim(draft.claims()[1].id).status == "pending"


# --------------------------------------------------------------------------- damaged state


def _saved_draft(tmp_path: Path) -> tuple[Workspace, Draft]:
    from agent.core.drafts import save_draft
    from tests.support.review import seed_draft

    ws = Workspace.at(tmp_path / "ws").ensure()
    draft = seed_draft()[0]
    save_draft(ws, draft)
    return ws, draft


@pytest.mark.parametrize("command", [["export"], ["export", "--format", "json"]])
def test_a_damaged_journal_is_reported_with_the_way_out(tmp_path: Path, capsys: Any, command: list[str]) -> None:
    ws, draft = _saved_draft(tmp_path)
    ws.journal_file(draft.id).write_text('{"not": "an event"}\n{"x": 1}\n')
    assert main(["-w", str(ws.root), *command]) != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "line 1 is not a review event" in err
    assert f"mv{ws.journal_file(draft.id)}" in "".join(err.split())  # the way out: set it aside


@pytest.mark.parametrize("damage", ['{"id": "', "", "not json at all", '{"id": "x"}'])
def test_a_damaged_draft_is_reported_with_the_way_out(tmp_path: Path, capsys: Any, damage: str) -> None:
    ws, draft = _saved_draft(tmp_path)
    ws.draft_file(draft.id).write_text(damage)
    for command in (["export"], ["export", draft.id], ["review", "--read-only"], ["draft", "--resume"]):
        assert main(["-w", str(ws.root), *command]) != 0
        err = " ".join(capsys.readouterr().err.split())
        assert "Traceback" not in err and "damaged" in err and "brief draft --topic" in err, (command, err)


# --------------------------------------------------------------------------- secrets


def test_no_secret_in_anything_a_run_writes_or_prints(
    services: Services, endpoint: tuple[str, Script], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """A key in the environment and credentials in the endpoint's URL: neither is in the logs, the draft, the
    journal, the exports, the output or an error message."""
    url, script = endpoint
    with_creds = url.replace("http://", "http://alice:pw-SECRET-4242@") + "?api_key=q-SECRET-77"
    script.fault = lambda n: "500" if n in (2, 3) else ("not-json" if n == 5 else None)
    monkeypatch.setenv("OPENAI_BASE_URL", with_creds)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("BRIEF_LLM__MAX_ATTEMPTS", "1")
    monkeypatch.setenv("BRIEF_LLM__MODEL", "m")
    monkeypatch.setenv("BRIEF_LLM__STRUCTURED_OUTPUT", "json_schema")
    ws = services.workspace
    services.close()
    printed = []
    main(["-w", str(ws.root), "draft", "--topic", "North Korea and Russia"])
    script.fault = lambda n: None
    assert main(["-w", str(ws.root), "draft", "--resume"]) == 0
    for args in (["doctor"], ["status"], ["export"], ["export", "--format", "json", "--include-pending"]):
        main(["-w", str(ws.root), *args])
        out = capsys.readouterr()
        printed.append(out.out + out.err)
    everything = _written(ws) + "".join(printed)
    assert "llm_calls" in str(list(ws.logs_dir.iterdir()))
    for secret in (SECRET, "pw-SECRET-4242", "q-SECRET-77"):
        assert secret not in everything, secret


def test_an_index_of_another_embedding_model_is_detected_with_the_command_that_recovers(
    tmp_path: Path, capsys: Any
) -> None:
    """Sources ingested with one embedding model, then the workspace set to another (a new, empty collection),
    or a collection whose vectors have another dimension: drafting and search say so and name `--reindex`,
    which embeds the stored chunks again."""
    import numpy as np

    from agent.corpus.ingest import ingest_paths
    from agent.services import open_services
    from tests.support.seeds import SOURCES, workspace

    ws, settings = workspace(tmp_path)
    with open_services(ws, settings) as s:
        ingest_paths(s, SOURCES[:1])
        n = s.store.count_chunks()
        # Another model's vectors under this collection's name: wrong dimension.
        ids = s.store.chunk_ids_for(s.store.documents()[0].id)
        s.index.client.delete_collection(s.index.name)
        other = s.index.client.create_collection(s.index.name, embedding_function=None)
        other.upsert(ids=ids, embeddings=np.ones((len(ids), 8), dtype=np.float32))  # type: ignore[arg-type]
    for command in (["search", "Kursk"], ["draft", "--topic", "Kursk"]):
        assert main(["-w", str(ws.root), *command]) != 0
        err = " ".join(capsys.readouterr().err.split())
        assert "Traceback" not in err and "another embedding model" in err and "--reindex" in err, err
    assert main(["-w", str(ws.root), "ingest", "--reindex"]) == 0
    with open_services(ws, settings) as s:
        assert s.index.count() == n == s.store.count_chunks()
        assert s.retriever.search("North Korea", 3, mode="dense")
    # and a collection holding fewer vectors than the store has chunks (a switched or damaged index)
    with open_services(ws, settings) as s:
        s.index.collection.delete(ids=ids[:1])
    assert main(["-w", str(ws.root), "draft", "--topic", "Kursk"]) != 0
    assert "--reindex" in " ".join(capsys.readouterr().err.split())


# --------------------------------------------------------------------------- the real embedded server dies


@pytest.mark.slow
def test_the_embedded_server_killed_mid_draft(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kill -9 of the real llama-server after the first section: the sections after it fail with the reason,
    what was finished is kept, and --resume (which starts a new server) drafts them again. (The tiny model may
    fail a section on its own merits; what is checked is that no section is left failed for want of a server.)"""
    import os
    import signal

    from agent.corpus.ingest import ingest_paths
    from agent.drafting.progress import DraftProgress
    from agent.services import open_services
    from tests.support.seeds import SOURCES, workspace
    from tests.test_runtime import LLAMA_SERVER, TINY, _server_pid

    if LLAMA_SERVER is None:
        pytest.skip("llama-server is not installed")
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("BRIEF_LOCAL_MODEL", TINY)
    monkeypatch.setenv("BRIEF_LLM__MAX_TOKENS", "200")
    monkeypatch.setenv("BRIEF_LLM__LOCAL_CTX", "4096")
    monkeypatch.setenv("BRIEF_LLM__MAX_ATTEMPTS", "2")
    monkeypatch.setenv("BRIEF_LLM__MAX_RETRY_TIME_S", "5")
    ws, settings = workspace(tmp_path)
    killed: list[int] = []

    class KillAfterFirst(DraftProgress):
        def section_finished(self, section: Any) -> None:
            if not killed:
                pid = _server_pid(services.llm.info.base_url or "")
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    import dataclasses

    from agent.drafting.template import load_template

    full = load_template("brief_template_quotes")
    short = dataclasses.replace(full, sections=full.sections[:3])  # three model-drafted sections: minutes, not tens
    with open_services(ws, settings) as services:
        ingest_paths(services, SOURCES[:2])
        draft = draft_brief(services, "North Korean troops in Kursk", progress=KillAfterFirst(), template=short)
    assert killed
    rest = draft.sections[1:]
    # the reason names the dead server: its exit code when the runtime saw it die, or the unanswered request
    lost = [x for x in rest if x.status == "failed" and _server_gone(x.error)]
    assert lost, [(x.key, x.status, x.error) for x in rest]  # the failure is recorded, with its reason
    on_disk = load_draft(ws, draft.id)
    assert [x.status for x in on_disk.sections] == [x.status for x in draft.sections]
    kept = {x.key: x.claims for x in on_disk.sections if x.status == "done"}
    with open_services(ws, load_settings_for(ws)) as services:
        resumed = draft_brief(services, "", resume=on_disk, template=short)  # starts a new server
    assert not [x.key for x in resumed.sections if _server_gone(x.error)]
    assert all(x.claims == kept[x.key] for x in resumed.sections if x.key in kept)  # finished ones kept


def _server_gone(error: str | None) -> bool:
    return bool(error) and ("did not answer" in error or "llama-server exited with code" in error)  # type: ignore[operator]


def load_settings_for(ws: Workspace) -> Any:
    from agent.core.settings import load_settings

    return load_settings(ws)
