"""The queue's intake: one thread that writes new queue files, in batches.

An SMTP session hands over a finished message and waits until its queue
file is on disk before it answers 250. One thread takes every message that
is waiting, writes them together (``Spool.enqueue_many``: the write-backs
overlap, one fsync of ``active/`` covers the renames) and wakes the event
loop once for the whole batch. A thread per session did the same work, but
on a busy daemon those threads mostly handed the GIL to each other: some
thirty context switches per message, more CPU than the writing itself.

After the batch is settled, each message's ``then`` runs on this thread
(the queue manager takes it on from there). The queue manager also hands
this thread its removals of delivered files (``call``).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import TypeVar

from appliance.logs import get_logger
from appliance.queue.spool import Envelope, Spool

__all__ = ["Intake", "take_batch"]

log = get_logger("cleanup")

T = TypeVar("T")
_Write = tuple[Envelope, list[bytes], "asyncio.Future[None]", Callable[[], None]]
# A message to write, or other queue work for this thread (``call``).
_Item = _Write | Callable[[], None]


class Intake:
    BATCH = 64  # messages per batch at most: a bound on the first one's wait

    def __init__(self, spool: Spool) -> None:
        self.spool = spool
        self._items: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="mailroom-intake", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Write what was handed over, then end the thread."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._items.put(None)
            await asyncio.get_running_loop().run_in_executor(None, thread.join)

    def enqueue(
        self, envelope: Envelope, chunks: list[bytes], then: Callable[[], None]
    ) -> asyncio.Future[None]:
        """Queue a message for writing (on the event loop).

        The future is done once the file is in ``active/`` (or fails with
        the ``OSError`` that kept it out); ``then`` runs afterwards, on the
        intake thread, for a message that made it.
        """
        assert self._loop is not None and self._thread is not None, "intake not started"
        written = self._loop.create_future()
        self._items.put((envelope, chunks, written, then))
        return written

    def call(self, work: Callable[[], None]) -> bool:
        """Run ``work`` on this thread after the writes waiting before it (on the event loop).

        For the queue's own file work (removing delivered files): this
        thread is awake anyway while mail comes in, where a thread pool's
        would have to be woken for each batch. False when the thread is not
        running (the caller does the work itself).
        """
        if self._thread is None:
            return False
        self._items.put(work)
        return True

    def _run(self) -> None:
        while True:
            items, stopping = take_batch(self._items, self.BATCH)
            writes: list[_Write] = []
            calls: list[Callable[[], None]] = []
            for item in items:
                (writes if isinstance(item, tuple) else calls).append(item)  # type: ignore[arg-type]
            if writes:
                self._write(writes)
            for work in calls:
                try:
                    work()
                except Exception:
                    log.exception("queue work on the intake thread failed")
            if stopping:
                return

    def _write(self, items: list[_Write]) -> None:
        results: list[BaseException | None]
        try:
            results = [*self.spool.enqueue_many([(env, chunks) for env, chunks, _, _ in items])]
        except Exception as exc:  # a bug, not a disk error: fail the batch, keep the thread
            log.exception("%s: cannot write queue files", ", ".join(e.id or "?" for e, *_ in items))
            results = [exc] * len(items)
        assert self._loop is not None
        settled = [(written, error) for (_, _, written, _), error in zip(items, results,
                                                                         strict=True)]
        try:
            self._loop.call_soon_threadsafe(_settle, settled)
        except RuntimeError:
            return  # the loop is closed: nobody is waiting for an answer
        for (_, _, _, then), error in zip(items, results, strict=True):
            if error is None:
                try:
                    then()
                except Exception:
                    log.exception("hand-over of a written queue file failed")


def take_batch(items: queue.SimpleQueue[T | None], limit: int) -> tuple[list[T], bool]:
    """Wait for one item, then take what else is waiting, up to ``limit`` in all.

    None in the queue asks the consumer to stop: then everything still
    queued is taken as well, and the second value is True.
    """
    got = [items.get()]
    stopping = got[0] is None
    while stopping or len(got) < limit:
        try:
            item = items.get_nowait()
        except queue.Empty:
            break
        got.append(item)
        stopping = stopping or item is None
    return [item for item in got if item is not None], stopping


def _settle(settled: list[tuple[asyncio.Future[None], BaseException | None]]) -> None:
    for written, error in settled:
        if written.done():
            continue  # the session went away meanwhile
        if error is None:
            written.set_result(None)
        else:
            written.set_exception(error)
