"""The mail spool: queue files on disk, the source of truth for queued mail.

Layout under ``DATA/queue/``:

- ``tmp/``       files being written (removed on start-up)
- ``active/``    arrived, waiting for the queue manager
- ``deferred/``  some recipients still to do; ``status/<id>.json`` says which
- ``hold/``      held by the administrator

A queue file is one JSON line (the envelope) followed by the message bytes,
written with ``appliance.durable.write_file`` so that a file in ``active/``
is always complete and on disk. Per-recipient progress lives in a separate
small status file that is replaced atomically.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import secrets
import threading
import time
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


class Spool:
    # Threads that fsync a batch of new queue files at once (made on first use).
    FSYNC_THREADS = 8

    def __init__(self, root: Path, dirsync: DirectorySync | None = None) -> None:
        self.root = root
        self.dirsync = dirsync or DirectorySync()
        self._fsyncs: ThreadPoolExecutor | None = None
        for sub in ("tmp", *QUEUES, "status"):
            (root / sub).mkdir(parents=True, exist_ok=True)

    def clean_tmp(self) -> int:
        """Remove half-written files left by a crash: they were never acknowledged."""
        removed = 0
        for entry in os.scandir(self.root / "tmp"):
            os.unlink(entry.path)
            removed += 1
        return removed

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
        for envelope, chunks in items:
            if not envelope.id:
                envelope.id = new_queue_id()
            envelope.size = sum(map(len, chunks))
            files.append((f"{self.root}/tmp/{envelope.id}", f"{self.root}/active/{envelope.id}",
                          [envelope.to_line(), *chunks]))
        if len(files) > 1 and self._fsyncs is None:
            self._fsyncs = ThreadPoolExecutor(self.FSYNC_THREADS,
                                              thread_name_prefix="mailroom-fsync")
        return write_files(files, dirsync=self.dirsync, executor=self._fsyncs)

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
            return Envelope.from_line(fh.readline())

    def read(self, path: Path) -> tuple[Envelope, bytes]:
        with open(path, "rb") as fh:
            env = Envelope.from_line(fh.readline())
            return env, fh.read()

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
        """Delete a queue file; ``queue`` and ``status=False`` spare the look-ups."""
        if queue is not None:
            os.unlink(f"{self.root}/{queue}/{qid}")
        else:
            found = self.locate(qid)
            if found is not None:
                os.unlink(found[1])
        if status:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.root / "status" / f"{qid}.json")
