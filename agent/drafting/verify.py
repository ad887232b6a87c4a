"""Verification, in code: every quote the model gives is located in the sources or dropped.

For each citation the model wrote (an evidence label such as ``S3`` and a quote):

1. the quote is searched in the chunk the model named: exact, then after normalisation
   (whitespace, quote marks, dashes, ellipses, case), then by a bounded fuzzy match
   (≥ 85 % of the quote's words, in order, within a window at most 1.5× the quote's length);
2. if it is not there, it is searched the same way in the other chunks of the evidence pack; a
   quote found elsewhere is re-attributed to that chunk and the claim flagged ``reattributed``
   (small models often copy the right words but name the wrong chunk);
3. otherwise the citation is dropped (kept in ``Claim.dropped`` for the audit trail). A quote that
   is a whole title or heading line is dropped too: it names a topic but asserts nothing.

A resolved citation records the document's own text at the resolved span, so what the reviewer
sees and what is exported is always a verbatim slice of a source. Flags are then set from what
survived: ``unsupported`` (nothing), ``single-source``, ``number-not-in-evidence``,
``fuzzy-quote``, ``dropped-citation`` and ``low-reliability`` (every quote sits next to anonymous
or state-media sourcing).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from agent.core.contracts import Chunk, Citation, Claim, Confidence, DroppedCitation, Flag

_TRANSLATE = {
    **dict.fromkeys("‘’‚‛′`´", "'"),
    **dict.fromkeys("“”„‟″«»", '"'),
    **dict.fromkeys("‐‑‒–—―−", "-"),
    "…": "...",
    "‹": "<",
    "›": ">",
}
_WS = re.compile(r"\s")
MIN_QUOTE_CHARS = 12
MIN_QUOTE_WORDS = 3
FUZZY_MIN_WORDS = 5
FUZZY_RECALL = 0.85
FUZZY_WINDOW = 1.5


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """Normalised text and, for each of its characters, the index of the original character."""
    out: list[str] = []
    index: list[int] = []
    prev_space = True
    for i, ch in enumerate(text):
        if _WS.match(ch):
            if not prev_space:
                out.append(" ")
                index.append(i)
            prev_space = True
            continue
        prev_space = False
        for c in _TRANSLATE.get(ch, ch).lower():
            out.append(c)
            index.append(i)
    while out and out[-1] == " ":
        out.pop()
        index.pop()
    return "".join(out), index


def clean_quote(quote: str) -> str:
    """Drop the wrapping a model adds around a quote: quote marks, leading/trailing ellipses."""
    q = quote.strip()
    for _ in range(3):
        q = q.strip().strip("\"'“”‘’«»").strip()
        q = re.sub(r"^(\.\.\.|…)\s*", "", q)
        q = re.sub(r"\s*(\.\.\.|…)$", "", q)
    return q.strip()


@dataclass(frozen=True)
class Match:
    start: int  # offsets into the chunk text
    end: int
    kind: str  # "exact" | "normalized" | "fuzzy"
    score: float


def locate(quote: str, text: str) -> Match | None:
    """Where ``quote`` is in ``text``: exact, normalised, or fuzzy (bounded); None if nowhere."""
    if not quote:
        return None
    i = text.find(quote)
    if i >= 0:
        return Match(i, i + len(quote), "exact", 1.0)
    nq, _ = normalise_with_map(quote)
    nt, tmap = normalise_with_map(text)
    j = nt.find(nq)
    if j >= 0 and nq:
        return Match(tmap[j], tmap[j + len(nq) - 1] + 1, "normalized", 1.0)
    return _fuzzy(nq, nt, tmap)


_WORD = re.compile(r"\w+")


def _fuzzy(nq: str, nt: str, tmap: list[int]) -> Match | None:
    qwords = _WORD.findall(nq)
    if len(qwords) < FUZZY_MIN_WORDS:
        return None
    twords = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(nt)]
    sm = SequenceMatcher(None, [w for w, _, _ in twords], qwords, autojunk=False)
    blocks = [b for b in sm.get_matching_blocks() if b.size]
    if not blocks:
        return None
    matched = sum(b.size for b in blocks)
    first, last = blocks[0].a, blocks[-1].a + blocks[-1].size - 1
    window = last - first + 1
    recall = matched / len(qwords)
    if recall < FUZZY_RECALL or window > FUZZY_WINDOW * len(qwords):
        return None
    start, end = twords[first][1], twords[last][2]
    return Match(tmap[start], tmap[end - 1] + 1, "fuzzy", round(recall, 3))


@dataclass(frozen=True)
class EvidenceItem:
    """A chunk in the evidence pack, with the short label the model sees (``S1``…)."""

    label: str
    chunk: Chunk
    title: str | None = None
    outlet: str | None = None
    published: str | None = None


class EvidencePack:
    def __init__(self, items: Sequence[EvidenceItem]) -> None:
        self.items = list(items)
        self._by_label = {i.label.upper(): i for i in self.items}
        self._by_id = {i.chunk.id: i for i in self.items}

    def __len__(self) -> int:
        return len(self.items)

    def lookup(self, ref: str) -> EvidenceItem | None:
        """The item the model named: by label (``S3``, ``[S3]``, ``source S3``) or by chunk id."""
        r = ref.strip().strip("[]()").strip()
        m = re.search(r"\b[Ss]\s*-?\s*(\d+)\b", r)
        if m:
            return self._by_label.get(f"S{int(m.group(1))}")
        return self._by_id.get(r)

    @property
    def chunk_ids(self) -> list[str]:
        return [i.chunk.id for i in self.items]


@dataclass(frozen=True)
class GivenCitation:
    source: str
    quote: str


_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\b")
LOW_RELIABILITY_MARKERS = (
    "sources close to",
    "insiders",
    "insider",
    "is said to",
    "are said to",
    "reportedly",
    "allegedly",
    "unnamed",
    "anonymous",
    "state media",
    "central news agency",
    "kcna",
    "ctak",
    "one source",
    "rumour",
    "rumor",
    "speculation",
    "unconfirmed",
    "could not be verified",
    "cannot be independently verified",
)


def numbers_in(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def _near_low_reliability(chunk: Chunk, start: int, end: int) -> bool:
    """Anonymous or state-media sourcing in the quote's sentence or the one before it."""
    text = chunk.text
    a = max(0, text.rfind(".", 0, max(0, text.rfind(".", 0, start))) + 1)
    window = text[a:end].lower()
    return any(m in window for m in LOW_RELIABILITY_MARKERS)


