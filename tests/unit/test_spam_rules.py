"""The built-in spam rules, blocked attachment names and the Junk training rule (pure logic)."""

from __future__ import annotations

import base64

import pytest

from appliance.spam.rules import (
    GTUBE,
    auth_hits,
    decide,
    dnsbl_answer,
    dnsbl_name,
    gtube_hits,
    helo_hits,
    parse_dnsbl,
    rdns_hits,
    spam_headers,
    strip_spam_headers,
    total,
)
from appliance.spam.training import lesson
from appliance.virus import EICAR, blocked_attachment, extension_of


def ours(name: str) -> bool:
    return name in ("mail.example.test", "example.test")


def names(hits: list) -> list[str]:
    return [h.name for h in hits]


@pytest.mark.parametrize(("helo", "ip", "expected"), [
    ("mx.far.test", "192.0.2.1", []),
    ("desktop", "192.0.2.1", ["HELO_NOT_FQDN"]),
    ("", "192.0.2.1", ["HELO_NOT_FQDN"]),
    ("192.0.2.1", "192.0.2.1", ["HELO_BARE_IP"]),
    ("[192.0.2.1]", "192.0.2.1", []),
    ("[192.0.2.9]", "192.0.2.1", ["HELO_IP_MISMATCH"]),
    ("[IPv6:2001:db8::1]", "2001:db8::1", []),
    ("[IPv6:2001:db8::2]", "2001:db8::1", ["HELO_IP_MISMATCH"]),
    ("[192.0.2.1]", "::ffff:192.0.2.1", []),
    ("[not-an-ip]", "192.0.2.1", ["HELO_NOT_FQDN"]),
    ("MAIL.example.test.", "192.0.2.1", ["HELO_OURS"]),
    ("example.test", "192.0.2.1", ["HELO_OURS"]),
])
def test_helo_checks(helo: str, ip: str, expected: list[str]) -> None:
    assert names(helo_hits(helo, ip, ours)) == expected


def test_authentication_results_add_and_take_points() -> None:
    assert auth_hits(None) == []
    failed = {"spf": "fail", "dkim": [["fail", "far.test"]], "dmarc": "fail",
              "action": "junk", "reason": "DMARC p=quarantine"}
    assert names(auth_hits(failed)) == ["SPF_FAIL", "DKIM_FAIL", "DMARC_FAIL", "AUTHCHECK_JUNK"]
    # One good signature among bad ones is not a DKIM failure; DMARC pass lowers the score.
    good = {"spf": "softfail", "dkim": [["fail", "x.test"], ["pass", "far.test"]],
            "dmarc": "pass", "action": "accept"}
    hits = auth_hits(good)
    assert names(hits) == ["SPF_SOFTFAIL", "DMARC_PASS"]
    assert total(hits) == 0.5


def test_reverse_dns_verdicts() -> None:
    assert rdns_hits(None, False) == []  # DNS failed: no verdict, no points
    assert names(rdns_hits([], False)) == ["RDNS_NONE"]
    assert names(rdns_hits(["host.far.test"], False)) == ["RDNS_MISMATCH"]
    assert rdns_hits(["host.far.test"], True) == []


def test_gtube_is_spam_but_under_the_default_reject_score() -> None:
    hits = gtube_hits(b"Subject: x\r\n\r\n" + GTUBE + b"\r\n")
    assert names(hits) == ["GTUBE"]
    assert decide(total(hits), 5, 15) == "junk"
    assert gtube_hits(b"Subject: x\r\n\r\nhello\r\n") == []


def test_decide_thresholds() -> None:
    assert decide(4.9, 5, 15) == "accept"
    assert decide(5, 5, 15) == "junk"
    assert decide(15, 5, 15) == "reject"
    # A reject score under the junk score never rejects what is not even junk.
    assert decide(4, 5, 3) == "accept"
    assert decide(5, 5, 3) == "reject"


