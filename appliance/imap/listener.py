"""What the IMAP and POP3 servers share: listening, TLS, line reading under limits.

POP3 imports this from here rather than from a package of its own: it is
the same thirty lines of listener code for both mail-reading protocols.
"""

from __future__ import annotations

import asyncio
import concurrent.futures.thread  # noqa: F401  (to_thread's pool: loaded now, not mid-command)
import contextlib
import ipaddress
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any

from appliance.admission import Admission, Gate, Timing
from appliance.allocator import release_soon
from appliance.logs import get_logger

__all__ = [
    "Authenticate",
    "Connection",
    "LineTooLong",
    "Listener",
    "MailboxListener",
    "PlaintextInjection",
    "is_loopback",
]

Authenticate = Callable[[str, str, str], Awaitable[str | None]]


class LineTooLong(Exception):
    pass


class PlaintextInjection(Exception):
    """The client sent more than the STARTTLS/STLS command before the TLS handshake.

    Those bytes were written in plaintext, so anyone on the path may have
    put them there (CVE-2011-0411); executing them inside the TLS session
    would give them the session's trust. Postfix and Dovecot hang up.
    """


def is_loopback(ip: str) -> bool:
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return addr.is_loopback


class Connection:
    """One client connection: reads lines within limits, writes bytes, upgrades to TLS."""

    stall_check = 0.5  # seconds a blocked write waits before checking the client is still there

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 *, timeout: float, max_line: int) -> None:
        self.reader = reader
        self.writer = writer
        self.timeout = timeout
        self.max_line = max_line
        peer = writer.get_extra_info("peername")
        self.client_ip = peer[0] if isinstance(peer, tuple) else "127.0.0.1"
        self.tls = writer.get_extra_info("sslcontext") is not None
        self.authenticated = False  # the session sets it at login
        self.on_line: Callable[[], None] = _nothing  # each line the client sends
        # When the session began waiting for its client (to send a line or to
        # take what was written); None while it works on a command.
        self.waiting_since: float | None = None

    async def readline(self, timeout: float | None = None) -> bytes:
        """A line with its CRLF/LF removed; raises EOFError, TimeoutError, LineTooLong."""
        self.waiting_since = time.monotonic()
        try:
            async with asyncio.timeout(timeout or self.timeout):
                line = await self.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            raise EOFError from exc
        except asyncio.LimitOverrunError as exc:
            raise LineTooLong from exc
        finally:
            self.waiting_since = None
        if len(line) > self.max_line:
            raise LineTooLong
        self.on_line()
        return line.rstrip(b"\r\n") if line.endswith(b"\r\n") else line[:-1]

    async def readexactly(self, n: int) -> bytes:
        try:
            async with asyncio.timeout(self.timeout):
                return await self.reader.readexactly(n)
        except asyncio.IncompleteReadError as exc:
            raise EOFError from exc

    def write(self, data: bytes) -> None:
        self.writer.write(data)

    async def drain(self) -> None:
        """Wait until the client takes what was written.

        Raises TimeoutError after ``timeout``, and EOFError once the client
        has closed its side (FIN) and stopped reading: its session can never
        end with QUIT/LOGOUT, so waiting out the time-out would only keep
        what the session holds (the POP3 maildrop lock) for minutes.
        """
        transport = self.writer.transport
        if transport.get_write_buffer_size() <= transport.get_write_buffer_limits()[0]:
            await self.writer.drain()  # under the low-water mark: never waits
            return
        self.waiting_since = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    before = transport.get_write_buffer_size()
                    try:
                        async with asyncio.timeout(self.stall_check):
                            await self.writer.drain()
                        return
                    except TimeoutError:
                        if transport.get_write_buffer_size() < before:
                            self.waiting_since = time.monotonic()  # slow, but reading
                        elif self.reader.at_eof():
                            raise EOFError("client closed its side and stopped reading") from None
        finally:
            self.waiting_since = None

    async def start_tls(self, context: ssl.SSLContext) -> None:
        """Switch to TLS; raises PlaintextInjection if the client sent more first."""
        await self.drain()
        # Checked after the last await before the switch: from here on every
        # byte the socket delivers goes to the TLS layer, never to the reader.
        if self.reader._buffer:  # type: ignore[attr-defined]  # no public "pending bytes"
            raise PlaintextInjection
        await self.writer.start_tls(context)
        self.tls = True

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()
            async with asyncio.timeout(5):
                await self.writer.wait_closed()


def _nothing() -> None:
    pass


