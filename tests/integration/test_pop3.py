"""POP3 over real sockets with poplib."""

from __future__ import annotations

import base64
import poplib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.readmail import USERS, ReadMail, client_context, sample_message

ALICE = "alice@example.test"


@pytest.fixture
def mail(tmp_path: Path) -> Iterator[ReadMail]:
    rm = ReadMail(tmp_path / "rm")
    for i in range(3):
        rm.deliver(ALICE, sample_message(f"pop-{i}", f".starts with a dot\nline 2\nline 3 {i}\n"))
    yield rm
    rm.stop()


def login(mail: ReadMail) -> poplib.POP3:
    c = poplib.POP3("127.0.0.1", mail.port(mail.pop3), timeout=10)
    c.user(ALICE)
    c.pass_(USERS[ALICE])
    return c


def login_when_unlocked(mail: ReadMail) -> poplib.POP3:
    """Log in once the server has seen the previous connection drop (it holds the lock)."""
    deadline = time.monotonic() + 5
    while True:
        try:
            return login(mail)
        except poplib.error_proto as exc:
            if b"IN-USE" not in exc.args[0] or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def test_retr_top_uidl(mail: ReadMail) -> None:
    c = login(mail)
    count, size = c.stat()
    assert count == 3
    _, listing, _ = c.list()
    assert sum(int(x.split()[1]) for x in listing) == size
    _, lines, octets = c.retr(2)
    assert b"Subject: pop-1" in lines and b".starts with a dot" in lines
    assert lines[-1] == b"line 3 1"
    assert octets >= int(listing[1].split()[1])
    _, top, _ = c.top(1, 1)
    assert top[-1] == b".starts with a dot" and b"line 2" not in top
    uidls = c.uidl()[1]
    c.quit()
    c = login(mail)
    assert c.uidl()[1] == uidls  # stable across sessions
    c.quit()


def test_dele_only_at_quit(mail: ReadMail) -> None:
    c = login(mail)
    c.dele(1)
    with pytest.raises(poplib.error_proto):
        c.retr(1)
    assert c.stat()[0] == 2
    c.rset()
    assert c.stat()[0] == 3
    c.dele(1)
    c.close()  # connection lost without QUIT: nothing is deleted
    c = login_when_unlocked(mail)
    assert c.stat()[0] == 3
    c.dele(1)
    c.quit()
    c = login(mail)
    assert c.stat()[0] == 2
    c.quit()
    # IMAP sees the deletion and the retrieved-message \Seen flags.
    acct = mail.store.account(ALICE)
    assert len(acct.open("INBOX").uids) == 2


def test_exclusive_lock(mail: ReadMail) -> None:
    c = login(mail)
    d = poplib.POP3("127.0.0.1", mail.port(mail.pop3), timeout=10)
    d.user(ALICE)
    with pytest.raises(poplib.error_proto, match="IN-USE"):
        d.pass_(USERS[ALICE])
    c.quit()
    d.user(ALICE)
    assert d.pass_(USERS[ALICE]).startswith(b"+OK")
    d.quit()


def test_tls_and_plaintext_policy(tmp_path: Path) -> None:
    rm = ReadMail(tmp_path / "rm", loopback_plaintext=False)
    try:
        rm.deliver(ALICE, sample_message("secure"))
        c = poplib.POP3("127.0.0.1", rm.port(rm.pop3), timeout=10)
        caps = c.capa()
        assert "STLS" in caps and "USER" not in caps
        with pytest.raises(poplib.error_proto):
            c.user(ALICE)
        c.stls(client_context(rm.cert))
        assert "SASL" in c.capa()
        token = base64.b64encode(f"\0{ALICE}\0{USERS[ALICE]}".encode()).decode()
        assert c._shortcmd(f"AUTH PLAIN {token}").startswith(b"+OK")
        assert c.stat()[0] == 1
        c.quit()
        s = poplib.POP3_SSL("127.0.0.1", rm.port(rm.pop3s), context=client_context(rm.cert))
        s.user(ALICE)
        s.pass_(USERS[ALICE])
        assert s.stat()[0] == 1
        s.quit()
    finally:
        rm.stop()


def test_bad_login_and_commands(mail: ReadMail) -> None:
    c = poplib.POP3("127.0.0.1", mail.port(mail.pop3), timeout=10)
    c.user(ALICE)
    with pytest.raises(poplib.error_proto, match="AUTH"):
        c.pass_("wrong")
    with pytest.raises(poplib.error_proto):
        c.stat()
    with pytest.raises(poplib.error_proto):
        c._shortcmd("FROB")
    c.user(ALICE)
    c.pass_(USERS[ALICE])
    for bad in ("RETR 0", "RETR 99", "TOP 1", "DELE x"):
        with pytest.raises(poplib.error_proto):
            c._shortcmd(bad)
    c.quit()


def test_retr_everything_in_order_with_read_ahead(tmp_path: Path) -> None:
    rm = ReadMail(tmp_path / "many")
    try:
        for i in range(60):
            filler = ("y" * 70 + "\n") * (i * 97 % 600)
            rm.deliver(ALICE, sample_message(f"many-{i}", f"body {i}\n" + filler))
        c = login(rm)
        assert c.stat()[0] == 60
        c.dele(5)
        for n in range(1, 61):
            if n == 5:
                with pytest.raises(poplib.error_proto):
                    c.retr(n)
                continue
            _, lines, _ = c.retr(n)
            assert f"Subject: many-{n - 1}".encode() in lines
            assert f"body {n - 1}".encode() in lines
        c.rset()
        assert b"Subject: many-4" in c.retr(5)[1]
        c.quit()
    finally:
        rm.stop()
