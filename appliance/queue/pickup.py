"""Pickup: mail that local users' ``sendmail`` dropped into ``DATA/maildrop/``.

Like Postfix's postdrop and pickup: a user who may not talk to the control
API (anyone but the administrator) writes the message to ``maildrop/`` under
a temporary name (``.tmp-…``) and renames it when complete. The daemon
looks every ``interval`` seconds, checks each file (a regular file, not a
link, within the size limit, a sane envelope), queues it durably with the
dropping user's uid on record, and removes it. A file that does not pass is
moved to ``maildrop/bad/`` and logged; it never stops the pickup.

A drop file is one JSON line, the envelope, then the message::

    {"sender": "alice@example.test" | null, "full_name": "Alice" | null,
     "recipients": ["bob@example.test"]}

A null sender means "the dropping user at this host".
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import re
import stat
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

from appliance.logs import get_logger

__all__ = ["Drop", "BadDrop", "Pickup", "parse_drop", "encode_drop", "DROP_NAME"]

log = get_logger("pickup")

# Names a finished drop may have; anything else is left alone (or cleaned up).
DROP_NAME = re.compile(r"[0-9a-f]{32}")
TMP_PREFIX = ".tmp-"
STALE_SECONDS = 3600  # a temporary file this old was abandoned by its writer
ENVELOPE_LIMIT = 64 * 1024


class BadDrop(ValueError):
    """A drop file that can never be queued as it is."""


@dataclass
class Drop:
    sender: str | None
    full_name: str | None
    recipients: list[str]
    message: bytes


def encode_drop(drop: Drop) -> bytes:
    envelope = {"sender": drop.sender, "full_name": drop.full_name,
                "recipients": drop.recipients}
    return json.dumps(envelope, ensure_ascii=False).encode() + b"\n" + drop.message


def parse_drop(data: bytes, *, max_size: int, max_recipients: int) -> Drop:
    """Check and split a drop file; ``BadDrop`` says what is wrong with it."""
    end = data.find(b"\n", 0, ENVELOPE_LIMIT)
    if end < 0:
        raise BadDrop("no envelope line")
    try:
        envelope = json.loads(data[:end])
    except ValueError as exc:
        raise BadDrop(f"envelope is not JSON ({exc})") from exc
    if not isinstance(envelope, dict):
        raise BadDrop("envelope is not an object")
    sender, full_name = envelope.get("sender"), envelope.get("full_name")
    recipients = envelope.get("recipients")
    if sender is not None and (not isinstance(sender, str) or len(sender) > 998):
        raise BadDrop("bad sender")
    if full_name is not None and (not isinstance(full_name, str) or len(full_name) > 200
                                  or any(c in full_name for c in "\r\n")):
        raise BadDrop("bad full name")
    if (not isinstance(recipients, list) or not recipients
            or not all(isinstance(r, str) and r and len(r) <= 998 for r in recipients)):
        raise BadDrop("no recipients, or a recipient that is not an address")
    if len(recipients) > max_recipients:
        raise BadDrop(f"{len(recipients)} recipients, more than {max_recipients}")
    message = data[end + 1:]
    if len(message) > max_size:
        raise BadDrop(f"message of {len(message)} bytes, larger than {max_size}")
    if not message.strip():
        raise BadDrop("empty message")
    return Drop(sender, full_name, recipients, message)


# (uid of the file's owner, the drop) -> the queue ID; StateError: refused.
Submit = Callable[[int, Drop], Awaitable[str]]


class Pickup:
    def __init__(self, maildrop: Path, submit: Submit, *, max_size: Callable[[], int],
                 max_recipients: Callable[[], int], interval: float = 0.25,
                 executor: Executor | None = None) -> None:
        self.maildrop = maildrop
        self.submit = submit
        self.max_size = max_size
        self.max_recipients = max_recipients
        self.interval = interval
        self.executor = executor

    async def run(self) -> None:
        """Look for drops until cancelled: at start (what came while down), then every interval."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                names = await loop.run_in_executor(self.executor, self.scan)
                for name in names:
                    await self.take(name)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("pickup of %s failed; trying again", self.maildrop)
            await asyncio.sleep(self.interval)

    def scan(self) -> list[str]:
        """Finished drops, oldest first; abandoned temporary files are removed."""
        found: list[tuple[float, str]] = []
        now = time.time()
        for entry in os.scandir(self.maildrop):
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if DROP_NAME.fullmatch(entry.name):
                found.append((st.st_mtime, entry.name))
            elif entry.name.startswith(TMP_PREFIX) and now - st.st_mtime > STALE_SECONDS:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    log.info("removed abandoned temporary file %s (uid=%d)",
                             entry.name, st.st_uid)
            elif entry.name != "bad" and not entry.name.startswith(TMP_PREFIX):
                self._set_aside(entry.name, st.st_uid, "not a drop file name")
        return [name for _, name in sorted(found)]

    def _read(self, name: str) -> tuple[int, bytes]:
        """The owner's uid and the contents; a link, a FIFO or the like is refused."""
        fd = os.open(self.maildrop / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise BadDrop("not a regular file")
            if st.st_nlink != 1:
                raise BadDrop("a hard link")  # someone else's file, linked in
            if st.st_size > self.max_size() + ENVELOPE_LIMIT:
                raise BadDrop(f"file of {st.st_size} bytes, larger than the size limit")
            chunks = []
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
            return st.st_uid, b"".join(chunks)
        finally:
            os.close(fd)

    async def take(self, name: str) -> None:
        from appliance.state import StateError

        loop = asyncio.get_running_loop()
        uid = -1
        try:
            uid, data = await loop.run_in_executor(self.executor, self._read, name)
            drop = parse_drop(data, max_size=self.max_size(),
                              max_recipients=self.max_recipients())
            qid = await self.submit(uid, drop)
        except FileNotFoundError:
            return  # gone meanwhile
        except (BadDrop, StateError) as exc:
            await loop.run_in_executor(self.executor, self._set_aside, name, uid, str(exc))
            return
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # a symbolic link, refused by O_NOFOLLOW
                await loop.run_in_executor(self.executor, self._set_aside, name, uid,
                                           "a symbolic link")
                return
            # Most likely a full disk: the drop stays and is tried again.
            log.warning("cannot queue %s for now: %s", name, exc)
            return
        # Removed at once, not in a thread: a stop in between would queue it twice.
        self._remove(name)
        log.info("%s: uid=%d from=<%s>", qid, uid, drop.sender or "")

    def _remove(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.maildrop / name)

    def _set_aside(self, name: str, uid: int, reason: str) -> None:
        try:
            os.replace(self.maildrop / name, self.maildrop / "bad" / name)
        except OSError as exc:
            log.error("bad drop %s (uid=%d): %s; cannot move it aside: %s",
                      name, uid, reason, exc)
            with contextlib.suppress(OSError):
                os.unlink(self.maildrop / name)
            return
        log.warning("bad drop %s (uid=%d) moved to maildrop/bad: %s", name, uid, reason)
