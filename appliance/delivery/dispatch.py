"""Remote delivery for the queue manager: group by destination, limit connections.

One queue file's outside recipients are grouped by domain; each group is one
SMTP conversation through ``appliance.delivery.remote.deliver``. Parallel
conversations are capped per destination and in total, as Postfix's
``default_destination_concurrency_limit`` and process limit do.

Connections are reused: after a good transaction the connection stays open
for a few seconds (``ConnectionCache``) and the next message to the same host
goes through it. An idle connection counts toward no limit; ``close()``
hangs them all up when the daemon stops.

With ``sign``, each message is DKIM-signed here, at the queue's exit, in a
thread of its own (``SigningThread``): once per attempt, on the unsigned
queue copy, so a retry carries one signature, never two.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable

from appliance.delivery.connections import ConnectionCache
from appliance.delivery.remote import RecipientResult, RemoteConfig, deliver
from appliance.delivery.signing import SigningThread
from appliance.logs import get_logger
from appliance.queue.spool import Envelope

__all__ = ["RemoteDispatcher"]

log = get_logger("smtp")


class RemoteDispatcher:
    def __init__(
        self,
        config: Callable[[], RemoteConfig],
        *,
        max_total: int = 50,
        max_per_destination: int = 10,
        connections: ConnectionCache | None = None,
        sign: Callable[[bytes], bytes] | None = None,
        sign_in_thread: bool = True,
    ) -> None:
        self.config = config
        self.sign = sign
        # In the daemon signing has a thread, off the loop that answers SMTP
        # clients; the delivery process (appliance.delivery.worker) has no
        # such loop to keep free and signs inline, without the thread hops.
        self._signer = SigningThread(sign) if sign is not None and sign_in_thread else None
        self._turn = asyncio.Lock()  # inline signing: one signature per loop turn
        self.connections = connections if connections is not None else ConnectionCache()
        self.max_per_destination = max_per_destination
        self._total = asyncio.Semaphore(max_total)
        self._per_destination: dict[str, asyncio.Semaphore] = {}
        self.active: dict[str, int] = defaultdict(int)  # connections now open, by domain

    async def close(self) -> None:
        """Close the idle cached connections (QUIT); call when the daemon stops."""
        await self.connections.close()
        if self._signer is not None:
            self._signer.close()

    def _slot(self, destination: str) -> asyncio.Semaphore:
        sem = self._per_destination.get(destination)
        if sem is None:
            sem = self._per_destination[destination] = asyncio.Semaphore(self.max_per_destination)
        return sem

    async def __call__(
        self, env: Envelope, message: bytes, recipients: list[str]
    ) -> list[RecipientResult]:
        groups: dict[str, list[str]] = defaultdict(list)
        for rcpt in recipients:
            groups[rcpt.rpartition("@")[2].lower()].append(rcpt)
        config = self.config()
        if self.sign is not None:
            message = await self._signed(env, message)
        if len(groups) == 1:  # the usual case: no task for gather() to make
            ((domain, rcpts),) = groups.items()
            return await self._one(env, message, domain, rcpts, config)
        results = await asyncio.gather(
            *(self._one(env, message, domain, rcpts, config) for domain, rcpts in groups.items())
        )
        return [r for group in results for r in group]

    async def _signed(self, env: Envelope, message: bytes) -> bytes:
        assert self.sign is not None
        try:
            if self._signer is None:
                # Jobs come in batches (frames gathered for 2 ms); signed all
                # at once (~0.7 ms each) they held every connection's next
                # reply behind them. One per loop turn lets the replies that
                # came meanwhile through between signatures.
                async with self._turn:
                    await asyncio.sleep(0)
                    return self.sign(message)
            return await self._signer.submit(message)
        except Exception as exc:
            # A broken key must not hold the mail back: it goes out unsigned
            # and the log says why.
            log.error("%s: DKIM signing failed, sending unsigned: %s", env.id, exc)
            return message

    async def _one(
        self, env: Envelope, message: bytes, domain: str, rcpts: list[str], config: RemoteConfig
    ) -> list[RecipientResult]:
        # With a smarthost every domain is one destination: the relay host.
        destination = config.smarthost.host if config.smarthost else domain
        async with self._total, self._slot(destination):
            self.active[destination] += 1
            try:
                return await deliver(
                    domain=domain, sender=env.sender, recipients=rcpts, message=message,
                    config=config, log=lambda line: log.info("%s: %s", env.id, line),
                    connections=self.connections, arrival=env.arrival,
                )
            finally:
                self.active[destination] -= 1
                if not self.active[destination]:
                    del self.active[destination]
