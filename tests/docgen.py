"""Real source files of each kind an analyst receives, generated small for the tests (and the benchmark).

PDFs are written by fpdf2, Word files by python-docx, e-mails by the standard library; the web page carries
the boilerplate a saved news page has (navigation, cookie banner, footer, a "most read" box) and elements no
reader sees. Each body holds a phrase found nowhere else, for searching.
"""

from __future__ import annotations

import io
import textwrap
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

# A phrase of each document's body (searched for), and text that must never be evidence.
PDF_PAGES = [
    "Engineering Support Assessment\n\n"
    "Regional officials reported that North Korean engineering units arrived in the Kursk region in late January "
    "and began surveying the approaches to Sudzha, where minefields laid in the autumn still blocked the roads.",
    "The pontoon bridge at Glushkovo was rebuilt twice in February after drone strikes, according to two local "
    "officials and a video verified by the assessment team. Engineering units worked mostly at night to avoid "
    "observation, and supplies reached them through Rylsk.",
    "Outlook: the engineering presence is likely to grow in the spring, when the ground thaws and the demining "
    "of farmland becomes possible. Further rotations were announced by the regional governor on 3 March 2025.",
]
PDF_PHRASE = "pontoon bridge at Glushkovo was rebuilt twice"
DOCX_PHRASE = "convoy escorts rotated through Belgorod every ninth day"
EMAIL_PHRASE = "liaison office in Vladivostok requested spare periscopes"
ATTACHMENT_PHRASE = "forty-two tracked recovery vehicles"
HTML_PHRASE = "four hundred anti-tank mines near Sudzha"
WRAPPED_PHRASE = "ferry crossings over the Seim river were suspended"

HTML_BOILERPLATE = [
    "Accept cookies",
    "We use cookies",
    "World news",
    "Sport results",
    "Weather forecast",
    "Celebrity chef",
    "All rights reserved",
    "Privacy policy",
    "Hidden attribute text",
    "Display none paragraph",
    "Aria hidden paragraph",
    "Template content",
    "HTML comment",
    "script text",
    "Newsletter sign-up",
]
DOCX_FOOTER = "OFFICIAL-SENSITIVE distribution footer"


def make_pdf(
    path: Path,
    pages: list[str] = PDF_PAGES,
    *,
    title: str | None = "Engineering Support Assessment",
    author: str | None = "Regional Analysis Cell",
    created: datetime | None = datetime(2025, 3, 4, 9, 0, tzinfo=UTC),
) -> Path:
    """A PDF with a text layer, one page per string (paragraphs split on blank lines)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    if created:
        pdf.set_creation_date(created)
    pdf.set_font("helvetica", size=11)
    for body in pages:
        pdf.add_page()
        for para in body.split("\n\n"):
            pdf.multi_cell(0, 6, para, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
    pdf.output(str(path))
    if created is None:  # fpdf2 always dates its files: write the pages again without any metadata
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter()
        for page in PdfReader(str(path)).pages:
            writer.add_page(page)
        with path.open("wb") as fh:
            writer.write(fh)
    return path


def make_scanned_pdf(path: Path) -> Path:
    """A "scanned" PDF: each page is a picture of text, with no text layer."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    image = Image.new("L", (800, 400), 255)
    draw = ImageDraw.Draw(image)
    for n in range(8):
        draw.text((40, 40 + 40 * n), f"Scanned page: troop movements near the border, line {n}", fill=0)
    pdf = FPDF(format="A4")
    for _ in range(2):
        pdf.add_page()
        pdf.image(image, x=10, y=10, w=190)
    pdf.output(str(path))
    return path


def make_encrypted_pdf(path: Path, source: Path) -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=str(source))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def make_docx(path: Path) -> Path:
    """A Word memo: title, headings, paragraphs, a bullet list, a table, and a page footer."""
    import docx

    d = docx.Document()
    d.add_heading("Logistics Memo: Border Convoys", 0)
    d.add_heading("Summary", 1)
    d.add_paragraph(
        "Over the reporting period the " + DOCX_PHRASE + ", according to the transport police, and the number of "
        "fuel trucks in each convoy doubled compared with December."
    )
    d.add_heading("Observed units", 1)
    table = d.add_table(rows=3, cols=3)
    for r, row in enumerate(
        [("Unit", "Vehicles", "Last seen"), ("Engineer battalion", "36", "Sudzha"), ("Signals company", "12", "Rylsk")]
    ):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.add_heading("Gaps", 1)
    d.add_paragraph("No imagery covers the northern crossing.", style="List Bullet")
    d.add_paragraph("Rail movements are unconfirmed.", style="List Bullet")
    d.sections[0].footer.paragraphs[0].text = DOCX_FOOTER
    props = d.core_properties
    props.title = "Logistics Memo: Border Convoys"
    props.author = "J. Analyst"
    props.created = datetime(2025, 2, 20, 12, 0)
    d.save(str(path))
    return path


