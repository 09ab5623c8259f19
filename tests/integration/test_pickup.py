"""Mail queued while the daemon is down, and ``sendmail`` for any local user (maildrop)."""

from __future__ import annotations

import io
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from appliance.cli import sendmail
from appliance.home import Home
from appliance.queue.pickup import BadDrop, Drop, encode_drop, parse_drop
from tests.support.daemon import Mailroom, make_mailroom
from tests.support.waiting import wait

NOBODY = 65534


def test_parse_drop_checks_the_envelope_and_the_size() -> None:
    good = encode_drop(Drop(None, "Cron Daemon", ["bob@example.test"], b"Subject: x\r\n\r\nx\r\n"))
    drop = parse_drop(good, max_size=100, max_recipients=5)
    assert drop.recipients == ["bob@example.test"] and drop.full_name == "Cron Daemon"
    for bad, why in [
        (b"no envelope at all", "no envelope"),
        (b"[1, 2]\nSubject: x\r\n\r\nx\r\n", "not an object"),
        (b'{"sender": null, "recipients": []}\nx\r\n', "no recipients"),
        (b'{"sender": 5, "recipients": ["a@b.c"]}\nx\r\n', "bad sender"),
        (b'{"recipients": ["a@b.c"], "full_name": "a\\r\\nBcc: x"}\nx\r\n', "bad full name"),
        (b'{"recipients": ["a@b.c"]}\n' + b"x" * 101, "larger than 100"),
        (b'{"recipients": ["a@b.c", "d@e.f"]}\nx\r\n', "more than 1"),
    ]:
        with pytest.raises(BadDrop, match=why):
            parse_drop(bad, max_size=100, max_recipients=1 if "d@e.f" in bad.decode() else 5)


def test_mail_queued_while_the_daemon_was_down_is_delivered_at_start(home: Mailroom) -> None:
    # Once started and stopped, so that the maildrop exists.
    home.start()
    home.stop()
    said = home.cli("sendmail", "-v", "-f", "alice@example.test", "bob@example.test",
                    input="Subject: while down\n\nqueued by the CLI\n").stdout
    queued = [p.name for p in (home.home / "queue" / "active").iterdir()]
    assert said == f"queued as {queued[0]}\n"  # -v names the queue ID
    sendmail.drop(Home(home.home), Drop(None, None, ["bob@example.test"],
                                        b"Subject: dropped while down\r\n\r\nx\r\n"))
    home.start()
    try:
        files = home.wait_for_mail("bob@example.test", 2)
        subjects = sorted(f.read_bytes().split(b"Subject: ")[1].split(b"\n")[0].strip()
                          for f in files)
        assert subjects == [b"dropped while down", b"while down"]
        wait(lambda: not list((home.home / "maildrop").glob("?" * 32)), what="pickup")
    finally:
        home.stop()


@pytest.fixture
def open_home(tmp_path: Path) -> Iterator[Mailroom]:
    """A data directory other users can reach (pytest's tmp_path is 0700 root's)."""
    if os.geteuid() != 0:
        pytest.skip("running sendmail as another user needs root")
    base = Path(tempfile.mkdtemp(prefix="mailroom-pickup-"))
    os.chmod(base, 0o711)
    m = make_mailroom(base)
    m.start()
    try:
        yield m
    finally:
        m.stop()
        shutil.rmtree(base, ignore_errors=True)


def as_user(uid: int, fn: Callable[[], int]) -> tuple[int, str]:
    """Run ``fn`` in a forked child as ``uid`` (no groups): its exit code and output."""
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 70
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            sys.stdout = os.fdopen(write_end, "w")
            code = fn()
            sys.stdout.flush()
        except BaseException as exc:
            os.write(2, f"child failed: {exc!r}\n".encode())
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end) as fh:
        output = fh.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output


def run_sendmail(args: list[str], message: bytes) -> Callable[[], int]:
    def child() -> int:
        sys.stdin = io.TextIOWrapper(io.BytesIO(message))
        return sendmail.main(args)
    return child


def test_any_local_user_sends_through_the_maildrop(open_home: Mailroom) -> None:
    m = open_home
    root, maildrop = m.home, m.home / "maildrop"
    assert stat.S_IMODE(root.stat().st_mode) == 0o711
    assert stat.S_IMODE(maildrop.stat().st_mode) == 0o1733
    for name in ("mailroom.db", "control.secret", "queue", "mail", "tls"):
        assert not stat.S_IMODE((root / name).stat().st_mode) & 0o077, name
    # Everything the child needs is imported here: as nobody it cannot read
    # the Python installation under /root.
    sendmail.prepare(b"Subject: x\r\n\r\nx\r\n", sender=None, full_name=None, extract=True,
                     rcpts=[])
    sendmail.may_use_control(Home(root))

    def snoop() -> int:
        for look in (lambda: os.listdir(maildrop), lambda: (root / "control.secret").read_text(),
                     lambda: (root / "mailroom.db").read_bytes(), lambda: os.listdir(root)):
            try:
                look()
            except PermissionError:
                continue
            return 1
        return 0

    assert as_user(NOBODY, snoop)[0] == 0
    args = ["--data-dir", str(root), "-v", "-F", "Cron Daemon", "bob@example.test"]
    code, said = as_user(NOBODY, run_sendmail(args, b"Subject: from cron\n\nnightly report\n"))
    assert code == 0
    assert "dropped for pickup as" in said
    delivered = m.wait_for_mail("bob@example.test")[0].read_text()
    assert "Subject: from cron" in delivered
    assert "From: Cron Daemon <nobody@mail.example.test>" in delivered
    line = wait(lambda: [x for x in m.log_text().splitlines() if "uid=65534" in x],
                what="the pickup log line")[0]
    assert "mailroom/pickup[" in line and "uid=65534 from=<>" in line
    assert not [p for p in maildrop.iterdir() if p.name != "bad"]


def test_a_bad_drop_is_set_aside_and_pickup_goes_on(open_home: Mailroom) -> None:
    m = open_home
    maildrop = m.home / "maildrop"
    (maildrop / ("a" * 32)).write_bytes(b"this is not a drop file")
    (maildrop / ("b" * 32)).symlink_to(m.home / "control.secret")
    (maildrop / ("c" * 32)).write_bytes(
        b'{"recipients": ["<a@@b>"]}\nSubject: x\r\n\r\nx\r\n')
    wait(lambda: len(list((maildrop / "bad").iterdir())) == 3
         and m.log_text().count("bad drop ") == 3, what="bad drops set aside")
    text = m.log_text()
    assert "bad drop " + "a" * 32 in text and "a symbolic link" in text
    assert "bad recipient" in text
    sendmail.drop(Home(m.home), Drop("alice@example.test", None, ["bob@example.test"],
                                     b"Subject: still working\r\n\r\nx\r\n"))
    assert "still working" in m.wait_for_mail("bob@example.test")[0].read_text()
