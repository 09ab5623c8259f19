"""The outbound delivery process: DKIM signing and the SMTP client, beside the daemon.

Why a second process
    Receiving (aiosmtpd, the spool's fsyncs, the queue manager) and sending
    (DKIM signing, ~0.7 ms a message, and aiosmtplib) shared one GIL, so a
    relaying daemon was held to what one core does. Postfix splits the same
    work over smtpd, qmgr and smtp processes; here the split is at the one
    seam the queue manager already has: ``RemoteSender`` (envelope, message,
    recipients) -> one result per recipient.

Who owns what
    The daemon keeps everything durable: the spool, the claims
    (appliance.queue.claims), per-recipient status, bounces, retries, and
    the removal of a queue file after the remote 250. This process owns no
    file at all: it gets a job (queue ID, envelope, the unsigned bytes, the
    recipients) and answers with the recipients' results, like Postfix's
    smtp(8) answering qmgr(8). So the crash rules stay those of the
    one-process daemon:

    - worker SIGKILLed: the daemon fails the jobs in flight as deferred
      (``4.3.0 delivery process stopped``); their queue files stay and are
      retried with the usual back-off, and the next job starts a new
      process (restarts that die at once are throttled). A message whose
      remote 250 came just before the kill is sent again at the retry:
      at least once, as with a daemon killed at that moment (and Postfix).
    - daemon SIGKILLed: this process reads EOF on its stdin and exits at
      once, cancelling what is in flight; the restarted daemon finds every
      unfinished file in the spool.
    - SIGTERM of the daemon: it sends ``stop``; cached connections say QUIT.

The pipe
    stdin carries frames from the daemon, the original stdout frames back
    (fd 1 is pointed at stderr first, so a stray print cannot break a
    frame). A frame is a 4-byte big-endian length and a pickle: both ends
    are the same program, so nothing untrusted is unpickled. Daemon to
    worker: ``("config", WorkerConfig)`` whenever the remote settings differ
    from the last sent (checked per job: no reload hook to forget),
    ``("deliver", job, Envelope, bytes, [rcpt])``, ``("cancel", job)``,
    ``("keys", request, [DkimKey])`` (an answer), ``("forget-keys",)``
    after any state change, ``("stop",)``. Worker to daemon:
    ``("done", job, [RecipientResult])``, ``("failed", job, text)``,
    ``("keys?", request, domain)``, ``("log", level, line)``.

Keys and logs
    The worker never opens the state database or the secrets store: it asks
    the daemon for a From: domain's DKIM keys (the daemon also makes a new
    domain's first keys, as before) and keeps them until ``forget-keys`` or
    a minute has passed. Its log lines are formatted here, with its own pid
    (``mailroom/smtp[PID]: QUEUEID: to=<...>, relay=...``, as Postfix's
    smtp[PID]) and written by the daemon into the one mail log, so rotation,
    the GUI's live log and ``mailroom log`` see them as before.

Started as ``main.py delivery-worker`` (or the frozen binary with that
hidden subcommand) by appliance.delivery.supervisor, only with the setting
``delivery.worker_process`` on (the default; a reload switches it, see
appliance.service `_switch_remote_sender`).

Measured (2026-11-30, 2 shared cores, load 2-5 from other work, so only
the in-run comparison holds): ``bench/smtp_relay.py --repeat 3 --servers
mailroom,mailroom-worker,postfix`` gave 391 / 377 / 377 msg/s (medians;
another run with --servers direct,mailroom-worker: 537 msg/s, the sink
alone takes 2,400); after the 2 ms gathering, at 03:47, 332 / 478 / 397
(mailroom-worker 1.56x the one process, 1.1-1.33x Postfix per run).
With the worker the client's submission ends at ~3.0 s instead of
~5.1 s (intake ~670 msg/s); the worker then lags.
CPU per message, 4000 messages: one process 2.24 ms (1.78 user, 0.46
system); split, frames written at once: daemon 1.49 + worker 1.25 = 2.73
ms (the daemon's system time rose from 0.46 to 0.68 ms: a pipe write and
loop wake-up per message); split, frames gathered for 2 ms (``FLUSH_DELAY``):
daemon 1.09 + worker 1.20 = 2.29 ms. At 700 msg/s (1.5x Postfix) the
server alone would want 1.6 of the 2 cores the load client and sink also
use, so the split is necessary but not enough. Next: less CPU on the
worker's side (RSA-2048 signing ~0.6 ms; aiosmtplib's per-command
overhead; PIPELINING of MAIL/RCPT/DATA, which would also cut round
trips), find why the worker does ~500 msg/s once intake is done though
its 1.2 ms/msg would allow ~800 (its loop signs inline: a signing thread
per core is worth a try now that the GIL is the worker's alone), then
measure on a quiet machine and decide the default.

Why it lagged once intake was done (found 04:30-05:00, machine load ~10)
    Neither its CPU nor the daemon's supply: in a traced relay run (4000
    messages, the aiosmtpd sink) 33-36 jobs always waited for one of the
    10 connections to far.test (max_per_destination), py-spy found the
    worker 42% idle in epoll, and a transaction took 33-80 ms (medians
    per second): throughput = 10 connections / transaction time. Without
    PIPELINING a transaction is four round trips (MAIL, RCPT, DATA, the
    message), each waiting for the sink and then for this loop to come
    round. So: PIPELINING (appliance.delivery.pipelining) makes it two
    where the server offers it (Postfix, smtp-sink, most MXes; aiosmtpd
    does not), and inline signing takes one message per loop turn
    (dispatch.py): jobs arrive in 2 ms batches, and a batch signed at
    once (~0.7 ms each) held every connection's next reply behind it.
    Against a server without PIPELINING the lever left is the number of
    connections per destination (a setting; the relay bench holds
    Postfix and Mailroom both to 10). Figures, same run, before/after
    interleaved, load ~10: the SMTP client alone
    (bench/remote_client_cpu.py -n 3000 --repeat 5) 0.251 -> 0.123 ms
    CPU/msg against smtp-sink with PIPELINING, 0.230 -> 0.217 without;
    this process alone, fed as the daemon feeds it, DKIM on
    (bench/delivery_worker_drive.py -n 2000 --repeat 5) 0.795 -> 0.750
    ms/msg and 429 -> 464 msg/s with PIPELINING, 0.795 -> 0.785 and
    379 -> 449 without (msg/s are noise at that load).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import pickle
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from appliance.delivery.remote import RemoteConfig

__all__ = ["WorkerConfig", "encode", "read_frame", "main"]

_HEADER = struct.Struct(">I")
MAX_FRAME = 256 * 1024 * 1024  # a message is at most smtp.max_message_size; a sane bound
KEYS_TTL = 60.0
KEYS_TIMEOUT = 30.0
# Frames are gathered this long and written together: one pipe write and
# one wake-up of the other side for many messages, not one per message.
FLUSH_DELAY = 0.002


@dataclass
class WorkerConfig:
    remote: RemoteConfig
    hostname: str
    dkim: bool
    max_total: int
    max_per_destination: int


def encode(frame: tuple[Any, ...]) -> bytes:
    body = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(body)) + body


async def read_frame(reader: asyncio.StreamReader) -> tuple[Any, ...] | None:
    """The next frame, or None at EOF (the other side is gone)."""
    try:
        head = await reader.readexactly(_HEADER.size)
        (size,) = _HEADER.unpack(head)
        if size > MAX_FRAME:
            raise ValueError(f"frame of {size} bytes")
        frame: tuple[Any, ...] = pickle.loads(await reader.readexactly(size))
    except asyncio.IncompleteReadError:
        return None
    return frame


class _Keys:
    """DKIM keys by From: domain, asked of the daemon and kept a while.

    Signing runs inline on this process's loop, so the keys are fetched
    (awaited) before a message is handed to the dispatcher; the signer's
    own look-up then only reads the cache.
    """

    def __init__(self, worker: _Worker) -> None:
        self.worker = worker
        self._cache: dict[str, tuple[float, list[Any]]] = {}
        self._asked: dict[int, asyncio.Future[list[Any]]] = {}
        self._pending: dict[str, asyncio.Future[list[Any]]] = {}
        self._ids = itertools.count()

    def __call__(self, domain: str) -> list[Any]:
        hit = self._cache.get(domain)
        return hit[1] if hit is not None else []

    async def load(self, domain: str | None) -> None:
        if domain is None:
            return
        hit = self._cache.get(domain)
        if hit is not None and time.monotonic() - hit[0] < KEYS_TTL:
            return
        pending = self._pending.get(domain)
        if pending is None:  # one question per domain, however many messages wait
            request = next(self._ids)
            pending = self._pending[domain] = self._asked[request] = \
                self.worker.loop.create_future()
            self.worker.send(("keys?", request, domain))
            try:
                keys = await asyncio.wait_for(asyncio.shield(pending), KEYS_TIMEOUT)
            finally:
                self._asked.pop(request, None)
                self._pending.pop(domain, None)
            self._cache[domain] = (time.monotonic(), keys)
        else:
            await asyncio.wait_for(asyncio.shield(pending), KEYS_TIMEOUT)

    def answer(self, request: int, keys: list[Any]) -> None:
        asked = self._asked.get(request)
        if asked is not None and not asked.done():
            asked.set_result(keys)

    def forget(self) -> None:
        # Stale, not gone: a message whose keys were loaded may still be
        # waiting for its turn to be signed, and an empty answer would send it
        # unsigned (as mail from a domain that is not ours). The next load asks again.
        self._cache = {domain: (-KEYS_TTL, keys) for domain, (_, keys) in self._cache.items()}


class _PipeLog(logging.Handler):
    """Formats a record here (this pid) and sends the line to the daemon's mail log."""

    def __init__(self, worker: _Worker) -> None:
        super().__init__()
        self.worker = worker

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        frame = ("log", record.levelno, line)
        if threading.get_ident() == self.worker.loop_thread:
            self.worker.send(frame)
        else:
            with contextlib.suppress(RuntimeError):  # the loop is gone: exiting
                self.worker.loop.call_soon_threadsafe(self.worker.send, frame)


