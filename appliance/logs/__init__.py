"""The mail log: one line per event, Postfix style, with the queue ID first.

``Jan  2 03:04:05 host mailroom/smtpd[123]: 4F2A1B3C9D0E: from=<a@b>, size=...``

Lines go to ``logs/mailroom.log`` (rotated by size) and to any in-process
subscribers (the control API streams them to the GUI).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["setup_logging", "stop_logging", "get_logger", "follow", "tail", "LogBus",
           "LogFile", "set_rotation", "log_file_state", "line_formatter", "log_line"]

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


# Postfix's severity labels; INFO lines carry none.
_LABELS = {logging.WARNING: "warning", logging.ERROR: "error", logging.CRITICAL: "fatal"}


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
        if record.levelno >= logging.WARNING and not msg.startswith(
                ("warning:", "error:", "fatal:")):
            msg = f"{_LABELS[min(record.levelno, logging.CRITICAL) // 10 * 10]}: {msg}"
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
    file = LogFile(log_file, max_bytes=max_bytes, keep=keep, hostname=hostname)
    bus = LogBus()
    handlers: list[logging.Handler] = [bus]
    if to_stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(fmt)
    # Formatting and file writes happen on a logging thread, never on the
    # event loop that serves SMTP sessions.
    global _writer
    if _writer is not None:
        _writer.stop()
    _writer = _LogWriter(file, fmt, handlers)
    root.addHandler(_writer.handler)
    # Library chatter (aiosmtpd logs every command at INFO) stays out of the mail log.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    return bus


class LogFile:
    """The log file, written only by the log writer's thread.

    It rotates by the size it has written (``.1`` ... ``.keep``), while the
    daemon runs. It writes whole lines only: when the disk is full
    (ENOSPC, or any other write error) the part of a batch that did get out
    is cut off again, the lines wait in memory (up to ``max_pending``
    bytes, then new ones are counted and dropped) and go out with a line
    saying how many were lost as soon as there is room again.
    """

    def __init__(self, path: Path, *, max_bytes: int = 10 * 1024 * 1024, keep: int = 5,
                 max_pending: int = 4 * 1024 * 1024, hostname: str = "localhost") -> None:
        self.path = path
        self.hostname = hostname
        self.max_bytes = max_bytes
        self.keep = keep
        self.max_pending = max_pending
        self.pending: deque[bytes] = deque()
        self.pending_bytes = 0
        self.dropped = 0
        self.failing: OSError | None = None
        self._fd = -1
        self._size = 0
        with contextlib.suppress(OSError):  # a full disk: the writer tries again
            self._open()

    def add(self, line: str) -> None:
        data = line.encode("utf-8", "replace") + b"\n"
        if self.pending_bytes + len(data) > self.max_pending:
            self.dropped += 1
            return
        self.pending.append(data)
        self.pending_bytes += len(data)

    def _open(self) -> None:
        if self._fd < 0:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._size = os.fstat(self._fd).st_size

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _rotate(self) -> None:
        self.close()
        for n in range(self.keep - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{n}")
            if older.exists():
                os.replace(older, self.path.with_name(f"{self.path.name}.{n + 1}"))
        if self.keep > 0:
            os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))
        else:
            os.unlink(self.path)
        self._open()

    def write_pending(self) -> bool:
        """Write what waits; False when the disk refused (the lines stay queued)."""
        if not self.pending and not self.dropped:
            return True
        try:
            self._open()
            while self.pending:
                chunk, size = [], 0
                room = self.max_bytes - self._size if self.max_bytes > 0 else 1 << 62
                for data in self.pending:
                    if chunk and size + len(data) > room:
                        break
                    chunk.append(data)
                    size += len(data)
                if self.max_bytes > 0 and self._size and self._size + size > self.max_bytes:
                    self._rotate()
                    continue
                self._write_chunk(chunk)
                for _ in chunk:
                    self.pending_bytes -= len(self.pending.popleft())
            if self.dropped:
                # Lines are dropped only while the memory bound is reached,
                # so the lost ones came after everything written above.
                self._write_chunk([self._lost_line(self.dropped)])
                self.dropped = 0
        except OSError as exc:
            if self.failing is None:
                print(f"mailroom: cannot write {self.path}: {exc}; holding log lines",
                      file=sys.stderr, flush=True)
            self.failing = exc
            return False
        self.failing = None
        return True

    def _write_chunk(self, chunk: list[bytes]) -> None:
        data = b"".join(chunk)
        start = self._size
        done = 0
        try:
            while done < len(data):
                done += os.write(self._fd, data[done:])
        except OSError:
            if done:
                # Never leave half a line: cut back to where this chunk began.
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, start)
            raise
        self._size = start + done

    def _lost_line(self, lost: int) -> bytes:
        when = time.strftime(_DATEFMT)
        return (f"{when} {self.hostname} mailroom/daemon[{os.getpid()}]: warning: "
                f"{lost} log line(s) lost while {self.path.name} could not be "
                "written\n").encode()


class _LogWriter:
    """One thread that formats queued records and writes them out in batches.

    The mail path logs several lines per message. Handing each line to a
    thread that sleeps on a queue would cost a thread wake-up per line, and
    under load those wake-ups (and the GIL hand-overs they cause) were a
    tenth of the daemon's time. Here a record is only appended to a deque;
    the thread is woken only when it is idle, and while lines keep coming
    it writes them out every ``batch_seconds`` instead. While the file
    cannot be written (a full disk) it tries again every ``retry_seconds``.
    """

    BATCH_SECONDS = 0.05
    RETRY_SECONDS = 0.5

    def __init__(self, file: LogFile, fmt: logging.Formatter,
                 handlers: list[logging.Handler], *, batch_seconds: float | None = None,
                 retry_seconds: float | None = None) -> None:
        self.file = file
        self._fmt = fmt
        self._handlers = handlers
        self.batch_seconds = self.BATCH_SECONDS if batch_seconds is None else batch_seconds
        self.retry_seconds = self.RETRY_SECONDS if retry_seconds is None else retry_seconds
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
            try:
                self.file.add(self._fmt.format(record))
            except Exception:  # a record that cannot be formatted must not stop the log
                self.file.add(f"warning: cannot format a log record: {record.msg!r}")
            for handler in self._handlers:
                if record.levelno >= handler.level:
                    handler.handle(record)
        if written or self.file.pending or self.file.dropped:
            self.file.write_pending()
        return written

    def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            written = self._write_pending()
            if self.file.failing is not None:
                # The disk refused: lines wait in memory; look again soon
                # (woken early only to stop).
                self._wake.wait(self.retry_seconds)
                continue
            if written:
                time.sleep(self.batch_seconds)
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
        self.file.close()


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


def set_rotation(max_bytes: int, keep: int) -> None:
    """Apply changed log.max_bytes / log.keep to the running log (at reload)."""
    if _writer is not None:
        _writer.file.max_bytes, _writer.file.keep = max_bytes, keep


def log_file_state() -> dict[str, int | str | None]:
    """How the log file is doing: lines waiting for room, lines lost, the last error."""
    if _writer is None:
        return {}
    file = _writer.file
    return {"pending": len(file.pending), "dropped": file.dropped,
            "error": str(file.failing) if file.failing else None}


def stop_logging() -> None:
    """Write out every queued line (at daemon shutdown)."""
    global _writer
    if _writer is not None:
        _writer.stop()
        _writer = None


def get_logger(service: str) -> logging.Logger:
    return logging.getLogger(f"mailroom.{service}")


def line_formatter(hostname: str) -> logging.Formatter:
    """The mail log's line format, for a helper process whose lines the daemon writes."""
    return _Formatter(hostname)


def log_line(line: str, level: int = logging.INFO) -> None:
    """Put a line another process formatted (its own pid, its queue ID) into the mail log."""
    record = logging.LogRecord("mailroom.relayed", level, "", 0, line, None, None)
    record.mailroom_line = line
    logging.getLogger("mailroom").handle(record)


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
