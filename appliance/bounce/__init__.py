"""Delivery status notifications (RFC 3464) for mail that failed or is late.

Builds the whole notice as bytes; deciding when to send one, and sending it
with the null sender ``<>``, is the queue manager's job.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from email import charset as email_charset
from email import policy
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, make_msgid
from string import Template
from typing import Literal

from appliance.resources import read_template

__all__ = [
    "RecipientStatus",
    "compose_dsn",
    "enhanced_code_from_reply",
    "original_headers",
    "should_bounce",
]


@dataclass
class RecipientStatus:
    address: str
    action: Literal["failed", "delayed", "delivered"]
    status: str  # enhanced status code, RFC 3463, e.g. "5.1.1"
    diagnostic: str  # "smtp; 550 5.1.1 <nobody@far.test>: user unknown"
    remote_mta: str | None = None
    last_attempt: datetime | None = None
    will_retry_until: datetime | None = None


def should_bounce(sender: str) -> bool:
    """False for the null sender: a notice about a notice would loop (RFC 5321 6.1)."""
    return sender.strip() not in ("", "<>")


_ENHANCED = re.compile(r"^\s*(?:\d{3}[ -])?\s*([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)")


def enhanced_code_from_reply(code: int, text: str) -> str:
    """The RFC 3463 code in an SMTP reply's text, or a default from its class.

    Only the start of the text counts, since later dotted numbers (IP
    addresses, versions) are not status codes. The class always follows the
    basic reply code, so a "550 4.1.1" reads as "5.1.1", as Postfix does.
    """
    klass = str(code)[:1] if 200 <= code < 600 else "4"
    match = _ENHANCED.match(text)
    if match and klass in "245":
        return f"{klass}.{match.group(2)}.{match.group(3)}"
    return f"{klass}.0.0"


def original_headers(message: bytes) -> bytes:
    """The header block of a raw message, without the separating blank line."""
    ends = [i for i in (message.find(b"\r\n\r\n"), message.find(b"\n\n")) if i >= 0]
    return message[: min(ends)] if ends else message


def _date(value: datetime) -> str:
    # Naive datetimes in the queue are UTC; RFC 5322 dates need a zone.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_datetime(value)


def _host_only(remote_mta: str) -> str:
    # Callers may pass Postfix-style "name[ip]"; Remote-MTA wants a name.
    return remote_mta.split("[", 1)[0] or remote_mta


def _diagnostic_field(diagnostic: str) -> str:
    # RFC 3464 wants "type; text"; text without a type is our own wording.
    if re.match(r"^[A-Za-z0-9-]+;", diagnostic):
        return diagnostic
    return f"X-Mailroom; {diagnostic}"


def _diagnostic_text(diagnostic: str) -> str:
    return re.sub(r"^[A-Za-z0-9-]+;\s*", "", diagnostic)


def _human_line(rcpt: RecipientStatus) -> str:
    reason = _diagnostic_text(rcpt.diagnostic) or f"status {rcpt.status}"
    if rcpt.remote_mta:
        line = f"<{rcpt.address}>: host {rcpt.remote_mta} said: {reason}"
    else:
        line = f"<{rcpt.address}>: {reason}"
    return textwrap.fill(line, width=72, subsequent_indent="    ", break_long_words=False)


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:.1f} hour" + ("" if round(hours, 1) == 1.0 else "s")


def _days(seconds: float) -> str:
    days = seconds / 86400
    return f"{days:.1f} day" + ("" if round(days, 1) == 1.0 else "s")


def human_text(
    *,
    reporting_mta: str,
    recipients: list[RecipientStatus],
    kind: Literal["failure", "delay"],
    arrival_date: datetime,
    postmaster: str,
    now: datetime,
) -> str:
    """The plain-text part, worded like Postfix's so admins recognise it.

    The wording lives in resources/templates/bounce-*.txt, so an office can
    read and reword it without touching code.
    """
    if kind == "failure":
        shown = [r for r in recipients if r.action == "failed"]
        fields = {}
        template = "bounce-failure.txt"
    else:
        shown = [r for r in recipients if r.action == "delayed"]
        arrival = _aware(arrival_date)
        retry_until = ""
        until = [r.will_retry_until for r in shown if r.will_retry_until is not None]
        if until:
            age = (_aware(max(_aware(u) for u in until)) - arrival).total_seconds()
            retry_until = f"It will be retried until it is {_days(age)} old.\n"
        fields = {
            "waited": _hours((_aware(now) - arrival).total_seconds()),
            "retry_until": retry_until,
        }
        template = "bounce-delay.txt"
    body = "\n".join(_human_line(rcpt) for rcpt in shown or recipients)
    return Template(read_template(template)).substitute(
        fields, reporting_mta=reporting_mta, postmaster=postmaster, recipients=body,
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _field_block(fields: list[tuple[str, str]]) -> Message:
    block = Message()
    for name, value in fields:
        block[name] = value
    return block


def delivery_status_blocks(
    *,
    reporting_mta: str,
    original_sender: str,
    recipients: list[RecipientStatus],
    arrival_date: datetime,
    queue_id: str,
) -> list[Message]:
    """The per-message block followed by one block per recipient (RFC 3464 2.2, 2.3)."""
    blocks = [
        _field_block(
            [
                ("Reporting-MTA", f"dns; {reporting_mta}"),
                ("X-Mailroom-Queue-ID", queue_id),
                ("X-Mailroom-Sender", f"rfc822; {original_sender}"),
                ("Arrival-Date", _date(arrival_date)),
            ]
        )
    ]
    for rcpt in recipients:
        fields = [
            ("Final-Recipient", f"rfc822; {rcpt.address}"),
            ("Action", rcpt.action),
            ("Status", rcpt.status),
        ]
        if rcpt.remote_mta:
            fields.append(("Remote-MTA", f"dns; {_host_only(rcpt.remote_mta)}"))
        if rcpt.diagnostic:
            fields.append(("Diagnostic-Code", _diagnostic_field(rcpt.diagnostic)))
        if rcpt.last_attempt is not None:
            fields.append(("Last-Attempt-Date", _date(rcpt.last_attempt)))
        if rcpt.action == "delayed" and rcpt.will_retry_until is not None:
            fields.append(("Will-Retry-Until", _date(rcpt.will_retry_until)))
        blocks.append(_field_block(fields))
    return blocks


def _headers_part(message: bytes) -> MIMENonMultipart:
    text = original_headers(message).replace(b"\r\n", b"\n").decode("utf-8", "replace")
    part = MIMENonMultipart("text", "rfc822-headers")
    if text.isascii():
        part.set_payload(text + "\n", charset="us-ascii")
    else:
        # Quoted-printable keeps mostly-ASCII headers readable, unlike base64.
        cs = email_charset.Charset("utf-8")
        cs.body_encoding = email_charset.QP
        part.set_payload(text + "\n", charset=cs)
    return part


def compose_dsn(
    *,
    reporting_mta: str,
    original_sender: str,
    original_message: bytes,
    recipients: list[RecipientStatus],
    kind: Literal["failure", "delay"],
    arrival_date: datetime,
    queue_id: str,
    postmaster: str,
    now: datetime | None = None,
) -> bytes:
    """A complete multipart/report DSN, CRLF line endings, ready to queue from <>."""
    now = now or datetime.now(UTC)
    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = formataddr(("Mail Delivery System", f"MAILER-DAEMON@{reporting_mta}"))
    report["To"] = original_sender
    report["Subject"] = (
        "Undelivered Mail Returned to Sender"
        if kind == "failure"
        else "Delayed Mail (still being retried)"
    )
    report["Date"] = _date(now)
    report["Message-ID"] = make_msgid(domain=reporting_mta)
    report["Auto-Submitted"] = "auto-replied"

    text = human_text(
        reporting_mta=reporting_mta,
        recipients=recipients,
        kind=kind,
        arrival_date=arrival_date,
        postmaster=postmaster,
        now=now,
    )
    notice = MIMEText(text, "plain", "us-ascii" if text.isascii() else "utf-8")
    notice["Content-Description"] = "Notification"

    status = MIMEBase("message", "delivery-status")
    status.set_payload(
        delivery_status_blocks(
            reporting_mta=reporting_mta,
            original_sender=original_sender,
            recipients=recipients,
            arrival_date=arrival_date,
            queue_id=queue_id,
        )
    )
    status["Content-Description"] = "Delivery report"

    headers = _headers_part(original_message)
    headers["Content-Description"] = (
        "Undelivered Message Headers" if kind == "failure" else "Delayed Message Headers"
    )

    for part in (notice, status, headers):
        del part["MIME-Version"]  # only the top level needs it
        report.attach(part)
    return report.as_bytes(policy=policy.SMTP)
