"""A consistent copy of a data directory in use, streamed into a tar archive.

Order matters for "no acknowledged message lost": the queue is copied
first, then the databases, then the Maildirs. A message acknowledged before
the backup began is either still queued (and copied with the queue) or
already delivered (and found in the Maildir walk that comes after); one
delivered in between may be in both, a duplicate rather than a loss.

SQLite files (the state database, each account's index, caches) are copied
through SQLite's backup API into a scratch file, never read raw: a raw copy
of a database in WAL mode taken while it is written can be torn. Every
other file is opened by name and streamed from the open descriptor; a
Maildir file renamed between the listing and the open (new/ → cur/, a flag
change ``:2,S``) is found again by its unique base name.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import stat
import tarfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["Collector", "Manifest", "SQLITE_MAGIC", "is_sqlite_name", "plan"]

SQLITE_MAGIC = b"SQLite format 3\x00"
_SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
_SIDE_FILES = ("-wal", "-shm", "-journal")
# Not data: the running daemon's endpoint and pid, and backups themselves.
_SKIP_TOP = {"run", "backups"}
_CHUNK = 1 << 20

Progress = Callable[[int, int, str], None]


def is_sqlite_name(name: str) -> bool:
    return name.endswith(_SQLITE_SUFFIXES)


@dataclass
class Manifest:
    created: float
    hostname: str
    version: str
    files: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"format": 1, "created": self.created, "hostname": self.hostname,
                "version": self.version, "files": self.files}


def _skipped(rel: Path) -> bool:
    parts = rel.parts
    if not parts or parts[0] in _SKIP_TOP:
        return True
    name = parts[-1]
    if name.endswith(_SIDE_FILES) and is_sqlite_name(name.rsplit("-", 1)[0]):
        return True  # the backup API's copy carries what the WAL holds
    if parts[:2] == ("queue", "free"):
        return True  # the spool's recycled files: never mail
    # Files still being written (Maildir tmp/, queue/tmp/) are not mail yet.
    return len(parts) >= 2 and parts[-2] == "tmp"


def _read_queue_file(fh: BinaryIO, qid: str) -> tuple[bytes, os.stat_result] | None:
    """A queue file's bytes as one message, or None if it was recycled while read.

    The spool recycles queue files (appliance.queue.spool): a delivered one
    is emptied and rewritten in place with another message, so what a
    descriptor reads is that file's only if nothing touched it meanwhile
    and its envelope still names it.
    """
    before = os.fstat(fh.fileno())
    data = fh.read()
    after = os.fstat(fh.fileno())
    if after.st_ctime_ns != before.st_ctime_ns or len(data) != before.st_size:
        return None
    try:
        if json.loads(data.partition(b"\n")[0]).get("id") != qid:
            return None
    except (ValueError, AttributeError):
        return None
    return data, before


def plan(root: Path, exclude: Path | None = None) -> tuple[list[Path], list[Path], int]:
    """Every directory, every file to copy in copy order, and the files' total size."""
    folders: list[Path] = []
    queue: list[Path] = []
    dbs: list[Path] = []
    rest: list[Path] = []
    total = 0
    excluded = exclude.resolve() if exclude is not None else None
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if excluded is not None:
            dirnames[:] = [d for d in dirnames if (here / d).resolve() != excluded]
        rel_dir = here.relative_to(root)
        if rel_dir.parts and rel_dir.parts[0] in _SKIP_TOP:
            dirnames[:] = []
            continue
        if rel_dir.parts:
            folders.append(rel_dir)  # empty ones too: a Maildir needs its tmp/ new/ cur/
        dirnames.sort()
        for name in sorted(filenames):
            rel = rel_dir / name
            if _skipped(rel):
                continue
            try:
                st = os.lstat(here / name)
            except FileNotFoundError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            total += st.st_size
            if rel.parts[0] == "queue":
                queue.append(rel)
            elif is_sqlite_name(name):
                dbs.append(rel)
            else:
                rest.append(rel)
    return folders, queue + dbs + rest, total


class _Hashing:
    """Reads a file object, hashing and counting what passes (tarfile pulls from it).

    The hash runs in a thread of its own while the chunk goes on to zstd (both let
    go of the GIL), one chunk behind: the two overlap instead of taking turns.
    """

    def __init__(self, fh: BinaryIO, on_bytes: Callable[[int], None],
                 hasher: ThreadPoolExecutor) -> None:
        self.fh = fh
        self.sha = hashlib.sha256()
        self.on_bytes = on_bytes
        self.hasher = hasher
        self.pending: Future[None] | None = None

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        if self.pending is not None:
            self.pending.result()
        self.pending = (self.hasher.submit(self.sha.update, data)
                        if len(data) >= 256 * 1024 else None)
        if self.pending is None:
            self.sha.update(data)
        self.on_bytes(len(data))
        return data

    def hexdigest(self) -> str:
        if self.pending is not None:
            self.pending.result()
        return self.sha.hexdigest()


