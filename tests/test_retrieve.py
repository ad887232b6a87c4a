from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from agent.cli.main import main
from agent.corpus.ingest import ingest_paths
from agent.corpus.store import keyword_terms
from agent.services import Services, open_services
from tests.support.seeds import SOURCES, workspace

ROOT = Path(__file__).resolve().parent.parent


def _doc_prefix(services: Services, doc_id: str) -> str:
    return Path(services.store.get_document(doc_id).path).name[:3]


def test_issue_queries_rank_the_right_documents_first(services: Services) -> None:
    hits = services.retriever.search("North Korean sappers clearing minefields in Kursk", 5)
    assert _doc_prefix(services, hits[0].chunk.doc_id) in {"001", "002"}
    hits = services.retriever.search("the 2024 treaty's mutual-defence clause", 5)
    assert _doc_prefix(services, hits[0].chunk.doc_id) == "004"
    assert "mutual defense" in hits[0].chunk.text


def test_hybrid_fuses_both_rankings(services: Services) -> None:
    r = services.retriever
    q = "Ruslan Mykula Deep State war map reinforcements"
    dense = r.search(q, 5, mode="dense")
    keyword = r.search(q, 5, mode="keyword")
    hybrid = r.search(q, 5)
    assert all(h.keyword_rank is None for h in dense) and all(h.dense_rank is None for h in keyword)
    # The rare proper name is a keyword match: the chunk holding it leads the hybrid ranking.
    assert "Ruslan Mykula" in keyword[0].chunk.text and "Ruslan Mykula" in hybrid[0].chunk.text
    assert hybrid[0].dense_rank is not None and hybrid[0].keyword_rank == 1
    # Scores are reciprocal-rank sums, best first.
    assert [h.score for h in hybrid] == sorted((h.score for h in hybrid), reverse=True)
    top = hybrid[0]
    assert top.score == pytest.approx(1 / (60 + top.dense_rank) + 1 / (60 + top.keyword_rank))


def test_filters_by_document_and_date(services: Services) -> None:
    r, store = services.retriever, services.store
    docs = {Path(d.path).name[:3]: d for d in store.documents()}
    only = r.search("North Korea Russia alliance", 10, doc_ids=[docs["004"].id])
    assert only and {h.chunk.doc_id for h in only} == {docs["004"].id}
    # 003 is dated 2025-03-24; the others carry no date and are excluded by any date filter.
    dated = r.search("North Korea Russia alliance", 10, since=date(2025, 1, 1), until=date(2025, 12, 31))
    assert dated and {h.chunk.doc_id for h in dated} == {docs["003"].id}
    assert r.search("North Korea Russia alliance", 10, since=date(2026, 1, 1)) == []


def test_keyword_terms_drop_stopwords_and_punctuation() -> None:
    assert keyword_terms('What is the "mutual-defence" clause of the treaty?') == [
        "mutual",
        "defence",
        "clause",
        "treaty",
    ]


def test_index_persists_across_processes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    assert main(["-w", str(ws), "ingest", "--quiet", *map(str, SOURCES)]) == 0
    # A new process opens the same workspace and finds the chunks in both indexes.
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent.cli.main",
            "-w",
            str(ws),
            "search",
            "sappers minefields Kursk",
            "--json",
            "-k",
            "3",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ.copy(),
        check=True,
    )
    hits = json.loads(out.stdout)
    assert len(hits) == 3 and hits[0]["dense_rank"] and hits[0]["keyword_rank"]
    assert "sapper" in hits[0]["chunk"]["text"]


def test_cli_ingest_exit_status_reflects_failures(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    assert main(["-w", str(tmp_path / "ws"), "ingest", "--quiet", str(SOURCES[0]), str(bad)]) == 1
    assert main(["-w", str(tmp_path / "ws"), "ingest", "--quiet", str(SOURCES[0])]) == 0
    assert main(["-w", str(tmp_path / "ws"), "ingest", "--quiet", str(tmp_path / "missing")]) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists():
        pytest.skip("the `chroma` CLI is not installed beside this Python")
    port = _free_port()
    log = (tmp_path / "chroma.log").open("w")
    proc = subprocess.Popen(
        [str(exe), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError((tmp_path / "chroma.log").read_text()) from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.mark.chroma_server
def test_server_mode_against_a_real_chroma_run(
    tmp_path: Path, chroma_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEF_CHROMA_URL", chroma_server)
    ws, settings = workspace(tmp_path)
    assert settings.index.chroma_url == chroma_server
    with open_services(ws, settings) as services:
        ingest_paths(services, SOURCES)
        assert services.index.where == chroma_server
        assert services.index.count() == services.store.count_chunks() > 0
        hits = services.retriever.search("North Korean sappers clearing minefields in Kursk", 3)
        assert _doc_prefix(services, hits[0].chunk.doc_id) in {"001", "002"}
    assert not (ws.chroma_dir).exists()  # nothing was written to an embedded index
