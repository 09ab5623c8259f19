"""The mail log: Postfix-style lines, rotation by size, tail and follow."""

from __future__ import annotations

import errno
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from appliance import logs
from appliance.logs import LogFile, get_logger, set_rotation, setup_logging, stop_logging, tail


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_lines_rotate_and_keep_the_postfix_shape(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "mailroom.log"
    bus = setup_logging(log_file, "mail.example.test", max_bytes=2000, keep=2)
    seen: list[str] = []
    bus.subscribe(seen.append)
    log = get_logger("smtpd")
    for i in range(100):
        log.info("K%06dABCDE: from=<a@b.test>, size=%d, nrcpt=1 (queue active)", i, i)
    get_logger("qmgr").warning("disk nearly full")
    stop_logging()
    rotated = sorted(p.name for p in log_file.parent.iterdir())
    assert rotated == ["mailroom.log", "mailroom.log.1", "mailroom.log.2"]
    assert all(p.stat().st_size <= 2100 for p in log_file.parent.iterdir())
    last = tail(log_file, 2)
    assert re.fullmatch(
        r"\w{3} [ \d]\d \d\d:\d\d:\d\d mail\.example\.test mailroom/smtpd\[\d+\]: "
        r"K000099ABCDE: from=<a@b\.test>, size=99, nrcpt=1 \(queue active\)", last[0])
    assert last[1].endswith("mailroom/qmgr[" + last[1].split("[")[1].split("]")[0]
                            + "]: warning: disk nearly full")
    assert len(seen) == 101 and seen[-1] == last[1]


def test_a_line_logged_when_idle_is_written_at_once(tmp_path: Path) -> None:
    import time

    log_file = tmp_path / "mailroom.log"
    setup_logging(log_file, "mail.example.test")
    try:
        for text in ("first line", "after a pause"):
            get_logger("qmgr").info(text)
            deadline = time.monotonic() + 2
            while text not in log_file.read_text() and time.monotonic() < deadline:
                time.sleep(0.01)
            assert text in log_file.read_text()
            wait_until(lambda: logs._writer is not None and logs._writer._idle)
        for i in range(500):  # a burst, written in batches
            get_logger("smtpd").info("burst %d", i)
    finally:
        stop_logging()
    assert log_file.read_text().count("burst ") == 500


def test_the_log_rotates_by_size_while_running(tmp_path: Path) -> None:
    log_file = tmp_path / "mailroom.log"
    setup_logging(log_file, "mail.example.test", max_bytes=1_000_000, keep=2)
    try:
        set_rotation(1500, 2)  # as a reload applies a changed log.max_bytes
        for i in range(60):
            get_logger("smtpd").info("K%06dABCDE: from=<a@b.test>, size=%d", i, i)
        # Nothing stops the writer here: rotation must happen as it writes.
        wait_until(lambda: (tmp_path / "mailroom.log.2").exists()
                   and "K000059ABCDE" in log_file.read_text())
        assert all(p.stat().st_size <= 1500 for p in tmp_path.iterdir())
        assert not (tmp_path / "mailroom.log.3").exists()
    finally:
        stop_logging()


def test_error_lines_are_labelled_error(tmp_path: Path) -> None:
    log_file = tmp_path / "mailroom.log"
    setup_logging(log_file, "mail.example.test")
    get_logger("qmgr").error("cannot remove the queue file")
    get_logger("qmgr").critical("out of everything")
    stop_logging()
    text = log_file.read_text()
    assert "mailroom/qmgr[" in text and ": error: cannot remove the queue file" in text
    assert ": fatal: out of everything" in text


def test_a_full_disk_holds_whole_lines_and_resumes(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mailroom.log"
    file = LogFile(path, max_pending=400, hostname="mail.example.test")
    real_write = os.write
    full = False

    def write(fd: int, data: bytes) -> int:
        if full:
            if len(data) > 10:  # half a batch gets out, then the disk is full
                return real_write(fd, data[: len(data) // 2 + 3])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)
    file.add("line one")
    assert file.write_pending()
    full = True
    for n in range(2, 40):
        file.add(f"line number {n:04d} " + "x" * 20)
    assert not file.write_pending()
    assert path.read_bytes() == b"line one\n"  # no half line left behind
    assert file.failing is not None and file.dropped > 0 and file.pending
    kept, lost = len(file.pending), file.dropped
    assert kept + lost == 38
    full = False
    assert file.write_pending()
    lines = path.read_text().splitlines()
    assert lines[0] == "line one" and len(lines) == 1 + kept + 1
    assert lines[1].startswith("line number 0002 ")
    assert lines[-1].endswith(f"warning: {lost} log line(s) lost while mailroom.log could "
                              "not be written")
    file.close()
