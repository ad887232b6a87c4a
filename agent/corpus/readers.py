"""Readers: one file -> its text (the canonical form every offset refers to) and its metadata.

Plain text and Markdown are decoded as they are; the other formats go through well-kept libraries:
PDF through pypdf (text layer, page by page: the page map is kept so a citation can say "p. 3"),
Word through python-docx (paragraphs, headings, lists and tables in reading order), e-mail through the
standard library's ``email`` (headers give author, date and subject; readable attachments become
documents of their own), web pages (``.html``, and ``.mht``/``.mhtml`` single-file archives) through
trafilatura's main-content extractor, after elements a reader never sees (``hidden``, ``display:none``,
``aria-hidden``, ``<template>``, scripts, styles, comments) and site furniture (navigation, footers,
cookie banners) are removed.

Every metadata field says where it came from (:data:`agent.core.contracts.MetaSource`): a sidecar
``NAME.meta.json`` beats the file's own metadata, which beats what is inferred from the text. A file
that cannot be read raises :class:`IngestError` with a reason a user can act on.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import logging
import re
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, cast

from agent.core.contracts import Attachment, MetaSource, SourceDocument, stable_id
from agent.core.origins import outranks
from agent.corpus.dates import parse_date
from agent.corpus.inference import infer_metadata

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SUPPORTED = {
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".mht": "multipart/related",
    ".mhtml": "multipart/related",
    ".pdf": "application/pdf",
    ".docx": DOCX,
    ".eml": "message/rfc822",
}
# What an e-mail attachment may be to be ingested as a document of its own (no e-mails inside e-mails).
ATTACHMENT_TYPES = {".pdf", ".docx", ".txt", ".md", ".html", ".htm"}
_BY_CONTENT_TYPE = {
    "application/pdf": ".pdf",
    DOCX: ".docx",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/html": ".html",
}
SIDECAR_SUFFIX = ".meta.json"
META_FIELDS = ("title", "outlet", "author", "published", "url")


class IngestError(ValueError):
    """A file that cannot be ingested; the message says why, for that file only."""


# --------------------------------------------------------------------------- text


# Terminal escape sequences: CSI ``ESC [ … final``; OSC, DCS, PM, APC and SOS strings up to their terminator (or
# the line's end); two-character escapes. What a terminal obeys, not text. (The 8-bit C1 forms are removed one
# character at a time with the other controls: in a mis-declared Windows-1252 page they stand for quotes.)
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]?|\x1b[\]P^_X][^\x07\x1b\n]*(?:\x07|\x1b\\)?|\x1b[ -~]?")
# Controls (C0 but tab and line end, DEL, C1), bidi embeddings/overrides/isolates, lone surrogates: never evidence.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1e\x85]")  # what str.splitlines() breaks on, as ``\n``


def clean_text(text: str) -> str:
    """Text without terminal escape sequences, control characters (tab and newline stay), bidi overrides or lone
    surrogates: what a document may hold as evidence, a title or an author included."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def normalise_text(text: str) -> str:
    """The canonical form offsets refer to: NFC, ``\\n`` line ends, no trailing spaces, no NULs, control characters,
    escape sequences or bidi overrides (:func:`clean_text`)."""
    text = clean_text(_LINE_BREAKS.sub("\n", text))
    text = unicodedata.normalize("NFC", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def decode(raw: bytes, path: Path | str = "") -> str:
    """A text file's bytes as text: UTF-8, or UTF-16 with its byte-order mark. A NUL anywhere means binary."""
    if not raw.strip():
        raise IngestError("empty file")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as e:
            raise IngestError(f"not valid UTF-16 ({e.reason} at byte offset {e.start}); re-save it as UTF-8") from e
        nul = text.find("\x00")
        if nul >= 0:
            raise IngestError(f"binary content (NUL character at offset {nul}), not a text document")
        return text
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise IngestError(f"binary content (NUL byte at offset {nul}), not a text document")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise IngestError(
            f"not valid UTF-8 (byte 0x{raw[e.start]:02x} at offset {e.start}); re-save it as UTF-8"
        ) from e


# --------------------------------------------------------------------------- metadata


@dataclass
class Meta:
    title: str | None = None
    outlet: str | None = None
    author: str | None = None
    published: date | None = None
    url: str | None = None
    sources: dict[str, MetaSource] = field(default_factory=dict)

    def put(self, key: str, value: object, source: MetaSource) -> None:
        """Set ``key`` from ``source`` unless a value from a source of equal or higher rank is already there
        (:mod:`agent.core.origins`)."""
        if key == "published":
            if isinstance(value, datetime):
                value = value.date()
            elif not isinstance(value, date):
                value = parse_date(str(value)) if value else None
        elif isinstance(value, str):
            value = " ".join(value.split()) or None
        else:
            value = None
        if value is None:
            return
        if not outranks(source, self.sources.get(key)):
            return
        setattr(self, key, value)
        self.sources[key] = source

    def merge(self, other: dict[str, object], source: MetaSource) -> None:
        for key in ("title", "outlet", "author", "url"):
            value = other.get(key) or (other.get("source") if key == "outlet" else None)
            if isinstance(value, str):
                self.put(key, value, source)
        for key in ("published", "date"):
            value = other.get(key)
            if value and parse_date(str(value)):
                self.put("published", value, source)
                break

    def inherit(self, parent: Meta, name: str) -> None:
        """Fields this document (attachment ``name``) has no value for, from the e-mail it came in. Its title is
        the e-mail's with its own name, so that it is not taken for the e-mail in a list of sources."""
        for key in META_FIELDS:
            value = getattr(parent, key)
            if getattr(self, key) is None and value is not None:
                self.put(key, f"{value} — {name}" if key == "title" else value, "inherited")


_FRONT_MATTER = re.compile(r"\A---\n(?P<body>.*?)\n---\n", re.S)


def _front_matter(text: str) -> tuple[dict[str, object], str]:
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, text
    meta: dict[str, object] = {}
    for line in m.group("body").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            meta[key.strip().lower()] = value.strip().strip("'\"")
    return meta, text[m.end() :]


def _infer_from_text(text: str, meta: Meta, *, laid_out: bool = False) -> None:
    """The title and date the text gives (:func:`agent.corpus.inference.infer_metadata`), as ``inferred``."""
    got = infer_metadata(text, laid_out=laid_out)
    meta.put("title", got.title, "inferred")
    meta.put("published", got.published, "inferred")


# --------------------------------------------------------------------------- formats


@dataclass
class _Attached:
    name: str
    content_type: str
    data: bytes


@dataclass
class Read:
    """What a reader took from one file: normalised text, metadata, page starts, attachments."""

    text: str
    meta: Meta
    pages: list[int] = field(default_factory=list)
    attachments: list[_Attached] = field(default_factory=list)


def _read_text(raw: bytes) -> Read:
    meta = Meta()
    front, text = _front_matter(normalise_text(decode(raw)))
    meta.merge(front, "file")
    return Read(normalise_text(text), meta)


# HTML: what no reader of the page sees, and the site furniture around the article, never become evidence.
_LOWER = "translate({}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
_STYLE = _LOWER.format("translate(@style, ' ', '')")
_NAMES = "concat(' ', " + _LOWER.format("@id") + ", ' ', " + _LOWER.format("@class") + ")"
_HTML_DROP = tuple(
    [
        "//script",
        "//style",
        "//noscript",
        "//template",
        "//svg",
        "//iframe",
        "//nav",
        "//footer",
        "//aside",
        "//form",
        "//header[not(ancestor::article or ancestor::main)]",
        "//*[@hidden]",
        "//*[@aria-hidden='true']",
        f"//*[contains({_STYLE}, 'display:none') or contains({_STYLE}, 'visibility:hidden')]",
        # A consent banner; not the page around it (sites mark <body> "cookie-consent-pending" and the like).
        f"//*[(contains({_NAMES}, 'cookie') or contains({_NAMES}, 'consent') or contains({_NAMES}, 'gdpr'))"
        " and not(self::html or self::body or self::main or self::article or .//article or .//main)]",
        "//comment()",
    ]
)
_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)(\S+?)\s*-->", re.I)


