"""Dates in text: the one month table, the first date written in a line (document metadata), date expressions
resolved against a document's date (sentence analysis), and a date value written out for a reader.

Everything that names a month or a weekday imports it from here."""

from __future__ import annotations

import re
from datetime import date, timedelta

from agent.core.contracts import Precision

MONTH_NAMES: tuple[str, ...] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAY_NAMES: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Lower-case month words and their number: each full name, its three-letter abbreviation, and "sept".
MONTHS: dict[str, int] = {
    **{name.lower(): i for i, name in enumerate(MONTH_NAMES, start=1)},
    **{name.lower()[:3]: i for i, name in enumerate(MONTH_NAMES, start=1)},
    "sept": 9,
}
# The abbreviations that are not a month's full name ("may" is): a full stop after one does not end a sentence.
MONTH_ABBREVIATIONS = frozenset(k for k, i in MONTHS.items() if k != MONTH_NAMES[i - 1].lower())


def month_number(name: str) -> int | None:
    """1-12 for a month's name or any beginning of it of three letters or more ("Sept", "Dec"), else ``None``."""
    name = name.lower()
    if len(name) < 3:
        return None
    return next((i for i, full in enumerate(MONTH_NAMES, start=1) if full.lower().startswith(name)), None)


def human_date(value: str) -> str:
    """2024-08-06 -> "6 August 2024", 2024-08 -> "August 2024", 2024 -> "2024"."""
    parts = value.split("-")
    if len(parts) == 3:
        return f"{int(parts[2])} {MONTH_NAMES[int(parts[1]) - 1]} {parts[0]}"
    if len(parts) == 2:
        return f"{MONTH_NAMES[int(parts[1]) - 1]} {parts[0]}"
    return value


# --------------------------------------------------------------------------------------------
# The first date written in a line: metadata
# --------------------------------------------------------------------------------------------

_DATE_RES = [
    re.compile(r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?!\d)"),
    re.compile(r"\b(?P<mon>[A-Z][a-z]+)\.? (?P<d>\d{1,2})(?:st|nd|rd|th)?,? (?P<y>\d{4})\b"),
    re.compile(r"\b(?P<d>\d{1,2}) (?P<mon>[A-Z][a-z]+)\.? (?P<y>\d{4})\b"),
]


def parse_date(text: str) -> date | None:
    """The first date written as 2025-12-27, March 24th, 2025 or 24 March 2025 in ``text``."""
    for rx in _DATE_RES:
        for m in rx.finditer(text):
            g = m.groupdict()
            month = int(g["m"]) if g.get("m") else month_number(g.get("mon") or "")
            if not month:
                continue
            try:
                return date(int(g["y"]), month, int(g["d"]))
            except ValueError:
                continue
    return None


# --------------------------------------------------------------------------------------------
# Date expressions resolved against a document's date: sentence analysis
# --------------------------------------------------------------------------------------------

_MON = r"(?P<mon>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:1[5-9]|20|21)\d{2})"
_REL = r"(?P<rel>last|this|next|previous|the\s+previous|the\s+following)\s+year"
_PREFIX = re.compile(
    r"^(?:(?:back|since|in|on|by|from|during|until|till|through|throughout|before|after|as\s+of|the|of|early|late"
    r"|mid|around|circa|about|at|beginning|end|start|the\s+end\s+of|the\s+start\s+of|the\s+beginning\s+of"
    r"|earlier|later|sometime|last|this)\b[\s-]*)+",
)
_WEEKDAY = r"(?P<wd>" + "|".join(w.lower() for w in WEEKDAY_NAMES) + r")"
# a weekday written before a date ("Tuesday, May 13", "Friday (May 9)"): the date says it all
_WEEKDAY_BEFORE_DATE = re.compile(
    r"^(?:" + "|".join(w.lower() for w in WEEKDAY_NAMES) + r")\b[\s,(]+(?=\d|(?:" + "|".join(MONTHS) + r")\b)"
)
# "last/this/next Tuesday": which week is meant is not settled by the words alone
_WEEKDAY_MODIFIED = re.compile(r"\b(?:last|this|next|past|coming|previous)\s+" + _WEEKDAY.replace("?P<wd>", "?:"))
_DATE_PATTERNS: list[re.Pattern[str]] = [
    re.compile(r"^(?P<year>\d{4})-(?P<monnum>\d{2})-(?P<day>\d{2})$"),
    re.compile(rf"^{_DAY}\s+(?:of\s+)?{_MON},?\s+{_YEAR}$"),
    re.compile(rf"^{_MON}\s+{_DAY},?\s+{_YEAR}$"),
    re.compile(rf"^{_MON}\s+{_DAY}$"),
    re.compile(rf"^{_DAY}\s+(?:of\s+)?{_MON}$"),
    re.compile(rf"^{_MON},?\s+(?:of\s+)?{_YEAR}$"),
    re.compile(rf"^{_MON},?\s+(?:of\s+)?{_REL}$"),
    re.compile(rf"^{_MON}$"),
    re.compile(rf"^{_YEAR}$"),
    re.compile(rf"^{_REL}$"),
    re.compile(r"^(?P<word>today|yesterday|tomorrow)$"),
    re.compile(r"^(?P<relm>last|this|next|previous)\s+month$"),
    re.compile(rf"^{_WEEKDAY}(?:\s+(?:morning|afternoon|evening|night))?$"),
]


