"""One thread that DKIM-signs outgoing messages, answering the event loop in batches.

Signing is mostly Python (header canonicalization and hashing; the RSA step
itself lets go of the GIL), so more threads only fight over the GIL: the
daemon's shared pool had grown to 35 threads under load. One thread takes
the messages in turn. Each result goes back as soon as it is ready, but the
event loop is woken once for all the results that gather while it is busy,
instead of once per message through a concurrent future.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable

__all__ = ["SigningThread"]

_Job = tuple[bytes, "asyncio.Future[bytes]"]


class SigningThread:
    def __init__(self, sign: Callable[[bytes], bytes]) -> None:
        self.sign = sign
        self._worker: _Worker | None = None

    def submit(self, message: bytes) -> asyncio.Future[bytes]:
        """The signed message, later (on the event loop); the thread starts at the first call."""
        loop = asyncio.get_running_loop()
        worker = self._worker
        if worker is None or worker.loop is not loop:  # a new loop (tests) gets its own
            if worker is not None:
                worker.close()
            worker = self._worker = _Worker(self.sign, loop)
        signed: asyncio.Future[bytes] = loop.create_future()
        worker.jobs.put((message, signed))
        return signed

    def close(self) -> None:
        """The thread signs what it was given, then ends."""
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.close()


class _Worker:
    def __init__(self, sign: Callable[[bytes], bytes], loop: asyncio.AbstractEventLoop) -> None:
        self.sign = sign
        self.loop = loop
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._done: list[tuple[asyncio.Future[bytes], bytes | None, BaseException | None]] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._run, name="mailroom-dkim", daemon=True).start()

    def close(self) -> None:
        self.jobs.put(None)

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            message, signed = job
            try:
                result: tuple[bytes | None, BaseException | None] = (self.sign(message), None)
            except Exception as exc:
                result = (None, exc)
            with self._lock:
                self._done.append((signed, *result))
                first = len(self._done) == 1
            if first:
                with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                    self.loop.call_soon_threadsafe(self._settle)

    def _settle(self) -> None:
        with self._lock:
            done, self._done = self._done, []
        for signed, message, error in done:
            if signed.done():
                continue  # the delivery was cancelled meanwhile
            if error is not None:
                signed.set_exception(error)
            else:
                assert message is not None
                signed.set_result(message)
