"""The sentences a draft stands on, chosen by code: the fact digest and the sentences behind each claim.

A model of 1.5B parameters cannot select evidence (shown a numbered list, it cites ids in list order), so
every selection is made here: sentences are scored by their similarity to the topic and to the part's query
(the embedding model of the index), by how many facts they carry (numbers with what they count, dates,
named entities), and picked so that rewrites of the same sentence count once and every source is heard.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from agent.core.contracts import Chunk, Citation, DigestItem, Sentence, SourceDocument
from agent.corpus.embeddings import Embedder
from agent.corpus.explanations import offers_explanation
from agent.corpus.furniture import is_furniture
from agent.drafting.verify import is_instruction
from agent.tradecraft.corroboration import NEAR_DUPLICATE, Corroboration, jaccard

MAX_QUOTE_WORDS = 60
DIGEST_SIZE = 24


def is_evidence(s: Sentence) -> bool:
    """Body sentences that assert something: not headings, boilerplate, page furniture or photo captions,
    questions, scraps, or text that addresses the model (prompt injection is no evidence)."""
    n = len(s.text.split())
    return (
        s.kind in ("body", "bullet")
        and 6 <= n <= 90
        and not s.text.rstrip("”\"' ").endswith("?")
        and not is_instruction(s.text)
        and not is_furniture(s.text)
    )


def density(s: Sentence) -> float:
    """Facts a sentence carries: counted numbers weigh most, then dates, then distinct names."""
    counted = sum(1 for n in s.numbers if n.counts or n.kind == "money")
    names = {e.text for e in s.entities}
    return 2.0 * min(counted, 2) + 1.0 * min(len(s.dates), 2) + 0.5 * min(len(names), 4)


@dataclass
class SentenceBase:
    """The draft's candidate sentences with their embeddings, documents and the chunks that hold them."""

    docs: dict[str, SourceDocument]
    sentences: list[Sentence]
    vectors: np.ndarray
    topic_sim: np.ndarray
    chunks: dict[str, list[Chunk]] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)  # document -> the source it counts as (rewrites, outlet)
    leads: dict[str, Sentence] = field(default_factory=dict)  # bullet -> the sentence ending in ':' that leads it
    corroboration: Corroboration = field(init=False)

    def __post_init__(self) -> None:
        outlets = {d: doc.outlet for d, doc in self.docs.items()}
        self.corroboration = Corroboration(list(self.docs), self.sentences, self.vectors, outlets)
        self.origin = self.corroboration.origin

    def same_statement(self, i: int, j: int) -> bool:
        return self.corroboration.same_statement(i, j)

    @classmethod
    def build(
        cls,
        docs: Sequence[SourceDocument],
        sentences: dict[str, list[Sentence]],
        embedder: Embedder,
        topic: str,
        chunks: dict[str, list[Chunk]] | None = None,
    ) -> SentenceBase:
        cands = [s for d in docs for s in sentences.get(d.id, []) if is_evidence(s)]
        leads = lead_ins(sentences)
        texts = [f"{leads[s.id].text} {s.text}" if s.id in leads else s.text for s in cands]
        vecs = _unit(embedder.embed(texts)) if cands else np.zeros((0, 1), dtype=np.float32)
        topic_vec = _unit(embedder.embed([topic]))[0] if cands else np.zeros(1, dtype=np.float32)
        return cls(
            docs={d.id: d for d in docs},
            sentences=cands,
            vectors=vecs,
            topic_sim=vecs @ topic_vec if cands else np.zeros(0),
            chunks=chunks or {},
            leads=leads,
        )

    def __len__(self) -> int:
        return len(self.sentences)

    def index_of(self, sentence_id: str) -> int:
        i = self.corroboration.index_of(sentence_id)
        if i is None:
            raise KeyError(sentence_id)
        return i

    @property
    def _words(self) -> list[set[str]]:
        """Each sentence's content words (the corroboration measure's, computed once)."""
        return self.corroboration.words

    @property
    def explanations(self) -> frozenset[int]:
        """The sentences that give a cause, motive, purpose, blame or suspicion (hypotheses are drawn from these)."""
        return frozenset(i for i, s in enumerate(self.sentences) if offers_explanation(s.text))

    def similarity(self, text: str, embedder: Embedder) -> np.ndarray:
        if not self.sentences:
            return np.zeros(0)
        return self.vectors @ _unit(embedder.embed([text]))[0]

    def independent_sources(self, i: int) -> set[str]:
        """The origins that state sentence ``i`` (its document and those restating it): rewrites count once."""
        return self.corroboration.independent_sources(i)

    def select(
        self,
        query_sim: np.ndarray,
        k: int,
        *,
        exclude: Iterable[str] = (),
        min_sim: float = 0.15,
        facts: float = 0.05,
        agreed: float = 0.0,
        recent: float = 0.0,
        only: Collection[int] | None = None,
    ) -> list[Sentence]:
        """The ``k`` best sentences for a query: similar to it and to the topic, fact-dense, no two stating the
        same thing, and spread over documents (a second sentence from the same document weighs less). ``agreed``:
        weight of each further independent source stating the sentence (the bottom line rests on what several
        sources say); ``recent``: weight of its document's recency among the sources (what comes next is read in
        the latest reports, not in a forecast made before the event). ``only``: the indices a sentence may come from."""
        if not self.sentences or k <= 0:
            return []
        banned = set(exclude)
        score = query_sim + 0.3 * self.topic_sim + facts * np.array([density(s) for s in self.sentences])
        if recent:
            days = sorted({d.published for d in self.docs.values() if d.published})
            rank = {day: (n / (len(days) - 1) if len(days) > 1 else 1.0) for n, day in enumerate(days)}
            when = [self.docs[s.doc_id].published for s in self.sentences]
            score = score + recent * np.array([rank.get(w, 0.0) if w else 0.0 for w in when])
        if agreed:
            score = score.copy()
            for i in np.argsort(-score)[: 8 * k + 20]:
                score[i] += agreed * min(2, len(self.independent_sources(int(i))) - 1)
        order = np.argsort(-score)
        if only is not None:  # the allowed sentences only, however far down the ranking they sit
            order = np.array([i for i in order if int(i) in only] or [], dtype=int)
        chosen: list[int] = []
        per_doc: dict[str, int] = {}
        for _ in range(k):
            best, best_score = -1, -1e9
            for i in order[: 8 * k + 20]:
                s = self.sentences[int(i)]
                # bears on the part's query, or on the topic when the query names only a role ("the figures")
                if s.id in banned or int(i) in chosen or max(query_sim[i], self.topic_sim[i]) < min_sim:
                    continue
                if any(jaccard(self._words[int(i)], self._words[c]) >= NEAR_DUPLICATE for c in chosen):
                    continue
                adj = float(score[i]) - 0.06 * per_doc.get(s.doc_id, 0)
                if adj > best_score:
                    best, best_score = int(i), adj
            if best < 0:
                break
            chosen.append(best)
            per_doc[self.sentences[best].doc_id] = per_doc.get(self.sentences[best].doc_id, 0) + 1
        return [self.sentences[i] for i in chosen]

    def digest(self, size: int = DIGEST_SIZE, per_doc_min: int = 2) -> list[DigestItem]:
        """The fact-dense, on-topic sentences the draft stands on: near-duplicates folded (their sources
        counted), every document heard at least ``per_doc_min`` times when it has that many candidates."""
        if not self.sentences:
            return []
        dens = np.array([density(s) for s in self.sentences])
        score = self.topic_sim * (1.0 + 0.25 * dens)
        order = [int(i) for i in np.argsort(-score)]
        chosen: list[int] = []

        def fits(i: int) -> bool:
            return i not in chosen and not any(
                jaccard(self._words[i], self._words[c]) >= NEAR_DUPLICATE for c in chosen
            )

        for doc_id in self.docs:
            mine = [i for i in order if self.sentences[i].doc_id == doc_id and self.topic_sim[i] > 0.2]
            for i in mine[:per_doc_min]:
                if fits(i):
                    chosen.append(i)
        for i in order:
            if len(chosen) >= size:
                break
            if self.topic_sim[i] > 0.2 and fits(i):
                chosen.append(i)
        chosen.sort(key=lambda i: -score[i])
        return [
            DigestItem(
                n=n,
                sentence_id=self.sentences[i].id,
                doc_id=self.sentences[i].doc_id,
                start=self.sentences[i].start,
                end=self.sentences[i].end,
                text=self.sentences[i].text,
                sources=len(self.independent_sources(i)),
            )
            for n, i in enumerate(chosen, 1)
        ]

    def citation(self, s: Sentence) -> Citation:
        """A sentence as a citation: its exact span (cut to a marked sub-span of at most 60 words)."""
        start, end = s.start, s.end
        text = self.docs[s.doc_id].text
        if len(s.text.split()) > MAX_QUOTE_WORDS:
            end = _cut(text, start, end, MAX_QUOTE_WORDS)
        chunk_id = ""
        for c in self.chunks.get(s.doc_id, []):
            if c.start <= start and end <= c.end:
                chunk_id = c.id
                break
        return Citation(
            chunk_id=chunk_id,
            doc_id=s.doc_id,
            quote=text[start:end],
            start=start,
            end=end,
            quote_as_given="",
            match="exact",
            sentence_id=s.id,
        )