def _read_html(source: str) -> Read:
    import trafilatura  # imported here: loading it takes a moment and only web pages need it

    meta = Meta()
    saved = _SAVED_FROM.search(source[:4096])  # the mark browsers put on a saved page: where it came from
    if saved:
        meta.put("url", saved.group(1), "file")
    tree = trafilatura.load_html(_ESCAPES.sub("", source))  # the parser drops ESC but would keep the rest
    if tree is None:
        raise IngestError("not an HTML page (nothing to parse)")
    _drop(_unseen(tree))
    found = trafilatura.extract_metadata(copy.deepcopy(tree), extensive=False)
    if found is not None:
        meta.put("title", found.title, "file")
        meta.put("outlet", found.sitename, "file")
        meta.put("author", found.author, "file")
        meta.put("published", found.date, "file")
        meta.put("url", found.url, "file")
    if int(tree.xpath("count(//*)")) > HTML_SCORED_MAX_ELEMENTS or len(tree.text_content()) > HTML_SCORED_MAX_TEXT:
        blocks = _blocks(tree)
    else:
        body = trafilatura.extract(
            tree,
            output_format="txt",
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            with_metadata=False,
            deduplicate=False,
        )
        # One block (paragraph, heading, list item, table row) per line: paragraphs for chunking and sentences.
        blocks = [b.strip() for b in (body or "").split("\n")]
    return Read(normalise_text("\n\n".join(b for b in blocks if b)), meta)