def verify_claim(
    *,
    claim_id: str,
    section: str,
    text: str,
    label: str | None,
    confidence: Confidence | None,
    given: Sequence[GivenCitation],
    pack: EvidencePack,
    origin: str = "drafted",
) -> Claim:
    citations: list[Citation] = []
    dropped: list[DroppedCitation] = []
    low_rel: list[bool] = []
    for g in given:
        quote = clean_quote(g.quote)
        if not quote:
            dropped.append(DroppedCitation(chunk_ref=g.source, quote=g.quote, reason="empty-quote"))
            continue
        if len(quote) < MIN_QUOTE_CHARS or len(_WORD.findall(quote)) < MIN_QUOTE_WORDS:
            dropped.append(DroppedCitation(chunk_ref=g.source, quote=g.quote, reason="too-short"))
            continue
        named = pack.lookup(g.source)
        found: tuple[EvidenceItem, Match] | None = None
        if named is not None:
            m = locate(quote, named.chunk.text)
            if m:
                found = (named, m)
        if found is None:
            found = _search_pack(quote, pack, exclude=named)
        if found is None:
            reason = "unknown-chunk" if named is None else "quote-not-found"
            dropped.append(DroppedCitation(chunk_ref=g.source, quote=g.quote, reason=reason))
            continue
        item, m = found
        c = item.chunk
        m = _to_word_boundaries(c.text, m)
        if _is_heading(c.text, m.start, m.end):
            dropped.append(DroppedCitation(chunk_ref=g.source, quote=g.quote, reason="heading"))
            continue
        reattributed = named is None or item.chunk.id != named.chunk.id
        citations.append(
            Citation(
                chunk_id=c.id,
                doc_id=c.doc_id,
                quote=c.text[m.start : m.end],
                start=c.start + m.start,
                end=c.start + m.end,
                quote_as_given=g.quote,
                match=m.kind,
                score=m.score,
                reattributed_from=g.source if reattributed else None,
            )
        )
        low_rel.append(_near_low_reliability(c, m.start, m.end))
    citations = _dedupe(citations)
    flags: list[Flag] = []
    if not citations:
        flags.append(Flag.UNSUPPORTED)
    elif len({c.doc_id for c in citations}) == 1:
        flags.append(Flag.SINGLE_SOURCE)
    quoted = set().union(*(numbers_in(c.quote) for c in citations)) if citations else set()
    if numbers_in(text) - quoted:
        flags.append(Flag.NUMBER_NOT_IN_EVIDENCE)
    if any(c.reattributed_from for c in citations):
        flags.append(Flag.REATTRIBUTED)
    if any(c.match == "fuzzy" for c in citations):
        flags.append(Flag.FUZZY_QUOTE)
    if dropped:
        flags.append(Flag.DROPPED_CITATION)
    if low_rel and all(low_rel):
        flags.append(Flag.LOW_RELIABILITY)
    return Claim(
        id=claim_id,
        section=section,
        text=text.strip(),
        label=label,
        citations=citations,
        dropped=dropped,
        confidence=confidence,
        flags=flags,
        origin=origin,
    )


