"""Real-world sources, generated as real files (tests/docgen.py) and run through the real ingest, index and search:
PDF (pages kept), scanned PDF, Word, e-mail with attachments, a web page with boilerplate and hidden elements,
hard-wrapped text, a folder of saved pages; metadata with where each field came from; bad files one by one."""

from __future__ import annotations

import json
import socket
import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from agent.core.contracts import Citation, Claim, Draft, Provenance, SectionDraft, SourceDocument
from agent.corpus.ingest import IngestError, ingest_paths, read_document
from agent.services import Services, open_services
from tests import docgen
from tests.support.seeds import workspace


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("formats") / "src"
    src.mkdir()
    docgen.make_pdf(src / "assessment.pdf")
    docgen.make_docx(src / "memo.docx")
    attached = docgen.attachment_pdf(src.parent / "brigade-report.pdf")
    docgen.make_eml(src / "forwarded.eml", attached)
    docgen.make_html(src / "kursk-story.html")
    docgen.make_wrapped_text(src / "sitrep.txt")
    return src


@pytest.fixture
def ingested(corpus: Path, tmp_path: Path) -> Iterator[tuple[Services, dict[str, SourceDocument]]]:
    ws, settings = workspace(tmp_path)
    with open_services(ws, settings) as services:
        outcomes = ingest_paths(services, [corpus])
        assert [(Path(o.path).name, o.status) for o in outcomes] == [
            ("assessment.pdf", "added"),
            ("forwarded.eml", "added"),
            ("forwarded.eml#brigade-report.pdf", "added"),
            ("kursk-story.html", "added"),
            ("memo.docx", "added"),
            ("sitrep.txt", "added"),
        ], [(o.path, o.status, o.error) for o in outcomes]
        docs = {Path(o.path).name: services.store.get_document(o.doc_id or "") for o in outcomes}
        yield services, docs


PHRASES = {
    "assessment.pdf": docgen.PDF_PHRASE,
    "memo.docx": docgen.DOCX_PHRASE,
    "forwarded.eml": docgen.EMAIL_PHRASE,
    "forwarded.eml#brigade-report.pdf": docgen.ATTACHMENT_PHRASE,
    "kursk-story.html": docgen.HTML_PHRASE,
    "sitrep.txt": docgen.WRAPPED_PHRASE,
}


def test_each_format_is_searchable_by_a_body_phrase_and_its_citations_resolve_exactly(
    ingested: tuple[Services, dict[str, SourceDocument]],
) -> None:
    services, docs = ingested
    for name, phrase in PHRASES.items():
        doc = docs[name]
        hits = services.retriever.search(phrase, 3)
        assert hits and hits[0].chunk.doc_id == doc.id, (name, [h.chunk.doc_id for h in hits])
        top = hits[0].chunk
        assert doc.text[top.start : top.end] == top.text
        assert phrase in _flat(top.text), (name, top.text)
        # The sentence a claim would cite: an exact span of the document, holding the whole phrase even where the
        # source wraps its lines (e-mail, PDF, hard-wrapped text).
        cited = [s for s in services.analyser.analyse(doc) if phrase in _flat(s.text)]
        assert len(cited) == 1, (name, [s.text for s in services.analyser.analyse(doc)])
        s = cited[0]
        assert doc.text[s.start : s.end] == s.text
        assert s.text.endswith("."), (name, s.text)  # the whole sentence, not a line of it
        cit = Citation(chunk_id=top.id, doc_id=doc.id, quote=s.text, start=s.start, end=s.end, quote_as_given=phrase)
        assert doc.text[cit.start : cit.end] == cit.quote