# A sentence that opens on a pronoun or a demonstrative ("He said…", "This came after…", "The decision…") does not
# say who or what it is about: the sentence before it in its document does.
ANAPHORIC = re.compile(
    r"^[\"“‘']?(?:He|She|They|It|Its|His|Her|Their|This|That|These|Those|The\s+(?:move|decision|announcement|statement"
    r"|step|measure|incident|attack|order|plan|deal|vote|ruling|report|group|body|council|agency|company))\b"
)


def _unopened(text: str) -> bool:
    """The end of a quotation opened in an earlier sentence ("Since that is the case, all must stop,” he said."):
    who said it, and what "that" is, are in the sentence before."""
    t = text.strip()
    return ("”" in t and "“" not in t) or (t.count('"') % 2 == 1 and not t.startswith('"'))


def lead_ins(sentences: dict[str, list[Sentence]]) -> dict[str, Sentence]:
    """The sentence a reader needs before each one that does not stand alone: for a bullet item, the sentence
    ending in ':' that introduces its list ("Russia has compensated North Korea through both financial payments and
    critical resources:"); for a sentence opening on a pronoun or "The decision…", the body sentence before it.
    Shown to the model beside it, and cited with it when the claim rests on it."""
    out: dict[str, Sentence] = {}
    for sents in sentences.values():
        lead: Sentence | None = None
        before: Sentence | None = None
        for s in sents:
            if s.kind == "bullet" and lead is not None:
                out[s.id] = lead
            elif s.kind == "body" and before is not None and (ANAPHORIC.match(s.text.lstrip()) or _unopened(s.text)):
                out[s.id] = before
            if s.kind != "bullet":  # a list's items keep the sentence that leads them; anything else ends the list
                opens_list = s.kind == "body" and s.text.rstrip().endswith(":") and len(s.text.split()) >= 6
                lead = s if opens_list else None
            if s.kind == "body":
                before = s
    return out


def _cut(text: str, start: int, end: int, max_words: int) -> int:
    """The end of a sub-span of at most ``max_words`` words, at the last clause break (, ; :) within them."""
    spans = [m.end() for m in re.finditer(r"\S+", text[start:end])]
    limit = start + spans[max_words - 1]
    window = text[start:limit]
    brk = max(window.rfind(","), window.rfind(";"), window.rfind(":"))
    return start + brk if brk > len(window) // 2 else limit


def _unit(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return m / norms
