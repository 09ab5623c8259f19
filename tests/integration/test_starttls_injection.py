"""STARTTLS command injection (the CVE-2011-0411 class) on every listener that upgrades.

A client (or anyone on the path) writes the upgrade command and a second
command in one packet, before the handshake. The second command must not
run inside the TLS session: IMAP and POP3 hang up, as Dovecot does;
aiosmtpd (1.4.6) throws the plaintext away and goes on. Raw sockets,
because a client library would never send the bytes this way.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemon import Mailroom
from tests.support.readmail import ReadMail, client_context


@pytest.fixture
def mail(tmp_path: Path) -> Iterator[ReadMail]:
    rm = ReadMail(tmp_path / "rm")
    yield rm
    rm.stop()


def read_until(sock: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError(f"connection closed before {marker!r}; got {data!r}")
        data += chunk
    return data


def inside_tls(sock: socket.socket, ctx: ssl.SSLContext, probe: bytes, end: bytes) -> bytes | None:
    """Handshake, send ``probe``, and return what the server sends up to ``end``
    (None when the server hung up instead of finishing the handshake)."""
    try:
        tls = ctx.wrap_socket(sock, server_hostname="localhost")
        tls.sendall(probe)
        data = b""
        while end not in data:
            chunk = tls.recv(4096)
            if not chunk:
                return data or None
            data += chunk
        return data
    except (ssl.SSLError, ConnectionError):
        return None


def test_imap_injected_command_after_starttls_is_not_run(
    mail: ReadMail, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.create_connection(("127.0.0.1", mail.port(mail.imap)), timeout=10) as sock:
        read_until(sock, b"\r\n")
        sock.sendall(b"a STARTTLS\r\nb CAPABILITY\r\n")
        assert read_until(sock, b"\r\n").startswith(b"a OK")
        answer = inside_tls(sock, client_context(mail.cert), b"c NOOP\r\n", b"c OK")
        assert answer is None, f"server ran the injected command: {answer!r}"
    assert "plaintext after STARTTLS from [127.0.0.1]" in caplog.text  # logged before hanging up
    # An honest upgrade (nothing after the command) still works.
    with socket.create_connection(("127.0.0.1", mail.port(mail.imap)), timeout=10) as sock:
        read_until(sock, b"\r\n")
        sock.sendall(b"a STARTTLS\r\n")
        assert read_until(sock, b"\r\n").startswith(b"a OK")
        answer = inside_tls(sock, client_context(mail.cert), b"c CAPABILITY\r\n", b"c OK")
        assert answer is not None and b"* CAPABILITY" in answer


def test_pop3_injected_command_after_stls_is_not_run(mail: ReadMail) -> None:
    with socket.create_connection(("127.0.0.1", mail.port(mail.pop3)), timeout=10) as sock:
        read_until(sock, b"\r\n")
        sock.sendall(b"STLS\r\nCAPA\r\n")
        assert read_until(sock, b"\r\n").startswith(b"+OK")
        answer = inside_tls(sock, client_context(mail.cert), b"NOOP\r\n", b"\r\n")
        assert answer is None, f"server ran the injected command: {answer!r}"
    with socket.create_connection(("127.0.0.1", mail.port(mail.pop3)), timeout=10) as sock:
        read_until(sock, b"\r\n")
        sock.sendall(b"STLS\r\n")
        assert read_until(sock, b"\r\n").startswith(b"+OK")
        answer = inside_tls(sock, client_context(mail.cert), b"CAPA\r\n", b"\r\n.\r\n")
        assert answer is not None and answer.startswith(b"+OK")


@pytest.mark.parametrize("service", ["smtp", "submission"])
def test_smtp_injected_command_after_starttls_is_not_run(mailroom: Mailroom, service: str) -> None:
    ctx = ssl._create_unverified_context()
    with socket.create_connection(("127.0.0.1", mailroom.port(service)), timeout=10) as sock:
        read_until(sock, b"\r\n")
        sock.sendall(b"EHLO client.test\r\n")
        read_until(sock, b"250 ")
        # If QUIT ran inside TLS, the probe would get 221 and a closed connection.
        sock.sendall(b"STARTTLS\r\nQUIT\r\n")
        assert read_until(sock, b"\r\n").startswith(b"220")
        answer = inside_tls(sock, ctx, b"NOOP\r\n", b"\r\n")
        assert answer is None or answer.startswith(b"250"), answer
        assert answer is None or b"221" not in answer
