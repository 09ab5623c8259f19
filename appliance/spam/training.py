"""Junk training: a user moving mail into or out of Junk over IMAP teaches rspamd.

Into Junk (COPY, MOVE or APPEND) is spam, out of Junk into another folder
(not Trash: deleting says nothing) is ham. The IMAP session calls
:meth:`Trainer.moved` once per command and goes on at once; the messages
are read on a worker thread and sent to rspamd's controller in the
background. A failure is logged, never seen by the user.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from appliance.logs import get_logger
from appliance.spam import rspamd

__all__ = ["JUNK", "Trainer", "lesson"]

log = get_logger("spam")

JUNK = "Junk"
MAX_PER_COMMAND = 200  # a user moving a whole folder trains on this many of it


class _Readable(Protocol):
    address: str

    def read(self, name: str, uid: int) -> bytes | None: ...


def lesson(source: str | None, target: str) -> str | None:
    """"spam", "ham" or None for a message going from ``source`` (None: APPEND) to ``target``."""
    if target == JUNK and source != JUNK:
        return "spam"
    if source == JUNK and target not in (JUNK, "Trash"):
        return "ham"
    return None


class Trainer:
    def __init__(self, settings: Callable[[], Mapping[str, Any]]) -> None:
        self.settings = settings
        self._tasks: set[asyncio.Task[None]] = set()

    def moved(self, account: _Readable, source: str | None, target: str,
              uids: list[int]) -> None:
        """Called on the event loop after the command; ``uids`` are in ``target``."""
        kind = lesson(source, target)
        s = self.settings()
        if kind is None or not uids or not s["spam.rspamd_url"]:
            return
        task = asyncio.create_task(self._learn(account, target, uids[:MAX_PER_COMMAND],
                                               kind == "spam", s))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _learn(self, account: _Readable, folder: str, uids: list[int], spam: bool,
                     s: Mapping[str, Any]) -> None:
        url = s["spam.rspamd_controller_url"]
        what = "spam" if spam else "ham"
        for uid in uids:
            data = await asyncio.to_thread(account.read, folder, uid)
            if data is None:
                continue
            try:
                result = await rspamd.learn(url, data, spam=spam,
                                            timeout=float(s["spam.rspamd_timeout"]),
                                            password=s["spam.rspamd_password"])
            except rspamd.RspamdError as exc:
                log.warning("training rspamd with %s (%s, %s uid %d) failed: %s", what,
                            getattr(account, "address", "?"), folder, uid, exc)
                return  # the next ones would fail the same way
            log.info("rspamd %s %s (%s, %s uid %d)", result, what,
                     getattr(account, "address", "?"), folder, uid)

    async def drain(self) -> None:
        """Wait for the lessons under way (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
