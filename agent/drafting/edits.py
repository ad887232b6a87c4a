"""Edits code makes itself when a reviewer's note asks for one it can carry out exactly.

A note that asks to drop a phrase the claim holds, to attribute the claim to one of the sources, or to soften or
sharpen the likelihood the claim states needs no model: the parse of the claim (spaCy's dependency tree) says which
words form the phrase to drop and what can go without breaking the sentence, and the ICD-203 scale says which term
is one step less or more certain. Code's edit adds no word the claim and the note do not hold, so it can invent
nothing; a note code cannot carry out this way (it names no phrase of the claim, the phrase is the clause's subject,
it asks for something else too) goes to the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from spacy.language import Language
from spacy.tokens import Doc, Token

from agent.core.contracts import Likelihood

EditKind = Literal["drop", "attribute", "soften", "sharpen"]
SCALE: tuple[str, ...] = get_args(Likelihood)  # least to most likely
_MIDDLE = SCALE.index("roughly even chance")

_PLEASE = r"^\s*(?:please\s+)?"
_KINDS: tuple[tuple[EditKind, re.Pattern[str]], ...] = (
    ("drop", re.compile(_PLEASE + r"(?:drop|remove|delete|omit|cut)\b\s*(?P<rest>.*)$", re.I | re.S)),
    (
        "attribute",
        re.compile(
            _PLEASE + r"(?:attribute|credit|source)\b(?:\s+(?:it|this|the claim|the figure))?\s+to\s+(?P<rest>.*)$",
            re.I | re.S,
        ),
    ),
    ("soften", re.compile(_PLEASE + r"(?:soften|hedge|tone\b[^.]{0,40}?\bdown|weaken)\b\s*(?P<rest>.*)$", re.I | re.S)),
    ("sharpen", re.compile(_PLEASE + r"(?:sharpen|strengthen|firm up)\b\s*(?P<rest>.*)$", re.I | re.S)),
)
# A second request in the same note ("drop X and add Y", "…; say who reports it"): the model's job, not code's.
_MORE = re.compile(
    r"(?:[.;:!?]\s+|,\s*(?:and\s+|then\s+)?|\band\s+|\bthen\s+)"
    r"(?:add|say|state|fix|mention|include|name|replace|change|make|use|give|attribute|keep|correct|rewrite)\b",
    re.I,
)
# Words of the note that only say where to cut: "the reference to X", "the clause about X", "the mention of X".
_POINTERS = re.compile(
    r"^(?:the\s+)?(?:(?:reference|references|mention|mentions|clause|phrase|part|bit|claim|words?|sentence|"
    r"detail|line)\s+(?:to|about|on|of|that|saying|with)\s+)",
    re.I,
)
# Dependency relations whose subtree is a modifier: it can go and the sentence still stands.
_MODIFIERS = frozenset(
    {
        "conj",
        "appos",
        "prep",
        "advcl",
        "relcl",
        "acl",
        "npadvmod",
        "advmod",
        "parataxis",
        "amod",
        "nmod",
        "nummod",
        "compound",
        "poss",
        "prt",
        "oprd",
        "agent",
        "dative",
        "quantmod",
        "intj",
    }
)
_CORE = frozenset({"ROOT", "nsubj", "nsubjpass", "dobj", "pobj", "attr", "csubj", "ccomp", "xcomp", "acomp", "aux"})


@dataclass(frozen=True)
class NoteEdit:
    """What a note asks code to do: its kind, what it names (the phrase to drop, the outlet to credit) and the
    note's sentence that asks it (the others say why: "It's boilerplate from the Cabinet statement")."""

    kind: EditKind
    what: str
    request: str = ""


# A note's sentences: a full stop ends one unless it sits in a figure or a quote.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“'])")
_REQUEST = re.compile(
    r"^\s*(?:please\s+)?(?:add|say|state|fix|mention|include|name|replace|change|make|use|give|attribute|keep|"
    r"correct|rewrite|drop|remove|delete|omit|cut|soften|hedge|tone|weaken|sharpen|strengthen|firm up|get|"
    r"reverse|restate|cite|credit|source)\b",
    re.I,
)


def note_sentences(note: str) -> list[str]:
    """The note's sentences, outside quotes."""
    return [s for s in _SENTENCE_END.split(" ".join(note.split())) if s.strip()]


