"""Sentence segmentation and evidence annotation: sentences are the unit of evidence a claim cites.

Sentences are the unit of evidence a claim cites. Every span (sentence, entity, date, number, cue)
is a pair of character offsets into the *original* document text: ``text[x.start:x.end] == x.text``.

Pipeline (``analyse``):
1. ``reflow``: a same-length copy of the text where a newline that merely hard-wraps a paragraph
   is replaced by a space. Remaining newlines are hard boundaries (paragraphs, bullets, headings).
2. spaCy (tagger, parser, ner) runs once over the reflowed copy; its sentences are cut further at
   the remaining newlines, trimmed of whitespace and bullet markers, and repaired (closing quotes
   that spaCy left at the start of the next sentence, splits after title abbreviations).
3. Each sentence is classified (body/heading/boilerplate/bullet) and annotated with named entities,
   resolved dates (hand resolver over spaCy DATE entities), numbers (with what they count) and
   sourcing cues (regex lexicon, ``detect_cues``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from agent.core.contracts import (
    Cue,
    CueKind,
    DateMention,
    Mention,
    NumberKind,
    NumberMention,
    Sentence,
    SentenceKind,
    SourceDocument,
)
from agent.corpus.dates import MONTH_ABBREVIATIONS, resolve_date
from agent.corpus.reflow import BULLET_RE as _BULLET_RE
from agent.corpus.reflow import is_bullet_line as _is_bullet_line
from agent.corpus.reflow import laid_out, reflow
from agent.corpus.reflow import looks_like_title as _looks_like_title
from agent.corpus.store import Store


def sentence_id(doc_id: str, start: int, end: int) -> str:
    return hashlib.sha256(f"{doc_id}\x1f{start}\x1f{end}".encode()).hexdigest()[:16]


# --------------------------------------------------------------------------------------------
# spaCy
# --------------------------------------------------------------------------------------------


def load_nlp(model_dir: Path) -> Language:
    """Load the spaCy pipeline from the directory that holds ``config.cfg``.

    The lemmatizer is excluded (not needed); tagger, parser and ner are kept. The model's own
    ``senter`` is disabled in its config: sentence boundaries come from the parser.
    """
    return spacy.load(model_dir, exclude=["lemmatizer", "senter"])


# --------------------------------------------------------------------------------------------
# Segmentation
# --------------------------------------------------------------------------------------------

_CLOSERS = "”\u2019\"')]»"
_TITLE_ABBREV = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "gen",
        "lt",
        "col",
        "maj",
        "capt",
        "sgt",
        "adm",
        "sen",
        "rep",
        "gov",
        "pres",
        "prof",
        "st",
        "no",
        "nos",
        "vol",
        "fig",
        "art",
        "cf",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "approx",
        "dept",
        *MONTH_ABBREVIATIONS,
    ]
)
_SPLIT_NL = re.compile(r"\n")
_BULLET_ONLY = re.compile(r"[•◦▪‣●○■□·*\-\u2013—]|\d{1,3}[.)]")


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _raw_spans(doc: Doc, flowed: str) -> list[tuple[int, int]]:
    """spaCy sentences, further cut at every remaining newline, trimmed."""
    spans: list[tuple[int, int]] = []
    for sent in doc.sents:
        s, e = sent.start_char, sent.end_char
        cut = s
        for m in _SPLIT_NL.finditer(flowed, s, e):
            spans.append((cut, m.start()))
            cut = m.end()
        spans.append((cut, e))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        s, e = _trim(flowed, s, e)
        if s < e:
            out.append((s, e))
    return out


def _line_of(text: str, pos: int) -> tuple[int, int]:
    ls = text.rfind("\n", 0, pos) + 1
    le = text.find("\n", pos)
    return ls, len(text) if le < 0 else le


def _is_heading_line(text: str, ls: int, le: int) -> bool:
    line = text[ls:le].strip()
    if not line or _is_bullet_line(text[ls:le]):
        return False
    first = not text[:ls].strip()
    if first and line[-1] not in '.!?…”"' and len(line) <= 200:
        return True
    return _looks_like_title(line)


def _repair(flowed: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Fix spaCy's cuts: heading lines are one span; a lone bullet marker joins the text after it;
    closing quotes go back to the sentence they close; no split after a title abbreviation or
    before a lowercase word."""
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out:
            ps, pe = out[-1]
            same_line = "\n" not in flowed[pe:s]
            if same_line:
                ls, le = _line_of(flowed, s)
                prev = flowed[ps:pe]
                if _is_heading_line(flowed, ls, le) or _BULLET_ONLY.fullmatch(prev):
                    out[-1] = (ps, e)
                    continue
                # closing quote/bracket stranded at the start of this sentence
                if flowed[s] in _CLOSERS and flowed[pe - 1] in ".!?…" + _CLOSERS:
                    k = s
                    while k < e and flowed[k] in _CLOSERS:
                        k += 1
                    out[-1] = (ps, k)
                    ps, pe = out[-1]
                    s, _ = _trim(flowed, k, e)
                    if s >= e:
                        continue
                last = re.search(r"([A-Za-z.]+)\.\s*$", flowed[ps:pe])
                word = last.group(1).lower() if last else ""
                nxt = flowed[s]
                if word in _TITLE_ABBREV or nxt.islower() or (last and "." in word and nxt.isdigit()):
                    out[-1] = (ps, e)
                    continue
        out.append((s, e))
    return out