def test_blocklist_names_and_answers() -> None:
    assert dnsbl_name("192.0.2.1", "zen.spamhaus.org") == "1.2.0.192.zen.spamhaus.org"
    assert dnsbl_name("::ffff:192.0.2.1", "bl.test") == "1.2.0.192.bl.test"
    v6 = dnsbl_name("2001:db8::1", "bl.test")
    assert v6 is not None and v6.startswith("1.0.0.0.") and v6.endswith(".8.b.d.0.1.0.0.2.bl.test")
    assert dnsbl_name("not an ip", "bl.test") is None
    assert dnsbl_answer(["127.0.0.2"]).listed
    assert not dnsbl_answer([]).listed
    refused = dnsbl_answer(["127.255.255.254"])
    assert not refused.listed and "public" in refused.refused
    assert not dnsbl_answer(["192.0.2.7"]).listed  # a resolver's "helpful" NXDOMAIN page
    assert parse_dnsbl(["zen.spamhaus.org", "bl.test=3"]) == [("zen.spamhaus.org", 5),
                                                                ("bl.test", 3)]


def test_incoming_spam_fields_are_stripped_with_their_continuations() -> None:
    head = (b"Received: from a\r\nX-Spam-Flag: NO\r\nSubject: hi\r\nx-spam-status: No,\r\n"
            b"\tscore=-100\r\nX-Spamish: keep\r\nFrom: a@b.test\r\n")
    assert strip_spam_headers(head) == (b"Received: from a\r\nSubject: hi\r\nX-Spamish: keep\r\n"
                                        b"From: a@b.test\r\n")
    assert strip_spam_headers(b"Subject: x\r\n") == b"Subject: x\r\n"


def test_spam_headers() -> None:
    hits = gtube_hits(GTUBE)
    text = spam_headers(total(hits), True, hits, 5).decode()
    assert text == ("X-Spam-Flag: YES\r\nX-Spam-Score: 10.0\r\n"
                    "X-Spam-Status: Yes, score=10.0 required=5 tests=GTUBE\r\n")
    assert "X-Spam-Flag" not in spam_headers(0.0, False, [], 5).decode()


def _mail(disposition: str, content_type: str = "application/octet-stream") -> bytes:
    return (b"From: a@far.test\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
            b"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
            + f"Content-Type: {content_type}\r\n".encode()
            + (f"Content-Disposition: {disposition}\r\n".encode() if disposition else b"")
            + b"Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(b"MZ...") + b"--b--\r\n")


EXTS = ["exe", "js", "scr"]


@pytest.mark.parametrize(("disposition", "content_type", "found"), [
    ('attachment; filename="invoice.exe"', "application/octet-stream", "invoice.exe"),
    ('attachment; filename="invoice.pdf.EXE. "', "application/octet-stream", "invoice.pdf.EXE."),
    # RFC 2231: an encoded name, and one split into sections.
    ("attachment; filename*=UTF-8''Rechnung%20M%C3%A4rz.exe", "application/octet-stream",
     "Rechnung März.exe"),
    ("attachment; filename*0*=UTF-8''Rech; filename*1=\"nung.s\"; filename*2=\"cr\"",
     "application/octet-stream", "Rechnung.scr"),
    # RFC 2047 encoded word, and a name only on Content-Type.
    ('attachment; filename="=?UTF-8?B?c2NyaXB0Lmpz?="', "application/octet-stream", "script.js"),
    ("", 'application/octet-stream; name="run.js"', "run.js"),
])
def test_blocked_attachment_names(disposition: str, content_type: str, found: str) -> None:
    blocked = blocked_attachment(_mail(disposition, content_type), EXTS)
    assert blocked is not None and blocked.filename == found


def test_allowed_attachments_and_no_list() -> None:
    assert blocked_attachment(_mail('attachment; filename="report.pdf"'), EXTS) is None
    assert blocked_attachment(_mail('attachment; filename="exe"'), EXTS) is None
    assert blocked_attachment(_mail('attachment; filename="invoice.exe"'), []) is None
    assert blocked_attachment(b"Subject: plain\r\n\r\n" + EICAR, EXTS) is None
    assert extension_of("C:\\temp\\a.b.Exe") == "exe"
    assert extension_of(".bashrc") == ""


@pytest.mark.parametrize(("source", "target", "expected"), [
    ("INBOX", "Junk", "spam"),
    (None, "Junk", "spam"),  # APPEND
    ("Junk", "INBOX", "ham"),
    ("Junk", "Archive", "ham"),
    ("Junk", "Trash", None),  # deleting says nothing about the message
    ("Junk", "Junk", None),
    ("INBOX", "Archive", None),
    (None, "Sent", None),
])
def test_junk_training_lessons(source: str | None, target: str, expected: str | None) -> None:
    assert lesson(source, target) == expected
