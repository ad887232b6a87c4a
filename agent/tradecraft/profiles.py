"""Source profiles: who each source is (outlet, type, author, date) and its Admiralty grade.

Reliability (A-F) is a judgment about the source, so it comes from people: the outlet registry (a default one
ships with Briefwright; the workspace's ``sources.toml`` extends and overrides it) and the analyst's per-document
grade. An outlet the registry does not know is F, "cannot be judged". Credibility (1-6) is about what the source
states, and code grades it (:mod:`agent.tradecraft.grading`). Where a file has no metadata, outlet, author, date
and type are inferred from its text and marked ``inferred``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, cast, get_args
from urllib.parse import urlparse

import tomlkit

from agent.core.atomic import atomic_write_text
from agent.core.contracts import (
    WEAK_CUES,
    Credibility,
    Draft,
    Reliability,
    Sentence,
    SourceDocument,
    SourceProfile,
    SourceType,
)
from agent.core.origins import pick
from agent.corpus.inference import infer

REGISTRY_FILE = "sources.toml"
RELIABILITIES: tuple[str, ...] = get_args(Reliability)
SOURCE_TYPES: tuple[str, ...] = get_args(SourceType)
WEAK_SHARE = 0.1  # a source whose sentences carry anonymous / state-media cues this often rests on them


class RegistryError(ValueError):
    """The outlet registry or a document grade cannot be read or is invalid; the message says where."""


@dataclass(frozen=True)
class Outlet:
    name: str
    type: SourceType
    reliability: Reliability
    aliases: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    state: tuple[str, ...] = ()  # state media: the words naming the state it speaks for ("China", "Chinese")

    def names(self) -> set[str]:
        return {n.lower() for n in (self.name, *self.aliases)}


@dataclass
class DocumentGrade:
    """The analyst's settings for one document (``[documents.ID]`` in ``sources.toml``)."""

    outlet: str | None = None
    type: SourceType | None = None
    reliability: Reliability | None = None
    published: date | None = None
    author: str | None = None


