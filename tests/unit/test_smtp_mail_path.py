"""The SMTP handler's MAIL/RCPT/DATA gates on a real listener, run in-process.

The listener is the product's ``SmtpListener`` on 127.0.0.1 (an ephemeral
port) with a small in-memory directory and a spool that only records what
it is handed; the clients are smtplib and raw sockets.
"""

from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from appliance.queue.spool import Envelope
from appliance.smtp.server import SmtpContext
from appliance.tls import make_self_signed, server_context
from tests.support.directory import Acct, Dir
from tests.support.smtp_listeners import smtp_listeners

PASSWORDS = {"alice@example.test": "pw-alice-1", "bob@example.test": "pw-bob-1"}


@dataclass
class Harness:
    """A running listener and what it queued."""

    directory: Dir
    ports: dict[str, int] = field(default_factory=dict)
    queued: list[tuple[Envelope, bytes]] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)
    granted: dict[str, list[str]] = field(default_factory=dict)
    storage_low: bool = False
    sender_check: bool = True
    local_sender_check: bool = True
    relay_networks: list[str] = field(default_factory=lambda: ["127.0.0.1/32"])

    def smtp(self, source: str = "127.0.0.1") -> smtplib.SMTP:
        return smtplib.SMTP("127.0.0.1", self.ports["smtp"], source_address=(source, 0),
                            timeout=10)

    def smtps(self, user: str) -> smtplib.SMTP_SSL:
        s = smtplib.SMTP_SSL("127.0.0.1", self.ports["smtps"],
                             context=ssl._create_unverified_context(), timeout=10)
        s.login(user, PASSWORDS[user])
        return s


def _context(h: Harness, loop: asyncio.AbstractEventLoop) -> SmtpContext:
    def enqueue(env: Envelope, chunks: list[bytes], then: Callable[[], None]
                ) -> asyncio.Future[None]:
        written = loop.create_future()
        written.set_result(None)
        then()
        return written

    async def authenticate(user: str, password: str, ip: str) -> str | None:
        return user if PASSWORDS.get(user) == password else None

    return SmtpContext(
        hostname="mail.example.test",
        directory=h.directory,
        enqueue=enqueue,
        relay_networks=lambda: h.relay_networks,
        authenticate=authenticate,
        accepted=lambda env, data: h.queued.append((env, data)),
        usage_of=lambda address: h.usage.get(address, 0),
        storage_low=lambda: h.storage_low,
        granted_senders=lambda account: h.granted.get(account, []),
        sender_check=lambda: h.sender_check,
        local_sender_check=lambda: h.local_sender_check,
    )


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    d = Dir(domains={"example.test"})
    d.users("alice", "bob", "carol")
    d.aliases["staff@example.test"] = ["alice@example.test", "bob@example.test"]
    d.aliases["bobby@example.test"] = ["bob@example.test"]
    d.aliases["postmaster@example.test"] = ["alice@example.test"]
    h = Harness(d)
    make_self_signed("mail.example.test", tmp_path / "c.pem", tmp_path / "k.pem")
    tls = server_context(tmp_path / "c.pem", tmp_path / "k.pem")
    with smtp_listeners(lambda loop: _context(h, loop), tls) as ports:
        h.ports.update(ports)
        yield h


def _raw(port: int, lines: list[bytes]) -> list[bytes]:
    """Send each command line and read its one-line reply (after the greeting)."""
    replies = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        f = sock.makefile("rb")
        assert f.readline().startswith(b"220")
        for line in lines:
            sock.sendall(line + b"\r\n")
            reply = f.readline()
            while reply[3:4] == b"-":
                reply = f.readline()
            replies.append(reply.rstrip())
    return replies


# -- the null sender (item 1) ----------------------------------------------------------


def test_null_sender_then_rcpt_and_data_over_a_raw_socket(harness: Harness) -> None:
    replies = _raw(harness.ports["smtp"], [
        b"EHLO far.test", b"MAIL FROM:<>", b"RCPT TO:<bob@example.test>", b"DATA",
        b"Subject: dsn\r\n\r\nreport\r\n.", b"QUIT",
    ])
    assert [r[:3] for r in replies] == [b"250", b"250", b"250", b"354", b"250", b"221"]
    (env, _), = harness.queued
    assert env.sender == "" and env.recipients == ["bob@example.test"]


def test_null_sender_gates_nested_mail_rset_and_rcpt_before_mail(harness: Harness) -> None:
    replies = _raw(harness.ports["smtp"], [
        b"EHLO far.test",
        b"RCPT TO:<bob@example.test>",  # no MAIL yet
        b"MAIL FROM:<>",
        b"MAIL FROM:<>",  # nested, even though the first sender was empty
        b"RSET",
        b"RCPT TO:<bob@example.test>",  # RSET forgot the null sender
        b"MAIL FROM:<>",
        b"RCPT TO:<>",  # <> is no recipient
        b"DATA",  # no recipient accepted yet
    ])
    assert replies[1].startswith(b"503 5.5.1") and b"need MAIL" in replies[1]
    assert replies[2].startswith(b"250")
    assert replies[3].startswith(b"503 5.5.1") and b"nested" in replies[3]
    assert replies[4].startswith(b"250")
    assert replies[5].startswith(b"503 5.5.1")
    assert replies[6].startswith(b"250")
    assert replies[7].startswith(b"501")
    assert replies[8].startswith(b"503")
    assert harness.queued == []


