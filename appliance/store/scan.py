"""Bringing a folder's index in line with its directory (first sight, outside changes).

First sight of a big folder is a directory listing and nothing more per
file, as in Dovecot: sizes come from the ``,S=`` and ``,W=`` name fields,
flags from the ``:2,`` suffix, the internal date (a ``stat``) and the
header fields when first asked for; rows go in a hundred per INSERT.

A scan runs when the folder's ``new/`` or ``cur/`` changed since the last
one (their mtimes are kept in the index; a directory changed within the last
two seconds may change again within the same mtime, so it is looked at
again). It lists both directories, drops rows whose file is gone (remembered
as expunged), follows renames (flag changes made by others), and gives new
files UIDs: the ones ``dovecot-uidlist`` already has for them when the index
is new (Dovecot, or a lost index), otherwise the next free ones, appended to
``dovecot-uidlist`` in the same transaction so a crash never hands one out
twice.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import heapq
import itertools
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from appliance.store import maildir as md
from appliance.store.folders import FolderError
from appliance.store.index import insert_rows
from appliance.store.names import folder_dirname

__all__ = [
    "Reconciled",
    "ScanMixin",
    "list_folder",
    "reconcile",
    "rows_from_names",
    "rows_one_by_one",
]

RECENT_MTIME = 2.0  # a directory changed this recently may change again unseen
MOVE_NEW_AFTER = 1.0  # seconds from an open to its new/ to cur/ move

log = logging.getLogger("mailroom.store")

_SIZE_FIELDS = re.compile(r",S=(\d+)(?:,W=(\d+))?")
_VSIZE_FIELD = re.compile(r",W=(\d+)")

# (uid, base, name, flags, size, vsize): what a scan inserts per new file
Row = tuple[int, str, str, str, int, int | None]


def list_folder(folder_dir: Path) -> tuple[dict[str, str], bool]:
    """({base name: "new/<name>" or "cur/<name>"}, whether new/ holds anything).

    The base name is the part before ":2," (Maildir's info), as ``md.split_name``;
    a name in both directories: cur/ wins. Dot-files are not messages.
    """
    on_disk: dict[str, str] = {}
    listed_new = False
    for sub in ("new/", "cur/"):
        entries = [e for e in os.listdir(folder_dir / sub) if e[:1] != "."]
        listed_new = listed_new or (sub == "new/" and bool(entries))
        on_disk.update(zip([e.partition(":2,")[0] for e in entries],
                           [sub + e for e in entries], strict=True))
    return on_disk, listed_new


@dataclass
class Reconciled:
    indexed: set[str]  # base names of indexed messages still on disk
    gone: list[int]  # UIDs whose file is gone
    updates: list[tuple[str, str, int]]  # (new name, its flags, uid) of renamed files


def reconcile(rows: Iterable[tuple[int, str, str]], on_disk: dict[str, str],
              keywords: list[str]) -> Reconciled:
    """Compare indexed (uid, base, name) rows with the directory listing."""
    indexed: set[str] = set()
    gone: list[int] = []
    updates: list[tuple[str, str, int]] = []
    for uid, base, fname in rows:
        disk = on_disk.get(base)
        if disk is None:
            gone.append(uid)
            continue
        indexed.add(base)
        if disk != fname:
            new_flags = " ".join(md.flags_from_name(md.split_name(disk)[1], keywords))
            updates.append((disk, new_flags, uid))
    return Reconciled(indexed, gone, updates)


def rows_from_names(fresh_files: list[tuple[str, str]], uidnext: int,
                    keywords: list[str], folder_dir: Path | None = None) -> list[Row] | None:
    """Rows for a folder never indexed (the usual first sight of a big mailbox), built
    list by list: UIDs from ``uidnext`` on in ``fresh_files`` order, sizes from the
    ``,S=``/``,W=`` name fields. A name without both fields goes the slow way (one
    ``stat`` under ``folder_dir``; a file gone meanwhile keeps its UID unused, as
    ``rows_one_by_one`` does); without ``folder_dir`` such a name gives None."""
    bases = [b for b, _ in fresh_files]
    names = [n for _, n in fresh_files]
    # "<unique>,S=<size>,W=<crlf size>": split with str methods, list by list.
    tails = [b.rpartition(",S=")[2].partition(",W=") for b in bases]
    size_texts = [t[0] for t in tails]
    vsize_texts = [t[2] for t in tails]
    sized = [a.isdecimal() and b.isdecimal() for a, b in zip(size_texts, vsize_texts, strict=True)]
    if not all(sized) and folder_dir is None:
        return None
    letters = [n.partition(":2,")[2] for n in names]
    flag_cache = {key: " ".join(md.flags_from_name(key, keywords)) for key in set(letters)}
    flag_texts = list(map(flag_cache.__getitem__, letters))
    if all(sized):
        return list(zip(
            range(uidnext, uidnext + len(names)), bases, names, flag_texts,
            list(map(int, size_texts)), list(map(int, vsize_texts)),
            strict=True,
        ))
    rows: list[Row] = []
    dir_fd = os.open(folder_dir, os.O_RDONLY | os.O_DIRECTORY)  # type: ignore[arg-type]
    try:
        for k, base in enumerate(bases):
            if sized[k]:
                rows.append((uidnext + k, base, names[k], flag_texts[k],
                             int(size_texts[k]), int(vsize_texts[k])))
                continue
            size_vsize = _sizes_of(base, names[k], dir_fd)
            if size_vsize is not None:
                rows.append((uidnext + k, base, names[k], flag_texts[k], *size_vsize))
    finally:
        os.close(dir_fd)
    return rows


def _sizes_of(base: str, fname: str, dir_fd: int) -> tuple[int, int | None] | None:
    """(size, CRLF size or None) of a file from its name's fields, or a ``stat``
    (relative to ``dir_fd``) where the name has no size; None if the file is gone."""
    m = _SIZE_FIELDS.search(base)
    if m:
        w = m.group(2) or (v.group(1) if (v := _VSIZE_FIELD.search(base)) else None)
        return int(m.group(1)), int(w) if w else None
    try:
        size = os.stat(fname, dir_fd=dir_fd).st_size
    except FileNotFoundError:
        return None
    v = _VSIZE_FIELD.search(base)
    return size, int(v.group(1)) if v else None


def rows_one_by_one(fresh_files: list[tuple[str, str]], folder_dir: Path, uidnext: int,
                    taken: set[int], known: dict[str, int],
                    keywords: list[str]) -> tuple[list[Row], int]:
    """Rows for new files, one at a time: a UID ``known`` from ``dovecot-uidlist`` is
    kept unless ``taken``; sizes from the name, or a ``stat`` where it has none.
    Returns (rows, the next free UID). ``taken`` gains the UIDs handed out."""
    rows: list[Row] = []
    flag_cache: dict[str, str] = {}
    dir_fd = os.open(folder_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for base, fname in fresh_files:
            uid = known.get(base) if known else None
            if uid is None or uid in taken:
                uid = uidnext
            if uid >= uidnext:
                uidnext = uid + 1
            taken.add(uid)
            # Sizes from the ,S= and ,W= fields that delivery (ours and
            # Dovecot's) writes; no stat per file. The internal date (the
            # file's mtime) is read when first asked for.
            found = _sizes_of(base, fname, dir_fd)
            if found is None:
                continue
            colon = fname.find(":2,")
            letters = fname[colon + 3 :] if colon >= 0 else ""
            flags = flag_cache.get(letters)
            if flags is None:
                flags = flag_cache[letters] = " ".join(md.flags_from_name(letters, keywords))
            rows.append((uid, base, fname, flags, *found))
    finally:
        os.close(dir_fd)
    return rows, uidnext


def _mtimes(folder_dir: Path) -> tuple[int, int]:
    try:
        return os.stat(folder_dir / "new").st_mtime_ns, os.stat(folder_dir / "cur").st_mtime_ns
    except FileNotFoundError as exc:
        raise FolderError("no such mailbox", "NONEXISTENT") from exc


class ScanMixin:
    """The directory scan of ``Account``."""

    path: Path
    _tidy_lock: threading.Lock
    _tidy_pending: set[str]
    _tidy_jobs: list[concurrent.futures.Future[None]]
    _write: Callable[[], contextlib.AbstractContextManager[sqlite3.Connection]]
    _folder_row: Callable[[sqlite3.Connection, str], tuple[int, int, int, int, int]]
    _folder_keywords: Callable[[str], list[str]]
    _rewrite_uidlist: Callable[[sqlite3.Connection, int, Path, int, int], None]
    _recalculate: Callable[..., tuple[int, int]]

    def _scan(self, db: sqlite3.Connection, name: str, *, force: bool = False,
              move_new: bool = False) -> list[tuple[int, str]] | None:
        """Bring the index of ``name`` in line with its directory (first sight, outside changes).

        Returns every (uid, flags) of the folder, in UID order, when it indexed the
        folder from scratch (saves reading them back); otherwise None.
        """
        fid, validity, uidnext, modseq, _ = self._folder_row(db, name)
        folder_dir = self.path / folder_dirname(name)
        new_m, cur_m = _mtimes(folder_dir)
        stored = tuple(db.execute(
            "SELECT new_mtime, cur_mtime FROM folder WHERE id=?", (fid,)).fetchone())
        if not force and not _needs_scan(stored, (new_m, cur_m)):
            if move_new and db.execute(
                "SELECT 1 FROM message WHERE folder=? AND name LIKE 'new/%' LIMIT 1", (fid,)
            ).fetchone():
                self._move_new_soon(name)
            return None
        on_disk, listed_new = list_folder(folder_dir)
        keywords = self._folder_keywords(name)
        found = reconcile(
            db.execute("SELECT uid, base, name FROM message WHERE folder=?", (fid,)).fetchall(),
            on_disk, keywords)
        modseq += 1
        _apply(db, fid, modseq, found)
        new_rows: list[Row] = []
        fresh_files = [(b, on_disk[b]) for b in sorted(
            on_disk if not found.indexed else (b for b in on_disk if b not in found.indexed))]
        if fresh_files:
            new_rows, uidnext = self._fresh_rows(db, fid, folder_dir, fresh_files, uidnext,
                                                 keywords, first=stored == (0, 0))
            insert_rows(db, fid, modseq, new_rows)
        if move_new and listed_new:
            self._move_new_soon(name)
        changed = bool(found.gone or found.updates or new_rows)
        db.execute(
            "UPDATE folder SET uidnext=?, modseq=?, new_mtime=?, cur_mtime=? WHERE id=?",
            (uidnext, modseq if changed else modseq - 1, new_m, cur_m, fid),
        )
        if found.gone:
            self._rewrite_uidlist(db, fid, folder_dir, validity, uidnext)
        elif new_rows:
            md.append_uidlist(folder_dir, validity, uidnext, sorted(r[:2] for r in new_rows))
        first_sight: list[tuple[int, str]] | None = None
        if new_rows and not found.indexed and not found.gone:
            first_sight = sorted((r[0], r[3]) for r in new_rows)
        if found.gone or new_rows:
            # This folder's usage is now in the index; only the others are walked.
            if first_sight is not None:
                total, count = sum(r[4] for r in new_rows), len(new_rows)
            else:
                total, count = db.execute(
                    "SELECT coalesce(sum(size), 0), count(*) FROM message WHERE folder=?", (fid,)
                ).fetchone()
            self._recalculate({folder_dir: (total, count)})
        return first_sight

    def _fresh_rows(self, db: sqlite3.Connection, fid: int, folder_dir: Path,
                    fresh_files: list[tuple[str, str]], uidnext: int, keywords: list[str],
                    *, first: bool) -> tuple[list[Row], int]:
        """Index rows for files the index does not know; (rows, next free UID)."""
        taken = {r[0] for r in db.execute("SELECT uid FROM message WHERE folder=?", (fid,))}
        known: dict[str, int] = {}
        if not taken and first:
            # First sight of a folder Dovecot (or an older index) has seen:
            # keep the UIDs its clients already know.
            imported = md.read_uidlist(folder_dir)
            known = imported[2] if imported else {}
        if not known and not taken:
            rows = rows_from_names(fresh_files, uidnext, keywords, folder_dir)
            if rows is not None:
                return rows, uidnext + len(fresh_files)
        return rows_one_by_one(fresh_files, folder_dir, uidnext, taken, known, keywords)

    # -- new/ to cur/, after the answer ---------------------------------------------

    def _move_new_soon(self, name: str) -> None:
        """Move the folder's messages from new/ to cur/ (as Dovecot does when a mailbox
        is opened) in the background, ``MOVE_NEW_AFTER`` seconds from now.

        A client's SELECT needs the index, not the renames (a third of a first
        open of a big folder), nor does its next command: the move waits for
        the session's first answers instead of competing with them. Readers
        that meet a moved file ask the index again.
        """
        due = time.monotonic() + MOVE_NEW_AFTER
        with self._tidy_lock:
            if name in self._tidy_pending:
                return
            self._tidy_pending.add(name)
            self._tidy_jobs = [f for f in self._tidy_jobs if not f.done()]
            self._tidy_jobs.append(_TIDIER.submit(due, self._move_new, name))

    def settle(self) -> None:
        """Do the background work on this account now (the new/ to cur/ moves) and
        wait for it."""
        with self._tidy_lock:
            jobs = list(self._tidy_jobs)
        _TIDIER.hurry(jobs)
        concurrent.futures.wait(jobs)

    def _move_new(self, name: str) -> None:
        with self._tidy_lock:
            self._tidy_pending.discard(name)
        if not (self.path / "cur").is_dir():
            return  # the account is gone (opening the index would make it again)
        try:
            with self._write() as db:
                row = db.execute("SELECT id, new_mtime, cur_mtime FROM folder WHERE name=?",
                                 (name,)).fetchone()
                if row is None:
                    return  # deleted or renamed meanwhile
                fid, stored = row[0], tuple(row[1:])
                folder_dir = self.path / folder_dirname(name)
                before = _mtimes(folder_dir)
                moved = move_new_to_cur(folder_dir, db.execute(
                    "SELECT uid, name FROM message WHERE folder=? AND name LIKE 'new/%'",
                    (fid,)).fetchall())
                db.executemany("UPDATE message SET name=? WHERE folder=? AND uid=?",
                               [(target, fid, uid) for uid, target in moved])
                if stored == before:
                    # Nobody else changed the folder since its scan: these mtimes are
                    # ours. Otherwise the old ones stay and the next open rescans.
                    db.execute("UPDATE folder SET new_mtime=?, cur_mtime=? WHERE id=?",
                               (*_mtimes(folder_dir), fid))
        except (sqlite3.Error, OSError, FolderError):
            log.exception("%s: moving %s's new mail to cur/ failed; the next open retries",
                          getattr(self, "address", "?"), name)


def move_new_to_cur(folder_dir: Path, rows: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Rename (uid, "new/<name>") files to "cur/<name>:2,"; (uid, new name) of those moved."""
    done = []
    # Names relative to the folder's directory: the kernel walks the long
    # absolute path once, not twice per file.
    dir_fd = os.open(folder_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for uid, fname in rows:
            target = "cur/" + fname[4:] + (":2," if ":" not in fname else "")
            try:
                os.rename(fname, target, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            except FileNotFoundError:
                continue
            done.append((uid, target))
    finally:
        os.close(dir_fd)
    return done


class _Tidier:
    """One background thread that runs each job at its due time (``time.monotonic``),
    earliest first; started on first use. A daemon thread: a move it never got to
    is done by the folder's next open."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._jobs: list[tuple[float, int, concurrent.futures.Future[None],
                               Callable[[str], None], str]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def submit(self, due: float, fn: Callable[[str], None],
               arg: str) -> concurrent.futures.Future[None]:
        future: concurrent.futures.Future[None] = concurrent.futures.Future()
        with self._cv:
            heapq.heappush(self._jobs, (due, next(self._seq), future, fn, arg))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mailroom-store",
                                                daemon=True)
                self._thread.start()
            self._cv.notify()
        return future

    def hurry(self, futures: list[concurrent.futures.Future[None]]) -> None:
        """Make these jobs due now."""
        wanted = set(futures)
        with self._cv:
            self._jobs = [(0.0, *job[1:]) if job[2] in wanted else job for job in self._jobs]
            heapq.heapify(self._jobs)
            self._cv.notify()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._jobs or self._jobs[0][0] > time.monotonic():
                    self._cv.wait(self._jobs[0][0] - time.monotonic() if self._jobs else None)
                _, _, future, fn, arg = heapq.heappop(self._jobs)
            if future.set_running_or_notify_cancel():
                try:
                    fn(arg)
                except BaseException as exc:  # the job logs its own failures
                    future.set_exception(exc)
                else:
                    future.set_result(None)


_TIDIER = _Tidier()


def _needs_scan(stored: tuple[int, ...], mtimes: tuple[int, int]) -> bool:
    """Whether a folder's directories may hold changes the index has not seen."""
    return stored != mtimes or time.time() - max(mtimes) / 1e9 < RECENT_MTIME


def _apply(db: sqlite3.Connection, fid: int, modseq: int, found: Reconciled) -> None:
    """Write the outcome of ``reconcile``: gone rows expunged, renamed rows updated."""
    if found.gone:
        now = time.time()
        db.executemany("DELETE FROM message WHERE folder=? AND uid=?",
                       [(fid, u) for u in found.gone])
        db.executemany("INSERT INTO expunged VALUES(?,?,?,?)",
                       [(fid, u, modseq, now) for u in found.gone])
    if found.updates:
        db.executemany(
            "UPDATE message SET name=?, flags=?, modseq=? WHERE folder=? AND uid=?",
            [(n, f, modseq, fid, u) for n, f, u in found.updates],
        )
