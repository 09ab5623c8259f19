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
from collections.abc import Container
from concurrent.futures import Executor
from pathlib import Path

__all__ = [
    "DirectorySync", "write_file", "write_files", "start_write", "finish_write", "fsync_file",
]


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


def start_write(path: str | Path, chunks: list[bytes] | tuple[bytes, ...],
                mode: int = 0o600, writeback: bool = True, existing: bool = False) -> int:
    """Create ``path`` (it must not exist) with ``chunks`` and start its write-back.

    ``existing``: ``path`` is a file of ours to overwrite (a recycled queue
    file) instead: it is truncated, never created.

    Returns the open descriptor; the caller fsyncs and closes it. Starting
    the write-back now (POSIX_FADV_DONTNEED, only a hint to the kernel)
    lets the disk write several files while their fsyncs are still to
    come: fsyncing a batch then costs little more than fsyncing one.
    ``writeback=False`` leaves that out, for files about to be fsynced in
    parallel: there the hint only waited on the journal (2 ms a file).
    """
    # Without O_CREAT a recycled file that is not there fails instead of being made anew.
    flags = os.O_WRONLY | os.O_TRUNC if existing else os.O_WRONLY | os.O_CREAT | os.O_EXCL
    fd = os.open(path, flags, mode)
    try:
        # One system call for the lot: on a busy daemon each one is a GIL hand-over.
        done = os.writev(fd, chunks)
        size = sum(map(len, chunks))
        if done < size:
            view = memoryview(b"".join(chunks))[done:]
            while view:
                view = view[os.write(fd, view) :]
        if writeback:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise
    return fd


def finish_write(fd: int, path: str | Path) -> None:
    """fsync and close what ``start_write`` began; on failure ``path`` is removed."""
    try:
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise


def write_files(
    files: list[tuple[Path | str, Path | str, list[bytes] | tuple[bytes, ...]]],
    *,
    dirsync: DirectorySync | None = None,
    mode: int = 0o600,
    executor: Executor | None = None,
    existing: Container[Path | str] = (),
) -> list[OSError | None]:
    """Write each (tmp path, final path, chunks) durably, as ``write_file`` does, together.

    All files are written before the first fsync, and the renames share
    one fsync per directory. With ``executor`` the files are fsynced in
    parallel: ext4 then commits its journal once for the lot instead of
    once per file (20 files: 5 ms instead of 50 ms here). One result per
    file: None once it is at its final path, or the error that kept it out
    (that file's temporary is gone; the others are unaffected). Temporary
    paths in ``existing`` are files of ours to overwrite (``start_write``).
    """
    results: list[OSError | None] = [None] * len(files)
    started: list[tuple[int, int]] = []
    for i, (tmp, _, chunks) in enumerate(files):
        try:
            started.append((i, start_write(tmp, chunks, mode, writeback=executor is None,
                                           existing=bool(existing) and tmp in existing)))
        except OSError as exc:
            results[i] = exc
    synced: list[OSError | None] | None = None
    if executor is not None and len(started) > 1:
        with contextlib.suppress(RuntimeError):  # the executor is shut down: one by one
            synced = list(executor.map(_finish, [(fd, files[i][0]) for i, fd in started]))
    directories: dict[str, None] = {}
    for n, (i, fd) in enumerate(started):
        tmp, final, _ = files[i]
        try:
            if synced is None:
                finish_write(fd, tmp)
            elif (error := synced[n]) is not None:
                raise error
            try:
                os.rename(tmp, final)
            except OSError:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            results[i] = exc
            continue
        directories[os.path.dirname(final)] = None
    for directory in directories:
        (dirsync or _default_sync).sync(directory)
    return results


def _finish(item: tuple[int, Path | str]) -> OSError | None:
    try:
        finish_write(*item)
    except OSError as exc:
        return exc
    return None


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
    error = write_files([(tmp_path, final_path, chunks)], dirsync=dirsync, mode=mode)[0]
    if error is not None:
        raise error
    return sum(map(len, chunks))
