"""Ingest of a folder someone else put together: it reads what it was given (no symlinks out of it), caps what a
file may inflate or nest to, keeps every other file of the run when one fails however it fails, and stores text
as text (no NULs, control or escape codes, bidi overrides). Every hostile file is generated here."""

from __future__ import annotations

import os
import tracemalloc
from email.message import EmailMessage
from pathlib import Path

import pytest

from agent.corpus import readers
from agent.corpus.ingest import IngestError, chunk_document, discover, ingest_paths, normalise_text, read_document
from agent.corpus.readers import read_sources
from agent.services import open_services
from agent.tradecraft.profiles import Registry, RegistryError
from tests.docgen import (
    lie_about_size,
    make_docx_bomb,
    make_docx_to,
    nested_eml,
    utf16_with_lone_surrogate,
)
from tests.support.seeds import SOURCES, workspace

GOOD = "North Korean sappers cleared minefields near Kursk in the spring of 2025, officials said.\n"


def _by_name(outcomes: list) -> dict:  # type: ignore[type-arg]
    return {Path(o.path).name: o for o in outcomes}


# --------------------------------------------------------------------------- symlinks


def _case_with_links(tmp_path: Path) -> tuple[Path, Path]:
    """A case folder holding its own file, links to files and a folder outside it, a link to its own file, and a
    broken link."""
    outside = tmp_path / "elsewhere"
    (outside / "private").mkdir(parents=True)
    (outside / "outside.md").write_text("Outside note: the private diary of the user, never a source.\n")
    (outside / "private" / "secret.txt").write_text("Secret folder text that was never given to ingest.\n")
    case = tmp_path / "case"
    (case / "sub").mkdir(parents=True)
    (case / "report.txt").write_text(GOOD)
    (case / "linked.md").symlink_to(outside / "outside.md")
    (case / "passwd.txt").symlink_to(Path("../elsewhere/private/secret.txt"))  # relative, as an archive holds it
    (case / "sub" / "docs").symlink_to(outside / "private", target_is_directory=True)
    (case / "again.txt").symlink_to(case / "report.txt")  # inside what was given: read
    (case / "loop").symlink_to(case, target_is_directory=True)  # inside: not walked twice
    (case / "gone.txt").symlink_to(tmp_path / "no-such-file.txt")
    return case, outside


def test_symlinks_out_of_the_given_folder_are_skipped_and_reported(tmp_path: Path) -> None:
    case, _ = _case_with_links(tmp_path)
    ws, settings = workspace(tmp_path)
    with open_services(ws, settings) as services:
        outcomes = ingest_paths(services, [case])
        by = _by_name(outcomes)
        for name, target in [("linked.md", "outside.md"), ("passwd.txt", "secret.txt"), ("docs", "private")]:
            assert by[name].status == "skipped", name
            assert "outside the folders and files given" in (by[name].error or "") and target in (by[name].error or "")
            assert "--follow-symlinks" in (by[name].error or "")
        assert by["gone.txt"].status == "skipped" and "broken symlink" in (by["gone.txt"].error or "")
        assert {by["report.txt"].status, by["again.txt"].status} == {"added", "unchanged"}  # one file, read once
        assert not any(o.path.startswith(str(case / "loop")) for o in outcomes)
        texts = " ".join(d.text for d in services.store.documents())
        assert "Outside note" not in texts and "Secret folder text" not in texts
        assert services.retriever.search("private diary secret folder", 3)[0].chunk.text.startswith("North Korean")


def test_a_given_symlink_is_not_followed_out_either(tmp_path: Path) -> None:
    """``brief ingest case/*`` hands over the links themselves: a link named on the command line is still a link."""
    case, _ = _case_with_links(tmp_path)
    found = list(discover([case / "report.txt", case / "linked.md", case / "sub"]))
    assert found == [case / "report.txt"]


def test_follow_symlinks_reads_them(tmp_path: Path) -> None:
    case, _ = _case_with_links(tmp_path)
    ws, settings = workspace(tmp_path)
    with open_services(ws, settings) as services:
        by = _by_name(ingest_paths(services, [case], follow_symlinks=True))
    assert by["linked.md"].status == "added" and by["passwd.txt"].status == "added"
    assert by["secret.txt"].status in ("added", "unchanged")  # through the linked folder (the same file again)
    assert by["gone.txt"].status == "skipped"  # a broken link is still nothing to read


# --------------------------------------------------------------------------- one bad file, whatever it is