class Listener:
    """A TCP listener whose sessions run ``self.serve(conn)``.

    ``max_connections`` (all clients) and ``max_connections_per_ip`` cap the
    sessions running at once (0: no cap); a client past either cap gets
    ``self.refusal`` and is disconnected. Both are plain attributes, so a
    settings change applies to the next connection. Near the cap, sessions
    not logged in that sit idle give way to new clients (see
    ``appliance.admission``); ``timing`` tunes that.
    """

    refusal = b"too many connections\r\n"
    ban_refusal = b"too many failed logins from your address\r\n"
    service = "mailbox"  # the log's program name, as Postfix's "smtpd"

    def __init__(self, *, tls_context: ssl.SSLContext | None, implicit_tls: bool,
                 timeout: float, max_line: int, max_connections: int = 500,
                 max_connections_per_ip: int = 50, timing: Timing | None = None,
                 banned: Callable[[str], bool] = lambda ip: False) -> None:
        if implicit_tls and tls_context is None:
            raise ValueError("implicit TLS needs a TLS context")
        self.tls_context = tls_context
        self.implicit_tls = implicit_tls
        self.timeout = timeout
        self.max_line = max_line
        self.banned = banned  # a client address banned for guessing passwords
        self.admission = Admission(max_connections, max_connections_per_ip,
                                   timing or Timing())
        self.gate = Gate(self.admission, get_logger(self.service).info)
        self._server: asyncio.AbstractServer | None = None
        self._sessions: set[asyncio.Task[None]] = set()

    @property
    def max_connections(self) -> int:
        return self.admission.max_total

    @max_connections.setter
    def max_connections(self, value: int) -> None:
        self.admission.max_total = value

    @property
    def max_connections_per_ip(self) -> int:
        return self.admission.max_per_ip

    @max_connections_per_ip.setter
    def max_connections_per_ip(self, value: int) -> None:
        self.admission.max_per_ip = value

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(
            self._accept,
            host,
            port,
            ssl=self.tls_context if self.implicit_tls else None,
            limit=self.max_line + 2,
        )

    async def stop(self) -> None:
        """Stop listening; sessions already running may finish."""
        if self._server is not None:
            self._server.close()
            self._server = None
        self.gate.close()

    async def close_sessions(self) -> None:
        """End every running session now (daemon shutdown, tests)."""
        tasks = list(self._sessions)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task

    @property
    def sockets(self) -> list[tuple[str, int]]:
        if self._server is None:
            return []
        return [s.getsockname()[:2] for s in self._server.sockets]

    @property
    def connections(self) -> int:
        """Sessions running now."""
        return len(self._sessions)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        conn = Connection(reader, writer, timeout=self.timeout, max_line=self.max_line)
        ip = conn.client_ip
        if self.banned(ip):
            get_logger(self.service).info(
                "connect from [%s] refused: address banned after failed logins", ip)
            await self._refuse(conn, self.ban_refusal)
            return
        verdict = await self.gate.admit(ip, engaged=lambda: conn.authenticated,
                                        end=lambda: self._goodbye(conn))
        ticket = verdict.ticket
        if ticket is None:
            get_logger(self.service).warning("too many connections from [%s] (%s cap)",
                                              ip, verdict.refused)
            await self._refuse(conn, self.refusal)
            return
        conn.on_line = lambda: self.gate.touch(ticket)
        self._sessions.add(task)
        try:
            await self.serve(conn)
        except (EOFError, ConnectionError, TimeoutError, ssl.SSLError, LineTooLong):
            pass
        except PlaintextInjection:
            get_logger(self.service).warning(
                "plaintext after STARTTLS from [%s]; disconnecting (command injection?)", ip)
        except asyncio.CancelledError:
            pass  # close_sessions(): ending quietly is the point
        finally:
            self._sessions.discard(task)
            self.gate.release(ticket)
            conn.on_line = _nothing  # it holds the ticket, whose callbacks hold conn: a cycle
            await conn.close()
            release_soon()  # what the session held is free in Python, not yet in the heap

    @staticmethod
    async def _refuse(conn: Connection, reply: bytes) -> None:
        with contextlib.suppress(Exception):
            conn.write(reply)
            async with asyncio.timeout(5):
                await conn.writer.drain()
        await conn.close()

    def _goodbye(self, conn: Connection) -> None:
        """End an idle session to make room: the session sees end-of-file and ends."""
        with contextlib.suppress(Exception):
            conn.write(self.refusal)
            conn.writer.close()

    async def serve(self, conn: Connection) -> None:
        raise NotImplementedError


class MailboxListener(Listener):
    """A listener whose clients log in to read a mailbox (IMAP, POP3)."""

    def __init__(self, store: Any, authenticate: Authenticate, *, hostname: str,
                 allow_plaintext_from_loopback: bool = True, **listener: Any) -> None:
        super().__init__(**listener)
        self.store = store
        self.authenticate = authenticate
        self.hostname = hostname
        self.allow_plaintext_from_loopback = allow_plaintext_from_loopback
