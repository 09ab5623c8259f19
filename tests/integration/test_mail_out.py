"""Mail out through the real daemon: a loopback DNS server and aiosmtpd sinks as the far side."""

from __future__ import annotations

import asyncio
import email
import json
import smtplib
import time
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from appliance.tls import make_self_signed, server_context
from tests.support.daemon import Mailroom
from tests.support.dnsserver import DnsServer, serving
from tests.support.sink import SinkHandler, port_free_on, sink
from tests.support.waiting import wait

ZONE = {
    "far.test": {"MX": [(10, "mx1.far.test"), (20, "mx2.far.test")]},
    "mx1.far.test": {"A": ["127.0.0.3"]},  # nothing listens there
    "mx2.far.test": {"A": ["127.0.0.4"]},
    "plain.test": {"A": ["127.0.0.4"]},  # no MX: the A record is the implicit MX
    "nullmx.test": {"MX": [(0, ".")]},
    "slow.test": {"MX": [(10, "mx.slow.test")]},
    "mx.slow.test": {"A": ["127.0.0.6"]},
    "relay.isp.test": {"A": ["127.0.0.5"]},
}


@pytest.fixture
def dns() -> Iterator[DnsServer]:
    with serving(ZONE) as server:
        yield server


@pytest.fixture
def far_port() -> int:
    return port_free_on(["127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"])


@pytest.fixture
def far(far_port: int) -> Iterator[SinkHandler]:
    with sink("127.0.0.4", far_port, SinkHandler(reject={"nobody@far.test"})) as handler:
        yield handler


@pytest.fixture
def out(home: Mailroom, dns: DnsServer, far_port: int) -> Iterator[Mailroom]:
    home.cli("settings", "set", "dns.nameservers", dns.nameserver)
    home.cli("settings", "set", "delivery.remote_port", str(far_port))
    home.cli("settings", "set", "delivery.connect_timeout", "2")
    home.cli("settings", "set", "queue.retry_base", "1")
    home.cli("settings", "set", "queue.retry_cap", "2")
    home.start()
    try:
        yield home
    finally:
        home.stop()


def sendmail(m: Mailroom, *args: str, body: str = "Subject: hi\n\nhello\n") -> None:
    m.cli("sendmail", *args, input=body)


def parse(path: Path) -> Message:
    return email.message_from_bytes(path.read_bytes())


def dsn_fields(report: Message) -> list[Message]:
    status = next(p for p in report.walk() if p.get_content_type() == "message/delivery-status")
    return [p for p in status.get_payload()]  # type: ignore[union-attr]


def test_contract_mx_fallback_bounce_and_mailstats(out: Mailroom, far: SinkHandler) -> None:
    m = out
    sendmail(m, "-f", "alice@example.test", "bob@far.test")
    wait(lambda: far.received, what="delivery to mx2")
    assert far.received[0].recipients == ["bob@far.test"]
    assert far.received[0].sender == "alice@example.test"
    wait(lambda: m.mailq() == [], what="empty queue")
    assert "Mail queue is empty" in m.cli("mailq").stdout

    sendmail(m, "-f", "alice@example.test", "nobody@far.test", body="Subject: x\n\nx\n")
    files = m.wait_for_mail("alice@example.test")
    report = parse(files[0])
    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    per_message, per_rcpt = dsn_fields(report)[:2]
    assert per_message["Reporting-MTA"] == "dns; mail.example.test"
    assert per_rcpt["Final-Recipient"] == "rfc822; nobody@far.test"
    assert per_rcpt["Action"] == "failed"
    assert per_rcpt["Status"] == "5.1.1"
    assert "550" in per_rcpt["Diagnostic-Code"]
    assert "mx2.far.test" in per_rcpt["Remote-MTA"]
    headers = next(p for p in report.walk() if p.get_content_type() == "text/rfc822-headers")
    assert "Subject: x" in headers.get_payload()

    def counted() -> bool:
        stats = json.loads(m.cli("mailstats", "--json").stdout)
        out_row = next((r for r in stats if r["direction"] == "out"), None)
        return out_row is not None and out_row["delivered"] >= 1 and out_row["bounced"] >= 1

    wait(counted, what="the delivery and the bounce in mailstats")
    text = m.cli("mailstats").stdout
    assert "Delivered" in text and "Bounced" in text


