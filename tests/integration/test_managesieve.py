"""ManageSieve (RFC 5804) on the real daemon: sievelib's client, and raw sockets for the refusals.

Raw clients bind 127.0.0.2x as their source address: 127.0.0.1 is in the
relay networks, which are never banned.
"""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from sievelib.managesieve import Client

from appliance.state import State
from tests.support.daemon import Mailroom, make_mailroom
from tests.support.waiting import wait

GUESSER = "127.0.0.21"
RAW = "127.0.0.22"
SIEVE_PORT = 4190

FINANCE = 'require ["fileinto"];\nif header :contains "subject" "invoice" {\n' \
          '  fileinto "Finance";\n  stop;\n}\n'


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mailroom]:
    m = make_mailroom(tmp_path_factory.mktemp("managesieve"))
    # Three failures ban, and answer at once: the ban test must not take seconds.
    state = State(m.home / "mailroom.db")  # two settings without two CLI start-ups
    state.set_setting("auth.failure_delay_ms", 0)
    state.set_setting("auth.max_failures", 3)
    state.close()
    m.start()
    try:
        yield m
    finally:
        m.stop()


@pytest.fixture
def trust_daemon_cert(daemon: Mailroom, monkeypatch: pytest.MonkeyPatch) -> None:
    # sievelib verifies the server's certificate with the default trust store:
    # trust the daemon's self-signed one (it names 127.0.0.1).
    monkeypatch.setenv("SSL_CERT_FILE", str(daemon.home / "tls" / "cert.pem"))


def port(m: Mailroom) -> int:
    return SIEVE_PORT + m.offset


def sieve_client(m: Mailroom, user: str = "alice@example.test",
                 password: str = "pw-alice-1") -> Client:
    client = Client("127.0.0.1", port(m))
    assert client.connect(user, password, starttls=True, authmech="PLAIN"), client.errmsg
    return client


class Raw:
    """A line-level ManageSieve client: what a conforming library would never send."""

    def __init__(self, m: Mailroom, source: str = RAW) -> None:
        self.sock: socket.socket = socket.create_connection(
            ("127.0.0.1", port(m)), timeout=10, source_address=(source, 0))
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def response(self) -> list[bytes]:
        """Lines up to and including the OK/NO/BYE that ends a response."""
        lines = []
        while True:
            lines.append(self.line())
            if lines[-1].split(b" ", 1)[0] in (b"OK", b"NO", b"BYE"):
                return lines

    def starttls(self) -> None:
        self.send(b"STARTTLS\r\n")
        assert self.response()[-1].startswith(b"OK")
        self.sock = ssl._create_unverified_context().wrap_socket(self.sock)
        assert self.response()[-1].startswith(b"OK")  # capabilities again, inside TLS

    def close(self) -> None:
        self.sock.close()


def plain(user: str, password: str) -> bytes:
    return base64.b64encode(f"\0{user}\0{password}".encode())


def test_sievelib_client_manages_scripts(daemon: Mailroom, trust_daemon_cert: None) -> None:
    c = sieve_client(daemon)
    assert "fileinto" in c.get_sieve_capabilities()
    assert c.putscript("office", FINANCE)
    assert c.checkscript(FINANCE)
    # A script that does not parse is refused with the line and the reason.
    assert not c.putscript("broken", 'require ["fileinto"];\n\nif header :contains "subject" {')
    assert c.errmsg.startswith(b"line 3"), c.errmsg
    assert not c.checkscript("keep;\nbogus;\n")
    assert c.errmsg.startswith(b"line 2"), c.errmsg
    assert c.havespace("office", 1000)
    assert not c.havespace("office", 10**7)
    assert c.errcode == b"QUOTA/MAXSIZE"
    assert c.setactive("office")
    assert c.listscripts() == ("office", [])
    assert c.getscript("office") == FINANCE
    assert not c.deletescript("office")
    assert c.errcode == b"ACTIVE"
    assert c.renamescript("office", "rules")
    assert c.listscripts() == ("rules", [])
    assert not c.getscript("office")
    assert c.errcode == b"NONEXISTENT"
    # Stored where delivery and Dovecot look: ~/sieve/NAME.sieve and ~/.dovecot.sieve.
    maildir = daemon.home / "mail" / "example.test" / "alice"
    assert (maildir / "sieve" / "rules.sieve").read_text() == FINANCE
    assert Path(maildir / ".dovecot.sieve").resolve() == maildir / "sieve" / "rules.sieve"
    assert c.putscript("spare", "keep;\n")
    assert c.setactive("")
    assert c.deletescript("rules") and c.deletescript("spare")
    assert c.listscripts() == (None, [])
    c.logout()


