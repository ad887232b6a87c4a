"""Which workspaces the user trusts, recorded in the user's own config.

A workspace is a case folder, and case folders are exchanged: its ``config.toml`` may come from someone else. Such
a file may describe the case (see :data:`CASE_KEYS` in :mod:`agent.core.settings`); what sends data anywhere, sets
resource limits or anything else is used only once the user has run ``brief trust DIR``, which records here the
folder's resolved path and the SHA-256 of the ``config.toml`` the user trusted. A later change to that file (a new
copy of the case received over the old one, an edit) lapses the trust until the user trusts it again: trust is
given to a file the user could read, not to whatever a path will hold later.

The record lives in ``~/.config/briefwright/config.toml`` (``$XDG_CONFIG_HOME``), as ``[[trusted_workspace]]``
tables, edited with tomlkit so the user's own comments and layout survive.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from agent.core.paths import Workspace, user_config_file

TABLE = "trusted_workspace"

TrustLevel = Literal["untrusted", "trusted", "changed"]


@dataclass(frozen=True)
class TrustRecord:
    path: str
    """The workspace folder, resolved (symlinks followed), as trusted."""
    config_sha256: str | None
    """SHA-256 of its ``config.toml`` when trusted (``None``: it had none)."""
    trusted_at: str


@dataclass(frozen=True)
class TrustState:
    level: TrustLevel
    record: TrustRecord | None
    config_sha256: str | None
    """Of the ``config.toml`` as it is now (``None``: none)."""

    @property
    def trusted(self) -> bool:
        return self.level == "trusted"


def config_digest(config: Path) -> str | None:
    try:
        return hashlib.sha256(config.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _read_user_config() -> dict[str, object]:
    path = user_config_file()
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: not valid TOML: {e}") from e


def records() -> list[TrustRecord]:
    """The workspaces the user trusts (from the user's own config only)."""
    raw = _read_user_config().get(TABLE, [])
    out = []
    for r in raw if isinstance(raw, list) else []:
        if isinstance(r, dict) and isinstance(r.get("path"), str):
            digest = r.get("config_sha256")
            out.append(
                TrustRecord(
                    r["path"], digest if isinstance(digest, str) and digest else None, str(r.get("trusted_at", ""))
                )
            )
    return out


def _key(root: Path) -> str:
    return str(root.expanduser().resolve())


def state(workspace: Workspace) -> TrustState:
    now = config_digest(workspace.config_file)
    record = next((r for r in records() if r.path == _key(workspace.root)), None)
    if record is None:
        return TrustState("untrusted", None, now)
    return TrustState("trusted" if record.config_sha256 == now else "changed", record, now)


def report(workspace: Workspace, ignored: list[str]) -> list[str]:
    """Lines for ``brief doctor``: whether the workspace is trusted, and which of its settings were ignored."""
    st = state(workspace)
    if st.level == "trusted" and st.record:
        head = f"Workspace: {workspace.root}: trusted since {st.record.trusted_at} (config.toml unchanged)"
    elif st.level == "changed" and st.record:
        head = (
            f"Workspace: {workspace.root}: trusted {st.record.trusted_at}, but its config.toml CHANGED since: "
            "trust lapsed until you run `brief trust` again"
        )
    else:
        head = f"Workspace: {workspace.root}: not trusted (its config.toml may only describe the case)"
    lines = [head]
    if ignored:
        lines.append(f"  ignored from its config.toml: {', '.join(ignored)}")
    lines.append(f"  trusted folders are listed in {user_config_file()} (`brief trust --list`)")
    return lines


def trust(workspace: Workspace) -> TrustRecord:
    """Record ``workspace`` as trusted, with its ``config.toml`` as it is now (replacing an older record)."""
    record = TrustRecord(
        _key(workspace.root), config_digest(workspace.config_file), datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    _write(lambda rows: [*(r for r in rows if r.get("path") != record.path), _row(record)])
    return record


def revoke(workspace: Workspace) -> bool:
    """Forget ``workspace``; whether it was trusted."""
    key = _key(workspace.root)
    found = False

    def drop(rows: list[dict[str, object]]) -> list[dict[str, object]]:
        nonlocal found
        kept = [r for r in rows if r.get("path") != key]
        found = len(kept) != len(rows)
        return kept

    _write(drop)
    return found


def _row(record: TrustRecord) -> dict[str, object]:
    return {"path": record.path, "config_sha256": record.config_sha256 or "", "trusted_at": record.trusted_at}


def _write(change: object) -> None:
    import tomlkit

    from agent.core.atomic import atomic_write_text

    path = user_config_file()
    _read_user_config()  # a malformed file is an error, not overwritten
    doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.is_file() else tomlkit.document()
    rows = [dict(r) for r in doc.get(TABLE, [])]
    new = change(rows)  # type: ignore[operator]
    if TABLE in doc:
        del doc[TABLE]
    if new:
        tables = tomlkit.aot()
        for r in new:
            t = tomlkit.table()
            t.update({k: v for k, v in r.items() if v is not None})
            tables.append(t)
        doc[TABLE] = tables
    atomic_write_text(path, tomlkit.dumps(doc))
