"""Independent corroboration: which sources state the same thing, counting a story's rewrites once.

Two sentences state the same thing when their embeddings are close or they share most content words; they state
the same fact in other words when, on the same subject, they give the same figure of the same thing ("a Category 5
hurricane with sustained winds near 295 km/h" and "a Category 5 hurricane with max winds of 185 mph"), or when they
share the specifics of a fact: a name and a figure or date, or two names, with embeddings fairly close. Two
documents are one source when one restates a large share of the other's sentences (a syndicated copy, a rewrite
of one story) or when they come from the same outlet: their agreement is repetition, not corroboration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from agent.core.contracts import Sentence
from agent.corpus.text import content_words

NEAR_DUPLICATE = 0.6  # content-word Jaccard at which two sentences state the same thing
SAME_STATEMENT = 0.8  # embedding cosine at which sentences of two documents state the same thing
SAME_FACT = 0.65  # embedding cosine at which two sentences giving the same figure of the same thing state one fact
# The same fact in other words, from what two sentences name (measured on the dev set, see the issue-19 report):
SAME_ANCHORED = 0.55  # cosine at which sentences sharing a name AND a figure or date state one fact
SAME_NAMES = 0.7  # cosine at which sentences sharing two names state one fact
NAMED = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "LAW", "WORK_OF_ART"})
REWRITE_SHARE = 0.3  # share of a document's sentences restated in another: one is a rewrite of the other


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def counted_thing(counts: str) -> str:
    """What a figure counts, in the singular: "troops" and "troop" are one thing."""
    w = counts.lower()
    return w[:-1] if w.endswith("s") else w


def figures_differ(a: Sentence, b: Sentence, tolerance: float = 0.1) -> bool:
    """Two sentences giving different figures for the same thing ("1,000 soldiers" and "4,000 soldiers") do not
    state the same thing, however alike their words: they contradict each other."""
    for n in a.numbers:
        for m in b.numbers:
            if n.counts and m.counts and counted_thing(n.counts) == counted_thing(m.counts):
                lo, hi = max(n.low, m.low), min(n.high, m.high)
                if lo > hi * (1 + tolerance):
                    return True
    return False


def _figures(s: Sentence) -> set[tuple[float, float, str]]:
    """The counted figures a sentence gives (value and what it counts), years and bare numbers left out."""
    return {(n.low, n.high, counted_thing(n.counts)) for n in s.numbers if n.counts and n.kind != "ordinal"}


def _names(s: Sentence) -> set[str]:
    """The names a sentence gives, folded ("the Kremlin" and "Kremlin" are one)."""
    return {
        " ".join(e.text.lower().removeprefix("the ").removesuffix("'s").split())
        for e in s.entities
        if e.label in NAMED and len(e.text) > 1
    }


def _anchors(s: Sentence) -> set[str]:
    """The specific figures and dates a sentence gives, whatever they count: values, not wording ("185 mph" and
        "185 miles per hour" share 185). Ordinals and bare years are left out: they date, they do not state; a number
    under ten counts only with the thing it counts."""
    out = {f"d:{d.value}" for d in s.dates if d.precision == "day"}
    for n in s.numbers:
        if n.kind == "ordinal" or (n.counts is None and n.low == n.high and 1800 <= n.low <= 2100):
            continue
        if n.high >= 10:
            out.add(f"n:{n.low:g}-{n.high:g}")
        elif n.counts:  # a small number is specific only with what it counts ("three families", not "two")
            out.add(f"n:{n.low:g}-{n.high:g}:{counted_thing(n.counts)}")
    return out


class Corroboration:
    """The sentences of a set of documents, with the source each document counts as (``origin``)."""

    def __init__(
        self,
        doc_ids: Sequence[str],
        sentences: Sequence[Sentence],
        vectors: np.ndarray,
        outlets: Mapping[str, str | None] | None = None,
    ) -> None:
        self.doc_ids = list(doc_ids)
        self.sentences = list(sentences)
        self.vectors = vectors
        self.words = [content_words(s.text) for s in self.sentences]
        self._names = [_names(s) for s in self.sentences]
        self._anchors = [_anchors(s) for s in self.sentences]
        self._index = {s.id: i for i, s in enumerate(self.sentences)}
        self.origin = self._origins(outlets or {})

    def same_statement(self, i: int, j: int) -> bool:
        close = (
            float(self.vectors[i] @ self.vectors[j]) >= SAME_STATEMENT
            or jaccard(self.words[i], self.words[j]) >= NEAR_DUPLICATE
        )
        return close and not figures_differ(self.sentences[i], self.sentences[j])

    def same_fact(self, i: int, j: int) -> bool:
        """The same statement, or the same fact in other words: the same figure of the same thing, on one subject.
        (Rewrites are found by :meth:`same_statement` alone: independent reports share facts, not wording.)"""
        if self.same_statement(i, j):
            return True
        a, b = self.sentences[i], self.sentences[j]
        cos = float(self.vectors[i] @ self.vectors[j])
        if cos < min(SAME_FACT, SAME_ANCHORED, SAME_NAMES) or figures_differ(a, b):
            return False
        if cos >= SAME_FACT and _figures(a) & _figures(b):
            return True
        names = self._names[i] & self._names[j]
        if cos >= SAME_ANCHORED and names and self._anchors[i] & self._anchors[j]:
            return True  # one name and one figure or date in common: the same fact in other words
        return cos >= SAME_NAMES and len(names) >= 2

    def _origins(self, outlets: Mapping[str, str | None]) -> dict[str, str]:
        origin = {d: d for d in self.doc_ids}

        def join(a: str, b: str) -> None:
            root, other = origin[a], origin[b]
            for d, o in origin.items():
                if o == other:
                    origin[d] = root

        by_doc: dict[str, list[int]] = {d: [] for d in self.doc_ids}
        for i, s in enumerate(self.sentences):
            by_doc.setdefault(s.doc_id, []).append(i)
        for a_pos, a in enumerate(self.doc_ids):
            for b in self.doc_ids[a_pos + 1 :]:
                if origin[a] == origin[b]:
                    continue
                same_outlet = bool(outlets.get(a)) and (outlets.get(a) or "").lower() == (outlets.get(b) or "").lower()
                mine, theirs = by_doc[a], by_doc[b]
                shared = sum(1 for i in mine if any(self.same_statement(i, j) for j in theirs))
                # one shared fact is news; two or more, or a third of the shorter document, is a copy
                if same_outlet or (mine and theirs and shared >= max(2, REWRITE_SHARE * min(len(mine), len(theirs)))):
                    join(a, b)
        return origin

    def index_of(self, sentence_id: str) -> int | None:
        return self._index.get(sentence_id)

    def independent_sources(self, i: int) -> set[str]:
        """The origins that state sentence ``i``: its own and those of other documents stating the same fact."""
        mine = self.sentences[i].doc_id
        out = {self.origin.get(mine, mine)}
        for j, s in enumerate(self.sentences):
            if s.doc_id != mine and self.origin.get(s.doc_id, s.doc_id) not in out and self.same_fact(i, j):
                out.add(self.origin.get(s.doc_id, s.doc_id))
        return out

    def sources_for(self, sentence_ids: Iterable[str], doc_ids: Iterable[str] = ()) -> set[str]:
        """The origins behind a claim: those stating any of its sentences, and those of its cited documents."""
        out = {self.origin.get(d, d) for d in doc_ids}
        for sid in sentence_ids:
            i = self.index_of(sid)
            if i is not None:
                out |= self.independent_sources(i)
        return out