def hard_wrapped(paragraphs: list[str], width: int = 72) -> str:
    return "\n\n".join(textwrap.fill(p, width) for p in paragraphs) + "\n"


WRAPPED_PARAGRAPHS = [
    "Situation report, eastern sector",
    "Dated 12 February 2025. River traffic stopped along most of the border this week. Since Tuesday the "
    + WRAPPED_PHRASE
    + " because of ice and shelling, and the crossing points near Tetkino were closed to civilians by order of "
    "the district administration.",
    "Farmers in the district said the closure cut them off from the markets on the other bank, and that "
    "the local authorities promised a temporary road bridge before the end of the month.",
]


def make_wrapped_text(path: Path) -> Path:
    text = hard_wrapped(WRAPPED_PARAGRAPHS)
    assert WRAPPED_PHRASE not in text  # the phrase crosses a wrap: this is what the reflow is for
    path.write_text(text)
    return path


def make_eml(path: Path, attachment_pdf: Path) -> Path:
    """A forwarded e-mail: hard-wrapped body, a PDF attachment (ingested) and a picture (listed only)."""
    msg = EmailMessage()
    msg["From"] = "Jane Roe <jane.roe@example.org>"
    msg["To"] = "desk@example.org"
    msg["Subject"] = "Fwd: brigade equipment report"
    msg["Date"] = "Fri, 14 Feb 2025 09:30:00 +0000"
    msg.set_content(
        hard_wrapped(
            [
                "Forwarding the report we discussed on Monday. The "
                + EMAIL_PHRASE
                + " after the last rotation, and the quartermaster confirmed the order was placed in January.",
                "The attached report has the vehicle counts.",
            ]
        )
    )
    msg.add_attachment(
        attachment_pdf.read_bytes(), maintype="application", subtype="pdf", filename="brigade-report.pdf"
    )
    msg.add_attachment(_png(), maintype="image", subtype="png", filename="map.png")
    path.write_bytes(bytes(msg))
    return path


def attachment_pdf(path: Path) -> Path:
    """A one-page report with no metadata of its own (it inherits the e-mail's)."""
    return make_pdf(
        path,
        [
            "The brigade's equipment return lists "
            + ATTACHMENT_PHRASE
            + " and six bridging vehicles, most of them older models taken from storage depots in the Far East."
        ],
        title=None,
        author=None,
        created=None,
    )


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


NEWS_PAGE = (
    """<!DOCTYPE html>
<!-- saved from url=(0041)https://news.example.org/2025/kursk-story -->
<html><head><title>Sappers clear Kursk minefields | Example News</title>
<meta property="og:site_name" content="Example News">
<meta name="author" content="Jane Roe">
<meta property="article:published_time" content="2025-02-14T08:00:00Z">
<link rel="canonical" href="https://news.example.org/2025/kursk-story">
<style>.banner{color:red}</style><script>var tracking = "script text is never evidence";</script>
</head><body class="cookie-consent-pending">
<div class="cookie-banner" id="cookie-consent"><p>We use cookies to improve your experience.
Accept cookies to continue browsing our site.</p><button>Accept cookies</button></div>
<nav><ul><li><a href="/world">World news</a></li><li><a href="/sport">Sport results</a></li>
<li><a href="/weather">Weather forecast</a></li></ul></nav>
<header><h1 class="site">Example News</h1></header>
<main><article>
<h1>Sappers clear Kursk minefields</h1>
<p>North Korean engineering units cleared an estimated """
    + HTML_PHRASE
    + """ in the first week of February,
according to regional officials who inspected the sites.</p>
<p hidden>Hidden attribute text must never become evidence.</p>
<p style="Display: None">Display none paragraph is invisible to readers.</p>
<p aria-hidden="true">Aria hidden paragraph is also invisible.</p>
<template><p>Template content is inert markup.</p></template>
<!-- An HTML comment is not evidence either. -->
<p>The deployment followed months of negotiations between Moscow and Pyongyang over the scale of engineering
support, and officials said further rotations were planned for the spring.</p>
<p>Local residents described long convoys of trucks carrying equipment through the border villages at night.</p>
</article></main>
<aside><h3>Most read</h3><ul><li><a href="/a">Celebrity chef opens bakery</a></li></ul>
<form><p>Newsletter sign-up: get the morning briefing.</p></form></aside>
<footer><p>Copyright 2025 Example News Ltd. All rights reserved. Contact us | Privacy policy</p></footer>
</body></html>
"""
)