class _Worker:
    def __init__(self, loop: asyncio.AbstractEventLoop, writer: asyncio.WriteTransport) -> None:
        self.loop = loop
        self.loop_thread = threading.get_ident()
        self.writer = writer
        self.keys = _Keys(self)
        self.config: WorkerConfig | None = None
        self.dispatcher: Any = None
        self.from_domain: Callable[[bytes], str | None] = lambda _message: None
        self.jobs: dict[int, asyncio.Task[None]] = {}
        self.log_handler = _PipeLog(self)
        self._out: list[bytes] = []

    def send(self, frame: tuple[Any, ...]) -> None:
        """Queue a frame; what comes within FLUSH_DELAY goes out in one write."""
        self._out.append(encode(frame))
        if len(self._out) == 1:
            self.loop.call_later(FLUSH_DELAY, self.flush)

    def flush(self) -> None:
        out, self._out = self._out, []
        if out and not self.writer.is_closing():
            self.writer.write(b"".join(out))

    def configure(self, config: WorkerConfig) -> None:
        from appliance.delivery.dispatch import RemoteDispatcher
        from appliance.dkim.sign import Signer, from_domain
        from appliance.logs import line_formatter

        # Imported once here, not in every delivery (a few us each time).
        self.from_domain = from_domain
        first = self.config is None
        self.config = config
        self.log_handler.setFormatter(line_formatter(config.hostname))
        if first:
            self.dispatcher = RemoteDispatcher(
                lambda: self.config.remote if self.config else config.remote,
                max_total=config.max_total,
                max_per_destination=config.max_per_destination,
                sign=Signer(self.keys, enabled=lambda: bool(self.config and self.config.dkim)),
                sign_in_thread=False,
            )
        else:
            # As the daemon's reload does: new limits for new destinations.
            self.dispatcher.max_per_destination = config.max_per_destination

    def deliver(self, job: int, env: Any, message: bytes, recipients: list[str]) -> None:
        task = self.loop.create_task(self._deliver(job, env, message, recipients))
        self.jobs[job] = task

    async def _deliver(self, job: int, env: Any, message: bytes, recipients: list[str]) -> None:
        try:
            if self.config is not None and self.config.dkim:
                try:
                    await self.keys.load(self.from_domain(message))
                except (TimeoutError, ValueError) as exc:
                    logging.getLogger("mailroom.smtp").error(
                        "%s: no DKIM keys from the daemon (%s); sending unsigned", env.id, exc)
            results = await self.dispatcher(env, message, recipients)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logging.getLogger("mailroom.smtp").exception("%s: delivery failed", env.id)
            self.send(("failed", job, f"{type(exc).__name__}: {exc}"))
        else:
            self.send(("done", job, results))
        finally:
            self.jobs.pop(job, None)

    def cancel(self, job: int) -> None:
        task = self.jobs.pop(job, None)
        if task is not None:
            task.cancel()

    async def stop(self) -> None:
        for task in list(self.jobs.values()):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*self.jobs.values(), return_exceptions=True)
        if self.dispatcher is not None:
            await self.dispatcher.close()


