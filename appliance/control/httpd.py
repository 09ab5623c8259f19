"""The control API's HTTP/1.1 transport: h11 on asyncio streams.

The control API needs one route table of two entries, JSON bodies and one
streamed reply; aiohttp did that for 14 MB of resident memory (150 modules)
in a daemon that should idle at 50. h11 (python-hyper's sans-IO HTTP/1.1,
pure Python, a dozen small modules, no imports beyond the standard library)
does the protocol: it parses request lines and headers strictly, frames
bodies by Content-Length or chunked encoding, knows when a connection may
carry another request (keep-alive, HTTP/1.0, Connection: close) and writes
replies with a Content-Length or in chunks. This module moves bytes between
it and the socket and adds what h11 leaves to its user:
a time-out on every wait (the head, the body, each write), a limit on the
head (h11's max_incomplete_event_size) and on the body, and a 4xx/5xx reply
before closing on bad input (h11's status hint: 400, 431, 501; 413 here).
Requests come with a Content-Length (all the control clients send one); a
chunked request gets 501, as before h11, which also leaves no request framed
both ways (no request smuggling).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import h11

__all__ = ["Request", "Reply", "HttpServer", "json_reply"]

MAX_HEAD = 64 * 1024  # request line and headers
HEAD_TIMEOUT = 75.0  # an idle keep-alive connection is closed after this (aiohttp's default)
BODY_TIMEOUT = 60.0
SEND_TIMEOUT = 60.0  # a client that reads nothing of a reply for this long is cut
CLOSE_TIMEOUT = 5.0
READ_SIZE = 64 * 1024


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes = b""


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    # A streamed reply: sent chunk by chunk as the iterator yields.
    stream: AsyncIterator[bytes] | None = field(default=None, repr=False)


def json_reply(data: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(data).encode())


Route = Callable[[Request], Awaitable[Reply]]


class _BadRequest(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class HttpServer:
    """Serves ``route`` on one listening socket; ``stop`` ends it within a grace time."""

    def __init__(self, route: Route, *, max_body: int) -> None:
        self.route = route
        self.max_body = max_body
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> int:
        """Listen; returns the port (useful with port 0)."""
        self._server = await asyncio.start_server(self._serve, host, port, reuse_address=True)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self, grace: float) -> None:
        """Stop listening, let requests in progress finish for ``grace`` s, then cut them."""
        if self._server is not None:
            self._server.close()
            self._server = None
        tasks = set(self._tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=grace)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        try:
            while await self._one(conn, reader, writer):
                conn.start_next_cycle()
        except (ConnectionError, TimeoutError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), CLOSE_TIMEOUT)
            except TimeoutError:
                writer.transport.abort()  # a peer that reads nothing keeps the rest unsent
            except Exception:  # noqa: BLE001 - the peer went away: nothing left to do
                pass

    async def _one(self, conn: h11.Connection, reader: asyncio.StreamReader,
                   writer: asyncio.StreamWriter) -> bool:
        """Answer one request; True when the connection may carry another."""
        try:
            request = await self._read(conn, reader, writer)
        except _BadRequest as bad:
            await self._send_error(conn, writer, bad.status)
            return False
        except h11.RemoteProtocolError as exc:
            await self._send_error(conn, writer, exc.error_status_hint)
            return False
        if request is None:
            return False
        reply = await self.route(request)
        await self._send(conn, writer, reply, head_only=request.method == "HEAD")
        return conn.our_state is h11.DONE and conn.their_state is h11.DONE

    async def _read(self, conn: h11.Connection, reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter) -> Request | None:
        async with asyncio.timeout(HEAD_TIMEOUT):
            event = await _next_event(conn, reader)
        if isinstance(event, h11.ConnectionClosed):
            return None  # the client closed between requests
        assert isinstance(event, h11.Request), event
        headers = {name.decode("latin-1"): value.decode("latin-1")
                   for name, value in event.headers}
        if "transfer-encoding" in headers:
            # The control clients always send a Content-Length. Refusing chunked requests
            # also rules out a request framed both ways (request smuggling, RFC 9112 6.3).
            raise _BadRequest(501)
        if int(headers.get("content-length", "0")) > self.max_body:
            raise _BadRequest(413)  # h11 checked it is a number
        if conn.they_are_waiting_for_100_continue:
            await _write(writer, conn.send(h11.InformationalResponse(status_code=100, headers=[])))
        body = bytearray()
        async with asyncio.timeout(BODY_TIMEOUT):
            while not isinstance(part := await _next_event(conn, reader), h11.EndOfMessage):
                assert isinstance(part, h11.Data), part
                body += part.data
                if len(body) > self.max_body:  # h11 frames by the length: a second guard
                    raise _BadRequest(413)
        target = event.target.decode("latin-1")
        return Request(event.method.decode("latin-1"), target.partition("?")[0], headers,
                       bytes(body))

    async def _send(self, conn: h11.Connection, writer: asyncio.StreamWriter, reply: Reply,
                    *, head_only: bool) -> None:
        # A streamed reply ends the connection, as it did with aiohttp and the clients expect.
        await _write(writer, conn.send(_head(reply, close=reply.stream is not None)))
        stream = reply.stream
        if stream is None:
            if reply.body and not head_only:  # h11 sends no body after HEAD and says so loudly
                await _write(writer, conn.send(h11.Data(data=reply.body)))
            await _write(writer, conn.send(h11.EndOfMessage()))
            return
        try:
            if not head_only:
                async for chunk in stream:
                    if chunk:
                        await _write(writer, conn.send(h11.Data(data=chunk)))
            await _write(writer, conn.send(h11.EndOfMessage()))
        finally:
            # The reader went away or the server stops: the stream's own clean-up runs.
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()

    async def _send_error(self, conn: h11.Connection, writer: asyncio.StreamWriter,
                          status: int) -> None:
        if conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return  # a reply had begun: nothing can be said on this connection any more
        reply = Reply(status, f"{status}: {_phrase(status)}".encode(), "text/plain; charset=utf-8")
        with contextlib.suppress(h11.LocalProtocolError):
            await _write(writer, conn.send(_head(reply, close=True)))
            await _write(writer, conn.send(h11.Data(data=reply.body)))
            await _write(writer, conn.send(h11.EndOfMessage()))


async def _next_event(conn: h11.Connection, reader: asyncio.StreamReader) -> Any:
    """The next event h11 makes of the request, reading as much as it needs."""
    while (event := conn.next_event()) is h11.NEED_DATA:
        size = READ_SIZE
        if conn.their_state is h11.IDLE:
            # h11 checks its limit on a head it could not parse yet: reading no more than
            # the limit leaves makes that limit exact (else a read could end a bigger head).
            size = max(1, MAX_HEAD - len(conn.trailing_data[0]))
        conn.receive_data(await reader.read(size))  # b"" at the end: h11 knows what it means
    return event


async def _write(writer: asyncio.StreamWriter, data: bytes | None) -> None:
    if data:
        writer.write(data)
        await asyncio.wait_for(writer.drain(), SEND_TIMEOUT)


def _head(reply: Reply, *, close: bool) -> h11.Response:
    headers = [("Content-Type", reply.content_type)]
    if reply.stream is None:
        headers.append(("Content-Length", str(len(reply.body))))
    else:
        headers.append(("Transfer-Encoding", "chunked"))
    # h11 turns keep-alive into close when the request asked for it or came over HTTP/1.0.
    headers.append(("Connection", "close" if close else "keep-alive"))
    return h11.Response(status_code=reply.status, headers=headers, reason=_phrase(reply.status))


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