def test_null_sender_with_smtplib(harness: Harness) -> None:
    with harness.smtp() as s:
        s.ehlo("far.test")
        assert s.mail("<>")[0] == 250
        assert s.rcpt("<staff@example.test>")[0] == 250
        assert s.data(b"Subject: dsn\r\n\r\nreport\r\n")[0] == 250
    assert harness.queued[0][0].sender == ""


# -- storage reserve (item 14, SMTP side) -------------------------------------------------


def test_mail_refused_while_storage_is_low(harness: Harness) -> None:
    harness.storage_low = True
    with harness.smtp() as s:
        s.ehlo("far.test")
        code, text = s.mail("<x@far.test>")
        assert (code, text) == (452, b"4.3.1 Insufficient system storage")
        harness.storage_low = False
        assert s.mail("<x@far.test>")[0] == 250


# -- sender ownership (item 6) -----------------------------------------------------------


@pytest.mark.parametrize("sender,code", [
    ("bob@example.test", 250),
    ("BOB@example.test", 250),
    ("bobby@example.test", 250),  # an alias that reaches only bob
    ("<>", 250),  # auto-replies
    ("alice@example.test", 553),
    ("staff@example.test", 553),  # reaches alice too
    ("postmaster@example.test", 553),
    ("bob@far.test", 553),
])
def test_logged_in_user_sends_only_as_own_addresses(harness: Harness, sender: str,
                                                    code: int) -> None:
    with harness.smtps("bob@example.test") as s:
        got, text = s.mail(sender)
        assert got == code, text
        if code == 553:
            assert text.startswith(b"5.7.1 Sender address not owned by user")


def test_granted_sender_and_relaxed_setting(harness: Harness) -> None:
    harness.granted["bob@example.test"] = ["alice@example.test"]
    with harness.smtps("bob@example.test") as s:
        assert s.mail("alice@example.test")[0] == 250
        s.rset()
        assert s.mail("carol@example.test")[0] == 553
        harness.sender_check = False
        s.rset()
        assert s.mail("carol@example.test")[0] == 250


def test_outsider_may_not_use_our_domain_as_sender(harness: Harness) -> None:
    with harness.smtp(source="127.0.0.2") as s:  # not a relay network
        s.ehlo("far.test")
        code, text = s.mail("<alice@example.test>")
        assert code == 550 and text.startswith(b"5.7.1")
        assert s.mail("<someone@far.test>")[0] == 250
        s.rset()
        assert s.mail("<>")[0] == 250
        s.rset()
        harness.local_sender_check = False
        assert s.mail("<alice@example.test>")[0] == 250
    with harness.smtp() as s:  # 127.0.0.1 is a relay network: never refused by this
        s.ehlo("lan.test")
        assert s.mail("<alice@example.test>")[0] == 250


# -- quota at RCPT and DATA (item 10) ------------------------------------------------------


def _with_quota(harness: Harness, address: str, quota: int, used: int) -> None:
    harness.directory.accounts[address] = Acct(address, quota_bytes=quota)
    harness.usage[address] = used


def test_full_mailbox_refused_at_rcpt_also_through_an_alias(harness: Harness) -> None:
    _with_quota(harness, "bob@example.test", 1000, 1000)
    with harness.smtp() as s:
        s.ehlo("far.test")
        s.mail("<x@far.test>")
        assert s.rcpt("<bob@example.test>") == (452, b"4.2.2 <bob@example.test>: Mailbox full")
        assert s.rcpt("<bobby@example.test>")[0] == 452
        assert s.rcpt("<staff@example.test>")[0] == 250  # alice still has room


def test_message_that_would_pass_the_quota_refused_at_data(harness: Harness) -> None:
    _with_quota(harness, "bob@example.test", 1000, 600)
    big = b"Subject: big\r\n\r\n" + b"y" * 500 + b"\r\n"
    with harness.smtp() as s:
        s.ehlo("far.test")
        s.mail("<x@far.test>")
        assert s.rcpt("<bob@example.test>")[0] == 250
        code, text = s.data(big)
        assert code == 552 and text.startswith(b"5.2.2")
        # A small one still fits.
        s.mail("<x@far.test>")
        s.rcpt("<bob@example.test>")
        assert s.data(b"Subject: small\r\n\r\nhi\r\n")[0] == 250
        # With another recipient that has room, the message is taken for both.
        s.mail("<x@far.test>")
        s.rcpt("<bob@example.test>")
        s.rcpt("<alice@example.test>")
        assert s.data(big)[0] == 250
    assert len(harness.queued) == 2
