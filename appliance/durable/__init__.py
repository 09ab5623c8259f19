"""Durable file writes: write, fsync, rename, and fsync the directory.

A message is only acknowledged once it survives a crash, so every file that
holds mail goes through ``write_file``. Directory fsyncs are group-committed
by ``DirectorySync``: when many sessions rename into the same directory at
once, one fsync of the directory makes all of their renames durable, which
is what lets the SMTP ingest keep up with Postfix without weakening the
guarantee.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

__all__ = ["DirectorySync", "write_file", "fsync_file"]


class DirectorySync:
    """Group commit of directory fsyncs, shared by every thread of the daemon."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._requested: dict[str, int] = {}
        self._synced: dict[str, int] = {}
        self._busy: set[str] = set()

    def sync(self, directory: Path | str) -> None:
        """Return once an fsync of ``directory`` begun after this call has finished."""
        key = os.fspath(directory)
        with self._cond:
            ticket = self._requested.get(key, 0) + 1
            self._requested[key] = ticket
            while self._synced.get(key, 0) < ticket:
                if key in self._busy:
                    self._cond.wait()
                    continue
                self._busy.add(key)
                target = self._requested[key]
                self._cond.release()
                try:
                    fd = os.open(key, os.O_RDONLY | os.O_DIRECTORY)
                    try:
                        os.fsync(fd)
                    finally:
                        os.close(fd)
                finally:
                    self._cond.acquire()
                    self._busy.discard(key)
                    self._cond.notify_all()
                self._synced[key] = max(self._synced.get(key, 0), target)


_default_sync = DirectorySync()


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(
    tmp_path: Path,
    final_path: Path,
    chunks: list[bytes] | tuple[bytes, ...],
    *,
    dirsync: DirectorySync | None = None,
    mode: int = 0o600,
) -> int:
    """Write ``chunks`` to ``tmp_path``, fsync, rename to ``final_path``, fsync its directory.

    Returns the number of bytes written. On any error the temporary file is
    removed and nothing appears at ``final_path``.
    """
    fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    size = 0
    try:
        try:
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    n = os.write(fd, view)
                    view = view[n:]
                    size += n
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp_path, final_path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_path)
        raise
    (dirsync or _default_sync).sync(final_path.parent)
    return size
