"""Commands out and replies in for one mail transaction, pipelined where offered.

RFC 2920 lets a client send MAIL FROM, every RCPT TO and DATA in one write
when the server says PIPELINING, then read the replies in order; the body
and its final dot are a second write. Against a loopback MX that is two
writes and two waits per message instead of four of each, and on loopback
the kernel does the receiver's work inside the sender's write, so each
write saved is the far side's CPU too.

Why a reply reader of our own: aiosmtplib (kept for connect, TLS, EHLO,
AUTH and QUIT) reads one reply per command it sends. Its SMTPProtocol
drops bytes that arrive after a parsed reply until the next read starts,
and leaves a second reply in the same segment unparsed until more bytes
come (its read_response() says so: "if multiple commands are written to
the transport without awaiting, response data will be lost"). So for the
transaction :class:`ReplyReader` takes the transport's protocol slot
(``transport.set_protocol``, public asyncio API) and gives it back after,
with nothing left unread; a connection lost meanwhile is passed on to
aiosmtplib's protocol, so the client closes itself as it always did. The
reader parses the same way aiosmtplib does (same codes, same joined
message text, same limits, same exceptions), and it is used with and
without PIPELINING, so both paths decide from identical replies; without
PIPELINING each command is simply written when the previous reply is in.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import aiosmtplib

__all__ = ["Exchange", "Reply", "ReplyParser", "ReplyReader", "envelope_commands"]

# aiosmtplib's limits (protocol.py), so a reply it would take we take too.
MAX_LINE_LENGTH = 8192
MAX_RESPONSE_LENGTH = MAX_LINE_LENGTH * 4
# Any C0 control or DEL inside a command line could smuggle a command.
_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")
# A plain dot-atom address, which aiosmtplib's quote_address() (parseaddr,
# ~15 us, two per message) would return unchanged between angle brackets.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


class Reply(NamedTuple):
    code: int
    message: str  # lines joined by "\n", as aiosmtplib's SMTPResponse.message


class MalformedReply(Exception):
    """A line that is no SMTP reply, or a reply past the size limits."""


class ReplyParser:
    """Bytes in, whole replies out, in order; sans-IO."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[Reply]:
        buffer = self._buffer + data if self._buffer else data
        replies: list[Reply] = []
        lines: list[bytes] = []
        start = done = 0  # done: where the first reply not yet whole begins
        while (end := buffer.find(b"\n", start)) >= 0:
            line = buffer[start : end + 1]
            if len(line) > MAX_LINE_LENGTH:
                raise MalformedReply("Response too long")
            start = end + 1
            lines.append(line)
            if line[3:4] != b"-":
                replies.append(_reply(lines))
                lines = []
                done = start
        self._buffer = buffer[done:]
        if len(self._buffer) > MAX_RESPONSE_LENGTH:
            raise MalformedReply("Response too long")
        return replies

    @property
    def pending(self) -> bool:
        """Part of a reply is waiting for its end."""
        return bool(self._buffer)


def _reply(lines: list[bytes]) -> Reply:
    code = -1
    for line in lines:
        try:
            code = int(line[:3])
        except ValueError:
            text = line.decode("utf-8", errors="ignore")
            raise MalformedReply(f"Malformed SMTP response line: {text}") from None
    if len(lines) == 1:
        message = lines[0][4:].strip(b" \t\r\n")
    else:
        message = b"\n".join(line[4:].strip(b" \t\r\n") for line in lines)
    return Reply(code, message.decode("utf-8", "surrogateescape"))


def envelope_commands(
    sender: str, recipients: list[str], options: list[str], encoding: str
) -> list[bytes]:
    """MAIL FROM, one RCPT TO per recipient and DATA: the bytes aiosmtplib would send.

    Raises ValueError for an address or option that cannot go on a command
    line safely, as aiosmtplib does, before anything is written.
    """
    mail = b" ".join(
        [b"MAIL", b"FROM:" + quote_address(sender).encode(encoding)]
        + [option.encode("ascii") for option in options]
    )
    commands = [mail] + [b"RCPT TO:" + quote_address(r).encode(encoding) for r in recipients]
    for command in commands:
        if _CONTROL.search(command):
            raise ValueError("Command arg contains a prohibited control character")
    commands.append(b"DATA")
    return [command + b"\r\n" for command in commands]