def make_html(path: Path) -> Path:
    path.write_text(NEWS_PAGE)
    return path


SECOND_PAGE_PHRASE = "the garrison at Kurilovka received new radar equipment"


def make_saved_pages(folder: Path) -> Path:
    """A folder of pages saved by a browser: ``page.html`` with its ``page_files/`` assets, and an MHTML page."""
    folder.mkdir(parents=True, exist_ok=True)
    make_html(folder / "kursk-story.html")
    assets = folder / "kursk-story_files"
    assets.mkdir()
    (assets / "style.css").write_text("body { color: black }")
    (assets / "app.js").write_text("console.log('tracking')")
    (assets / "logo.png").write_bytes(_png())
    page = EmailMessage()
    page["Subject"] = "Radar deliveries"
    page["Snapshot-Content-Location"] = "https://wire.example.net/radar"
    page["Date"] = "Sat, 15 Feb 2025 10:00:00 +0000"
    page.set_content(
        "<html><head><title>Radar deliveries</title><meta property='og:site_name' content='Example Wire'></head>"
        "<body><nav>Home | Markets</nav><article><h1>Radar deliveries</h1><p>Satellite images show that "
        + SECOND_PAGE_PHRASE
        + " in early February, two weeks after the first engineering units crossed the border.</p>"
        "<p>Analysts said the radars were of an older type but would improve air-defence coverage of the"
        " district.</p></article></body></html>",
        subtype="html",
    )
    page.make_related()
    page.add_related(b"body{}", maintype="text", subtype="css", cid="<style@x>")
    (folder / "radar.mhtml").write_bytes(bytes(page))
    return folder


# --------------------------------------------------------------------------- hostile files


def utf16_with_lone_surrogate(text: str = "A report that breaks off here") -> bytes:
    """UTF-16 (with its byte-order mark) whose last character is a high surrogate with no low one after it."""
    return b"\xff\xfe" + text.encode("utf-16-le") + b"\x00\xd8" + " and goes on.".encode("utf-16-le")


def nested_eml(depth: int, body: str = "The innermost part.") -> bytes:
    """An e-mail of ``depth`` multiparts, each the only part of the one around it."""
    out = [b"From: a@example.org\r\nSubject: nested\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMIME-Version: 1.0\r\n"]
    for i in range(depth):
        out.append(b'Content-Type: multipart/mixed; boundary="level%d"\r\n\r\n--level%d\r\n' % (i, i))
    out.append(b"Content-Type: text/plain\r\n\r\n" + body.encode() + b"\r\n")
    out.extend(b"--level%d--\r\n" % i for i in reversed(range(depth)))
    return b"".join(out)


def make_docx_bomb(path: Path, inflated_mb: int) -> Path:
    """A real .docx (python-docx's) whose ``word/document.xml`` carries ``inflated_mb`` MB of blank space: a file of a
    few hundred KB that inflates to hundreds of MB. Written a megabyte at a time (the test never holds it whole)."""
    import zipfile

    template = io.BytesIO()
    make_docx_to(template)
    template.seek(0)
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename != "word/document.xml":
                dst.writestr(info, data)
                continue
            head, _, tail = data.partition(b"<w:body>")
            with dst.open("word/document.xml", "w") as out:
                out.write(head + b"<w:body>")
                blank = b" " * 1_000_000
                for _ in range(inflated_mb):
                    out.write(blank)
                out.write(tail)
    return path


def make_docx_to(target: io.BytesIO | Path) -> None:
    import docx

    d = docx.Document()
    d.add_paragraph("A memo of one paragraph. " + DOCX_PHRASE + ".")
    d.save(target if isinstance(target, io.BytesIO) else str(target))


def lie_about_size(raw: bytes, member: str, size: int) -> bytes:
    """The zip with ``member``'s uncompressed size in its central directory (what readers trust) set to ``size``:
    a package that says a part is small when its data inflates to much more."""
    import struct

    out = bytearray(raw)
    at = out.find(b"PK\x01\x02")
    while at >= 0:
        name_len = struct.unpack_from("<H", out, at + 28)[0]
        if out[at + 46 : at + 46 + name_len] == member.encode():
            struct.pack_into("<I", out, at + 24, size)
            return bytes(out)
        at = out.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"{member} not in the package")
