"""Crash-safe file writes: temp file in the same folder, fsync, rename, fsync the folder."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from pathlib import Path
from typing import BinaryIO


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def open_append(path: Path) -> BinaryIO:
    """``path`` opened to append bytes, created if missing, never through a symbolic link (a workspace may come
    from someone else with links planted where logs and journals go): :class:`~agent.core.paths.UnsafePath`."""
    return os.fdopen(_open_nofollow(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT), "ab")


def _open_nofollow(path: Path, flags: int, mode: int = 0o644) -> int:
    from agent.core.paths import UnsafePath

    try:
        return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), mode)
    except OSError as e:
        if e.errno == errno.ELOOP or path.is_symlink():
            raise UnsafePath(f"{path} is a symbolic link: refusing to write through it (it may lead outside)") from e
        raise


def append_line_durable(path: Path, line: str) -> None:
    """Append one line and fsync before returning: the whole line is on disk when this returns.

    ``os.write`` may write less than asked; the rest is written until done. If anything fails (a full disk),
    the file is cut back to its length before the append and the error raised: no fragment is left for the
    next line to be glued onto."""
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    data = memoryview((line.rstrip("\n") + "\n").encode("utf-8"))
    fd = _open_nofollow(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        size = os.fstat(fd).st_size
        try:
            while data:
                n = os.write(fd, data)
                if n <= 0:
                    raise OSError(errno.EIO, f"{path}: write made no progress")
                data = data[n:]
            os.fsync(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
                os.fsync(fd)
            raise
    finally:
        os.close(fd)
    if new:
        _fsync_dir(path.parent)


def append_json_line(path: Path, obj: object) -> None:
    append_line_durable(path, json.dumps(obj, ensure_ascii=False, sort_keys=True))


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
