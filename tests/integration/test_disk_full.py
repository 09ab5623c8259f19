"""A full data directory: 452 at MAIL FROM, the log holds its lines, and all resumes.

Runs on a small tmpfs the test mounts (root only, as in CI).
"""

from __future__ import annotations

import json
import os
import re
import smtplib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemon import Mailroom
from tests.support.waiting import wait

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")

LINE = re.compile(r"\w{3} [ \d]\d \d\d:\d\d:\d\d mail\.example\.test mailroom/\w+\[\d+\]: .*")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "fs"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(path: Path) -> None:
    chunk = b"\0" * 65536
    with open(path, "wb", buffering=0) as fh:
        while True:
            try:
                fh.write(chunk)
            except OSError:
                break
        # Down to the last block: small writes until nothing fits.
        while True:
            try:
                fh.write(b"\0" * 512)
            except OSError:
                return


def mail_from(m: Mailroom) -> int:
    with smtplib.SMTP("127.0.0.1", m.port("smtp"), timeout=10) as s:
        s.ehlo("client.test")
        return s.mail("someone@outside.test")[0]


def send(m: Mailroom, subject: str) -> None:
    with smtplib.SMTP("127.0.0.1", m.port("smtp"), timeout=10) as s:
        s.sendmail("someone@outside.test", ["bob@example.test"],
                   f"Subject: {subject}\r\n\r\nhello\r\n")


def test_full_disk_refuses_at_mail_from_and_everything_resumes(small_disk: Path) -> None:
    m = Mailroom(small_disk / "home")
    m.cli("init", "--hostname", "mail.example.test", "--domain", "example.test")
    m.cli("account", "add", "bob@example.test", "--password-stdin", input="pw-bob-1\n")
    m.cli("settings", "set", "queue.minfree", str(1024 * 1024))
    m.start()
    filler = small_disk / "filler"
    try:
        send(m, "before")
        m.wait_for_mail("bob@example.test", 1)
        fill(filler)
        wait(lambda: json.loads(m.cli("status", "--json").stdout)["storage"]["low"],
             what="the daemon to see the full disk")
        status = json.loads(m.cli("status", "--json").stdout)
        assert status["health"] == "degraded"
        assert any("disk space low" in p for p in status["problems"])
        assert mail_from(m) == 452
        # Sessions go on meanwhile: their log lines wait in memory, whole.
        for _ in range(3):
            assert mail_from(m) == 452
        before = (m.home / "logs" / "mailroom.log").read_bytes()
        assert before.endswith(b"\n")

        filler.unlink()
        wait(lambda: mail_from(m) == 250, what="mail accepted again")
        send(m, "after")
        m.wait_for_mail("bob@example.test", 2)
        wait(lambda: "disk space back" in m.log_text()
             and m.log_text().count("to=<bob@example.test>") >= 2, what="the log to resume")
        text = m.log_text()
        assert "disk space low" in text  # written once there was room again
        assert all(LINE.fullmatch(line) for line in text.splitlines()), "a cut line"
        assert not json.loads(m.cli("status", "--json").stdout)["storage"]["low"]
    finally:
        m.stop()
        filler.unlink(missing_ok=True)
