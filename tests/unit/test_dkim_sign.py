"""DKIM signing: the fast path gives dkimpy's own signatures, byte for byte."""

from __future__ import annotations

import calendar
import email.utils
import random
import re
import time
from collections.abc import Callable
from typing import Any

import dkim
import pytest

from appliance.dkim import Signer, from_domain, sign_message
from appliance.dkim.keys import DkimKey, KeyRing, txt_value
from appliance.dkim.sign import (
    SIGNED_HEADERS,
    _head,
    _layouts_for,
    _relaxed_body,
    _sign_general,
    to_crlf,
)

NOV = calendar.timegm((2026, 11, 29, 12, 0, 0))


@pytest.fixture(scope="module")
def keys() -> list[DkimKey]:
    return KeyRing().rotate(NOV, now=True).signing()


def bodies() -> list[bytes]:
    fixed = [b"", b"\r\n", b"hello\r\n", b"no final line end", b"a  b\t\tc \t\r\n\r\n\r\n",
             b" \r\n\t\r\n", b"x\r\n \r\n", b".\r\n..dots\r\n"]
    rng = random.Random(7)
    parts = [b"a", b" ", b"\t", b"\r\n", b"bc", b"  ", b".", b"\r\n\r\n"]
    return fixed + [b"".join(rng.choice(parts) for _ in range(rng.randrange(60)))
                    for _ in range(100)]


def test_relaxed_body_is_dkimpys() -> None:
    relaxed = dkim.canonicalization.Relaxed
    for body in bodies():
        assert _relaxed_body(body) == relaxed.canonicalize_body(body), body


