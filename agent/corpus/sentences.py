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
   resolved dates (``dates.resolve_date`` over spaCy DATE entities), numbers (with what they count,
   ``numbers``) and sourcing cues (``cues.detect_cues``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from agent.core.contracts import (
    DateMention,
    Mention,
    NumberMention,
    Sentence,
    SentenceKind,
    SourceDocument,
)
from agent.corpus.cues import detect_cues
from agent.corpus.dates import MONTH_ABBREVIATIONS, WEEKDAY_NAMES, resolve_date
from agent.corpus.numbers import LABEL_KIND, counted_noun, number_values
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
    # a document's first line is its headline, unless it is a lead sentence: long and closed by a full stop
    # ("RTX Corporation (formerly Raytheon Technologies) has confirmed that … software.")
    lead = sentence.rstrip().endswith(".") and len(sentence.split()) > 12
    if whole_line and ((first_line and not lead) or _looks_like_title(sentence)):
        return "heading"
    return "body"


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


_BARE_WEEKDAY = re.compile(r"\b(?:" + "|".join(WEEKDAY_NAMES) + r")\b(?![^\d]*\d)", re.IGNORECASE)
_FUTURE_AUX = frozenset({"will", "would", "shall", "'ll", "’ll"})


def _future_weekday(doc: Doc, ds: int, de: int) -> bool:
    """A weekday without a date that a future verb governs ("she would visit the port on Monday"): the most
    recent such day before the document's date would be the wrong week."""
    if not _BARE_WEEKDAY.search(doc.text[ds:de]):
        return False
    span = doc.char_span(ds, de, alignment_mode="expand")
    if span is None:
        return False
    tok = span.root
    while tok.head.i != tok.i and tok.pos_ not in ("VERB", "AUX"):
        tok = tok.head
    return any((c.dep_ in ("aux", "auxpass") and c.lower_ in _FUTURE_AUX) or c.tag_ == "TO" for c in tok.children)


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
                r = None if _future_weekday(doc, ds, de) else resolve_date(flowed[ds:de], published)
                if r is not None:
                    value, prec = r
                    dates.append(DateMention(text=text[ds:de], start=ds, end=de, value=value, precision=prec))
        numbers: list[NumberMention] = []
        for x in doc.ents:
            nkind = LABEL_KIND.get(x.label_)
            if nkind is None or not (s <= x.start_char and x.end_char <= e):
                continue
            if _in(x.start_char, x.end_char, date_spans):
                continue
            vals = number_values(x.text, nkind)
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
                    counts=None if nkind in ("ordinal", "percent") else counted_noun(x),
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
ANALYSIS_VERSION = "8"


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
