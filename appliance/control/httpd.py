"""The control API's HTTP/1.1 transport on asyncio streams.

The control API needs one route table of two entries, JSON bodies and one
streamed reply; aiohttp did that for 14 MB of resident memory (150 modules)
in a daemon that should idle at 50. This is the subset its clients
(``http.client`` in the CLI, the GUI and the event follower) use: requests
with a Content-Length body, keep-alive, replies with a Content-Length, and
streamed replies in chunked encoding. Every wait has a time-out and every
size a limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

__all__ = ["Request", "Reply", "HttpServer", "json_reply"]

MAX_HEAD = 64 * 1024  # request line and headers
HEAD_TIMEOUT = 75.0  # an idle keep-alive connection is closed after this (aiohttp's default)
BODY_TIMEOUT = 60.0


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
        self._server = await asyncio.start_server(
            self._serve, host, port, limit=MAX_HEAD, reuse_address=True)
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
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; True when the connection may carry another."""
        try:
            request, keep = await self._read(reader)
        except _BadRequest as bad:
            await self._send(writer, Reply(bad.status, _status_text(bad.status),
                                           "text/plain; charset=utf-8"), keep=False)
            return False
        if request is None:
            return False
        reply = await self.route(request)
        await self._send(writer, reply, keep=keep and reply.stream is None)
        return keep and reply.stream is None

    async def _read(self, reader: asyncio.StreamReader) -> tuple[Request | None, bool]:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
        except asyncio.IncompleteReadError as exc:
            if exc.partial.strip():
                raise _BadRequest(400) from exc
            return None, False  # the client closed between requests
        except asyncio.LimitOverrunError as exc:
            raise _BadRequest(431) from exc
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequest(400)
        method, target, version = parts
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise _BadRequest(400)
            headers[name.lower()] = value.strip()
        if "transfer-encoding" in headers:
            raise _BadRequest(501)  # the control clients always send a Content-Length
        length_text = headers.get("content-length", "0")
        if not length_text.isdigit():
            raise _BadRequest(400)
        length = int(length_text)
        if length > self.max_body:
            raise _BadRequest(413)
        body = await asyncio.wait_for(reader.readexactly(length), BODY_TIMEOUT) if length else b""
        connection = headers.get("connection", "").lower()
        keep = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
        return Request(method, target.partition("?")[0], headers, body), keep

    async def _send(self, writer: asyncio.StreamWriter, reply: Reply, *, keep: bool) -> None:
        head = [f"HTTP/1.1 {reply.status} {_phrase(reply.status)}",
                f"Content-Type: {reply.content_type}"]
        if reply.stream is None:
            head.append(f"Content-Length: {len(reply.body)}")
        else:
            head.append("Transfer-Encoding: chunked")
        head.append("Connection: keep-alive" if keep else "Connection: close")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        if reply.stream is None:
            writer.write(reply.body)
            await writer.drain()
            return
        stream = reply.stream
        try:
            await writer.drain()
            async for chunk in stream:
                if chunk:
                    writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    await writer.drain()
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        finally:
            # The reader went away or the server stops: the stream's own clean-up runs.
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _status_text(status: int) -> bytes:
    return f"{status}: {_phrase(status)}".encode()