# trafilatura's main-content scoring takes time that grows with the square of the page (libxml2's duplicate check
# in its ``//p//text()``: 0.24 s for 12,000 paragraphs, 6.7 s for 47,000; trafilatura issue #704; and 0.25 s for
# 4 MB of text in one block, 23 s for 16 MB). A page with more elements or more text than this, once what no reader
# sees and the site furniture are removed, is read block by block instead (an article is a few thousand of each).
HTML_SCORED_MAX_ELEMENTS = 20_000
HTML_SCORED_MAX_TEXT = 4_000_000
_BLOCK_TAGS = frozenset(
    [
        *("address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "div", "dl", "dt"),
        *("figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "ol", "p"),
        *("pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"),
    ]
)


def _blocks(tree: Any) -> list[str]:
    """The page's text, one block (paragraph, heading, list item, table row with its cells joined by `` | ``) per
    item, in one walk of the tree: linear time whatever the page's size."""
    from lxml import etree

    blocks: list[str] = []
    current: list[str] = []

    def close() -> None:
        text = " ".join("".join(current).split())
        if text:
            blocks.append(text)
        current.clear()

    body = tree.find("body")
    for event, el in etree.iterwalk(tree if body is None else body, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in ("td", "th"):
                if el.getprevious() is not None:
                    current.append(" | ")
            elif tag in _BLOCK_TAGS:
                close()
            if el.text and tag:
                current.append(el.text)
        else:
            if tag in _BLOCK_TAGS and tag not in ("td", "th"):
                close()
            if el.tail:
                current.append(el.tail)
    close()
    return blocks


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


def _decode_html(raw: bytes) -> str:
    """UTF-8, or the charset the page declares (``<meta charset="windows-1252">``): saved pages often are not UTF-8."""
    try:
        return decode(raw)
    except IngestError:
        declared = _CHARSET.search(raw[:4096])
        if not declared:
            raise
        try:
            return raw.decode(declared.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError) as e:
            raise IngestError(f"not valid {declared.group(1).decode('ascii')}, the charset the page declares") from e


def _unseen(tree: Any) -> list[Any]:
    """The elements (and comments) of :data:`_HTML_DROP`, in document order. Each path is evaluated on its own and the
    union taken here: libxml2 orders a union by comparing nodes, which walks sibling lists, and took quadratic time
    on a page of many thousand siblings (seconds per megabyte growing with the page)."""
    found: set[Any] = set()
    for path in _HTML_DROP:
        found.update(tree.xpath(path))
    return [el for el in tree.iter() if el in found] if found else []


def _drop(elements: list[Any]) -> None:
    """Remove elements (and comments) with their content, keeping the text that follows each.

    ``elements`` in document order (as XPath gives them). The text after a removed element joins the text before it
    (the previous sibling's tail, or the parent's text); the pieces for one place are joined once, so that a page of
    100,000 hidden spans in a row takes linear time, not quadratic (appending to a string one piece at a time copies
    it each time)."""
    removed: set[Any] = set()
    joins: dict[tuple[int, str], tuple[Any, str, list[str]]] = {}
    anchor: dict[Any, tuple[Any, str]] = {}  # a removed element -> where the text after it goes
    top: list[Any] = []
    for el in elements:
        parent = el.getparent()
        if parent is None or el in removed:
            continue
        removed.add(el)
        if parent in removed:  # inside an element already removed: goes with it
            continue
        top.append(el)
        prev = el.getprevious()
        if prev is not None and prev in anchor:
            where = anchor[prev]
        else:
            where = (prev, "tail") if prev is not None else (parent, "text")
        anchor[el] = where
        if el.tail:
            node, attr = where
            joins.setdefault((id(node), attr), (node, attr, []))[2].append(el.tail)
    for node, attr, pieces in joins.values():
        setattr(node, attr, (getattr(node, attr) or "") + "".join(pieces))
    for el in top:
        el.getparent().remove(el)


MIME_MAX_DEPTH = 32  # parts inside parts (multipart, message/rfc822) of an e-mail or MHTML archive
MIME_MAX_PARTS = 10_000
_MIME_TYPE = re.compile(rb"^content-type:[ \t]*([\w.+-]+/[\w.+-]+)", re.I | re.M)
_MIME_BOUNDARY = re.compile(rb"""boundary[ \t]*=[ \t]*(?:"([^"\r\n]+)"|([^;\s]+))""", re.I)


def _mime_shape(raw: bytes) -> tuple[int, int]:
    """How deep parts nest and how many there are, from a scan of the bytes (the standard library's parser recurses
    once per level: 5,000 nested parts are a RecursionError, not an e-mail). Boundaries as the parser reads them:
    a line ``--BOUNDARY`` (``--`` after it closes the part) of any open multipart closes the parts inside it."""
    open_: list[bytes | None] = []  # boundary of each open multipart; None for a message/rfc822 level
    deepest = parts = 0
    header: list[bytes] = []
    in_header = True
    for line in raw.splitlines():
        if in_header:
            if line.strip():
                header.append(line)
                continue
            in_header = False
            block = b"\n".join(header)
            header = []
            kind = _MIME_TYPE.search(block)
            ctype = kind.group(1).lower() if kind else b""
            if ctype.startswith(b"multipart/"):
                declared = _MIME_BOUNDARY.search(block)
                if declared:
                    open_.append(declared.group(1) or declared.group(2))
            elif ctype == b"message/rfc822":
                open_.append(None)
                in_header = True  # the body is a message: headers again
            deepest = max(deepest, len(open_))
            if deepest > MIME_MAX_DEPTH:
                return deepest, parts
            continue
        if not line.startswith(b"--"):
            continue
        for level in range(len(open_) - 1, -1, -1):
            b = open_[level]
            if b is not None and line.startswith(b"--" + b):
                rest = line[len(b) + 2 :]
                if rest.rstrip() == b"--":
                    del open_[level:]
                elif not rest.strip():
                    del open_[level + 1 :]
                    in_header, parts = True, parts + 1
                    if parts > MIME_MAX_PARTS:
                        return deepest, parts
                break
    return deepest, parts


def _parse_mime(raw: bytes) -> EmailMessage:
    """An e-mail or MHTML archive, parsed once it is known not to nest deeper than :data:`MIME_MAX_DEPTH`."""
    depth, parts = _mime_shape(raw)
    if depth > MIME_MAX_DEPTH:
        raise IngestError(f"parts nested more than {MIME_MAX_DEPTH} levels deep: not read (a hostile or broken file?)")
    if parts > MIME_MAX_PARTS:
        raise IngestError(f"more than {MIME_MAX_PARTS:,} MIME parts: not read (a hostile or broken file?)")
    try:
        return cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(raw))
    except RecursionError as e:  # a structure the scan did not see (e.g. a header of nested comments)
        raise IngestError("nested too deeply to parse (RecursionError): not read") from e


def _read_mhtml(raw: bytes) -> Read:
    """A page saved as one file by a browser (MHTML): the HTML part, read as a web page."""
    msg = _parse_mime(raw)
    part = msg.get_body(preferencelist=("html",))
    if part is None:
        raise IngestError("no HTML page inside this MHTML archive")
    got = _read_html(_part_text(cast(EmailMessage, part)))
    got.meta.put("url", str(msg.get("Snapshot-Content-Location") or part.get("Content-Location") or ""), "file")
    return got


def _read_pdf(raw: bytes) -> Read:
    import pypdf
    from pypdf.errors import DependencyError, FileNotDecryptedError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged file is reported once, as its IngestError
    try:
        reader = pypdf.PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # a PDF with only an owner password opens without one
            except DependencyError as e:
                raise IngestError(f"encrypted PDF this install cannot open ({e})") from e
            if not opened:
                raise IngestError(
                    "encrypted PDF: it needs a password; save a decrypted copy (e.g. `qpdf --decrypt`) and ingest that"
                )
        texts = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except IngestError:
        raise
    except FileNotDecryptedError as e:
        raise IngestError("encrypted PDF: it needs a password; save a decrypted copy and ingest that") from e
    except Exception as e:  # pypdf raises many kinds of error on a damaged file; each is this file's failure
        raise IngestError(f"not a readable PDF, damaged or truncated ({type(e).__name__}: {e})") from e
    parts: list[str] = []
    pages: list[int] = []
    at = 0
    for t in texts:
        t = normalise_text(t)
        if parts and t:
            at += 2  # the blank line between pages
        pages.append(at)
        if t:
            parts.append(t)
            at += len(t)
    if not parts:
        raise IngestError(
            f"no text layer ({len(texts)} page(s) of images: a scan?): OCR it first "
            "(e.g. `ocrmypdf in.pdf out.pdf`) and ingest the result"
        )
    meta = Meta()
    if info is not None:
        title = str(info.title or "")
        if not _looks_like_file_name(title):
            meta.put("title", title, "file")
        meta.put("author", str(info.author or ""), "file")
        with contextlib.suppress(Exception):  # a malformed date in the info dictionary is no date, not a failure
            meta.put("published", info.creation_date, "file")
    return Read("\n\n".join(parts), meta, pages=pages)


def _looks_like_file_name(title: str) -> bool:
    """Producers often put the source file's name in a PDF's title ("Microsoft Word - memo.docx")."""
    t = title.strip().lower()
    return t.startswith("microsoft word - ") or bool(re.search(r"\.(docx?|pdf|txt|rtf|odt|indd|pptx?)$", t))


# python-docx's own template: a document it wrote without setting these carries them, and they say nothing.
_DOCX_TEMPLATE_AUTHOR = "python-docx"
_DOCX_TEMPLATE_CREATED = datetime(2013, 12, 23, 23, 15)


DOCX_MAX_INFLATED_MB = 128  # all parts of a .docx, inflated (images included)
DOCX_MAX_XML_MB = 64  # its XML parts, which python-docx parses into trees (a tree takes several times its text)
DOCX_MAX_PARTS = 10_000


def _inflated_package(raw: bytes) -> bytes:
    """The .docx package with every part inflated (stored, uncompressed) for python-docx, or refused as a zip bomb:
    first by the sizes it declares, summed and capped, before anything is inflated; then by streaming each part a
    megabyte at a time, never past its declared size (``zipfile`` stops there, and a part whose data does not match
    its checksum is damaged), so a package that lies about its sizes cannot make memory balloon either."""
    try:
        z = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as e:
        raise IngestError(
            "not a Word .docx file (not a zip package); if it is an old .doc or another format, save it as .docx"
        ) from e
    with z:
        infos = z.infolist()
        if len(infos) > DOCX_MAX_PARTS:
            raise IngestError(f"{len(infos):,} parts in the package, limit {DOCX_MAX_PARTS:,}: not read (a zip bomb?)")
        total = sum(i.file_size for i in infos)
        xml = sum(i.file_size for i in infos if i.filename.lower().endswith((".xml", ".rels")))
        if total > DOCX_MAX_INFLATED_MB * 1_000_000:
            raise IngestError(
                f"inflates to {total / 1e6:,.0f} MB from {len(raw) / 1e6:,.1f} MB, "
                f"limit {DOCX_MAX_INFLATED_MB} MB: not read (a zip bomb?)"
            )
        if xml > DOCX_MAX_XML_MB * 1_000_000:
            raise IngestError(
                f"its XML inflates to {xml / 1e6:,.0f} MB from {len(raw) / 1e6:,.1f} MB, "
                f"limit {DOCX_MAX_XML_MB} MB: not read (a zip bomb?)"
            )
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as stored:
            for info in infos:
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise IngestError(f"part {info.filename!r} uses a compression Word never writes: not read")
                data = bytearray()
                try:
                    with z.open(info) as part:
                        while chunk := part.read(1 << 20):
                            data += chunk
                except (zipfile.BadZipFile, EOFError, zlib.error, RuntimeError, NotImplementedError) as e:
                    raise IngestError(f"damaged .docx: part {info.filename!r} does not inflate as declared: {e}") from e
                stored.writestr(info.filename, bytes(data))
    return out.getvalue()


def _read_docx(raw: bytes) -> Read:
    import docx
    from docx.table import Table

    package = _inflated_package(raw)
    try:
        document = docx.Document(io.BytesIO(package))
    except zipfile.BadZipFile as e:
        raise IngestError(
            "not a Word .docx file (not a zip package); if it is an old .doc or another format, save it as .docx"
        ) from e
    except Exception as e:  # a zip without a Word document inside, or a damaged one
        raise IngestError(f"not a readable .docx ({type(e).__name__}: {e})") from e
    blocks: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            rows = []
            for row in item.rows:
                cells: list[str] = []
                seen: set[int] = set()
                for cell in row.cells:  # a merged cell is listed once per grid column it spans
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    cells.append(" ".join(cell.text.split()))
                if any(cells):
                    rows.append(" | ".join(cells))
            if rows:
                blocks.append("\n".join(rows))
            continue
        text = item.text.strip()
        if not text:
            continue
        style = (item.style.name if item.style is not None else "") or ""
        blocks.append(f"• {text}" if style.startswith("List") else text)
    props = document.core_properties
    meta = Meta()
    meta.put("title", props.title, "file")
    if props.author != _DOCX_TEMPLATE_AUTHOR:
        meta.put("author", props.author, "file")
    created = props.created
    if created is not None and created.replace(tzinfo=None) != _DOCX_TEMPLATE_CREATED:
        meta.put("published", created, "file")
    return Read(normalise_text("\n\n".join(blocks)), meta)


def _part_text(part: EmailMessage) -> str:
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError):  # an unknown or wrong charset: keep what decodes
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def _read_eml(raw: bytes) -> Read:
    if not raw.strip():
        raise IngestError("empty file")
    msg = _parse_mime(raw)
    if not any(msg.get(h) for h in ("From", "Subject", "Date")):
        raise IngestError("not an e-mail message: no From, Subject or Date header")
    meta = Meta()
    meta.put("title", str(msg.get("Subject") or ""), "file")
    sender = msg.get("From")
    addresses = getattr(sender, "addresses", ())
    if addresses:
        meta.put("author", addresses[0].display_name or addresses[0].addr_spec, "file")
    sent = msg.get("Date")
    meta.put("published", getattr(sent, "datetime", None), "file")
    text = ""
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is not None:
        content = _part_text(cast(EmailMessage, body))
        text = _read_html(content).text if body.get_content_type() == "text/html" else normalise_text(content)
    if not text.strip():  # a forwarded report with an empty body: the e-mail still stands for its attachments
        text = normalise_text("\n".join(f"{h}: {msg.get(h)}" for h in ("Subject", "From", "Date") if msg.get(h)))
    attached: list[_Attached] = []
    for n, part in enumerate(msg.iter_attachments(), start=1):
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else bytes(part)
        name = " ".join(clean_text(part.get_filename() or "").split()) or f"attachment-{n}"
        attached.append(_Attached(name, part.get_content_type(), data))
    return Read(text, meta, attachments=attached)


def read_bytes(raw: bytes, suffix: str) -> Read:
    """Read one file's bytes by its type (``suffix`` is one of :data:`SUPPORTED`)."""
    if suffix == ".pdf":
        got = _read_pdf(raw)
    elif suffix == ".docx":
        got = _read_docx(raw)
    elif suffix == ".eml":
        got = _read_eml(raw)
    elif suffix in (".mht", ".mhtml"):
        got = _read_mhtml(raw)
    elif suffix in (".html", ".htm"):
        got = _read_html(_decode_html(raw))
    else:
        got = _read_text(raw)
    if not got.text.strip():
        raise IngestError("no text content")
    _infer_from_text(got.text, got.meta, laid_out=suffix == ".pdf")
    return got


# --------------------------------------------------------------------------- files -> documents


def failure_reason(e: BaseException) -> str:
    """What went wrong reading a file, in one line: the :class:`IngestError`'s own message, or the kind of failure
    and the exception (a reader library's error on a hostile file is that file's failure, never the run's)."""
    if isinstance(e, IngestError):
        return str(e)
    if isinstance(e, RecursionError):
        return "nested too deeply to read (RecursionError): not read"
    if isinstance(e, MemoryError):
        return "too large to read in memory (MemoryError): not read"
    detail = " ".join(str(e).split())[:300]
    return f"could not be read ({type(e).__name__}{': ' + detail if detail else ''})"


@dataclass
class AttachmentFailure:
    """An e-mail attachment that could not be ingested (the e-mail itself was)."""

    path: str
    error: str


def _load(path: Path, max_bytes: int) -> bytes:
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise IngestError("is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise IngestError("not a regular file (a pipe, socket or device): not read")
        size = st.st_size
        if size > max_bytes:
            raise IngestError(f"too large: {size / 1e6:.1f} MB, limit {max_bytes / 1e6:.1f} MB (ingest.max_file_mb)")
        return path.read_bytes()
    except PermissionError as e:
        raise IngestError(f"unreadable: permission denied ({e.strerror})") from e
    except FileNotFoundError as e:
        raise IngestError("no such file") from e
    except IsADirectoryError as e:
        raise IngestError("is a directory") from e
    except OSError as e:
        raise IngestError(f"unreadable: {e.strerror or e}") from e


def _document(path: str, raw: bytes, got: Read, content_type: str, *, id_parts: tuple[str, ...] = ()) -> SourceDocument:
    m = got.meta
    fields = {k: _clean_field(getattr(m, k)) for k in ("title", "outlet", "author", "url")}
    return SourceDocument(
        id=stable_id("doc", *id_parts, got.text),
        path=path,
        title=fields["title"],
        outlet=fields["outlet"],
        author=fields["author"],
        published=m.published,
        url=fields["url"],
        content_type=content_type,
        text=got.text,
        sha256=hashlib.sha256(raw).hexdigest(),
        field_sources={k: v for k, v in m.sources.items() if fields.get(k, getattr(m, k)) is not None},
        pages=got.pages,
    )


def _clean_field(value: str | None) -> str | None:
    """A metadata value (from the file, a sidecar or the text) as text: no escape codes, controls or bidi overrides."""
    return (" ".join(clean_text(value).split()) or None) if value is not None else None


def read_sources(path: Path, *, max_bytes: int) -> list[SourceDocument | AttachmentFailure]:
    """The documents in one file: the file's own first, then (e-mail) each readable attachment's, or why not.

    Raises :class:`IngestError` when the file itself cannot be read.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise IngestError(f"unsupported file type {suffix or '(none)'!r}; supported: {', '.join(sorted(SUPPORTED))}")
    raw = _load(path, max_bytes)
    got = read_bytes(raw, suffix)
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if sidecar.is_file():
        try:
            got.meta.merge(json.loads(sidecar.read_text(encoding="utf-8")), "sidecar")
        except (ValueError, OSError) as e:
            raise IngestError(f"sidecar {sidecar.name} is not valid JSON: {e}") from e
    doc = _document(str(path), raw, got, SUPPORTED[suffix])
    out: list[SourceDocument | AttachmentFailure] = [doc]
    listed: list[Attachment] = []
    for att in got.attachments:
        kind = Path(att.name).suffix.lower() or _BY_CONTENT_TYPE.get(att.content_type, "")
        where = f"{path}#{att.name}"
        info = Attachment(name=att.name, content_type=att.content_type, size=len(att.data))
        if kind not in ATTACHMENT_TYPES:
            note = f"not read: {kind or att.content_type} is not a source type"
            listed.append(info.model_copy(update={"note": note}))
            continue
        try:
            if len(att.data) > max_bytes:
                raise IngestError(f"too large: {len(att.data) / 1e6:.1f} MB, limit {max_bytes / 1e6:.1f} MB")
            sub = read_bytes(att.data, kind)
            sub.meta.inherit(got.meta, att.name)
            adoc = _document(where, att.data, sub, SUPPORTED[kind], id_parts=(doc.id, att.name))
        except Exception as e:  # whatever it is, the attachment's failure, not the e-mail's
            reason = failure_reason(e)
            out.append(AttachmentFailure(where, reason))
            listed.append(info.model_copy(update={"note": f"not ingested: {reason}"}))
            continue
        out.append(adoc)
        listed.append(info.model_copy(update={"doc_id": adoc.id}))
    if listed:
        out[0] = doc.model_copy(update={"attachments": listed})
    return out


def read_document(path: Path, *, max_bytes: int) -> SourceDocument:
    """Read one file into a SourceDocument, or raise :class:`IngestError` saying why not."""
    first = read_sources(path, max_bytes=max_bytes)[0]
    assert isinstance(first, SourceDocument)
    return first
