"""Test isolation: no test touches the user's home, config, workspace or API keys.

The only thing read from outside the test's tmp folder is the verified model cache
(``brief models fetch`` puts weights there); it is captured once, before HOME is moved.
Shared fixtures (``nlp``, ``services``) live in ``tests/support/fixtures.py``; shared helpers in ``tests/support/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fixtures import MODEL_CACHE, isolate, nlp, seeded_workspace, services

__all__ = ["nlp", "seeded_workspace", "services"]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    isolate(monkeypatch, tmp_path)
    yield


@pytest.fixture
def model_cache() -> Path:
    return MODEL_CACHE