def test_implicit_mx_and_null_mx(out: Mailroom, far: SinkHandler) -> None:
    m = out
    sendmail(m, "-f", "alice@example.test", "carol@plain.test")
    wait(lambda: far.received, what="implicit MX delivery")
    sendmail(m, "-f", "alice@example.test", "dan@nullmx.test")
    report = parse(m.wait_for_mail("alice@example.test")[0])
    rcpt = dsn_fields(report)[1]
    assert rcpt["Status"] == "5.1.10"
    assert rcpt["Final-Recipient"] == "rfc822; dan@nullmx.test"


def test_4xx_then_success_on_retry(out: Mailroom, far: SinkHandler) -> None:
    m = out
    far.defer.add("later@far.test")
    sendmail(m, "-f", "alice@example.test", "later@far.test")
    entry = wait(lambda: [e for e in m.mailq() if e["attempts"] >= 1], what="a deferral")[0]
    assert entry["recipients"][0]["reply"].startswith("451")
    assert "4.3.0" in m.cli("queue", "show", entry["id"]).stdout
    far.defer.clear()
    wait(lambda: far.received, what="delivery on retry")
    wait(lambda: m.mailq() == [], what="empty queue")
    assert not m.maildir_files("alice@example.test")  # no bounce, no warning


def test_no_bounce_to_null_sender(out: Mailroom, far: SinkHandler) -> None:
    m = out
    sendmail(m, "-f", "<>", "nobody@far.test")
    wait(lambda: "not sending a failure notice to the null sender" in m.log_text(),
         what="the null-sender log line")
    time.sleep(0.5)
    assert m.mailq() == []
    for user in ("alice", "bob"):
        assert not m.maildir_files(f"{user}@example.test")


def test_delay_warning_once(out: Mailroom, far: SinkHandler) -> None:
    m = out
    m.cli("settings", "set", "queue.delay_warning", "1")
    far.defer.add("slowpoke@far.test")
    sendmail(m, "-f", "alice@example.test", "slowpoke@far.test")
    files = m.wait_for_mail("alice@example.test", timeout=20)
    report = parse(files[0])
    assert "Delayed Mail" in report["Subject"]
    assert dsn_fields(report)[1]["Action"] == "delayed"
    tried = wait(lambda: m.mailq(), what="the queue entry")[0]["attempts"]
    # Several more retries (1-2 s apart): still a single warning.
    wait(lambda: m.mailq()[0]["attempts"] >= tried + 2, what="two more retries")
    assert len(m.maildir_files("alice@example.test")) == 1
    assert m.mailq()  # still queued


def test_restart_keeps_deferred_mail_and_next_try(out: Mailroom, far: SinkHandler) -> None:
    m = out
    m.cli("settings", "set", "queue.retry_base", "3600")
    m.cli("settings", "set", "queue.retry_cap", "3600")
    far.defer.add("patient@far.test")
    sendmail(m, "-f", "alice@example.test", "patient@far.test")
    before = wait(lambda: [e for e in m.mailq() if e["next_try"]], what="a deferral")[0]
    assert before["next_try"] > time.time() + 3000
    m.stop()
    m.start()
    after = m.mailq()
    assert [(e["id"], e["next_try"]) for e in after] == [(before["id"], before["next_try"])]
    time.sleep(1)
    assert len(far.received) == 0  # not retried early


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                   auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"office", b"isp-secret-pw")
    return AuthResult(success=ok, handled=False)


def test_smarthost_with_starttls_and_auth(out: Mailroom, far_port: int, tmp_path: Path) -> None:
    m = out
    make_self_signed("relay.isp.test", tmp_path / "c.pem", tmp_path / "k.pem")
    handler = SinkHandler()
    with sink("127.0.0.5", far_port, handler, tls_context=server_context(
            tmp_path / "c.pem", tmp_path / "k.pem"), require_starttls=True, auth_required=True,
            authenticator=_authenticator):
        m.cli("settings", "set", "smarthost.password", "-", input="isp-secret-pw\n")
        for key, value in (("smarthost.port", str(far_port)), ("smarthost.tls", "starttls"),
                           ("smarthost.username", "office"),
                           ("smarthost.verify", "no"), ("smarthost.host", "relay.isp.test")):
            m.cli("settings", "set", key, value)
        sendmail(m, "-f", "alice@example.test", "someone@far.test")
        wait(lambda: handler.received, what="delivery through the smarthost")
        assert handler.received[0].tls
    assert m.cli("settings", "get", "smarthost.password").stdout.strip() == "********"
    assert "isp-secret-pw" not in m.cli("settings", "show").stdout
    assert "isp-secret-pw" not in m.log_text()


