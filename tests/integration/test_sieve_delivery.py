"""Sieve filters and out-of-office replies through the real daemon (issue 12).

One daemon for the module; outside mail goes to a real SMTP sink found
through the loopback DNS server, as in test_mail_out.
"""

from __future__ import annotations

import email
import smtplib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.control.client import ControlClient
from appliance.control.setup import initialize
from appliance.home import Home
from tests.support.daemon import Mailroom
from tests.support.dnsserver import DnsServer
from tests.support.sink import Received, SinkHandler, port_free_on, sink
from tests.support.waiting import wait

ZONE = {
    "far.test": {"MX": [(10, "mx.far.test")]},
    "mx.far.test": {"A": ["127.0.0.4"]},
}
PROCMAILRC = Path(__file__).resolve().parents[1] / "data" / "sendmail" / "procmailrc"
BOB_SCRIPT = """require ["fileinto"];
if header :contains "subject" "invoice" { fileinto "Finance"; stop; }
"""


@pytest.fixture(scope="module")
def far() -> Iterator[tuple[SinkHandler, int]]:
    port = port_free_on(["127.0.0.4"])
    with sink("127.0.0.4", port, SinkHandler()) as handler:
        yield handler, port


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory,
        far: tuple[SinkHandler, int]) -> Iterator[Mailroom]:
    dns = DnsServer(ZONE).start_thread()
    m = Mailroom(tmp_path_factory.mktemp("sieve") / "home")
    # Set-up in-process, through the same control API the CLI calls (each CLI run
    # costs a second of start-up).
    initialize(Home(m.home), "mail.example.test", "example.test")
    client = ControlClient(Home(m.home))
    try:
        client.call("account.add", address="alice@example.test", password="pw-alice-1")
        client.call("account.add", address="bob@example.test", password="pw-bob-1")
        for key, value in (("dns.nameservers", dns.nameserver),
                           ("delivery.remote_port", str(far[1])),
                           ("delivery.connect_timeout", "2"), ("spam.dnsbl", "")):
            client.call("settings.set", key=key, value=value)
        client.call("account.add", address="carol@example.test", password="pw-carol-1")
    finally:
        client.close()
    # As in the acceptance contract: the filter and the procmail import with no daemon.
    script = m.home / "bob.sieve"
    script.write_text(BOB_SCRIPT)
    m.cli("filter", "set", "bob@example.test", str(script))
    imported = m.cli("filter", "import-procmail", "bob@example.test", str(PROCMAILRC))
    assert 'redirect "accounting@example.test"' in imported.stdout
    m.start()
    try:
        yield m
    finally:
        m.stop()
        dns.stop()


def send(m: Mailroom, to: str, subject: str, *, sender: str = "x@far.test",
         extra: str = "", body: str = "hello\n") -> None:
    message = (f"From: {sender or 'MAILER-DAEMON@far.test'}\r\nTo: {to}\r\n"
               f"Subject: {subject}\r\nMessage-ID: <{abs(hash(subject + to))}@far.test>\r\n"
               f"{extra}\r\n{body}")
    with smtplib.SMTP("127.0.0.1", m.port("smtp"), timeout=10) as smtp:
        smtp.sendmail(sender, [to], message.encode())


def files(m: Mailroom, address: str, folder: str, sub: str = "new") -> list[Path]:
    local, _, domain = address.partition("@")
    d = m.home / "mail" / domain / local / (f".{folder}" if folder != "INBOX" else "") / sub
    return sorted(d.iterdir()) if d.is_dir() else []


def replies_to(far: SinkHandler, address: str) -> list[Received]:
    return [r for r in far.received if address in r.recipients]


def test_invoice_goes_to_finance_before_the_imported_rules(box: Mailroom) -> None:
    send(box, "bob@example.test", "Invoice 42")
    wait(lambda: files(box, "bob@example.test", "Finance"), what="mail in .Finance/new")
    assert b"Subject: Invoice 42" in files(box, "bob@example.test", "Finance")[0].read_bytes()
    # The imported recipe filed "SPAM" subjects; the user's rules ran first and let it pass.
    send(box, "bob@example.test", "cheap SPAM here")
    wait(lambda: files(box, "bob@example.test", "spam-mail"), what="mail in .spam-mail")
    subs = (box.home / "mail/example.test/bob/subscriptions").read_text()
    assert "Finance" in subs and "spam-mail" in subs


def test_a_script_that_does_not_parse_is_refused_with_its_line(box: Mailroom,
                                                               tmp_path: Path) -> None:
    bad = tmp_path / "bad.sieve"
    bad.write_text('require "fileinto";\nif header :is "subject" "x" {\n  fileinto "A"\n}\n')
    result = box.cli("filter", "set", "carol@example.test", str(bad), check=False)
    assert result.returncode == 1 and "line 4" in result.stderr
    check = box.cli("filter", "check", str(bad), check=False)
    assert check.returncode == 1 and f"{bad}:4:" in check.stderr
    assert box.cli("filter", "show", "carol@example.test").stdout == ""


