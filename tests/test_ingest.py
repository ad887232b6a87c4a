from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from agent.corpus.dates import parse_date
from agent.corpus.ingest import chunk_document, ingest_paths, normalise_text, read_document
from agent.services import open_services
from tests.support.seeds import SOURCES, workspace


def test_chunks_are_exact_slices_with_stable_ids() -> None:
    doc = read_document(SOURCES[3], max_bytes=10**7)
    chunks = chunk_document(doc, size=500, overlap=80)
    assert len(chunks) > 5
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text
        assert c.doc_id == doc.id
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    again = chunk_document(read_document(SOURCES[3], max_bytes=10**7), size=500, overlap=80)
    assert [c.id for c in again] == [c.id for c in chunks]
    assert len({c.id for c in chunks}) == len(chunks)
    # Neighbours overlap, and together they cover the text from its first to its last character.
    assert chunks[0].start == 0 and chunks[-1].end == len(doc.text)


def test_document_id_is_hash_of_normalised_content(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"Title line\r\n\r\nBody text.   \r\n")
    b.write_text("Title line\n\nBody text.\n")
    da, db = read_document(a, max_bytes=1000), read_document(b, max_bytes=1000)
    assert da.id == db.id
    assert da.sha256 != db.sha256  # raw bytes differ; change detection still sees it
    assert normalise_text("x\r\ny  \n\n\n\nz") == "x\ny\n\nz"


def test_metadata_from_text_front_matter_html_and_sidecar(tmp_path: Path) -> None:
    gold = read_document(Path("seeds/000_58b6ca9ed2250062.txt"), max_bytes=10**6)
    assert gold.published is not None and gold.published.isoformat() == "2025-12-27"
    analysis = read_document(SOURCES[2], max_bytes=10**6)
    assert analysis.title == "Implications of North Korean Support for Russia"
    assert analysis.published is not None and analysis.published.isoformat() == "2025-03-24"

    md = tmp_path / "note.md"
    md.write_text(
        "---\ntitle: Field note\noutlet: Example Wire\ndate: 2024-06-19\nurl: https://e.x/1\n---\nText here.\n"
    )
    d = read_document(md, max_bytes=10**6)
    assert (d.title, d.outlet, str(d.published), d.url) == ("Field note", "Example Wire", "2024-06-19", "https://e.x/1")
    assert d.text == "Text here."

    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>T &amp; U</title><meta property='og:site_name' content='The Outlet'>"
        "<meta property='article:published_time' content='2025-01-02T10:00:00Z'>"
        "<link rel='canonical' href='https://o.example/a'><script>var x = 'not text';</script></head>"
        "<body><nav>menu</nav><p>First paragraph.</p><p>Second &eacute;t&eacute;.</p></body></html>"
    )
    h = read_document(page, max_bytes=10**6)
    assert (h.title, h.outlet, str(h.published), h.url) == ("T & U", "The Outlet", "2025-01-02", "https://o.example/a")
    assert "First paragraph." in h.text and "Second été." in h.text
    assert "not text" not in h.text and "menu" not in h.text

    side = tmp_path / "plain.txt"
    side.write_text("Some report\nbody\n")
    (tmp_path / "plain.txt.meta.json").write_text('{"outlet": "Sidecar News", "published": "2023-05-06"}')
    s = read_document(side, max_bytes=10**6)
    assert (s.outlet, str(s.published), s.title) == ("Sidecar News", "2023-05-06", "Some report")


def test_parse_date_forms() -> None:
    assert str(parse_date("March 24th, 2025")) == "2025-03-24"
    assert str(parse_date("Published on: 2025-12-27")) == "2025-12-27"
    assert str(parse_date("on 5 Sept 2024 we")) == "2024-09-05"
    assert parse_date("no date here 2024") is None


