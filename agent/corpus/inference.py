"""What a document's text says about itself when nothing else does: its title, date, outlet, type and author.

One pass, used by ingest (a document's title and date, recorded as ``inferred``) and by the source profiles (its
outlet, type, author, and the date relative dates resolve against). Every value here ranks lowest
(:mod:`agent.core.origins`): a file's own metadata, a sidecar or the analyst replace it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from agent.core.contracts import SourceDocument, SourceType
from agent.corpus.dates import MONTH_NAMES, MONTHS, WEEKDAY_NAMES, month_number, parse_date
from agent.corpus.reflow import reflow

_NEWSLETTER = re.compile(
    r"\bwas this (?:e-?mail|newsletter) forwarded to you\b|\bsubscribe\b|\bunsubscribe\b|\bnewsletter\b"
    r"|\bin this (?:issue|edition)\b",
    re.IGNORECASE,
)
_SELF_NAMED = re.compile(
    r"\b(?:This week|Today|In this issue|This issue|In this edition|This edition),?\s+"
    r"(?P<name>[A-Z][\w&'’-]*(?:\s+[A-Z][\w&'’-]*){0,4})\s+"
    r"(?:delves|dives|explores|looks|examines|brings|covers|unpacks|breaks down|takes)\b"
    r"|\bWelcome to (?:the\s+)?(?P<name2>[A-Z][\w&'’-]*(?:\s+[A-Z][\w&'’-]*){0,4})\b"
)
_BYLINE = re.compile(r"^(?:By\s+)?(?P<name>[A-Z][a-z]+(?:[ -][A-Z]\.?)?(?:\s+[A-Z][a-z'’-]+){1,2})$")
_TODAY = re.compile(
    r"\b(?:[Aa]s of today|[Tt]oday|[Tt]his morning|[Tt]onight),?\s+(?P<mon>" + "|".join(MONTH_NAMES) + r")"
    r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b"
)
_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")
_MONTH_WORD = r"(?P<mon>" + "|".join(sorted((m.capitalize() for m in MONTHS), key=len, reverse=True)) + r")\.?"
# a dateline opening a story: "PLACE, Oct. 14 (Agency) -", "Place [Region], November 11 (Agency):", "Nov. 11 (Agency) —"
_DATELINE = re.compile(
    r"^(?:[A-Z][\w.'’ -]{0,40}?(?:\s*\[[^\]]{1,40}\])?,\s+)?"
    + _MONTH_WORD
    + r"\s+(?P<day>\d{1,2})(?:,?\s+(?P<year>\d{4}))?\s*(?:\([^)]{1,30}\))?\s*[-—–:]"
)
# a weekday written with its date: "on Tuesday, October 14", "Wednesday (Oct 15)"
_WEEKDAY_DATE = re.compile(
    r"\b(?P<wd>" + "|".join(WEEKDAY_NAMES) + r")\b[,\s(]+" + _MONTH_WORD + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b"
    r"(?:,?\s+(?P<year>\d{4}))?"
)


@dataclass
class Inferred:
    title: str | None = None
    outlet: str | None = None
    type: SourceType | None = None
    author: str | None = None
    published: date | None = None


def _worded(line: str) -> bool:
    """A title is words: at least two of three letters or more ("+ ↺ − 16 px", a page's font controls, is not)."""
    return len(re.findall(r"[^\W\d_]{3,}", line)) >= 2


def infer_metadata(
    text: str, *, title: str | None = None, laid_out: bool = False, today: date | None = None
) -> Inferred:
    """What ``text`` says about its source.

    - title: a short first line that is a line of its own (not the start of a wrapped paragraph; ``laid_out``:
      the text is a PDF's, see :func:`agent.corpus.reflow.reflow`);
    - published: a date in the first few lines, else one written as "As of today, December 3rd" (the year taken
      from the latest year the text mentions);
    - outlet and type: a newsletter naming itself ("This week, NAME delves into…", "Welcome to NAME");
    - author: a byline under the title (``title``: the document's, never taken for a byline).
    """
    out = Inferred()
    lines = [ln.strip() for ln in text.split("\n")[:8] if ln.strip()]
    if lines:
        first_end = text.find("\n")
        alone = first_end < 0 or reflow(text, laid_out=laid_out)[first_end] == "\n"
        if len(lines[0]) <= 200 and not parse_date(lines[0]) and alone and _worded(lines[0]):
            out.title = lines[0].lstrip("# ").strip() or None
        for ln in lines[:6]:
            if len(ln) <= 80 or ln.lower().startswith(("published", "date")):
                out.published = parse_date(ln)
                if out.published:
                    break
    head = text[:3000]
    m = _SELF_NAMED.search(head)
    if m:
        out.outlet = (m.group("name") or m.group("name2") or "").strip() or None
    if _NEWSLETTER.search(head):
        out.type = "newsletter"
    top = [ln.strip() for ln in text.split("\n")[:6] if ln.strip()]
    for ln in top[1:5]:  # a byline sits under the title, often after the date line
        b = _BYLINE.match(ln)
        if b and ln != title and len(ln.split()) <= 4:
            out.author = b.group("name")
            break
    if out.published is None:
        out.published = _dateline(lines[:6], text)
    if out.published is None:
        t = _TODAY.search(text)
        years = [int(y) for y in _YEAR.findall(text)] if t else []
        if t and years:
            try:
                out.published = date(max(years), MONTH_NAMES.index(t.group("mon")) + 1, int(t.group("day")))
            except ValueError:
                out.published = None
    if out.published is None:
        out.published = _latest_weekday_date(text, today or date.today())
    return out


_DATED_YEAR = re.compile(
    _MONTH_WORD + r"(?:\s+\d{1,2}(?:st|nd|rd|th)?)?,?\s+(?P<year>(?:19|20)\d\d)\b"
    r"|\b\d{1,2}\s+"
    + _MONTH_WORD.replace("?P<mon>", "?:")
    + r"\s+(?P<year2>(?:19|20)\d\d)\b|\b(?P<year3>(?:19|20)\d\d)-\d\d-\d\d\b"
)


def _years(text: str) -> list[int]:
    """The years the text writes with a month ("May 2031", "15 May 2031", "2031-05-15"): a year written alone
    is as often history ("independent since 1960") as the story's own."""
    return sorted({int(m.group("year") or m.group("year2") or m.group("year3")) for m in _DATED_YEAR.finditer(text)})


def _dateline(lines: list[str], text: str) -> date | None:
    """The date of a dateline opening one of ``lines``; without a year in it, the latest year the text mentions."""
    for ln in lines:
        m = _DATELINE.match(ln)
        if not m:
            continue
        years = [int(m.group("year"))] if m.group("year") else _years(text)
        month = month_number(m.group("mon"))
        if years and month:
            try:
                return date(years[-1], month, int(m.group("day")))
            except ValueError:
                return None
    return None


LATER_DAYS = 7
_MONTH_DAY = re.compile(_MONTH_WORD + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?!,?\s+\d{4})")
RECENT_YEARS = 6  # a weekday falls on the same month and day again after 5, 6 or 11 years


def _latest_weekday_date(text: str, today: date) -> date | None:
    """The latest date the text writes with its weekday ("on Tuesday, October 14"): a story is dated no earlier
    than the days it reports. The year is the one written, else the latest year the text writes with a month in
    which that day falls on that weekday; with no year in the text, the most recent year not after ``today`` (and
    at most RECENT_YEARS back) in which it does: a document is not from the future, and one whose text names no
    year is taken to be recent. A weekday that fits no such year is no evidence."""
    years = _years(text) or list(range(today.year - RECENT_YEARS, today.year + 1))
    found: list[date] = []
    for m in _WEEKDAY_DATE.finditer(text):
        month = month_number(m.group("mon"))
        if not month:
            continue
        wd = WEEKDAY_NAMES.index(m.group("wd"))
        for y in [int(m.group("year"))] if m.group("year") else reversed(years):
            try:
                d = date(y, month, int(m.group("day")))
            except ValueError:
                continue
            if d.weekday() == wd and d <= today:
                found.append(d)
                break
    if not found:
        return None
    latest = max(found)
    # a date the text writes a few days after it ("reported Friday, Sept. 19 ... confirmed Sept. 22") is a later
    # lower bound on the story's date
    for m in _MONTH_DAY.finditer(text):
        month = month_number(m.group("mon"))
        try:
            d = date(latest.year, month or 0, int(m.group("day")))
        except ValueError:
            continue
        if latest < d <= min(today, latest + timedelta(days=LATER_DAYS)):
            latest = d
    return latest


def infer(doc: SourceDocument) -> Inferred:
    """What a stored document's text says about its source (:func:`infer_metadata`)."""
    return infer_metadata(doc.text, title=doc.title)