def test_hard_wrapped_text_is_reflowed_for_evidence_with_offsets_kept(
    ingested: tuple[Services, dict[str, SourceDocument]],
) -> None:
    services, docs = ingested
    for name in ("sitrep.txt", "forwarded.eml"):
        doc = docs[name]
        assert any("\n" in para for para in doc.text.split("\n\n"))  # the text is the file's own, wraps and all
        for c in services.store.chunks_for(doc.id):
            assert doc.text[c.start : c.end] == c.text
    sitrep = docs["sitrep.txt"]
    assert docgen.WRAPPED_PHRASE not in sitrep.text  # it crosses a line end in the file
    (sentence,) = [s for s in services.analyser.analyse(sitrep) if "ferry" in s.text]
    assert _flat(sentence.text).startswith("Since Tuesday the " + docgen.WRAPPED_PHRASE)
    assert _flat(sentence.text).endswith("by order of the district administration.")


def test_chunks_of_hard_wrapped_text_end_at_sentences_not_at_line_ends() -> None:
    from agent.core.contracts import stable_id
    from agent.corpus.ingest import chunk_document

    text = docgen.hard_wrapped([docgen.WRAPPED_PARAGRAPHS[1] + " " + docgen.WRAPPED_PARAGRAPHS[2]] * 3).strip()
    doc = SourceDocument(id=stable_id("doc", text), path="w.txt", text=text, sha256="x")
    chunks = chunk_document(doc, size=240, overlap=0)
    assert len(chunks) > 4
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text
        assert c.text.rstrip().endswith((".", ",")), c.text  # a sentence's (or clause's) end, not a wrapped line's


def test_no_boilerplate_or_hidden_text_is_retrievable(ingested: tuple[Services, dict[str, SourceDocument]]) -> None:
    services, docs = ingested
    page = docs["kursk-story.html"]
    memo = docs["memo.docx"]
    everything = [c.text for d in docs.values() for c in services.store.chunks_for(d.id)]
    for phrase in [*docgen.HTML_BOILERPLATE, docgen.DOCX_FOOTER]:
        assert phrase.lower() not in page.text.lower() and phrase.lower() not in memo.text.lower(), phrase
        assert not any(phrase.lower() in t.lower() for t in everything), phrase
        for mode in ("keyword", "dense", "hybrid"):
            for h in services.retriever.search(phrase, 5, mode=mode):
                assert phrase.lower() not in h.chunk.text.lower(), (phrase, mode)
    assert "North Korean engineering units cleared an estimated" in page.text


def test_pdf_pages_are_kept_and_a_citation_says_its_page(ingested: tuple[Services, dict[str, SourceDocument]]) -> None:
    from agent.core.contracts import page_of
    from agent.export.render import render_json, render_markdown
    from tui.render import citation_block

    _services, docs = ingested
    pdf = docs["assessment.pdf"]
    assert len(pdf.pages) == 3 and pdf.pages[0] == 0
    starts = {n: pdf.text.index(p.split("\n\n")[-1][:40]) for n, p in enumerate(docgen.PDF_PAGES, start=1)}
    for n, at in starts.items():
        assert page_of(pdf, at) == n and pdf.page_of(at + 30) == n
    assert page_of(pdf, 0) == 1 and page_of(pdf, len(pdf.text) - 1) == 3
    assert [page_of(pdf, at) for at in pdf.pages] == [1, 2, 3]
    assert [page_of(pdf, at - 3) for at in pdf.pages[1:]] == [1, 2]
    assert page_of(docs["memo.docx"], 10) is None  # not paged
    # The export's note for a quote on page 2 says so.
    at = pdf.text.index("The pontoon bridge")
    quote = pdf.text[at : at + 60]
    cit = Citation(chunk_id="c", doc_id=pdf.id, quote=quote, start=at, end=at + 60, quote_as_given=quote)
    claim = Claim(id="k", section="bluf", text="The bridge was rebuilt.", citations=[cit], status="accepted")
    draft = Draft(
        id="d",
        topic="t",
        sections=[SectionDraft(key="bluf", title="BLUF", status="done", claims=[claim])],
        provenance=Provenance(model="m", endpoint_kind="fake"),
    )
    get = {pdf.id: pdf}.get
    md = render_markdown(draft, get)
    assert "[^1]: outlet unknown, 2025-03-04, p. 2 — “" + quote.replace("\n", " ") + "”" in md, md
    assert json.loads(render_json(draft, get))["sections"][0]["claims"][0]["citations"][0]["page"] == 2
    console = Console(width=200, record=True)
    console.print(citation_block(1, cit, pdf))
    shown = console.export_text()
    assert shown.startswith("[1] Engineering Support Assessment  —  outlet unknown · 2025-03-04 · p. 2\n"), shown


