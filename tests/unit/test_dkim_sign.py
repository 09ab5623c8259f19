"""DKIM signing: the fast path gives dkimpy's own signatures, byte for byte."""

from __future__ import annotations

import calendar
import random
import time

import dkim
import pytest

from appliance.dkim import from_domain, sign_message
from appliance.dkim.keys import DkimKey, KeyRing, txt_value
from appliance.dkim.sign import SIGNED_HEADERS, _relaxed_body

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