def test_signatures_are_dkimpys_byte_for_byte(
    keys: list[DkimKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "time", lambda: NOV + 0.5)
    head = (b"From: Alice <alice@example.test>\r\nTo: bob@far.test\r\nTO: carol@far.test\r\n"
            b"Subject:  folded \t subject\r\n  over two lines \r\nX-Other: not signed\r\n")
    for body in bodies()[:30]:
        message = head + b"\r\n" + body
        reference = b"".join(
            dkim.DKIM(message, linesep=b"\r\n").sign(
                k.selector.encode(), b"example.test", k.private.encode(),
                signature_algorithm=k.signature_algorithm, canonicalize=(b"relaxed", b"relaxed"),
                include_headers=[h.encode() for h in SIGNED_HEADERS])
            for k in keys)
        assert sign_message(message, "example.test", keys) == reference + message


def test_signatures_verify(keys: list[DkimKey]) -> None:
    records = {f"{k.selector}._domainkey.example.test.".encode(): txt_value(k).encode()
               for k in keys}
    message = b"From: a@example.test\r\nSubject: x\r\n\r\nline \t two  spaces\r\n\r\n"
    signed = sign_message(message, "example.test", keys)
    verifier = dkim.DKIM(signed)
    for i in range(2):
        assert verifier.verify(idx=i, dnsfunc=lambda name, timeout=5: records.get(name))


@pytest.mark.parametrize(("head", "domain"), [
    (b"Subject: a\r\nFROM:\r\n  b@c.test (x)\r\n\r\n", "c.test"),
    (b"From: \"Doe,\r\n J\" <j@x.test>\r\n\r\n", "x.test"),  # folded inside the quotes
    (b"From: =?utf-8?q?x?= <\xc3\xa9@d.test>\r\n\r\n", "d.test"),
    (b"X: 1\nFrom: a@b.test\n\nFrom: c@d.test\n", "b.test"),  # the body's From: is no header
])
def test_from_domain_reads_only_the_from_fields(head: bytes, domain: str) -> None:
    assert from_domain(head) == domain


# ------------------------------------------------------------ odd messages
#
# sign_message takes a fast path for plain CRLF messages (one regex pass over
# the header block, the DKIM-Signature field filled into a template) and
# dkimpy's parser for the rest: both must give dkimpy's bytes.

def dkimpy_signed(message: bytes, domain: str, keys: list[DkimKey]) -> bytes:
    return b"".join(
        dkim.DKIM(message, linesep=b"\r\n").sign(
            k.selector.encode(), domain.encode(), k.private.encode(),
            signature_algorithm=k.signature_algorithm, canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[h.encode() for h in SIGNED_HEADERS])
        for k in keys) + message


def crlf(message: bytes) -> bytes:
    return re.sub(rb"\r\n|\n|\r(?!\n)", b"\r\n", message)


def outcome(sign: Callable[..., bytes], *args: Any) -> bytes | type:
    """What ``sign`` gives, or the type of what it raises (the delivery then
    sends the message unsigned)."""
    try:
        return sign(*args)
    except Exception as exc:
        return type(exc)


ODD = {
    "folded": (b"From: Alice\r\n <alice@example.test>\r\nSubject: one\r\n\ttwo\r\n  three\r\n"
               b"\r\nx\r\n"),
    "duplicates": (b"To: first@far.test\r\nFrom: a@example.test\r\nTo: second@far.test\r\n"
                   b"Subject: 1\r\nsubject: 2\r\nSUBJECT: 3\r\n\r\nbody\r\n"),
    "double spaces": b"From: a@example.test\r\nSubject: a  b   c\r\n\r\nx  y\r\n",
    "tabs and trailing spaces": (b"From:\ta@example.test \t\r\nSubject: \t a \t\t b  \r\n"
                                 b"To:b@far.test\r\nDate:   \r\n\r\nx\r\n"),
    "empty body": b"From: a@example.test\r\nSubject: e\r\n\r\n",
    "blank lines only": b"From: a@example.test\r\n\r\n\r\n\r\n",
    "no final CRLF": b"From: a@example.test\r\n\r\nlast line",
    "no body at all": b"From: a@example.test\r\nSubject: s\r\n",
    "no blank line, no CRLF": b"From: a@example.test\r\nSubject: s",
    "long lines": (b"From: a@example.test\r\nSubject: " + b"word " * 200 + b"\r\nReferences: "
                   + b"<x@y>" * 300 + b"\r\n\r\n" + b"z" * 3000 + b"\r\n"),
    "8-bit": b"From: \xc3\xa9 <a@example.test>\r\nSubject: caf\xc3\xa9 \xff\r\n\r\n\xe9t\xe9\r\n",
    "vertical tab and form feed": b"From: a@example.test\r\nSubject: \x0bx\x0c \r\n\r\n\x0b\r\n",
    "lone CR in a value": b"From: a@example.test\r\nSubject: a\rb\r\n\r\nx\ry\r\n",
    "mbox From line": (b"From a@example.test Mon Nov 30 04:20:00 2026\r\n"
                       b"From: a@example.test\r\n\r\nx\r\n"),
    "dkim of another domain": (b"DKIM-Signature: v=1; d=other.test; s=mr202611r; b=x\r\n"
                               b"From: a@example.test\r\n\r\nx\r\n"),
    "dkim of ours, a selector we no longer have": (
        b"DKIM-Signature: v=1; d=example.test; s=mr202001r; b=x\r\n"
        b"From: a@example.test\r\n\r\nx\r\n"),
    "received first": (b"Received: from x\r\n\tby y; Mon, 30 Nov 2026 04:20:00 +0000\r\n"
                       b"From: a@example.test\r\nMIME-Version: 1.0\r\n\r\nx\r\n"),
    "name with odd characters": b"X-A!b~c: 1\r\nFrom: a@example.test\r\n\r\nx\r\n",
}


@pytest.mark.parametrize("name", ODD)
def test_odd_messages_are_signed_as_dkimpy_signs_them(
    name: str, keys: list[DkimKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "time", lambda: NOV + 0.5)
    message = ODD[name]
    reference = dkimpy_signed(message, "example.test", keys)
    assert sign_message(message, "example.test", keys) == reference
    assert _sign_general(message, "example.test", keys) == reference  # dkimpy's parser
    # The Signer sends (and signs) CRLF line ends: a lone CR ends a line.
    assert outcome(Signer(lambda d: keys), message) == outcome(
        dkimpy_signed, crlf(message), "example.test", keys)


@pytest.mark.parametrize("ending", [b"\n", b"\r"])
def test_bare_line_ends_are_signed_as_sent(
    ending: bytes, keys: list[DkimKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "time", lambda: NOV + 0.5)
    for message in ODD.values():
        message = message.replace(b"\r\n", ending)
        if from_domain(message) == "example.test":
            assert outcome(Signer(lambda d: keys), message) == outcome(
                dkimpy_signed, crlf(message), "example.test", keys)


def test_duplicates_sign_the_bottom_most(keys: list[DkimKey]) -> None:
    signed = sign_message(ODD["duplicates"], "example.test", keys)
    records = {f"{k.selector}._domainkey.example.test.".encode(): txt_value(k).encode()
               for k in keys}
    # RFC 6376 5.4.2: one h= entry of a name signs its last instance, so a
    # Subject: added below would break the signature and one added above not.
    below = signed.replace(b"SUBJECT: 3\r\n", b"SUBJECT: 3\r\nSubject: 4\r\n")
    above = signed.replace(b"Subject: 1\r\n", b"Subject: 0\r\nSubject: 1\r\n")
    for message, good in ((signed, True), (below, False), (above, True)):
        for i in range(2):
            verified = dkim.DKIM(message).verify(
                idx=i, dnsfunc=lambda name, timeout=5: records.get(name))
            assert verified is good


def test_our_own_signature_is_not_repeated(keys: list[DkimKey]) -> None:
    once = sign_message(ODD["folded"], "example.test", keys)
    assert sign_message(once, "example.test", keys) == once
    assert Signer(lambda d: keys)(once) == once
    # Folded and upper case, it is still ours.
    refolded = once.replace(b"d=example.test;", b"d=EXAMPLE.test;\r\n ", 1)
    assert sign_message(refolded, "example.test", keys) == refolded


@pytest.mark.parametrize("length", [1, 40, 56, 57, 58, 70, 71, 72, 120, 250])
def test_long_domains_fold_as_dkimpy_folds(
    length: int, keys: list[DkimKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Past the first line's 58 columns, d= and i= break inside the name.
    monkeypatch.setattr(time, "time", lambda: NOV + 0.5)
    domain = "d" * length + ".test"
    message = f"From: a@{domain}\r\nSubject: s\r\n\r\nx\r\n".encode()
    assert sign_message(message, domain, keys) == dkimpy_signed(message, domain, keys)


@pytest.mark.parametrize(("head", "domain"), [
    (b"From: (comment) a@b.test (more)\r\n\r\n", "b.test"),
    (b"From: =?utf-8?b?w6k=?= <x@Enc.Test.>\r\n\r\n", "enc.test"),
    (b"From: \"Doe, J\" <j@x.test>\r\n\r\n", "x.test"),
    (b"From: no address\r\n\r\n", None),
    (b"From: <>\r\n\r\n", None),
    (b"Subject: no from\r\n\r\nFrom: a@b.test\r\n", None),
    (b"From: a@b.test\r\nFrom: c@d.test\r\n\r\n", "b.test"),
])
def test_from_domain_forms(head: bytes, domain: str | None) -> None:
    assert from_domain(head) == domain
    assert from_domain(head.replace(b"\r\n", b"\n")) == domain


@pytest.mark.parametrize(("head", "values"), [
    (b"From: group: a@g.test, b@h.test;\r\n\r\n", [" group: a@g.test, b@h.test;"]),
    (b"From: undisclosed:;, c@i.test\r\n\r\n", [" undisclosed:;, c@i.test"]),
    (b"From: no address\r\nfrom:\r\n c@d.test\r\n\r\n", [" no address", " c@d.test"]),
])
def test_from_domain_reads_as_the_stdlib(head: bytes, values: list[str]) -> None:
    # Newer Pythons' getaddresses is strict about groups and extra fields:
    # whatever it says, from_domain says too.
    addresses = [a for _n, a in email.utils.getaddresses(values) if "@" in a]
    expected = addresses[0].rpartition("@")[2] if addresses else None
    for _ in range(2):  # the second time from what it remembers
        assert from_domain(head) == expected


def test_no_from_means_unsigned(keys: list[DkimKey]) -> None:
    message = b"Subject: no from\r\n\r\nFrom: a@example.test\r\n"
    assert Signer(lambda d: keys)(message) == message


def test_line_end_helpers_match_their_regexes() -> None:
    rng = random.Random(11)
    for _ in range(3000):
        text = bytes(rng.choice(b"\r\na:") for _ in range(rng.randrange(12)))
        assert to_crlf(text) == crlf(text), text
        end = re.search(rb"\r?\n\r?\n", text)
        assert _head(text) == (text[: end.start() + 1] if end else text), text


def test_signature_fields_come_from_templates(keys: list[DkimKey]) -> None:
    # A template dkimpy's folding would treat differently from the values is
    # dropped (and each message signed the slow way): not so for ours.
    sign_message(ODD["folded"], "example.test", keys)
    for key in keys:
        layouts = _layouts_for(b"example.test", key, 10)
        assert layouts is not None and layouts.hashed is not None
        assert layouts.headers and None not in layouts.headers.values()
