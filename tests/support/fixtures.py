"""Fixtures every test module can ask for (imported by ``tests/conftest.py``).

``nlp`` loads spaCy once per session. ``services`` is a workspace with the four seed sources ingested: they are
ingested (real Chroma index, real embeddings) once per session into a folder of its own, and each test gets a
copy of that folder, so a test may write to its workspace without another test seeing it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from spacy.language import Language

from agent.core import model_files
from agent.core.paths import cache_dir
from agent.corpus.ingest import ingest_paths
from agent.corpus.sentences import load_nlp
from agent.services import Services, open_services
from tests.support.seeds import SOURCES, workspace

MODEL_CACHE = cache_dir()
_SECRET_VARS = [k for k in os.environ if k.startswith(("OPENAI_", "BRIEF_", "ANTHROPIC_", "CHROMA_"))]


def isolate(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    """No user home, config, workspace or API key: everything under ``root``, only the model cache shared.
    An accidental call to a real endpoint fails loudly instead of spending money."""
    for var in _SECRET_VARS:
        monkeypatch.delenv(var, raising=False)
    home = root / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("BRIEF_WORKSPACE", str(root / "ws"))
    monkeypatch.setenv("BRIEF_CACHE_DIR", str(MODEL_CACHE))
    monkeypatch.setenv("USER", "tester")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-invalid")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")


@pytest.fixture(scope="session")
def nlp() -> Language:
    return load_nlp(model_files.resolve_dir("spacy-en-core-web-sm"))


@pytest.fixture(scope="session")
def seeded_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of a workspace with the four seed sources ingested, made once per session: copy it, never
    open it (see ``services``)."""
    root = tmp_path_factory.mktemp("seeded")
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, root)
        ws, settings = workspace(root)
        with open_services(ws, settings) as s:
            ingest_paths(s, SOURCES)
    return ws.root


@pytest.fixture
def services(tmp_path: Path, seeded_workspace: Path) -> Iterator[Services]:
    """A workspace with the four seed sources ingested (real Chroma index, real embeddings): this test's own copy."""
    shutil.copytree(seeded_workspace, tmp_path / "ws")
    ws, settings = workspace(tmp_path)
    with open_services(ws, settings) as s:
        yield s
