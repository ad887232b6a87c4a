"""`brief sources`, `sources set`, `timeline` and `contradictions` on the seeds, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli.main import main
from agent.services import Services


def run(ws: Path, *argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["-w", str(ws), *argv])
    out, err = capsys.readouterr()
    return code, " ".join(out.split()) if argv[-1] != "--json" else out, " ".join(err.split())


def test_sources_timeline_and_contradictions_on_the_seeds(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = services.workspace.root
    code, out, _ = run(ws, "sources", "--json", capsys=capsys)
    assert code == 0
    profiles = {Path(p["label"]).name: p for p in json.loads(out)}
    grades = sorted(p["grade"] for p in profiles.values())
    assert grades == ["F3", "F3", "F4", "F4"]
    newsletter = next(p for p in profiles.values() if p["outlet"] == "Boundless Discovery")
    assert newsletter["outlet_from"] == "inferred" and newsletter["type"] == "newsletter"

    code, out, _ = run(ws, "sources", "set", newsletter["doc_id"][:8], "--reliability", "C", capsys=capsys)
    assert code == 0 and "sources.toml" in out
    code, out, _ = run(ws, "sources", "--json", capsys=capsys)
    again = next(p for p in json.loads(out) if p["doc_id"] == newsletter["doc_id"])
    assert (again["grade"], again["reliability_from"]) == ("C3", "analyst")
    code, out, _ = run(ws, "sources", capsys=capsys)
    assert code == 0 and "C3" in out and "weak" in out

    code, out, _ = run(ws, "timeline", "--json", capsys=capsys)
    events = json.loads(out)
    dates = [e["date"] for e in events]
    assert dates == sorted(dates) and {"2024-06", "2024-08-06", "2024-11"} <= set(dates)
    code, out, _ = run(ws, "timeline", capsys=capsys)
    assert code == 0 and "2024-08-06" in out

    code, out, _ = run(ws, "contradictions", "--json", capsys=capsys)
    found = json.loads(out)
    assert found["contradictions"] == []
    assert any(f["low"] == 1100 and f["high"] == 3000 for f in found["figures"])
    code, out, _ = run(ws, "contradictions", capsys=capsys)
    assert "No contradictions" in out and "1,100–3,000" in out


def test_bad_grades_and_unknown_documents_are_clear_errors(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = services.workspace.root
    doc = services.store.documents()[0].id
    code, _, err = run(ws, "sources", "set", doc, "--reliability", "G", capsys=capsys)
    assert code == 1 and "reliability 'G' is not one of A-F" in err
    code, out, _ = run(ws, "sources", "set", "nope", "--reliability", "B", capsys=capsys)
    assert code == 1 and "no document with id 'nope'" in out
    code, out, _ = run(ws, "sources", "set", doc, capsys=capsys)
    assert code == 2 and "nothing to set" in out
    (ws / "sources.toml").write_text("[[outlet]\n", encoding="utf-8")
    code, _, err = run(ws, "sources", capsys=capsys)
    assert code == 1 and "sources.toml" in err and "not valid TOML" in err


def test_no_documents_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(tmp_path / "empty", "timeline", capsys=capsys)
    assert code == 1 and "brief ingest" in err