def note_edit(note: str) -> NoteEdit | None:
    """The edit the note asks for, when one of its sentences asks for one code can do and no other sentence asks
    for anything; else ``None``."""
    sentences = note_sentences(note)
    for k, text in enumerate(sentences):
        for kind, pattern in _KINDS:
            m = pattern.match(text)
            if not m:
                continue
            rest = m.group("rest")
            others = sentences[:k] + sentences[k + 1 :]
            if _MORE.search(rest) or any(_REQUEST.match(o) for o in others):
                return None
            what = rest.strip().strip(".!").strip()
            if kind == "drop":
                quoted = re.findall(r"[\"“']([^\"”']{2,120})[\"”']", what)
                what = quoted[0] if quoted else _POINTERS.sub("", what.split(":", 1)[0]).strip()
                if not what:
                    return None
            return NoteEdit(kind, what, text)
    return None


def _tidy(text: str) -> str:
    out = re.sub(r"\s+([,.;:!?)\]])", r"\1", " ".join(text.split()))
    out = re.sub(r"([(\[])\s+", r"\1", out)
    out = re.sub(r"[,;:]\s*(?=[,;:.!?]|$)", "", out)  # a comma left before another or at the end
    out = re.sub(r"^[\s,;:–—-]+", "", out)
    out = re.sub(r"\(\s*\)", "", out)
    out = " ".join(out.split())
    out = re.sub(r"\s+([,.;:!?])", r"\1", out)
    if out and out[0].islower():
        out = out[0].upper() + out[1:]
    if out and out[-1] not in '.!?"”':
        out += "."
    return out


def _find(doc: Doc, what: str) -> tuple[int, int] | None:
    """The token span of the claim that the note's phrase names: the phrase itself, or its longest run of words the
    claim holds that carries a content word ("the 35,000 passengers figure" → "35,000 passengers")."""
    low = doc.text.lower()
    words = what.split()
    for n in range(len(words), 0, -1):
        for i in range(len(words) - n + 1):
            phrase = " ".join(words[i : i + n]).strip(",.;:").lower()
            if not phrase:
                continue
            for m in re.finditer(rf"(?<!\w){re.escape(phrase)}(?!\w)", low):
                span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
                if span is not None and any(not t.is_stop and not t.is_punct for t in span):
                    return span.start, span.end
    return None


def _modifier_cut(doc: Doc, top: Token) -> set[int] | None:
    """The tokens that go with ``top`` (a word of the phrase whose head is outside it): the smallest modifier
    subtree holding it, with the "and" or commas that join it; ``None`` when it is the clause's core."""
    node: Token = top
    while True:
        if node.dep_ in _MODIFIERS and node.head.i != node.i:
            break
        if node.dep_ == "pobj" and node.head.dep_ in _MODIFIERS:
            node = node.head
            break
        if node.dep_ in _CORE or node.head.i == node.i:
            # the first of several conjuncts: it goes with the "and" after it ("X and Y" → "Y")
            conjs = [c for c in node.children if c.dep_ == "conj"]
            if conjs and node.dep_ != "ROOT":
                cut = {t.i for t in node.subtree} - {t.i for c in conjs for t in c.subtree}
                return cut | {c.i for c in node.children if c.dep_ == "cc"}
            return None
        node = node.head
    cut = {t.i for t in node.subtree}
    lo, hi = min(cut), max(cut)
    if node.dep_ == "conj":
        # "A, B and C" → drop B with its comma; "A and C" → drop "and C"
        before = [
            t for t in doc[max(0, lo - 2) : lo] if t.dep_ in ("cc", "punct") and t.head.i in (node.head.i, node.i)
        ]
        cut |= {t.i for t in before}
        if not before:
            cc = [c for c in node.head.children if c.dep_ == "cc" and c.i < lo]
            cut |= {cc[-1].i} if cc else set()
    else:
        # a modifier set off by commas or dashes goes with one of them
        after = doc[hi + 1].text if hi + 1 < len(doc) else ""
        if lo > 0 and doc[lo - 1].text in (",", "–", "—", "(", "-"):
            cut.add(lo - 1)
            if after in (")", ",", "–", "—"):  # set off on both sides: both marks go
                cut.add(hi + 1)
        elif after == ",":
            cut.add(hi + 1)
    return cut


def _cut_tokens(doc: Doc, start: int, end: int, named: int = 0) -> set[int] | None:
    """The tokens to remove so that the span ``start:end`` goes and the rest stands: for each word of the span
    whose head lies outside it, the modifier holding it; a sentence wholly inside the span goes whole. ``None``
    when a word of it is a clause's core, or the cut would reach far beyond what the note names."""
    inside = set(range(start, end))
    tops = [t for t in doc[start:end] if t.head.i not in inside or t.head.i == t.i]
    words = [t for t in tops if t.dep_ not in ("cc", "punct")] or tops
    cut: set[int] = set()
    for t in words:
        if t.head.i == t.i:  # a sentence's root: the sentence goes only whole (its closing mark with it)
            sub = {x.i for x in t.subtree}
            if any(not doc[k].is_punct for k in sub - inside):
                return None
            cut |= sub
            continue
        got = _modifier_cut(doc, t)
        if got is None:
            return None
        cut |= got
    cut |= inside
    # ``named``: how many words the note's phrase has (the claim may hold only some of them)
    if len(cut) >= len(doc) - 3 or len(cut - inside) > max(len(inside), named) + 3:
        return None
    return cut


