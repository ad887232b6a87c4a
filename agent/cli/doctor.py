"""``brief doctor``: what this installation would use, and whether each part actually works.

Every check does the real thing where it is cheap (one tiny schema-constrained completion, one
embedding) because "configured" and "working" differ: a key can be wrong, a model file damaged,
a server not running. Nothing secret is printed; the API key shows only as set or not set.
The embedded llama-server is first smoke-tested with the tiny model (start, one token), which also
reports whether the binary was built portably (:func:`smoke_check`, run by ``brief models fetch`` too).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel
from rich.console import Console

from agent.core import model_files
from agent.core.paths import Workspace
from agent.core.settings import Settings, redact_url
from agent.llm.seam import LLMError


class _Ping(BaseModel):
    """Kept to one string field so even the tiny test model fills it reliably."""

    answer: str


_PING_MESSAGES = [
    {"role": "system", "content": "You are a health check. Reply with JSON only."},
    {"role": "user", "content": 'Reply with {"answer": "pong"}.'},
]


def doctor(settings: Settings, workspace: Workspace, *, out: Callable[[str], object] = print) -> int:
    """Report endpoint, model, embeddings and index; return 0 when everything works, 1 otherwise."""
    from agent.core.trust import report

    for line in report(workspace, settings.ignored_workspace_keys):  # which of the case's settings are in force
        out(line)
    ok = True
    ok &= _check_llm(settings, workspace, out)
    ok &= _check_embeddings(settings, out)
    ok &= _check_index(settings, workspace, out)
    out("all checks passed" if ok else "some checks FAILED (see above)")
    return 0 if ok else 1


def _check_llm(settings: Settings, workspace: Workspace, out: Callable[[str], object]) -> bool:
    from agent.llm.runtime import find_llama_server, open_llm, resolve_local_model

    cfg = settings.llm
    if cfg.base_url:
        out(f"LLM endpoint: {redact_url(cfg.base_url)} (configured)")
        out(f"  model: {cfg.model or '(the endpoint default)'}")
        if cfg.key_notice:
            out(f"  API key: WITHHELD: {cfg.key_notice}")
        else:
            out(f"  API key: {'set' if cfg.api_key else 'not set'}")
    else:
        out("LLM endpoint: embedded llama-server (no llm.base_url / OPENAI_BASE_URL set)")
        try:
            binary = find_llama_server(cfg.local_server)
            out(f"  llama-server: {binary}")
            model = resolve_local_model(cfg.local_model)
        except LLMError as e:
            out(f"  FAIL: {e}")
            return False
        out(f"  model: {model.description}")
        out(f"  file: {model.path}")
        if model.sha256:
            out(f"  SHA-256: {model.sha256} (verified)")
        else:
            out(f"  SHA-256: {model_files.sha256_file(model.path)} (your own file: not checked against a known hash)")
        out(f"  context {cfg.local_ctx} tokens, {cfg.local_threads} threads")
        if not smoke_check(settings, out, log_dir=workspace.logs_dir):
            return False
    out(f"  structured output: {cfg.structured_output}")
    started = time.monotonic()
    try:
        with open_llm(settings, workspace) as llm:
            ready = time.monotonic() - started
            result = llm.complete(_PING_MESSAGES, _Ping, prompt_name="doctor", prompt_version="1")
            info = llm.info
    except LLMError as e:
        out(f"  round trip: FAIL: {e}")
        return False
    usage = result.usage
    out(f"  endpoint kind: {info.kind}, model {info.model}, structured output {info.structured_output}")
    if not cfg.base_url:
        out(f"  server ready in {ready:.1f}s")
    out(
        f"  round trip: OK, schema-valid answer {result.value.model_dump_json()} in {usage.latency_s:.2f}s "
        f"({usage.prompt_tokens} tokens in, {usage.completion_tokens} out"
        + (f", {usage.retries} retries" if usage.retries else "")
        + ")"
    )
    out(f"  call log: {workspace.llm_log}")
    return True


def smoke_check(settings: Settings, out: Callable[[str], object], *, log_dir: Path | None = None) -> bool:
    """Start llama-server with the tiny model and ask for one token; report the build and the outcome.

    False only when the binary fails (the message says exactly how, and how to rebuild it); a missing tiny
    model or binary is reported as a skipped check.
    """
    from agent.llm import llama_build
    from agent.llm.runtime import SMOKE_MODEL, EmbeddedServerError, find_llama_server, smoke_test

    try:
        binary = find_llama_server(settings.llm.local_server)
    except EmbeddedServerError as e:
        out(f"  smoke test: skipped ({e})")
        return True
    if not model_files.is_installed(SMOKE_MODEL):
        out(f"  smoke test: skipped ({SMOKE_MODEL} is not installed: brief models fetch {SMOKE_MODEL})")
        return True
    try:
        result = smoke_test(SMOKE_MODEL, binary=binary, threads=settings.llm.local_threads, log_dir=log_dir)
    except EmbeddedServerError as e:
        out(f"  smoke test: FAIL: {e}")
        return False
    out(
        f"  smoke test: OK, {result.model} ready in {result.ready_s:.1f}s, "
        f"{result.completion_tokens} token in {result.answer_s:.2f}s"
    )
    if result.info is None:
        out("  build: unknown (llama-server logged no system_info line)")
    else:
        extra = result.info.beyond_baseline()
        sets = " ".join(sorted(result.info.instruction_sets)) or "none"
        if extra:
            out(
                f"  build: NOT portable: {', '.join(extra)} beyond the portable baseline (instruction sets: {sets}). "
                "Fine on this CPU; on a CPU or VM without them it crashes. Portable rebuild: "
                + llama_build.rebuild_command("portable")
            )
        else:
            out(f"  build: portable (instruction sets: {sets})")
    return True


def _check_embeddings(settings: Settings, out: Callable[[str], object]) -> bool:
    cfg = settings.embeddings
    if cfg.provider == "openai":
        out(f"Embeddings: {cfg.model} at {redact_url(cfg.base_url) or '(embeddings.base_url not set)'}")
        if cfg.key_notice:
            out(f"  API key WITHHELD: {cfg.key_notice}")
    else:
        out("Embeddings: all-MiniLM-L6-v2 int8 ONNX, local")
        for name in ("minilm-l6-v2-int8", "minilm-l6-v2-tokenizer"):
            try:
                path = model_files.resolve(name)
            except model_files.AssetError as e:
                out(f"  FAIL: {e}")
                return False
            out(f"  {name}: {path} (SHA-256 verified)")
    try:
        from agent.corpus.embeddings import make_embedder

        started = time.monotonic()
        vectors = make_embedder(cfg).embed(["health check"])
        out(f"  embedding: OK, {vectors.shape[1]} dimensions in {time.monotonic() - started:.2f}s")
    except Exception as e:  # any failure here is the thing we are reporting
        out(f"  embedding: FAIL: {type(e).__name__}: {e}")
        return False
    return True


def _check_index(settings: Settings, workspace: Workspace, out: Callable[[str], object]) -> bool:
    url = settings.index.chroma_url
    if not url:
        out(f"Index: Chroma embedded, at {workspace.chroma_dir}")
        return True
    out(f"Index: Chroma server at {redact_url(url)}")
    base = url.rstrip("/")
    for path in ("/api/v2/heartbeat", "/api/v1/heartbeat"):
        try:
            if httpx.get(base + path, timeout=5.0).status_code == 200:
                out("  heartbeat: OK")
                return True
        except httpx.HTTPError as e:
            out(f"  heartbeat: FAIL: {type(e).__name__}: {e} (is `chroma run` up?)")
            return False
    out("  heartbeat: FAIL: the server answered, but not as a Chroma server")
    return False


__all__ = ["doctor", "smoke_check"]


def register(sub: Any) -> None:
    s = sub.add_parser("doctor", help="check the endpoint, models and index")
    s.set_defaults(handler=cmd_doctor)


def cmd_doctor(args: argparse.Namespace, ws: Workspace, settings: Settings, console: Console) -> int:
    return doctor(settings, ws, out=plain(console))


def plain(console: Console) -> Callable[[str], object]:
    """Print as is: messages quote paths, logs, settings and commands (``briefwright[local]`` is not markup),
    control codes made visible, and a command stays on one line to be copied."""
    from agent.core.display import printable

    return lambda text: console.print(printable(text), markup=False, highlight=False, soft_wrap=True)
