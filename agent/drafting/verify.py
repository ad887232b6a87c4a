"""Verification, in code: every quote the model gives is located in the sources or dropped.

For each citation the model wrote (an evidence label such as ``S3`` and a quote):

1. the quote is searched in the chunk the model named: exact, then after normalisation
   (whitespace, quote marks, dashes, ellipses, case), then by a bounded fuzzy match
   (≥ 85 % of the quote's words, in order, within a window at most 1.5× the quote's length) that may
   change common words only: never add or drop a negation, nor change a number or a name (a fuzzy match
   that does is no match: "did not send" is not "did send");
2. if it is not there, it is searched the same way in the other chunks of the evidence pack; a
   quote found elsewhere is re-attributed to that chunk and the claim flagged ``reattributed``
   (small models often copy the right words but name the wrong chunk);
3. otherwise the citation is dropped (kept in ``Claim.dropped`` for the audit trail). A quote that
   is a whole title or heading line is dropped too: it names a topic but asserts nothing; so is a quote
   from a sentence that addresses the model ("ignore previous instructions…"): injected text is no evidence.

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

from agent.core.claims import Grader, make_claim
from agent.core.contracts import Chunk, Citation, Claim, ClaimOrigin, Confidence, DroppedCitation, Flag
from agent.corpus.cues import weakly_sourced
from agent.corpus.numbers import numbers_in
from agent.corpus.sentences import reflow

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
    nq, qmap = normalise_with_map(quote)
    nt, tmap = normalise_with_map(text)
    j = nt.find(nq)
    if j >= 0 and nq:
        return Match(tmap[j], tmap[j + len(nq) - 1] + 1, "normalized", 1.0)
    return _fuzzy(nq, nt, tmap, quote=quote, text=text, qmap=qmap)


_WORD = re.compile(r"\w+")
# Words whose change turns a claim around: negations ("n't" is split into "didn" + "t").
NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "nor",
        "neither",
        "none",
        "nothing",
        "nobody",
        "nowhere",
        "cannot",
        "without",
        "t",
        "lack",
        "lacks",
        "lacked",
        "denied",
        "denies",
        "deny",
        "failed",
        "fails",
        "refused",
        "refuses",
    ]
)


def _is_name(original: str, pos: int) -> bool:
    """A capitalised word that does not merely start a sentence (or the quote), or that is followed by
    another capitalised word ("South Korea")."""
    if not original[pos : pos + 1].isupper():
        return False
    before = original[:pos].rstrip(" \t\"'“‘(")
    if before and before[-1] not in ".!?:;\n":
        return True
    return bool(re.match(r"[\w'’.-]+[ -][A-Z]", original[pos:]))


def _sensitive(word: str, original: str, pos: int) -> bool:
    """A word a fuzzy match may not change: a negation, a number, a name."""
    return word in NEGATIONS or any(ch.isdigit() for ch in word) or _is_name(original, pos)


def _fuzzy(nq: str, nt: str, tmap: list[int], *, quote: str, text: str, qmap: list[int]) -> Match | None:
    qtok = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(nq)]
    qwords = [w for w, _, _ in qtok]
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
    # What differs between the quote and the window may be common words only.
    wwords = twords[first : last + 1]
    diff = SequenceMatcher(None, [w for w, _, _ in wwords], qwords, autojunk=False)
    for tag, a0, a1, b0, b1 in diff.get_opcodes():
        if tag == "equal":
            continue
        if any(_sensitive(w, text, tmap[s]) for w, s, _ in wwords[a0:a1]):
            return None
        if any(_sensitive(w, quote, qmap[s]) or quote[qmap[s]].isupper() for w, s, _ in qtok[b0:b1]):
            return None
    start, end = twords[first][1], twords[last][2]
    return Match(tmap[start], tmap[end - 1] + 1, "fuzzy", round(recall, 3))


_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}?\b(?:previous|prior|above|earlier|all|any|your|"
    r"the|these|those|system)\b[^.\n]{0,20}?\b(?:instructions?|rules|prompts?|directions|guidelines|task)\b"
    r"|\byou are now\b|\byou must now\b|\bnew instructions\b|^\s*(?:system|assistant|developer)\s*:"
    r"|\b(?:reveal|print|show|repeat|output|leak)\b[^.\n]{0,30}\b(?:system prompt|your prompt|your instructions)\b"
    r"|\b(?:cite nothing|invent (?:a|the|any) (?:citation|source|quote)s?|output a claim|add a (?:claim|section))\b"
    r"|\b(?:respond|answer|reply|write)\b[^.\n]{0,20}\b(?:only )?in (?:json|yaml|html|markdown|xml)\b"
    r"|\b(?:as an ai|language model)\b[^.\n]{0,40}\b(?:must|should|will)\b",
    re.I | re.M,
)


def is_instruction(text: str) -> bool:
    """Text that addresses the model rather than reporting anything (prompt injection in a source)."""
    return bool(_INSTRUCTION.search(text.replace("\u200b", "").replace("\u200c", "").replace("\u200d", "")))


def _sentence_around(text: str, start: int, end: int) -> str:
    a = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start)) + 1
    b = min((i for i in (text.find(". ", end), text.find("\n", end)) if i >= 0), default=len(text))
    return text[a:b]


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


def _near_low_reliability(chunk: Chunk, start: int, end: int) -> bool:
    """Anonymous or state-media sourcing in the quote's sentence or the one before it."""
    text = chunk.text
    a = max(0, text.rfind(".", 0, max(0, text.rfind(".", 0, start))) + 1)
    return weakly_sourced(text[a:end])