def test_active_script_files_mail(daemon: Mailroom, trust_daemon_cert: None) -> None:
    c = sieve_client(daemon, "bob@example.test", "pw-bob-1")
    assert c.putscript("office", FINANCE) and c.setactive("office")
    c.logout()
    with smtplib.SMTP("127.0.0.1", daemon.port("smtp"), timeout=10) as s:
        s.sendmail("x@outside.test", ["bob@example.test"],
                   b"From: x@outside.test\r\nTo: bob@example.test\r\nSubject: Invoice 42\r\n\r\n"
                   b"pay me\r\n")
    finance = daemon.home / "mail" / "example.test" / "bob" / ".Finance" / "new"
    wait(lambda: finance.is_dir() and any(finance.iterdir()), what="mail filed into Finance")


def test_no_login_before_tls(daemon: Mailroom) -> None:
    raw = Raw(daemon)
    try:
        greeting = raw.response()
        assert b'"STARTTLS"' in greeting
        assert b'"SASL" ""' in greeting  # no mechanism offered in clear
        raw.send(b'AUTHENTICATE "PLAIN" "' + plain("alice@example.test", "pw-alice-1") + b'"\r\n')
        assert raw.response()[-1].startswith(b"NO (ENCRYPT-NEEDED)")
        raw.send(b"LISTSCRIPTS\r\n")
        assert raw.response()[-1].startswith(b"NO")
        raw.starttls()
        raw.send(b'AUTHENTICATE "PLAIN" "' + plain("alice@example.test", "pw-alice-1") + b'"\r\n')
        assert raw.response() == [b'OK "logged in"']
        raw.send(b'NOOP "t1"\r\n')
        assert raw.response() == [b'OK (TAG "t1") "Done"']
        raw.send(b"LOGOUT\r\n")
        assert raw.response()[-1].startswith(b"OK")
    finally:
        raw.close()


def test_bytes_pipelined_before_tls_end_the_session(daemon: Mailroom) -> None:
    raw = Raw(daemon)
    try:
        raw.response()
        # What follows STARTTLS in the same packet was sent in clear: anyone on
        # the path may have put it there, so the server must not run it.
        raw.send(b'STARTTLS\r\nAUTHENTICATE "PLAIN" "'
                 + plain("alice@example.test", "pw-alice-1") + b'"\r\n')
        assert raw.line().startswith(b"OK")
        with pytest.raises((EOFError, ConnectionError)):
            raw.line()
    finally:
        raw.close()


def test_oversize_literal_is_refused_and_the_session_goes_on(daemon: Mailroom) -> None:
    raw = Raw(daemon)
    try:
        raw.response()
        raw.starttls()
        raw.send(b'AUTHENTICATE "PLAIN" "' + plain("alice@example.test", "pw-alice-1") + b'"\r\n')
        assert raw.response()[-1].startswith(b"OK")
        big = b"# " + b"x" * (300 * 1024) + b"\r\nkeep;\r\n"
        raw.send(b'PUTSCRIPT "big" {%d+}\r\n' % len(big) + big + b"\r\n")
        assert raw.response()[-1].startswith(b"NO (QUOTA/MAXSIZE)")
        raw.send(b"LISTSCRIPTS\r\n")
        assert raw.response() == [b'OK "listscripts completed"']
        # A literal announced beyond any sense is not read at all.
        raw.send(b'PUTSCRIPT "huge" {999999999+}\r\n')
        assert raw.response()[-1].startswith(b"BYE")
    finally:
        raw.close()


def test_failed_logins_ban_the_address(daemon: Mailroom) -> None:
    raw = Raw(daemon, GUESSER)
    try:
        raw.response()
        raw.starttls()
        for attempt in range(3):
            raw.send(b'AUTHENTICATE "PLAIN" "' + plain("alice@example.test", f"guess{attempt}")
                     + b'"\r\n')
            reply = raw.response()[-1]
            assert reply.startswith(b"BYE" if attempt == 2 else b"NO"), reply
    finally:
        raw.close()
    try:
        assert GUESSER in daemon.cli("ban", "list").stdout
        refused = Raw(daemon, GUESSER)
        try:
            assert refused.line() == b'BYE "too many failed logins from your address"'
        finally:
            refused.close()
        log = daemon.log_text()
        assert "authentication failed for alice@example.test from [127.0.0.21]" in log
    finally:
        daemon.cli("ban", "del", GUESSER)
