"""Eval cases: a folder with ``sources/``, a gold brief when there is one, and an optional ``case.toml``.

Layout::

    my-case/
      sources/            documents to ingest (.txt, .md, .html); sub-folders are fine
      gold.md | gold.txt  the gold brief (seed-000 layout; may be partial); optional: a case without one is
                          scored on drafting and checking metrics only, and its case.toml must give the topic
      case.toml           optional

``case.toml`` (every key optional)::

    name = "seeds-nk-russia"          # default: the folder name
    topic = "..."                     # what the brief is about; default: the gold brief's headline
    gold = "../../seeds/000_x.txt"    # the gold brief, relative to the case; default gold.md / gold.txt
    sources = ["../../seeds/001_x.txt", "more/"]   # files or folders relative to the case; default ["sources"]
    exclude = ["sources/drafts/*"]    # glob patterns (relative to the case) of files not to ingest

    [aliases]                         # extra names an entity may go by in a draft (entity recall)
    "Vladimir Putin" = ["Putin", "the Kremlin leader"]

The gold brief is never a source: :func:`load_case` refuses a case in which any source file *is* the gold
(same path), has the gold's bytes (same SHA-256) or the gold's text (same normalised-content id, so a re-saved
copy with other line ends or a BOM is caught too). The runner also passes the gold's SHA-256 to ingest as an
exclusion and checks the ingested documents, so a leak would have to get past three checks.
"""

from __future__ import annotations

import fnmatch
import hashlib
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from agent.corpus.ingest import IngestError, discover, read_document
from evals.gold import GoldBrief, load_gold

CASE_FILE = "case.toml"
GOLD_NAMES = ("gold.md", "gold.txt")
_KNOWN_KEYS = {"name", "topic", "gold", "sources", "exclude", "aliases", "description"}


class CaseError(ValueError):
    """A case folder that cannot be evaluated; the message says what to fix."""


class GoldLeakError(CaseError):
    """The gold brief (or a copy of it) is among the case's sources."""


class GoldFingerprint(BaseModel):
    """What identifies the gold brief's content, to keep it out of the sources."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Path
    sha256: str = Field(description="SHA-256 of the gold file's bytes")
    doc_id: str | None = Field(default=None, description="The id ingest would give it (hash of normalised text)")

    def matches(self, path: Path) -> str | None:
        """Why ``path`` is the gold brief (``"same path"``, ``"same bytes"``, ``"same text"``), or ``None``."""
        if path.resolve() == self.path.resolve():
            return "same path"
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        if hashlib.sha256(raw).hexdigest() == self.sha256:
            return "same bytes"
        if self.doc_id is not None:
            try:
                doc = read_document(path, max_bytes=max(len(raw), 1) + 1)
            except IngestError:
                return None
            if doc.id == self.doc_id:
                return "same text"
        return None


class Case(BaseModel):
    """A loaded, checked case: the source files to ingest (gold excluded) and the parsed gold brief, if any."""

    model_config = ConfigDict(extra="forbid")

    name: str
    root: Path
    topic: str
    gold_path: Path | None = None
    gold: GoldBrief | None = None
    fingerprint: GoldFingerprint | None = None
    sources: list[Path]
    aliases: dict[str, list[str]] = Field(default_factory=dict)
    description: str | None = None


def fingerprint(gold_path: Path) -> GoldFingerprint:
    """The gold brief's path, byte hash and normalised-content id."""
    raw = gold_path.read_bytes()
    try:
        doc_id: str | None = read_document(gold_path, max_bytes=len(raw) + 1).id
    except IngestError:
        doc_id = None  # e.g. a gold.md with an extension ingest would not read anyway
    return GoldFingerprint(path=gold_path.resolve(), sha256=hashlib.sha256(raw).hexdigest(), doc_id=doc_id)