def _bad_files(root: Path) -> dict[str, str]:
    """file name -> expected error fragment"""
    (root / "empty.txt").write_text("")
    (root / "blank.md").write_text("   \n\n")
    (root / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR" * 10)
    (root / "latin1.txt").write_bytes("Caf\xe9 au lait".encode("latin-1"))
    (root / "big.txt").write_text("word " * 300_000)
    (root / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    locked = root / "locked.txt"
    locked.write_text("secret")
    locked.chmod(0)
    return {
        "empty.txt": "empty file",
        "blank.md": "empty file",
        "binary.txt": "binary",
        "latin1.txt": "not valid UTF-8 (byte 0xe9 at offset 3)",
        "big.txt": "too large",
        "sheet.xlsx": "unsupported file type '.xlsx'",
        "locked.txt": "permission denied",
    }


def test_bad_input_is_reported_per_file_and_the_rest_goes_on(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    expected = _bad_files(src)
    if os.geteuid() == 0:  # root reads anything: provoke the unreadable case differently
        (src / "locked.txt").unlink()
        (src / "locked.txt").mkdir()  # a folder named like a file is discovered as a folder: nothing to read
        expected.pop("locked.txt")
    good = src / "good.txt"
    good.write_text(SOURCES[0].read_text())
    ws, settings = workspace(tmp_path)
    settings.ingest.max_file_mb = 1.0
    with open_services(ws, settings) as services:
        outcomes = ingest_paths(services, [src])
        by_name = {Path(o.path).name: o for o in outcomes}
        for name, fragment in expected.items():
            assert by_name[name].status == "failed", name
            assert fragment in (by_name[name].error or ""), (name, by_name[name].error)
        assert by_name["good.txt"].status == "added"
        assert services.store.count_chunks() == by_name["good.txt"].chunks > 0


def test_unreadable_file_when_not_root(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        # Root ignores file modes; run the read as an unprivileged user instead.
        pytest.importorskip("pwd")
        f = tmp_path / "locked.txt"
        f.write_text("secret")
        f.chmod(0)
        tmp_path.chmod(0o755)
        code = (
            "import os, sys\nfrom pathlib import Path\nfrom agent.corpus.ingest import read_document, IngestError\n"
            "os.setgid(65534); os.setuid(65534)\n"
            "try:\n    read_document(Path(sys.argv[1]), max_bytes=100)\n"
            "except IngestError as e:\n    print(e)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, str(f)], capture_output=True, text=True, cwd=Path(__file__).parent.parent
        )
        assert "permission denied" in out.stdout, out.stderr
    else:
        f = tmp_path / "locked.txt"
        f.write_text("secret")
        f.chmod(0)
        from agent.corpus.ingest import IngestError

        with pytest.raises(IngestError, match="permission denied"):
            read_document(f, max_bytes=100)


def test_reingest_is_idempotent_and_changed_files_replace_their_chunks(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for s in SOURCES[:2]:
        (src / s.name).write_text(s.read_text())
    ws, settings = workspace(tmp_path)
    with open_services(ws, settings) as services:
        first = ingest_paths(services, [src])
        assert [o.status for o in first] == ["added", "added"]
        n_chunks, n_vectors = services.store.count_chunks(), services.index.count()
        assert n_chunks == n_vectors == sum(o.chunks for o in first)

        calls: list[int] = []
        real = services.embedder.embed
        services.embedder.embed = lambda texts: (calls.append(len(texts)), real(texts))[1]  # type: ignore[method-assign]
        again = ingest_paths(services, [src])
        assert [o.status for o in again] == ["unchanged", "unchanged"]
        assert calls == []  # no embedding work at all
        assert services.store.count_chunks() == n_chunks and services.index.count() == n_vectors

        changed = src / SOURCES[0].name
        old_id = first[0].doc_id
        changed.write_text("A short replacement report.\n\nIt says something else entirely about Kursk.\n")
        third = ingest_paths(services, [src])
        assert [o.status for o in third] == ["replaced", "unchanged"]
        assert not services.store.has_document(old_id or "")
        assert services.store.count_chunks() == services.index.count() == third[0].chunks + first[1].chunks
        hits = services.retriever.search("replacement report Kursk", 3)
        assert all(h.chunk.doc_id != old_id for h in hits)


def test_an_embedding_failure_is_that_files_failure_only(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for s in SOURCES[:3]:
        (src / s.name).write_text(s.read_text())
    (src / SOURCES[1].name).write_text("POISON " + SOURCES[1].read_text())
    ws, settings = workspace(tmp_path)
    with open_services(ws, settings) as services:
        real = services.embedder.embed
        calls: list[int] = []

        def flaky(texts):  # type: ignore[no-untyped-def]
            calls.append(len(texts))
            if any("POISON" in t for t in texts):
                raise RuntimeError("endpoint returned 500")
            return real(texts)

        services.embedder.embed = flaky  # type: ignore[method-assign]
        outcomes = ingest_paths(services, [src])
    assert [o.status for o in outcomes] == ["added", "failed", "added"]
    assert outcomes[1].error == "embedding failed: endpoint returned 500"
    assert calls[0] == sum(o.chunks for o in outcomes) + len(
        chunk_document(read_document(src / SOURCES[1].name, max_bytes=10**7), size=900, overlap=150)
    )  # one batch for all three


def test_a_failed_reingest_keeps_the_old_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Replacing a changed file writes the new version before deleting the old: a failure loses neither."""
    src = tmp_path / "report.txt"
    src.write_text("North Korean sappers cleared minefields near Kursk in the spring of 2025, officials said.\n")
    ws, settings = workspace(tmp_path)
    with open_services(ws, settings) as services:
        [first] = ingest_paths(services, [src])
        old_id = first.doc_id or ""
        src.write_text("A rewritten report: the sappers left Kursk in the summer, officials said today.\n")

        def disk_full(*a: object, **k: object) -> None:
            raise sqlite3.OperationalError("database or disk is full")

        monkeypatch.setattr(services.store, "put_document", disk_full)
        [second] = ingest_paths(services, [src])
        assert second.status == "failed" and "disk is full" in (second.error or "")
        monkeypatch.undo()
        assert services.store.has_document(old_id)
        assert services.store.count_chunks() == services.index.count() == first.chunks  # no stray new vectors
        assert any(h.chunk.doc_id == old_id for h in services.retriever.search("sappers minefields Kursk", 3))
        [third] = ingest_paths(services, [src])  # and the next run does the replacement
        assert third.status == "replaced" and not services.store.has_document(old_id)


def test_edited_front_matter_or_sidecar_is_not_unchanged(tmp_path: Path) -> None:
    src = tmp_path / "report.md"
    body = "North Korean sappers cleared minefields near Kursk in the spring of 2025, officials said.\n"
    src.write_text(f"---\ntitle: Sappers\noutlet: Daily A\n---\n{body}")
    ws, settings = workspace(tmp_path)
    with open_services(ws, settings) as services:
        [first] = ingest_paths(services, [src])
        src.write_text(f"---\ntitle: Sappers\noutlet: Weekly B\n---\n{body}")
        [second] = ingest_paths(services, [src])
        assert second.status == "replaced" and second.doc_id == first.doc_id
        assert services.store.get_document(second.doc_id or "").outlet == "Weekly B"
        (tmp_path / "report.md.meta.json").write_text(
            '{"url": "https://example.org/sappers", "published": "2025-04-01"}'
        )
        [third] = ingest_paths(services, [src])
        assert third.status == "replaced"
        doc = services.store.get_document(third.doc_id or "")
        assert doc.url == "https://example.org/sappers" and str(doc.published) == "2025-04-01"
        assert ingest_paths(services, [src])[0].status == "unchanged"
