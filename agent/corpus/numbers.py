"""Numbers in text: the figures a sentence gives (value or range, and what each counts) for the analysis, and the
digits a sentence writes for the checks that compare a statement's figures with its evidence's."""

from __future__ import annotations

import re

from spacy.tokens import Span

from agent.core.contracts import NumberKind

_DIGITS = re.compile(r"\b\d+(?:[.,]\d+)*\b")


def numbers_in(text: str) -> set[str]:
    """The numbers written in digits in ``text``, thousands separators and a trailing full stop dropped:
    "In 2024, 1,100 of 3.5" -> {"2024", "1100", "3.5"}."""
    return {n.replace(",", "").rstrip(".") for n in _DIGITS.findall(text)}


_WORD_NUM: dict[str, float] = {
    w: float(i)
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
_WORD_NUM.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90})
_WORD_NUM.update({"a dozen": 12, "dozen": 12, "a hundred": 100, "a thousand": 1000, "a million": 1e6})
_ORD_WORD = {
    w: float(i + 1)
    for i, w in enumerate(
        [
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
        ]
    )
}
_MULT = {
    "hundred": 1e2,
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "bn": 1e9,
    "m": 1e6,
    "k": 1e3,
}
_NUM_RE = re.compile(
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
    + "|".join(sorted((re.escape(w) for w in _WORD_NUM), key=len, reverse=True))
    + r")(?:st|nd|rd|th)?(?:\s*(?P<mult>hundred|thousand|million|billion|trillion|bn|k|m)\b)?",
    re.IGNORECASE,
)
_RANGE_SEP = re.compile(r"^\s*(?:to|-|\u2013|—|and|or)\s*\$?\s*$", re.IGNORECASE)
# The spaCy entity labels that are numbers, and the kind of number each is.
LABEL_KIND: dict[str, NumberKind] = {
    "CARDINAL": "cardinal",
    "MONEY": "money",
    "PERCENT": "percent",
    "QUANTITY": "quantity",
    "ORDINAL": "ordinal",
}


def _parse_numbers(text: str) -> list[tuple[float, int, int]]:
    vals: list[tuple[float, int, int]] = []
    for m in _NUM_RE.finditer(text):
        raw = m.group("num").lower()
        # word numbers must be whole words
        if raw[0].isalpha() and (
            (m.start() > 0 and text[m.start() - 1].isalpha()) or (m.end() < len(text) and text[m.end()].isalpha())
        ):
            continue
        v = _WORD_NUM[raw] if raw[0].isalpha() else float(raw.replace(",", ""))
        if m.group("mult"):
            v *= _MULT[m.group("mult").lower()]
        vals.append((v, m.start(), m.end()))
    return vals


def figure_values(text: str) -> dict[str, set[float]]:
    """Every figure in ``text`` by the key :func:`numbers_in` gives it (words such as "two" or "a dozen" under their
    digits), with the values it may stand for: as written and scaled by its multiplier ("1.2 million" is 1.2 and
    1,200,000; "12m" is 12 and 12,000,000; "20th" is 20), so a figure written another way compares equal."""
    out: dict[str, set[float]] = {}
    for m in _NUM_RE.finditer(text):
        raw = m.group("num").lower()
        if raw[0].isalpha():
            if (m.start() > 0 and text[m.start() - 1].isalpha()) or (m.end() < len(text) and text[m.end()].isalpha()):
                continue
            bare = _WORD_NUM[raw]
            key = f"{bare:g}"
        else:
            bare = float(raw.replace(",", ""))
            key = raw.replace(",", "").rstrip(".")
        vals = out.setdefault(key, set())
        vals.add(round(bare, 6))
        if m.group("mult"):
            vals.add(round(bare * _MULT[m.group("mult").lower()], 6))
    return out


def number_values(ent_text: str, kind: NumberKind) -> tuple[float, float] | None:
    """The value (low, high) a number entity's text gives: "1,100 to 3,000" is a range, "2 to 3 million" too."""
    if kind == "ordinal":
        w = ent_text.strip().lower()
        if w in _ORD_WORD:
            return _ORD_WORD[w], _ORD_WORD[w]
    vals = _parse_numbers(ent_text)
    if not vals:
        return None
    if len(vals) >= 2 and _RANGE_SEP.match(ent_text[vals[0][2] : vals[1][1]]):
        lo, hi = vals[0][0], vals[1][0]
        # "2 to 3 million": the multiplier applies to both ends
        if hi >= 1000 and lo < 1000 and hi / max(lo, 1) > 100:
            for mult in (1e3, 1e6, 1e9):
                if lo * mult <= hi and hi < lo * mult * 1000:
                    lo *= mult
                    break
        return min(lo, hi), max(lo, hi)
    return vals[0][0], vals[0][0]


def counted_noun(ent: Span) -> str | None:
    """The noun the number counts: head of a nummod, else the first noun right after the entity."""
    nouns = ("NOUN", "PROPN")
    for tok in ent:
        if tok.dep_ in ("nummod", "quantmod") and tok.head.i >= ent.end and tok.head.pos_ in nouns:
            return tok.head.text.lower()
    doc = ent.doc
    i = ent.end
    while i < len(doc) and i < ent.end + 4:
        t = doc[i]
        if t.pos_ == "NOUN":
            return t.text.lower()
        if t.pos_ not in ("ADJ", "PROPN", "NUM") and t.dep_ not in ("amod", "compound"):
            break
        i += 1
    # unit nouns inside a QUANTITY/MONEY entity ("1,000 square kilometers")
    inner = [t for t in ent if t.pos_ == "NOUN"]
    if inner and ent.label_ == "QUANTITY":
        return inner[-1].text.lower()
    return None
