"""The mail log: one line per event, Postfix style, with the queue ID first.

``Jan  2 03:04:05 host mailroom/smtpd[123]: 4F2A1B3C9D0E: from=<a@b>, size=...``

Lines go to ``logs/mailroom.log`` (rotated by size) and to any in-process
subscribers (the control API streams them to the GUI).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["setup_logging", "stop_logging", "get_logger", "follow", "tail", "LogBus"]

_DATEFMT = "%b %d %H:%M:%S"


class LogBus(logging.Handler):
    """Keeps recent formatted lines and hands new ones to subscribers."""

    def __init__(self, keep: int = 5000) -> None:
        super().__init__()
        self.recent: deque[str] = deque(maxlen=keep)
        self._subscribers: list[Callable[[str], None]] = []

    def subscribe(self, callback: Callable[[str], None]) -> Callable[[], None]:
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        self.recent.append(line)
        for callback in list(self._subscribers):
            try:
                callback(line)
            except Exception:  # a broken subscriber must not stop mail
                self.handleError(record)


class _Formatter(logging.Formatter):
    """Postfix's line format; each record is formatted once for all handlers."""

    def __init__(self, hostname: str) -> None:
        super().__init__(datefmt=_DATEFMT)
        self.hostname = hostname
        self.pid = os.getpid()
        self._second = -1
        self._when = ""

    def format(self, record: logging.LogRecord) -> str:
        line: str | None = getattr(record, "mailroom_line", None)
        if line is not None:
            return line
        named = record.name.startswith("mailroom.")
        service = record.name.rpartition(".")[2] if named else "daemon"
        second = int(record.created)
        if second != self._second:  # one strftime per second, not per line
            self._second, self._when = second, time.strftime(_DATEFMT, time.localtime(second))
        msg = record.getMessage()
        if record.levelno >= logging.WARNING and not msg.startswith(("warning:", "fatal:")):
            msg = f"{'fatal' if record.levelno >= logging.CRITICAL else 'warning'}: {msg}"
        if record.exc_text:
            msg += " " + record.exc_text.replace("\n", " | ")
        line = f"{self._when} {self.hostname} mailroom/{service}[{self.pid}]: {msg}"
        record.mailroom_line = line
        return line


def setup_logging(
    log_file: Path,
    hostname: str,
    *,
    max_bytes: int = 10 * 1024 * 1024,
    keep: int = 5,
    to_stderr: bool = False,
) -> LogBus:
    # The mail path logs several lines per message: skip what a record would
    # otherwise gather and this log never shows (caller frame, thread and
    # process names).
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    root = logging.getLogger("mailroom")
    root.setLevel(logging.INFO)
    root.propagate = False
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    fmt = _Formatter(hostname)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    file_handler = _BatchedRotatingFileHandler(
        log_file, maxBytes=max_bytes, backupCount=keep, encoding="utf-8"
    )
    bus = LogBus()
    handlers: list[logging.Handler] = [file_handler, bus]
    if to_stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(fmt)
    # Formatting and file writes happen on a logging thread, never on the
    # event loop that serves SMTP sessions.
    global _writer
    if _writer is not None:
        _writer.stop()
    _writer = _LogWriter(file_handler, handlers)
    root.addHandler(_writer.handler)
    # Library chatter (aiosmtpd logs every command at INFO) stays out of the mail log.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    return bus


