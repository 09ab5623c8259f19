"""DATA read in pieces (appliance.smtp.data) answers exactly as aiosmtpd's line-by-line DATA.

Two kinds of check: the reading loop on a stream reader fed in every
possible split (the end marker, the limits and dot-unstuffing must not
depend on how TCP cut the stream, and nothing after the marker may be
read), and a live comparison with aiosmtpd's own smtp_DATA: the same
byte streams sent to an unpatched aiosmtpd and to PatchedSMTP must get
the same replies and hand over the same message.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from appliance.smtp.aiosmtpd_compat import PatchedSMTP
from appliance.smtp.data import DataCollector, DataState, longest_line, read_data, verdict

LINE = 1001  # aiosmtpd's line_length_limit
AFTER = b"NOOP\r\n"  # a pipelined command behind the data


def reference(stream: bytes, size_limit: int) -> tuple[DataState, bytes]:
    """aiosmtpd 1.4.6's smtp_DATA rules, one line at a time (its reader's limit is LINE)."""
    state, size, kept = DataState.NOMINAL, 0, []
    rest = stream
    while True:
        cut = rest.find(b"\r\n")
        line, rest = rest[:cut + 2], rest[cut + 2:]
        if line == b".\r\n":
            break
        if state is DataState.NOMINAL and cut > LINE:
            state = DataState.TOO_LONG  # the reader's limit overran first
        size += len(line)
        if state is DataState.NOMINAL and size > size_limit:
            state = DataState.TOO_MUCH
        if state is DataState.NOMINAL and len(line) > LINE:
            state = DataState.TOO_LONG
        kept.append(line[1:] if line.startswith(b".") else line)
    return (state, b"".join(kept)) if state is DataState.NOMINAL else (state, b"")


async def read_split(stream: bytes, cuts: list[int], size_limit: int
                     ) -> tuple[DataState, bytes, bytes]:
    """Read ``stream`` + AFTER fed in pieces at ``cuts``: (state, message, left unread)."""
    reader = asyncio.StreamReader(limit=LINE)
    collector = DataCollector(size_limit, LINE)
    data = stream + AFTER
    edges = [0, *cuts, len(data)]

    async def feed() -> None:
        for start, stop in zip(edges, edges[1:], strict=False):
            reader.feed_data(data[start:stop])
            await asyncio.sleep(0)
        reader.feed_eof()

    feeding = asyncio.create_task(feed())
    assert await read_data(reader, collector)
    await feeding
    state, message = collector.result()
    return state, message, await reader.read()


STREAMS = [
    b".\r\n",  # empty message
    b"\r\n.\r\n",  # one empty line
    b"a\r\n.\r\n",
    b"..\r\n.\r\n",  # a stuffed lone dot
    b".a\r\n..b\r\nc.\r\n.\r\n",
    b"x\r\n.x\r\n.\r.\r\n\n.\r\n\r\n..\r\n.\r\n",  # near misses of the marker
    b"Subject: s\r\n\r\nbody.\r\n.\r\n",
]


@pytest.mark.parametrize("stream", STREAMS)
async def test_every_split_reads_the_same_message_and_stops_at_the_marker(stream: bytes) -> None:
    expected = reference(stream, 10_000)
    for cut in range(1, len(stream) + len(AFTER)):
        state, message, left = await read_split(stream, [cut], 10_000)
        assert (state, message) == expected, cut
        assert left == AFTER, cut
    byte_by_byte = await read_split(stream, list(range(1, len(stream))), 10_000)
    assert byte_by_byte == (*expected, AFTER)


def random_stream(rng: random.Random, size_limit: int, kind: int | None = None) -> bytes:
    """Lines of all kinds, around the line and size limits (``kind`` picks how near)."""
    kind = rng.randrange(15) if kind is None else kind
    long_lines = [0.0, 0.01, 0.1][kind % 3]
    lines = []
    total = 0
    while total < size_limit + [-2000, -200, 0, 50, 2000][kind % 5]:
        if rng.random() < long_lines:
            length = rng.choice([998, 999, 1000, 1001, 1002, 1003, 1500, 3000])
        else:
            length = rng.randrange(0, 120)
        body = bytes(rng.choice(b"ab.\r\n ") for _ in range(length))
        body = body.replace(b"\r\n", b"\r-")  # a line holds no CRLF of its own
        if body.endswith(b"\r"):
            body += b"-"
        if rng.random() < 0.2:
            body = b"." + body
        if body == b".":
            body = b".."  # not the end yet
        lines.append(body + b"\r\n")
        total += len(lines[-1])
    return b"".join(lines) + b".\r\n"


async def test_random_streams_in_random_pieces() -> None:
    rng = random.Random(1466)
    for _ in range(150):
        limit = rng.choice([500, 3000, 5000])
        stream = random_stream(rng, limit)
        cuts = sorted(rng.sample(range(1, len(stream)), min(len(stream) - 1, rng.randrange(1, 40))))
        got = await read_split(stream, cuts, limit)
        assert got == (*reference(stream, limit), AFTER)


def test_verdict_order_follows_aiosmtpd() -> None:
    long = b"x" * 1002
    # The size passes with the first line; the over-long line comes after it.
    assert verdict(b"a" * 600 + b"\r\n" + long + b"\r\n", True, 500, LINE) is DataState.TOO_MUCH
    # An over-long line first, then the size.
    assert verdict(long + b"\r\n" + b"a" * 600 + b"\r\n", True, 500, LINE) is DataState.TOO_LONG
    # A 1000-byte line counts towards the size before its length is checked.
    assert verdict(b"x" * 1000 + b"\r\n", True, 900, LINE) is DataState.TOO_MUCH
    assert verdict(b"x" * 1000 + b"\r\n", True, 5000, LINE) is DataState.TOO_LONG
    # The line in progress decides.
    assert verdict(b"a" * 600 + b"\r\n" + b"x" * 10, False, 5000, LINE) is None
    assert verdict(b"x" * 1002, False, 5000, LINE) is DataState.TOO_LONG
    assert verdict(b"", True, 500, LINE) is DataState.NOMINAL


def test_longest_line_across_windows() -> None:
    data = b"\r\n".join([b"a" * 5, b"b" * 40, b"", b"c" * 7]) + b"\r\n"
    assert longest_line(data) == 40
    for window in (1, 3, 8, 16, 45, 1000):
        assert longest_line(data, window) == 40
        assert longest_line(b"z" * 100 + b"\r\n" + b"y" * 3, window) == 100
    assert longest_line(b"") == 0


def test_a_refused_message_is_not_kept() -> None:
    collector = DataCollector(1000, LINE)
    for _ in range(100):
        collector.feed(b"a" * 98 + b"\r\n")
    assert collector.state is DataState.TOO_MUCH
    assert collector._parts == []  # the rest is read, not kept
    collector.feed(b".\r\n")
    assert collector.result() == (DataState.TOO_MUCH, b"")


# -- the same streams against aiosmtpd itself, on live connections -------------------------


class _Taker:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_RCPT(self, server: Any, session: Session, envelope: Envelope,  # noqa: N802
                          address: str, options: list[str]) -> str:
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session,  # noqa: N802 - aiosmtpd's name
                          envelope: Envelope) -> str:
        self.messages.append(envelope.original_content or b"")
        return "250 taken"


async def _transcript(port: int, streams: list[bytes]) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    replies = [await reader.readline()]

    async def say(data: bytes, replies_due: int = 1) -> None:
        writer.write(data)
        for _ in range(replies_due):
            while True:
                line = await asyncio.wait_for(reader.readline(), 10)
                replies.append(line)
                if line[3:4] != b"-":
                    break

    await say(b"EHLO client.test\r\n")
    for stream in streams:
        await say(b"MAIL FROM:<a@b.test>\r\n")
        await say(b"RCPT TO:<c@d.test>\r\n")
        await say(b"DATA\r\n")
        await say(stream + AFTER, 2)  # the data's reply, then NOOP's
    writer.close()
    return b"".join(replies[1:])


async def test_same_replies_and_messages_as_aiosmtpd() -> None:
    rng = random.Random(5321)
    streams = [*STREAMS, *(random_stream(rng, 3000, kind % 15) for kind in range(45))]
    loop = asyncio.get_running_loop()
    results = []
    for protocol in (SMTP, PatchedSMTP):
        taker = _Taker()
        server = await loop.create_server(
            lambda protocol=protocol, taker=taker: protocol(
                taker, hostname="mx.test", data_size_limit=3000, loop=loop),
            "127.0.0.1", 0)
        try:
            transcript = await _transcript(server.sockets[0].getsockname()[1], streams)
        finally:
            server.close()
            await server.wait_closed()
        results.append((transcript, taker.messages))
    assert results[0] == results[1]
    assert b"552 Error: Too much mail data" in results[0][0]
    assert b"500 Line too long" in results[0][0]
    assert len(results[0][1]) > 10