def _ymd(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _resolve_one(expr: str, base: date | None) -> tuple[str, Precision] | None:
    e = re.sub(r"\s+", " ", expr.strip().lower()).strip(" .,;:()[]")
    e = e.replace("\u2019", "'")
    # a bare "last/this/next year" must not lose its modifier to the prefix stripper
    if not re.fullmatch(_REL + r"|(?:last|this|next|previous) month", e):
        e = _PREFIX.sub("", e).strip()
    if not e or "new year" in e:
        return None
    if _WEEKDAY_MODIFIED.search(re.sub(r"\s+", " ", expr.lower())):
        return None
    e = _WEEKDAY_BEFORE_DATE.sub("", e).rstrip(")").strip()
    for pat in _DATE_PATTERNS:
        m = pat.match(e)
        if not m:
            continue
        g = m.groupdict()
        if g.get("word"):
            if base is None:
                return None
            shift = {"today": 0, "yesterday": -1, "tomorrow": 1}[g["word"]]
            return (base + timedelta(days=shift)).isoformat(), "day"
        if g.get("wd"):
            if base is None:
                return None
            # the most recent such day on or before the document's date ("on Tuesday" in Thursday's story)
            back = (base.weekday() - WEEKDAY_NAMES.index(g["wd"].capitalize())) % 7
            return (base - timedelta(days=back)).isoformat(), "day"
        if g.get("relm"):
            if base is None:
                return None
            k = {"last": -1, "previous": -1, "this": 0, "next": 1}[g["relm"]]
            y, mo = divmod(base.year * 12 + base.month - 1 + k, 12)
            return f"{y:04d}-{mo + 1:02d}", "month"
        month = MONTHS[g["mon"]] if g.get("mon") else int(g["monnum"]) if g.get("monnum") else None
        year: int | None = int(g["year"]) if g.get("year") else None
        if g.get("rel"):
            if base is None:
                return None
            rel = g["rel"].split()[-1]
            year = base.year + {"last": -1, "previous": -1, "this": 0, "next": 1, "following": 1}[rel]
        day = int(g["day"]) if g.get("day") else None
        if month is None:
            return (f"{year:04d}", "year") if year is not None else None
        if year is None:
            if base is None:
                return None
            # the most recent such month (or day) not after base
            year = base.year
            if (month > base.month) if day is None else ((month, day) > (base.month, base.day)):
                year -= 1
        if day is not None:
            d = _ymd(year, month, day)
            return (d.isoformat(), "day") if d else None
        return f"{year:04d}-{month:02d}", "month"
    return None


_DEICTIC = re.compile(r"\b(?:today|yesterday|tomorrow)\b", re.IGNORECASE)


def resolve_date(expr: str, base: date | None) -> tuple[str, Precision] | None:
    """Resolve a date expression to (value, precision) or None when it cannot be done reliably.

    value is "YYYY-MM-DD", "YYYY-MM" or "YYYY". Relative expressions ("August of last year",
    "In February", "March 20th") are resolved against ``base`` (the document's published date);
    a month (or month-day) without a year is the most recent one not after ``base``.
    Vague expressions ("last week", "recently", "the 1980s", "New Year", "24 years") give None.
    """
    r = _resolve_one(expr, base)
    if r is None and "," in expr and _DEICTIC.search(expr):
        parts = [p for p in (x.strip() for x in expr.split(",")) if p]
        got = [x for x in (_resolve_one(p, base) for p in parts) if x is not None]
        if len(got) > 1:  # "today, December 3rd": prefer the explicit part
            explicit = (_resolve_one(p, base) for p in parts if not _DEICTIC.search(p))
            got = [x for x in explicit if x is not None]
        if len(got) == 1:
            r = got[0]
    return r
