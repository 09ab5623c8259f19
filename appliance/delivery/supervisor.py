"""The daemon's side of the outbound delivery process (appliance.delivery.worker).

``DeliveryProcess`` is a ``RemoteSender`` for the queue manager, like
``RemoteDispatcher``, but the signing and the SMTP conversation happen in a
child process (the same program, hidden subcommand ``delivery-worker``),
so that receiving and sending use two cores. The design, the pipe's frames
and the crash rules are in appliance.delivery.worker's docstring.

The child starts with the first remote message, not with the daemon (an
idle daemon carries no second process), is stopped after ``IDLE_EXIT``
seconds without work (Postfix's max_idle), and is started again after it
dies; a child that dies within a second of starting is restarted only
after a pause that doubles up to a minute, as Postfix's master throttles.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from appliance.delivery.remote import RecipientResult, RemoteConfig
from appliance.delivery.worker import FLUSH_DELAY, WorkerConfig, encode, read_frame
from appliance.dkim.keys import DkimKey
from appliance.logs import get_logger, log_line
from appliance.queue.spool import Envelope

__all__ = ["DeliveryProcess", "worker_command"]

log = get_logger("master")

STOP_TIMEOUT = 10.0
IDLE_EXIT = 100.0  # Postfix's max_idle: an idle worker is stopped, the next mail starts one
MAX_THROTTLE = 60.0


def worker_command() -> list[str]:
    """How to start the worker: the frozen binary itself, or this checkout's main.py."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "delivery-worker"]
    main = Path(__file__).resolve().parents[2] / "main.py"
    return [sys.executable, str(main), "delivery-worker"]


class WorkerGone(Exception):  # noqa: N818 - a state, raised to the waiting deliveries
    pass