def check_sources(sources: list[Path], gold: GoldFingerprint) -> None:
    """Raise :class:`GoldLeakError` if any source file is the gold brief or a copy of it."""
    for src in sources:
        why = gold.matches(src)
        if why:
            raise GoldLeakError(
                f"{src} is the gold brief {gold.path.name} ({why}); a gold brief is never a source — "
                "remove it from the sources or add it to `exclude` in case.toml"
            )


def _read_config(root: Path) -> dict[str, object]:
    path = root / CASE_FILE
    if not path.is_file():
        return {}
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise CaseError(f"{path}: not valid TOML: {e}") from e
    unknown = sorted(set(config) - _KNOWN_KEYS)
    if unknown:
        raise CaseError(f"{path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_KNOWN_KEYS))}")
    return config


def _str_list(config: dict[str, object], key: str, default: list[str]) -> list[str]:
    value = config.get(key, default)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CaseError(f"{CASE_FILE}: `{key}` must be a list of strings")
    return list(value)


def _find_gold(root: Path, config: dict[str, object]) -> Path | None:
    given = config.get("gold")
    if given is not None:
        if not isinstance(given, str):
            raise CaseError(f"{CASE_FILE}: `gold` must be a path string")
        path = (root / given).resolve()
        if not path.is_file():
            raise CaseError(f"{root}: gold brief {given!r} not found ({path})")
        return path
    found = [root / n for n in GOLD_NAMES if (root / n).is_file()]
    if not found:
        return None
    if len(found) > 1:
        raise CaseError(f"{root}: both gold.md and gold.txt; keep one")
    return found[0].resolve()


def _aliases(config: dict[str, object]) -> dict[str, list[str]]:
    raw = config.get("aliases", {})
    if not isinstance(raw, dict):
        raise CaseError(f"{CASE_FILE}: `aliases` must be a table of name = [aliases]")
    out: dict[str, list[str]] = {}
    for name, values in raw.items():
        values = [values] if isinstance(values, str) else values
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise CaseError(f"{CASE_FILE}: aliases for {name!r} must be a list of strings")
        out[str(name)] = list(values)
    return out


def load_case(path: Path) -> Case:
    """Load and check a case folder. Raises :class:`CaseError` (or :class:`GoldLeakError`) saying what is wrong."""
    root = path.resolve()
    if not root.is_dir():
        raise CaseError(f"{path}: not a folder")
    config = _read_config(root)
    gold_path = _find_gold(root, config)
    gold = load_gold(gold_path) if gold_path else None
    if gold_path and gold is not None and not gold.sections:
        raise CaseError(f"{gold_path}: no section headings found; is it a brief in the seed-000 layout?")
    if gold is None and not config.get("topic"):
        raise CaseError(
            f"{root}: no gold brief (gold.md or gold.txt, or `gold = ...` in {CASE_FILE}) and no `topic` in "
            f"{CASE_FILE}; a case without a gold brief needs its topic"
        )
    fp = fingerprint(gold_path) if gold_path else None

    exclude = _str_list(config, "exclude", [])
    roots: list[Path] = []
    for rel in _str_list(config, "sources", ["sources"]):
        p = (root / rel).resolve()
        if not p.exists():
            raise CaseError(f"{root}: source {rel!r} not found ({p})")
        roots.append(p)
    files: list[Path] = []
    for f in discover(roots):
        f = f.resolve()
        rel = _relative(f, root)
        if any(fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(f.name, pat) for pat in exclude):
            continue
        if f not in files:
            files.append(f)
    if not files:
        raise CaseError(f"{root}: no source documents (put them in sources/ or list them under `sources`)")
    if fp is not None:
        check_sources(files, fp)

    topic = config.get("topic") or (gold.headline or gold.title if gold else None) or root.name
    name = config.get("name") or root.name
    description = config.get("description")
    return Case(
        name=str(name),
        root=root,
        topic=str(topic),
        gold_path=gold_path,
        gold=gold,
        fingerprint=fp,
        sources=files,
        aliases=_aliases(config),
        description=str(description) if description else None,
    )


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
