"""The mail log: Postfix-style lines, rotation by size, tail and follow."""

from __future__ import annotations

import re
from pathlib import Path

from appliance.logs import get_logger, setup_logging, stop_logging, tail


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
            time.sleep(0.2)  # let the writer go idle again
        for i in range(500):  # a burst, written in batches
            get_logger("smtpd").info("burst %d", i)
    finally:
        stop_logging()
    assert log_file.read_text().count("burst ") == 500