def test_metadata_from_each_format_says_where_it_came_from(
    ingested: tuple[Services, dict[str, SourceDocument]],
) -> None:
    _services, docs = ingested
    pdf, memo, mail, att, page, txt = (
        docs[n]
        for n in (
            "assessment.pdf",
            "memo.docx",
            "forwarded.eml",
            "forwarded.eml#brigade-report.pdf",
            "kursk-story.html",
            "sitrep.txt",
        )
    )
    assert (pdf.title, pdf.author, str(pdf.published)) == (
        "Engineering Support Assessment",
        "Regional Analysis Cell",
        "2025-03-04",
    )
    assert pdf.field_sources == {"title": "file", "author": "file", "published": "file"}
    assert (memo.title, memo.author, str(memo.published)) == (
        "Logistics Memo: Border Convoys",
        "J. Analyst",
        "2025-02-20",
    )
    assert "Unit | Vehicles | Last seen\nEngineer battalion | 36 | Sudzha" in memo.text  # the table, row by row
    assert "\n\nObserved units\n\n" in memo.text and "• Rail movements are unconfirmed." in memo.text
    assert (mail.title, mail.author, str(mail.published)) == ("Fwd: brigade equipment report", "Jane Roe", "2025-02-14")
    assert mail.field_sources == {"title": "file", "author": "file", "published": "file"}
    assert [(a.name, a.doc_id, a.note) for a in mail.attachments] == [
        ("brigade-report.pdf", att.id, None),
        ("map.png", None, "not read: .png is not a source type"),
    ]
    # The attachment has no metadata of its own: it inherits the e-mail's.
    assert (att.title, att.author, str(att.published)) == (
        "Fwd: brigade equipment report — brigade-report.pdf",
        "Jane Roe",
        "2025-02-14",
    )
    assert att.field_sources == {"title": "inherited", "author": "inherited", "published": "inherited"}
    assert att.content_type == "application/pdf" and att.pages == [0]
    assert (page.title, page.outlet, page.author, str(page.published), page.url) == (
        "Sappers clear Kursk minefields",
        "Example News",
        "Jane Roe",
        "2025-02-14",
        "https://news.example.org/2025/kursk-story",
    )
    assert set(page.field_sources.values()) == {"file"}
    assert (txt.title, str(txt.published)) == ("Situation report, eastern sector", "2025-02-12")
    assert txt.field_sources == {"title": "inferred", "published": "inferred"}


def test_sidecar_beats_file_metadata_beats_text(tmp_path: Path) -> None:
    page = docgen.make_html(tmp_path / "page.html")
    (tmp_path / "page.html.meta.json").write_text('{"title": "Analyst title", "published": "2025-02-15"}')
    doc = read_document(page, max_bytes=10**6)
    assert (doc.title, str(doc.published), doc.outlet) == ("Analyst title", "2025-02-15", "Example News")
    assert doc.field_sources["title"] == "sidecar" and doc.field_sources["published"] == "sidecar"
    assert doc.field_sources["outlet"] == "file"
    md = tmp_path / "note.md"
    md.write_text("---\ntitle: Front-matter title\n---\nA first line\n\nPublished on: 2024-06-19\n")
    doc = read_document(md, max_bytes=10**6)
    assert (doc.title, str(doc.published)) == ("Front-matter title", "2024-06-19")
    assert doc.field_sources == {"title": "file", "published": "inferred"}


