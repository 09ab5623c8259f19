"""One account's mailboxes: folders, the message index, flags, quota usage.

``Account`` is the object delivery, POP3 and IMAP hold for an account. Its
work is split by concern, the way Dovecot keeps index, sync and storage
apart; each part is a mixin in its own module:

- ``appliance.store.index``: the SQLite index file (why it exists, its
  schema, transactions), folder state, changes since a modseq, STATUS;
- ``appliance.store.scan``: bringing the index in line with the directory
  (first sight of a folder, changes made by others);
- ``appliance.store.messages``: metadata filled lazily, reading a message,
  flags, expunge;
- ``appliance.store.folders``: the Maildir++ layout, create/delete/rename,
  subscriptions, special-use names;
- ``appliance.store.delivery``: delivery (group-committed), APPEND, COPY, MOVE;
- ``appliance.store.quota``: usage in Maildir++ ``maildirsize``;
- ``appliance.store.entry``: what the index keeps about one message.

This module keeps the names other packages import from it.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path

from appliance.store.delivery import DeliveryMixin, _Arrival, delivery_header, stored_size
from appliance.store.entry import Entry, arrival_entry, header_entry, index_entry
from appliance.store.folders import DEFAULT_FOLDERS, SPECIAL_USE, FolderError, FolderMixin
from appliance.store.index import INDEX_FILE, Changes, FolderState, IndexMixin
from appliance.store.messages import MessagesMixin
from appliance.store.quota import QuotaExceeded, QuotaMixin
from appliance.store.scan import ScanMixin

__all__ = [
    "Account",
    "Changes",
    "DEFAULT_FOLDERS",
    "Entry",
    "FolderError",
    "FolderState",
    "INDEX_FILE",
    "QuotaExceeded",
    "SPECIAL_USE",
    "arrival_entry",
    "delivery_header",
    "header_entry",
    "index_entry",
    "stored_size",
]


class Account(IndexMixin, ScanMixin, MessagesMixin, FolderMixin, DeliveryMixin, QuotaMixin):
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
        self._db = None
        self._keywords: dict[str, list[str]] = {}
        # Deliveries waiting to be indexed, and whether a thread is doing it.
        self._arrivals: list[_Arrival] = []
        self._arrivals_lock = threading.Lock()
        self._indexing = False
        # Background moves from new/ to cur/ (see ScanMixin._move_new_soon).
        self._tidy_lock = threading.Lock()
        self._tidy_pending: set[str] = set()
        self._tidy_jobs: list[Future[None]] = []