class _Child:
    """One worker process and the jobs it was given."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.jobs: dict[int, asyncio.Future[list[RecipientResult]]] = {}
        self.started = time.monotonic()
        self.dead = False  # its pipe closed: gone or going
        self.retiring = False  # stopped for being idle: its exit is no failure
        self.reader: asyncio.Task[None] | None = None
        self.last_used = self.started
        self.idle_timer: asyncio.TimerHandle | None = None
        self._out: list[bytes] = []

    @property
    def alive(self) -> bool:
        return not self.dead and self.proc.returncode is None

    def send(self, frame: tuple[Any, ...]) -> None:
        """Queue a frame; what comes within FLUSH_DELAY goes out in one write."""
        self._out.append(encode(frame))
        if len(self._out) == 1:
            asyncio.get_running_loop().call_later(FLUSH_DELAY, self._flush)

    def _flush(self) -> None:
        out, self._out = self._out, []
        stdin = self.proc.stdin
        if out and stdin is not None and not stdin.is_closing():
            stdin.write(b"".join(out))


class DeliveryProcess:
    def __init__(
        self,
        config: Callable[[], RemoteConfig],
        *,
        hostname: Callable[[], str],
        dkim_enabled: Callable[[], bool],
        keys_for: Callable[[str], list[DkimKey]],
        executor: Executor,
        max_total: int = 50,
        max_per_destination: int = 10,
        command: list[str] | None = None,
    ) -> None:
        self.config = config
        self.hostname = hostname
        self.dkim_enabled = dkim_enabled
        self.keys_for = keys_for
        self.executor = executor
        self.max_total = max_total
        self.max_per_destination = max_per_destination
        self.command = command or worker_command()
        self.restarts = 0
        self._child: _Child | None = None
        self._starting: asyncio.Lock | None = None
        self._ids = itertools.count(1)
        self._sent: WorkerConfig | None = None
        self._throttle = 0.0
        self._closed = False
        self._lookups: set[asyncio.Task[None]] = set()
        self.idle_exit = IDLE_EXIT

    # -- the RemoteSender interface ----------------------------------------

    async def __call__(
        self, env: Envelope, message: bytes, recipients: list[str]
    ) -> list[RecipientResult]:
        try:
            child = await self._running()
        except (OSError, WorkerGone) as exc:
            return _everyone_deferred(recipients, f"delivery process not available: {exc}")
        wanted = WorkerConfig(self.config(), self.hostname(), bool(self.dkim_enabled()),
                              self.max_total, self.max_per_destination)
        if wanted != self._sent:
            child.send(("config", wanted))
            self._sent = wanted
        job = next(self._ids)
        done: asyncio.Future[list[RecipientResult]] = asyncio.get_running_loop().create_future()
        child.jobs[job] = done
        child.send(("deliver", job, env, message, recipients))
        try:
            return await done
        except asyncio.CancelledError:
            # The daemon is stopping: the worker must not go on with a
            # delivery nobody will record.
            if child.jobs.pop(job, None) is not None:
                child.send(("cancel", job))
            raise
        except WorkerGone as exc:
            return _everyone_deferred(recipients, str(exc))
        finally:
            child.jobs.pop(job, None)
            child.last_used = time.monotonic()
            if not child.jobs and child.idle_timer is None and self.idle_exit > 0:
                child.idle_timer = asyncio.get_running_loop().call_later(
                    self.idle_exit, self._retire, child)

    def _retire(self, child: _Child) -> None:
        """Stop a worker that had nothing to do for ``idle_exit`` seconds."""
        child.idle_timer = None
        if child is not self._child or not child.alive:
            return
        idle = time.monotonic() - child.last_used
        if child.jobs or idle < self.idle_exit:
            if not child.jobs:
                child.idle_timer = asyncio.get_running_loop().call_later(
                    self.idle_exit - idle, self._retire, child)
            return
        child.retiring = child.dead = True  # the next message starts a new one
        child.send(("stop",))

    def forget_keys(self) -> None:
        """Domains or keys changed: the worker asks again for the next message."""
        if self._child is not None and self._child.alive:
            self._child.send(("forget-keys",))

    def describe(self) -> dict[str, Any]:
        """For the daemon's status: the worker's pid, jobs in flight, restarts."""
        child = self._child
        alive = child is not None and child.alive
        return {"enabled": True,
                "pid": child.proc.pid if child is not None and alive else None,
                "in_flight": len(child.jobs) if child is not None else 0,
                "restarts": self.restarts}

    async def drain(self, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) until no job is in flight."""
        deadline = time.monotonic() + timeout
        while (self._child is not None and self._child.alive and self._child.jobs
               and time.monotonic() < deadline):
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        """Stop the worker: it cancels what is in flight and says QUIT on cached connections."""
        self._closed = True
        child = self._child
        if child is None or child.proc.returncode is not None:
            return
        child.send(("stop",))
        try:
            await asyncio.wait_for(child.proc.wait(), STOP_TIMEOUT)
        except TimeoutError:
            log.warning("delivery process pid %d did not stop in time; killed", child.proc.pid)
            with contextlib.suppress(ProcessLookupError):
                child.proc.kill()
            await child.proc.wait()
        if child.reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await child.reader

    # -- the child ----------------------------------------------------------

    async def _running(self) -> _Child:
        child = self._child
        if child is not None and child.alive:
            return child
        if self._closed:
            raise WorkerGone("the daemon is stopping")
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            child = self._child
            if child is not None and child.alive:
                return child
            if self._throttle:
                await asyncio.sleep(self._throttle)
            return await self._spawn()

    async def _spawn(self) -> _Child:
        proc = await asyncio.create_subprocess_exec(
            *self.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            # Its own process group: a terminal's Ctrl-C reaches the daemon,
            # which then stops it in order.
            start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            limit=2**20,
        )
        child = self._child = _Child(proc)
        self._sent = None
        child.reader = asyncio.create_task(self._read(child), name="delivery-process")
        log.info("delivery process started (pid %d)", proc.pid)
        return child

    async def _read(self, child: _Child) -> None:
        stdout = child.proc.stdout
        assert stdout is not None
        try:
            while True:
                frame = await read_frame(stdout)
                if frame is None:
                    break
                kind = frame[0]
                if kind == "done":
                    done = child.jobs.pop(frame[1], None)
                    if done is not None and not done.done():
                        done.set_result(frame[2])
                elif kind == "log":
                    log_line(frame[2], frame[1])
                elif kind == "keys?":
                    task = asyncio.create_task(self._answer_keys(child, frame[1], frame[2]))
                    self._lookups.add(task)
                    task.add_done_callback(self._lookups.discard)
                elif kind == "failed":
                    done = child.jobs.pop(frame[1], None)
                    if done is not None and not done.done():
                        done.set_exception(WorkerGone(f"delivery process: {frame[2]}"))
        finally:
            child.dead = True
            await self._reap(child)

    async def _answer_keys(self, child: _Child, request: int, domain: str) -> None:
        try:
            keys = await asyncio.get_running_loop().run_in_executor(
                self.executor, self.keys_for, domain)
        except Exception:
            log.exception("cannot look up the DKIM keys for %s", domain)
            keys = []
        child.send(("keys", request, keys))

    async def _reap(self, child: _Child) -> None:
        proc = child.proc
        with contextlib.suppress(ProcessLookupError):
            if proc.stdin is not None:
                proc.stdin.close()
        try:
            code = await asyncio.wait_for(proc.wait(), STOP_TIMEOUT)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            code = await proc.wait()
        jobs, child.jobs = child.jobs, {}
        why = (f"killed by signal {signal.Signals(-code).name}" if code < 0
               else f"exited with status {code}")
        for done in jobs.values():
            if not done.done():
                done.set_exception(WorkerGone(f"4.3.0 delivery process stopped ({why})"))
        if (self._closed or child.retiring) and code == 0:
            log.info("delivery process pid %d stopped%s", proc.pid,
                     " (idle)" if child.retiring else "")
            return
        self.restarts += 1
        log.warning("delivery process pid %d %s; %d delivery(ies) deferred", proc.pid, why,
                    len(jobs))
        if time.monotonic() - child.started < 1.0:
            self._throttle = min(max(self._throttle * 2, 1.0), MAX_THROTTLE)
        else:
            self._throttle = 0.0


def _everyone_deferred(recipients: list[str], reason: str) -> list[RecipientResult]:
    return [RecipientResult(r, "deferred", reason, None, "4.3.0") for r in recipients]