async def _serve(frames_in: int, frames_out: int) -> int:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader),
                                 os.fdopen(frames_in, "rb", 0))
    writer, _ = await loop.connect_write_pipe(asyncio.Protocol, os.fdopen(frames_out, "wb", 0))
    worker = _Worker(loop, writer)
    root = logging.getLogger("mailroom")
    root.setLevel(logging.INFO)
    root.propagate = False
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(worker.log_handler)
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    while True:
        frame = await read_frame(reader)
        if frame is None:
            # The daemon is gone: nothing may be sent that it cannot record.
            for task in list(worker.jobs.values()):
                task.cancel()
            return 0
        kind = frame[0]
        if kind == "deliver":
            worker.deliver(*frame[1:])
        elif kind == "config":
            worker.configure(frame[1])
        elif kind == "cancel":
            worker.cancel(frame[1])
        elif kind == "keys":
            worker.keys.answer(frame[1], frame[2])
        elif kind == "forget-keys":
            worker.keys.forget()
        elif kind == "stop":
            await worker.stop()
            worker.flush()
            while writer.get_write_buffer_size():  # the last log lines, then the end
                await asyncio.sleep(0.01)
            writer.close()
            return 0


def main(argv: list[str] | None = None) -> int:
    """``mailroom delivery-worker``: serve the daemon on stdin/stdout (hidden)."""
    # Frames go out on the original stdout; fd 1 becomes stderr, so nothing a
    # library prints can land in the middle of a frame.
    frames_out = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    frames_in = os.dup(0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    return asyncio.run(_serve(frames_in, frames_out))
