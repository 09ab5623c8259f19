"""ENVELOPE and BODYSTRUCTURE as Dovecot 2.3 answers them.

tests/data/dovecot-2.3.19-mime.txt holds, for each case, a message and the
exact answer of a private Dovecot 2.3.19.1 (bench/peers/dovecot.py) to
``UID FETCH n (ENVELOPE BODYSTRUCTURE)``, recorded by bench/dovecot_mime_record.py
(which also checks the file against this machine's Dovecot); Mailroom's answer for
the same bytes must equal it, ignoring only the case of MIME tokens and
literal-versus-quoted strings (as bench/imap_pop_read.py compares a whole
mailbox). The cases pin each rule where Mailroom used to differ: header values
kept raw (folds, trailing white space), Subject and names cleaned up "for
humans", the last Date/Subject/Message-ID winning, repeated To/Cc joined,
groups, routes, comments and missing parts of addresses, RFC 2231 parameters
merged, broken Content-Types, line counts, the line break after a nested
closing delimiter, and delimiter lines with something after the boundary.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from appliance.store import mime
from appliance.store.rfc822 import content_type, field_value, for_humans, parse_addresses
from bench.imap_compare import norm_structure, parse_wire

DATA = Path(__file__).resolve().parents[1] / "data" / "dovecot-2.3.19-mime.txt"

# Where Mailroom still answers differently, on purpose or not yet (id: reason).
KNOWN: dict[str, str] = {}


def _cases() -> list[Any]:
    out = []
    for line in DATA.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        cid, message, answers = line.split("\t")
        marks = [pytest.mark.xfail(reason=KNOWN[cid], strict=True)] if cid in KNOWN else []
        out.append(pytest.param(ast.literal_eval(message), ast.literal_eval(answers),
                                id=cid, marks=marks))
    return out


def _mailroom(message: bytes) -> dict[str, Any]:
    header_end, _ = mime.split_header(message)
    _, structure = mime.body_and_structure(message)
    return {
        "ENVELOPE": parse_wire(mime.envelope_of_block(message[:header_end])),
        "BODYSTRUCTURE": parse_wire(structure),
    }


@pytest.mark.parametrize(("message", "dovecot"), _cases())
def test_answers_like_dovecot(message: bytes, dovecot: dict[str, Any]) -> None:
    mine = _mailroom(message)
    for item, expected in dovecot.items():
        if item == "BODYSTRUCTURE":
            assert norm_structure(mine[item]) == norm_structure(expected)
        else:
            assert mine[item] == expected


def test_the_recorded_cases_are_all_there() -> None:
    assert len(_cases()) >= 100


@pytest.mark.parametrize("value", [
    b"Budget Sender <s1@example.org>", b"a@b.example, c@d.example", b"J. Smith <j@x.org>",
    b"Foo   Bar <a@b.c>", b"=?UTF-8?B?w6k=?= <a@b.c>", "Grüße Sender <a@b.c>".encode(),
    b"<a@b.c>", b"Foo Bar <a@b.c>,", b'"Quoted, Name" <q@x.org>', b"x@y (comment)",
    b"Group: a@b.c, d@e.f;", b"undisclosed-recipients:;", b"plain", b"", b"Foo <>",
    b"a@b.c <c@d.e>", b"O'Brien <o@x.org>", b"a@b.c,,d@e.f", b", a@b.c", b".a@b.c",
    b"a@b..c", b"a..b@c.d", b". <a@b.c>", b"a@b.c, ",
])
def test_fast_address_path_matches_the_full_parser(value: bytes) -> None:
    full = b"".join(
        b"(" + (b"NIL" if name is None else mime.imap_string(for_humans(name))) + b" "
        + mime.imap_nstring(route) + b" " + mime.imap_nstring(box) + b" "
        + mime.imap_nstring(domain) + b")"
        for name, route, box, domain in parse_addresses(value))
    fast = mime._simple_addresses(value)
    assert fast is None or fast == full
    mime._ADDRESS_CACHE.clear()
    assert mime._addresses([value]) == (b"(" + full + b")" if full else b"NIL")


def test_field_value_keeps_what_dovecot_keeps() -> None:
    assert field_value(b" \tvalue  ") == b"value  "
    assert field_value(b" one\r\n  two\r") == b"one  two"
    assert field_value(b"\n <a@b>") == b" <a@b>"


def test_content_type_broken_is_none_and_lone_type_is_kept() -> None:
    assert content_type(b"text/plain garbage") is None
    assert content_type(b"text") == (b"text", b"", [])
    assert content_type(b'text/plain; charset="utf-8"') == (
        b"text", b"plain", [(b"charset", b"utf-8")])


def test_nested_close_delimiter_line_break_goes_to_the_message_part() -> None:
    # The inner multipart's closing line ends right where the outer delimiter
    # starts: Dovecot gives that line break to the message/rfc822 part.
    message = (b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=o\n\n"
               b"--o\nContent-Type: message/rfc822\n\nSubject: s\n"
               b"Content-Type: multipart/mixed; boundary=j\n\n--j\n\nb\n--j--\n--o--\n")
    root = mime.parse_message(message)
    inner = root.children[0]
    assert message[inner.body_start:inner.end].endswith(b"--j--\n")
    assert mime.section_bytes(message, root, [1], "").endswith(b"--j--\n")