def test_a_folder_of_saved_pages_is_ingested_without_their_assets(tmp_path: Path) -> None:
    folder = docgen.make_saved_pages(tmp_path / "saved")
    ws, settings = workspace(tmp_path)
    with open_services(ws, settings) as services:
        outcomes = ingest_paths(services, [folder])
        assert [(Path(o.path).name, o.status) for o in outcomes] == [
            ("kursk-story.html", "added"),
            ("radar.mhtml", "added"),
        ]
        radar = services.store.get_document(outcomes[1].doc_id or "")
        assert (radar.title, radar.outlet, radar.url) == (
            "Radar deliveries",
            "Example Wire",
            "https://wire.example.net/radar",
        )
        assert "Home | Markets" not in radar.text
        (hit,) = services.retriever.search(docgen.SECOND_PAGE_PHRASE, 1)
        assert hit.chunk.doc_id == radar.id and docgen.SECOND_PAGE_PHRASE in hit.chunk.text


def test_a_saved_page_in_its_declared_charset_is_read(tmp_path: Path) -> None:
    page = tmp_path / "old.html"
    page.write_bytes(
        "<html><head><meta http-equiv='Content-Type' content='text/html; charset=windows-1252'><title>Caf\xe9</title>"
        "</head><body><article><p>The caf\xe9 on the square reopened \u2013 after the shelling \u2013 in March."
        "</p></article></body></html>".encode("windows-1252")
    )
    doc = read_document(page, max_bytes=10**6)
    assert "The café on the square reopened – after the shelling – in March." in doc.text
    (tmp_path / "bad.html").write_bytes(b"<html><body><p>caf\xe9</p></body></html>")
    with pytest.raises(IngestError, match=r"not valid UTF-8 \(byte 0xe9"):
        read_document(tmp_path / "bad.html", max_bytes=10**6)


def test_reading_a_web_page_never_touches_the_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access while reading a page: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    doc = read_document(docgen.make_html(tmp_path / "page.html"), max_bytes=10**6)
    assert docgen.HTML_PHRASE in _flat(doc.text)


