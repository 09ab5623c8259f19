"""An account's folders: the Maildir++ layout, create/delete/rename, subscriptions.

Folders are ``.Name`` directories beside the INBOX's ``new/``, ``cur/`` and
``tmp/`` (``Work/Projekt`` is ``.Work.Projekt``, names in modified UTF-7, see
``appliance.store.names``); subscriptions live in Dovecot's ``subscriptions``
file, one modified-UTF-7 name a line. A renamed folder is a new mailbox to
clients (a fresh UIDVALIDITY), as in Dovecot.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from appliance.store import maildir as md
from appliance.store.names import (
    SEPARATOR,
    BadFolderName,
    decode_mutf7,
    encode_mutf7,
    folder_dirname,
    folder_from_dirname,
    normalize_folder,
)

__all__ = [
    "DEFAULT_FOLDERS",
    "SPECIAL_USE",
    "FolderError",
    "FolderMixin",
    "make_folder_dir",
    "read_subscriptions",
    "write_subscriptions",
]

SPECIAL_USE = {
    "Sent": "\\Sent",
    "Drafts": "\\Drafts",
    "Trash": "\\Trash",
    "Junk": "\\Junk",
    "Archive": "\\Archive",
}
DEFAULT_FOLDERS = tuple(SPECIAL_USE)


class FolderError(Exception):
    """A folder operation that cannot be done (no such folder, exists, not allowed)."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code  # an IMAP response code: NONEXISTENT, ALREADYEXISTS, CANNOT...


def make_folder_dir(home: Path, name: str) -> Path:
    """Create folder ``name``'s directories (no error if they exist)."""
    folder_dir = home / folder_dirname(name)
    for sub in ("tmp", "new", "cur"):
        (folder_dir / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
    if name != "INBOX":
        (folder_dir / "maildirfolder").touch()
    return folder_dir


def list_folders(home: Path) -> list[str]:
    """Every folder under ``home``, INBOX first, the rest sorted."""
    names = []
    with os.scandir(home) as it:
        for entry in it:
            if entry.name.startswith(".") and entry.is_dir():
                name = folder_from_dirname(entry.name)
                if name and name != "INBOX" and (Path(entry.path) / "cur").is_dir():
                    names.append(name)
    return ["INBOX", *sorted(names)]


def read_subscriptions(home: Path) -> set[str]:
    """The subscribed folder names; lines that are no valid folder name are skipped."""
    try:
        text = (home / "subscriptions").read_text("utf-8")
    except FileNotFoundError:
        return set()
    out: set[str] = set()
    for line in text.splitlines():
        with contextlib.suppress(BadFolderName):
            if line.strip():
                out.add(normalize_folder(decode_mutf7(line.strip())))
    return out


def write_subscriptions(home: Path, subs: set[str]) -> None:
    tmp = home / f"subscriptions.{os.getpid()}.tmp"
    tmp.write_text("".join(encode_mutf7(s) + "\n" for s in sorted(subs)), "utf-8")
    os.replace(tmp, home / "subscriptions")


def renamed_subscriptions(subs: set[str], old: str, new: str) -> set[str] | None:
    """``subs`` after renaming ``old`` (and its children) to ``new``; None if none moved."""
    def moved(s: str) -> bool:
        return s == old or s.startswith(old + SEPARATOR)

    renamed = {new + s[len(old):] for s in subs if moved(s)}
    if not renamed:
        return None
    return {s for s in subs if not moved(s)} | renamed


class FolderMixin:
    """Folder operations of ``Account``."""

    path: Path
    lock: threading.RLock
    _keywords: dict[str, list[str]]
    _write: Callable[[], contextlib.AbstractContextManager[sqlite3.Connection]]
    _dir_usage: Callable[[Path], tuple[int, int]]
    _add_usage: Callable[[int, int], None]

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
                make_folder_dir(base, name)
            write_subscriptions(base, set(DEFAULT_FOLDERS) | {"INBOX"})
        return base

    def _make_folder_dir(self, name: str) -> Path:
        return make_folder_dir(self.path, name)

    def folder_dir(self, name: str) -> Path:
        return self.path / folder_dirname(normalize_folder(name))

    def folders(self) -> list[str]:
        """Every folder of the account, INBOX first, the rest sorted."""
        self.ensure()
        return list_folders(self.path)

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
                    make_folder_dir(self.path, parent)
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
            _drop_folder_rows(db, name)
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
                _drop_folder_rows(db, src)
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path / folder_dirname(dst) / "dovecot-uidlist")
                self._keywords.pop(src, None)
        subs = renamed_subscriptions(self.subscriptions(), old, new)
        if subs is not None:
            self._write_subscriptions(subs)

    def subscriptions(self) -> set[str]:
        return read_subscriptions(self.path)

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
        write_subscriptions(self.path, subs)

    def _folder_keywords(self, name: str) -> list[str]:
        """The folder's keyword list (``dovecot-keywords``), read once and kept."""
        kw = self._keywords.get(name)
        if kw is None:
            kw = self._keywords[name] = md.read_keywords(self.path / folder_dirname(name))
        return kw


def _drop_folder_rows(db: sqlite3.Connection, name: str) -> None:
    row = db.execute("SELECT id FROM folder WHERE name=?", (name,)).fetchone()
    if row:
        for table in ("message", "expunged"):
            db.execute(f"DELETE FROM {table} WHERE folder=?", (row[0],))
        db.execute("DELETE FROM folder WHERE id=?", (row[0],))

