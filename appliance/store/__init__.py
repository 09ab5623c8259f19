"""Mailbox storage: one Maildir per account, Dovecot-compatible, with an index.

Layout: ``DATA/mail/<domain>/<local>/`` with ``new/``, ``cur/``, ``tmp/`` and
Maildir++ sub-folders (``.Sent``, ``.Trash``...). File names follow Dovecot
(``<sec>.M<usec>P<pid>Q<n>.<host>,S=<size>,W=<crlf size>[:2,<flags>]``), UIDs
are mirrored in each folder's ``dovecot-uidlist``, keywords in
``dovecot-keywords``, subscriptions in ``subscriptions`` and usage in a
Maildir++ ``maildirsize`` file, so an office that outgrows Mailroom can point
Dovecot (with ``separator = /``) at the same directory.

``Mailstore`` is the entry point shared by local delivery, POP3 and IMAP;
``Mailstore.account(address)`` gives the ``Account`` object that does the
per-folder work (see ``appliance.store.account`` for its parts, ``appliance.store.index``
for the index and locking).
Change notification: ``watch(address, callback)`` calls ``callback(folder)``
from whichever thread made the change; IMAP sessions hop to their event
loop with ``loop.call_soon_threadsafe``.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from appliance.durable import DirectorySync
from appliance.store.account import (
    DEFAULT_FOLDERS,
    SPECIAL_USE,
    Account,
    Changes,
    FolderError,
    FolderState,
    QuotaExceeded,
)
from appliance.store.names import BadFolderName

__all__ = [
    "KEEP_ACCOUNTS",
    "Account",
    "BadFolderName",
    "Changes",
    "DEFAULT_FOLDERS",
    "Delivered",
    "FolderError",
    "FolderState",
    "Mailstore",
    "QuotaExceeded",
    "SPECIAL_USE",
]


KEEP_ACCOUNTS = 16  # accounts kept open when nobody holds them: the last ones used


@dataclass(frozen=True)
class Delivered:
    path: Path
    size: int


class Mailstore:
    """Maildir access for delivery, POP3 and IMAP; thread-safe."""

    def __init__(self, root: Path, hostname: str, dirsync: DirectorySync | None = None) -> None:
        self.root = root
        self.hostname = hostname.replace("/", "\\057").replace(":", "\\072")
        self._dirsync = dirsync or DirectorySync()
        self._counter = itertools.count(1)  # shared: unique names across accounts
        self._lock = threading.Lock()
        # An Account (and its index connection and page cache) lives while someone
        # holds it (a session, a delivery) or while it is among the last few used;
        # an office's other accounts cost nothing between their sessions.
        self._accounts: weakref.WeakValueDictionary[str, Account] = (
            weakref.WeakValueDictionary())
        self._recent: OrderedDict[str, Account] = OrderedDict()
        self._listeners: list[Callable[[str], None]] = []
        self._watchers: dict[str, list[Callable[[str], None]]] = {}

    # -- layout -----------------------------------------------------------

    def maildir(self, address: str) -> Path:
        local, _, domain = address.lower().rpartition("@")
        for part in (local, domain):
            if not part or "/" in part or "\\" in part or part.startswith(".") or "\0" in part:
                raise ValueError(f"unsafe mailbox name {address!r}")
        return self.root / domain / local

    def account(self, address: str) -> Account:
        """The ``Account`` for ``address`` (one object per account per process)."""
        key = address.lower()
        with self._lock:
            acct = self._accounts.get(key)
            if acct is None:
                acct = self._accounts[key] = Account(
                    self.maildir(key),
                    key,
                    self.hostname,
                    self._notify,
                    self._dirsync.sync,
                    self._counter,
                )
            self._recent[key] = acct
            self._recent.move_to_end(key)
            if len(self._recent) > KEEP_ACCOUNTS:
                self._recent.popitem(last=False)
        return acct

    def ensure(self, address: str) -> Path:
        return self.account(address).ensure()

    def close(self) -> None:
        with self._lock:
            accounts = list(self._accounts.values())
        for acct in accounts:
            acct.close()

    # -- change notification ----------------------------------------------

    def subscribe(self, callback: Callable[[str], None]) -> None:
        """``callback(address)`` runs (in the delivering thread) after each delivery."""
        self._listeners.append(callback)

    def watch(self, address: str, callback: Callable[[str], None]) -> Callable[[], None]:
        """``callback(folder)`` after any change to ``address``'s mailboxes; returns an
        unwatch function. Runs in the thread that made the change: keep it short."""
        key = address.lower()
        with self._lock:
            self._watchers.setdefault(key, []).append(callback)

        def unwatch() -> None:
            with self._lock:
                lst = self._watchers.get(key, [])
                if callback in lst:
                    lst.remove(callback)

        return unwatch

    def _notify(self, address: str, folder: str) -> None:
        with self._lock:
            callbacks = list(self._watchers.get(address, ()))
        for callback in callbacks:
            # A broken watcher must not fail a delivery.
            with contextlib.suppress(Exception):
                callback(folder)

    # -- quota ------------------------------------------------------------

    def usage(self, address: str) -> tuple[int, int]:
        """(bytes, messages) in the account, from ``maildirsize`` (recomputed if missing)."""
        acct = self.account(address)
        if not acct.path.is_dir():
            return 0, 0
        return acct.usage()

    # -- delivery ---------------------------------------------------------

    def deliver(
        self,
        address: str,
        message: bytes,
        *,
        return_path: str,
        quota_bytes: int = 0,
        folder: str | None = None,
    ) -> Delivered:
        """Store one message durably in the account's Maildir (blocking).

        ``message`` may use CRLF or LF line ends; the Maildir copy uses LF,
        as Dovecot's does. The message is indexed (UID, envelope, structure)
        before this returns, and IMAP sessions watching the folder are told.
        Raises ``QuotaExceeded`` when ``quota_bytes`` is set and the message
        would pass it.
        """
        result = self.deliver_many(
            address, [(message, return_path)], quota_bytes=quota_bytes, folder=folder
        )[0]
        if isinstance(result, Exception):
            raise result
        return result

    def deliver_many(
        self,
        address: str,
        messages: list[tuple[bytes, str]],
        *,
        quota_bytes: int = 0,
        folder: str | None = None,
    ) -> list[Delivered | Exception]:
        """Store several (message, return path) pairs for one account, as ``deliver`` does.

        One result per message: ``Delivered``, or the ``QuotaExceeded`` or
        ``OSError`` that kept it out. Together they cost one index commit
        and one directory fsync, and their file writes overlap.
        """
        results = self.account(address).deliver_many(
            messages, quota_bytes=quota_bytes, folder=folder
        )
        if any(not isinstance(r, Exception) for r in results):
            for callback in self._listeners:
                callback(address)
        return [r if isinstance(r, Exception) else Delivered(*r) for r in results]
