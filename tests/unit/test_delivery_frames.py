"""The delivery process's pipe frames (appliance.delivery.worker)."""

from __future__ import annotations

import asyncio
import struct

import pytest

from appliance.delivery.remote import RecipientResult
from appliance.delivery.worker import MAX_FRAME, encode, read_frame
from appliance.queue.spool import Envelope


def _reader(data: bytes) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return reader


async def test_frames_round_trip_in_order_then_none_at_eof() -> None:
    env = Envelope("4F2A1B3C9D0E", "a@example.test", ["b@far.test"], 1.5, checks={"x": 1})
    result = RecipientResult("b@far.test", "delivered", "250 ok", "mx.far.test", "2.0.0")
    reader = _reader(encode(("deliver", 1, env, b"body\r\n", ["b@far.test"]))
                     + encode(("done", 1, [result])))
    assert await read_frame(reader) == ("deliver", 1, env, b"body\r\n", ["b@far.test"])
    assert await read_frame(reader) == ("done", 1, [result])
    assert await read_frame(reader) is None


async def test_a_cut_frame_is_eof_and_a_huge_one_is_refused() -> None:
    assert await read_frame(_reader(encode(("stop",))[:-1])) is None
    with pytest.raises(ValueError):
        await read_frame(_reader(struct.pack(">I", MAX_FRAME + 1)))