def verify_claim(
    *,
    claim_id: str,
    section: str,
    text: str,
    label: str | None,
    confidence: Confidence | None,
    given: Sequence[GivenCitation],
    pack: EvidencePack,
    origin: ClaimOrigin = "drafted",
    grader: Grader | None = None,
    judgment: bool = False,
) -> Claim:
    """The claim with the citations that resolve (:func:`locate`) and the flags of what survived; graded by
    ``grader`` when given (``judgment``: an analytic judgment)."""
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
        if is_instruction(_sentence_around(c.text, m.start, m.end)):
            dropped.append(DroppedCitation(chunk_ref=g.source, quote=g.quote, reason="instruction"))
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
    return make_claim(
        id=claim_id,
        section=section,
        text=text.strip(),
        label=label,
        citations=citations,
        dropped=dropped,
        confidence=confidence,
        flags=flags,
        origin=origin,
        grader=grader,
        judgment=judgment,
    )


HEADING_MAX_WORDS = 20
_WORDCHAR = re.compile(r"[\w'’]")


_NAME_BEFORE = re.compile(r"(?:\b[A-Z][\w'’.-]*[ -])+$")
_NAME_AFTER = re.compile(r"^(?:[ -][A-Z][\w'’-]*)+")
NAME_MAX_WORDS = 4


def _to_word_boundaries(text: str, m: Match) -> Match:
    """Widen a span that starts or ends inside a word to the whole word ("s war" -> "Russia’s war"), and one
    that starts or ends inside a name to the whole name ("Korea’s alliance" -> "North Korea’s alliance"), so
    what the reviewer reads is never a torn word or name; the span stays a verbatim slice."""
    start, end = m.start, m.end
    while start > 0 and _WORDCHAR.match(text[start - 1]) and _WORDCHAR.match(text[start]):
        start -= 1
    while end < len(text) and _WORDCHAR.match(text[end]) and _WORDCHAR.match(text[end - 1]):
        end += 1
    if text[start : start + 1].isupper():
        before = _NAME_BEFORE.search(text, max(0, start - 80), start)
        if before and len(before.group().split()) <= NAME_MAX_WORDS:
            start = before.start()
    last_word = re.search(r"[\w'’-]+$", text[start:end])
    if last_word and last_word.group()[:1].isupper():
        after = _NAME_AFTER.match(text[end : end + 80])
        if after and len(after.group().split()) <= NAME_MAX_WORDS:
            end += after.end()
    return m if (start, end) == (m.start, m.end) else Match(start, end, m.kind, m.score)


HEADING_ALONE_MAX_WORDS = 8
_SMALL = frozenset(
    ["a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to", "vs", "with"]
)


def _title_cased(line: str) -> bool:
    """Most words capitalised ("Mapping the Kursk Incursion")."""
    words = [w for w in re.findall(r"[^\W\d_][\w'’-]*", line) if w.lower() not in _SMALL]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.75 * len(words)


def is_heading_line(line: str) -> bool:
    """Could be a title or heading: a short line with no sentence punctuation at its end. Whether it is one
    depends on its neighbours (a hard-wrapped line of prose looks the same): see :func:`heading_spans`."""
    line = line.strip()
    return (
        bool(line)
        and not line.rstrip("\"'”’)").endswith((".", "!", "?", ":", ";", ","))
        and len(line.split()) <= HEADING_MAX_WORDS
    )


def heading_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each title or heading line of ``text``. Hard wraps are undone first (an e-mail's or a
    PDF's lines of prose are not headings); then a short unpunctuated line is a heading when it is title-cased
    or stands alone as a short paragraph of its own, and the next line does not continue it in lowercase."""
    flowed = reflow(text)  # same length: offsets are the text's
    lines: list[tuple[int, int]] = []
    pos = 0
    for line in flowed.split("\n"):
        lines.append((pos, pos + len(line)))
        pos += len(line) + 1
    out = []
    for i, (a, b) in enumerate(lines):
        line = flowed[a:b]
        if not is_heading_line(line):
            continue
        nxt = flowed[lines[i + 1][0] : lines[i + 1][1]].strip() if i + 1 < len(lines) else ""
        prev = flowed[lines[i - 1][0] : lines[i - 1][1]].strip() if i > 0 else ""
        if nxt[:1].islower():
            continue  # the sentence goes on
        alone = not nxt and not prev and len(line.split()) <= HEADING_ALONE_MAX_WORDS
        if alone or _title_cased(line):
            out.append((a, b))
    return out


def without_headings(text: str) -> str:
    """``text`` without its title and heading lines (see :func:`heading_spans`)."""
    spans = heading_spans(text)
    heads = {a for a, _ in spans}
    out, pos = [], 0
    for line in text.split("\n"):
        if pos not in heads:
            out.append(line)
        pos += len(line) + 1
    return "\n".join(out)


def _is_heading(text: str, start: int, end: int) -> bool:
    """A quote that is a whole title or heading line names a topic but asserts nothing, so it cannot support
    a claim."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if (line_start, line_end) not in heading_spans(text):
        return False
    line = text[line_start:line_end].strip()
    return bool(line) and len(text[start:end].strip()) >= 0.9 * len(line)


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