def test_vacation_replies_once_from_the_null_sender(box: Mailroom,
                                                   far: tuple[SinkHandler, int],
                                                   tmp_path: Path) -> None:
    sink_handler = far[0]
    text = tmp_path / "away.txt"
    text.write_text("away until Monday\n")
    box.cli("vacation", "on", "carol@example.test", "--text-file", str(text))
    assert "on," in box.cli("vacation", "show", "carol@example.test").stdout
    send(box, "carol@example.test", "Lunch?", sender="x@far.test")
    wait(lambda: replies_to(sink_handler, "x@far.test"), what="the vacation reply")
    reply = replies_to(sink_handler, "x@far.test")[0]
    assert reply.sender in ("", "<>")  # MAIL FROM:<>
    parsed = email.message_from_bytes(reply.content)
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert parsed["Subject"] == "Auto: Lunch?"
    assert parsed["In-Reply-To"] and parsed["In-Reply-To"] in parsed["References"]
    assert "away until Monday" in parsed.get_payload(decode=True).decode()
    # Within :days, a second mail from the same sender gets no second reply.
    send(box, "carol@example.test", "Lunch again?", sender="x@far.test")
    wait(lambda: "no vacation reply: <x@far.test> was answered" in box.log_text(),
         what="the second mail passed over")
    # Nothing to <>, nor to lists.
    send(box, "carol@example.test", "Delivery report", sender="")
    wait(lambda: "no vacation reply: the envelope sender is <>" in box.log_text(),
         what="the bounce passed over")
    send(box, "carol@example.test", "News", sender="news@far.test",
         extra="List-Id: <news.far.test>\r\n")
    wait(lambda: "comes from a mailing list" in box.log_text(), what="the list mail passed over")
    assert len(replies_to(sink_handler, "x@far.test")) == 1
    assert not replies_to(sink_handler, "news@far.test")
    assert len(files(box, "carol@example.test", "INBOX")) == 4  # every message kept
    # Switched off, then on with a date range that is over: no reply at all.
    box.cli("vacation", "off", "carol@example.test")
    assert ": off" in box.cli("vacation", "show", "carol@example.test").stdout


def test_redirect_flags_and_runtime_failure(box: Mailroom, far: tuple[SinkHandler, int],
                                            tmp_path: Path) -> None:
    sink_handler = far[0]
    script = tmp_path / "bob2.sieve"
    script.write_text(
        'require ["fileinto", "imap4flags", "copy"];\n'
        'if header :contains "subject" "fwd" { redirect :copy "boss@far.test"; }\n'
        'if header :contains "subject" "read" { addflag "\\\\Seen"; fileinto "Read"; stop; }\n'
        'if header :contains "subject" "trash" { discard; }\n'
    )
    box.cli("filter", "set", "bob@example.test", str(script))
    send(box, "bob@example.test", "please fwd this", sender="x@far.test")
    wait(lambda: replies_to(sink_handler, "boss@far.test"), what="the redirected copy")
    copy = replies_to(sink_handler, "boss@far.test")[0]
    # An outside sender's name is not used to send on to another outside domain.
    assert copy.sender == "bob@example.test"
    assert b"X-Sieve-Redirected-From: bob@example.test" in copy.content
    send(box, "bob@example.test", "already read", sender="x@far.test")
    wait(lambda: files(box, "bob@example.test", "Read", "cur"), what="mail in .Read/cur")
    assert files(box, "bob@example.test", "Read", "cur")[0].name.endswith(":2,S")
    send(box, "bob@example.test", "trash me", sender="x@far.test")
    wait(lambda: "status=sent (250 2.0.0 discarded by filter)" in box.log_text(),
         what="the discard")
    # A script broken behind Mailroom's back (by hand on disk) keeps the mail and says why.
    (box.home / "mail/example.test/bob/sieve/main.sieve").write_text('if { fileinto "x"; }')
    before = len(files(box, "bob@example.test", "INBOX"))
    send(box, "bob@example.test", "trash me too", sender="x@far.test")
    wait(lambda: len(files(box, "bob@example.test", "INBOX")) > before, what="kept in INBOX")
    # The log is written by its own thread: wait for the line rather than expect it now.
    wait(lambda: "sieve: active script: does not parse" in box.log_text(),
         what="the log line saying why")


def test_cli_refuses_unknown_accounts_and_missing_files(box: Mailroom) -> None:
    result = box.cli("filter", "show", "nobody@example.test", check=False)
    assert result.returncode == 1 and "no account" in result.stderr
    result = box.cli("filter", "set", "bob@example.test", "/nonexistent.sieve", check=False)
    assert result.returncode == 1 and "cannot read" in result.stderr
    assert isinstance(result, subprocess.CompletedProcess)
    # The Sieve files in the account's home never upset the store (usage, indexing).
    assert "indexing new mail failed" not in box.log_text()
