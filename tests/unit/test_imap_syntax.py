"""IMAP command syntax and SEARCH evaluation, without a server."""

from __future__ import annotations

import pytest

from appliance.imap.parser import (
    Atom,
    ParseError,
    format_internaldate,
    parse_datetime,
    parse_fetch_items,
    parse_sequence_set,
    resolve_sequence_set,
    tokenize,
)
from appliance.imap.search import SearchMessage, compile_search, parse_search
from appliance.pop3 import dot_stuff, top_lines, uidl


def test_tokenize_strings_lists_literals() -> None:
    line = b'FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.100>) "a \\"q\\"" {3}'
    tokens = tokenize([line, b" x"], [b"lit"])
    assert tokens == ["FETCH", "1:*", ["FLAGS", "BODY.PEEK[HEADER.FIELDS (From To)]<0.100>"],
                      b'a "q"', b"lit", "x"]
    assert isinstance(tokens[0], Atom)
    assert tokenize([b"STORE 1 +FLAGS (\\Seen \\Deleted)"], []) == [
        "STORE", "1", "+FLAGS", ["\\Seen", "\\Deleted"]]
    with pytest.raises(ParseError):
        tokenize([b"X (a"], [])
    with pytest.raises(ParseError):
        tokenize([b'X "open'], [])


def test_sequence_sets() -> None:
    assert parse_sequence_set("1:3,7,9:*") == [(1, 3), (7, 7), (9, None)]
    assert resolve_sequence_set(parse_sequence_set("5:2,*"), 10) == [(2, 5), (10, 10)]
    for bad in ("", "0", "1:0", "a", "1,,2"):
        with pytest.raises(ParseError):
            parse_sequence_set(bad)


def test_fetch_items() -> None:
    items = parse_fetch_items(Atom("FAST"))
    assert [i.name for i in items] == ["FLAGS", "INTERNALDATE", "RFC822.SIZE"]
    (item,) = parse_fetch_items([Atom("BODY.PEEK[1.2.HEADER.FIELDS.NOT (X-A)]<5.10>")])
    assert (item.numbers, item.text, item.fields, item.partial, item.peek) == (
        [1, 2], "HEADER.FIELDS.NOT", [b"X-A"], (5, 10), True)
    assert item.response_name() == b"BODY[1.2.HEADER.FIELDS.NOT (X-A)]<5>"
    (hdr,) = parse_fetch_items([Atom("BODY[HEADER]")])
    assert not hdr.needs_file and hdr.sets_seen
    with pytest.raises(ParseError):
        parse_fetch_items([Atom("BODY[0]")])
    with pytest.raises(ParseError):
        parse_fetch_items([Atom("NONSENSE")])


def test_dates() -> None:
    assert parse_datetime("17-Jul-1996 02:44:25 -0700") == 837596665
    assert format_internaldate(837596665) == b'"17-Jul-1996 09:44:25 +0000"'
    with pytest.raises(ParseError):
        parse_datetime("yesterday")


def _msg(seq: int, flags: set[str], search: str = "", size: int = 100,
         internaldate: int = 0) -> SearchMessage:
    return SearchMessage(seq, seq * 10, flags, False, size, internaldate, search)


def _run(args: list, msgs: list[SearchMessage]) -> list[int]:
    _, tree = parse_search(args)
    pred = compile_search(tree, largest_seq=len(msgs), largest_uid=msgs[-1].uid)
    return [m.seq for m in msgs if pred(m)]


def test_search_keys() -> None:
    msgs = [
        _msg(1, {"\\Seen"}, "subject:quarterly report\nfrom:ann <ann@x.test>\n"
                            "date:tue, 24 nov 2026 10:00:00 +0000", 500, 1795000000),
        _msg(2, set(), "subject:lunch\nfrom:bob <bob@x.test>", 5000, 1796000000),
        _msg(3, {"\\Flagged", "$Work"}, "subject:report v2\nfrom:ann <ann@x.test>", 50),
    ]
    A = Atom
    assert _run([A("SUBJECT"), b"REPORT"], msgs) == [1, 3]
    assert _run([A("UNSEEN"), A("FROM"), b"ann"], msgs) == [3]
    assert _run([A("OR"), A("FLAGGED"), A("SEEN")], msgs) == [1, 3]
    assert _run([A("NOT"), A("KEYWORD"), A("$Work")], msgs) == [1, 2]
    assert _run([A("LARGER"), A("400"), A("SMALLER"), A("1000")], msgs) == [1]
    assert _run([A("UID"), A("20:*")], msgs) == [2, 3]
    assert _run([A("2:3"), [A("HEADER"), b"from", b"bob"]], msgs) == [2]
    assert _run([A("SENTON"), A("24-Nov-2026")], msgs) == [1]
    assert _run([A("SINCE"), A("1-Nov-2026")], msgs) == [1, 2]
    assert _run([A("CHARSET"), A("UTF-8"), A("ALL")], msgs) == [1, 2, 3]
    for bad in ([A("BOGUS")], [A("OR"), A("SEEN")], [A("LARGER"), A("x")], []):
        with pytest.raises(ParseError):
            parse_search(bad)


def test_pop3_helpers() -> None:
    assert dot_stuff(b".a\r\nb\r\n.\r\n") == b"..a\r\nb\r\n..\r\n.\r\n"
    assert dot_stuff(b"no newline") == b"no newline\r\n.\r\n"
    assert top_lines(b"H: 1\n\nl1\nl2\nl3\n", 2) == b"H: 1\n\nl1\nl2\n"
    assert top_lines(b"H: 1\n\nl1", 5) == b"H: 1\n\nl1"
    assert top_lines(b"H: 1\n\nl1\n", 0) == b"H: 1\n\n"
    assert uidl(1, 0x5F3759DF) == "000000015F3759DF"
