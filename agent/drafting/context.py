"""What every part of a draft shares while it is drafted: the sentences, the digest, the model, the checks' inputs
and the grader every claim goes through."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agent.core.contracts import DigestItem, Draft, Sentence, SourceProfile
from agent.corpus.embeddings import Embedder
from agent.drafting.analysis import Analysis, Grading
from agent.drafting.checks import scripts, source_name_stems
from agent.drafting.evidence import SentenceBase
from agent.drafting.template import Prompt
from agent.llm.seam import LLM


@dataclass
class DraftContext:
    """What every part of a draft shares: the sentence base, the digest, the model and the checks' inputs."""

    draft: Draft
    base: SentenceBase
    digest: list[DigestItem]
    llm: LLM
    prompt: Prompt
    embedder: Embedder
    noun_phrases: Callable[[str], list[str]]
    capable: bool = True  # the model may draft the parts marked ``capable`` in the template
    used: set[str] = field(default_factory=set)  # sentences a model-written claim of this draft already cites
    source_names: set[str] = field(default_factory=set)
    source_scripts: set[str] = field(default_factory=set)
    handed: list[Sentence] = field(default_factory=list)  # evidence of parts left to the analyst
    analysis: Analysis | None = None  # source grades, figures, contradictions, timeline (agent.tradecraft)
    _sims: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        texts = [d.text for d in self.base.docs.values()]
        self.source_names = source_name_stems(texts)
        self.source_scripts = set().union(*(scripts(t) for t in texts)) if texts else {"LATIN"}

    @property
    def grader(self) -> Grading | None:
        """Grades every claim of the draft as it is made (:func:`agent.core.claims.make_claim`)."""
        return Grading(self.base, self.analysis) if self.analysis is not None else None

    @property
    def profiles(self) -> Mapping[str, SourceProfile] | None:
        """The sources' profiles and grades, when the tradecraft pass ran."""
        return self.analysis.profiles if self.analysis else None

    def sim(self, text: str) -> Any:
        if text not in self._sims:
            self._sims[text] = self.base.similarity(text, self.embedder)
        return self._sims[text]