def _strip_bullet(text: str, s: int, e: int) -> tuple[int, int]:
    """If the span starts a line with a bullet marker, exclude the marker."""
    line_start = text.rfind("\n", 0, s) + 1
    if text[line_start:s].strip():
        return s, e
    m = _BULLET_RE.match(text, s)
    if m and m.end() < e:
        s, e = _trim(text, m.end(), e)
    return s, e


# --------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------

_BOILERPLATE_RE = re.compile(
    r"\b(?:un)?subscrib(?:e|ed|ing)\b|\bclick(?:ing)?\s+(?:here|the\s+(?:image|link|button))\b"
    r"|\bforwarded\s+to\s+you\b|\bemail\s+(?:was\s+)?forwarded\b|\bforward\s+this\b"
    r"|\bsign\s+up\b|\bfollow\s+us\b|\bcookies?\b|\ball\s+rights\s+reserved\b"
    r"|\bview\s+(?:this|it)\s+in\s+(?:your\s+)?browser\b|\bshare\s+this\s+(?:email|post|article)\b",
    re.IGNORECASE,
)
_BOILERPLATE_LINE_RE = re.compile(
    r"^(?:support\s+us|explore\s+more|read\s+more(?:\s+here)?|share|advertisement|sponsored"
    r"|related(?:\s+articles?)?|see\s+also|donate|log\s*in|menu|home|reply|(?:or\s+)?to\s+participate)\W*$",
    re.IGNORECASE,
)


