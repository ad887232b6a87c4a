"""Ctrl-C and SIGTERM during ingest, draft, review and eval: the state on disk stays consistent, the next run
completes it, and no lock or server is left behind. Each case runs the real code in a child process and signals
it mid-work (the child sets its SIGINT handler itself: a background job inherits an ignored SIGINT)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from agent.core.drafts import load_draft
from agent.core.paths import PROJECT_ROOT, Workspace
from agent.corpus.ingest import ingest_paths
from agent.drafting.pipeline import draft_brief
from agent.llm.testing import FakeLLM
from agent.services import open_services
from tests.support.seeds import SOURCES, workspace

pytestmark = pytest.mark.slow  # child processes load spaCy and the embedding model (seconds each)

SIGNALS = [signal.SIGINT, signal.SIGTERM]
_PRELUDE = "import signal, sys, time\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"


def _child(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _PRELUDE + textwrap.dedent(code), *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env or {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )


def _signal_when_ready(proc: subprocess.Popen[str], sig: signal.Signals) -> int:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "READY", f"child did not get going: {line!r} {proc.stderr.read() if proc.stderr else ''}"
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()


INGEST = """
from pathlib import Path
from agent.core.paths import Workspace
from agent.core.settings import load_settings
import agent.corpus.ingest as ingest
from agent.services import open_services
ingest.EMBED_GROUP_CHUNKS = 4  # small groups: the signal lands between two of them
ws = Workspace.at(sys.argv[1]).ensure()
with open_services(ws, load_settings(ws)) as s:
    def on_file(outcome):
        if on_file.n == 3:
            print("READY", flush=True)
            time.sleep(2)
        on_file.n += 1
    on_file.n = 0
    ingest.ingest_paths(s, [Path(sys.argv[2])], on_file=on_file)
    print("FINISHED", flush=True)
"""


@pytest.mark.parametrize("sig", SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_interrupted_ingest_is_consistent_and_the_next_run_completes(tmp_path: Path, sig: signal.Signals) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for n in range(40):
        (src / f"doc{n:03}.txt").write_text(
            f"Report {n}. North Korean unit {n} moved {n * 100} troops to the Kursk region in 2024, officials said. "
            f"Analysts in Seoul expect unit {n} to rotate out within {n % 7 + 2} months.\n"
        )
    ws, settings = workspace(tmp_path)
    code = _signal_when_ready(_child(INGEST, str(ws.root), str(src)), sig)
    assert code != 0  # it was stopped, not finished
    with open_services(ws, settings) as s:
        docs = s.store.documents()
        assert s.store.count_chunks() == s.index.count()  # no vectors without their rows, nor the reverse
        assert 0 < len(docs) < 40
        outcomes = ingest_paths(s, [src])
        assert all(o.status in ("added", "unchanged") for o in outcomes)
        assert sum(o.status == "unchanged" for o in outcomes) == len(docs)
        assert len(s.store.documents()) == 40 and s.store.count_chunks() == s.index.count()


DRAFT = """
from agent.core.paths import Workspace
from agent.core.settings import load_settings
from agent.services import open_services
from agent.drafting.pipeline import draft_brief
from agent.llm.testing import FakeLLM
from tests.support.drafting import honest, section_key
ws = Workspace.at(sys.argv[1])
def respond(messages, schema):
    if section_key(messages) == "implications":
        print("READY", flush=True)
        time.sleep(600)
    return honest(messages, schema)
with open_services(ws, load_settings(ws)) as s:
    s.use_llm(FakeLLM(respond))
    draft_brief(s, "North Korea and Russia")
"""


@pytest.mark.parametrize("sig", SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_interrupted_draft_keeps_finished_sections_and_resumes(
    tmp_path: Path, sig: signal.Signals, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.drafting import honest

    monkeypatch.setenv("BRIEF_TEMPLATE", "brief_template_quotes")
    ws, settings = workspace(tmp_path)
    with open_services(ws, settings) as s:
        ingest_paths(s, SOURCES)
    _signal_when_ready(_child(DRAFT, str(ws.root)), sig)
    draft = load_draft(ws)
    assert [x.key for x in draft.sections if x.status == "done"] == ["bluf", "hypotheses", "assumptions"]
    assert not [p for p in ws.drafts_dir.iterdir() if p.suffix != ".json"], "a temp file was left behind"
    with open_services(ws, settings) as s:
        s.use_llm(FakeLLM(honest))
        resumed = draft_brief(s, "", resume=draft)
    assert all(x.status == "done" for x in resumed.sections)


REVIEW = """
from agent.core.paths import Workspace
from agent.core.drafts import load_draft
from agent.review.session import ReviewSession
ws = Workspace.at(sys.argv[1])
draft = load_draft(ws)
with ReviewSession(ws, draft, reviewer="ana") as s:
    for c in draft.claims()[:3]:
        s.accept(c.id)
    print("READY", flush=True)
    time.sleep(600)
"""


@pytest.mark.parametrize("sig", SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_interrupted_review_keeps_decisions_and_frees_the_draft(tmp_path: Path, sig: signal.Signals) -> None:
    from agent.core.drafts import save_draft
    from agent.review.session import ReviewSession
    from tests.support.review import seed_draft

    ws = Workspace.at(tmp_path / "ws").ensure()
    draft = seed_draft()[0]
    save_draft(ws, draft)
    _signal_when_ready(_child(REVIEW, str(ws.root)), sig)
    with ReviewSession(ws, draft, reviewer="bo") as s:  # not refused: the lock died with its holder
        assert [c.status for c in s.claims()[:3]] == ["accepted"] * 3
        assert not s.warnings


EVAL = """
from pathlib import Path
from agent.cli.main import main
print("READY", flush=True)
main(["-w", sys.argv[1], "eval", sys.argv[2], "--out", sys.argv[3]])
"""


@pytest.mark.parametrize("sig", SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_interrupted_eval_leaves_no_server(tmp_path: Path, sig: signal.Signals) -> None:
    """An eval drafts with the embedded server when no endpoint is configured: stopping it mid-way leaves no
    llama-server behind."""
    from tests.test_runtime import LLAMA_SERVER, TINY

    if LLAMA_SERVER is None:
        pytest.skip("llama-server is not installed")
    case = PROJECT_ROOT / "evals" / "cases" / "seeds-nk-russia"
    before = _llama_servers()
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_BASE_URL", "OPENAI_API_KEY")}
    env |= {"PYTHONPATH": str(PROJECT_ROOT), "BRIEF_LOCAL_MODEL": TINY, "BRIEF_LLM__MAX_TOKENS": "64"}
    env_child = _child(EVAL, str(tmp_path / "ws"), str(case), str(tmp_path / "runs"), env=env)
    assert env_child.stdout is not None
    assert env_child.stdout.readline().strip() == "READY"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (_llama_servers() - before):
        time.sleep(0.5)
    started = _llama_servers() - before
    assert started, "the eval never started its server"
    time.sleep(1)
    env_child.send_signal(sig)
    env_child.wait(timeout=60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (_llama_servers() & started):
        time.sleep(0.5)
    assert not (_llama_servers() & started), "llama-server orphaned"


def _llama_servers() -> set[int]:
    out = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if cmd.split(b"\0")[0].endswith(b"llama-server"):
                out.add(int(proc.name))
    return out
