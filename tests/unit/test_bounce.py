"""RFC 3464 delivery status notifications, read back with the email package."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage, Message

import pytest

from appliance.bounce import (
    RecipientStatus,
    compose_dsn,
    enhanced_code_from_reply,
    original_headers,
    should_bounce,
)

NOW = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
ARRIVAL = NOW - timedelta(hours=5)
ORIGINAL = (
    b"From: Alice <alice@example.test>\r\n"
    b"To: nobody@far.test, bob@far.test\r\n"
    b"Subject: quarterly figures\r\n"
    b"Message-ID: <orig-1@example.test>\r\n"
    b"\r\n"
    b"The body is not returned.\r\n"
)


def failed(address: str = "nobody@far.test") -> RecipientStatus:
    return RecipientStatus(
        address=address,
        action="failed",
        status="5.1.1",
        diagnostic=f"smtp; 550 5.1.1 <{address}>: Recipient address rejected: User unknown",
        remote_mta="mx2.far.test",
        last_attempt=NOW,
        will_retry_until=None,
    )


def delayed(address: str = "bob@far.test") -> RecipientStatus:
    return RecipientStatus(
        address=address,
        action="delayed",
        status="4.4.1",
        diagnostic="connect to mx1.far.test[127.0.0.3]:25: Connection refused",
        remote_mta=None,
        last_attempt=NOW,
        will_retry_until=ARRIVAL + timedelta(days=5),
    )


def dsn(kind: str = "failure", recipients: list[RecipientStatus] | None = None) -> bytes:
    return compose_dsn(
        reporting_mta="mail.example.test",
        original_sender="alice@example.test",
        original_message=ORIGINAL,
        recipients=recipients if recipients is not None else [failed()],
        kind="failure" if kind == "failure" else "delay",
        arrival_date=ARRIVAL,
        queue_id="4F2A9C01",
        postmaster="postmaster@example.test",
        now=NOW,
    )


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def text_of(msg: EmailMessage) -> str:
    # The DSN is in wire format (CRLF); compare text with plain newlines.
    return str(parts(msg)[0].get_payload(decode=True).decode()).replace("\r\n", "\n")


def parts(msg: EmailMessage) -> list[Message]:
    payload = msg.get_payload()
    assert isinstance(payload, list)
    return payload


def status_blocks(msg: EmailMessage) -> list[Message]:
    blocks = parts(msg)[1].get_payload()
    assert isinstance(blocks, list)
    return blocks


def test_failure_dsn_structure() -> None:
    raw = dsn()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # wire format
    msg = parse(raw)
    assert msg.get_content_type() == "multipart/report"
    assert msg.get_param("report-type") == "delivery-status"
    assert [p.get_content_type() for p in parts(msg)] == [
        "text/plain",
        "message/delivery-status",
        "text/rfc822-headers",
    ]
    assert msg["From"] == "Mail Delivery System <MAILER-DAEMON@mail.example.test>"
    assert msg["To"] == "alice@example.test"
    assert msg["Subject"] == "Undelivered Mail Returned to Sender"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["Message-ID"].endswith("@mail.example.test>")
    assert msg["Date"].datetime == NOW
    assert msg["MIME-Version"] == "1.0"


def test_failure_dsn_delivery_status_fields() -> None:
    per_message, per_rcpt = status_blocks(parse(dsn()))
    assert per_message["Reporting-MTA"] == "dns; mail.example.test"
    assert per_message["X-Mailroom-Queue-ID"] == "4F2A9C01"
    assert email.utils.parsedate_to_datetime(per_message["Arrival-Date"]) == ARRIVAL
    assert per_rcpt["Final-Recipient"] == "rfc822; nobody@far.test"
    assert per_rcpt["Action"] == "failed"
    assert per_rcpt["Status"] == "5.1.1"
    assert per_rcpt["Remote-MTA"] == "dns; mx2.far.test"
    diagnostic = " ".join(per_rcpt["Diagnostic-Code"].split())  # unfold
    assert diagnostic == (
        "smtp; 550 5.1.1 <nobody@far.test>: Recipient address rejected: User unknown"
    )
    assert email.utils.parsedate_to_datetime(per_rcpt["Last-Attempt-Date"]) == NOW
    assert per_rcpt["Will-Retry-Until"] is None


def test_failure_dsn_human_text_names_recipient_and_reply() -> None:
    text = text_of(parse(dsn()))
    assert text.startswith("This is the mail system at host mail.example.test.")
    assert "could not\nbe delivered to one or more recipients" in text
    assert "postmaster@example.test" in text
    flat = " ".join(text.split())
    assert (
        "<nobody@far.test>: host mx2.far.test said: 550 5.1.1 <nobody@far.test>: "
        "Recipient address rejected: User unknown"
    ) in flat


def test_original_headers_attached_without_body() -> None:
    headers = parts(parse(dsn()))[2]
    text = headers.get_payload(decode=True).decode()
    assert "Subject: quarterly figures" in text
    assert "Message-ID: <orig-1@example.test>" in text
    assert "The body is not returned." not in text


def test_delay_warning_dsn() -> None:
    msg = parse(dsn("delay", [delayed()]))
    assert msg["Subject"] == "Delayed Mail (still being retried)"
    text = text_of(msg)
    assert "THIS IS A WARNING ONLY" in text
    assert "could not be delivered for 5.0 hours" in text
    assert "retried until it is 5.0 days old" in text
    assert "<bob@far.test>: connect to mx1.far.test[127.0.0.3]:25: Connection refused" in " ".join(
        text.split()
    )
    _, rcpt = status_blocks(msg)
    assert rcpt["Action"] == "delayed"
    assert rcpt["Status"] == "4.4.1"
    assert rcpt["Remote-MTA"] is None
    # Our own wording gets a non-SMTP diagnostic type, as RFC 3464 2.3.6 requires a type.
    assert rcpt["Diagnostic-Code"].strip().startswith("X-Mailroom; connect to")
    until = email.utils.parsedate_to_datetime(rcpt["Will-Retry-Until"])
    assert until == ARRIVAL + timedelta(days=5)


def test_several_recipients_one_block_each() -> None:
    blocks = status_blocks(parse(dsn(recipients=[failed("a@far.test"), failed("b@far.test")])))
    assert [b["Final-Recipient"] for b in blocks[1:]] == [
        "rfc822; a@far.test",
        "rfc822; b@far.test",
    ]


def test_non_ascii_original_headers_survive() -> None:
    original = "Subject: caf\u00e9 \u00fcber alles\r\nFrom: a@example.test\r\n\r\nx".encode()
    raw = compose_dsn(
        reporting_mta="mail.example.test",
        original_sender="alice@example.test",
        original_message=original,
        recipients=[failed()],
        kind="failure",
        arrival_date=ARRIVAL.replace(tzinfo=None),  # naive means UTC
        queue_id="Q1",
        postmaster="postmaster@example.test",
    )
    assert raw.isascii()  # safe to relay to servers without 8BITMIME
    headers = parts(parse(raw))[2]
    assert "caf\u00e9 \u00fcber alles" in headers.get_payload(decode=True).decode()


def test_original_headers_split() -> None:
    assert original_headers(b"A: 1\nB: 2\n\nbody\n\nmore") == b"A: 1\nB: 2"
    assert original_headers(b"A: 1\r\n\r\nbody") == b"A: 1"
    assert original_headers(b"A: 1\r\n") == b"A: 1\r\n"


@pytest.mark.parametrize(
    ("sender", "expected"),
    [("", False), ("<>", False), ("  ", False), (" <> ", False), ("alice@example.test", True)],
)
def test_never_bounce_to_null_sender(sender: str, expected: bool) -> None:
    assert should_bounce(sender) is expected


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        (550, "5.1.1 <nobody@far.test>: user unknown", "5.1.1"),
        (550, "550 5.1.1 user unknown", "5.1.1"),
        (552, "5.2.2 mailbox full", "5.2.2"),
        (451, "4.7.1 greylisted, try again", "4.7.1"),
        (550, "user unknown", "5.0.0"),
        (421, "too busy", "4.0.0"),
        (550, "4.1.1 wrong class", "5.1.1"),  # the reply code's class wins
        (554, "rejected by 10.5.1.1", "5.0.0"),  # an address is not a status code
        (550, "5.1.10 null MX", "5.1.10"),
        (250, "2.0.0 Ok: queued", "2.0.0"),
        (250, "Ok", "2.0.0"),
    ],
)
def test_enhanced_code_from_reply(code: int, text: str, expected: str) -> None:
    assert enhanced_code_from_reply(code, text) == expected
