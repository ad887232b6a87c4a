"""The one-way import rule, checked on the source: lower stages never import higher ones, only the CLI
imports ``tui`` and ``evals`` (DESIGN.md, "Layout"), and no two modules of one stage import each other, however
long the way round. Every import counts, also one inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What each part of ``agent`` may import (besides itself). The composition root (``agent.services``,
# ``agent.review_backend``) wires the stages; only ``agent.cli`` sits above it.
STAGES = ("core", "corpus", "llm", "tradecraft", "drafting", "review", "export")
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "corpus": {"core"},
    "llm": {"core"},
    "tradecraft": {"core", "corpus"},
    "drafting": {"core", "corpus", "llm", "tradecraft"},
    "review": {"core"},
    "export": {"core", "tradecraft"},
    "root": {*STAGES},
    "cli": {*STAGES, "root", "tui", "evals"},
}
ROOT_MODULES = {"services", "review_backend"}
UI_FORBIDDEN = {"openai", "chromadb", "langchain", "langchain_core", "langchain_text_splitters"}


def part_of(module: str) -> str | None:
    """The layer of an ``agent`` (or ``tui``/``evals``) module name; ``None`` for anything else."""
    parts = module.split(".")
    if parts[0] in ("tui", "evals"):
        return parts[0]
    if parts[0] != "agent" or len(parts) == 1:
        return "version" if parts == ["agent"] else None
    if parts[1] in ROOT_MODULES:
        return "root"
    return parts[1] if parts[1] in (*STAGES, "cli") else "unknown"


def imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            # ``from agent import drafting`` names the subpackage in the alias
            if node.module in ("agent", "tui", "evals"):
                found.extend(
                    (node.lineno, f"{node.module}.{a.name}") for a in node.names if not a.name.startswith("__")
                )
    return found


def module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def violations(root: Path) -> list[str]:
    out: list[str] = []
    for path in sorted((root / "agent").rglob("*.py")):
        me = part_of(module_name(path, root))
        if me is None or me == "version":
            continue
        for line, target in imports(path):
            other = part_of(target)
            if other in (None, "version", me):
                continue
            if other == "unknown" or me == "unknown" or other not in ALLOWED[me]:
                out.append(f"{path.relative_to(root)}:{line}: {me} imports {target} ({other})")
    for path in sorted((root / "tui").rglob("*.py")):
        for line, target in imports(path):
            top = target.split(".")[0]
            if top in UI_FORBIDDEN or top == "evals" or part_of(target) == "cli":
                out.append(f"{path.relative_to(root)}:{line}: the UI imports {target}")
    for path in sorted((root / "evals").rglob("*.py")):
        for line, target in imports(path):
            if target.split(".")[0] == "tui" or part_of(target) == "cli":
                out.append(f"{path.relative_to(root)}:{line}: evals imports {target}")
    return out


def circles(root: Path) -> list[str]:
    """Import circles between the modules of one part of ``agent`` (a stage, the root or the CLI): each printed
    as the modules it runs through. ``from agent.cli import corpus`` counts as importing ``agent.cli.corpus``."""
    paths = {module_name(p, root): p for p in sorted((root / "agent").rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for me, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets.add(node.module)
                targets.update(f"{node.module}.{a.name}" for a in node.names)
        graph[me] = {t for t in targets if t in paths and t != me and part_of(t) == part_of(me)}
    # Tarjan's strongly connected components: a component of more than one module is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[str] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component: list[str] = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(" <-> ".join(sorted(component)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_imports_run_one_way() -> None:
    assert violations(ROOT) == []


def test_no_import_circle_inside_a_stage() -> None:
    assert circles(ROOT) == []


def _copy_with(tmp_path: Path, where: str, line: str) -> None:
    """A copy of the tree under ``tmp_path`` with ``line`` added to ``where`` (inside a function if indented)."""
    for top in ("agent", "tui", "evals"):
        for src in (ROOT / top).rglob("*.py"):
            dst = tmp_path / src.relative_to(ROOT)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    target = tmp_path / where
    body = target.read_text(encoding="utf-8")
    if line.startswith("    "):
        body += f"\n\ndef _planted() -> None:\n{line}\n"
    else:
        body += f"\n{line}\n"
    target.write_text(body, encoding="utf-8")


@pytest.mark.parametrize(
    ("where", "line", "why"),
    [
        ("agent/core/contracts.py", "from agent.drafting.pipeline import Draft", "core imports drafting"),
        ("agent/corpus/store.py", "from agent.llm.seam import LLM", "corpus imports llm"),
        ("agent/drafting/pipeline.py", "    from agent.services import Services", "drafting imports root"),
        ("agent/drafting/verify.py", "import tui", "drafting imports tui"),
        ("agent/export/render.py", "from evals.metrics import Scores", "export imports evals"),
        ("agent/review/session.py", "from agent.cli.main import main", "review imports cli"),
        ("tui/render.py", "import openai", "UI imports openai"),
    ],
)
def test_a_forbidden_import_is_caught(tmp_path: Path, where: str, line: str, why: str) -> None:
    """The rule can fail: a copy of the tree with one forbidden import added is refused, naming the file."""
    _copy_with(tmp_path, where, line)
    found = violations(tmp_path)
    assert len(found) == 1, (why, found)
    assert found[0].startswith(where), found


@pytest.mark.parametrize(
    ("where", "line", "circle"),
    [
        # the circle this check was written for: a command group importing a helper from the CLI's entry point
        ("agent/cli/corpus.py", "from agent.cli.main import build_parser", "agent.cli.corpus <-> agent.cli.main"),
        ("agent/cli/common.py", "    from agent.cli import tradecraft", "agent.cli.common <-> agent.cli.tradecraft"),
        (
            "agent/core/paths.py",
            "    from agent.core.settings import Settings",
            # settings reads the user's trust records (core.trust), which write atomically under a workspace
            "agent.core.atomic <-> agent.core.paths <-> agent.core.settings <-> agent.core.trust",
        ),
    ],
)
def test_an_import_circle_is_caught(tmp_path: Path, where: str, line: str, circle: str) -> None:
    """The circle rule can fail: one planted import closing a loop inside a stage is refused, naming the loop."""
    _copy_with(tmp_path, where, line)
    assert violations(tmp_path) == []
    assert circles(tmp_path) == [circle]