class SlowSink(SinkHandler):
    """Holds each DATA for a while and records how many sessions overlapped."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0
        self.peak = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await asyncio.sleep(0.4)
            return await super().handle_DATA(server, session, envelope)
        finally:
            self.now -= 1


def test_per_destination_concurrency_limit(out: Mailroom, far_port: int) -> None:
    m = out
    m.cli("settings", "set", "delivery.max_per_destination", "2")
    handler = SlowSink()
    with sink("127.0.0.6", far_port, handler):
        with smtplib.SMTP("127.0.0.1", m.port("smtp"), timeout=10) as s:
            for i in range(8):
                s.sendmail("alice@example.test", [f"user{i}@slow.test"],
                           f"Subject: n{i}\r\n\r\nbody\r\n".encode())
        wait(lambda: len(handler.received) == 8, what="all eight deliveries")
    assert handler.peak == 2


def test_queue_commands(out: Mailroom, far: SinkHandler) -> None:
    m = out
    m.cli("settings", "set", "queue.retry_base", "3600")
    m.cli("settings", "set", "queue.retry_cap", "3600")
    far.defer.update({"a@far.test", "b@far.test", "c@far.test"})
    for rcpt in ("a@far.test", "b@far.test", "c@far.test"):
        sendmail(m, "-f", "alice@example.test", rcpt, body=f"Subject: to {rcpt}\n\nbody\n")
    entries = wait(lambda: [e for e in m.mailq() if e["attempts"]] if len(
        [e for e in m.mailq() if e["attempts"]]) == 3 else None, what="three deferrals")
    ids = {e["recipients"][0]["address"]: e["id"] for e in entries}

    shown = m.cli("queue", "show", ids["a@far.test"]).stdout
    assert "Subject: to a@far.test" in shown and "Recipient: <a@far.test>" in shown

    m.cli("queue", "hold", ids["a@far.test"])
    held = {e["id"]: e["queue"] for e in m.mailq()}
    assert held[ids["a@far.test"]] == "hold"
    assert ids["a@far.test"] + "!" in m.cli("mailq").stdout
    assert m.cli("queue", "retry", ids["a@far.test"], check=False).returncode == 1

    m.cli("queue", "delete", ids["b@far.test"])
    assert ids["b@far.test"] not in {e["id"] for e in m.mailq()}

    m.cli("queue", "bounce", ids["c@far.test"])
    report = parse(m.wait_for_mail("alice@example.test")[0])
    assert dsn_fields(report)[1]["Final-Recipient"] == "rfc822; c@far.test"

    far.defer.clear()
    m.cli("queue", "release", ids["a@far.test"])  # back in the queue, tried at once
    wait(lambda: [r for r in far.received if r.recipients == ["a@far.test"]],
         what="delivery after release")

    for rcpt, command in (("d@far.test", ["queue", "retry"]), ("e@far.test", ["queue", "flush"])):
        far.defer.add(rcpt)
        sendmail(m, "-f", "alice@example.test", rcpt)
        entry = wait(lambda: [e for e in m.mailq() if e["attempts"]], what=f"deferral of {rcpt}")
        far.defer.clear()
        m.cli(*command, *([entry[0]["id"]] if command[1] == "retry" else []))
        wait(lambda r=rcpt: [x for x in far.received if x.recipients == [r]],
             what=f"delivery after {command[1]}")
    assert m.cli("queue", "delete", "NOSUCHID", check=False).returncode == 1


def test_sendmail_options_and_links(out: Mailroom, far: SinkHandler, tmp_path: Path) -> None:
    m = out
    body = ("To: Bob <bob@example.test>\nCc: carol@far.test\nBcc: alice@example.test\n"
            "Subject: via -t\n\nline one\n.\nafter the dot\n")
    m.cli("sendmail", "-t", "-oi", "-F", "Cron Daemon", "-f", "root@example.test", input=body)
    bob = parse(m.wait_for_mail("bob@example.test")[0])
    alice = m.wait_for_mail("alice@example.test")
    assert "Bcc" not in bob and bob["From"] == "Cron Daemon <root@example.test>"
    assert "after the dot" in bob.get_payload()
    assert bob["Message-ID"] and bob["Date"]
    wait(lambda: far.received, what="the Cc to far.test")
    assert len(alice) == 1

    # Without -i a lone dot ends the message, like sendmail.
    m.cli("sendmail", "bob@example.test", input="Subject: dot\n\nbefore\n.\nafter\n")
    files = m.wait_for_mail("bob@example.test", 2)
    newest = max(files, key=lambda p: p.stat().st_mtime_ns)
    assert "after" not in parse(newest).get_payload()

    link = tmp_path / "mailq"
    link.symlink_to(Path(__file__).resolve().parents[2] / "main.py")
    import subprocess
    import sys

    result = subprocess.run([sys.executable, str(link)], capture_output=True, text=True,
                            env=m.env, timeout=30)
    assert result.returncode == 0 and "Mail queue is empty" in result.stdout
    bad = m.cli("sendmail", "-X", input="", check=False)
    assert bad.returncode == 64


def test_failed_bounce_goes_to_postmaster_once(out: Mailroom, far: SinkHandler) -> None:
    m = out
    # The message bounces (null MX); its bounce to nobody@far.test is refused
    # too; the double bounce goes to the postmaster (alice, the first account).
    sendmail(m, "-f", "nobody@far.test", "dan@nullmx.test")
    files = m.wait_for_mail("alice@example.test")
    wait(lambda: m.mailq() == [], what="empty queue")
    time.sleep(1)
    assert len(m.maildir_files("alice@example.test")) == 1
    assert "double bounce" in m.log_text()
    report = parse(files[0])
    assert report.get_content_type() == "multipart/report"


class StreamSink(SinkHandler):
    """Counts connections (one EHLO each) and RSETs."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.sessions: set[int] = set()
        self.rsets = 0

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any,  # noqa: N802
                          hostname: str, responses: list[str]) -> list[str]:
        self.sessions.add(id(session))
        return await super().handle_EHLO(server, session, envelope, hostname, responses)

    async def handle_RSET(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.rsets += 1
        return "250 OK"


def test_a_stream_goes_out_over_kept_connections_each_message_once(
    out: Mailroom, far_port: int
) -> None:
    m = out
    handler = StreamSink(defer={"late@far.test"})
    expected = [f"s{i}@far.test" for i in range(30)]
    with sink("127.0.0.4", far_port, handler):
        with smtplib.SMTP("127.0.0.1", m.port("smtp"), timeout=10) as s:
            for i, rcpt in enumerate(expected[:15]):
                s.sendmail("alice@example.test", [rcpt], f"Subject: n{i}\r\n\r\nbody\r\n".encode())
            # Deferred at RCPT in the middle of the stream: it alone waits for a retry.
            s.sendmail("alice@example.test", ["late@far.test"], b"Subject: late\r\n\r\nbody\r\n")
            for i, rcpt in enumerate(expected[15:], 15):
                s.sendmail("alice@example.test", [rcpt], f"Subject: n{i}\r\n\r\nbody\r\n".encode())
        wait(lambda: len(handler.received) == 30, what="the thirty others")
        assert [e["recipients"][0]["address"] for e in m.mailq()] == ["late@far.test"]
        handler.defer.clear()
        wait(lambda: m.mailq() == [], what="the deferred one delivered on retry")
    got = sorted(r.recipients[0] for r in handler.received)
    assert got == sorted([*expected, "late@far.test"])  # every one exactly once
    assert len(handler.sessions) <= 10  # the destination's limit; connections were kept
    # A kept connection goes on with MAIL; only the refused transaction was RSET.
    assert handler.rsets == 1
    queue = m.home / "queue"
    assert not [p for sub in ("active", "deferred", "status", "tmp")
                for p in (queue / sub).iterdir()]
