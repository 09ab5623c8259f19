"""The bytes remote delivery sends after DATA: exactly what aiosmtplib's data() sends."""

from __future__ import annotations

import random

from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings

from appliance.delivery.remote import wire_data


def aiosmtplib_data(message: bytes) -> bytes:
    return PERIOD_REGEX.sub(b"..", normalize_message_line_endings(message)) + b".\r\n"


def test_wire_data_is_aiosmtplibs() -> None:
    fixed = [b"", b"a", b".", b".\r\n", b"a\r\n.b\r\n", b"a\n.\n", b"a\rb\r\n", b"x\r\r\n",
             b"Subject: x\r\n\r\nbody\r\n", b"\r\n..\r\n", b"no end", b"\n", b"\r"]
    rng = random.Random(3)
    parts = [b"a", b".", b"\r", b"\n", b"\r\n", b" ", b"..", b"\n."]
    generated = [b"".join(rng.choice(parts) for _ in range(rng.randrange(30)))
                 for _ in range(3000)]
    for message in fixed + generated:
        assert wire_data(message) == aiosmtplib_data(message), message
