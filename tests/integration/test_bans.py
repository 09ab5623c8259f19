"""Auto-ban of password guessers on the real daemon: SMTP AUTH, IMAP and POP3, CLI, restart.

Clients bind 127.0.0.9 and up as their source address: 127.0.0.1 is in the
relay networks, which are never banned.
"""

from __future__ import annotations

import imaplib
import json
import poplib
import smtplib
import socket
import ssl
from collections.abc import Iterator

import pytest

from tests.support.daemon import Mailroom
from tests.support.waiting import wait

GUESSER = "127.0.0.9"
NEIGHBOUR = "127.0.0.10"
IMAP_GUESSER = "127.0.0.11"
POP_GUESSER = "127.0.0.12"


@pytest.fixture
def daemon(home: Mailroom) -> Iterator[Mailroom]:
    # No slow-down: twelve failures must not take twelve seconds.
    home.cli("settings", "set", "auth.failure_delay_ms", "0")
    home.start()
    try:
        yield home
    finally:
        home.stop()


def submission(m: Mailroom, source: str) -> smtplib.SMTP:
    s = smtplib.SMTP("127.0.0.1", m.port("submission"), source_address=(source, 0), timeout=10)
    s.starttls(context=ssl._create_unverified_context())
    s.ehlo("client.test")
    return s


def wrong_password(s: smtplib.SMTP, password: str) -> None:
    """One AUTH PLAIN (smtplib's login() would try each mechanism in turn)."""
    s.user, s.password = "alice@example.test", password
    with pytest.raises(smtplib.SMTPAuthenticationError):
        s.auth("PLAIN", s.auth_plain)


def greeting(m: Mailroom, service: str, source: str) -> bytes:
    """The first line the server sends to a client from ``source`` (raw: nothing hidden)."""
    with socket.create_connection(("127.0.0.1", m.port(service)), timeout=10,
                                  source_address=(source, 0)) as raw:
        sock = raw
        if service in ("smtps", "imaps", "pop3s"):
            sock = ssl._create_unverified_context().wrap_socket(raw)
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        return data


class SourcedIMAP(imaplib.IMAP4):
    def __init__(self, host: str, port: int, source: str) -> None:
        self.source = source
        super().__init__(host, port, timeout=10)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout,
                                        source_address=(self.source, 0))


class SourcedPOP3(poplib.POP3):
    def __init__(self, host: str, port: int, source: str) -> None:
        self.source = source
        super().__init__(host, port, timeout=10)

    def _create_socket(self, timeout: float) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout,
                                        source_address=(self.source, 0))


def imap_failures(m: Mailroom, source: str, count: int) -> None:
    done = 0
    while done < count:  # the server hangs up after three failures
        c = SourcedIMAP("127.0.0.1", m.port("imap"), source)
        try:
            for _ in range(min(3, count - done)):
                with pytest.raises(imaplib.IMAP4.error):
                    c.login("alice@example.test", f"wrong-{done}")
                done += 1
        finally:
            c.shutdown()


def pop3_failures(m: Mailroom, source: str, count: int) -> None:
    done = 0
    while done < count:
        p = SourcedPOP3("127.0.0.1", m.port("pop3"), source)
        try:
            for _ in range(min(3, count - done)):
                p.user("bob@example.test")
                with pytest.raises(poplib.error_proto):
                    p.pass_(f"wrong-{done}")
                done += 1
        finally:
            p.close()


def banned_keys(m: Mailroom) -> list[str]:
    return [b["key"] for b in json.loads(m.cli("ban", "list", "--json").stdout)]


def test_smtp_guesser_is_banned_and_unbanned_but_never_the_relay_networks(daemon: Mailroom) -> None:
    with submission(daemon, GUESSER) as s:
        for i in range(12):
            wrong_password(s, f"wrong-{i}")
    assert greeting(daemon, "submission", GUESSER).startswith(b"421 4.7.0 ")
    assert greeting(daemon, "smtp", GUESSER).startswith(b"421 4.7.0 ")
    with pytest.raises(smtplib.SMTPConnectError) as refused:
        smtplib.SMTP("127.0.0.1", daemon.port("submission"), source_address=(GUESSER, 0),
                     timeout=10)
    assert refused.value.smtp_code == 421
    with submission(daemon, NEIGHBOUR) as s:  # the next address is still served
        s.login("alice@example.test", "pw-alice-1")
    assert banned_keys(daemon) == [GUESSER]
    listed = daemon.cli("ban", "list").stdout
    assert GUESSER in listed and "10 failed logins" in listed
    wait(lambda: f"ban [{GUESSER}] for 900s" in daemon.log_text(), what="the ban's log line")

    assert f"{GUESSER} no longer banned" in daemon.cli("ban", "del", GUESSER).stdout
    assert greeting(daemon, "submission", GUESSER).startswith(b"220 ")
    with submission(daemon, GUESSER) as s:
        s.login("alice@example.test", "pw-alice-1")
    assert banned_keys(daemon) == []
    wait(lambda: f"unban [{GUESSER}]: lifted by admin" in daemon.log_text(),
         what="the unban's log line")
    refused_again = daemon.cli("ban", "del", GUESSER, check=False)
    assert refused_again.returncode == 1 and "not banned" in refused_again.stderr

    # The relay networks (127.0.0.1 here) are never banned, not even by hand.
    with submission(daemon, "127.0.0.1") as s:
        for i in range(12):
            wrong_password(s, f"wrong-{i}")
    assert greeting(daemon, "submission", "127.0.0.1").startswith(b"220 ")
    assert banned_keys(daemon) == []
    refused = daemon.cli("ban", "add", "127.0.0.1", check=False)
    assert refused.returncode == 1 and "relay networks" in refused.stderr


def test_imap_and_pop3_failures_ban_and_bans_outlive_a_restart(daemon: Mailroom) -> None:
    imap_failures(daemon, IMAP_GUESSER, 10)
    assert greeting(daemon, "imap", IMAP_GUESSER).startswith(b"* BYE ")
    assert greeting(daemon, "imaps", IMAP_GUESSER).startswith(b"* BYE ")  # after TLS
    assert greeting(daemon, "submission", IMAP_GUESSER).startswith(b"421 ")
    pop3_failures(daemon, POP_GUESSER, 10)
    assert greeting(daemon, "pop3", POP_GUESSER).startswith(b"-ERR ")
    assert greeting(daemon, "pop3s", POP_GUESSER).startswith(b"-ERR ")
    assert greeting(daemon, "smtps", POP_GUESSER).startswith(b"421 ")
    assert sorted(banned_keys(daemon)) == [IMAP_GUESSER, POP_GUESSER]
    daemon.cli("ban", "add", GUESSER, "2h", "--reason", "seen in another log")

    daemon.stop()
    daemon.start()
    assert greeting(daemon, "imap", IMAP_GUESSER).startswith(b"* BYE ")
    assert greeting(daemon, "pop3", POP_GUESSER).startswith(b"-ERR ")
    assert greeting(daemon, "smtp", GUESSER).startswith(b"421 ")
    assert greeting(daemon, "imap", NEIGHBOUR).startswith(b"* OK ")
    bans = {b["key"]: b for b in json.loads(daemon.cli("ban", "list", "--json").stdout)}
    assert bans[GUESSER]["reason"] == "seen in another log"
    assert round(bans[GUESSER]["until"] - bans[GUESSER]["since"]) == 7200
    assert "imap as alice@example.test" in bans[IMAP_GUESSER]["reason"]
    assert "pop3 as bob@example.test" in bans[POP_GUESSER]["reason"]