def test_each_hostile_file_is_its_own_failure_and_the_run_is_kept(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a-good.txt").write_text(GOOD)
    (src / "surrogate.txt").write_bytes(utf16_with_lone_surrogate())
    (src / "nested.eml").write_bytes(nested_eml(5000))
    (src / "z-good.md").write_text(SOURCES[0].read_text())
    ws, settings = workspace(tmp_path)
    with open_services(ws, settings) as services:
        by = _by_name(ingest_paths(services, [src]))
        assert by["surrogate.txt"].status == "failed"
        assert "not valid UTF-16 (illegal UTF-16 surrogate at byte offset" in (by["surrogate.txt"].error or "")
        assert by["nested.eml"].status == "failed"
        assert "nested more than 32 levels deep" in (by["nested.eml"].error or "")  # the cap, not a RecursionError
        assert by["a-good.txt"].status == by["z-good.md"].status == "added"
        assert len(services.store.documents()) == 2


def test_a_deeply_nested_mhtml_or_attached_message_is_refused_before_parsing() -> None:
    with pytest.raises(IngestError, match="nested more than 32 levels deep"):
        readers.read_bytes(nested_eml(5000), ".mhtml")
    head = b"From: a@example.org\r\nSubject: fwd\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    forwarded = head + b"Content-Type: message/rfc822\r\n\r\n"  # a message inside a message inside ...
    with pytest.raises(IngestError, match="nested more than 32 levels deep"):
        readers.read_bytes(forwarded * 3000 + head + b"\r\nThe end.\r\n", ".eml")


def test_a_moderately_nested_email_reads() -> None:
    got = readers.read_bytes(nested_eml(12, "Body at depth twelve."), ".eml")
    assert got.text == "Body at depth twelve."


@pytest.mark.parametrize(
    "error",
    [
        RecursionError("maximum recursion depth exceeded"),
        MemoryError(),
        UnicodeDecodeError("utf-16-le", b"\x00\xd8", 0, 2, "illegal UTF-16 surrogate"),
        "xpath",
    ],
    ids=["recursion", "memory", "unicode", "xpath"],
)
def test_any_reader_exception_is_that_files_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException | str
) -> None:
    """A planted fault: a reader that raises what a library raises on a hostile file (not an IngestError) fails
    that file with a specific one-line reason; the files before and after it are written."""
    from lxml import etree

    raised = etree.XPathEvalError("Invalid expression") if error == "xpath" else error
    assert isinstance(raised, BaseException)
    real = readers._read_text

    def hostile(raw: bytes) -> readers.Read:
        if raw.startswith(b"HOSTILE"):
            raise raised
        return real(raw)

    monkeypatch.setattr(readers, "_read_text", hostile)
    src = tmp_path / "src"
    src.mkdir()
    (src / "1.txt").write_text(GOOD)
    (src / "2.txt").write_text("HOSTILE file\n")
    (src / "3.txt").write_text(SOURCES[0].read_text())
    ws, settings = workspace(tmp_path)
    with open_services(ws, settings) as services:
        outcomes = ingest_paths(services, [src])
        assert [o.status for o in outcomes] == ["added", "failed", "added"]
        reason = outcomes[1].error or ""
        assert "\n" not in reason and type(raised).__name__ in reason
        assert len(services.store.documents()) == 2


def test_a_hostile_attachment_is_the_attachments_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Date"] = "a@example.org", "Two notes", "Mon, 1 Jan 2024 00:00:00 +0000"
    msg.set_content("The e-mail's own body.\n")
    msg.add_attachment(b"HOSTILE\n", maintype="text", subtype="plain", filename="bad.txt")
    msg.add_attachment(GOOD.encode(), maintype="text", subtype="plain", filename="good.txt")
    path = tmp_path / "mail.eml"
    path.write_bytes(bytes(msg))
    real = readers._read_text

    def hostile(raw: bytes) -> readers.Read:
        if raw.startswith(b"HOSTILE"):
            raise RecursionError("maximum recursion depth exceeded")
        return real(raw)

    monkeypatch.setattr(readers, "_read_text", hostile)
    found = read_sources(path, max_bytes=10**6)
    assert [type(f).__name__ for f in found] == ["SourceDocument", "AttachmentFailure", "SourceDocument"]
    assert "nested too deeply" in found[1].error  # type: ignore[union-attr]


# --------------------------------------------------------------------------- decompression caps


