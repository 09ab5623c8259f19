"""A read-through cache of the directory lookups on the mail path.

Every RCPT and every delivery asks "is this domain ours, does this account
exist, what does this alias expand to". Asking SQLite each time costs a
query and, worse, contention on the store's lock with the delivery threads.
The cache answers from memory; the daemon clears it after every change made
through the control API, and entries expire after ``ttl`` seconds so that a
change made behind the daemon's back still shows up quickly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from appliance.state import Account, State

__all__ = ["DirectoryCache"]

T = TypeVar("T")


class DirectoryCache:
    def __init__(self, state: State, ttl: float = 2.0) -> None:
        self.state = state
        self.ttl = ttl
        self._entries: dict[tuple[str, str], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._entries.clear()

    def _get(self, kind: str, key: str, load: Callable[[], T]) -> T:
        now = time.monotonic()
        hit = self._entries.get((kind, key))
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]  # type: ignore[no-any-return]
        value = load()
        with self._lock:
            if len(self._entries) > 100_000:  # a dictionary attack must not eat memory
                self._entries.clear()
            self._entries[(kind, key)] = (now, value)
        return value

    def is_local_domain(self, domain: str) -> bool:
        key = domain.lower()
        return self._get("domain", key, lambda: self.state.is_local_domain(key))

    def account(self, address: str) -> Account | None:
        key = address.lower()
        return self._get("account", key, lambda: self.state.account(key))

    def alias_targets(self, address: str) -> list[str] | None:
        key = address.lower()
        return self._get("alias", key, lambda: self.state.alias_targets(key))

    def domains(self) -> list[str]:
        return self._get("domains", "", self.state.domains)

    def canonical_domain(self, domain: str) -> str | None:
        key = domain.lower()
        return self._get("canonical", key, lambda: self.state.canonical_domain(key))

    def granted_senders(self, account: str) -> list[str]:
        key = account.lower()
        return self._get("senders", key, lambda: self.state.granted_senders(key))
