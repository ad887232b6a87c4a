"""Prompts and the brief template are files in ``prompts/``, versioned by the hash of their content.

``prompts/`` ships inside the wheel as package data and is read through :mod:`importlib.resources`,
so an installed ``brief`` finds it wherever it runs; a ``folder`` argument reads another one.

A prompt file declares its variables; loading one whose text uses other placeholders than it
declares, or rendering it with other values than it declares, fails loudly. Placeholders are
``{{name}}``; values are inserted verbatim once, never re-interpreted, so source text passed as a
value cannot inject placeholders.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


class PromptError(ValueError):
    """A prompt or template file is malformed or used with the wrong variables."""


def _version(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    variables: tuple[str, ...]
    system: str
    user: str

    def render(self, **values: object) -> list[dict[str, str]]:
        given, declared = set(values), set(self.variables)
        if given != declared:
            missing, extra = sorted(declared - given), sorted(given - declared)
            raise PromptError(f"prompt {self.name}: missing values {missing}, unexpected values {extra}")
        return [
            {"role": "system", "content": _fill(self.system, values)},
            {"role": "user", "content": _fill(self.user, values)},
        ]


def _fill(text: str, values: dict[str, object]) -> str:
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)


def _packaged(name: str, folder: Path | None) -> Path | Traversable:
    """``folder/NAME.toml``, or the packaged ``prompts/NAME.toml`` when no folder is given."""
    return (folder / f"{name}.toml") if folder is not None else resources.files("prompts") / f"{name}.toml"


def _read_toml(path: Path | Traversable, what: str) -> tuple[bytes, dict[str, Any]]:
    """The file's bytes (its version is their hash) and its parsed content."""
    try:
        raw = path.read_bytes()
        return raw, tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise PromptError(f"no {what} file {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise PromptError(f"{path}: not valid TOML: {e}") from e


def load_prompt(name: str, folder: Path | None = None) -> Prompt:
    path = _packaged(name, folder)
    raw, data = _read_toml(path, "prompt")
    try:
        variables = tuple(data["variables"])
        system, user = str(data["system"]), str(data["user"])
    except KeyError as e:
        raise PromptError(f"{path}: missing key {e}") from None
    used = set(_PLACEHOLDER.findall(system)) | set(_PLACEHOLDER.findall(user))
    if used != set(variables):
        raise PromptError(
            f"{path}: declared variables {sorted(variables)} but the text uses {sorted(used)}; make them match"
        )
    return Prompt(
        name=str(data.get("name", name)), version=_version(raw), variables=variables, system=system, user=user
    )


BUILDERS = ("confidence", "assessment", "bias_risks", "gaps", "entities", "tags", "techniques")


@dataclass(frozen=True)
class PartSpec:
    """One claim (or, for ``entities``/``tags``, a list of them) of a section, and who writes it.

    ``how = "model"``: code selects ``sentences`` source sentences for ``query`` and the model does ``task`` over
    them (one small job per call). ``how = "code"``: the named ``builder`` writes it from the pipeline's results.
    """

    label: str | None
    how: Literal["model", "code"]
    query: str = ""
    task: str = ""
    # the task as the embedded model gets it, when it differs: measured, the 1.5B model copies a claim quoted in its
    # task ({part:Label}) instead of differing from it; the quoted claim's sentences are still left out of its
    # evidence and an answer rewording it still refused
    small_task: str = ""
    builder: str = ""
    sentences: int = 3
    likelihood: bool = False  # the answer carries an ICD-203 likelihood term
    analytic: bool = True  # analysis is asked for: a copy of a cited sentence is refused
    figures: bool = False  # the answer must keep a figure when the sentences give one
    max_words: int = 40  # longer answers (with some slack) are refused as paragraphs, not claims
    capable: bool = False  # only a capable model drafts it (see ``llm.capable``); else left to the analyst
    facts: float = 0.05  # how much the count of facts (figures, dates, names) weighs in choosing sentences
    agreed: float = 0.0  # how much each further independent source stating a sentence weighs in choosing it
    recent: float = 0.0  # how much the recency of a sentence's report weighs in choosing it
    select: Literal["query", "timeline"] = "query"  # "timeline": the on-topic dated events, each shown with its date
    # only sentences that give a cause, motive, blame or suspicion (agent.corpus.explanations); none: the part is
    # left to the analyst rather than drawn from sentences that only report what happened
    explains: bool = False
    # a code part's claims (by label) published only on a capable endpoint; on the embedded default the finding
    # is left to the analyst as a note (measured on the dev set: these never shipped as code wrote them)
    capable_labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    intent: str
    claim: str
    queries: tuple[str, ...]
    labels: tuple[str, ...] = ()
    min_claims: int = 1
    max_claims: int = 6
    text_max_chars: int | None = None
    parts: tuple[PartSpec, ...] = ()


@dataclass(frozen=True)
class Template:
    name: str
    version: str
    sections: tuple[SectionSpec, ...] = field(default_factory=tuple)

    def section(self, key: str) -> SectionSpec:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)


