"""The control API's HTTP transport with the clients that use it (http.client) and raw sockets."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import socket
from collections.abc import AsyncIterator, Callable

import pytest

from appliance.control import httpd
from appliance.control.httpd import HttpServer, Reply, Request, json_reply


class _App:
    def __init__(self) -> None:
        self.seen: list[Request] = []
        self.streams_open = 0
        self.release = asyncio.Event()

    async def route(self, request: Request) -> Reply:
        self.seen.append(request)
        if request.path == "/stream":
            return Reply(200, content_type="application/x-ndjson", stream=self._lines())
        return json_reply({"path": request.path, "body": request.body.decode()})

    async def _lines(self) -> AsyncIterator[bytes]:
        self.streams_open += 1
        try:
            for i in range(3):
                yield json.dumps({"n": i}).encode() + b"\n"
            await self.release.wait()
            yield b'{"n": "last"}\n'
        finally:
            self.streams_open -= 1


async def wait_until(predicate: Callable[[], object], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def _raw(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
        return out


async def test_requests_keep_alive_and_limits() -> None:
    app = _App()
    server = HttpServer(app.route, max_body=1000)
    port = await server.start("127.0.0.1", 0)

    def client() -> list[tuple[int, object]]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        out: list[tuple[int, object]] = []
        for body in (b'{"a": 1}', b""):  # two requests on one connection
            conn.request("POST", "/api/x?y=1", body=body,
                         headers={"Authorization": "Bearer s"})
            resp = conn.getresponse()
            out.append((resp.status, json.loads(resp.read())))
        conn.request("POST", "/big", body=b"x" * 1001)
        resp = conn.getresponse()
        out.append((resp.status, resp.read()))
        conn.close()
        return out

    try:
        got = await asyncio.to_thread(client)
        assert got == [(200, {"path": "/api/x", "body": '{"a": 1}'}),
                       (200, {"path": "/api/x", "body": ""}),
                       (413, b"413: Request Entity Too Large")]
        assert app.seen[0].headers["authorization"] == "Bearer s"
        assert len(app.seen) == 2  # the oversized body never reached the route
        bad = await asyncio.to_thread(_raw, port, b"NONSENSE\r\n\r\n")
        assert bad.startswith(b"HTTP/1.1 400 ")
        huge = await asyncio.to_thread(_raw, port, b"GET / HTTP/1.1\r\nX: " + b"a" * 70000)
        assert huge.startswith(b"HTTP/1.1 431 ")
        chunked = await asyncio.to_thread(
            _raw, port,
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        assert chunked.startswith(b"HTTP/1.1 501 ")
    finally:
        await server.stop(grace=1)


async def test_a_streamed_reply_and_its_clean_up() -> None:
    app = _App()
    server = HttpServer(app.route, max_body=1000)
    port = await server.start("127.0.0.1", 0)

    def follow(count: int) -> list[bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/stream")
        resp = conn.getresponse()
        assert resp.getheader("Transfer-Encoding") == "chunked"
        lines: list[bytes] = []
        with contextlib.suppress(http.client.HTTPException, OSError):
            while len(lines) < count and (line := resp.readline()):
                lines.append(line)
        conn.close()  # the reader goes away mid-stream
        return lines

    try:
        lines = await asyncio.to_thread(follow, 3)
        assert [json.loads(line)["n"] for line in lines] == [0, 1, 2]
        app.release.set()  # the next write finds the reader gone: the stream is closed
        await wait_until(lambda: app.streams_open == 0)

        app.release.clear()
        reader = asyncio.create_task(asyncio.to_thread(follow, 5))
        await wait_until(lambda: app.streams_open == 1)
        await server.stop(grace=0.2)  # a stream that never ends is cut at stop
        await wait_until(lambda: app.streams_open == 0)
        assert len(await reader) == 3  # what was sent before the cut, then the end
    finally:
        await server.stop(grace=1)


async def test_bad_input_gets_a_clear_reply_and_the_connection_closes() -> None:
    app = _App()
    server = HttpServer(app.route, max_body=1000)
    port = await server.start("127.0.0.1", 0)
    cases = {
        b"GET / HTTP/1.1\r\n\r\n": 400,  # HTTP/1.1 without Host (RFC 9112 3.2)
        b"GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n": 400,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n": 400,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab": 400,
        # Framed both ways: a proxy and this server could disagree where the next request starts.
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n": 501,
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n": 501,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\n\r\n": 413,
        b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Long: " + b"a" * (70 * 1024) + b"\r\n\r\n": 431,
    }
    try:
        for data, status in cases.items():
            got = await asyncio.to_thread(_raw, port, data)  # reads until the server closes
            assert got.startswith(b"HTTP/1.1 %d " % status), (data[:60], got[:60])
            assert b"\r\nConnection: close\r\n" in got
        assert app.seen == []  # none of them reached the route
    finally:
        await server.stop(grace=1)


async def test_pipelined_requests_http10_and_expect_continue() -> None:
    app = _App()
    server = HttpServer(app.route, max_body=1000)
    port = await server.start("127.0.0.1", 0)
    try:
        # Two requests in one write: both answered in order, the second closes.
        got = await asyncio.to_thread(
            _raw, port, b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
                        b"GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert got.count(b"HTTP/1.1 200 OK\r\n") == 2
        assert got.index(b'"path": "/a", "body": "hi"') < got.index(b'"path": "/b"')
        # HEAD: the head of the reply, no body, and the connection goes on.
        got = await asyncio.to_thread(
            _raw, port, b"HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n"
                        b"GET /g HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head, _, rest = got.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ") and rest.startswith(b"HTTP/1.1 200 ")
        assert b'"path": "/g"' in rest and b'"/h"' not in rest
        # HTTP/1.0: one request, then the server closes (_raw returns at the close).
        got = await asyncio.to_thread(_raw, port, b"GET /old HTTP/1.0\r\n\r\n")
        assert got.startswith(b"HTTP/1.1 200 ") and b"Connection: close\r\n" in got

        def expect() -> tuple[bytes, bytes]:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                             b"Expect: 100-continue\r\nConnection: close\r\n\r\n")
                interim = sock.recv(65536)
                sock.sendall(b"abc")
                rest = b""
                while chunk := sock.recv(65536):
                    rest += chunk
                return interim, rest

        interim, rest = await asyncio.to_thread(expect)
        assert interim.startswith(b"HTTP/1.1 100 ")
        assert b'"body": "abc"' in interim + rest
    finally:
        await server.stop(grace=1)


async def test_an_idle_or_stalled_connection_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(httpd, "HEAD_TIMEOUT", 0.2)
    monkeypatch.setattr(httpd, "BODY_TIMEOUT", 0.2)
    app = _App()
    server = HttpServer(app.route, max_body=1000)
    port = await server.start("127.0.0.1", 0)

    def idle_after_one_request() -> bytes:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/one", body=b"")
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("Connection") == "keep-alive"
        resp.read()
        assert conn.sock is not None
        left = conn.sock.recv(1)  # blocks until the server ends the idle connection
        conn.close()
        return left

    try:
        assert await asyncio.to_thread(idle_after_one_request) == b""
        # A head that never ends, a body that never comes: closed without a reply.
        assert await asyncio.to_thread(_raw, port, b"GET / HTTP/1.1\r\nHost: x\r\n") == b""
        assert await asyncio.to_thread(
            _raw, port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc") == b""
        assert [r.path for r in app.seen] == ["/one"]
    finally:
        await server.stop(grace=1)
