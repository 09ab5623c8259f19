"""Putting messages into a folder: local delivery, IMAP APPEND, COPY and MOVE.

A message is written to the folder's ``tmp/`` under its Maildir name
(``<sec>.M<usec>P<pid>Q<n>.<host>,S=<size>,W=<crlf size>``), fsynced, then
renamed into ``new/`` (delivery) or ``cur/`` (APPEND) and indexed; its UID
is appended to ``dovecot-uidlist`` and its size to ``maildirsize`` in the
same index transaction. Delivery group-commits: concurrent deliveries to one
account share one index transaction and one directory fsync. COPY makes hard
links, MOVE renames; both keep the source's index metadata.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from appliance.durable import finish_write, start_write
from appliance.store import maildir as md
from appliance.store.entry import Entry, arrival_entry, index_entry, to_lf
from appliance.store.folders import FolderError
from appliance.store.names import folder_dirname, normalize_folder
from appliance.store.quota import QuotaExceeded

__all__ = ["DeliveryMixin", "delivery_header", "stored_size", "unique_base"]

log = logging.getLogger("mailroom.store")


def delivery_header(return_path: str, address: str) -> bytes:
    """The lines local delivery puts on top of a message ("" is the null sender: <>)."""
    return f"Return-Path: <{return_path}>\nDelivered-To: {address}\n".encode()


def stored_size(chunks: list[bytes], return_path: str) -> Callable[[str], int]:
    """The size ``chunks`` (one message, CRLF or LF) take in a Maildir, as the
    quota counts it: a function of the mailbox's address. The message is
    measured on the first call only (a scan of a large message costs)."""
    body: list[int] = []

    def size_in(address: str) -> int:
        if not body:
            body.append(sum(len(c) - c.count(b"\r\n") for c in chunks))
        return body[0] + len(delivery_header(return_path, address))

    return size_in


def unique_base(hostname: str, counter: Iterator[int]) -> str:
    """A new Maildir base name, ``<sec>.M<usec>P<pid>Q<n>.<host>`` (sizes are added after)."""
    now = time.time()
    sec = int(now)
    usec = int((now - sec) * 1_000_000)
    return f"{sec}.M{usec}P{os.getpid()}Q{next(counter)}.{hostname}"


@dataclass
class _Arrival:
    """A delivered file in tmp/, waiting for the group commit that indexes it."""

    folder: str
    base: str
    size: int
    entry: Entry
    done: threading.Event = field(default_factory=threading.Event)
    error: OSError | None = None


class DeliveryMixin:
    """Delivery, APPEND, COPY and MOVE of ``Account``."""

    path: Path
    address: str
    hostname: str
    _counter: Iterator[int]
    _notify: Callable[[str, str], None]
    _dirsync: Callable[[Path], None]
    _arrivals: list[_Arrival]
    _arrivals_lock: threading.Lock
    _indexing: bool
    _write: Callable[[], contextlib.AbstractContextManager[sqlite3.Connection]]
    _folder_row: Callable[[sqlite3.Connection, str], tuple[int, int, int, int, int]]
    _folder_keywords: Callable[[str], list[str]]
    _forget: Callable[[sqlite3.Connection, int, list[int], int], None]
    _rewrite_uidlist: Callable[[sqlite3.Connection, int, Path, int, int], None]
    _make_folder_dir: Callable[[str], Path]
    exists: Callable[[str], bool]
    ensure: Callable[[], Path]
    usage: Callable[[], tuple[int, int]]
    _add_usage: Callable[[int, int], None]

    def _unique_base(self) -> str:
        return unique_base(self.hostname, self._counter)

    def append(
        self,
        name: str,
        message: bytes,
        *,
        flags: list[str] | None = None,
        internaldate: float | None = None,
        quota_bytes: int = 0,
        new: bool = False,
    ) -> tuple[int, int]:
        """Store a message in folder ``name``; returns (uidvalidity, uid). Blocking (fsync)."""
        name = normalize_folder(name)
        if not self.exists(name):
            raise FolderError("no such mailbox", "TRYCREATE")
        data = to_lf(message)
        entry, base, tmp = self._write_tmp(name, data, quota_bytes)
        size = len(data)
        folder_dir = self.path / folder_dirname(name)
        try:
            if internaldate is not None:
                os.utime(tmp, (internaldate, internaldate))
            flags = [f for f in (flags or []) if f.lower() != "\\recent"]
            with self._write() as db:
                fid, validity, uidnext, modseq, _ = self._folder_row(db, name)
                keywords = self._folder_keywords(name)
                before = len(keywords)
                md.keywords_fit(flags, keywords)
                if len(keywords) != before:
                    md.write_keywords(folder_dir, keywords)
                fname = f"new/{base}" if new else "cur/" + md.name_with_flags(base, flags, keywords)
                os.rename(tmp, folder_dir / fname)
                modseq += 1
                uid = uidnext
                db.execute(
                    "INSERT INTO message(folder, uid, base, name, flags, size, vsize, internaldate,"
                    " modseq, header, search, envelope, body, structure)"
                    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (fid, uid, base, fname, " ".join(sorted(set(flags))), size, entry.vsize,
                     int(internaldate if internaldate is not None else time.time()), modseq,
                     entry.header, entry.search, entry.envelope, entry.body, entry.structure),
                )
                db.execute(
                    "UPDATE folder SET uidnext=?, modseq=? WHERE id=?", (uid + 1, modseq, fid)
                )
                md.append_uidlist(folder_dir, validity, uid + 1, [(uid, base)])
                self._add_usage(size, 1)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        self._dirsync(folder_dir / fname.split("/")[0])
        self._notify(self.address, name)
        return validity, uid

    def copy(
        self, src: str, uids: list[int], dst: str, *, move: bool = False, quota_bytes: int = 0
    ) -> tuple[int, list[tuple[int, int]]]:
        """Copy (hard links) or move messages; returns (dst uidvalidity, [(src uid, dst uid)])."""
        dst = normalize_folder(dst)
        if not self.exists(dst):
            raise FolderError("no such mailbox", "TRYCREATE")
        pairs: list[tuple[int, int]] = []
        with self._write() as db:
            sfid, _, _, smodseq, _ = self._folder_row(db, src)
            dfid, validity, uidnext, dmodseq, _ = self._folder_row(db, dst)
            wanted = set(uids)
            rows = [
                r
                for r in db.execute(
                    "SELECT uid, base, name, flags, size, vsize, internaldate, header, search,"
                    " envelope, body, structure FROM message WHERE folder=? ORDER BY uid",
                    (sfid,),
                ).fetchall()
                if r[0] in wanted
            ]
            if quota_bytes and not move:
                used, _ = self.usage()
                if used + sum(r[4] for r in rows) > quota_bytes:
                    raise QuotaExceeded(f"{self.address}: mailbox full")
            sdir = self.path / folder_dirname(src)
            ddir = self.path / folder_dirname(dst)
            dkw = self._folder_keywords(dst)
            before = len(dkw)
            dmodseq += 1
            inserts = []
            added = []
            for uid, base, fname, flags, size, vsize, idate, *meta in rows:
                flag_list = flags.split()
                md.keywords_fit(flag_list, dkw)
                size_part = base[base.find(",") :] if "," in base else f",S={size}"
                new_base = self._unique_base() + size_part
                target = "cur/" + md.name_with_flags(new_base, flag_list, dkw)
                try:
                    if move:
                        os.rename(sdir / fname, ddir / target)
                    else:
                        os.link(sdir / fname, ddir / target)
                except FileNotFoundError:
                    continue
                new_uid = uidnext
                uidnext += 1
                pairs.append((uid, new_uid))
                added.append((new_uid, new_base))
                inserts.append((dfid, new_uid, new_base, target, flags, size, vsize, idate,
                                dmodseq, *meta))
            if len(dkw) != before:
                md.write_keywords(ddir, dkw)
            db.executemany(
                "INSERT INTO message(folder, uid, base, name, flags, size, vsize, internaldate,"
                " modseq, header, search, envelope, body, structure)"
                " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                inserts,
            )
            db.execute("UPDATE folder SET uidnext=?, modseq=? WHERE id=?", (uidnext, dmodseq, dfid))
            if added:
                md.append_uidlist(ddir, validity, uidnext, added)
            if move and pairs:
                self._forget(db, sfid, [p[0] for p in pairs], smodseq + 1)
                sfolder = db.execute("SELECT uidvalidity, uidnext FROM folder WHERE id=?",
                                     (sfid,)).fetchone()
                self._rewrite_uidlist(db, sfid, sdir, sfolder[0], sfolder[1])
            elif pairs:
                self._add_usage(sum(r[4] for r in rows if r[0] in {p[0] for p in pairs}),
                                len(pairs))
        if pairs:
            self._dirsync(ddir / "cur")
            self._notify(self.address, dst)
            if move:
                self._notify(self.address, src)
        return validity, pairs

    # -- delivery ----------------------------------------------------------------

    def deliver(self, message: bytes, *, return_path: str, quota_bytes: int = 0,
                folder: str | None = None) -> tuple[Path, int]:
        """Store a delivered message in ``new/`` durably and index it (blocking)."""
        result = self.deliver_many([(message, return_path)], quota_bytes=quota_bytes,
                                   folder=folder)[0]
        if isinstance(result, Exception):
            raise result
        return result

    def deliver_many(
        self, messages: list[tuple[bytes, str]], *, quota_bytes: int = 0,
        folder: str | None = None,
    ) -> list[tuple[Path, int] | Exception]:
        """Store (message, return path) pairs in ``new/`` durably and index them (blocking).

        Each result is (path, size), or the ``QuotaExceeded``/``OSError`` that
        kept that message out; one failure does not stop the others.

        The files are written first and their write-back started, then
        fsynced: the disk works on all of them at once instead of one after
        another. Indexing is group committed: the first thread to arrive
        renames and indexes every message that is waiting, in one
        transaction, while the others wait; then one fsync of ``new/``
        covers every rename.
        """
        name = normalize_folder(folder) if folder else "INBOX"
        if not self.exists(name):
            self.ensure()
            self._make_folder_dir(name)
        folder_dir = self.path / folder_dirname(name)
        tmp_dir = f"{folder_dir}/tmp/"
        used = self.usage()[0] if quota_bytes else 0
        slots: list[_Arrival | Exception] = []
        written: list[tuple[int, _Arrival]] = []
        for message, return_path in messages:
            data = delivery_header(return_path, self.address) + to_lf(message)
            size = len(data)
            entry = arrival_entry(data)
            try:
                fd, base = self._start_tmp(tmp_dir, data, entry, used, quota_bytes)
            except (QuotaExceeded, OSError) as exc:
                slots.append(exc)
                continue
            used += size
            arrival = _Arrival(name, base, size, entry)
            written.append((fd, arrival))
            slots.append(arrival)
        arrivals: list[_Arrival] = []
        for fd, arrival in written:
            try:
                finish_write(fd, tmp_dir + arrival.base)
            except OSError as exc:
                arrival.error = exc
                continue
            arrivals.append(arrival)
        if arrivals:
            with self._arrivals_lock:
                self._arrivals.extend(arrivals)
                lead = not self._indexing
                if lead:
                    self._indexing = True
            if lead:
                self._index_arrivals()
            for arrival in arrivals:
                arrival.done.wait()
            self._dirsync(folder_dir / "new")
            self._notify(self.address, name)
        new_dir = folder_dir / "new"
        return [
            slot if isinstance(slot, Exception)
            else slot.error if slot.error is not None
            else (new_dir / slot.base, slot.size)
            for slot in slots
        ]

    def _write_tmp(self, name: str, data: bytes, quota_bytes: int) -> tuple[Entry, str, Path]:
        """Check the quota, then write ``data`` into the folder's tmp/ and fsync it."""
        entry = index_entry(data)
        used = self.usage()[0] if quota_bytes else 0
        tmp_dir = f"{self.path / folder_dirname(name)}/tmp/"
        fd, base = self._start_tmp(tmp_dir, data, entry, used, quota_bytes)
        tmp = Path(tmp_dir + base)
        finish_write(fd, tmp)
        return entry, base, tmp

    def _start_tmp(self, tmp_dir: str, data: bytes, entry: Entry, used: int,
                   quota_bytes: int) -> tuple[int, str]:
        """Check the quota (``used``: bytes already there), then start writing ``data``
        into ``tmp_dir`` under its Maildir name; (open fd, name). The caller fsyncs."""
        size = len(data)
        if quota_bytes and used + size > quota_bytes:
            raise QuotaExceeded(f"{self.address}: mailbox full ({used}/{quota_bytes} bytes)")
        base = f"{self._unique_base()},S={size},W={entry.vsize}"
        return start_write(tmp_dir + base, (data,)), base

    def _index_arrivals(self) -> None:
        while True:
            with self._arrivals_lock:
                batch, self._arrivals = self._arrivals, []
                if not batch:
                    self._indexing = False
                    return
            try:
                self._commit_arrivals(batch)
            finally:
                for arrival in batch:
                    arrival.done.set()

    def _commit_arrivals(self, batch: list[_Arrival]) -> None:
        moved: dict[str, list[_Arrival]] = {}
        for arrival in batch:
            folder_dir = os.path.join(self.path, folder_dirname(arrival.folder), "")
            try:
                os.rename(f"{folder_dir}tmp/{arrival.base}", f"{folder_dir}new/{arrival.base}")
            except OSError as exc:
                arrival.error = exc
                continue
            moved.setdefault(arrival.folder, []).append(arrival)
        if not moved:
            return
        # From here on the messages are delivered (in new/, fsynced). Should
        # the index update fail, the first look at the folder indexes them.
        try:
            with self._write() as db:
                now = int(time.time())
                for name, arrivals in moved.items():
                    fid, validity, uidnext, modseq, _ = self._folder_row(db, name)
                    rows, uids = [], []
                    for a in arrivals:
                        modseq += 1
                        rows.append((fid, uidnext, a.base, f"new/{a.base}", "", a.size,
                                     a.entry.vsize, now, modseq, a.entry.header, a.entry.search,
                                     a.entry.envelope, a.entry.body, a.entry.structure))
                        uids.append((uidnext, a.base))
                        uidnext += 1
                    db.executemany(
                        "INSERT INTO message(folder, uid, base, name, flags, size, vsize,"
                        " internaldate, modseq, header, search, envelope, body, structure)"
                        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        rows,
                    )
                    db.execute(
                        "UPDATE folder SET uidnext=?, modseq=? WHERE id=?", (uidnext, modseq, fid)
                    )
                    md.append_uidlist(self.path / folder_dirname(name), validity, uidnext, uids)
                self._add_usage(sum(a.size for a in batch if a.error is None),
                                sum(1 for a in batch if a.error is None))
        except (sqlite3.Error, OSError):
            log.exception("%s: indexing new mail failed; it will be indexed when read",
                          self.address)