def test_a_docx_zip_bomb_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    bomb = make_docx_bomb(tmp_path / "bomb.docx", inflated_mb=300)
    assert bomb.stat().st_size < 2_000_000
    tracemalloc.start()
    try:
        with pytest.raises(IngestError, match=r"inflates to 30\d MB from 0\.\d MB, limit \d+ MB: not read"):
            read_document(bomb, max_bytes=10**7)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000  # refused from the sizes the package declares: nothing was inflated


def test_a_docx_that_lies_about_its_sizes_is_refused_without_inflating_the_lie(tmp_path: Path) -> None:
    bomb = make_docx_bomb(tmp_path / "bomb.docx", inflated_mb=200)
    liar = tmp_path / "liar.docx"
    liar.write_bytes(lie_about_size(bomb.read_bytes(), "word/document.xml", 5_000))
    tracemalloc.start()
    try:
        with pytest.raises(
            IngestError, match=r"damaged \.docx: part 'word/document\.xml' does not inflate as declared"
        ):
            read_document(liar, max_bytes=10**7)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000  # streamed a megabyte at a time, stopped at the declared size


def test_an_ordinary_docx_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "memo.docx"
    make_docx_to(path)
    assert "convoy escorts" in read_document(path, max_bytes=10**6).text


# --------------------------------------------------------------------------- text is text

ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[31m"


def test_nul_bytes_anywhere_are_not_text(tmp_path: Path) -> None:
    late = tmp_path / "late.txt"
    late.write_bytes(GOOD.encode() * 200 + b"\x00hidden")  # past the first 8 KB
    with pytest.raises(IngestError, match=r"binary content \(NUL byte at offset 18\d{3}\)"):
        read_document(late, max_bytes=10**6)
    wide = tmp_path / "wide.txt"
    wide.write_bytes(b"\xff\xfe" + ("Report text\x00with a NUL in it. " * 10).encode("utf-16-le"))
    with pytest.raises(IngestError, match=r"binary content \(NUL character at offset 11\)"):
        read_document(wide, max_bytes=10**6)
    # In formats that carry text inside a structure (an e-mail body here) a NUL is removed, never stored.
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Date"] = "a@example.org", "Note", "Mon, 1 Jan 2024 00:00:00 +0000"
    msg.set_content("x" * 9000 + "\x00tail of the note.\n", cte="8bit")
    mail = tmp_path / "note.eml"
    mail.write_bytes(bytes(msg))
    doc = read_document(mail, max_bytes=10**6)
    assert "\x00" not in doc.text and doc.text.endswith("tail of the note.")


def test_escape_codes_controls_and_bidi_overrides_are_removed_from_text_and_titles(tmp_path: Path) -> None:
    md = tmp_path / "note.md"
    md.write_text(
        f"---\ntitle: Field {ESCAPES}note\u202e\nauthor: A.\x9b Writer\n---\n"
        f"{ESCAPES}Troops\x07 moved\x01 \u2066north\u2069 on\x1b[0m 3 March.\x0cA second line\x85and a third.\n"
    )
    doc = read_document(md, max_bytes=10**6)
    assert doc.title == "Field note" and doc.author == "A. Writer"
    assert doc.text == "Troops moved north on 3 March.\nA second line\nand a third."
    for c in chunk_document(doc, size=20, overlap=5):
        assert doc.text[c.start : c.end] == c.text  # offsets are into the cleaned text
    page = tmp_path / "page.html"
    page.write_text(
        f"<html><head><title>Page {ESCAPES}title</title></head><body><p>A paragraph \x1b[2Jof the page that "
        "is long enough to be its main content, and it says what the page says.</p></body></html>"
    )
    h = read_document(page, max_bytes=10**6)
    assert h.title == "Page title" and "\x1b" not in h.text and "[2J" not in h.text
    msg = EmailMessage()
    msg["From"], msg["Date"] = "a@example.org", "Mon, 1 Jan 2024 00:00:00 +0000"
    msg["Subject"] = f"Subject {ESCAPES}line"
    msg.set_content(f"Body {ESCAPES}text.\n")
    msg.add_attachment(GOOD.encode(), maintype="text", subtype="plain", filename="re\x1b[2Jport\u202etxt.txt")
    mail = tmp_path / "mail.eml"
    mail.write_bytes(bytes(msg))
    found = read_sources(mail, max_bytes=10**6)
    assert getattr(found[0], "title", None) == "Subject line"
    assert [a.name for a in getattr(found[0], "attachments", [])] == ["reporttxt.txt"]
    assert found[0].text == "Body text."  # type: ignore[union-attr]
    assert found[1].path.endswith("#reporttxt.txt")


def test_normalise_text_removes_what_its_docstring_says() -> None:
    assert normalise_text("a\x00b\x1b[1mc\u202ed\ud800e\x7f\x9df\tg\x1b]0;t\x07\r\nh") == "abcdef\tg\nh"


# --------------------------------------------------------------------------- sources.toml


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[[outlet]]\nname = "Wire"\naliases = 7\n',
            "outlet 'Wire': aliases must be a list of strings, not the integer 7",
        ),
        ('[[outlet]]\nname = "Wire"\ndomains = "w.example"\n', "domains must be a list of strings"),
        ("documents = 3\n", "'documents' must be [documents.ID] tables, not the integer 3"),
        ("[documents]\nabc = 3\n", "[documents.abc]: must be a table"),
        ("outlet = 3\n", "'outlet' must be a list of [[outlet]] tables, not the integer 3"),
        ('[documents.abc]\noutlet = ["x"]\n', "[documents.abc]: outlet must be a string"),
    ],
)
def test_a_sources_toml_of_the_wrong_shape_is_a_one_line_error(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(toml)
    with pytest.raises(RegistryError) as e:
        Registry.load(path)
    assert message in str(e.value) and str(path) in str(e.value) and "\n" not in str(e.value)


def test_the_cli_reports_a_bad_sources_toml_in_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    ws = tmp_path / "ws"
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text(GOOD)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent), "BRIEF_WORKSPACE": str(ws)}
    run = [sys.executable, "-m", "agent.cli.main"]
    subprocess.run([*run, "ingest", "-q", str(src)], env=env, check=True, capture_output=True)
    (ws / "sources.toml").write_text('[[outlet]]\nname = "Wire"\naliases = 7\n')
    out = subprocess.run([*run, "sources"], env=env, capture_output=True, text=True)
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert "aliases must be a list of strings, not the integer 7" in out.stderr


