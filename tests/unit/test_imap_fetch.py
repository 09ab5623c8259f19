"""FETCH and STORE (appliance.imap.fetch): renderers, literals, batches, STORE
syntax, and building a batch from a real store, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.imap.fetch import (
    BATCH_BYTES,
    BODY_BATCH,
    FETCH_BATCH,
    FIRST_BATCH,
    batch_sizes,
    crlf,
    fetch_batch,
    literal,
    parse_store,
    read_file,
    renderer,
)
from appliance.imap.parser import Atom, FetchItem, parse_fetch_items, tokenize
from appliance.imap.selection import Selected
from appliance.imap.state import Bad
from appliance.store import Mailstore

ALICE = "alice@example.test"
MESSAGE = (b"From: A <a@example.org>\r\nSubject: Hi there\r\nX-Tag: one\r\n\r\n"
           b"line 1\r\nline 2\r\n")


def items(text: str) -> list:
    return parse_fetch_items(tokenize([text.encode()], [])[0])


def test_renderer_asks_the_index_only_for_what_the_items_need() -> None:
    columns, _ = renderer(items("(UID FLAGS)"))
    assert columns == []
    columns, _ = renderer(items("(RFC822.SIZE ENVELOPE BODY.PEEK[HEADER.FIELDS (SUBJECT)] "
                                "INTERNALDATE)"))
    assert columns == ["vsize", "envelope", "header", "internaldate"]
    with pytest.raises(Bad):
        renderer([FetchItem("NOSUCH")])


def test_rendering_one_message_from_index_row_and_bytes() -> None:
    sel = Selected("INBOX", False, 1, 10, 1, [4, 7], {4: "\\Seen", 7: ""}, recent_from=7)
    columns, render = renderer(items("(UID FLAGS RFC822.SIZE ENVELOPE)"))
    row = (123, b'(NIL "Hi" NIL)')
    assert render(sel, 7, row, None) == (
        b'UID 7 FLAGS (\\Recent) RFC822.SIZE 123 ENVELOPE (NIL "Hi" NIL)')
    assert render(sel, 4, row, None).startswith(b"UID 4 FLAGS (\\Seen) ")
    header = b"From: A <a@example.org>\nSubject: Hi there\nX-Tag: one\n"
    columns, render = renderer(items("(BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY[HEADER]<0.4>)"))
    assert columns == ["header"]
    assert render(sel, 4, (header,), None) == (
        b"BODY[HEADER.FIELDS (SUBJECT)] {21}\r\nSubject: Hi there\r\n\r\n"
        b" BODY[HEADER]<0> {4}\r\nFrom")
    body = MESSAGE.replace(b"\r\n", b"\n")
    _, render = renderer(items("(BODY[TEXT] RFC822)"))
    assert render(sel, 4, (), body) == (b"BODY[TEXT] {16}\r\nline 1\r\nline 2\r\n RFC822 "
                                        + literal(MESSAGE))


def test_literals_and_line_ends() -> None:
    assert literal(b"abc") == b"{3}\r\nabc"
    assert literal(b"") == b"{0}\r\n"
    assert crlf(b"a\nb\n") == b"a\r\nb\r\n"
    assert crlf(b"a\r\nb\nc") == b"a\r\nb\r\nc"  # mixed: each bare LF once


def test_read_file_gives_lf_bytes_or_none(tmp_path: Path) -> None:
    path = tmp_path / "msg"
    path.write_bytes(MESSAGE)
    assert read_file(path) == MESSAGE.replace(b"\r\n", b"\n")
    assert read_file(str(path)) == MESSAGE.replace(b"\r\n", b"\n")
    assert read_file(tmp_path / "gone") is None


def test_batches_grow_to_a_cap() -> None:
    sizes = batch_sizes(read_files=False)
    first = [next(sizes) for _ in range(10)]
    assert first[:4] == [FIRST_BATCH, FIRST_BATCH * 2, FIRST_BATCH * 4, FIRST_BATCH * 8]
    assert first[-1] == FETCH_BATCH
    body = batch_sizes(read_files=True)
    assert [next(body) for _ in range(3)] == [FIRST_BATCH, BODY_BATCH, BODY_BATCH]


def test_store_syntax() -> None:
    args = tokenize([b"1:3 +FLAGS.SILENT (\\seen $Work \\Recent)"], [])
    assert parse_store(args) == ("+", True, ["\\Seen", "$Work"])
    assert parse_store(tokenize([b"1 FLAGS \\Flagged"], [])) == ("", False, ["\\Flagged"])
    assert parse_store(tokenize([b"1 -flags ()"], [])) == ("-", False, [])
    for bad in (b"1 +FLAGZ (\\Seen)", b"1 FLAGS (\\Bogus)", b'1 FLAGS ("bad word")'):
        with pytest.raises(Bad):
            parse_store(tokenize([bad], []))
    assert isinstance(args[1], Atom)


def test_fetch_batch_reads_index_and_files(tmp_path: Path) -> None:
    store = Mailstore(tmp_path / "mail", "mail.example.test")
    try:
        for i in range(3):
            store.deliver(ALICE, MESSAGE.replace(b"Hi there", b"msg %d" % i),
                          return_path="s@example.org")
        acct = store.account(ALICE)
        sel = Selected.opened(acct.open("INBOX", claim_recent=True), readonly=False)
        assert list(sel.uids) == [1, 2, 3]
        columns, render = renderer(items("(UID RFC822.SIZE BODY.PEEK[])"))
        lines, done = fetch_batch(acct, sel, [1, 3], render, tuple(columns), True)
        assert done == 2 and len(lines) == 2
        assert lines[1].startswith(b"* 3 FETCH (UID 3 RFC822.SIZE ")
        assert b"Subject: msg 2\r\n" in lines[1] and lines[1].endswith(b"line 2\r\n)\r\n")
        # A message expunged by another session meanwhile is left out, not an error.
        acct.store_flags("INBOX", [2], "+", ["\\Deleted"])
        acct.expunge("INBOX")
        columns, render = renderer(items("(FLAGS ENVELOPE)"))
        lines, done = fetch_batch(acct, sel, [1, 2, 3], render, tuple(columns), False)
        assert done == 3 and [line.split(b" ")[1] for line in lines] == [b"1", b"3"]
        assert b'"msg 0"' in lines[0]
        # A batch stops once its responses reach the byte cap (never before one message).
        columns, render = renderer(items("(BODY.PEEK[])"))
        lines, done = fetch_batch(acct, sel, [1, 3], render, tuple(columns), True, max_bytes=1)
        assert done == 1 and len(lines) == 1 and lines[0].startswith(b"* 1 FETCH")
        lines, done = fetch_batch(acct, sel, [3], render, tuple(columns), True, max_bytes=1)
        assert done == 1 and lines[0].startswith(b"* 3 FETCH")  # 2 still in view
        assert BATCH_BYTES >= 1 << 20
    finally:
        store.close()