def _part(path: object, key: str, p: dict[str, Any]) -> PartSpec:
    how = p.get("how", "model")
    if how not in ("model", "code"):
        raise PromptError(f"{path}: section {key!r}: a part's how is 'model' or 'code', not {how!r}")
    builder = str(p.get("builder", ""))
    if how == "code" and builder not in BUILDERS:
        raise PromptError(f"{path}: section {key!r}: unknown builder {builder!r}; known: {', '.join(BUILDERS)}")
    if how == "model" and not (p.get("task") and p.get("query")):
        raise PromptError(f"{path}: section {key!r}: a model part needs a query and a task")
    return PartSpec(
        label=p.get("label"),
        how=how,
        query=str(p.get("query", "")),
        task=str(p.get("task", "")),
        small_task=str(p.get("small_task", "")),
        builder=builder,
        sentences=int(p.get("sentences", 3)),
        likelihood=bool(p.get("likelihood", False)),
        analytic=bool(p.get("analytic", True)),
        facts=float(p.get("facts", 0.05)),
        agreed=float(p.get("agreed", 0.0)),
        recent=float(p.get("recent", 0.0)),
        figures=bool(p.get("figures", False)),
        capable=bool(p.get("capable", False)),
        max_words=int(p.get("max_words", 40)),
        explains=bool(p.get("explains", False)),
        capable_labels=tuple(str(x) for x in p.get("capable_labels", ())),
        select=_select(path, key, p.get("select", "query")),
    )


def _select(path: object, key: str, value: object) -> Literal["query", "timeline"]:
    if value not in ("query", "timeline"):
        raise PromptError(f"{path}: section {key!r}: a part's select is 'query' or 'timeline', not {value!r}")
    return "timeline" if value == "timeline" else "query"


DEFAULT_TEMPLATE = "brief_template"


def load_template(name: str | None = None, folder: Path | None = None) -> Template:
    """A template by name (default: ``$BRIEF_TEMPLATE``, else ``brief_template``), packaged or from ``folder``."""
    name = name or os.environ.get("BRIEF_TEMPLATE") or DEFAULT_TEMPLATE
    path = _packaged(name, folder)
    raw, data = _read_toml(path, "template")
    sections: list[SectionSpec] = []
    seen: set[str] = set()
    for n, s in enumerate(data.get("sections", []), 1):
        try:
            spec = SectionSpec(
                key=str(s["key"]),
                title=str(s["title"]),
                intent=str(s["intent"]),
                claim=str(s["claim"]),
                queries=tuple(str(q) for q in s["queries"]),
                labels=tuple(str(x) for x in s.get("labels", [])),
                min_claims=int(s.get("min_claims", 1)),
                max_claims=int(s.get("max_claims", 6)),
                text_max_chars=int(s["text_max_chars"]) if "text_max_chars" in s else None,
                parts=tuple(_part(path, str(s["key"]), p) for p in s.get("parts", [])),
            )
        except KeyError as e:
            raise PromptError(f"{path}: section {n} lacks {e}") from None
        if spec.key in seen:
            raise PromptError(f"{path}: section key {spec.key!r} appears twice")
        bad = [q for q in spec.queries if set(re.findall(r"\{(\w+)\}", q)) - {"topic"}]
        if bad:
            raise PromptError(f"{path}: section {spec.key!r}: queries may only use {{topic}}: {bad}")
        seen.add(spec.key)
        sections.append(spec)
    if not sections:
        raise PromptError(f"{path}: no [[sections]]")
    return Template(name=str(data.get("name", name)), version=_version(raw), sections=tuple(sections))
