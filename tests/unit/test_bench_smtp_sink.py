"""The relay bench's reading of smtp-sink dump files (bench/peers/smtp_sink.py).

Pure logic: dump text is built here in smtp-sink's format (its own header
lines, the message with CRs dropped and dots unstuffed, one empty line),
then fed to the counter in pieces, as a poll every 20 ms would see it.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))  # the bench's own imports say `peers.…`

from peers.smtp_sink import (  # noqa: E402
    DumpCounter,
    DumpRecord,
    dumped_body_size,
    message_of,
    read_records,
    split_records,
)


def message(token: str, body: bytes = b"line one\r\nline two\r\n", signatures: int = 0) -> bytes:
    sigs = b"".join(
        b"DKIM-Signature: v=1; a=rsa-sha256; d=example.test;\r\n\tb=abc\r\n"
        for _ in range(signatures)
    )
    return (
        sigs + b"From: <bench@example.test>\r\nX-Bench-Token: " + token.encode()
        + b"\r\nSubject: x\r\n\r\n" + body
    )


def dumped(msg: bytes, rcpt: str = "user1@far.test") -> bytes:
    """`msg` as smtp-sink -D appends it to the dump file."""
    head = (
        "X-Client-Addr: 127.0.0.1\nX-Client-Proto: ESMTP\nX-Helo-Args: mail.example.test\n"
        f"X-Mail-Args: <bench@example.test>\nX-Rcpt-Args: <{rcpt}>\n"
        "Received: from mail.example.test ([127.0.0.1])\n"
        "\tby sink.far.test (smtp-sink) with ESMTP id 0a1b2c3d;\n"
        "\tMon, 30 Nov 2026 04:00:00 +0000 (UTC)\n"
    ).encode()
    return head + msg.replace(b"\r", b"") + b"\n"


def test_dumped_body_size_matches_the_dump() -> None:
    for body in (b"a\r\nb\r\n", b"a\r\n\r\n", b"x" * 5000 + b"\r\n", b""):
        msg = message("t", body)
        (record,) = read_records_of(dumped(msg))
        assert record.body_size == dumped_body_size(msg)


def read_records_of(data: bytes) -> list[DumpRecord]:
    records, rest = split_records(data)
    return [DumpRecord.parse(r) for r in records + ([rest] if rest else [])]


def test_record_fields() -> None:
    (record,) = read_records_of(dumped(message("abc-0000001", signatures=2)))
    assert record == DumpRecord("abc-0000001", 2, dumped_body_size(message("abc-0000001")))


def test_a_record_counts_only_once_whole_however_the_writes_fall() -> None:
    msgs = [message(f"tok-{i}", b"filler line\r\n" * (i + 1)) for i in range(3)]
    dump = b"".join(dumped(m) for m in msgs)
    sizes = {f"tok-{i}": dumped_body_size(m) for i, m in enumerate(msgs)}
    ends = []
    pos = 0
    for m in msgs:
        pos += len(dumped(m))
        ends.append(pos)
    # Every cut point: the count is the number of records entirely before it.
    for cut in range(len(dump) + 1):
        counter = DumpCounter(sizes)
        counter.feed(dump[:cut])
        got = counter.feed(dump[cut:cut])  # a poll that finds nothing new
        assert got == sum(end <= cut for end in ends), cut
        assert counter.feed(dump[cut:]) == 3


def test_a_body_ending_in_a_blank_line_is_not_whole_early() -> None:
    msg = message("tok-1", b"text\r\n\r\n")
    data = dumped(msg)
    counter = DumpCounter({"tok-1": dumped_body_size(msg)})
    assert counter.feed(data[:-1]) == 0  # ends in "\n\n" already, one byte short
    assert counter.feed(data[-1:]) == 1


def test_an_unknown_token_counts_once_the_next_record_begins() -> None:
    first, second = dumped(message("foreign")), dumped(message("tok-1"))
    counter = DumpCounter({"tok-1": dumped_body_size(message("tok-1"))})
    assert counter.feed(first) == 0
    assert counter.feed(second) == 2


def test_read_records_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / "dump"
    path.write_bytes(dumped(message("a", signatures=1)) + dumped(message("b")))
    assert [(r.token, r.signatures) for r in read_records(path)] == [("a", 1), ("b", 0)]


def test_message_of_a_record_is_the_message_as_sent() -> None:
    msg = message("tok-1", b"a\r\n\r\n..dot\r\n", signatures=2)
    (record,), rest = split_records(dumped(msg) + dumped(message("tok-2")))
    assert message_of(record) == msg
    assert message_of(rest) == message("tok-2")
