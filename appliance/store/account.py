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

First sight of a big folder is a directory listing and nothing more per
file, as in Dovecot: sizes come from the ``,S=`` and ``,W=`` name fields,
flags from the ``:2,`` suffix, the internal date (a ``stat``) and the
header fields when first asked for; rows go in a hundred per INSERT. The
index uses synchronous=NORMAL in WAL mode: no fsync per delivery beyond the
message file's and its directory's.

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

import base64
import binascii
import contextlib
import gc
import itertools
import logging
import os
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from appliance.durable import finish_write, start_write
from appliance.store import maildir as md
from appliance.store.mime import (
    body_and_structure,
    crlf_size,
    envelope_of_block,
    parse_message,
    split_header,
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
    "delivery_header",
    "index_entry",
    "stored_size",
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

# 2: internaldate may be NULL (filled from the file's mtime when first needed),
#    no index on base names
_SCHEMA_VERSION = 2
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

_SIZE_FIELDS = re.compile(r",S=(\d+)(?:,W=(\d+))?")
_VSIZE_FIELD = re.compile(r",W=(\d+)")
HEADER_FIELDS = ("header", "search", "envelope")
STRUCTURE_FIELDS = ("body", "structure")
META_FIELDS = (*HEADER_FIELDS, *STRUCTURE_FIELDS, "vsize")


class QuotaExceeded(Exception):
    pass


class FolderError(Exception):
    """A folder operation that cannot be done (no such folder, exists, not allowed)."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code  # an IMAP response code: NONEXISTENT, ALREADYEXISTS, CANNOT...


log = logging.getLogger("mailroom.store")

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
    body: bytes | None  # None: not parsed yet, done when a client first asks
    structure: bytes | None
    vsize: int


@dataclass
class _Arrival:
    """A delivered file in tmp/, waiting for the group commit that indexes it."""

    folder: str
    base: str
    size: int
    entry: Entry
    done: threading.Event = field(default_factory=threading.Event)
    error: OSError | None = None


_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(?<=\?=)[ \t]+(?==\?)")
_Q_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")


def _decode_word(m: re.Match[str]) -> str:
    charset, kind, text = m.group(1), m.group(2), m.group(3)
    try:
        if kind in "bB":
            raw = base64.b64decode(text + "=" * (-len(text) % 4))
        else:
            raw = _Q_ESCAPE.sub(lambda e: bytes([int(e.group(1), 16)]),
                                text.replace("_", " ").encode("ascii"))
        return raw.decode(charset, "replace")
    except (LookupError, ValueError, binascii.Error, UnicodeError):
        return m.group(0)  # a broken word: search its raw text


def _decode_words(text: str) -> str:
    """RFC 2047 encoded words decoded (for SEARCH); broken words are left as they are."""
    if "?= " in text or "?=\t" in text:
        text = _BETWEEN_WORDS.sub("", text)
    return _ENCODED_WORD.sub(_decode_word, text)


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


def arrival_entry(data: bytes) -> Entry:
    """What delivery indexes: the header fields and sizes, not the MIME structure.

    Parsing every body part at delivery was half of the delivery thread's
    time; BODY and BODYSTRUCTURE are filled in when a client first asks
    (as Dovecot's cache does), and many messages are never asked for them.
    """
    header_end, _ = split_header(data)
    block, search, env = header_entry(data[:header_end])
    return Entry(header=block, search=search, envelope=env, body=None, structure=None,
                 vsize=crlf_size(data))


_FOLD = re.compile(r"\n[ \t]+")  # header blocks here have LF line ends


def header_entry(block: bytes) -> tuple[bytes, str, bytes]:
    """(header, search, envelope) from a header block alone: what FETCH ENVELOPE and
    header SEARCH need, without reading the rest of the file.

    The search text is the header block unfolded, encoded words decoded and
    case-folded: one ``name: value`` line per field (as written, so the space
    after the colon may or may not be there), which SEARCH HEADER matches.
    """
    text = block.decode("utf-8", "replace")
    if "\n " in text or "\n\t" in text:
        text = _FOLD.sub(" ", text)
    if "=?" in text:
        text = _decode_words(text)
    return block, text.casefold(), envelope_of_block(block)


def _read_header(path: Path | str, dir_fd: int | None = None) -> bytes:
    """The header block of a message file (LF line ends), reading as little as it can."""
    fd = os.open(path, os.O_RDONLY, dir_fd=dir_fd)
    try:
        data = os.read(fd, 4096)
        while True:
            if data.startswith(b"\n") or data.startswith(b"\r\n"):
                return b""
            end = data.find(b"\n\n")
            end_crlf = data.find(b"\n\r\n")
            if end_crlf >= 0 and (end < 0 or end_crlf < end):
                end = end_crlf
            if end >= 0:
                data = data[: end + 1]
                break
            more = os.read(fd, 65536)
            if not more:
                break
            data += more
    finally:
        os.close(fd)
    return _to_lf(data)


def _to_lf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n") if b"\r" in data else data


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


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
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


def _insert_rows(db: sqlite3.Connection, fid: int, modseq: int,
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
        # Deliveries waiting to be indexed, and whether a thread is doing it.
        self._arrivals: list[_Arrival] = []
        self._arrivals_lock = threading.Lock()
        self._indexing = False

    # -- plumbing ----------------------------------------------------------

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self.ensure()
            db = sqlite3.connect(
                self.path / INDEX_FILE, isolation_level=None, check_same_thread=False, timeout=30
            )
            # Rows carry header blobs of a few KB: big pages keep them inline and
            # make the first FETCH of envelopes (an UPDATE per message) a third faster.
            db.execute("PRAGMA page_size=16384")
            db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a process crash; a power cut may lose
            # the last flag changes, never a message (those are fsynced files).
            db.execute("PRAGMA synchronous=NORMAL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version != _SCHEMA_VERSION and db.execute(
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
            db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
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
              move_new: bool = False) -> list[tuple[int, str]] | None:
        """Bring the index of ``name`` in line with its directory (first sight, outside changes).

        Returns every (uid, flags) of the folder, in UID order, when it indexed the
        folder from scratch (saves reading them back); otherwise None.
        """
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
                return None
            if not db.execute(
                "SELECT 1 FROM message WHERE folder=? AND name LIKE 'new/%' LIMIT 1", (fid,)
            ).fetchone():
                return None
        on_disk: dict[str, str] = {}
        listed_new = False
        for sub in ("new/", "cur/"):  # a name in both: cur/ wins
            entries = [e for e in os.listdir(folder_dir / sub) if e[:1] != "."]
            listed_new = listed_new or (sub == "new/" and bool(entries))
            # base name: the part before ":2," (Maildir's info), as md.split_name
            on_disk.update(zip([e.partition(":2,")[0] for e in entries],
                               [sub + e for e in entries], strict=True))
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
        new_rows: list[tuple] = []
        first_rows: list[tuple[int, str]] = []
        fresh_files = [(b, on_disk[b]) for b in sorted(
            on_disk if not indexed else (b for b in on_disk if b not in indexed))]
        added: list[tuple[int, str]] = []
        if fresh_files:
            taken = {r[0] for r in db.execute("SELECT uid FROM message WHERE folder=?", (fid,))}
            known: dict[str, int] = {}
            if not taken and tuple(stored) == (0, 0):
                # First sight of a folder Dovecot (or an older index) has seen:
                # keep the UIDs its clients already know.
                imported = md.read_uidlist(folder_dir)
                known = imported[2] if imported else {}
            flag_cache: dict[str, str] = {}
            sizes = _SIZE_FIELDS.search
            bases = [b for b, _ in fresh_files]
            # "<unique>,S=<size>,W=<crlf size>": split with str methods, list by list.
            tails = [b.rpartition(",S=")[2].partition(",W=") for b in bases]
            size_texts = [t[0] for t in tails]
            vsize_texts = [t[2] for t in tails]
            if (not known and not taken and all(map(str.isdecimal, size_texts))
                    and all(map(str.isdecimal, vsize_texts))):
                # A folder never indexed, both sizes in every file name (the usual
                # first sight of a big mailbox): the rows are built list by list.
                names = [n for _, n in fresh_files]
                uid_range = range(uidnext, uidnext + len(names))
                letters = [n.partition(":2,")[2] for n in names]
                for key in set(letters):
                    flag_cache[key] = " ".join(md.flags_from_name(key, keywords))
                flag_texts = list(map(flag_cache.__getitem__, letters))
                new_rows = list(zip(
                    uid_range, bases, names, flag_texts,
                    list(map(int, size_texts)), list(map(int, vsize_texts)),
                    strict=True,
                ))
                added = list(zip(uid_range, bases, strict=True))
                first_rows = list(zip(uid_range, flag_texts, strict=True))
                uidnext += len(names)
                fresh_files = []
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
                m = sizes(base)
                if m:
                    size = int(m.group(1))
                    w = m.group(2) or (v.group(1) if (v := _VSIZE_FIELD.search(base)) else None)
                    vsize = int(w) if w else None
                else:
                    try:
                        size = os.stat(folder_dir / fname).st_size
                    except FileNotFoundError:
                        continue
                    m = _VSIZE_FIELD.search(base)
                    vsize = int(m.group(1)) if m else None
                colon = fname.find(":2,")
                letters = fname[colon + 3 :] if colon >= 0 else ""
                flags = flag_cache.get(letters)
                if flags is None:
                    flags = flag_cache[letters] = " ".join(md.flags_from_name(letters, keywords))
                new_rows.append((uid, base, fname, flags, size, vsize))
                added.append((uid, base))
            _insert_rows(db, fid, modseq, new_rows)
        if move_new and listed_new:
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
        first_sight: list[tuple[int, str]] | None = None
        if added and not indexed and not gone:
            first_sight = first_rows or sorted(r[0:4:3] for r in new_rows)
        if gone or added:
            # This folder's usage is now in the index; only the others are walked.
            if first_sight is not None:
                total, count = sum(r[4] for r in new_rows), len(new_rows)
            else:
                total, count = db.execute(
                    "SELECT coalesce(sum(size), 0), count(*) FROM message WHERE folder=?", (fid,)
                ).fetchone()
            self._recalculate({folder_dir: (total, count)})
        return first_sight

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
            with _no_gc():  # tens of thousands of short-lived tuples, no cycles
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
                with _no_gc():
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
        heads, sized, fulls = [], [], []
        dir_fd = os.open(folder_dir, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for uid, fname, need_head, need_full in missing:
                try:
                    if need_full and (full or need_head):
                        with open(folder_dir / fname, "rb") as f:
                            e = index_entry(_to_lf(f.read()))
                        fulls.append((e.header, e.search, e.envelope, e.body, e.structure,
                                      e.vsize, fid, uid))
                    elif need_full:  # only the CRLF size is missing: no parsing
                        with open(folder_dir / fname, "rb") as f:
                            sized.append((crlf_size(f.read()), fid, uid))
                    elif need_head:
                        heads.append((*header_entry(_read_header(fname, dir_fd)), fid, uid))
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
            data = delivery_header(return_path, self.address) + _to_lf(message)
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

    def _recalculate(self, known: dict[Path, tuple[int, int]] | None = None) -> tuple[int, int]:
        """Rewrite ``maildirsize`` from the folders (``known``: usage already counted)."""
        total = count = 0
        base = self.path
        if base.is_dir():
            # Only directories: the home also holds dot-files (Sieve's .dovecot.sieve link).
            for folder in [base, *(p for p in base.iterdir()
                                   if p.name.startswith(".") and p.is_dir())]:
                if known and folder in known:
                    t, c = known[folder]
                else:
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
