"""An idle flood must not shut out real clients (SMTP, IMAP, POP3).

Idle connections come from several 127.0.0.x source addresses, each under
the per-address cap. Near the cap, the session idle the longest gives way
to a fresh client (with the protocol's "too many connections" goodbye) and,
under stress, idle sessions get a short time-out. Small caps and injected
timings keep the tests fast; the last test is the issue's scenario (250
idle connections from 50 addresses) against the real daemon's defaults.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from appliance.admission import Timing
from appliance.smtp.server import ListenerConfig, SmtpContext, SmtpLimits, SmtpListener
from tests.support.daemon import Mailroom
from tests.support.readmail import USERS, ReadMail

ALICE = "alice@example.test"


def connect(port: int, source: str, timeout: float = 10) -> tuple[socket.socket, bytes]:
    """A connection from ``source`` and its first line (the greeting or the refusal)."""
    sock = socket.socket()
    sock.settimeout(timeout)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock, line(sock)


def line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def flood(port: int, count: int, addresses: int, greeting: bytes) -> list[socket.socket]:
    """``count`` idle connections spread over 127.0.0.2 .. 127.0.0.(1+addresses)."""
    socks = []
    for i in range(count):
        sock, first = connect(port, f"127.0.0.{2 + i % addresses}")
        assert first.startswith(greeting), (i, first)
        socks.append(sock)
    return socks


def closed_with(sock: socket.socket, goodbye: bytes) -> bool:
    """The server said ``goodbye`` on this idle connection and hung up."""
    said = line(sock)
    return said.startswith(goodbye) and sock.recv(100) == b""


class Smtp:
    """An SMTP listener (port 25's settings) on an ephemeral port, in its own event loop."""

    def __init__(self, limits: SmtpLimits) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

        async def nobody(user: str, password: str, ip: str) -> str | None:
            return None

        # Only connection handling is exercised: no MAIL reaches the handler.
        ctx = SmtpContext(hostname="mail.example.test", directory=cast(Any, None),
                          enqueue=cast(Any, None), relay_networks=lambda: [],
                          authenticate=nobody, accepted=lambda env, data: None)
        self.listener = SmtpListener(ctx, ListenerConfig("smtp"), limits, None)
        self.call(self.listener.start("127.0.0.1", 0))
        self.port = self.listener.sockets[0][1]

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def stop(self) -> None:
        self.call(self.listener.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def mail(tmp_path: Path) -> Iterator[ReadMail]:
    rm = ReadMail(tmp_path / "rm")
    yield rm
    rm.stop()


def test_smtp_full_of_idle_sessions_serves_a_fresh_client() -> None:
    server = Smtp(SmtpLimits(max_connections=20, max_connections_per_ip=5,
                             timing=Timing(evict_after=0.3, stress_timeout=3600)))
    idle: list[socket.socket] = []
    try:
        idle = flood(server.port, 20, 4, b"220 ")
        fresh, greeting = connect(server.port, "127.0.0.9")
        assert greeting.startswith(b"220 "), greeting
        fresh.sendall(b"EHLO fresh.test\r\n")
        assert line(fresh).startswith(b"250")
        fresh.close()
        # The session idle the longest (the first) made room, with a 421.
        assert closed_with(idle[0], b"421 4.7.0")
        # Past the per-address cap nobody gives way.
        extra, refusal = connect(server.port, "127.0.0.3")
        assert refusal.startswith(b"421 4.7.0") and "too many connections" in refusal.decode()
        extra.close()
    finally:
        for sock in idle:
            sock.close()
        server.stop()


def test_smtp_under_stress_idle_sessions_get_the_short_time_out() -> None:
    server = Smtp(SmtpLimits(max_connections=20, max_connections_per_ip=20,
                             timing=Timing(stress_at=0.5, stress_timeout=0.5)))
    idle: list[socket.socket] = []
    try:
        calm = flood(server.port, 5, 1, b"220 ")  # under the stress mark: the normal time-out
        idle = flood(server.port, 7, 2, b"220 ")  # 12 of 20: stress
        for sock in calm + idle:
            assert closed_with(sock, b"421 4.7.0")
        idle += calm
        # Once the idle ones are gone there is no stress: a session may stay quiet.
        quiet, greeting = connect(server.port, "127.0.0.2")
        assert greeting.startswith(b"220 ")
        idle.append(quiet)
        assert server.listener.handler.connections.admission.stressed is False
    finally:
        for sock in idle:
            sock.close()
        server.stop()


@pytest.mark.parametrize("kind", ["imap", "pop3"])
def test_mailbox_listener_full_of_idle_sessions_serves_a_fresh_client(
    mail: ReadMail, kind: str
) -> None:
    listener = mail.imap if kind == "imap" else mail.pop3
    greeting = b"* OK" if kind == "imap" else b"+OK"
    goodbye = b"* BYE [UNAVAILABLE]" if kind == "imap" else b"-ERR [SYS/TEMP]"
    listener.max_connections = 20
    listener.max_connections_per_ip = 5
    listener.admission.timing = Timing(evict_after=0.3, stress_timeout=3600)
    port = mail.port(listener)
    # The oldest session is logged in: it is never the one to give way.
    user, _ = connect(port, "127.0.0.2")
    login = (f"a LOGIN {ALICE} {USERS[ALICE]}\r\n" if kind == "imap"
             else f"USER {ALICE}\r\nPASS {USERS[ALICE]}\r\n")
    user.sendall(login.encode())
    if kind == "pop3":
        assert line(user).startswith(b"+OK")
    assert line(user).startswith(b"a OK" if kind == "imap" else b"+OK")
    idle: list[socket.socket] = []
    try:
        idle = flood(port, 19, 5, greeting)
        fresh, first = connect(port, "127.0.0.9")
        assert first.startswith(greeting), first
        fresh.close()
        assert closed_with(idle[0], goodbye)
        user.sendall(b"b NOOP\r\n" if kind == "imap" else b"NOOP\r\n")
        assert line(user).startswith(b"b OK" if kind == "imap" else b"+OK")
    finally:
        user.close()
        for sock in idle:
            sock.close()


def test_daemon_idle_flood_of_250_from_50_addresses(mailroom: Mailroom) -> None:
    """The issue's scenario on port 25 with the shipped caps (200, 50 per address)."""
    port = mailroom.port("smtp")
    idle: list[socket.socket] = []
    try:
        for i in range(250):
            sock, _ = connect(port, f"127.0.0.{2 + i % 50}")
            idle.append(sock)  # past the cap, newcomers push out the oldest idle ones
        fresh, greeting = connect(port, "127.0.1.1")
        assert greeting.startswith(b"220 "), greeting
        fresh.sendall(b"EHLO fresh.test\r\n")
        assert line(fresh).startswith(b"250")
        fresh.close()
        assert closed_with(idle[0], b"421 4.7.0")
    finally:
        for sock in idle:
            sock.close()