def test_the_cli_skips_symlinks_out_of_the_case_unless_told(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    case, _ = _case_with_links(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent), "BRIEF_WORKSPACE": str(tmp_path / "ws")}
    run = [sys.executable, "-m", "agent.cli.main", "ingest", "--json", str(case)]
    out = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    by = {Path(o["path"]).name: o for o in map(json.loads, out.stdout.splitlines())}
    assert by["linked.md"]["status"] == "skipped" and "--follow-symlinks" in by["linked.md"]["error"]
    plain = subprocess.run([r for r in run if r != "--json"], env=env, capture_output=True, text=True, check=True)
    said = " ".join(plain.stderr.split())
    assert "linked.md: skipped (" in said and "--follow-symlinks" in said  # the terminal says why, not only JSON
    out = subprocess.run([*run, "--follow-symlinks"], env=env, capture_output=True, text=True, check=True)
    by = {Path(o["path"]).name: o for o in map(json.loads, out.stdout.splitlines())}
    assert by["linked.md"]["status"] == "added"


def test_a_page_too_large_for_main_content_scoring_is_read_block_by_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the size where trafilatura's time grows with the square of the page (bench/bench_html.py measures it),
    the page is read in one walk: every block in order, furniture and what no reader sees still removed."""
    paragraphs = [f"Paragraph {n} says the river crossing {n} was closed." for n in range(60)]
    page = (
        "<html><head><title>Long report</title></head><body><nav>Home World Sport</nav><article><h1>Long report</h1>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "<p>Hidden <span style='display:none'>never evidence</span>after.</p>"
        + "<table><tr><th>Unit</th><th>Count</th></tr><tr><td>Sappers</td><td>36</td></tr></table>"
        + "</article><footer>All rights reserved</footer></body></html>"
    ).encode()
    scored = readers.read_bytes(page, ".html")
    monkeypatch.setattr(readers, "HTML_SCORED_MAX_ELEMENTS", 50)
    walked = readers.read_bytes(page, ".html")
    assert walked.text.split("\n\n") == [
        "Long report",
        *paragraphs,
        "Hidden after.",
        "Unit | Count",
        "Sappers | 36",
    ]
    assert walked.meta.title == scored.meta.title == "Long report"
    assert all(p in scored.text for p in paragraphs)  # the same text as the scored reading, in substance
