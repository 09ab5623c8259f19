"""POP3 and IMAP served by the real daemon, fed by its own SMTP delivery."""

from __future__ import annotations

import imaplib
import json
import poplib
import shutil
import smtplib
import ssl
import subprocess
import threading
import time

import pytest

from tests.support.daemon import Mailroom

ALICE, PW = "alice@example.test", "pw-alice-1"


def deliver(m: Mailroom, subject: str, to: str = ALICE) -> None:
    with smtplib.SMTP("127.0.0.1", m.port("smtp"), timeout=10) as s:
        s.sendmail("x@outside.test", [to], f"Subject: {subject}\r\n\r\nbody\r\n".encode())


def imaps(m: Mailroom) -> imaplib.IMAP4_SSL:
    conn = imaplib.IMAP4_SSL("127.0.0.1", m.port("imaps"),
                             ssl_context=ssl._create_unverified_context())
    conn.login(ALICE, PW)
    return conn


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_contract_curl_pop3_and_imaps(mailroom: Mailroom) -> None:
    m = mailroom
    status = m.cli("status").stdout
    for name in ("pop3", "pop3s", "imap", "imaps"):
        assert any(line.split()[:1] == [name] and "running" in line
                   for line in status.splitlines()), name
    out = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{m.port('smtp')}", "--to", ALICE,
         "--header", "Subject: token-7f3a"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout
    m.wait_for_mail(ALICE)
    pop = subprocess.run(["curl", "-s", "--ssl-reqd", "-k", f"pop3://127.0.0.1:{m.port('pop3')}/1",
                          "-u", f"{ALICE}:{PW}"], capture_output=True, text=True, timeout=30)
    assert "token-7f3a" in pop.stdout
    imap = subprocess.run(["curl", "-s", "-k", f"imaps://127.0.0.1:{m.port('imaps')}/INBOX;UID=1",
                           "-u", f"{ALICE}:{PW}"], capture_output=True, text=True, timeout=30)
    assert "token-7f3a" in imap.stdout


def test_idle_sees_smtp_delivery_within_a_second(mailroom: Mailroom) -> None:
    m = mailroom
    conn = imaps(m)
    conn.select("INBOX")
    tag = conn._new_tag().decode()
    conn.send(f"{tag} IDLE\r\n".encode())
    assert conn.readline().startswith(b"+")
    timer = threading.Timer(0.2, deliver, (m, "idle-test"))
    timer.start()
    started = time.monotonic()
    conn.sock.settimeout(5)
    line = conn.readline()
    elapsed = time.monotonic() - started
    timer.join()
    assert b"EXISTS" in line
    assert elapsed < 1.2 + 0.2
    conn.send(b"DONE\r\n")
    conn.logout()


def test_uids_survive_restart_and_quota_shows(mailroom: Mailroom) -> None:
    m = mailroom
    m.cli("account", "quota", ALICE, "10M")
    for i in range(3):
        deliver(m, f"n{i}")
    m.wait_for_mail(ALICE, 3)
    conn = imaps(m)
    conn.select("INBOX")
    before = conn.uid("SEARCH", "ALL")[1][0].split()
    typ, data = conn.getquotaroot("INBOX")
    assert typ == "OK" and b"STORAGE" in data[1][0]
    assert b"10240" in data[1][0]  # 10 MiB in KiB
    conn.logout()
    m.stop()
    m.start()
    conn = imaps(m)
    conn.select("INBOX")
    validity = conn.response("UIDVALIDITY")
    assert conn.uid("SEARCH", "ALL")[1][0].split() == before
    assert validity[1][0]
    conn.logout()
    rows = json.loads(m.cli("account", "list", "--json").stdout)
    alice = next(r for r in rows if r["address"] == ALICE)
    assert alice["messages"] == 3 and alice["used_bytes"] > 0
    assert alice["quota_bytes"] == 10 * 1024 * 1024
    folders = json.loads(m.cli("mailbox", "list", ALICE, "--json").stdout)
    assert {"INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"} <= {f["folder"] for f in folders}
    assert next(f for f in folders if f["folder"] == "INBOX")["messages"] == 3


def test_pop3_dele_without_quit_deletes_nothing(mailroom: Mailroom) -> None:
    m = mailroom
    deliver(m, "keep-me")
    m.wait_for_mail(ALICE)
    pop = poplib.POP3_SSL("127.0.0.1", m.port("pop3s"),
                          context=ssl._create_unverified_context())
    pop.user(ALICE)
    pop.pass_(PW)
    assert pop.stat()[0] == 1
    pop.dele(1)
    pop.sock.close()  # vanish without QUIT
    pop = poplib.POP3_SSL("127.0.0.1", m.port("pop3s"),
                          context=ssl._create_unverified_context())
    pop.user(ALICE)
    pop.pass_(PW)
    assert pop.stat()[0] == 1
    pop.quit()
