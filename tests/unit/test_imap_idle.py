"""IDLE (appliance.imap.idle) over a socket: pushes, the poll for changes made from
outside the process, and how it ends."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.imap.idle import IdleCommands
from tests.support.readmail import USERS, ReadMail, sample_message

ALICE = "alice@example.test"


@pytest.fixture
def mail(tmp_path: Path) -> Iterator[ReadMail]:
    rm = ReadMail(tmp_path / "rm")
    yield rm
    rm.stop()


class Client:
    def __init__(self, mail: ReadMail) -> None:
        self.sock = socket.create_connection(("127.0.0.1", mail.port(mail.imap)), timeout=10)
        self.f = self.sock.makefile("rb")
        assert self.f.readline().startswith(b"* OK")

    def command(self, line: bytes) -> list[bytes]:
        """Send a tagged command; every response line up to its tagged one."""
        tag = line.split(b" ", 1)[0]
        self.sock.sendall(line + b"\r\n")
        out = []
        while True:
            got = self.f.readline()
            assert got, "connection closed"
            out.append(got)
            if got.startswith(tag + b" "):
                return out

    def close(self) -> None:
        self.f.close()
        self.sock.close()


def test_idle_needs_login_and_ends_with_done(mail: ReadMail) -> None:
    c = Client(mail)
    assert c.command(b"a IDLE")[-1].startswith(b"a BAD")
    c.command(b'b LOGIN %s "%s"' % (ALICE.encode(), USERS[ALICE].encode()))
    c.command(b"c SELECT INBOX")
    c.sock.sendall(b"d IDLE\r\n")
    assert c.f.readline() == b"+ idling\r\n"
    c.sock.sendall(b"DONE\r\n")
    assert c.f.readline().startswith(b"d OK IDLE terminated")
    c.sock.sendall(b"e IDLE\r\n")
    assert c.f.readline() == b"+ idling\r\n"
    c.sock.sendall(b"NOT DONE\r\n")
    assert c.f.readline().startswith(b"e BAD DONE expected")
    assert c.command(b"f NOOP")[-1].startswith(b"f OK")  # the session goes on
    c.close()


def test_idle_notices_mail_dropped_in_from_outside(mail: ReadMail,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # No store call announces a file another program writes into the Maildir:
    # IDLE finds it on its periodic rescan.
    monkeypatch.setattr(IdleCommands, "idle_poll", 0.2)
    mail.deliver(ALICE, sample_message("first"))
    c = Client(mail)
    c.command(b'a LOGIN %s "%s"' % (ALICE.encode(), USERS[ALICE].encode()))
    assert b"* 1 EXISTS\r\n" in c.command(b"b SELECT INBOX")
    c.sock.sendall(b"c IDLE\r\n")
    assert c.f.readline() == b"+ idling\r\n"
    maildir = mail.store.maildir(ALICE)
    name = "1700000000.outside.host"
    (maildir / "tmp" / name).write_bytes(sample_message("outside"))
    (maildir / "tmp" / name).rename(maildir / "new" / name)
    assert c.f.readline() == b"* 2 EXISTS\r\n"
    assert c.f.readline() == b"* 2 RECENT\r\n"
    c.sock.sendall(b"DONE\r\n")
    assert c.f.readline().startswith(b"c OK")
    fetched = c.command(b"d FETCH 2 (ENVELOPE)")
    assert b'"outside"' in fetched[0]
    c.close()