def _classify(sentence: str, whole_line: bool, first_line: bool, bullet: bool) -> SentenceKind:
    if _BOILERPLATE_RE.search(sentence) or (whole_line and _BOILERPLATE_LINE_RE.match(sentence)):
        return "boilerplate"
    if bullet:
        return "bullet"
    if whole_line and (first_line or _looks_like_title(sentence)):
        return "heading"
    return "body"


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------

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
_LABEL_KIND: dict[str, NumberKind] = {
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


def _number_values(ent_text: str, kind: NumberKind) -> tuple[float, float] | None:
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


def _counts(ent: Span) -> str | None:
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


# --------------------------------------------------------------------------------------------
# Cues
# --------------------------------------------------------------------------------------------

_NAME_WORD = r"(?:[A-Z][\w\u2019'.-]*|al-\w+|bin|de|van|von)"
_NAME = rf"{_NAME_WORD}(?:\s+(?:of\s+the\s+|of\s+|for\s+the\s+|for\s+|and\s+)?{_NAME_WORD}){{0,7}}"
_NOT_A_NAME = frozenset(
    [
        "The",
        "This",
        "That",
        "These",
        "Those",
        "It",
        "He",
        "She",
        "They",
        "We",
        "I",
        "You",
        "A",
        "An",
        "But",
        "And",
        "Yet",
        "So",
        "Then",
        "There",
        "Here",
        "Some",
        "Many",
        "Most",
        "Several",
        "One",
        "In",
        "On",
        "At",
        "For",
        "As",
        "If",
        "When",
        "While",
        "Officials",
        "Sources",
        "Insiders",
        "Analysts",
        "Experts",
        "Reports",
    ]
)
_PRONOUN = frozenset(["He", "She", "They", "We", "I", "You", "It"])
_ANON_NOUNS = r"(?:sources?|officials?|diplomats?|insiders?|persons?|people|individuals?|officers?|analysts?|experts?)"
_ANON_STOP = frozenset(
    [
        "have",
        "has",
        "had",
        "said",
        "say",
        "says",
        "told",
        "tell",
        "were",
        "was",
        "are",
        "is",
        "who",
        "that",
        "which",
        "and",
        "but",
        "claim",
        "claimed",
        "claims",
        "described",
        "describe",
        "suggest",
        "suggested",
        "reported",
        "report",
        "indicated",
        "indicate",
        "hinted",
        "believe",
        "believed",
        ",",
    ]
)

_VERBS = (
    r"(?:said|says|stated|states|told|tells|claimed|claims|reported|reports|announced|added|warned|noted|wrote"
    r"|insisted|acknowledged|confirmed|denied|argued|asserted|declared|alleged|explained)"
)

_STATE_MEDIA_RE = re.compile(
    r"\bKCNA\b|\bKorean\s+Central\s+(?:News\s+Agency|Television)\b|\bPyongyang\s+Central\s+News\s+Agency\b"
    r"|\bCTAK\b|ЦТАК|\bTASS\b|\bRIA\s+Novosti\b|\bRodong\s+Sinmun\b|\bXinhua\b|\bGlobal\s+Times\b|\bSputnik\b"
    r"|\b[Ss]tate[\s-](?:run|controlled|owned|affiliated)\s+(?:media|news(?:paper)?|television|TV|outlets?|agency"
    r"|broadcasters?|press)\b|\b[Ss]tate\s+(?:media|television|TV|news\s+agency|broadcaster|press)\b"
    r"|\bpurported(?:ly)?\s+(?:[\w\u2019'-]+\s+){0,4}?release\b",
)
_HEDGED_RE = re.compile(
    r"\b(?:[Rr]eportedly|[Aa]llegedly|[Pp]urported(?:ly)?|[Ss]upposedly|[Aa]pparently|[Uu]nconfirmed|[Uu]nverified)\b"
    r"|\b(?:has|have|had)\s+hinted\b|\bhinted\b"
    r"|\b(?:appears?|appeared|seems?|seemed)\s+to\b"
    r"|\b[Cc]ould\b|\bmay\b|\bMay(?=\s+(?:be|have|not|also|well|soon|never|still|even)\b)"
    r"|\bmight(?=\s+(?:be|have|not|also|well|soon|never|still|even|just|now|yet)\b)"
    r"|\b(?:[Ii]t\s+is|[Ii]t\s+was|[Ii]t\s+has\s+been|is|are|was|were)\s+(?:widely\s+)?believed\b"
    r"|\b(?:is|are|was|were)\s+said\s+to\b"
    r"|\b[Rr]umou?red\b",
)
_ANON_RE = re.compile(
    # sources close to / familiar with ... (phrase continues, trimmed in code)
    rf"\b(?:[Ss]ources?|[Ii]nsiders?|[Pp]eople|[Oo]fficials?|[Pp]ersons?|[Aa]n?\s+official|[Aa]\s+source)"
    rf"\s+(?:close\s+to|familiar\s+with|with\s+(?:direct\s+)?knowledge\s+of|inside|within|briefed\s+on)\b"
    rf"(?P<tail>(?:\s+[\w\u2019'-]+){{1,6}})?"
    rf"|\b(?:[Uu]nnamed|[Aa]nonymous|[Uu]nidentified|[Uu]ndisclosed)\s+(?:[\w-]+\s+){{0,2}}?{_ANON_NOUNS}\b"
    rf"|\b(?:[Aa]ccording\s+to|[Cc]iting|[Cc]ited\s+by)\s+(?:(?:several|multiple|some|two|three|local|military"
    rf"|intelligence|diplomatic|government|western|informed|senior)\s+)*(?:sources|insiders|an?\s+insider)\b"
    rf"|\b(?:[Ss]enior|[Ii]ntelligence|[Dd]iplomatic|[Mm]ilitary|[Gg]overnment|[Ww]estern|[Ii]nformed|[Rr]eliable"
    rf"|[Ss]everal|[Mm]ultiple|[Ll]ocal)\s+sources\b"
    rf"|\b[Ss]ources\s+(?:say|said|told|claim(?:ed)?|report(?:ed)?|indicate[ds]?|suggest(?:ed)?|believe[ds]?)\b"
    rf"|\b(?:(?:by|from|to|told|said)\s+)?(?:[Oo]ne|[Aa]|[Aa]nother|[Aa]n\s+anonymous)\s+source\b(?!s|\s+of\b)"
    rf"|\b[Ii]nsiders\b|\ban\s+insider\b"
    rf"|\b(?:[Ii]t\s+(?:is|was|has\s+been|had\s+been)|[Ii]t's)\s+reported\b"
    rf"|\bon\s+(?:the\s+)?condition\s+of\s+anonymity\b|\bdeclined\s+to\s+be\s+(?:named|identified)\b"
    rf"|\bnot\s+authori[sz]ed\s+to\s+speak\b"
    rf"|\b(?:[Aa]n?|[Oo]ne|[Tt]wo|[Tt]hree|[Ss]everal|[Ss]ome)\s+(?:[\w.-]+\s+){{0,2}}?(?:officials?|diplomats?|sources?)"
    rf"\s+(?:said|says|stated|told|claimed|confirmed|added|noted)\b",
)
# One unnamed official (not "sources", not "officials"): a single voice, so no corroboration within the report.
_ONE_OFFICIAL_RE = re.compile(
    r"(?:(?:by|from|to|told|said)\s+)?(?:[Aa]n?|[Oo]ne|[Aa]nother)\s+(?:[\w.-]+\s+){0,3}?"
    r"(?:official|diplomat|officer)\b(?!s)"
)
_SOURCE_NOUN = (
    r"(?:spies|officials?|intelligence|media|forces|military|government|analysts?|experts?|authorities|diplomats?"
    r"|ministry|lawmakers|troops|agency|officers?|spy\s+agency|army|police|embassy|press|prosecutors|investigators)"
)
_ACCORDING_RE = re.compile(r"\b[Aa]ccording\s+to\s+(?:the\s+)?")
_SUBJ_VERB_RE = re.compile(
    rf"(?P<who>\b{_NAME}(?:\s+{_SOURCE_NOUN}\b)?)(?:\s*,\s*[^,.;\n“”\"]{{2,80}},)?\s+(?:has\s+|have\s+|had\s+)?{_VERBS}\b"
)
# "…," said Zelenskyy. — not "said Russia pays", where the name begins the reported clause
_VERB_SUBJ_RE = re.compile(rf"\b(?:said|says|added|wrote|told)\s+(?P<who>{_NAME})(?=\s*(?:[.,;:!?\n]|$))")
_PRONOUN_VERB_RE = re.compile(rf"\b(?P<who>He|She|They|We|I|he|she|they|we)\s+(?:has\s+|have\s+|had\s+)?{_VERBS}\b")


def _who_after_according(text: str, pos: int) -> tuple[str, int] | None:
    """Named source right after 'according to [the]': a run of capitalised words (with of/for/and)."""
    m = re.compile(_NAME).match(text, pos)
    if not m:
        return None
    who = m.group(0)
    # trim trailing connectors and possessive
    who = re.sub(r"(?:\s+(?:of|for|and|the))+$", "", who)
    who = re.sub(r"[\u2019']s?$", "", who).rstrip(".")
    if not who or who.split()[0] in _NOT_A_NAME:
        return None
    noun = re.compile(rf"\s+{_SOURCE_NOUN}\b").match(text, pos + len(who))
    if noun:
        who += noun.group(0)
    return re.sub(r"\s+", " ", who), pos + len(who)


def detect_cues(text: str, offset: int = 0) -> list[Cue]:
    """Sourcing cues in ``text`` (regex lexicon). Offsets are ``offset`` + position in ``text``."""
    found: list[Cue] = []

    def add(kind: CueKind, s: int, e: int, who: str | None = None) -> None:
        found.append(Cue(kind=kind, text=text[s:e], start=offset + s, end=offset + e, who=who))

    for m in _ANON_RE.finditer(text):
        s, e = m.start(), m.end()
        tail = m.groupdict().get("tail")
        if tail:
            words = list(re.finditer(r"[\w\u2019'-]+", text[m.start("tail") : m.end("tail")]))
            e = m.start("tail")
            for w in words:
                if w.group(0).lower() in _ANON_STOP:
                    break
                e = m.start("tail") + w.end()
        add("unnamed-official" if _ONE_OFFICIAL_RE.match(text, s) else "anonymous", s, e)
    for m in _STATE_MEDIA_RE.finditer(text):
        add("state-media", m.start(), m.end(), re.sub(r"\s+", " ", m.group(0)))
    for m in _HEDGED_RE.finditer(text):
        add("hedged", m.start(), m.end())

    anon_spans = [(c.start - offset, c.end - offset) for c in found if c.kind in ("anonymous", "unnamed-official")]

    def overlaps_anon(s: int, e: int) -> bool:
        return any(a < e and s < b for a, b in anon_spans)

    for m in _ACCORDING_RE.finditer(text):
        got = _who_after_according(text, m.end())
        if got and not overlaps_anon(m.start(), got[1]):
            add("attributed", m.start(), got[1], got[0])
    for m in _SUBJ_VERB_RE.finditer(text):
        who = m.group("who")
        # drop a sentence-initial function word glued to the name ("The Kremlin" keeps "Kremlin")
        parts = who.split()
        while parts and parts[0] in _NOT_A_NAME:
            parts = parts[1:]
        if not parts or overlaps_anon(m.start(), m.end()):
            continue
        add("attributed", m.start("who") + who.index(parts[0]), m.end(), " ".join(parts))
    for m in _VERB_SUBJ_RE.finditer(text):
        who = m.group("who").rstrip(".")  # the sentence's full stop is not part of the name
        if who.split()[0] in _NOT_A_NAME:
            continue
        add("attributed", m.start(), m.start("who") + len(who), who)
    for m in _PRONOUN_VERB_RE.finditer(text):
        add("attributed", m.start(), m.end(), None)

    # de-duplicate: same kind overlapping -> keep the longer
    found.sort(key=lambda c: (c.start, -(c.end - c.start)))
    out: list[Cue] = []
    for c in found:
        if any(o.kind == c.kind and o.start < c.end and c.start < o.end for o in out):
            continue
        out.append(c)
    return out


# --------------------------------------------------------------------------------------------
# analyse
# --------------------------------------------------------------------------------------------

_NUMERIC_LABELS = frozenset({"DATE", "TIME", "CARDINAL", "MONEY", "PERCENT", "QUANTITY", "ORDINAL"})


def _date_spans(doc: Doc) -> list[tuple[int, int]]:
    """DATE entities as char spans; "March 24th" + ", " + "2025" are merged into one."""
    spans: list[tuple[int, int]] = []
    text = doc.text
    for ent in doc.ents:
        if ent.label_ != "DATE":
            continue
        if spans and re.fullmatch(r",?[ ]?", text[spans[-1][1] : ent.start_char]) and re.fullmatch(r"\d{4}", ent.text):
            spans[-1] = (spans[-1][0], ent.end_char)
            continue
        spans.append((ent.start_char, ent.end_char))
    return spans


def _in(s: int, e: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(a <= s and e <= b for a, b in spans)


def analyse(nlp: Language, doc_id: str, text: str, published: date | None, *, laid_out: bool = False) -> list[Sentence]:
    """Segment ``text`` into sentences with exact offsets and annotate each one.

    ``laid_out``: the text is a PDF's, wrapped line by line by construction (see :func:`reflow`)."""
    flowed = reflow(text, laid_out=laid_out)
    assert len(flowed) == len(text)
    doc = nlp(flowed)
    spans = _repair(flowed, _raw_spans(doc, flowed))
    date_spans = _date_spans(doc)

    sentences: list[Sentence] = []
    for s0, e0 in spans:
        s, e = _strip_bullet(flowed, s0, e0)
        ls, le = _line_of(flowed, s0)
        bullet = _is_bullet_line(flowed[ls:le])
        content_start = _strip_bullet(flowed, *_trim(flowed, ls, le))[0] if bullet else _trim(flowed, ls, le)[0]
        whole_line = s == content_start and e == _trim(flowed, ls, le)[1]
        # the document's first line is its title when more text follows it
        first_line = not flowed[:ls].strip() and bool(flowed[le:].strip()) and le - ls <= 200
        stext = flowed[s:e]
        kind = _classify(stext, whole_line, first_line, bullet)

        entities = [
            Mention(text=text[x.start_char : x.end_char], start=x.start_char, end=x.end_char, label=x.label_)
            for x in doc.ents
            if x.label_ not in _NUMERIC_LABELS
            and s <= x.start_char
            and x.end_char <= e
            and any(c.isupper() for c in x.text)
        ]
        dates: list[DateMention] = []
        for ds, de in date_spans:
            if s <= ds and de <= e:
                r = resolve_date(flowed[ds:de], published)
                if r is not None:
                    value, prec = r
                    dates.append(DateMention(text=text[ds:de], start=ds, end=de, value=value, precision=prec))
        numbers: list[NumberMention] = []
        for x in doc.ents:
            nkind = _LABEL_KIND.get(x.label_)
            if nkind is None or not (s <= x.start_char and x.end_char <= e):
                continue
            if _in(x.start_char, x.end_char, date_spans):
                continue
            vals = _number_values(x.text, nkind)
            if vals is None:
                continue
            ns = x.start_char
            if nkind == "money":  # spaCy sometimes leaves the currency sign out of the entity
                cur = re.search(r"(?:US|A|C|HK)?[$€£¥₩₽]\s?$", flowed[max(s, ns - 4) : ns])
                if cur:
                    ns -= len(cur.group(0))
            numbers.append(
                NumberMention(
                    text=text[ns : x.end_char],
                    start=ns,
                    end=x.end_char,
                    low=vals[0],
                    high=vals[1],
                    counts=None if nkind in ("ordinal", "percent") else _counts(x),
                    kind=nkind,
                )
            )
        cues = [c.model_copy(update={"text": text[c.start : c.end]}) for c in detect_cues(stext, s)]
        sentences.append(
            Sentence(
                id=sentence_id(doc_id, s, e),
                doc_id=doc_id,
                ordinal=len(sentences),
                start=s,
                end=e,
                text=text[s:e],
                kind=kind,
                entities=entities,
                dates=dates,
                numbers=numbers,
                cues=cues,
            )
        )
    return sentences


# Bump when the analysis changes: stored analyses of another version are recomputed.
ANALYSIS_VERSION = "3"


class SentenceAnalyser:
    """The spaCy pipeline (loaded on first use from the verified model file) and a store-backed cache:
    each document is analysed once per analysis version and kept in the workspace."""

    def __init__(self, model_dir: Path | None = None) -> None:
        self._model_dir = model_dir
        self._nlp: Language | None = None

    @property
    def version(self) -> str:
        return f"{ANALYSIS_VERSION}/{spacy.__version__}/en_core_web_sm-3.8.0"

    @property
    def nlp(self) -> Language:
        if self._nlp is None:
            from agent.core import model_files

            self._nlp = load_nlp(self._model_dir or model_files.resolve_dir("spacy-en-core-web-sm"))
        return self._nlp

    def analyse(self, doc: SourceDocument) -> list[Sentence]:
        return analyse(self.nlp, doc.id, doc.text, doc.published, laid_out=laid_out(doc))

    def sentences(self, store: Store, docs: Iterable[SourceDocument]) -> dict[str, list[Sentence]]:
        """Every document's sentences, from the store or analysed now (and stored)."""
        out: dict[str, list[Sentence]] = {}
        for doc in docs:
            # relative dates resolve against the document's date, which may be inferred or set by the analyst
            version = f"{self.version}@{doc.published or '-'}"
            got = store.get_sentences(doc.id, version)
            if got is None:
                got = self.analyse(doc)
                store.put_sentences(doc.id, version, got)
            out[doc.id] = got
        return out


_GENERIC_HEADS = frozenset(
    [
        "part",
        "parts",
        "way",
        "ways",
        "lot",
        "number",
        "numbers",
        "time",
        "times",
        "year",
        "years",
        "day",
        "days",
        "month",
        "months",
        "week",
        "weeks",
        "thing",
        "things",
        "kind",
        "kinds",
        "level",
        "levels",
        "degree",
        "end",
        "side",
        "sides",
        "fact",
        "facts",
        "case",
        "cases",
        "point",
        "points",
        "question",
        "questions",
        "example",
        "others",
        "people",
        "term",
        "terms",
        "use",
        "role",
        "roles",
        "effort",
        "efforts",
        "result",
        "results",
        "reason",
        "reasons",
        "situation",
    ]
)


def noun_phrases(nlp: Language, text: str) -> list[str]:
    """Noun phrases of 1–4 words usable as tags: determiners, possessives and numbers stripped, no pronoun or
    generic head ("part", "number"); lower-cased unless a proper name."""
    out: list[str] = []
    for chunk in nlp(text).noun_chunks:
        toks = [t for t in chunk if t.pos_ not in ("DET", "PRON", "NUM", "PUNCT") and t.dep_ != "poss"]
        toks = [t for t in toks if not t.is_stop and t.is_alpha]
        if not toks or not 1 <= len(toks) <= 4 or toks[-1].pos_ not in ("NOUN", "PROPN"):
            continue
        if toks[-1].lemma_.lower() in _GENERIC_HEADS or toks[-1].text.lower() in _GENERIC_HEADS:
            continue
        if all(t.pos_ == "PROPN" for t in toks):
            continue  # names are entities and places, not themes
        keep_case = {t.i for t in toks if t.text[:1].isupper() and t.i != t.sent.start}
        phrase = " ".join(t.text if t.i in keep_case else t.text.lower() for t in toks)
        if len(toks) == 1 and toks[0].pos_ != "PROPN":
            continue  # a lone common noun ("message", "nations") is too vague to tag a brief
        if len(phrase) >= 4:
            out.append(phrase)
    return out
