"""Reading and changing indexed messages: metadata (filled lazily), bytes, flags, expunge.

Metadata is filled at delivery (the message is in memory then) and, for mail
that arrived by other means, on the first FETCH/SEARCH that needs it: the
header fields need only the header block; BODYSTRUCTURE, or a CRLF size
missing from the file name, needs the whole file. Internal dates of files
found by a scan are their mtime, read when first asked for.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from appliance.store import maildir as md
from appliance.store.entry import header_entry, index_entry, read_header, to_lf
from appliance.store.index import no_gc
from appliance.store.mime import crlf_size
from appliance.store.names import folder_dirname

__all__ = ["HEADER_FIELDS", "META_FIELDS", "STRUCTURE_FIELDS", "MessagesMixin"]

HEADER_FIELDS = ("header", "search", "envelope")
STRUCTURE_FIELDS = ("body", "structure")
META_FIELDS = (*HEADER_FIELDS, *STRUCTURE_FIELDS, "vsize")


class MessagesMixin:
    """Per-message reads and changes of ``Account``."""

    path: Path
    address: str
    lock: threading.RLock
    db: sqlite3.Connection
    _notify: Callable[[str, str], None]
    _write: Callable[[], contextlib.AbstractContextManager[sqlite3.Connection]]
    _folder_row: Callable[[sqlite3.Connection, str], tuple[int, int, int, int, int]]
    _fid: Callable[[sqlite3.Connection, str], int]
    _folder_keywords: Callable[[str], list[str]]
    _scan: Callable[..., list[tuple[int, str]] | None]
    _forget: Callable[[sqlite3.Connection, int, list[int], int], None]
    _rewrite_uidlist: Callable[[sqlite3.Connection, int, Path, int, int], None]
    _add_usage: Callable[[int, int], None]

    def meta(self, name: str, uids: list[int], fields: Iterable[str],
             *, search_contains: str | None = None) -> dict[int, tuple]:
        """{uid: (field values...)} for the UIDs present, filling missing metadata first.

        ``search_contains`` keeps only messages whose decoded headers contain
        that (case-folded) text: SQLite does that scan in C.
        """
        fields = tuple(fields)
        if not uids:
            return {}
        wanted = set(uids)
        lo, hi = min(uids), max(uids)
        with self.lock:
            db = self.db
            fid = self._fid(db, name)
            if any(f in META_FIELDS for f in fields) or search_contains is not None:
                full = any(f in STRUCTURE_FIELDS for f in fields)
                with no_gc():
                    self._complete(db, name, fid, lo, hi, wanted, full=full)
            if "internaldate" in fields:
                self._complete_dates(db, name, fid, lo, hi)
            cols = ", ".join(("uid", *fields))
            query = f"SELECT {cols} FROM message WHERE folder=? AND uid BETWEEN ? AND ?"
            params: tuple = (fid, lo, hi)
            if search_contains is not None:
                query += " AND instr(search, ?) > 0"
                params += (search_contains,)
            rows = db.execute(query, params).fetchall()
        if len(wanted) == hi - lo + 1:
            return {r[0]: r[1:] for r in rows}
        return {r[0]: r[1:] for r in rows if r[0] in wanted}

    def _complete(self, db: sqlite3.Connection, name: str, fid: int, lo: int, hi: int,
                  wanted: set[int], *, full: bool) -> None:
        """Fill metadata of messages first seen outside delivery. Header fields need
        only the header block; BODYSTRUCTURE (``full``) or a missing size needs the file."""
        missing = [
            (uid, fname, env is None, vsize is None or (full and has_structure is None))
            for uid, fname, env, vsize, has_structure in db.execute(
                "SELECT uid, name, envelope IS NOT NULL OR NULL, vsize,"
                " structure IS NOT NULL OR NULL FROM message"
                " WHERE folder=? AND uid BETWEEN ? AND ?"
                " AND (envelope IS NULL OR vsize IS NULL OR (? AND structure IS NULL))",
                (fid, lo, hi, full),
            )
            if uid in wanted
        ]
        if not missing:
            return
        folder_dir = self.path / folder_dirname(name)
        heads, sized, fulls = [], [], []
        dir_fd = os.open(folder_dir, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for uid, fname, need_head, need_full in missing:
                try:
                    if need_full and (full or need_head):
                        with open(folder_dir / fname, "rb") as f:
                            e = index_entry(to_lf(f.read()))
                        fulls.append((e.header, e.search, e.envelope, e.body, e.structure,
                                      e.vsize, fid, uid))
                    elif need_full:  # only the CRLF size is missing: no parsing
                        with open(folder_dir / fname, "rb") as f:
                            sized.append((crlf_size(f.read()), fid, uid))
                    elif need_head:
                        heads.append((*header_entry(read_header(fname, dir_fd)), fid, uid))
                except FileNotFoundError:
                    continue  # renamed or expunged meanwhile: the next sync sees it
        finally:
            os.close(dir_fd)
        with self._write() as wdb:
            wdb.executemany(
                "UPDATE message SET header=?, search=?, envelope=? WHERE folder=? AND uid=?",
                heads,
            )
            wdb.executemany("UPDATE message SET vsize=? WHERE folder=? AND uid=?", sized)
            wdb.executemany(
                "UPDATE message SET header=?, search=?, envelope=?, body=?, structure=?, vsize=?"
                " WHERE folder=? AND uid=?",
                fulls,
            )

    def _complete_dates(self, db: sqlite3.Connection, name: str, fid: int, lo: int,
                        hi: int) -> None:
        """Internal dates of messages first seen by a directory scan: their mtime."""
        missing = db.execute(
            "SELECT uid, name FROM message WHERE folder=? AND uid BETWEEN ? AND ?"
            " AND internaldate IS NULL",
            (fid, lo, hi),
        ).fetchall()
        if not missing:
            return
        folder_dir = str(self.path / folder_dirname(name)) + "/"
        dates = []
        for uid, fname in missing:
            try:
                dates.append((int(os.stat(folder_dir + fname).st_mtime), fid, uid))
            except FileNotFoundError:
                continue
        with self._write() as wdb:
            wdb.executemany("UPDATE message SET internaldate=? WHERE folder=? AND uid=?", dates)

    def read(self, name: str, uid: int) -> bytes | None:
        """The message bytes (LF line ends), or None if it is gone."""
        folder_dir = self.path / folder_dirname(name)
        for attempt in range(2):
            with self.lock:
                row = self.db.execute(
                    "SELECT name FROM message WHERE folder=(SELECT id FROM folder WHERE name=?)"
                    " AND uid=?",
                    (name, uid),
                ).fetchone()
            if row is None:
                return None
            try:
                with open(folder_dir / row[0], "rb") as f:
                    return to_lf(f.read())
            except FileNotFoundError:
                if attempt:
                    return None
                with self._write() as db:  # renamed behind our back: rescan and retry
                    self._scan(db, name, force=True)
        return None

    # -- changing messages -------------------------------------------------------

    def store_flags(
        self, name: str, uids: list[int], mode: str, flags: list[str]
    ) -> dict[int, str]:
        """Set (mode ""), add ("+") or remove ("-") flags; returns {uid: flags} for every
        message touched. ``\\Recent`` is ignored (it is never stored)."""
        flags = [f for f in flags if f.lower() != "\\recent"]
        result: dict[int, str] = {}
        with self._write() as db:
            fid, validity, uidnext, modseq, _ = self._folder_row(db, name)
            keywords = self._folder_keywords(name)
            before = len(keywords)
            md.keywords_fit(flags, keywords)
            folder_dir = self.path / folder_dirname(name)
            if len(keywords) != before:
                md.write_keywords(folder_dir, keywords)
            modseq += 1
            wanted = set(uids)
            lo, hi = (min(uids), max(uids)) if uids else (0, -1)
            updates = []
            for uid, base, fname, old in db.execute(
                "SELECT uid, base, name, flags FROM message WHERE folder=? AND uid BETWEEN ? AND ?",
                (fid, lo, hi),
            ).fetchall():
                if uid not in wanted:
                    continue
                current = set(old.split())
                if mode == "+":
                    new = current | set(flags)
                elif mode == "-":
                    new = current - set(flags)
                else:
                    new = set(flags)
                new_text = " ".join(sorted(new))
                result[uid] = new_text
                if new == current:
                    continue
                target = "cur/" + md.name_with_flags(base, new, keywords)
                try:
                    os.rename(folder_dir / fname, folder_dir / target)
                except FileNotFoundError:
                    result.pop(uid)
                    continue
                updates.append((target, new_text, modseq, fid, uid))
            if updates:
                db.executemany(
                    "UPDATE message SET name=?, flags=?, modseq=? WHERE folder=? AND uid=?",
                    updates,
                )
                db.execute("UPDATE folder SET modseq=? WHERE id=?", (modseq, fid))
        if updates:
            self._notify(self.address, name)
        return result

    def expunge(self, name: str, uids: list[int] | None = None) -> list[int]:
        """Remove messages flagged ``\\Deleted`` (only those in ``uids`` when given)."""
        with self._write() as db:
            fid, validity, uidnext, modseq, _ = self._folder_row(db, name)
            folder_dir = self.path / folder_dirname(name)
            rows = db.execute(
                "SELECT uid, name, size FROM message WHERE folder=? AND flags LIKE '%\\Deleted%'"
                " ORDER BY uid",
                (fid,),
            ).fetchall()
            wanted = set(uids) if uids is not None else None
            gone: list[int] = []
            freed = 0
            for uid, fname, size in rows:
                if wanted is not None and uid not in wanted:
                    continue
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(folder_dir / fname)
                gone.append(uid)
                freed += size
            if gone:
                self._forget(db, fid, gone, modseq + 1)
                self._rewrite_uidlist(db, fid, folder_dir, validity, uidnext)
                self._add_usage(-freed, -len(gone))
        if gone:
            self._notify(self.address, name)
        return gone
