"""No writes outside the workspace: a case folder from someone else may carry symbolic links where Briefwright
writes (logs, journals, drafts, exports, the store and its sidecars, the vector index). Every command refuses such a
workspace, naming each link, before it writes anything; files appended to are opened without following links."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.cli.main import main
from agent.core.atomic import append_json_line, open_append
from agent.core.paths import UnsafePath, Workspace


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "1000")  # long paths on one line


def _outside(tmp_path: Path) -> Path:
    out = tmp_path / "outside"
    out.mkdir()
    (out / "victim.txt").write_text("precious\n")
    return out


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_doctor_does_not_append_to_logs_linked_elsewhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outside = _outside(tmp_path)
    ws = tmp_path / "case"
    (ws / "logs").mkdir(parents=True)
    (ws / "logs" / "llm_calls.jsonl").symlink_to(outside / "victim.txt")
    (ws / "logs" / "llama-server.log").symlink_to(outside / "victim.txt")
    before = _snapshot(outside)
    assert main(["-w", str(ws), "doctor"]) == 2
    assert _snapshot(outside) == before
    err = " ".join(capsys.readouterr().err.split())
    assert "llm_calls.jsonl" in err and "llama-server.log" in err and "symbolic links" in err


@pytest.mark.parametrize(
    "name, is_dir",
    [
        ("journals", True),
        ("drafts", True),
        ("exports", True),
        ("logs", True),
        ("chroma", True),
        ("store.sqlite3", False),
        ("store.sqlite3-wal", False),
        ("keyword.tmp.npz", False),
        ("sources.toml", False),
    ],
)
def test_a_linked_folder_or_store_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, is_dir: bool
) -> None:
    outside = _outside(tmp_path)
    ws = tmp_path / "case"
    ws.mkdir()
    target = outside / ("dir" if is_dir else "file")
    if is_dir:
        target.mkdir()
    (ws / name).symlink_to(target)
    before = _snapshot(outside)
    for command in (["status"], ["export"], ["sources", "set", "x", "--reliability", "B"]):
        assert main(["-w", str(ws), *command]) == 2, command
        err = " ".join(capsys.readouterr().err.split())
        assert f"{ws / name} ->" in err, err
    assert _snapshot(outside) == before
    assert sorted(p.name for p in outside.iterdir()) == sorted(
        ["victim.txt", target.name] if is_dir else ["victim.txt"]
    )
    with pytest.raises(UnsafePath):
        Workspace.at(ws).ensure()


def test_a_link_inside_an_own_folder_is_refused_too(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    ws = Workspace.at(tmp_path / "case").ensure()
    (ws.journals_dir / "20260101-000000-abcdef.jsonl").symlink_to(outside / "victim.txt")
    with pytest.raises(UnsafePath, match=r"20260101-000000-abcdef\.jsonl"):
        ws.check_links()


def test_appends_never_follow_a_link(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    link = tmp_path / "log.jsonl"
    link.symlink_to(outside / "victim.txt")
    with pytest.raises(UnsafePath):
        append_json_line(link, {"x": 1})
    with pytest.raises(UnsafePath):
        open_append(link)
    assert (outside / "victim.txt").read_text() == "precious\n"
    real = tmp_path / "real.log"
    with open_append(real) as fh:
        fh.write(b"ok\n")
    append_json_line(real, {"x": 1})
    assert real.read_text() == 'ok\n{"x": 1}\n'
