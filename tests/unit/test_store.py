"""The mail store: folder names, MIME parsing for the index, and the Maildir index."""

from __future__ import annotations

import os

import pytest

from appliance.store import Mailstore
from appliance.store.account import index_entry
from appliance.store.mime import parse_message, section_bytes, to_crlf
from appliance.store.names import (
    BadFolderName,
    decode_mutf7,
    encode_mutf7,
    folder_dirname,
    normalize_folder,
)

ALICE = "alice@example.test"

MULTI = (
    b"From: =?utf-8?q?J=C3=B6rg?= <jorg@example.org>\n"
    b"To: a@example.test, \"B, Bee\" <b@example.test>\n"
    b"Subject: =?utf-8?b?R3LDvMOfZQ==?=\n"
    b"Date: Tue, 24 Nov 2026 10:00:00 +0100\n"
    b"Message-ID: <m1@example.org>\n"
    b"Content-Type: multipart/mixed; boundary=\"outer\"\n\n"
    b"preamble\n--outer\nContent-Type: text/plain; charset=utf-8\n\nhello \xc3\xa9\n"
    b"--outer\nContent-Type: multipart/alternative; boundary=inner\n\n"
    b"--inner\nContent-Type: text/plain\n\nalt text\n--inner\nContent-Type: text/html\n\n"
    b"<p>alt</p>\n--inner--\n"
    b"--outer\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n"
    b"Subject: inner\nFrom: x@y.z\n\ninner body\n"
    b"--outer--\nepilogue\n"
)


# -- names -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["INBOX", "Entwürfe", "日本語", "a&b", "Work/Projekt ä", "~x&"])
def test_mutf7_round_trip(name: str) -> None:
    assert decode_mutf7(encode_mutf7(name)) == name
    assert encode_mutf7(name).isascii()


def test_mutf7_known_values() -> None:
    assert encode_mutf7("Entwürfe") == "Entw&APw-rfe"
    assert encode_mutf7("a&b") == "a&-b"
    assert decode_mutf7("&ZeVnLIqe-") == "日本語"
    with pytest.raises(BadFolderName):
        decode_mutf7("&ZeVn")


@pytest.mark.parametrize("bad", ["", "..", "../x", "/abs", "a//b", "a/", "a.b", "a\\b",
                                 "x*", "x%", "a\x01", "~root", "a/" * 20 + "a"])
def test_bad_folder_names_refused(bad: str) -> None:
    with pytest.raises(BadFolderName):
        normalize_folder(bad)


def test_folder_dirnames() -> None:
    assert normalize_folder("inbox") == "INBOX"
    assert folder_dirname("INBOX") == ""
    assert folder_dirname("Work/Projekt") == ".Work.Projekt"
    assert folder_dirname("Entwürfe") == ".Entw&APw-rfe"


# -- MIME ----------------------------------------------------------------------


def test_envelope_and_structure() -> None:
    e = index_entry(MULTI)
    assert e.envelope.startswith(b'("Tue, 24 Nov 2026 10:00:00 +0100" "=?utf-8?b?R3LDvMOfZQ==?="')
    assert b'("B, Bee" NIL "b" "example.test")' in e.envelope
    assert b'"<m1@example.org>")' in e.envelope
    s = e.structure
    # Lines count line breaks: "hello \xc3\xa9" has none before the delimiter (Dovecot's 0).
    assert s.startswith(b'(("TEXT" "PLAIN" ("charset" "utf-8") NIL NIL "7BIT" 8 0')
    assert b'"ALTERNATIVE"' in s and b'"MIXED" ("boundary" "outer")' in s
    assert b'("MESSAGE" "RFC822" NIL NIL NIL "7BIT"' in s
    assert b'("attachment" NIL)' in s
    assert "subject: grüsse" in e.search  # decoded and case-folded
    assert e.vsize == len(to_crlf(MULTI))


def test_sections() -> None:
    root = parse_message(MULTI)
    assert section_bytes(MULTI, root, [1], "") == b"hello \xc3\xa9"
    assert section_bytes(MULTI, root, [2, 1], "") == b"alt text"
    assert section_bytes(MULTI, root, [2, 2], "MIME") == b"Content-Type: text/html\n\n"
    assert section_bytes(MULTI, root, [3], "HEADER") == b"Subject: inner\nFrom: x@y.z\n\n"
    assert section_bytes(MULTI, root, [3], "TEXT") == b"inner body"
    assert section_bytes(MULTI, root, [3, 1], "") == b"inner body"
    assert section_bytes(MULTI, root, [], "HEADER.FIELDS", [b"subject"]) == (
        b"Subject: =?utf-8?b?R3LDvMOfZQ==?=\n\n"
    )
    assert section_bytes(MULTI, root, [9], "") is None
    single = b"Subject: s\n\nbody\n"
    assert section_bytes(single, parse_message(single), [1], "") == b"body\n"


def test_parser_tolerates_garbage() -> None:
    for data in (b"", b"\n", b"no header at all", b"Content-Type: multipart/mixed\n\nx",
                 b"Content-Type: multipart/mixed; boundary=b\n\n--b\n" * 1000):
        e = index_entry(data)
        assert e.structure.startswith(b"(")


# -- store -------------------------------------------------------------------------


def test_flags_keywords_and_file_names(store: Mailstore) -> None:
    store.deliver(ALICE, b"Subject: x\n\nx\n", return_path="s@x")
    acct = store.account(ALICE)
    acct.open("INBOX", claim_recent=True)
    assert acct.store_flags("INBOX", [1], "+", ["\\Seen", "\\Flagged", "$Label1"]) == {
        1: "$Label1 \\Flagged \\Seen"
    }
    (name,) = os.listdir(acct.path / "cur")
    assert name.endswith(":2,FSa")
    assert (acct.path / "dovecot-keywords").read_text() == "0 $Label1\n"
    acct.store_flags("INBOX", [1], "-", ["\\Flagged"])
    assert os.listdir(acct.path / "cur")[0].endswith(":2,Sa")
    # A fresh process (new Mailstore) sees the same UIDs and flags.
    again = Mailstore(store.root, "host.test").account(ALICE).open("INBOX")
    assert again.flags == {1: "$Label1 \\Seen"}


def test_encoded_words_decoded_for_search() -> None:
    from appliance.store.account import header_entry

    _, search, env = header_entry(
        b"Subject: =?UTF-8?B?R3LDvMOfZQ==?= =?utf-8?q?_und_Caf=C3=A9?= x\n"
        b"From: =?bogus?q?x?= <a@b.c>\nTo: b@c.d\n")
    assert "subject: grüsse und café x" in search
    assert "from: =?bogus?q?x?= <a@b.c>" in search
    assert env.startswith(b'(NIL "=?UTF-8?B?R3LDvMOfZQ==?= =?utf-8?q?_und_Caf=C3=A9?= x" '
                          b'(("=?bogus?q?x?=" NIL "a" "b.c"))')