class Collector:
    def __init__(self, root: Path, tar: tarfile.TarFile, scratch: Path,
                 progress: Progress | None = None, total: int = 0) -> None:
        self.root = root
        self.tar = tar
        self.scratch = scratch
        self.progress = progress
        self.total = total
        self.done = 0
        self.files: list[dict[str, Any]] = []
        self.missing: list[str] = []  # gone before they could be copied (delivered, expunged)
        self._seen: set[tuple[str, str]] = set()
        self._last_report = 0.0
        self.hasher = ThreadPoolExecutor(1, thread_name_prefix="mailroom-sha256")

    def _tick(self, n: int, rel: str) -> None:
        self.done += n
        now = time.monotonic()
        if self.progress is not None and now - self._last_report >= 0.2:
            self._last_report = now
            self.progress(self.done, max(self.total, self.done), rel)

    def copy_all(self, folders: list[Path], files: list[Path]) -> None:
        for rel in folders:
            info = tarfile.TarInfo("data/" + rel.as_posix())
            info.type = tarfile.DIRTYPE
            try:
                info.mode = stat.S_IMODE(os.stat(self.root / rel).st_mode)
            except FileNotFoundError:
                continue  # a folder deleted meanwhile
            self.tar.addfile(info)
        try:
            for rel in files:
                if is_sqlite_name(rel.name):
                    self._copy_sqlite(rel)
                else:
                    self._copy_file(rel)
        finally:
            self.hasher.shutdown()
        if self.progress is not None:
            self.progress(self.done, max(self.total, self.done), "")

    def _maildir_key(self, rel: Path) -> tuple[str, str] | None:
        if rel.parent.name in ("new", "cur") and len(rel.parts) >= 2:
            return str(rel.parent.parent), rel.name.partition(":")[0]
        return None

    def _candidates(self, rel: Path) -> Iterator[Path]:
        """Where a file that vanished may have gone: Maildir new/cur by base name,
        another queue directory by name."""
        yield rel
        key = self._maildir_key(rel)
        if key is not None:
            folder, base = key
            for sub in ("cur", "new"):
                try:
                    names = os.listdir(self.root / folder / sub)
                except FileNotFoundError:
                    continue
                for name in names:
                    if name.partition(":")[0] == base:
                        yield Path(folder) / sub / name
        elif rel.parts[0] == "queue" and len(rel.parts) == 3:
            for sub in ("active", "deferred", "hold"):
                if sub != rel.parts[1]:
                    yield Path("queue") / sub / rel.name

    def _copy_file(self, rel: Path) -> None:
        key = self._maildir_key(rel)
        if key is not None and key in self._seen:
            return  # renamed into a directory walked later: already copied
        for candidate in self._candidates(rel):
            try:
                fh = open(self.root / candidate, "rb")  # noqa: SIM115 - closed below
            except (FileNotFoundError, NotADirectoryError):
                continue
            with fh:
                if (len(candidate.parts) == 3 and candidate.parts[0] == "queue"
                        and candidate.parts[1] != "status"):
                    settled = _read_queue_file(fh, candidate.name)
                    if settled is None:
                        continue  # delivered (recycled) or moved: where did it go?
                    self._add(candidate, io.BytesIO(settled[0]), st=settled[1])
                else:
                    self._add(candidate, fh)
            if key is not None:
                self._seen.add(key)
            return
        self.missing.append(str(rel))

    def _add(self, rel: Path, fh: BinaryIO, name: str | None = None,
             st: os.stat_result | None = None) -> None:
        st = st or os.fstat(fh.fileno())
        info = tarfile.TarInfo("data/" + (name or rel.as_posix()))
        info.size = st.st_size
        info.mtime = int(st.st_mtime)
        info.mode = stat.S_IMODE(st.st_mode)
        shown = rel.as_posix()
        reader = _Hashing(fh, lambda n: self._tick(n, shown), self.hasher)
        # Files never change in place here (Maildir and queue files are written
        # once and renamed); the descriptor pins the inode even if it is renamed.
        self.tar.addfile(info, reader)  # type: ignore[arg-type]
        entry: dict[str, Any] = {"path": rel.as_posix(), "size": st.st_size,
                                 "sha256": reader.hexdigest(), "mtime": st.st_mtime,
                                 "mode": info.mode}
        if is_sqlite_name(rel.name):
            entry["sqlite"] = True
        self.files.append(entry)

    def _copy_sqlite(self, rel: Path) -> None:
        src_path = self.root / rel
        try:
            with open(src_path, "rb") as fh:
                magic = fh.read(len(SQLITE_MAGIC))
        except FileNotFoundError:
            self.missing.append(str(rel))
            return
        if magic != SQLITE_MAGIC:
            self._copy_file(rel)  # a .db that is not SQLite: copied as it is
            return
        copy = self.scratch / "copy.sqlite"
        copy.unlink(missing_ok=True)
        src = sqlite3.connect(src_path, timeout=30)
        dst = sqlite3.connect(copy)
        try:
            # All pages at once: SQLite restarts a step-wise copy whenever
            # another connection writes, which under load never finishes.
            src.backup(dst)
            # The copy is whole in itself: no WAL beside it to carry over.
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
            src.close()
        mode = stat.S_IMODE(os.stat(src_path).st_mode)
        os.chmod(copy, mode)
        with open(copy, "rb") as fh:
            self._add(rel, fh)
        copy.unlink()
