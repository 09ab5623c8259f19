"""The queue manager: takes queued mail to its recipients.

For each queue file it expands the envelope recipients (aliases, groups,
forwards), delivers local ones into Maildirs, hands outside ones to remote
delivery when that is available, records per-recipient status, sends
bounces, and removes the file when every recipient is done. Blocking disk
work never runs on the event loop: fresh mail goes to one local delivery
thread that takes it in batches (Postfix's local(8), in spirit), retries
and outside mail to the daemon's thread pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import queue
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from appliance.aliases import Directory, expand
from appliance.bounce import compose_dsn, enhanced_code_from_reply, should_bounce
from appliance.delivery.remote import RecipientResult, recipient_status
from appliance.logs import get_logger
from appliance.queue.claims import Claims
from appliance.queue.intake import take_batch
from appliance.queue.retry import delay_warning_due, expired, next_retry_delay
from appliance.queue.spool import Envelope, QueueStatus, RecipientState, Spool
from appliance.sieve.actions import redirect_loop, redirect_sender, redirected_copy
from appliance.sieve.filter import Decision, MailFilter, ensure_before_script
from appliance.sieve.interpret import VacationRequest
from appliance.sieve.message import MailView
from appliance.sieve.vacation import VacationMemory, compose_reply, why_not_reply
from appliance.store import Delivered, Mailstore, QuotaExceeded
from appliance.store.account import FolderError, delivery_header
from appliance.store.names import BadFolderName

__all__ = ["QueueManager", "QueuePolicy", "RemoteSender"]

log = get_logger("qmgr")
local_log = get_logger("local")


@dataclass
class QueuePolicy:
    workers: int = 16
    retry_base: float = 300
    retry_cap: float = 3600
    lifetime: float = 5 * 86400
    delay_warning: float = 4 * 3600  # 0: never


@dataclass
class _LocalPlan:
    """One local recipient of one message: where its filters send it, and how that went."""

    env: Envelope
    data: bytes
    rcpt: RecipientState
    address: str  # the account's own address (names the Maildir)
    quota_bytes: int
    decision: Decision
    flagged: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    outcomes: list[tuple[str, Delivered | Exception]] = field(default_factory=list)


# (envelope, message, recipients) -> one result per recipient
RemoteSender = Callable[[Envelope, bytes, list[str]], Awaitable[list[RecipientResult]]]


def _code(reply: str) -> int:
    try:
        return int(reply[:3])
    except ValueError:
        return 550


class QueueManager:
    def __init__(
        self,
        spool: Spool,
        store: Mailstore,
        directory: Directory,
        *,
        hostname: str,
        executor: Executor,
        policy: QueuePolicy | None = None,
        remote: RemoteSender | None = None,
        on_event: Callable[[str, dict[str, Any]], None] | None = None,
        filters: MailFilter | None = None,
    ) -> None:
        self.spool = spool
        # Sieve filters at local delivery; the data directory is the store's parent.
        self.filters = filters or MailFilter(store.root.parent)
        self.store = store
        self.directory = directory
        self.hostname = hostname
        self.executor = executor
        self.policy = policy or QueuePolicy()
        self.remote = remote
        self.on_event = on_event
        self._ready: asyncio.Queue[str] = asyncio.Queue()
        self._handoff: dict[str, QueueStatus] = {}  # expanded at intake, not yet on disk
        # ...and the bytes of those messages, so the remote workers need not
        # read them back; up to _HANDOFF_BYTES in all, the rest is read again.
        self._handoff_data: dict[str, tuple[Envelope, bytes]] = {}
        self._handoff_bytes = 0
        self._handoff_lock = threading.Lock()
        # Queue files whose every recipient has its 250, waiting to be removed
        # together; their claims are held until then.
        self._done: list[str] = []
        self._done_wake = asyncio.Event()
        # Queue IDs from other threads for the workers; one loop wake-up for many.
        self._arrived: list[str] = []
        self._arrived_lock = threading.Lock()
        # Taken from the local delivery thread and the loop alike: claims are atomic.
        self._busy = Claims()
        self._tasks: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()
        self._fresh: queue.SimpleQueue[tuple[Envelope, bytes] | None] = queue.SimpleQueue()
        # Runs file work on a thread that is busy with the queue anyway (the intake's,
        # Intake.call); False: not running, use the executor.
        self.off_loop: Callable[[Callable[[], None]], bool] | None = None
        self._room = threading.Semaphore(self._BACKLOG)
        self._agent: threading.Thread | None = None

    # -- life cycle -------------------------------------------------------

    async def start(self) -> None:
        self._loop = loop = asyncio.get_running_loop()
        if (self.filters.data_dir / "mailroom.db").exists():  # a real data directory
            await loop.run_in_executor(self.executor, ensure_before_script,
                                       self.filters.data_dir)
        removed = await loop.run_in_executor(self.executor, self.spool.clean_tmp)
        if removed:
            log.info("removed %d incomplete file(s) from queue/tmp", removed)
        active = await loop.run_in_executor(self.executor, self.spool.ids, "active")
        for qid in active:
            self._ready.put_nowait(qid)
        if active:
            log.info("resuming %d queued message(s)", len(active))
        self._tasks = [
            asyncio.create_task(self._worker(), name=f"qmgr-{i}")
            for i in range(self.policy.workers)
        ]
        self._tasks.append(asyncio.create_task(self._scheduler(), name="qmgr-scheduler"))
        self._tasks.append(asyncio.create_task(self._remover(), name="qmgr-remover"))
        self._agent = threading.Thread(target=self._local_agent, name="mailroom-local",
                                       daemon=True)
        self._agent.start()

    async def stop(self) -> None:
        agent, self._agent = self._agent, None
        if agent is not None:
            self._fresh.put(None)  # what was handed over is delivered first
            await asyncio.get_running_loop().run_in_executor(self.executor, agent.join)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        done, self._done = self._done, []
        if done:  # delivered: a restart must not send them again
            await asyncio.get_running_loop().run_in_executor(
                self.executor, self._remove_delivered, done, True)

    def submit(self, qid: str) -> None:
        self._ready.put_nowait(qid)

    def accept(self, env: Envelope, data: bytes) -> None:
        """A new queue file is on disk: hand it to the local delivery thread.

        Called from the thread that wrote the file, which is then free for
        the next message. When deliveries fall behind by ``_BACKLOG``
        messages this waits for room, so a flood slows the 250s down
        instead of filling memory. Before ``start`` the message is delivered
        right here (blocking).
        """
        if self._agent is None:
            self._accept_batch([(env, data)])
            return
        if not any(map(self._is_local, env.recipients)) and self._hand_to_remote(env, data):
            return
        self._room.acquire()
        self._fresh.put((env, data))

    def _hand_to_remote(self, env: Envelope, data: bytes) -> bool:
        """Mail for outside domains only goes from the intake's thread straight to
        the remote workers, not through the local delivery thread (a thread
        hand-over less per message); False when it must go that way after all."""
        if not self._busy.claim(env.id):
            return True  # a worker has it already (an administrator's retry)
        try:
            status = self._expand(env)
        except Exception:
            return False  # the local delivery thread tries, and logs what went wrong
        finally:
            self._busy.release(env.id)
        if any(self._is_local(r.address) for r in status.recipients):
            return False
        status.last_try = time.time()
        self._handoff[env.id] = status
        self._keep_data(env, data)
        self._announce(env.id)
        return True

    def _announce(self, qid: str) -> None:
        """Give ``qid`` to the workers from another thread."""
        with self._arrived_lock:
            self._arrived.append(qid)
            first = len(self._arrived) == 1
        if first:
            with contextlib.suppress(RuntimeError):  # the loop is gone: found at next start
                self._loop.call_soon_threadsafe(self._take_arrived)

    def _take_arrived(self) -> None:
        with self._arrived_lock:
            arrived, self._arrived = self._arrived, []
        for qid in arrived:
            self._ready.put_nowait(qid)

    _BACKLOG = 256
    _BATCH = 64
    _HANDOFF_BYTES = 32 * 1024 * 1024

    def _local_agent(self) -> None:
        """The local delivery thread: fresh messages, in batches of what is waiting.

        One thread, not one per session: with many sessions delivering at
        once, threads spent their time handing the GIL to each other (some
        seventy context switches per message). One thread taking whatever
        has arrived writes those files together, with one index commit and
        one directory fsync per mailbox.
        """
        while True:
            fresh, stopping = take_batch(self._fresh, self._BATCH)
            try:
                self._accept_batch(fresh)
            except Exception:
                # The thread must go on, or every later message would wait for
                # room; the files are in the spool, the workers try them again.
                log.exception("%s: local delivery failed; queued for the workers",
                              ", ".join(env.id for env, _ in fresh))
                for env, _ in fresh:
                    with contextlib.suppress(RuntimeError):  # the loop is gone: next start
                        self._loop.call_soon_threadsafe(self.submit, env.id)
            finally:
                for _ in fresh:
                    self._room.release()
            if stopping:
                return

    def _accept_batch(self, batch: list[tuple[Envelope, bytes]]) -> None:
        """Deliver fresh messages that are all local now (blocking); queue the rest."""
        later: list[str] = []
        expanded: list[tuple[Envelope, bytes, QueueStatus]] = []
        for env, data in batch:
            if not self._busy.claim(env.id):
                continue  # a worker has it already (an administrator's retry)
            try:
                status = self._expand(env)
            except Exception:
                log.exception("%s: immediate delivery failed; queued for the workers", env.id)
                self._busy.release(env.id)
                later.append(env.id)
                continue
            status.last_try = time.time()
            expanded.append((env, data, status))
        try:
            self._deliver_locals(expanded)
        except Exception:
            log.exception("immediate delivery failed; queued for the workers")
        removals: list[str] = []
        for env, data, status in expanded:
            try:
                if not self._settle_fresh(env, data, status, removals):
                    later.append(env.id)
            except Exception:
                log.exception("%s: immediate delivery failed; queued for the workers", env.id)
                later.append(env.id)
            finally:
                self._busy.release(env.id)
        for qid in later:
            self._announce(qid)
        if removals:
            # Unlinking from active/ waits while the intake's fsyncs of that
            # directory are in flight: another thread does it, for the batch.
            try:
                self.executor.submit(self._remove_delivered, removals)
            except RuntimeError:  # the daemon is stopping: no more threads
                self._remove_delivered(removals)

    def _remove_delivered(self, qids: list[str], status: bool = False) -> None:
        """Remove delivered queue files from ``active/``; ``status``: their status files too."""
        for qid in qids:
            try:
                try:
                    self.spool.remove(qid, queue="active", status=status)
                except FileNotFoundError:
                    # Moved meanwhile (the administrator held it): wherever it is now.
                    self.spool.remove(qid)
            except OSError as exc:
                log.error("%s: cannot remove the delivered queue file: %s", qid, exc)
                continue
            log.info("%s: removed", qid)

    def _settle_fresh(self, env: Envelope, data: bytes, status: QueueStatus,
                      removals: list[str]) -> bool:
        """After the local deliveries of a fresh message: False if it goes on to the workers.

        A message done with has its ID added to ``removals``.
        """
        if any(not self._is_local(r.address) for r in status.pending()):
            if any(r.state != "queued" for r in status.recipients):
                # Something is already delivered or bounced: that must
                # survive a crash, or a retry would deliver it twice.
                self.spool.write_status(env.id, status)
            else:
                self._handoff[env.id] = status  # nothing done yet: memory will do
                self._keep_data(env, data)
            return False
        if self._finish(env, data, status, fresh=True):
            removals.append(env.id)
        return True

    def flush(self) -> None:
        """Retry every deferred message now."""
        self._flush_all = True
        self._flushes += 1
        self._wake.set()

    _flush_all = False
    _flushes = 0  # counts flush requests, so in-flight messages notice one

    # -- scheduling -------------------------------------------------------

    async def _scheduler(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=5.0)
            self._wake.clear()
            flush, self._flush_all = self._flush_all, False
            now = time.time()
            due = await loop.run_in_executor(self.executor, self._due, now, flush)
            for qid in due:
                if qid not in self._busy:
                    await loop.run_in_executor(self.executor, self.spool.move, qid, "active")
                    self._ready.put_nowait(qid)

    def _due(self, now: float, flush: bool) -> list[str]:
        due = []
        for qid in self.spool.ids("deferred"):
            status = self.spool.status(qid)
            if flush or status is None or status.next_try <= now:
                due.append(qid)
        return due

    def retry_now(self, qid: str) -> bool:
        found = self.spool.locate(qid)
        if found is None or found[0] == "hold":
            return False
        if found[0] == "deferred":
            self.spool.move(qid, "active")
        self._ready.put_nowait(qid)
        return True

    def bounce_now(self, qid: str) -> None:
        """Return a queued message to its sender now (the administrator's choice)."""
        asyncio.ensure_future(self._bounce_now(qid))

    async def _bounce_now(self, qid: str) -> None:
        while not self._busy.claim(qid):
            await asyncio.sleep(0.05)
        try:
            await asyncio.get_running_loop().run_in_executor(self.executor, self._return, qid)
        finally:
            self._busy.release(qid)

    def _return(self, qid: str) -> None:
        found = self.spool.locate(qid)
        if found is None:
            return
        env, data = self.spool.read(found[1])
        status = self.spool.status(qid) or self._expand(env)
        for rcpt in status.pending():
            rcpt.state = "bounced"
            rcpt.reply = "550 5.0.0 message returned to sender by the administrator"
            self._event("bounced", env, rcpt)
        log.info("%s: returned to sender by the administrator", qid)
        self._finish(env, data, status)

    async def _worker(self) -> None:
        while True:
            qid = await self._ready.get()
            if not self._busy.claim(qid):
                continue
            flushes = self._flushes
            removing = False
            try:
                removing = await self._process(qid)
            except Exception:
                log.exception("%s: delivery failed unexpectedly; will retry", qid)
                with contextlib.suppress(Exception):
                    await asyncio.get_running_loop().run_in_executor(
                        self.executor, self._defer_whole, qid
                    )
            finally:
                if not removing:  # else the remover releases it once the file is gone
                    self._busy.release(qid)
            if flushes != self._flushes:
                # A flush came while this one was in flight (perhaps with the
                # old settings): it is owed another try now.
                with contextlib.suppress(OSError):
                    self.retry_now(qid)

    def _defer_whole(self, qid: str) -> None:
        status = self.spool.status(qid) or QueueStatus()
        status.attempts += 1
        status.next_try = time.time() + self._delay(status.attempts)
        self.spool.write_status(qid, status)
        self.spool.move(qid, "deferred")

    def _delay(self, attempts: int) -> float:
        return next_retry_delay(
            attempts, base=self.policy.retry_base, cap=self.policy.retry_cap
        )

    # -- delivery ---------------------------------------------------------

    async def _process(self, qid: str) -> bool:
        """One delivery attempt; True when the file's removal (and claim) went to the remover."""
        loop = asyncio.get_running_loop()
        prepared = self._fresh_in_memory(qid)
        if prepared is None:
            prepared = await loop.run_in_executor(self.executor, self._prepare_and_deliver, qid)
        if prepared is None:
            return False
        env, data, status = prepared
        pending_remote = [r for r in status.pending() if not self._is_local(r.address)]
        if pending_remote:
            await self._deliver_remote(env, data, status, pending_remote)
        if all(r.state == "delivered" for r in status.recipients):
            # Nothing to bounce, defer or write down: only the file to remove,
            # which the remover does for many messages in one thread hop.
            self._done.append(qid)
            self._done_wake.set()
            return True
        await loop.run_in_executor(self.executor, self._finish, env, data, status)
        return False

    def _keep_data(self, env: Envelope, data: bytes) -> None:
        """Keep a fresh message's bytes for the remote worker (local delivery thread)."""
        with self._handoff_lock:
            if self._handoff_bytes + len(data) > self._HANDOFF_BYTES:
                return
            self._handoff_bytes += len(data)
            self._handoff_data[env.id] = (env, data)

    def _fresh_in_memory(self, qid: str) -> tuple[Envelope, bytes, QueueStatus] | None:
        """A fresh message handed over with its bytes: its local recipients are done
        (the intake's batch took them), so it goes out without touching the disk."""
        with self._handoff_lock:
            kept = self._handoff_data.pop(qid, None)
            if kept is None:
                return None
            self._handoff_bytes -= len(kept[1])
        status = self._handoff.pop(qid, None)
        if status is None:
            return None
        if any(self._is_local(r.address) for r in status.pending()):
            # The intake's local delivery failed: the worker's own try does it.
            self._handoff[qid] = status
            return None
        status.last_try = time.time()
        return kept[0], kept[1], status

    async def _remover(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._done_wake.wait()
            self._done_wake.clear()
            done, self._done = self._done, []
            work = functools.partial(self._remove_and_release, done)
            # Handed on without waiting where the intake's thread runs: a thread
            # pool's worker woken for each batch (and the loop woken again for
            # its answer) cost more than the removals themselves.
            if self.off_loop is None or not self.off_loop(work):
                await loop.run_in_executor(self.executor, work)

    def _remove_and_release(self, done: list[str]) -> None:
        """Remove delivered files, then free their claims (off the event loop)."""
        try:
            # A retried message has a status file; a fresh one none (unlinking
            # nothing costs little).
            self._remove_delivered(done, True)
        finally:
            for qid in done:
                self._busy.release(qid)

    def _is_local(self, address: str) -> bool:
        return self.directory.is_local_domain(address.rpartition("@")[2])

    def _prepare_and_deliver(self, qid: str) -> tuple[Envelope, bytes, QueueStatus] | None:
        """Read a queue file back and deliver its local recipients (blocking)."""
        found = self.spool.locate(qid)
        if found is None or found[0] != "active":
            return None
        env, data = self.spool.read(found[1])
        with self._handoff_lock:
            kept = self._handoff_data.pop(qid, None)
            if kept is not None:
                self._handoff_bytes -= len(kept[1])
        status = self._handoff.pop(qid, None) or self.spool.status(qid) or self._expand(env)
        status.last_try = time.time()
        self._deliver_locals([(env, data, status)])
        return env, data, status

    def _expand(self, env: Envelope) -> QueueStatus:
        status = QueueStatus()
        seen: set[str] = set()
        for original in env.recipients:
            exp = expand(original, self.directory)
            orig = original
            for addr in [*exp.mailboxes, *exp.remote]:
                if addr not in seen:
                    seen.add(addr)
                    status.recipients.append(
                        RecipientState(addr, orig=None if addr == orig else orig)
                    )
            for addr, reply in exp.errors:
                status.recipients.append(
                    RecipientState(addr, "bounced", reply, None if addr == orig else orig)
                )
                log.info("%s: to=<%s>, orig_to=<%s>, status=bounced (%s)",
                         env.id, addr, orig, reply)
        return status

    def _deliver_locals(self, messages: list[tuple[Envelope, bytes, QueueStatus]]) -> None:
        """Deliver the pending local recipients of ``messages`` (blocking).

        Each recipient's filters (appliance.sieve) say where its copy goes.
        What goes to one mailbox folder goes in one call to the store, so a
        batch of messages costs that folder one index commit and one
        directory fsync. Redirects and out-of-office replies are queued only
        once the recipient's copy is safely stored (a retry would send them
        again otherwise).
        """
        plans: list[_LocalPlan] = []
        by_box: dict[tuple[str, str, int], list[_LocalPlan]] = {}
        for env, data, status in messages:
            # Mail the inbound checks judged junk (appliance.authcheck) is filed into Junk.
            junk = bool(env.checks and env.checks.get("action") == "junk")
            view: MailView | None = None
            for rcpt in status.pending():
                if not self._is_local(rcpt.address):
                    continue
                account = self.directory.account(rcpt.address)
                if account is None or not account.enabled:
                    self._record_local(env, rcpt, None)
                    continue
                if view is None:
                    view = MailView(data, env.sender, account.address)
                plan = _LocalPlan(env, data, rcpt, account.address, account.quota_bytes,
                                  self._decide(env, view, rcpt, account.address, junk))
                plans.append(plan)
                for folder, flags in plan.decision.deliveries:
                    if flags:
                        plan.flagged.append((folder, flags))
                    else:
                        by_box.setdefault((account.address, folder, account.quota_bytes),
                                          []).append(plan)
        for (address, folder, quota), wanted in by_box.items():
            outcomes: list[Delivered | Exception]
            try:
                self._ensure_folder(address, folder)
                # The account's own address names the Maildir: a name that
                # reaches it (another host name of the domain) must not
                # make a second one.
                outcomes = list(self.store.deliver_many(
                    address, [(p.data, p.env.sender) for p in wanted],
                    quota_bytes=quota, folder=None if folder == "INBOX" else folder,
                ))
            except (OSError, FolderError, BadFolderName) as exc:
                outcomes = [exc if isinstance(exc, OSError) else OSError(str(exc))] * len(wanted)
            for plan, outcome in zip(wanted, outcomes, strict=True):
                plan.outcomes.append((folder, outcome))
        for plan in plans:
            for folder, flags in plan.flagged:
                plan.outcomes.append((folder, self._deliver_flagged(plan, folder, flags)))
            self._settle_local(plan)

    def _decide(self, env: Envelope, view: MailView, rcpt: RecipientState, address: str,
                junk: bool) -> Decision:
        """Run the filters for one recipient; a failure of ours keeps the mail in INBOX."""
        view.recipient = address
        try:
            decision = self.filters.decide(view, self.store.maildir(address), junk=junk)
        except Exception as exc:
            local_log.exception("%s: to=<%s>, sieve: filtering failed; kept in INBOX",
                                env.id, rcpt.address)
            return Decision([("INBOX", ())], problems=[f"filtering failed: {exc}"])
        for problem in decision.problems:
            local_log.warning("%s: to=<%s>, sieve: %s", env.id, rcpt.address, problem)
        if decision.redirects:
            loop = redirect_loop(view, address)
            if loop:
                local_log.warning("%s: to=<%s>, sieve: not redirecting to %s: %s; kept",
                                  env.id, rcpt.address, ", ".join(decision.redirects), loop)
                decision.redirects = []
                if not decision.deliveries:
                    decision.deliveries = [("INBOX", ())]
        return decision

    def _ensure_folder(self, address: str, folder: str) -> None:
        """A folder a filter files into is created, and subscribed so mail programs show it."""
        if folder == "INBOX":
            return
        account = self.store.account(address)
        if not account.exists(folder):
            with contextlib.suppress(FolderError):  # made meanwhile by someone else
                account.create_folder(folder)
            account.set_subscribed(folder, True)

    def _deliver_flagged(self, plan: _LocalPlan, folder: str,
                         flags: tuple[str, ...]) -> Delivered | Exception:
        """A copy with imap4flags flags: stored with its flags set, through the IMAP append path."""
        try:
            self._ensure_folder(plan.address, folder)
            message = delivery_header(plan.env.sender, plan.address) + plan.data
            self.store.account(plan.address).append(
                folder, message, flags=list(flags), quota_bytes=plan.quota_bytes
            )
        except (QuotaExceeded, OSError) as exc:
            return exc
        except (FolderError, BadFolderName, ValueError) as exc:
            return OSError(str(exc))
        return Delivered(self.store.maildir(plan.address), len(message))

    def _settle_local(self, plan: _LocalPlan) -> None:
        """Record how a recipient's copies went; then send what its filters asked for."""
        env, rcpt = plan.env, plan.rcpt
        stored = [f for f, o in plan.outcomes if isinstance(o, Delivered)]
        failed = [o for _, o in plan.outcomes if isinstance(o, Exception)]
        outcome: Delivered | Exception | str
        if not plan.outcomes:
            outcome = "250 2.0.0 discarded by filter"
        elif stored:
            outcome = next(o for _, o in plan.outcomes if isinstance(o, Delivered))
            for exc in failed:
                # Stored somewhere already: a retry would store it twice.
                local_log.warning("%s: to=<%s>, one filed copy failed: %s",
                                  env.id, rcpt.address, exc)
        else:
            outcome = next((o for o in failed if isinstance(o, QuotaExceeded)), failed[0])
        folders = [f for f in stored if f != "INBOX"]
        self._record_local(env, rcpt, outcome, f" folder {', '.join(folders)}" if folders else "")
        if rcpt.state != "delivered":
            return
        for target in plan.decision.redirects:
            self._queue_redirect(plan, target)
        if plan.decision.vacation is not None:
            self._queue_vacation(plan, plan.decision.vacation)

    def _queue_new(self, env: Envelope, data: bytes) -> Envelope:
        queued = self.spool.enqueue(env, data)
        loop = getattr(self, "_loop", None)
        if loop is not None:  # before start() it is picked up from active/ at start
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._ready.put_nowait, queued.id)
        return queued

    def _queue_redirect(self, plan: _LocalPlan, target: str) -> None:
        sender = redirect_sender(plan.env.sender, plan.address, target, self._is_local)
        try:
            new = self._queue_new(
                Envelope(id="", sender=sender, recipients=[target], arrival=time.time(),
                         origin="redirect"),
                redirected_copy(plan.data, plan.address),
            )
        except OSError as exc:
            local_log.error("%s: to=<%s>, sieve: cannot queue the redirect to <%s>: %s",
                            plan.env.id, plan.rcpt.address, target, exc)
            return
        local_log.info("%s: to=<%s>, sieve: redirected to <%s> as %s (from=<%s>)",
                       plan.env.id, plan.rcpt.address, target, new.id, sender)

    def _queue_vacation(self, plan: _LocalPlan, request: VacationRequest) -> None:
        env, rcpt = plan.env, plan.rcpt
        view = MailView(plan.data, env.sender, plan.address)
        why = why_not_reply(view, request, [plan.address, rcpt.address, rcpt.orig or ""])
        memory = VacationMemory(self.store.maildir(plan.address))
        if why is None and memory.recently_answered(request.handle, env.sender):
            why = f"<{env.sender}> was answered within {request.days} day(s)"
        if why is not None:
            local_log.info("%s: to=<%s>, sieve: no vacation reply: %s", env.id, rcpt.address, why)
            return
        reply = compose_reply(view, request, plan.address, self.hostname)
        try:
            new = self._queue_new(
                Envelope(id="", sender="", recipients=[env.sender], arrival=time.time(),
                         origin="vacation"),
                reply,
            )
            memory.remember(request.handle, env.sender, request.days)
        except (OSError, sqlite3.Error) as exc:
            local_log.error("%s: to=<%s>, sieve: cannot send the vacation reply: %s",
                            env.id, rcpt.address, exc)
            return
        local_log.info("%s: to=<%s>, sieve: vacation reply to <%s> queued as %s",
                       env.id, rcpt.address, env.sender, new.id)

    def _record_local(self, env: Envelope, rcpt: RecipientState,
                      outcome: Delivered | Exception | str | None, where: str = "") -> None:
        """Note how a local delivery went (None: no such mailbox; a string: the
        reply of a delivery that stored nothing, a discard) and log it."""
        rcpt.attempts += 1
        if isinstance(outcome, str):
            rcpt.state, rcpt.reply = "delivered", outcome
        elif outcome is None:
            rcpt.state, rcpt.reply = "bounced", "550 5.1.1 Mailbox unavailable"
        elif isinstance(outcome, QuotaExceeded):
            rcpt.state, rcpt.reply = "bounced", "552 5.2.2 Mailbox full"
        elif isinstance(outcome, Exception):
            rcpt.state, rcpt.reply = "deferred", f"451 4.3.0 cannot write maildir: {outcome}"
        else:
            rcpt.state, rcpt.reply = "delivered", f"250 2.0.0 delivered to maildir{where}"
        state = "sent" if rcpt.state == "delivered" else rcpt.state
        orig = f", orig_to=<{rcpt.orig}>" if rcpt.orig else ""
        local_log.info("%s: to=<%s>%s, relay=local, status=%s (%s)",
                       env.id, rcpt.address, orig, state, rcpt.reply)
        self._event(rcpt.state, env, rcpt)

    async def _deliver_remote(
        self, env: Envelope, data: bytes, status: QueueStatus, rcpts: list[RecipientState]
    ) -> None:
        if self.remote is None:
            for rcpt in rcpts:
                rcpt.state = "deferred"
                rcpt.reply = "451 4.4.0 remote delivery is not enabled"
            return
        by_addr = {r.address: r for r in rcpts}
        for rcpt in rcpts:
            rcpt.attempts += 1
        results = await self.remote(env, data, list(by_addr))
        for res in results:
            rcpt = by_addr.get(res.recipient)
            if rcpt is None:
                continue
            rcpt.state, rcpt.reply = res.status, res.reply
            rcpt.status_code, rcpt.remote_host = res.status_code, res.remote_host
            self._event(res.status, env, rcpt)

    def _finish(
        self, env: Envelope, data: bytes, status: QueueStatus, *, fresh: bool = False
    ) -> bool:
        """Bounce, defer or remove a queue file after a delivery attempt (blocking).

        True when every recipient is done. A ``fresh`` file (one the local
        delivery thread took from the intake) is then left for the caller to
        remove; any other is removed here.
        """
        now = time.time()
        failed = [r for r in status.recipients if r.state == "bounced"]
        pending = status.pending()
        if pending and expired(env.arrival, now, lifetime=self.policy.lifetime):
            for rcpt in pending:
                rcpt.state = "bounced"
                rcpt.reply = f"{rcpt.reply or '4.4.7 delivery time expired'} (gave up)"
                failed.append(rcpt)
            pending = []
        if failed:
            self._bounce(env, data, failed, "failure")
            # Notified recipients are done; a retry must neither redeliver nor re-notify.
            status.recipients = [r for r in status.recipients if r.state != "bounced"]
        if (
            pending
            and self.policy.delay_warning
            and delay_warning_due(
                env.arrival, now, after=self.policy.delay_warning, already_warned=status.warned
            )
        ):
            self._bounce(env, data, pending, "delay")
            status.warned = True
        if not pending:
            if not fresh:
                self.spool.remove(env.id)
                log.info("%s: removed", env.id)
            return True
        status.attempts += 1
        status.next_try = now + self._delay(status.attempts)
        # Bounced recipients are done: drop them so a retry never re-notifies.
        self.spool.write_status(env.id, status)
        self.spool.move(env.id, "deferred")
        for rcpt in pending:
            log.info("%s: to=<%s>, status=deferred (%s)", env.id, rcpt.address, rcpt.reply)
        return False

    # -- bounces ----------------------------------------------------------

    def _bounce(
        self, env: Envelope, data: bytes, rcpts: list[RecipientState], kind: str
    ) -> None:
        if not should_bounce(env.sender):
            # A bounce that cannot be delivered goes to the postmaster once;
            # a double bounce that fails too is only logged, never returned.
            if env.origin == "bounce" and kind == "failure":
                self._send_dsn(env, data, rcpts, kind, self._postmaster(), double=True)
                return
            log.info("%s: not sending a %s notice to the null sender", env.id, kind)
            return
        self._send_dsn(env, data, rcpts, kind, env.sender)

    def _postmaster(self) -> str:
        domains = getattr(self.directory, "domains", None)
        first = domains()[0] if callable(domains) and domains() else self.hostname
        return f"postmaster@{first}"

    def _send_dsn(
        self,
        env: Envelope,
        data: bytes,
        rcpts: list[RecipientState],
        kind: str,
        to: str,
        *,
        double: bool = False,
    ) -> None:
        arrival = datetime.fromtimestamp(env.arrival, UTC)
        now = datetime.now(UTC)
        until = datetime.fromtimestamp(env.arrival + self.policy.lifetime, UTC)
        statuses = [
            recipient_status(
                RecipientResult(
                    r.address,
                    "bounced" if kind == "failure" else "deferred",
                    r.reply,
                    r.remote_host,
                    r.status_code or enhanced_code_from_reply(_code(r.reply), r.reply),
                ),
                last_attempt=now,
                will_retry_until=until if kind == "delay" else None,
            )
            for r in rcpts
        ]
        dsn = compose_dsn(
            reporting_mta=self.hostname,
            original_sender=to,
            original_message=data,
            recipients=statuses,
            kind="failure" if kind == "failure" else "delay",
            arrival_date=arrival,
            queue_id=env.id,
            postmaster=self._postmaster(),
        )
        bounce = self.spool.enqueue(
            Envelope(id="", sender="", recipients=[to], arrival=time.time(),
                     origin="double-bounce" if double else "bounce"),
            dsn,
        )
        what = "double bounce" if double else ("bounce" if kind == "failure" else "delay notice")
        log.info("%s: sender non-delivery notification: %s (%s to <%s>)",
                 env.id, bounce.id, what, to)
        self._loop.call_soon_threadsafe(self._ready.put_nowait, bounce.id)

    def _event(self, kind: str, env: Envelope, rcpt: RecipientState) -> None:
        if self.on_event is not None:
            self.on_event(
                f"message.{kind}",
                {"id": env.id, "to": rcpt.address, "from": env.sender, "reply": rcpt.reply},
            )
