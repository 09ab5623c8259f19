"""Idle SMTP connections kept open for the next message to the same place.

Postfix's smtp(8) hands a connection to scache(8) after a good transaction
and the next delivery to the same destination picks it up: one TCP and
TLS handshake, one greeting and one EHLO serve many messages. This is the
same idea for remote delivery: :meth:`ConnectionCache.put` parks a
connection with no transaction open, :meth:`ConnectionCache.take` hands it
out again (the caller starts with MAIL; if the far side has hung up
meanwhile, that fails before any message data went out). An idle
connection is closed after ``idle_timeout`` seconds, after ``max_uses``
transactions or ``max_age`` seconds of life, whichever comes first.

Idle connections count toward no concurrency limit: only deliveries in
progress do, and those are counted by the dispatcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import aiosmtplib

__all__ = ["CachedConnection", "ConnectionCache"]

IDLE_TIMEOUT = 5.0  # Postfix: smtp_connection_cache_time_limit = 2s
MAX_USES = 100  # Postfix: smtp_connection_reuse_count_limit (0 = no limit there)
MAX_AGE = 300.0  # Postfix: smtp_connection_reuse_time_limit = 300s
MAX_IDLE_PER_KEY = 20
MAX_IDLE = 100
NOTE_INTERVAL = 3600.0  # repeated notices about one host: once an hour


@dataclass(eq=False)
class CachedConnection:
    client: aiosmtplib.SMTP
    born: float = field(default_factory=time.monotonic)
    uses: int = 0  # transactions finished on this connection
    timer: asyncio.TimerHandle | None = None


async def _hang_up(client: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(Exception):
        if client.is_connected:
            await client.quit(timeout=2)
    client.close()


class ConnectionCache:
    def __init__(
        self,
        *,
        idle_timeout: float = IDLE_TIMEOUT,
        max_uses: int = MAX_USES,
        max_age: float = MAX_AGE,
        max_idle_per_key: int = MAX_IDLE_PER_KEY,
        max_idle: int = MAX_IDLE,
        note_interval: float = NOTE_INTERVAL,
    ) -> None:
        self.idle_timeout = idle_timeout
        self.max_uses = max_uses
        self.max_age = max_age
        self.max_idle_per_key = max_idle_per_key
        self.max_idle = max_idle
        self.note_interval = note_interval
        self.closed = False
        self.reused = 0  # connections handed out again, for tests and status
        self._idle: dict[Hashable, list[CachedConnection]] = {}
        self._count = 0
        self._closers: set[asyncio.Task[None]] = set()
        self._notes: dict[Hashable, float] = {}

    def __len__(self) -> int:
        """Idle connections now kept."""
        return self._count

    def take(self, key: Hashable) -> CachedConnection | None:
        """An idle connection for ``key``, or None; it is the caller's until put back."""
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            conn = idle.pop()  # the most recently used is the likeliest to be alive
            self._count -= 1
            if not idle:
                del self._idle[key]
            if conn.client.is_connected and now - conn.born < self.max_age:
                self._stop_timer(conn)
                self.reused += 1
                return conn
            self._discard(conn)
            idle = self._idle.get(key)
        return None

    def put(self, key: Hashable, conn: CachedConnection) -> None:
        """Keep ``conn`` idle for the next delivery to ``key``, or close it."""
        if (
            self.closed
            or self.idle_timeout <= 0
            or conn.uses >= self.max_uses
            or time.monotonic() - conn.born >= self.max_age
            or not conn.client.is_connected
        ):
            self._discard(conn)
            return
        idle = self._idle.setdefault(key, [])
        idle.append(conn)
        self._count += 1
        conn.timer = asyncio.get_running_loop().call_later(
            self.idle_timeout, self._expire, key, conn
        )
        if len(idle) > self.max_idle_per_key:
            self._remove(key, idle[0])
        while self._count > self.max_idle:
            oldest_key = next(iter(self._idle))
            self._remove(oldest_key, self._idle[oldest_key][0])

    def _remove(self, key: Hashable, conn: CachedConnection) -> None:
        idle = self._idle.get(key)
        if idle is None or conn not in idle:
            return
        idle.remove(conn)
        self._count -= 1
        if not idle:
            del self._idle[key]
        self._discard(conn)

    def _expire(self, key: Hashable, conn: CachedConnection) -> None:
        conn.timer = None
        self._remove(key, conn)

    def _stop_timer(self, conn: CachedConnection) -> None:
        if conn.timer is not None:
            conn.timer.cancel()
            conn.timer = None

    def _discard(self, conn: CachedConnection) -> None:
        self._stop_timer(conn)
        if not conn.client.is_connected:
            conn.client.close()
            return
        task = asyncio.get_running_loop().create_task(_hang_up(conn.client))
        self._closers.add(task)
        task.add_done_callback(self._closers.discard)

    async def close(self) -> None:
        """Say QUIT on every idle connection and keep no more (daemon stop)."""
        self.closed = True
        idle, self._idle, self._count = self._idle, {}, 0
        for conns in idle.values():
            for conn in conns:
                self._discard(conn)
        if self._closers:
            await asyncio.gather(*list(self._closers), return_exceptions=True)

    def first_notice(self, key: Hashable) -> bool:
        """True if nothing was said about ``key`` within the last ``note_interval``."""
        now = time.monotonic()
        last = self._notes.get(key)
        if last is not None and now - last < self.note_interval:
            return False
        if len(self._notes) >= 10_000:
            self._notes = {k: t for k, t in self._notes.items() if now - t < self.note_interval}
        self._notes[key] = now
        return True