@dataclass
class Registry:
    outlets: list[Outlet] = field(default_factory=list)
    documents: dict[str, DocumentGrade] = field(default_factory=dict)

    @classmethod
    def load(cls, workspace_file: Path | None = None) -> Registry:
        """The default registry under the workspace's (whose outlets and document grades win)."""
        default = resources.files("agent.tradecraft").joinpath("outlets.toml").read_text(encoding="utf-8")
        reg = cls()
        reg._add(tomllib.loads(default), "the default outlet registry")
        if workspace_file is not None and workspace_file.exists():
            try:
                data = tomllib.loads(workspace_file.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
                raise RegistryError(f"{workspace_file}: not valid TOML ({e}); fix or delete it") from e
            reg._add(data, str(workspace_file), first=True)
        return reg

    def _add(self, data: Mapping[str, Any], where: str, *, first: bool = False) -> None:
        outlets: list[Outlet] = []
        listed = data.get("outlet", [])
        if not isinstance(listed, list):
            raise RegistryError(f"{where}: 'outlet' must be a list of [[outlet]] tables, not {_kind(listed)}")
        for n, entry in enumerate(listed, 1):
            if not isinstance(entry, dict) or not entry.get("name"):
                raise RegistryError(f"{where}: [[outlet]] number {n} has no name")
            ctx = f"{where}: outlet {entry['name']!r}"
            outlets.append(
                Outlet(
                    name=str(entry["name"]),
                    type=_type(entry.get("type", "unknown"), ctx),
                    reliability=_grade(entry.get("reliability", "F"), ctx),
                    aliases=_strings(entry.get("aliases", []), f"{ctx}: aliases"),
                    domains=tuple(d.lower() for d in _strings(entry.get("domains", []), f"{ctx}: domains")),
                    state=_strings(entry.get("state", []), f"{ctx}: state"),
                )
            )
        self.outlets = outlets + self.outlets if first else self.outlets + outlets
        documents = data.get("documents", {})
        if not isinstance(documents, dict):
            raise RegistryError(f"{where}: 'documents' must be [documents.ID] tables, not {_kind(documents)}")
        for doc_id, entry in documents.items():
            ctx = f"{where}: [documents.{doc_id}]"
            if not isinstance(entry, dict):
                raise RegistryError(f"{ctx}: must be a table (outlet, type, reliability, ...), not {_kind(entry)}")
            published = entry.get("published")
            if isinstance(published, str):
                try:
                    published = date.fromisoformat(published)
                except ValueError as e:
                    raise RegistryError(f"{ctx}: published {published!r} is not a date (YYYY-MM-DD)") from e
            for key in ("outlet", "author"):
                if key in entry and not isinstance(entry[key], str):
                    raise RegistryError(f"{ctx}: {key} must be a string, not {_kind(entry[key])}")
            self.documents[str(doc_id)] = DocumentGrade(
                outlet=entry.get("outlet"),
                type=_type(entry["type"], ctx) if "type" in entry else None,
                reliability=_grade(entry["reliability"], ctx) if "reliability" in entry else None,
                published=published if isinstance(published, date) else None,
                author=entry.get("author"),
            )

    def find(self, outlet: str | None, url: str | None = None) -> Outlet | None:
        """The registry's entry for an outlet name (or alias), else for the URL's domain."""
        if outlet:
            name = outlet.strip().lower()
            for o in self.outlets:
                if name in o.names():
                    return o
        host = (urlparse(url).hostname or "").lower() if url else ""
        if host:
            for o in self.outlets:
                if any(host == d or host.endswith("." + d) for d in o.domains):
                    return o
        return None

    def find_in_name(self, path: str) -> Outlet | None:
        """The outlet a file's name carries, when nothing else names one: the first word of the name (split at
        ``_ - .`` and spaces) that is an outlet's name or alias, or its domain's own label, written without spaces
        ("source_3_xinhua-via-dailynews.txt", "apnews-story.html", "trtworld_report.txt"). Analysts save pages
        under the outlet's name; a republisher named after it ("-via-") is the carrier, not the origin."""
        words = [w for w in _NAME_SPLIT.split(Path(path).stem.lower()) if w and not w.isdigit()]
        keys: dict[str, Outlet] = {}
        for o in self.outlets:
            for n in o.names():
                keys.setdefault(_NAME_SPLIT.sub("", n), o)
            for d in o.domains:
                labels = [x for x in d.lower().split(".") if x not in _HOST_PREFIXES]
                if labels:
                    keys.setdefault(labels[0], o)
        return next((keys[w] for w in words if w in keys), None)


_NAME_SPLIT = re.compile(r"[^a-z0-9]+")
_HOST_PREFIXES = frozenset({"www", "en", "english", "m", "amp", "news"})


def _kind(value: object) -> str:
    """A TOML value's kind as a user reads it (``7`` is "the integer 7")."""
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list", dict: "table"}
    kind = next((n for t, n in names.items() if isinstance(value, t)), type(value).__name__)
    return f"the {kind} {value!r}" if not isinstance(value, (list, dict)) else f"a {kind}"


def _strings(value: object, ctx: str) -> tuple[str, ...]:
    """A list of strings (``aliases = ["a", "b"]``), or a :class:`RegistryError` saying what it is instead."""
    if isinstance(value, str):
        raise RegistryError(f"{ctx} must be a list of strings, e.g. [{value!r}], not {_kind(value)}")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RegistryError(f"{ctx} must be a list of strings, not {_kind(value)}")
    return tuple(value)


def _grade(value: object, ctx: str) -> Reliability:
    v = str(value).strip().upper()
    if v not in RELIABILITIES:
        raise RegistryError(f"{ctx}: reliability {value!r} is not one of A-F")
    return cast(Reliability, v)


def _type(value: object, ctx: str) -> SourceType:
    v = str(value).strip().lower()
    if v not in SOURCE_TYPES:
        raise RegistryError(f"{ctx}: type {value!r} is not one of {', '.join(SOURCE_TYPES)}")
    return cast(SourceType, v)


def set_document(path: Path, doc_id: str, **values: str | None) -> None:
    """Write the analyst's settings for a document into the workspace's ``sources.toml`` (comments kept).
    A value of ``""`` removes the setting."""
    ctx = f"document {doc_id}"
    if values.get("reliability"):
        values["reliability"] = _grade(values["reliability"], ctx)
    if values.get("type"):
        values["type"] = _type(values["type"], ctx)
    if values.get("published"):
        try:
            date.fromisoformat(str(values["published"]))
        except ValueError as e:
            raise RegistryError(f"{ctx}: published {values['published']!r} is not a date (YYYY-MM-DD)") from e
    try:
        doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else _new_registry()
    except Exception as e:  # tomlkit raises its own ParseError family
        raise RegistryError(f"{path}: not valid TOML ({e}); fix or delete it") from e
    documents = doc.setdefault("documents", tomlkit.table(is_super_table=True))
    if not isinstance(documents, dict):
        raise RegistryError(f"{path}: 'documents' must be [documents.ID] tables, not {_kind(documents)}")
    entry = documents.setdefault(doc_id, tomlkit.table())
    if not isinstance(entry, dict):
        raise RegistryError(f"{path}: [documents.{doc_id}] must be a table, not {_kind(entry)}")
    for key, value in values.items():
        if value is None:
            continue
        if value == "":
            entry.pop(key, None)
        else:
            entry[key] = value
    atomic_write_text(path, tomlkit.dumps(doc))


def _new_registry() -> tomlkit.TOMLDocument:
    doc = tomlkit.document()
    doc.add(tomlkit.comment("Briefwright source registry for this case: outlets ([[outlet]]) and per-document"))
    doc.add(tomlkit.comment("grades ([documents.ID]). Reliability: A-F (Admiralty); type: wire, newspaper,"))
    doc.add(tomlkit.comment("state-media, think-tank, newsletter, blog, unknown. Entries here win over the defaults."))
    return doc


def effective_document(doc: SourceDocument, registry: Registry) -> SourceDocument:
    """The document with the date relative dates resolve against: the analyst's, its own, else inferred."""
    grade = registry.documents.get(doc.id)
    if grade and grade.published:
        return doc.model_copy(update={"published": grade.published})
    if doc.published is None:
        inferred = infer(doc).published
        if inferred:
            return doc.model_copy(update={"published": inferred})
    return doc


def is_weakly_sourced(sentences: Sequence[Sentence]) -> bool:
    """Rests on anonymous, unnamed-official or state-media sourcing: such cues in at least a tenth of its
    sentences (a single "a senior official said" in a long report does not make the report anonymous)."""
    body = [s for s in sentences if s.kind in ("body", "bullet")]
    weak = sum(1 for s in body if any(c.kind in WEAK_CUES for c in s.cues))
    return bool(body) and weak > 0 and weak >= WEAK_SHARE * len(body)


def profile(
    doc: SourceDocument,
    sentences: Sequence[Sentence],
    registry: Registry,
    *,
    origin: str = "",
    credibility: Credibility = 6,
) -> SourceProfile:
    """The profile of one document, each field from where it ranks highest (:mod:`agent.core.origins`: analyst >
    sidecar > file metadata > registry > inferred) and saying which."""
    grade = registry.documents.get(doc.id) or DocumentGrade()
    guess = infer(doc)
    came = doc.field_sources  # where ingest found each field: sidecar, the file itself, the e-mail, the text
    outlet, outlet_from = pick(
        (grade.outlet, "analyst"), (doc.outlet, came.get("outlet", "file")), (guess.outlet, "inferred")
    )
    author, author_from = pick(
        (grade.author, "analyst"), (doc.author, came.get("author", "file")), (guess.author, "inferred")
    )
    published, published_from = pick(
        (grade.published, "analyst"), (doc.published, came.get("published", "file")), (guess.published, "inferred")
    )
    known = registry.find(outlet, doc.url)
    if known is None and not outlet:
        known = registry.find_in_name(doc.path)
        outlet, outlet_from = (known.name, "inferred") if known else (outlet, outlet_from)
    stype, type_from = pick(
        (grade.type, "analyst"), (known.type if known else None, "registry"), (guess.type, "inferred")
    )
    reliability, reliability_from = pick(
        (grade.reliability, "analyst"), (known.reliability if known else None, "registry")
    )
    cues: dict[str, int] = {}
    phrases: list[str] = []
    for s in sentences:
        for c in s.cues:
            cues[c.kind] = cues.get(c.kind, 0) + 1
            if c.kind in WEAK_CUES and c.text not in phrases:
                phrases.append(c.text)
    return SourceProfile(
        doc_id=doc.id,
        label=doc.label(),
        outlet=known.name if known and outlet_from != "analyst" else outlet,
        outlet_from=outlet_from,
        author=author,
        author_from=author_from,
        published=published,
        published_from=published_from,
        type=stype or "unknown",
        type_from=type_from or "default",
        reliability=reliability or "F",
        reliability_from=reliability_from or "default",
        credibility=credibility,
        cues=cues,
        cue_phrases=phrases[:6],
        weak_sourcing=is_weakly_sourced(sentences),
        origin=origin or doc.id,
    )


def apply_grades(profiles: Sequence[SourceProfile], registry: Registry) -> list[SourceProfile]:
    """The draft's profiles with the analyst's current settings (``sources.toml``) applied: a grade set after
    drafting, in the review UI or with ``brief sources set``, shows everywhere without redrafting."""
    out: list[SourceProfile] = []
    for p in profiles:
        g = registry.documents.get(p.doc_id)
        update: dict[str, object] = {}
        if g is not None:
            if g.reliability:
                update |= {"reliability": g.reliability, "reliability_from": "analyst"}
            if g.type:
                update |= {"type": g.type, "type_from": "analyst"}
            if g.outlet:
                update |= {"outlet": g.outlet, "outlet_from": "analyst"}
            if g.author:
                update |= {"author": g.author, "author_from": "analyst"}
            if g.published:
                update |= {"published": g.published, "published_from": "analyst"}
        elif p.outlet and p.reliability_from in ("registry", "default"):
            known = registry.find(p.outlet)
            if known:
                update |= {"reliability": known.reliability, "reliability_from": "registry"}
        out.append(p.model_copy(update=update) if update else p)
    return out


def current_grades(draft: Draft, workspace_root: Path) -> Draft:
    """The draft with its sources' grades as the analyst has set them now (``sources.toml``)."""
    if not draft.profiles:
        return draft
    registry = Registry.load(workspace_root / REGISTRY_FILE)
    return draft.model_copy(update={"profiles": apply_grades(draft.profiles, registry)})