def quote_address(address: str) -> str:
    """``<address>`` as aiosmtplib.email.quote_address() gives it, plain ones cheaply."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    from aiosmtplib.email import quote_address as quoted

    return quoted(address)


class ReplyReader(asyncio.Protocol):
    """Takes an aiosmtplib client's transport for one transaction and reads replies in order.

    Use as ``with ReplyReader(client, timeout) as reader``: on leaving, the
    transport goes back to aiosmtplib's protocol. Leave only when every
    command written has had its reply read, or close the client.
    """

    def __init__(self, client: aiosmtplib.SMTP, timeout: float | None) -> None:
        import aiosmtplib

        self._errors = aiosmtplib
        protocol = client.protocol
        transport = client.transport
        if protocol is None or transport is None or transport.is_closing():
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        self.client = client
        self.timeout = timeout
        self._protocol = protocol
        self._transport: Any = transport
        self._parser = ReplyParser()
        self._replies: deque[Reply] = deque()
        self._waiter: asyncio.Future[Reply] | None = None
        self._error: BaseException | None = None
        self._loop = asyncio.get_running_loop()

    def __enter__(self) -> ReplyReader:
        self._transport.set_protocol(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        transport = self._transport
        if transport.get_protocol() is self:
            transport.set_protocol(self._protocol)

    def write(self, data: bytes) -> None:
        transport = self._transport
        if self._error is not None or transport.is_closing():
            raise self._errors.SMTPServerDisconnected("Connection lost")
        transport.write(data)

    async def reply(self) -> Reply:
        """The next reply; raises what aiosmtplib raises for a lost connection or a time-out."""
        if self._replies:
            return self._replies.popleft()
        if self._error is not None:
            raise self._error
        waiter = self._waiter = self._loop.create_future()
        timer = (
            self._loop.call_later(self.timeout, self._expire, waiter)
            if self.timeout is not None
            else None
        )
        try:
            return await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()

    def _expire(self, waiter: asyncio.Future[Reply]) -> None:
        if not waiter.done():
            # aiosmtplib closes a connection whose reply timed out: a late reply
            # must not be taken for the next command's.
            error = self._errors.SMTPReadTimeoutError("Timed out waiting for server response")
            error.__cause__ = TimeoutError()
            waiter.set_exception(error)
            self.client.close()

    def _fail(self, error: BaseException) -> None:
        if self._error is None:
            self._error = error
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    # ---- asyncio.Protocol, while the reader has the transport ----

    def data_received(self, data: bytes) -> None:
        try:
            replies = self._parser.feed(data)
        except MalformedReply as exc:
            self._fail(self._errors.SMTPResponseException(-1, str(exc)))
            # Out of step with the server now: the connection is no use.
            self.client.close()
            return
        if not replies:
            return
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(replies[0])
            self._replies.extend(replies[1:])
        else:
            self._replies.extend(replies)

    def eof_received(self) -> bool:
        self._fail(self._errors.SMTPServerDisconnected("Unexpected EOF received"))
        return False  # the transport closes itself, as with aiosmtplib

    def connection_lost(self, exc: Exception | None) -> None:
        error = self._errors.SMTPServerDisconnected("Connection lost")
        if exc is not None:
            error.__cause__ = exc
        self._fail(error)
        # aiosmtplib's protocol learns of it too: the client then closes
        # itself, as when the loss comes between transactions.
        self._protocol.connection_lost(exc)

    def pause_writing(self) -> None:
        self._protocol.pause_writing()

    def resume_writing(self) -> None:
        self._protocol.resume_writing()


class Exchange:
    """The envelope's commands and their replies, in order, on a :class:`ReplyReader`.

    Pipelined, every command goes out in the first write; otherwise each
    is written when the reply before it is in. Either way :meth:`reply`
    gives the replies one by one, so the caller decides identically.
    """

    def __init__(self, reader: ReplyReader, commands: list[bytes], pipelined: bool) -> None:
        self.reader = reader
        self.commands = commands
        self.sent = 0
        self.answered = 0
        if pipelined:
            reader.write(b"".join(commands))
            self.sent = len(commands)

    @property
    def unanswered(self) -> int:
        """Commands written whose replies are still to be read."""
        return self.sent - self.answered

    async def reply(self) -> Reply:
        """The reply to the next command (written now, if it was not yet)."""
        if self.answered == self.sent:
            self.reader.write(self.commands[self.sent])
            self.sent += 1
        reply = await self.reader.reply()
        self.answered += 1
        if reply.code == 421:
            # As aiosmtplib does: the server is closing this channel.
            self.reader.client.close()
        return reply
