"""Shared builders for tests (not fixtures, so any test module can call them)."""

from __future__ import annotations

from pathlib import Path

from agent.core.paths import PROJECT_ROOT, Workspace
from agent.core.settings import Settings, load_settings

SEEDS_DIR = PROJECT_ROOT / "seeds"
GOLD = SEEDS_DIR / "000_58b6ca9ed2250062.txt"
SOURCES = sorted(p for p in SEEDS_DIR.glob("00[1-4]_*.txt"))


def workspace(tmp: Path, name: str = "ws") -> tuple[Workspace, Settings]:
    ws = Workspace.at(tmp / name).ensure()
    return ws, load_settings(ws)
