"""The message index of one account: a SQLite file beside its Maildir.

Where the index lives, and why: one SQLite file per account,
``<maildir>/mailroom-index.sqlite`` (WAL mode), beside the Maildir and never
in the daemon's state database. SQLite gives us, for free, what a hand-made
index file would need a lot of code for: transactions (a UID is never handed
out twice, a crash mid-update leaves the old index), locking between
processes that a crash cannot leave stuck (SQLite's locks are ``fcntl``
locks, released by the kernel when a process dies), and range queries
(``FETCH 1:1000`` reads 1000 rows, not the whole index). The index is a
cache of the Maildir except for the UIDs, which are also written to
``dovecot-uidlist`` so Dovecot can take the Maildir over unchanged; if the
index file is lost, the UIDs come back from ``dovecot-uidlist``.

Per message the index keeps: UID, file name, flags, file size, CRLF size,
internal date (the file's mtime, as Dovecot does) and the metadata of
``appliance.store.entry``. The index uses synchronous=NORMAL in WAL mode: no
fsync per delivery beyond the message file's and its directory's.

Every change bumps a per-folder modification sequence; expunges are
remembered with theirs. A session that has a folder selected asks for
"changes since modseq N" to learn of flags, arrivals and expunges made by
anyone else, which is what makes untagged EXPUNGE/EXISTS/FETCH correct
across sessions and processes.

Concurrency: every method holds the account's ``RLock`` (threads of this
process share one connection) and writes run in ``BEGIN IMMEDIATE``
transactions, which serialise writers across processes too. File system
changes (rename, link, unlink) happen inside those transactions.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from appliance.store import maildir as md
from appliance.store.mime import RENDER_FORM
from appliance.store.names import folder_dirname, normalize_folder

__all__ = [
    "INDEX_FILE",
    "Changes",
    "FolderState",
    "IndexMixin",
    "connect",
    "insert_rows",
    "no_gc",
]

INDEX_FILE = "mailroom-index.sqlite"
EXPUNGE_MEMORY = 86400.0  # seconds an expunge is remembered for lagging sessions

# 2: internaldate may be NULL (filled from the file's mtime when first needed),
#    no index on base names
SCHEMA_VERSION = 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS folder(
    id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,
    uidvalidity INTEGER NOT NULL, uidnext INTEGER NOT NULL,
    modseq INTEGER NOT NULL DEFAULT 1, recent_uid INTEGER NOT NULL DEFAULT 1,
    new_mtime INTEGER NOT NULL DEFAULT 0, cur_mtime INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS message(
    id INTEGER PRIMARY KEY, folder INTEGER NOT NULL, uid INTEGER NOT NULL,
    base TEXT NOT NULL, name TEXT NOT NULL, flags TEXT NOT NULL,
    size INTEGER NOT NULL, vsize INTEGER, internaldate INTEGER,
    modseq INTEGER NOT NULL, header BLOB, search TEXT,
    envelope BLOB, body BLOB, structure BLOB,
    UNIQUE(folder, uid));
CREATE INDEX IF NOT EXISTS message_modseq ON message(folder, modseq);
CREATE TABLE IF NOT EXISTS expunged(
    folder INTEGER NOT NULL, uid INTEGER NOT NULL, modseq INTEGER NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS expunged_modseq ON expunged(folder, modseq);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class FolderState:
    name: str
    uidvalidity: int
    uidnext: int
    modseq: int
    uids: list[int]
    flags: dict[int, str]  # uid → space-separated IMAP flags
    recent_from: int  # UIDs >= this are \Recent for the session that claimed them


@dataclass
class Changes:
    modseq: int
    uidnext: int
    flags: dict[int, str]  # new or changed messages → flags
    expunged: list[int]
    recent_from: int


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating or renewing as needed) the index file at ``path``."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    # Rows carry header blobs of a few KB: big pages keep them inline and
    # make the first FETCH of envelopes (an UPDATE per message) a third faster.
    db.execute("PRAGMA page_size=16384")
    db.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode survives a process crash; a power cut may lose
    # the last flag changes, never a message (those are fsynced files).
    db.execute("PRAGMA synchronous=NORMAL")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version != SCHEMA_VERSION and db.execute(
        "SELECT 1 FROM sqlite_master WHERE name='message'"
    ).fetchone():
        # An index from an older Mailroom: it is a cache of the Maildir
        # (UIDs come back from dovecot-uidlist), so start it afresh.
        db.execute("BEGIN IMMEDIATE")
        for table in ("message", "expunged", "folder"):
            db.execute(f"DROP TABLE IF EXISTS {table}")
        db.execute("COMMIT")
        with contextlib.suppress(sqlite3.OperationalError):  # busy elsewhere: later
            db.execute("VACUUM")  # applies the page size
    db.executescript(_SCHEMA)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    _refresh_rendered(db)
    return db


def _refresh_rendered(db: sqlite3.Connection) -> None:
    """Forget cached ENVELOPE/BODY/BODYSTRUCTURE rendered in another form than
    ``mime.RENDER_FORM`` (an older Mailroom's answers): they are filled again from
    the files when next asked for, as for mail that arrived from outside. UIDs,
    flags and sizes stay."""
    form = str(RENDER_FORM)
    row = db.execute("SELECT value FROM meta WHERE key='render_form'").fetchone()
    if row is not None and row[0] == form:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("UPDATE message SET envelope=NULL, body=NULL, structure=NULL"
                   " WHERE envelope IS NOT NULL OR structure IS NOT NULL")
        db.execute("INSERT OR REPLACE INTO meta VALUES('render_form', ?)", (form,))
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Hold off the cyclic garbage collector during bulk work that only makes
    short-lived, acyclic objects (it would walk every live object several times
    for nothing); it runs again afterwards, and stays off if it was off."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_INSERT_BATCH = 100  # rows per INSERT statement (6 parameters each: under SQLite's 999)


def insert_rows(db: sqlite3.Connection, fid: int, modseq: int,
                rows: list[tuple[int, str, str, str, int, int | None]]) -> None:
    """Insert index rows (uid, base, name, flags, size, vsize) found by a scan, a hundred
    per statement: half the time of one ``executemany`` row at a time."""
    head = ("INSERT INTO message(folder, uid, base, name, flags, size, vsize, modseq)"
            " VALUES")
    one = f"({int(fid)},?,?,?,?,?,?,{int(modseq)})"
    full = len(rows) - len(rows) % _INSERT_BATCH
    if full:
        stmt = head + ",".join([one] * _INSERT_BATCH)
        for start in range(0, full, _INSERT_BATCH):
            db.execute(stmt, list(itertools.chain.from_iterable(
                rows[start : start + _INSERT_BATCH])))
    if full < len(rows):
        db.executemany(head + one, rows[full:])


def new_folder_row(db: sqlite3.Connection, folder_dir: Path,
                   name: str) -> tuple[int, int, int, int, int]:
    """Create the index row of a folder seen for the first time: its UIDVALIDITY and
    next UID come from ``dovecot-uidlist`` when there is one (Dovecot or a lost index),
    otherwise a fresh UIDVALIDITY, above any earlier one."""
    imported = md.read_uidlist(folder_dir)
    last = db.execute("SELECT value FROM meta WHERE key='uidvalidity'").fetchone()
    if imported:
        validity, nextuid = imported[0], imported[1]
    else:
        # UIDVALIDITY must differ from any earlier mailbox of this name.
        validity = max(int(time.time()), int(last[0]) + 1 if last else 0)
        nextuid = 1
    db.execute("INSERT OR REPLACE INTO meta VALUES('uidvalidity', ?)", (str(validity),))
    cur = db.execute(
        "INSERT INTO folder(name, uidvalidity, uidnext, modseq, recent_uid) VALUES(?,?,?,1,1)",
        (name, validity, nextuid),
    )
    if not imported:
        md.write_uidlist(folder_dir, validity, nextuid, [])
    return (cur.lastrowid or 0, validity, nextuid, 1, 1)


class IndexMixin:
    """The index connection, its transactions, and the folder-level reads of ``Account``."""

    path: Path
    lock: threading.RLock
    _db: sqlite3.Connection | None
    ensure: Callable[[], Path]
    _scan: Callable[..., list[tuple[int, str]] | None]
    settle: Callable[[], None]

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self.ensure()
            self._db = connect(self.path / INDEX_FILE)
        return self._db

    def close(self) -> None:
        self.settle()
        with self.lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _folder_row(self, db: sqlite3.Connection, name: str) -> tuple[int, int, int, int, int]:
        """(id, uidvalidity, uidnext, modseq, recent_uid), creating the row on first sight."""
        row = db.execute(
            "SELECT id, uidvalidity, uidnext, modseq, recent_uid FROM folder WHERE name=?", (name,)
        ).fetchone()
        if row:
            return row
        return new_folder_row(db, self.path / folder_dirname(name), name)

    def _fid(self, db: sqlite3.Connection, name: str) -> int:
        row = db.execute("SELECT id FROM folder WHERE name=?", (name,)).fetchone()
        if row is None:
            with self._write() as wdb:
                return self._folder_row(wdb, name)[0]
        return row[0]

    def _rewrite_uidlist(
        self, db: sqlite3.Connection, fid: int, folder_dir: Path, validity: int, uidnext: int
    ) -> None:
        rows = db.execute(
            "SELECT uid, base FROM message WHERE folder=? ORDER BY uid", (fid,)
        ).fetchall()
        md.write_uidlist(folder_dir, validity, uidnext, rows)

    def _forget(self, db: sqlite3.Connection, fid: int, uids: list[int], modseq: int) -> None:
        now = time.time()
        db.executemany("DELETE FROM message WHERE folder=? AND uid=?", [(fid, u) for u in uids])
        db.executemany(
            "INSERT INTO expunged VALUES(?,?,?,?)", [(fid, u, modseq, now) for u in uids]
        )
        db.execute("DELETE FROM expunged WHERE folder=? AND at<?", (fid, now - EXPUNGE_MEMORY))
        db.execute("UPDATE folder SET modseq=? WHERE id=?", (modseq, fid))

    # -- reading a folder ------------------------------------------------------

    def open(self, name: str, *, claim_recent: bool = False) -> FolderState:
        """Sync the folder with its directory and return every UID and its flags."""
        name = normalize_folder(name)
        with self._write() as db:
            with no_gc():  # tens of thousands of short-lived tuples, no cycles
                rows = self._scan(db, name, move_new=claim_recent)
            fid, validity, uidnext, modseq, recent_uid = self._folder_row(db, name)
            if rows is None:
                rows = db.execute(
                    "SELECT uid, flags FROM message WHERE folder=? ORDER BY uid", (fid,)
                ).fetchall()
            if claim_recent and recent_uid < uidnext:
                db.execute("UPDATE folder SET recent_uid=? WHERE id=?", (uidnext, fid))
        return FolderState(
            name, validity, uidnext, modseq, [r[0] for r in rows], dict(rows),
            recent_uid if claim_recent else uidnext,
        )

    def changes(self, name: str, since: int, *, claim_recent: bool = False,
                rescan: bool = False) -> Changes:
        """What changed in ``name`` after modification sequence ``since``."""
        if not rescan:
            # The usual answer, "nothing", needs no write transaction.
            with self.lock:
                row = self.db.execute(
                    "SELECT uidnext, modseq FROM folder WHERE name=?", (name,)
                ).fetchone()
            if row is not None and row[1] <= since:
                return Changes(row[1], row[0], {}, [], row[0])
        with self._write() as db:
            if rescan:
                self._scan(db, name)
            fid, _, uidnext, modseq, recent_uid = self._folder_row(db, name)
            if modseq <= since:
                return Changes(modseq, uidnext, {}, [], uidnext)
            flags = dict(
                db.execute(
                    "SELECT uid, flags FROM message WHERE folder=? AND modseq>? ORDER BY uid",
                    (fid, since),
                ).fetchall()
            )
            gone = [
                r[0]
                for r in db.execute(
                    "SELECT uid FROM expunged WHERE folder=? AND modseq>?", (fid, since)
                )
            ]
            recent_from = uidnext
            if claim_recent and recent_uid < uidnext:
                db.execute("UPDATE folder SET recent_uid=? WHERE id=?", (uidnext, fid))
                recent_from = recent_uid
        return Changes(modseq, uidnext, flags, gone, recent_from)

    def status(self, name: str) -> dict[str, int]:
        name = normalize_folder(name)
        with self._write() as db:
            self._scan(db, name)
            fid, validity, uidnext, _, recent_uid = self._folder_row(db, name)
            count, size, unseen, recent = db.execute(
                "SELECT count(*), coalesce(sum(size),0),"
                " coalesce(sum(flags NOT LIKE '%\\Seen%'),0), coalesce(sum(uid>=?),0)"
                " FROM message WHERE folder=?",
                (recent_uid, fid),
            ).fetchone()
        return {
            "MESSAGES": count,
            "RECENT": recent,
            "UIDNEXT": uidnext,
            "UIDVALIDITY": validity,
            "UNSEEN": unseen,
            "SIZE": size,
        }