def drop_phrase(nlp: Language, text: str, what: str) -> str | None:
    """``text`` without the phrase the note names and the modifier that holds it, or ``None`` when code cannot cut
    it cleanly (the phrase is not in the text, or it is the clause's subject or object)."""
    doc = nlp(text)
    found = _find(doc, what)
    if found is None:
        return None
    cut = _cut_tokens(doc, *found, named=len(what.split()))
    if not cut:
        return None
    swap: dict[int, str] = {}
    kept = [t for t in doc if t.i not in cut]
    # "a 15 GW Iberian blackout" without "15 GW": the article agrees with the word that now follows it
    article = {t.i: t for t in kept if t.lower_ in ("a", "an") and t.i + 1 in cut}
    for i, t in article.items():
        nxt = next((k for k in kept if k.i > i), None)
        if nxt is not None:
            vowel = nxt.text[:1].lower() in "aeiou"
            fix = ("An" if t.text[0].isupper() else "an") if vowel else ("A" if t.text[0].isupper() else "a")
            swap[i] = fix
    # a token whose neighbour went loses the space between them: put one back (punctuation closes it up again)
    out = _tidy(
        "".join(swap.get(t.i, t.text) + (t.whitespace_ if t.whitespace_ or t.i + 1 not in cut else " ") for t in kept)
    )
    if len(out.split()) < 4:
        return None
    return out


def attributed(nlp: Language, text: str, outlet: str) -> str:
    """``text`` put in the words of ``outlet`` ("According to Reuters, …"), an earlier attribution opener replaced."""
    body = re.sub(r"^(?:according to|as reported by|per)\s+[^,]{1,80},\s*", "", text.strip(), flags=re.I)
    doc = nlp(body)
    first = doc[0] if len(doc) else None
    if first is not None and first.pos_ != "PROPN" and first.text not in ("I",) and not first.text.isupper():
        body = body[0].lower() + body[1:]
    return f"According to {outlet}, {body}"


_TERM = re.compile(r"\b(?:" + "|".join(sorted((re.escape(t) for t in SCALE), key=len, reverse=True)) + r")\b", re.I)


def stated_likelihood(text: str) -> tuple[str, int, int] | None:
    """The ICD-203 term the text states (the longest at its place: "very unlikely", not "unlikely"), with where."""
    m = _TERM.search(text)
    return (m.group(0).lower(), m.start(), m.end()) if m else None


def shifted(text: str, kind: Literal["soften", "sharpen"], note: str = "") -> tuple[str, str] | None:
    """``text`` with its likelihood one step nearer "roughly even chance" (soften) or further from it (sharpen),
    or set to the one term the note names; and the new term. ``None`` when the text states no ICD-203 term."""
    found = stated_likelihood(text)
    if found is None:
        return None
    term, a, b = found
    i = SCALE.index(term)
    named = {t.lower() for t in _TERM.findall(note)} - {term}
    if len(named) == 1:
        new = named.pop()
    elif kind == "soften":
        new = SCALE[i - 1] if i > _MIDDLE else SCALE[i + 1] if i < _MIDDLE else term
    else:
        new = SCALE[min(i + 1, len(SCALE) - 1)] if i > _MIDDLE else SCALE[max(i - 1, 0)] if i < _MIDDLE else term
    if new == term:
        return None
    framed = re.search(r"\b(?:it|there) is (?:an? )?$", text[:a], re.I) is not None
    if not framed and {term, new} != {"likely", "very likely"}:
        return None  # "was likely a fidayeen attack": only "very likely" stands in that place; the model words the rest
    word = text[a:b]
    new_text = text[:a] + (new.capitalize() if word[:1].isupper() else new) + text[b:]
    return _opener(new_text, new), new


def _opener(text: str, term: str) -> str:
    """ "It is likely that" but "There is a roughly even chance that", "There is almost no chance that"."""

    def say(m: re.Match[str]) -> str:
        there = "There" if m.group(1)[0].isupper() else "there"
        it = "It" if m.group(1)[0].isupper() else "it"
        if term == "roughly even chance":
            return f"{there} is a {term}"
        if term == "almost no chance":
            return f"{there} is {term}"
        return f"{it} is {term}"

    return re.sub(rf"\b(It|it|There|there) is (?:an? )?{re.escape(term)}\b", say, text, count=1)