HEADING_MAX_WORDS = 20
_WORDCHAR = re.compile(r"[\w'’]")


def _to_word_boundaries(text: str, m: Match) -> Match:
    """Widen a span that starts or ends inside a word to the whole word ("s war" -> "Russia’s war"),
    so what the reviewer reads is never a torn word; the span stays a verbatim slice."""
    start, end = m.start, m.end
    while start > 0 and _WORDCHAR.match(text[start - 1]) and _WORDCHAR.match(text[start]):
        start -= 1
    while end < len(text) and _WORDCHAR.match(text[end]) and _WORDCHAR.match(text[end - 1]):
        end += 1
    return m if (start, end) == (m.start, m.end) else Match(start, end, m.kind, m.score)


def is_heading_line(line: str) -> bool:
    """A title or heading: a short line with no sentence punctuation at its end."""
    line = line.strip()
    return (
        bool(line)
        and not line.rstrip("\"'”’)").endswith((".", "!", "?", ":", ";"))
        and len(line.split()) <= HEADING_MAX_WORDS
    )


def _is_heading(text: str, start: int, end: int) -> bool:
    """A whole line with no sentence punctuation at its end: a title or heading, which names a topic
    but asserts nothing, so it cannot support a claim."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    line = text[line_start:line_end].strip()
    quoted = text[start:end].strip()
    if not line or len(quoted) < 0.9 * len(line):
        return False
    return is_heading_line(line)


def _search_pack(quote: str, pack: EvidencePack, exclude: EvidenceItem | None) -> tuple[EvidenceItem, Match] | None:
    best: tuple[EvidenceItem, Match] | None = None
    rank = {"exact": 3, "normalized": 2, "fuzzy": 1}
    for item in pack.items:
        if exclude is not None and item.chunk.id == exclude.chunk.id:
            continue
        m = locate(quote, item.chunk.text)
        if m and (best is None or (rank[m.kind], m.score) > (rank[best[1].kind], best[1].score)):
            best = (item, m)
            if m.kind == "exact":
                break
    return best


def _dedupe(citations: list[Citation]) -> list[Citation]:
    seen: set[tuple[str, int, int]] = set()
    out: list[Citation] = []
    for c in citations:
        key = (c.doc_id, c.start, c.end)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out
