"""Drafts on disk: one JSON file per draft in the workspace, written atomically, read back with a message that names
the way out when a file is damaged. Reading a draft needs nothing of drafting (no models, no spaCy)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from agent.core.atomic import atomic_write_text
from agent.core.contracts import Draft
from agent.core.paths import Workspace, safe_name


class DraftFileError(ValueError):
    """A draft file that cannot be read (damaged, truncated, edited by hand)."""


def save_draft(ws: Workspace, draft: Draft) -> Path:
    draft.updated = datetime.now(UTC)
    path = ws.draft_file(draft.id)
    atomic_write_text(path, draft.model_dump_json(indent=1))
    return path


def load_draft(ws: Workspace, draft_id: str | None = None) -> Draft:
    """A draft by id (or path), or the workspace's latest."""
    if draft_id:
        p = Path(draft_id)
        path = p if p.suffix == ".json" and p.exists() else ws.draft_file(draft_id)
        if not path.exists():
            raise FileNotFoundError(f"no draft {draft_id!r} in {ws.drafts_dir}")
    else:
        drafts = sorted(ws.drafts_dir.glob("*.json"))
        if not drafts:
            raise FileNotFoundError(f"no drafts in {ws.drafts_dir}: run `brief draft --topic ...` first")
        path = drafts[-1]
    try:
        draft = Draft.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, UnicodeDecodeError) as e:
        raise DraftFileError(
            f"{path} is damaged ({_first_error(e)}) and cannot be read. Restore it from a backup, or draft again "
            f'with `brief draft --topic "…"`; its review journal, if any, is in {ws.journals_dir} and is not touched.'
        ) from e
    safe_name(draft.id)  # the id names the journal, lock and export files
    return draft


def _first_error(e: Exception) -> str:
    if isinstance(e, ValidationError):
        err = e.errors()[0]
        return f"{'.'.join(str(x) for x in err['loc']) or 'file'}: {err['msg']}"
    return str(e)
