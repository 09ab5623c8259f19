"""The message of one SMTP DATA command, read in large pieces instead of line by line.

aiosmtpd reads DATA one line at a time (a ``readuntil`` per line, plus
its checks in Python); for a 4 KB message that was some fifty trips
through the stream reader, the largest single cost of the event loop
under load. Here the stream is read up to the end marker ``CRLF . CRLF``
in as few reads as the stream reader allows, and the same rules are
applied to the whole: the size limit, the line length limit (aiosmtpd's
1001 bytes with CRLF), and dot-unstuffing (RFC 5321 4.5.2).

:class:`DataCollector` is the pure part: it is fed the pieces as read and
says where the end marker may begin, so :func:`read_data` never reads past
it (the client may have pipelined its next command behind the data).
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable

__all__ = ["END", "DataCollector", "DataState", "longest_line", "read_data", "verdict"]

END = b"\r\n.\r\n"
# The end of the data is a line holding a lone dot: CRLF . CRLF, where the
# first CRLF ends the line before. Data that starts with ". CRLF" is empty:
# the line break of the DATA command itself stands before it.
_START = b"\r\n"


class DataState(enum.Enum):
    NOMINAL = "nominal"
    TOO_LONG = "too long"  # a line over the line length limit
    TOO_MUCH = "too much"  # over the size limit


def longest_line(data: bytes, window: int = 1 << 20) -> int:
    """The length of the longest CRLF-separated segment of ``data`` (without its CRLF).

    Split window by window, so a large message never becomes one list of
    every line at once.
    """
    longest, start, size = 0, 0, len(data)
    while start < size:
        stop = start + window
        if stop >= size:
            cut = size
        else:
            cut = data.rfind(b"\r\n", start, stop)
            if cut < 0:  # no line break in a whole window: one very long line
                cut = data.find(b"\r\n", stop)
                cut = size if cut < 0 else cut
        longest = max(longest, *map(len, data[start:cut].split(b"\r\n")))
        start = cut + 2 if cut < size else size
    return longest


class DataCollector:
    """Collects the pieces of one DATA stream and judges it once it is complete.

    ``size_limit``: the most bytes the data may hold (as sent, before
    dot-unstuffing, without the end marker); 0 or None: no limit.
    ``line_limit``: the longest line, CRLF included. The reply is
    aiosmtpd's (see ``verdict``); once it is known to be a refusal nothing
    more is kept, the rest is only read to its end.
    """

    def __init__(self, size_limit: int | None, line_limit: int) -> None:
        self.size_limit = size_limit or 0
        self.line_limit = line_limit
        self.state = DataState.NOMINAL
        self.done = False
        self._parts: list[bytes] = []
        self._total = 0
        self._tail = _START  # the last bytes seen, for an end marker split between pieces

    def overlap(self) -> int:
        """How many bytes of the end marker the data seen so far may already end with.

        0: none, the next piece may be read up to the marker. Otherwise the
        marker is at least ``len(END) - overlap()`` bytes away (the stream
        cannot end sooner), so that many may be read without looking.
        """
        tail = self._tail
        for size in (4, 3, 2, 1):
            if tail.endswith(END[:size]):
                return size
        return 0

    def feed(self, piece: bytes) -> bool:
        """Take the next piece; True once it completed the end marker."""
        self._total += len(piece)
        tail = self._tail + piece
        self.done = tail.endswith(END)
        self._tail = tail[-4:]
        if self.state is DataState.NOMINAL:
            self._parts.append(piece)
            # The marker's ". CRLF" is not data: without it the data is already too big.
            if self.size_limit and self._total - 3 > self.size_limit:
                data = b"".join(self._parts)
                found = verdict(data[:-3] if self.done else data, self.done,
                                self.size_limit, self.line_limit)
                if found is None:
                    self._parts = [data]  # decided once the line in progress ends
                else:
                    self.state, self._parts = found, []
        return self.done

    def result(self) -> tuple[DataState, bytes]:
        """(state, the dot-unstuffed message) once ``feed`` returned True; b"" unless NOMINAL."""
        assert self.done, "the end marker has not been read"
        if self.state is not DataState.NOMINAL:
            return self.state, b""
        raw = _without_marker(self._parts)
        self._parts = []
        if len(raw) > self.line_limit and longest_line(raw) + 2 > self.line_limit:
            return DataState.TOO_LONG, b""
        if raw.startswith(b"."):
            raw = raw[1:].replace(b"\r\n.", b"\r\n")
        elif b"\r\n." in raw:
            raw = raw.replace(b"\r\n.", b"\r\n")
        return DataState.NOMINAL, raw


async def read_data(reader: asyncio.StreamReader, collector: DataCollector,
                    alive: Callable[[], bool] = lambda: True) -> bool:
    """Read one DATA stream into ``collector``; False if the connection went away first."""
    while not collector.done:
        if not alive():
            return False
        overlap = collector.overlap()
        if overlap:
            # The marker may have begun already: read only what it still
            # lacks, never past it (the client may pipeline behind it).
            piece = await reader.readexactly(len(END) - overlap)
        else:
            try:
                piece = await reader.readuntil(END)
            except asyncio.LimitOverrunError as exc:  # more than the reader's limit: take it all
                piece = await reader.read(exc.consumed)
        collector.feed(piece)
    return True


def verdict(data: bytes, complete: bool, size_limit: int, line_limit: int) -> DataState | None:
    """aiosmtpd's judgement of DATA ``data`` (without the marker), line by line; None:
    it depends on the line still in progress.

    A line longer than ``line_limit`` without its CRLF overran aiosmtpd's
    stream reader (whose limit is the same number) and is refused as too
    long before its size counts; any other line counts towards the size
    first, then its length (CRLF included) is checked. The first problem
    decides.
    """
    lines = data.split(b"\r\n")
    partial = lines.pop()
    seen = 0
    for line in lines:
        if len(line) > line_limit:
            return DataState.TOO_LONG
        seen += len(line) + 2
        if size_limit and seen > size_limit:
            return DataState.TOO_MUCH
        if len(line) + 2 > line_limit:
            return DataState.TOO_LONG
    if len(partial) > line_limit:
        return DataState.TOO_LONG
    return DataState.NOMINAL if complete and not partial else None


def _without_marker(parts: list[bytes]) -> bytes:
    """The pieces joined, without the marker's closing ". CRLF" (its CRLF ends the last line)."""
    cut = 3
    while cut and parts:
        last = parts[-1]
        if len(last) <= cut:
            cut -= len(last)
            parts.pop()
        else:
            parts[-1] = last[:-cut]
            cut = 0
    return parts[0] if len(parts) == 1 else b"".join(parts)
