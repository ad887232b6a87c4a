"""Every filesystem location Briefwright uses, in one place.

A *workspace* is one folder per case (default ``./.brief``): config, index, drafts,
review journals, exports and the LLM call log. The *cache* holds verified model files
shared by all workspaces (default ``~/.cache/briefwright``, or ``$BRIEF_CACHE_DIR``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

# The checkout's root when running from a checkout (evals keep their runs there); in an installed wheel it is
# site-packages and nothing under it is relied on. Files read at run time ship as package data instead.
PROJECT_ROOT = Path(__file__).resolve().parents[2]

DEFAULT_WORKSPACE = Path(".brief")
CONFIG_NAME = "config.toml"


class UnsafeName(ValueError):
    """A name used as a file name (a draft id) that could reach outside its folder."""


class UnsafePath(ValueError):
    """A path the tool writes under a workspace is a symbolic link: writing there could land outside it."""


# What Briefwright itself writes in a workspace: these folders and everything in them, and these files (the
# store's SQLite sidecars and the keyword cache's temp file included: SQLite and numpy open them by name).
_OWN_DIRS = ("drafts", "journals", "exports", "logs", "chroma")
_OWN_FILES = (
    "store.sqlite3",
    "store.sqlite3-wal",
    "store.sqlite3-shm",
    "store.sqlite3-journal",
    "keyword.npz",
    "keyword.tmp.npz",
    "sources.toml",
)


_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def safe_name(name: str, what: str = "draft id") -> str:
    """``name`` if it can be a file name inside a folder (letters, digits, ``.``, ``_``, ``-``; not starting with
    a dot), else :class:`UnsafeName`: ids come from files a workspace holds, which may come from someone else."""
    if not _SAFE_NAME.fullmatch(name or "") or ".." in name:
        raise UnsafeName(f"not a valid {what}: {name!r} (letters, digits, '.', '_' and '-' only)")
    return name


def cache_dir() -> Path:
    """Where verified model files live (shared between workspaces)."""
    env = os.environ.get("BRIEF_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "briefwright"


def user_config_file() -> Path:
    """The user's own settings (``$XDG_CONFIG_HOME/briefwright/config.toml``, default ``~/.config/…``): trusted,
    unlike a workspace's ``config.toml``, which may come with a case folder from someone else."""
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".config"
    return base / "briefwright" / CONFIG_NAME


def models_dir() -> Path:
    return cache_dir() / "models"


@dataclass(frozen=True)
class Workspace:
    """The folders of one case. Nothing is created until :meth:`ensure` is called."""

    root: Path

    @classmethod
    def at(cls, root: str | os.PathLike[str] | None = None) -> Workspace:
        if root is None:
            root = os.environ.get("BRIEF_WORKSPACE") or DEFAULT_WORKSPACE
        return cls(Path(root).expanduser().resolve())

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def store_db(self) -> Path:
        """SQLite: documents, chunks, keyword (FTS5) index, ingest manifest."""
        return self.root / "store.sqlite3"

    @property
    def chroma_dir(self) -> Path:
        return self.root / "chroma"

    @property
    def drafts_dir(self) -> Path:
        return self.root / "drafts"

    @property
    def journals_dir(self) -> Path:
        return self.root / "journals"

    @property
    def exports_dir(self) -> Path:
        return self.root / "exports"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def llm_log(self) -> Path:
        """One JSON line per LLM call (never any secret)."""
        return self.logs_dir / "llm_calls.jsonl"

    def draft_file(self, draft_id: str) -> Path:
        return self.drafts_dir / f"{safe_name(draft_id)}.json"

    def journal_file(self, draft_id: str) -> Path:
        return self.journals_dir / f"{safe_name(draft_id)}.jsonl"

    def lock_file(self, draft_id: str) -> Path:
        return self.journals_dir / f"{safe_name(draft_id)}.lock"

    def links(self) -> list[Path]:
        """Symbolic links where Briefwright writes in this workspace (its own folders, anything in them, its own
        files), which a case folder from someone else may carry to make writes land outside it."""
        found: list[Path] = []
        for name in (*_OWN_DIRS, *_OWN_FILES):
            path = self.root / name
            if path.is_symlink():
                found.append(path)
            elif name in _OWN_DIRS and path.is_dir():
                for folder, dirs, files in os.walk(path):  # never follows links
                    found += [Path(folder, n) for n in (*dirs, *files) if Path(folder, n).is_symlink()]
        return found

    def check_links(self) -> Workspace:
        """This workspace, or :class:`UnsafePath` naming every link where Briefwright would write through one.
        Every command checks before it writes (files are also opened without following links where they are
        appended to, see :func:`agent.core.atomic.open_append`)."""
        found = self.links()
        if found:
            named = "; ".join(f"{p} -> {os.readlink(p)}" for p in found)
            raise UnsafePath(
                f"refusing to use the workspace {self.root}: Briefwright writes there, and these are symbolic links, "
                f"through which it would write outside the workspace: {named}. A case folder may come from someone "
                "else: remove the links (or replace them with the real folders or files) and run the command again."
            )
        return self

    def ensure(self) -> Workspace:
        self.check_links()
        for d in (self.root, self.drafts_dir, self.journals_dir, self.exports_dir, self.logs_dir):
            d.mkdir(parents=True, exist_ok=True)
        return self
