"""IDLE (RFC 2177): push EXISTS / EXPUNGE / FETCH FLAGS while the client waits.

The store's watch wakes the session (``SessionState.changed``) when this
process changes the account; every ``IDLE_POLL`` seconds it also rescans
the Maildir for changes made from outside (another delivery agent, a
Dovecot on the same Maildir).
"""

from __future__ import annotations

import asyncio
import time

from appliance.imap.state import Bad, Logout, SessionState

__all__ = ["IDLE_POLL", "IdleCommands"]

IDLE_POLL = 15.0  # seconds between checks for changes made outside this process


class IdleCommands(SessionState):
    idle_poll = IDLE_POLL

    async def cmd_idle(self, tag: bytes, args: list) -> None:
        self._need_auth()
        self.send(b"+ idling")
        await self._report_changes("IDLE")
        await self.conn.drain()
        reader = asyncio.ensure_future(self.conn.readline())
        deadline = time.monotonic() + self.server.timeout
        try:
            while True:
                waiter = asyncio.ensure_future(self.changed.wait())
                done, _ = await asyncio.wait({reader, waiter}, timeout=self.idle_poll,
                                             return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                if reader in done:
                    break
                if time.monotonic() > deadline:
                    self.send(b"* BYE idle for too long")
                    await self.conn.drain()
                    raise Logout
                self.changed.clear()
                await self._report_changes("IDLE", rescan=not done)
                await self.conn.drain()
        finally:
            if not reader.done():
                reader.cancel()
        line = reader.result()
        if line.strip().upper() != b"DONE":
            raise Bad("DONE expected")
        await self.ok(tag, "IDLE terminated")
