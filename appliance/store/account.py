"""One account's mailboxes: folders, the message index, flags, quota usage.

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
internal date (the file's mtime, as Dovecot does), the raw header block
(served for ``BODY[HEADER.FIELDS ...]`` without opening the file), a
decoded, case-folded copy of the headers for SEARCH, and the ENVELOPE,
BODY and BODYSTRUCTURE in IMAP wire form. Metadata is filled at delivery
(the message is in memory then) and, for mail that arrived by other means,
lazily on the first FETCH/SEARCH that needs it.

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
import itertools
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from email.header import decode_header, make_header
from pathlib import Path

from appliance.store import maildir as md
from appliance.store.mime import (
    body_and_structure,
    crlf_size,
    envelope,
    parse_message,
    split_header,
    unfold_headers,
)
from appliance.store.names import (
    SEPARATOR,
    BadFolderName,
    folder_dirname,
    folder_from_dirname,
    normalize_folder,
)

__all__ = [
    "Account",
    "Changes",
    "FolderError",
    "FolderState",
    "QuotaExceeded",
    "SPECIAL_USE",
    "index_entry",
]

INDEX_FILE = "mailroom-index.sqlite"
SPECIAL_USE = {
    "Sent": "\\Sent",
    "Drafts": "\\Drafts",
    "Trash": "\\Trash",
    "Junk": "\\Junk",
    "Archive": "\\Archive",
}
DEFAULT_FOLDERS = tuple(SPECIAL_USE)
_MAILDIRSIZE_MAX = 5120  # Maildir++: recalculate once the file grows past this
_EXPUNGE_MEMORY = 86400.0  # seconds an expunge is remembered for lagging sessions
_RECENT_MTIME = 2.0  # a directory changed this recently may change again unseen

_SCHEMA = """
CREATE TABLE IF NOT EXISTS folder(
    id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,
    uidvalidity INTEGER NOT NULL, uidnext INTEGER NOT NULL,
    modseq INTEGER NOT NULL DEFAULT 1, recent_uid INTEGER NOT NULL DEFAULT 1,
    new_mtime INTEGER NOT NULL DEFAULT 0, cur_mtime INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS message(
    id INTEGER PRIMARY KEY, folder INTEGER NOT NULL, uid INTEGER NOT NULL,
    base TEXT NOT NULL, name TEXT NOT NULL, flags TEXT NOT NULL,
    size INTEGER NOT NULL, vsize INTEGER, internaldate INTEGER NOT NULL,
    modseq INTEGER NOT NULL, header BLOB, search TEXT,
    envelope BLOB, body BLOB, structure BLOB,
    UNIQUE(folder, uid), UNIQUE(folder, base));
CREATE INDEX IF NOT EXISTS message_modseq ON message(folder, modseq);
CREATE TABLE IF NOT EXISTS expunged(
    folder INTEGER NOT NULL, uid INTEGER NOT NULL, modseq INTEGER NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS expunged_modseq ON expunged(folder, modseq);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

HEADER_FIELDS = ("header", "search", "envelope")
META_FIELDS = (*HEADER_FIELDS, "body", "structure", "vsize")


class QuotaExceeded(Exception):
    pass


class FolderError(Exception):
    """A folder operation that cannot be done (no such folder, exists, not allowed)."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code  # an IMAP response code: NONEXISTENT, ALREADYEXISTS, CANNOT...


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


@dataclass(frozen=True)
class Entry:
    """Index metadata of one message, computed from its bytes (LF line ends)."""

    header: bytes
    search: str
    envelope: bytes
    body: bytes
    structure: bytes
    vsize: int


def _decode_words(text: str) -> str:
    try:
        return str(make_header(decode_header(text)))
    except Exception:  # malformed encoded words: search the raw text
        return text


def index_entry(data: bytes) -> Entry:
    """Everything the index keeps about a message, from one pass over its bytes."""
    root = parse_message(data)
    header_end, _ = split_header(data)
    block, search, env = header_entry(data[:header_end])
    body, structure = body_and_structure(data, root)
    return Entry(
        header=block,
        search=search,
        envelope=env,
        body=body,
        structure=structure,
        vsize=crlf_size(data),
    )


def header_entry(block: bytes) -> tuple[bytes, str, bytes]:
    """(header, search, envelope) from a header block alone: what FETCH ENVELOPE and
    header SEARCH need, without reading the rest of the file."""
    headers = unfold_headers(block)
    lines = []
    for name, value in headers:
        text = value.decode("utf-8", "replace")
        if "=?" in text:
            text = _decode_words(text)
        lines.append(f"{name.decode('ascii', 'replace')}:{text}")
    return block, "\n".join(lines).casefold(), envelope(headers)


def _read_header(path: Path) -> bytes:
    with open(path, "rb") as f:
        data = f.read(16384)
        while b"\n\n" not in data and b"\n\r\n" not in data:
            more = f.read(65536)
            if not more:
                break
            data += more
    data = _to_lf(data)
    return data[: split_header(data)[0]]


def _to_lf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n") if b"\r" in data else data


class Account:
    """Mailboxes of one account (its Maildir); thread-safe."""

    def __init__(
        self,
        path: Path,
        address: str,
        hostname: str,
        notify: Callable[[str, str], None],
        dirsync: Callable[[Path], None],
        counter: Iterator[int] | None = None,
    ) -> None:
        self.path = path
        self.address = address
        self.hostname = hostname
        self.lock = threading.RLock()
        self._notify = notify
        self._dirsync = dirsync
        self._counter = counter or itertools.count(1)
        self._db: sqlite3.Connection | None = None
        self._keywords: dict[str, list[str]] = {}

    # -- plumbing ----------------------------------------------------------

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self.ensure()
            db = sqlite3.connect(
                self.path / INDEX_FILE, isolation_level=None, check_same_thread=False, timeout=30
            )
            db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a process crash; a power cut may lose
            # the last flag changes, never a message (those are fsynced files).
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    def close(self) -> None:
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

    def ensure(self) -> Path:
        base = self.path
        if (base / "cur").is_dir():
            return base
        with self.lock:
            if (base / "cur").is_dir():
                return base
            for sub in ("tmp", "new", "cur"):
                (base / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
            for name in DEFAULT_FOLDERS:
                self._make_folder_dir(name)
            self._write_subscriptions(set(DEFAULT_FOLDERS) | {"INBOX"})
        return base

    def _make_folder_dir(self, name: str) -> Path:
        folder_dir = self.path / folder_dirname(name)
        for sub in ("tmp", "new", "cur"):
            (folder_dir / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
        if name != "INBOX":
            (folder_dir / "maildirfolder").touch()
        return folder_dir

    def _unique_base(self) -> str:
        now = time.time()
        sec = int(now)
        usec = int((now - sec) * 1_000_000)
        return f"{sec}.M{usec}P{os.getpid()}Q{next(self._counter)}.{self.hostname}"

    def folder_dir(self, name: str) -> Path:
        return self.path / folder_dirname(normalize_folder(name))

    # -- folders -----------------------------------------------------------

    def folders(self) -> list[str]:
        """Every folder of the account, INBOX first, the rest sorted."""
        self.ensure()
        names = ["INBOX"]
        with os.scandir(self.path) as it:
            for entry in it:
                if entry.name.startswith(".") and entry.is_dir():
                    name = folder_from_dirname(entry.name)
                    if name and name != "INBOX" and (Path(entry.path) / "cur").is_dir():
                        names.append(name)
        return ["INBOX", *sorted(names[1:])]

    def exists(self, name: str) -> bool:
        try:
            return (self.folder_dir(name) / "cur").is_dir()
        except BadFolderName:
            return False

    def create_folder(self, name: str) -> str:
        name = normalize_folder(name)
        if self.exists(name):
            raise FolderError("mailbox already exists", "ALREADYEXISTS")
        with self._write():
            # RFC 3501 CREATE: superior names are created as needed.
            parts = name.split(SEPARATOR)
            for depth in range(1, len(parts) + 1):
                parent = SEPARATOR.join(parts[:depth])
                if parent != "INBOX":
                    self._make_folder_dir(parent)
        return name

    def delete_folder(self, name: str) -> None:
        name = normalize_folder(name)
        if name == "INBOX":
            raise FolderError("INBOX cannot be deleted", "CANNOT")
        if not self.exists(name):
            raise FolderError("no such mailbox", "NONEXISTENT")
        with self._write() as db:
            folder_dir = self.folder_dir(name)
            used, count = self._dir_usage(folder_dir)
            shutil.rmtree(folder_dir)
            row = db.execute("SELECT id FROM folder WHERE name=?", (name,)).fetchone()
            if row:
                for table in ("message", "expunged"):
                    db.execute(f"DELETE FROM {table} WHERE folder=?", (row[0],))
                db.execute("DELETE FROM folder WHERE id=?", (row[0],))
            if count:
                self._add_usage(-used, -count)
        self._keywords.pop(name, None)
        subs = self.subscriptions()
        if name in subs:
            subs.discard(name)
            self._write_subscriptions(subs)

    def rename_folder(self, old: str, new: str) -> None:
        old, new = normalize_folder(old), normalize_folder(new)
        if old == "INBOX":
            raise FolderError("renaming INBOX is not supported", "CANNOT")
        if not self.exists(old):
            raise FolderError("no such mailbox", "NONEXISTENT")
        if self.exists(new):
            raise FolderError("mailbox already exists", "ALREADYEXISTS")
        if new == old or new.startswith(old + SEPARATOR):
            raise FolderError("cannot rename a mailbox into itself", "CANNOT")
        with self._write() as db:
            moves = [(old, new)] + [
                (f, new + f[len(old) :]) for f in self.folders() if f.startswith(old + SEPARATOR)
            ]
            for src, dst in moves:
                os.rename(self.path / folder_dirname(src), self.path / folder_dirname(dst))
                # A renamed folder keeps its messages but is a new mailbox to
                # clients: drop its index rows so it gets a fresh UIDVALIDITY.
                row = db.execute("SELECT id FROM folder WHERE name=?", (src,)).fetchone()
                if row:
                    for table in ("message", "expunged"):
                        db.execute(f"DELETE FROM {table} WHERE folder=?", (row[0],))
                    db.execute("DELETE FROM folder WHERE id=?", (row[0],))
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path / folder_dirname(dst) / "dovecot-uidlist")
                self._keywords.pop(src, None)
        subs = self.subscriptions()
        renamed = {new + s[len(old) :] for s in subs if s == old or s.startswith(old + SEPARATOR)}
        if renamed:
            keep = {s for s in subs if not (s == old or s.startswith(old + SEPARATOR))}
            self._write_subscriptions(keep | renamed)

    def subscriptions(self) -> set[str]:
        try:
            text = (self.path / "subscriptions").read_text("utf-8")
        except FileNotFoundError:
            return set()
        out: set[str] = set()
        for line in text.splitlines():
            with contextlib.suppress(BadFolderName):
                if line.strip():
                    from appliance.store.names import decode_mutf7

                    out.add(normalize_folder(decode_mutf7(line.strip())))
        return out

    def set_subscribed(self, name: str, subscribed: bool) -> None:
        name = normalize_folder(name)
        with self.lock:
            subs = self.subscriptions()
            if subscribed:
                subs.add(name)
            else:
                subs.discard(name)
            self._write_subscriptions(subs)

    def _write_subscriptions(self, subs: set[str]) -> None:
        from appliance.store.names import encode_mutf7

        tmp = self.path / f"subscriptions.{os.getpid()}.tmp"
        tmp.write_text("".join(encode_mutf7(s) + "\n" for s in sorted(subs)), "utf-8")
        os.replace(tmp, self.path / "subscriptions")

    # -- the index of one folder ---------------------------------------------

    def _folder_row(self, db: sqlite3.Connection, name: str) -> tuple[int, int, int, int, int]:
        """(id, uidvalidity, uidnext, modseq, recent_uid), creating the row on first sight."""
        row = db.execute(
            "SELECT id, uidvalidity, uidnext, modseq, recent_uid FROM folder WHERE name=?", (name,)
        ).fetchone()
        if row:
            return row
        folder_dir = self.path / folder_dirname(name)
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

    def _folder_keywords(self, name: str) -> list[str]:
        kw = self._keywords.get(name)
        if kw is None:
            kw = self._keywords[name] = md.read_keywords(self.path / folder_dirname(name))
        return kw

    def _scan(self, db: sqlite3.Connection, name: str, *, force: bool = False,
              move_new: bool = False) -> None:
        """Bring the index of ``name`` in line with its directory (first sight, outside changes)."""
        fid, validity, uidnext, modseq, _ = self._folder_row(db, name)
        folder_dir = self.path / folder_dirname(name)
        try:
            new_m = os.stat(folder_dir / "new").st_mtime_ns
            cur_m = os.stat(folder_dir / "cur").st_mtime_ns
        except FileNotFoundError as exc:
            raise FolderError("no such mailbox", "NONEXISTENT") from exc
        stored = db.execute("SELECT new_mtime, cur_mtime FROM folder WHERE id=?", (fid,)).fetchone()
        fresh = time.time() - max(new_m, cur_m) / 1e9 < _RECENT_MTIME
        if not force and not fresh and tuple(stored) == (new_m, cur_m):
            if not move_new:
                return
            if not db.execute(
                "SELECT 1 FROM message WHERE folder=? AND name LIKE 'new/%' LIMIT 1", (fid,)
            ).fetchone():
                return
        on_disk: dict[str, str] = {}
        for sub in ("new", "cur"):
            for entry in os.listdir(folder_dir / sub):
                if entry.startswith("."):
                    continue
                base, _ = md.split_name(entry)
                if sub == "new" and base in on_disk:
                    continue
                on_disk[base] = f"{sub}/{entry}"
        keywords = self._folder_keywords(name)
        rows = db.execute("SELECT uid, base, name, flags FROM message WHERE folder=?", (fid,))
        indexed: set[str] = set()
        gone: list[int] = []
        updates: list[tuple[str, str, int]] = []
        modseq += 1
        for uid, base, fname, _flags in rows.fetchall():
            disk = on_disk.get(base)
            if disk is None:
                gone.append(uid)
                continue
            indexed.add(base)
            if disk != fname:
                new_flags = " ".join(md.flags_from_name(md.split_name(disk)[1], keywords))
                updates.append((disk, new_flags, uid))
        if gone:
            now = time.time()
            db.executemany("DELETE FROM message WHERE folder=? AND uid=?", [(fid, u) for u in gone])
            db.executemany(
                "INSERT INTO expunged VALUES(?,?,?,?)", [(fid, u, modseq, now) for u in gone]
            )
        if updates:
            db.executemany(
                "UPDATE message SET name=?, flags=?, modseq=? WHERE folder=? AND uid=?",
                [(n, f, modseq, fid, u) for n, f, u in updates],
            )
        fresh_files = sorted((b, n) for b, n in on_disk.items() if b not in indexed)
        added: list[tuple[int, str]] = []
        if fresh_files:
            taken = {r[0] for r in db.execute("SELECT uid FROM message WHERE folder=?", (fid,))}
            known: dict[str, int] = {}
            if not taken and tuple(stored) == (0, 0):
                # First sight of a folder Dovecot (or an older index) has seen:
                # keep the UIDs its clients already know.
                imported = md.read_uidlist(folder_dir)
                known = imported[2] if imported else {}
            new_rows = []
            for base, fname in fresh_files:
                uid = known.get(base)
                if uid is None or uid in taken:
                    uid = uidnext
                uidnext = max(uidnext, uid + 1)
                taken.add(uid)
                path = folder_dir / fname
                try:
                    st = os.stat(path)
                except FileNotFoundError:
                    continue
                size = md.size_from_name(fname) or st.st_size
                vsize = md.size_from_name(fname, "W")
                letters = md.split_name(fname)[1]
                flags = " ".join(md.flags_from_name(letters, keywords))
                new_rows.append(
                    (fid, uid, base, fname, flags, size, vsize, int(st.st_mtime), modseq)
                )
                added.append((uid, base))
            db.executemany(
                "INSERT INTO message(folder, uid, base, name, flags, size, vsize, internaldate,"
                " modseq) VALUES(?,?,?,?,?,?,?,?,?)",
                new_rows,
            )
        if move_new:
            self._move_new(db, fid, folder_dir)
            new_m = os.stat(folder_dir / "new").st_mtime_ns
            cur_m = os.stat(folder_dir / "cur").st_mtime_ns
        changed = bool(gone or updates or added)
        db.execute(
            "UPDATE folder SET uidnext=?, modseq=?, new_mtime=?, cur_mtime=? WHERE id=?",
            (uidnext, modseq if changed else modseq - 1, new_m, cur_m, fid),
        )
        if gone:
            self._rewrite_uidlist(db, fid, folder_dir, validity, uidnext)
        elif added:
            added.sort()
            md.append_uidlist(folder_dir, validity, uidnext, added)
        if gone or added:
            self._recalculate()

    def _move_new(self, db: sqlite3.Connection, fid: int, folder_dir: Path) -> None:
        """Move messages from new/ to cur/, as Dovecot does when a mailbox is opened."""
        rows = db.execute(
            "SELECT uid, name FROM message WHERE folder=? AND name LIKE 'new/%'", (fid,)
        ).fetchall()
        done = []
        for uid, fname in rows:
            target = "cur/" + fname[4:] + (":2," if ":" not in fname else "")
            try:
                os.rename(folder_dir / fname, folder_dir / target)
            except FileNotFoundError:
                continue
            done.append((target, fid, uid))
        db.executemany("UPDATE message SET name=? WHERE folder=? AND uid=?", done)

    def _rewrite_uidlist(
        self, db: sqlite3.Connection, fid: int, folder_dir: Path, validity: int, uidnext: int
    ) -> None:
        rows = db.execute(
            "SELECT uid, base FROM message WHERE folder=? ORDER BY uid", (fid,)
        ).fetchall()
        md.write_uidlist(folder_dir, validity, uidnext, rows)

    # -- reading a folder ------------------------------------------------------

    def open(self, name: str, *, claim_recent: bool = False) -> FolderState:
        """Sync the folder with its directory and return every UID and its flags."""
        name = normalize_folder(name)
        with self._write() as db:
            self._scan(db, name, move_new=claim_recent)
            fid, validity, uidnext, modseq, recent_uid = self._folder_row(db, name)
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
                full = any(f in META_FIELDS and f not in HEADER_FIELDS for f in fields)
                self._complete(db, name, fid, lo, hi, wanted, full=full)
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

    def _fid(self, db: sqlite3.Connection, name: str) -> int:
        row = db.execute("SELECT id FROM folder WHERE name=?", (name,)).fetchone()
        if row is None:
            with self._write() as wdb:
                return self._folder_row(wdb, name)[0]
        return row[0]

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
        heads, fulls = [], []
        for uid, fname, need_head, need_full in missing:
            try:
                if need_full:
                    with open(folder_dir / fname, "rb") as f:
                        e = index_entry(_to_lf(f.read()))
                    fulls.append((e.header, e.search, e.envelope, e.body, e.structure, e.vsize,
                                  fid, uid))
                elif need_head:
                    heads.append((*header_entry(_read_header(folder_dir / fname)), fid, uid))
            except FileNotFoundError:
                continue  # renamed or expunged meanwhile: the next sync sees it
        with self._write() as wdb:
            wdb.executemany(
                "UPDATE message SET header=?, search=?, envelope=? WHERE folder=? AND uid=?",
                heads,
            )
            wdb.executemany(
                "UPDATE message SET header=?, search=?, envelope=?, body=?, structure=?, vsize=?"
                " WHERE folder=? AND uid=?",
                fulls,
            )

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
                    return _to_lf(f.read())
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

    def _forget(self, db: sqlite3.Connection, fid: int, uids: list[int], modseq: int) -> None:
        now = time.time()
        db.executemany("DELETE FROM message WHERE folder=? AND uid=?", [(fid, u) for u in uids])
        db.executemany(
            "INSERT INTO expunged VALUES(?,?,?,?)", [(fid, u, modseq, now) for u in uids]
        )
        db.execute("DELETE FROM expunged WHERE folder=? AND at<?", (fid, now - _EXPUNGE_MEMORY))
        db.execute("UPDATE folder SET modseq=? WHERE id=?", (modseq, fid))

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
        data = _to_lf(message)
        entry = index_entry(data)
        size = len(data)
        if quota_bytes:
            used, _ = self.usage()
            if used + size > quota_bytes:
                raise QuotaExceeded(f"{self.address}: mailbox full ({used}/{quota_bytes} bytes)")
        folder_dir = self.path / folder_dirname(name)
        base = f"{self._unique_base()},S={size},W={entry.vsize}"
        tmp = folder_dir / "tmp" / base
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
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
        header = f"Return-Path: <{return_path}>\nDelivered-To: {self.address}\n".encode()
        data = header + _to_lf(message)
        name = normalize_folder(folder) if folder else "INBOX"
        if not self.exists(name):
            self.ensure()
            self._make_folder_dir(name)
        _, uid = self.append(name, data, quota_bytes=quota_bytes, new=True)
        with self.lock:
            row = self.db.execute(
                "SELECT name FROM message WHERE folder=(SELECT id FROM folder WHERE name=?)"
                " AND uid=?",
                (name, uid),
            ).fetchone()
        return self.path / folder_dirname(name) / row[0], len(data)

    # -- quota (Maildir++ maildirsize) -----------------------------------------------

    def usage(self) -> tuple[int, int]:
        """(bytes, messages) in the account, from ``maildirsize`` (recomputed if missing)."""
        path = self.path / "maildirsize"
        try:
            with open(path, encoding="ascii") as f:
                text = f.read()
            total = count = 0
            for line in text.splitlines()[1:]:
                parts = line.split()
                if len(parts) == 2:
                    total += int(parts[0])
                    count += int(parts[1])
            if len(text) <= _MAILDIRSIZE_MAX:
                return total, count
        except (FileNotFoundError, ValueError):
            pass
        return self._recalculate()

    def _dir_usage(self, folder_dir: Path) -> tuple[int, int]:
        total = count = 0
        for sub in ("new", "cur"):
            try:
                entries = os.scandir(folder_dir / sub)
            except FileNotFoundError:
                continue
            with entries:
                for entry in entries:
                    size = md.size_from_name(entry.name)
                    if size is None:
                        try:
                            size = entry.stat().st_size
                        except FileNotFoundError:
                            continue
                    total += size
                    count += 1
        return total, count

    def _recalculate(self) -> tuple[int, int]:
        total = count = 0
        base = self.path
        if base.is_dir():
            for folder in [base, *(p for p in base.iterdir() if p.name.startswith("."))]:
                t, c = self._dir_usage(folder)
                total += t
                count += c
            tmp = base / f"maildirsize.{os.getpid()}.{threading.get_ident()}"
            tmp.write_text(f"0S\n{total} {count}\n")
            os.replace(tmp, base / "maildirsize")
        return total, count

    def _add_usage(self, size: int, count: int) -> None:
        path = self.path / "maildirsize"
        if not path.exists():
            self._recalculate()
            return
        # One short O_APPEND write is atomic against other appenders.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, f"{size} {count}\n".encode())
        finally:
            os.close(fd)