def test_bad_files_of_the_new_kinds_are_reported_one_by_one(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    good = docgen.make_pdf(src / "good.pdf")
    docgen.make_scanned_pdf(src / "scanned.pdf")
    docgen.make_encrypted_pdf(src / "locked.pdf", good)
    (src / "truncated.pdf").write_bytes(good.read_bytes()[:700])
    (src / "memo-doc.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 an old Word 97 file")
    with zipfile.ZipFile(src / "not-word.docx", "w") as z:
        z.writestr("hello.txt", "a zip, but not a Word document")
    (src / "notes.eml").write_text("just some words, no headers at all\n")
    attached = docgen.make_encrypted_pdf(tmp_path / "enc.pdf", good)
    docgen.make_eml(src / "mail.eml", attached)  # the e-mail is fine; its attachment is not
    expected = {
        "scanned.pdf": "no text layer (2 page(s) of images: a scan?): OCR it first",
        "locked.pdf": "encrypted PDF: it needs a password",
        "truncated.pdf": "not a readable PDF, damaged or truncated",
        "memo-doc.docx": "not a Word .docx file (not a zip package); if it is an old .doc",
        "not-word.docx": "not a readable .docx",
        "notes.eml": "not an e-mail message: no From, Subject or Date header",
        "mail.eml#brigade-report.pdf": "encrypted PDF: it needs a password",
    }
    ws, settings = workspace(tmp_path)
    with open_services(ws, settings) as services:
        outcomes = ingest_paths(services, [src])
    by_name = {Path(o.path).name: o for o in outcomes}
    for name, fragment in expected.items():
        assert by_name[name].status == "failed", (name, by_name[name])
        assert fragment in (by_name[name].error or ""), (name, by_name[name].error)
    assert by_name["good.pdf"].status == "added" and by_name["mail.eml"].status == "added"
    mail_doc = read_document(src / "mail.eml", max_bytes=10**7)
    assert mail_doc.attachments[0].doc_id is None
    assert (mail_doc.attachments[0].note or "").startswith("not ingested: encrypted PDF")


def test_an_email_reingested_unchanged_does_no_work(corpus: Path, tmp_path: Path) -> None:
    ws, settings = workspace(tmp_path)
    with open_services(ws, settings) as services:
        first = ingest_paths(services, [corpus / "forwarded.eml"])
        again = ingest_paths(services, [corpus / "forwarded.eml"])
    assert [o.status for o in first] == ["added", "added"]
    assert [o.status for o in again] == ["unchanged", "unchanged"]
    assert [o.doc_id for o in again] == [o.doc_id for o in first]


def test_an_attachment_dropped_from_a_changed_email_leaves_the_workspace(corpus: Path, tmp_path: Path) -> None:
    from email import message_from_bytes, policy

    mail = tmp_path / "forwarded.eml"
    mail.write_bytes((corpus / "forwarded.eml").read_bytes())
    ws, settings = workspace(tmp_path)
    with open_services(ws, settings) as services:
        first = ingest_paths(services, [mail])
        attachment_id = first[1].doc_id or ""
        assert services.store.has_document(attachment_id)
        msg = message_from_bytes(mail.read_bytes(), policy=policy.default)
        msg.set_payload([p for p in msg.get_payload() if p.get_filename() != "brigade-report.pdf"])  # type: ignore[union-attr]
        mail.write_bytes(bytes(msg))
        again = ingest_paths(services, [mail])
        assert [(Path(o.path).name, o.status) for o in again] == [("forwarded.eml", "replaced")]
        assert not services.store.has_document(attachment_id)
        assert services.index.count() == services.store.count_chunks() == again[0].chunks
        assert services.retriever.search(docgen.ATTACHMENT_PHRASE, 3)[0].chunk.doc_id == again[0].doc_id
        assert services.store.get_document(again[0].doc_id or "").attachments[0].name == "map.png"
        # Likewise a sidecar edited after the ingest: same text, new metadata.
        (tmp_path / "forwarded.eml.meta.json").write_text('{"outlet": "Desk archive"}')
        third = ingest_paths(services, [mail])
        assert [o.status for o in third] == ["replaced"] and third[0].doc_id == again[0].doc_id
        assert services.store.get_document(third[0].doc_id or "").outlet == "Desk archive"
        assert services.index.count() == services.store.count_chunks() == third[0].chunks
        assert [o.status for o in ingest_paths(services, [mail])] == ["unchanged"]


def test_a_workspace_from_before_the_new_fields_still_loads(tmp_path: Path) -> None:
    from agent.corpus.store import Store

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE documents (id TEXT PRIMARY KEY, path TEXT NOT NULL, title TEXT, outlet TEXT, author TEXT, "
        "published TEXT, url TEXT, content_type TEXT NOT NULL, text TEXT NOT NULL, sha256 TEXT NOT NULL, "
        "ingested_at TEXT NOT NULL)"
    )
    db.execute(
        "INSERT INTO documents VALUES ('d1', '/x.txt', 'Old', NULL, NULL, '2024-01-02', NULL, 'text/plain', "
        "'Old text.', 'abc', '2025-01-01T00:00:00+00:00')"
    )
    db.commit()
    db.close()
    store = Store(path)
    old = store.get_document("d1")
    assert (old.title, old.field_sources, old.pages, old.attachments) == ("Old", {}, [], [])
    assert SourceDocument.model_validate_json(old.model_dump_json(exclude={"field_sources", "pages", "attachments"}))
    paged = old.model_copy(update={"id": "d2", "pages": [0, 4], "field_sources": {"title": "sidecar"}})
    store.put_document(paged, [], path_key="/y.pdf")
    assert store.get_document("d2").pages == [0, 4] and store.get_document("d2").field_sources == {"title": "sidecar"}
    store.close()
