"""Where a domain's DKIM keys live: the secrets store, one entry per domain.

Private keys never go to the database, a log line or an API answer; the
secrets file is 0600 and written atomically (see :mod:`appliance.secrets`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from appliance.dkim.keys import KeyRing
from appliance.secrets import SecretStore

__all__ = ["DkimStore", "SECRET_PREFIX"]

SECRET_PREFIX = "dkim:"


class DkimStore:
    def __init__(self, secrets: SecretStore, clock: Callable[[], float] = time.time) -> None:
        self.secrets = secrets
        self.clock = clock
        # Making a key is slow (RSA); one thread makes a domain's first keys,
        # the others wait for them instead of making their own.
        self._lock = threading.Lock()
        self._parsed: dict[str, tuple[str, KeyRing]] = {}

    @staticmethod
    def _name(domain: str) -> str:
        return SECRET_PREFIX + domain.lower()

    def ring(self, domain: str) -> KeyRing:
        raw = self.secrets.get(self._name(domain))
        if raw is None:
            return KeyRing()
        hit = self._parsed.get(domain)
        if hit is not None and hit[0] == raw:
            return hit[1]
        ring = KeyRing.from_json(json.loads(raw))
        self._parsed[domain] = (raw, ring)
        return ring

    def save(self, domain: str, ring: KeyRing) -> None:
        if ring.keys:
            self.secrets.set(self._name(domain), json.dumps(ring.to_json(), sort_keys=True))
        else:
            self.secrets.delete(self._name(domain))

    def domains(self) -> list[str]:
        return sorted(n[len(SECRET_PREFIX):] for n in self.secrets.names()
                      if n.startswith(SECRET_PREFIX))

    def ensure(self, domain: str) -> KeyRing:
        """The domain's keys, made now when it has none that sign."""
        ring = self.ring(domain)
        if ring.signing():
            return ring
        with self._lock:
            ring = self.ring(domain)
            if not ring.signing():
                ring = KeyRing(ring.keys).rotate(self.clock(), now=True)
                self.save(domain, ring)
        return ring

    def rotate(self, domain: str, *, now: bool = False) -> KeyRing:
        with self._lock:
            ring = self.ring(domain).prune(self.clock()).rotate(self.clock(), now=now)
            self.save(domain, ring)
        return ring

    def promote(self, domain: str, selectors: list[str]) -> KeyRing:
        with self._lock:
            ring = self.ring(domain).promote(selectors, self.clock())
            self.save(domain, ring)
        return ring

    def prune(self, domain: str) -> KeyRing:
        with self._lock:
            before = self.ring(domain)
            ring = before.prune(self.clock())
            if ring != before:
                self.save(domain, ring)
        return ring

    def drop(self, domain: str) -> None:
        with self._lock:
            self.secrets.delete(self._name(domain))
