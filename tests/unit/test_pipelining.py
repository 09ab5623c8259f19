"""The pure parts of pipelined remote delivery (appliance.delivery.pipelining)."""

from __future__ import annotations

import asyncio
import random

import pytest
from aiosmtplib.email import quote_address as aiosmtplib_quote_address
from aiosmtplib.protocol import SMTPProtocol

from appliance.delivery.pipelining import (
    MalformedReply,
    Reply,
    ReplyParser,
    envelope_commands,
    quote_address,
)


def aiosmtplib_replies(data: bytes) -> list[Reply]:
    """What aiosmtplib's own parser makes of ``data``, one reply after another."""
    protocol = SMTPProtocol(loop=asyncio.new_event_loop())
    protocol._buffer.extend(data)
    replies = []
    while (response := protocol._read_response_from_buffer()) is not None:
        replies.append(Reply(response.code, response.message))
    return replies


REPLIES = [
    b"250 2.1.0 Ok\r\n",
    b"250-mx.far.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n",
    b"354 End data with <CR><LF>.<CR><LF>\r\n",
    b"550 5.1.1 <x@far.test>: unknown\r\n",
    b"421 4.3.2 bye\n",  # a bare LF ends a line too
    b"250 \r\n",
    b"250\r\n",
    "250 2.0.0 Ok: queued \u00e9\r\n".encode(),
    b"451-first\r\n451 \t second  \r\n",
]


def test_replies_parsed_as_aiosmtplib_does_however_the_bytes_are_cut() -> None:
    rng = random.Random(5)
    for _ in range(300):
        picked = [rng.choice(REPLIES) for _ in range(rng.randrange(1, 6))]
        data = b"".join(picked)
        expected = aiosmtplib_replies(data)
        assert len(expected) == len(picked)
        cuts = sorted(rng.sample(range(1, len(data)), min(3, len(data) - 1)))
        parser = ReplyParser()
        got: list[Reply] = []
        for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
            got += parser.feed(data[start:end])
        assert got == expected, data
        assert not parser.pending


def test_every_single_cut_of_a_batch() -> None:
    data = b"250 Ok\r\n250-a\r\n250 b\r\n354 go\r\n"
    for cut in range(len(data) + 1):
        parser = ReplyParser()
        assert parser.feed(data[:cut]) + parser.feed(data[cut:]) == [
            Reply(250, "Ok"), Reply(250, "a\nb"), Reply(354, "go")
        ]


def test_a_partial_reply_waits() -> None:
    parser = ReplyParser()
    assert parser.feed(b"250-one\r\n250 tw") == []
    assert parser.pending
    assert parser.feed(b"o\r\n") == [Reply(250, "one\ntwo")]


def test_malformed_and_oversized_replies() -> None:
    with pytest.raises(MalformedReply, match="Malformed SMTP response line: hello"):
        ReplyParser().feed(b"hello\r\n")
    with pytest.raises(MalformedReply, match="too long"):
        ReplyParser().feed(b"250 " + b"x" * 9000 + b"\r\n")
    with pytest.raises(MalformedReply, match="too long"):
        ReplyParser().feed(b"250-" + b"x" * 40_000)


def test_envelope_commands_are_aiosmtplibs_bytes() -> None:
    assert envelope_commands(
        "Alice <alice@example.test>", ["b@far.test", "<c@far.test>"], ["SIZE=12", "BODY=8BITMIME"],
        "ascii",
    ) == [
        b"MAIL FROM:<alice@example.test> SIZE=12 BODY=8BITMIME\r\n",
        b"RCPT TO:<b@far.test>\r\n",
        b"RCPT TO:<c@far.test>\r\n",
        b"DATA\r\n",
    ]
    assert envelope_commands("", ["j\u00f6rg@far.test"], ["SMTPUTF8"], "utf-8") == [
        b"MAIL FROM:<> SMTPUTF8\r\n", "RCPT TO:<j\u00f6rg@far.test>\r\n".encode(), b"DATA\r\n"
    ]


@pytest.mark.parametrize(
    ("sender", "recipient", "option"),
    [
        ("a@x.test", "b c@far.test", "SIZE=1"),
        ("a@x.test", "b\x7f@far.test", "SIZE=1"),
        ("a@x.test", "b@far.test", "SIZE=1\r\nQUIT"),
        ("a\x00@x.test", "b@far.test", "SIZE=1"),
    ],
)
def test_envelope_commands_refuse_smuggled_commands(
    sender: str, recipient: str, option: str
) -> None:
    with pytest.raises(ValueError):
        envelope_commands(sender, [recipient], [option], "ascii")


def test_envelope_addresses_cleaned_as_aiosmtplib_does() -> None:
    # Whatever aiosmtplib makes of such addresses, the same goes on the wire: on
    # Python 3.11.7 parseaddr keeps the address and drops what follows it; where
    # the CVE-2023-27043 fix is in (Debian's 3.11.2, 3.11.10+) aiosmtplib refuses it.
    sender, recipient = "a@x.test> NOTIFY=NEVER", "b@far.test\r\nRSET"
    try:
        expected = [b"MAIL FROM:" + aiosmtplib_quote_address(sender).encode() + b"\r\n",
                    b"RCPT TO:" + aiosmtplib_quote_address(recipient).encode() + b"\r\n"]
    except ValueError:
        with pytest.raises(ValueError):
            envelope_commands(sender, [recipient], [], "ascii")
        return
    assert envelope_commands(sender, [recipient], [], "ascii")[:2] == expected
    assert b"NOTIFY" not in b"".join(expected) and b"RSET" not in b"".join(expected)


def test_quote_address_is_aiosmtplibs() -> None:
    fixed = ["", "a@x.test", "A+b=c@X.Test", "a..b@x.test", ".a@x.test", "a@x.", "a@b@c", "@x",
             "a", "Alice <a@x.test>", '"a b"@x.test', "a@[1.2.3.4]", "a@x_y", "j\u00f6rg@x.test",
             "a(comment)@x.test", "a@x.test,b@y.test"]
    rng = random.Random(7)
    parts = ["a", "Z", "0", ".", "@", "-", "+", "_", "!", "~", "'", "`", "x.test", "\u00e9"]
    generated = ["".join(rng.choice(parts) for _ in range(rng.randrange(1, 12)))
                 for _ in range(5000)]
    for address in fixed + generated:
        try:
            expected = aiosmtplib_quote_address(address)
        except ValueError:
            with pytest.raises(ValueError):
                quote_address(address)
            continue
        assert quote_address(address) == expected, address
