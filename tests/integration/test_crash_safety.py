"""SIGKILL the daemon under load: every message that got 250 must survive."""

from __future__ import annotations

import re
import smtplib
import threading
import time
from pathlib import Path

from tests.support.daemon import Mailroom

TOKEN = re.compile(rb"Subject: crash-(\d+-\d+-\d+)")


def _sender(m: Mailroom, round_no: int, worker: int, acked: set[str], stop: threading.Event,
            lock: threading.Lock) -> None:
    n = 0
    while not stop.is_set():
        try:
            with smtplib.SMTP("127.0.0.1", m.port("smtp"), timeout=5) as s:
                while not stop.is_set():
                    token = f"{round_no}-{worker}-{n}"
                    n += 1
                    body = f"Subject: crash-{token}\r\n\r\n" + "line of text\r\n" * 200
                    rcpts = ["alice@example.test"] if n % 3 else ["staff@example.test"]
                    s.sendmail("x@outside.test", rcpts, body.encode())
                    with lock:
                        acked.add(token)
        except (OSError, smtplib.SMTPException):
            time.sleep(0.02)  # the daemon is gone or restarting


def _stored_tokens(home: Path) -> set[str]:
    found: set[str] = set()
    for sub in ("mail", "queue"):
        for path in (home / sub).rglob("*"):
            # free/: recycled queue files, never mail (after a crash maybe not yet emptied).
            if path.is_file() and path.parent.name not in ("tmp", "free"):
                found.update(t.decode() for t in TOKEN.findall(path.read_bytes()[:4096]))
    return found


def test_sigkill_under_load_loses_no_acknowledged_message(home: Mailroom) -> None:
    m = home
    acked: set[str] = set()
    lock = threading.Lock()
    for round_no in range(4):
        m.start()
        stop = threading.Event()
        threads = [
            threading.Thread(target=_sender, args=(m, round_no, w, acked, stop, lock))
            for w in range(8)
        ]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 5
        start_count = len(acked)
        while len(acked) < start_count + 40 + round_no * 25 and time.monotonic() < deadline:
            time.sleep(0.01)
        m.kill()  # SIGKILL mid-stream
        time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join(10)
    # Restart: the daemon resumes the spool and delivers what was queued.
    m.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and m.mailq():
            time.sleep(0.2)
        assert m.mailq() == []
        stored = _stored_tokens(m.home)
    finally:
        m.stop()
    assert len(acked) >= 100
    missing = acked - stored
    assert not missing, f"{len(missing)} acknowledged messages lost: {sorted(missing)[:10]}"
    assert not list((m.home / "queue" / "tmp").iterdir())
