"""The mail spool: queue files on disk, the source of truth for queued mail.

Layout under ``DATA/queue/``:

- ``tmp/``       files being written (removed on start-up)
- ``active/``    arrived, waiting for the queue manager
- ``deferred/``  some recipients still to do; ``status/<id>.json`` says which
- ``hold/``      held by the administrator
- ``free/``      recycled files: no content that means anything, never mail

A queue file is one JSON line (the envelope) followed by the message bytes,
written with ``appliance.durable.write_file`` so that a file in ``active/``
is always complete and on disk. Per-recipient progress lives in a separate
small status file that is replaced atomically.

Queue files are recycled, as PostgreSQL recycles WAL segments: a removed
one is renamed into ``free/`` and truncated, and a new one is written into
a file taken from there (renamed into ``tmp/``, overwritten, fsynced,
renamed into ``active/``). Creating a file is what costs: ext4 without a
journal skips every inode freed in the last minutes when it allocates one
(0.5 ms of kernel time a file under load here, against 0.1 ms to open an
existing one). A file in ``free/`` is free by definition, also after a
crash: it is never read, only overwritten.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from appliance.durable import DirectorySync, write_files

__all__ = ["Spool", "Envelope", "RecipientState", "QueueStatus", "QUEUES"]

QUEUES = ("active", "deferred", "hold")
_ID_ALPHABET = "0123456789BCDFGHJKLMNPQRSTVWXYZ"


@dataclass
class Envelope:
    id: str
    sender: str  # "" for the null sender
    recipients: list[str]
    arrival: float
    client: str = ""
    helo: str = ""
    auth: str | None = None
    size: int = 0
    origin: str = "smtp"  # smtp, submission, smtps, sendmail, bounce
    # What the inbound checks found (appliance.authcheck Outcome.summary); None: not checked.
    checks: dict[str, Any] | None = None

    def to_line(self) -> bytes:
        # vars(), not asdict(): the fields are flat, and asdict's deep copy
        # showed up on the intake path.
        return json.dumps(vars(self), ensure_ascii=False).encode() + b"\n"

    @classmethod
    def from_line(cls, line: bytes) -> Envelope:
        data = json.loads(line)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class RecipientState:
    address: str
    state: str = "queued"  # queued, delivered, deferred, bounced
    reply: str = ""
    orig: str | None = None
    attempts: int = 0
    status_code: str = ""  # enhanced status code of the last attempt
    remote_host: str | None = None


@dataclass
class QueueStatus:
    recipients: list[RecipientState] = field(default_factory=list)
    attempts: int = 0
    next_try: float = 0.0
    last_try: float = 0.0
    warned: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QueueStatus:
        rcpts = [RecipientState(**r) for r in data.get("recipients", [])]
        fields = cls.__dataclass_fields__
        rest = {k: v for k, v in data.items() if k != "recipients" and k in fields}
        return cls(recipients=rcpts, **rest)

    def pending(self) -> list[RecipientState]:
        return [r for r in self.recipients if r.state in ("queued", "deferred")]


def _base(n: int, width: int) -> str:
    digits = []
    for _ in range(width):
        n, r = divmod(n, len(_ID_ALPHABET))
        digits.append(_ID_ALPHABET[r])
    return "".join(reversed(digits))


# A counter from a random start: unique within the process, and the time
# part keeps IDs of different processes (daemon, sendmail) apart.
_sequence = itertools.count(secrets.randbelow(len(_ID_ALPHABET) ** 4))
_sequence_lock = threading.Lock()


def new_queue_id() -> str:
    """A Postfix-like queue ID: time-ordered, 12 characters, unambiguous."""
    with _sequence_lock:
        seq = next(_sequence)
    return _base(time.time_ns() // 1000, 8) + _base(seq, 4)


def _named(env: Envelope, path: Path) -> Envelope:
    """``env`` if it is the one ``path`` names; a recycled file rewritten under
    the reader holds another message, which is as good as gone."""
    if env.id != os.path.basename(path):
        raise FileNotFoundError(f"{path}: removed while read")
    return env


class Spool:
    # Threads that fsync a batch of new queue files at once (made on first use).
    FSYNC_THREADS = 8
    # Files kept in free/ at most (0: no recycling). The pool refills at the
    # delivery rate and drains at the intake rate, so it only has to hold
    # what a burst delivers ahead of new mail: 1024 is two seconds at the
    # relay's top rate, and costs 1024 empty inodes (some 256 KiB of inode
    # table), nothing in data blocks.
    FREE_POOL = 1024
    # How often an empty pool looks again for files that other processes
    # (the CLI, a second Spool) freed, in seconds.
    FREE_RESCAN = 1.0

    def __init__(self, root: Path, dirsync: DirectorySync | None = None) -> None:
        self.root = root
        self.dirsync = dirsync or DirectorySync()
        self._fsyncs: ThreadPoolExecutor | None = None
        # Names believed to be in free/, oldest first; a name is only ours
        # once renamed out of free/ (other processes take from it too).
        self._free: deque[str] = deque()
        self._free_lock = threading.Lock()
        self._free_scanned: float | None = None
        for sub in ("tmp", *QUEUES, "status", "free"):
            (root / sub).mkdir(parents=True, exist_ok=True)

    def clean_tmp(self) -> int:
        """Remove half-written files left by a crash: they were never acknowledged.

        They go into the free pool while it has room (their content is
        overwritten before any use).
        """
        removed = 0
        for entry in os.scandir(self.root / "tmp"):
            if not self._recycle(entry.path, entry.name):
                os.unlink(entry.path)
            removed += 1
        return removed

    # -- the free pool ----------------------------------------------------

    def _scan_free(self) -> None:
        """Reload the pool's names from free/ (with ``_free_lock`` held)."""
        self._free_scanned = time.monotonic()
        known = set(self._free)
        self._free.extend(e.name for e in os.scandir(f"{self.root}/free") if e.name not in known)

    def _take_free(self, tmp: str) -> bool:
        """Rename a free file to ``tmp``; False: none to take, create one."""
        if self.FREE_POOL <= 0:
            return False
        while True:
            with self._free_lock:
                if not self._free:
                    if (self._free_scanned is not None
                            and time.monotonic() - self._free_scanned < self.FREE_RESCAN):
                        return False
                    try:
                        self._scan_free()
                    except OSError:  # free/ gone or not ours: new files, as without a pool
                        return False
                    if not self._free:
                        return False
                name = self._free.popleft()
            try:
                # The rename is the claim: of two takers (threads, processes) one wins.
                os.rename(f"{self.root}/free/{name}", tmp)
            except FileNotFoundError:
                continue
            except OSError:
                return False
            # A crash can leave a half-done rename in both directories (fsck
            # then keeps both names): overwriting that inode would overwrite
            # a queued message, so such a file is only unlinked from here.
            if os.stat(tmp).st_nlink == 1:
                return True
            os.unlink(tmp)

    def _recycle(self, path: str, name: str) -> bool:
        """Move a queue file at ``path`` into the pool, emptied; False: the pool is full.

        Also False when it cannot go there; the caller unlinks it then (and
        that raises FileNotFoundError when ``path`` is not there).
        """
        if len(self._free) >= self.FREE_POOL:
            return False
        free = f"{self.root}/free/{name}"
        try:
            os.rename(path, free)
        except OSError:
            return False
        # Emptied so a delivered message's bytes do not stay on disk. The
        # rename came first: an emptied file in a queue would be a broken
        # queue file after a crash; a full one in free/ is just free.
        # Not there: taken by another process already. Failing otherwise, it
        # is still free (O_TRUNC empties it on reuse); the message is gone.
        with contextlib.suppress(OSError):
            os.truncate(free, 0)
        with self._free_lock:
            self._free.append(name)
        return True

    # -- writing ----------------------------------------------------------

    def enqueue(self, envelope: Envelope, message: bytes | list[bytes]) -> Envelope:
        """Write a new queue file durably into ``active/`` (blocking)."""
        chunks = message if isinstance(message, list) else [message]
        error = self.enqueue_many([(envelope, chunks)])[0]
        if error is not None:
            raise error
        return envelope

    def enqueue_many(self, items: list[tuple[Envelope, list[bytes]]]) -> list[OSError | None]:
        """Write new queue files durably into ``active/`` together (blocking).

        The files are all written before the first fsync, fsynced in
        parallel (one journal commit for the batch, not one per file: with
        fsyncs in a row the disk, not the CPU, held the intake to some 250
        messages a second) and share one fsync of ``active/``. One result
        per item: None once it is in ``active/``, or the error that kept it
        out.
        """
        files = []
        recycled: set[str] = set()
        for envelope, chunks in items:
            if not envelope.id:
                envelope.id = new_queue_id()
            envelope.size = sum(map(len, chunks))
            tmp = f"{self.root}/tmp/{envelope.id}"
            # Via tmp/, not straight from free/ to active/: the rename that
            # claims the file keeps other takers off it, and a crash while
            # writing leaves it where start-up looks for the unfinished.
            if self._take_free(tmp):
                recycled.add(tmp)
            files.append((tmp, f"{self.root}/active/{envelope.id}", [envelope.to_line(), *chunks]))
        if len(files) > 1 and self._fsyncs is None:
            self._fsyncs = ThreadPoolExecutor(self.FSYNC_THREADS,
                                              thread_name_prefix="mailroom-fsync")
        return write_files(files, dirsync=self.dirsync, executor=self._fsyncs, existing=recycled)

    def write_status(self, qid: str, status: QueueStatus) -> None:
        path = self.root / "status" / f"{qid}.json"
        tmp = self.root / "tmp" / f"{qid}.status.{os.getpid()}"
        tmp.write_text(json.dumps(asdict(status)))
        os.replace(tmp, path)

    # -- reading ----------------------------------------------------------

    def locate(self, qid: str) -> tuple[str, Path] | None:
        if not qid or "/" in qid or qid.startswith("."):
            return None
        for queue in QUEUES:
            path = self.root / queue / qid
            if path.exists():
                return queue, path
        return None

    def read_envelope(self, path: Path) -> Envelope:
        with open(path, "rb") as fh:
            return _named(Envelope.from_line(fh.readline()), path)

    def read(self, path: Path) -> tuple[Envelope, bytes]:
        with open(path, "rb") as fh:
            env = _named(Envelope.from_line(fh.readline()), path)
            data = fh.read()
        if env.size and len(data) != env.size:
            # Emptied under us: removed (into the pool) while read, as if unlinked.
            raise FileNotFoundError(f"{path}: removed while read")
        return env, data

    def status(self, qid: str) -> QueueStatus | None:
        try:
            data = json.loads((self.root / "status" / f"{qid}.json").read_text())
        except (FileNotFoundError, ValueError):
            return None
        return QueueStatus.from_json(data)

    def ids(self, queue: str) -> list[str]:
        return sorted(e.name for e in os.scandir(self.root / queue) if e.is_file())

    def entries(self) -> Iterator[tuple[str, Envelope, QueueStatus | None]]:
        for queue in QUEUES:
            for qid in self.ids(queue):
                try:
                    env = self.read_envelope(self.root / queue / qid)
                except (FileNotFoundError, ValueError):
                    continue  # delivered and removed while we looked
                yield queue, env, self.status(qid)

    # -- moving -----------------------------------------------------------

    def move(self, qid: str, to_queue: str) -> None:
        found = self.locate(qid)
        if found is None:
            raise FileNotFoundError(qid)
        queue, path = found
        if queue != to_queue:
            os.rename(path, self.root / to_queue / qid)
            self.dirsync.sync(self.root / to_queue)

    def remove(self, qid: str, *, queue: str | None = None, status: bool = True) -> None:
        """Delete a queue file (into the free pool); ``queue``, ``status=False`` spare look-ups."""
        path: str | None = None
        if queue is not None:
            path = f"{self.root}/{queue}/{qid}"
        else:
            found = self.locate(qid)
            if found is not None:
                path = os.fspath(found[1])
        if path is not None and not self._recycle(path, qid):
            os.unlink(path)
        if status:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.root / "status" / f"{qid}.json")
