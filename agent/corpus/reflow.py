"""Reflow of hard-wrapped text (e-mails, text copied from PDFs), offsets kept.

``reflow`` returns a same-length copy of a text where a newline that merely hard-wraps a paragraph is a
space, so every offset into the copy is an offset into the original. Chunking (ingest) and sentence
segmentation both split the reflowed copy and slice the original.
"""

from __future__ import annotations

import re

from agent.core.contracts import SourceDocument

BULLET_RE = re.compile(r"[ \t]*(?:[•◦▪‣●○■□·*\-\u2013—]|\d{1,3}[.)]|[a-zA-Z][.)])[ \t]+")
_LONG_LINE = 100  # lines longer than this are never hard-wrapped ones
_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "the",
        "to",
        "vs",
        "via",
        "with",
        "nor",
        "per",
        "up",
        "over",
        "upon",
    ]
)


def is_bullet_line(line: str) -> bool:
    return bool(BULLET_RE.match(line))


def looks_like_title(line: str) -> bool:
    """Short line, no end punctuation, (mostly) capitalised words: a heading/title/byline."""
    s = line.strip()
    if not s or len(s) > 120 or s[-1] in ".!?;,":
        return False
    words = re.findall(r"[^\s]+", s.rstrip(":"))
    if not words or len(words) > 20:
        return False
    significant = [w for w in words if w.lower().strip("“”\"'\u2018\u2019()") not in _SMALL_WORDS]
    if not significant:
        return False
    caps = sum(1 for w in significant if w[0].isupper() or w[0].isdigit() or not w[0].isalpha())
    return caps / len(significant) >= 0.75


def reflow(text: str, *, laid_out: bool = False) -> str:
    """Return a copy of ``text`` (same length) where hard-wrap newlines inside paragraphs are spaces.

    A newline is a hard wrap when the document shows evidence of wrapping (at least three lines
    close to the wrap width W, the longest line of at most 100 chars) and the first word of the
    next line would not have fit on the current line (how textwrap/e-mail clients break), the
    current line is not a title-like line, and the next line is not blank or a bullet item.

    ``laid_out`` says the text is wrapped by construction (a PDF's text layer, set in a proportional
    font): no evidence is needed, W is the longest line, and a line ending short of 85 % of W (in
    characters, which only approximate widths in such a font) ends its paragraph.
    """
    lines = text.split("\n")
    if laid_out:
        lengths = [len(ln.rstrip("\r")) for ln in lines if ln.strip()]
        if not lengths:
            return text
        width = longest = max(lengths)
        slack = 0.15 * width
    else:
        short = [len(ln.rstrip("\r")) for ln in lines if 0 < len(ln.rstrip("\r")) <= _LONG_LINE]
        if not short:
            return text
        width = max(short)
        near = sum(1 for n in short if n >= 0.7 * width)
        if width < 30 or near < 3:
            return text
        longest, slack = _LONG_LINE, 2
    out = list(text)
    pos = 0
    for i, line in enumerate(lines[:-1]):
        nl = pos + len(line)  # index of the "\n" ending this line
        pos = nl + 1
        body = line.rstrip("\r")
        nxt = lines[i + 1]
        if not body.strip() or not nxt.strip() or len(body) > longest:
            continue
        if is_bullet_line(nxt) or (looks_like_title(body) and not is_bullet_line(body)):
            continue
        if len(nxt.rstrip("\r")) > width + slack:
            continue  # a wrapped paragraph's next line fits the width too: a longer one is a paragraph of its own
        first_word = nxt.split()[0]
        if len(body.rstrip()) + 1 + len(first_word) <= width - slack:
            continue  # the next word would have fitted: a real line break
        out[nl] = " "
        if body.endswith("\r"):
            out[nl - 1] = " "
    return "".join(out)


def laid_out(doc: SourceDocument) -> bool:
    """Whether a document's text is wrapped line by line by construction (a PDF's text layer)."""
    return doc.content_type == "application/pdf"