class _BatchedRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Leaves flushing to the log writer, which flushes after each batch.

    It also counts what it writes instead of asking the file system for the
    size before every line, as the standard handler does.
    """

    def __init__(self, filename: Path, **kwargs: Any) -> None:
        super().__init__(filename, **kwargs)
        try:
            self._size = os.path.getsize(filename)
        except OSError:
            self._size = 0

    def shouldRollover(self, record: logging.LogRecord) -> bool:  # noqa: N802
        if self.maxBytes <= 0:
            return False
        self._size += len(self.format(record)) + 1
        return self._size > self.maxBytes

    def doRollover(self) -> None:  # noqa: N802
        super().doRollover()
        self._size = 0

    def flush(self) -> None:
        pass

    def really_flush(self) -> None:
        super().flush()


class _LogWriter:
    """One thread that formats queued records and writes them out in batches.

    The mail path logs several lines per message. Handing each line to a
    thread that sleeps on a queue would cost a thread wake-up per line, and
    under load those wake-ups (and the GIL hand-overs they cause) were a
    tenth of the daemon's time. Here a record is only appended to a deque;
    the thread is woken only when it is idle, and while lines keep coming
    it writes them out every ``BATCH_SECONDS`` instead.
    """

    BATCH_SECONDS = 0.05

    def __init__(self, file_handler: _BatchedRotatingFileHandler,
                 handlers: list[logging.Handler]) -> None:
        self._file = file_handler
        self._handlers = handlers
        self._records: deque[logging.LogRecord] = deque()
        self._wake = threading.Event()
        self._idle = False
        self._stopping = False
        self.handler = _DeferredHandler(self.put)
        self._thread = threading.Thread(target=self._run, name="mailroom-log", daemon=True)
        self._thread.start()

    def put(self, record: logging.LogRecord) -> None:
        self._records.append(record)
        if self._idle:
            self._idle = False
            self._wake.set()

    def _write_pending(self) -> int:
        written = 0
        while self._records:
            record = self._records.popleft()
            written += 1
            for handler in self._handlers:
                if record.levelno >= handler.level:
                    handler.handle(record)
        if written:
            self._file.really_flush()
        return written

    def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            if self._write_pending():
                time.sleep(self.BATCH_SECONDS)
                continue
            self._idle = True
            # Checked again after saying so: a line added just before would
            # otherwise wait for the next one.
            if not self._records and not self._stopping:
                self._wake.wait()
            self._idle = False
        self._write_pending()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self._thread.join()
        self._write_pending()  # anything logged while the thread was ending


class _DeferredHandler(logging.Handler):
    """Queues the record as it is: the log writer's thread formats it."""

    def __init__(self, put: Callable[[logging.LogRecord], None]) -> None:
        super().__init__()
        self._put = put

    def handle(self, record: logging.LogRecord) -> bool:  # type: ignore[override]
        # No handler lock: appending to a deque is already thread-safe.
        if record.exc_info:
            # Tracebacks hold frames; render them now, while they are valid.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        self._put(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        self.handle(record)


_writer: _LogWriter | None = None


def stop_logging() -> None:
    """Write out every queued line (at daemon shutdown)."""
    global _writer
    if _writer is not None:
        _writer.stop()
        _writer = None


def get_logger(service: str) -> logging.Logger:
    return logging.getLogger(f"mailroom.{service}")


def tail(path: Path, lines: int) -> list[str]:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            end = fh.tell()
            block = min(end, max(4096, lines * 200))
            fh.seek(end - block)
            data = fh.read().decode("utf-8", "replace").splitlines()
    except FileNotFoundError:
        return []
    return data[-lines:] if lines else []


def follow(path: Path, poll: float = 0.25) -> Iterator[str]:
    """Yield lines appended to ``path``, following rotation like ``tail -F``."""
    fh = None
    inode = None
    try:
        while True:
            if fh is None:
                try:
                    fh = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115
                    inode = os.fstat(fh.fileno()).st_ino
                    if inode is not None and fh.tell() == 0 and _first_open(path):
                        fh.seek(0, os.SEEK_END)
                except FileNotFoundError:
                    time.sleep(poll)
                    continue
            line = fh.readline()
            if line:
                yield line.rstrip("\n")
                continue
            try:
                if os.stat(path).st_ino != inode:
                    fh.close()
                    fh = None
                    continue
            except FileNotFoundError:
                pass
            time.sleep(poll)
    finally:
        if fh is not None:
            fh.close()


_opened: set[str] = set()


def _first_open(path: Path) -> bool:
    key = os.fspath(path)
    first = key not in _opened
    _opened.add(key)
    return first
