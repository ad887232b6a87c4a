"""Test isolation: no test touches the user's home, config, workspace or API keys.

The only thing read from outside the test's tmp folder is the verified model cache
(``brief models fetch`` puts weights there); it is captured once, before HOME is moved.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.core.paths import cache_dir
from agent.corpus.ingest import ingest_paths
from agent.services import Services, open_services
from tests.helpers import SOURCES, workspace

_MODEL_CACHE = cache_dir()
_SECRET_VARS = [k for k in os.environ if k.startswith(("OPENAI_", "BRIEF_", "ANTHROPIC_", "CHROMA_"))]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in _SECRET_VARS:
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("BRIEF_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("BRIEF_CACHE_DIR", str(_MODEL_CACHE))
    monkeypatch.setenv("USER", "tester")
    # An accidental call to a real endpoint fails loudly instead of spending money.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-invalid")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    yield


@pytest.fixture
def model_cache() -> Path:
    return _MODEL_CACHE


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    """A workspace with the four seed sources ingested (real Chroma index, real embeddings)."""
    ws, settings = workspace(tmp_path)
    with open_services(ws, settings) as s:
        ingest_paths(s, SOURCES)
        yield s
