"""Spam scoring and virus scanning with a real rspamd, a real clamd and the local DNS server.

The engines are private (tests.support.engines): clamd knows one test
signature (the EICAR string), rspamd runs a scanner and a controller with
Bayes in SQLite. First the end-of-DATA pipeline (appliance.screening) on
its own, then through the real daemon: SMTP in, IMAP Junk moves training
rspamd, the CLI, and the dashboard's warnings.
"""

from __future__ import annotations

import base64
import imaplib
import json
import re
import smtplib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.home import Home
from appliance.screening import Screening
from appliance.spam import rspamd as rspamd_client
from appliance.spam.rules import GTUBE
from appliance.state import State
from appliance.state.settings import SETTINGS
from appliance.virus import EICAR
from tests.support.daemon import Mailroom, make_mailroom
from tests.support.dnsserver import DnsServer
from tests.support.engines import SIGNATURE, Clamd, Rspamd, start_clamd, start_rspamd
from tests.support.waiting import wait

ZONE = {
    "far.test": {"TXT": ["v=spf1 ip4:127.0.0.2 ip4:127.0.0.3 -all"]},
    "mx.far.test": {"A": ["127.0.0.2"]},
    "2.0.0.127.in-addr.arpa": {"PTR": "mx.far.test"},
    "3.0.0.127.bl.test": {"A": ["127.0.0.2"]},  # 127.0.0.3 is listed, 127.0.0.2 not
    # A blocklist that refuses our resolver, as Spamhaus answers public resolvers.
    "2.0.0.127.refuse.test": {"A": ["127.255.255.254"]},
    "3.0.0.127.refuse.test": {"A": ["127.255.255.254"]},
}


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DnsServer]:
    with DnsServer(ZONE) as server:
        yield server


@pytest.fixture(scope="module")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    engine = start_clamd(tmp_path_factory.mktemp("clamd"))
    yield engine
    engine.stop()


@pytest.fixture(scope="module")
def rspamd(tmp_path_factory: pytest.TempPathFactory, dns_server: DnsServer) -> Iterator[Rspamd]:
    engine = start_rspamd(tmp_path_factory.mktemp("rspamd"), dns_server.nameserver)
    yield engine
    engine.stop()


def mail(subject: str, body: bytes = b"Hello from outside.\r\n", extra: str = "") -> bytes:
    return (f"From: Carol <carol@far.test>\r\nTo: bob@example.test\r\nSubject: {subject}\r\n"
            f"Date: Sun, 29 Nov 2026 20:00:00 +0000\r\nMessage-ID: <t.{subject}@far.test>\r\n"
            f"{extra}\r\n").encode() + body


def with_attachment(subject: str, disposition: str, payload: bytes) -> bytes:
    return mail(subject, extra="MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
                               "boundary=b\r\n",
                body=b"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
                     b"Content-Type: application/octet-stream\r\n"
                     + f"Content-Disposition: {disposition}\r\n".encode()
                     + b"Content-Transfer-Encoding: base64\r\n\r\n"
                     + base64.encodebytes(payload) + b"--b--\r\n")


# -- the pipeline on its own ------------------------------------------------


def settings_with(**changes: Any) -> dict[str, Any]:
    values = {k: s.default for k, s in SETTINGS.items()}
    values.update({k.replace("__", "."): v for k, v in changes.items()})
    return values


def screening(values: dict[str, Any]) -> Screening:
    return Screening(lambda: values, is_ours=lambda n: n in ("mail.example.test",
                                                             "example.test"))


async def screen(s: Screening, message: bytes, *, ip: str = "127.0.0.2",
                 outside: bool = True, checks: dict[str, Any] | None = None) -> Any:
    return await s.check(message, message.index(b"\r\n\r\n") + 2, ip=ip, helo="mx.far.test",
                         sender="carol@far.test", recipients=["bob@example.test"],
                         outside=outside, checks=checks)


async def test_gtube_built_in_is_junk_with_the_flag(dns_server: DnsServer) -> None:
    s = screening(settings_with(dns__nameservers=[dns_server.nameserver], spam__dnsbl=[]))
    forged = "X-Spam-Flag: NO\r\nX-Spam-Score: -50\r\n"
    result = await screen(s, mail("gtube", GTUBE + b"\r\n", extra=forged))
    assert result.reply == ""
    head = result.head.decode()
    assert head.startswith("X-Spam-Flag: YES\r\nX-Spam-Score: 10.0\r\n")
    assert "tests=GTUBE" in head
    assert "X-Spam-Flag: NO" not in head and "-50" not in head
    # Mail from a relay network or a logged-in user is not scored, except the test string.
    assert (await screen(s, mail("inside"), outside=False)).head is None
    inside = await screen(s, mail("inside", GTUBE), outside=False)
    assert inside.head.decode().startswith("X-Spam-Flag: YES\r\nX-Spam-Score: 10.0\r\n")


async def test_blocklists_and_the_refused_resolver_warning(dns_server: DnsServer) -> None:
    s = screening(settings_with(dns__nameservers=[dns_server.nameserver],
                                spam__dnsbl=["bl.test", "refuse.test"]))
    listed = await screen(s, mail("listed"), ip="127.0.0.3")
    head = listed.head.decode()
    assert "X-Spam-Flag: YES" in head and "DNSBL_BL_TEST" in head and "RDNS_NONE" in head
    clean = await screen(s, mail("clean"))
    assert "X-Spam-Flag" not in clean.head.decode()
    assert "X-Spam-Score: 0.0" in clean.head.decode()  # PTR confirmed, not listed
    [warning] = s.current_warnings()
    assert "refuse.test" in warning and "public" in warning
    # Taken off the list: the warning goes with it.
    s.settings()["spam.dnsbl"] = ["bl.test"]
    await screen(s, mail("again"))
    assert s.current_warnings() == []


async def test_authentication_results_count(dns_server: DnsServer) -> None:
    s = screening(settings_with(dns__nameservers=[dns_server.nameserver], spam__dnsbl=[]))
    result = await screen(s, mail("forged"), checks={
        "spf": "fail", "dkim": [["fail", "far.test"]], "dmarc": "fail", "action": "accept"})
    head = result.head.decode()
    assert "X-Spam-Score: 7.0" in head and "SPF_FAIL,DKIM_FAIL,DMARC_FAIL" in head


async def test_rspamd_score_is_added_and_its_absence_is_a_warning(
    dns_server: DnsServer, rspamd: Rspamd,
) -> None:
    values = settings_with(dns__nameservers=[dns_server.nameserver], spam__dnsbl=[],
                           spam__rspamd_url=rspamd.url)
    s = screening(values)
    refused = await screen(s, mail("gtube", GTUBE + b"\r\n"))
    # rspamd says 15 for GTUBE, ours 10: over the reject score.
    assert refused.reply == "550 5.7.1 Message refused as spam (score 25.0)"
    assert "RSPAMD=15" in refused.reason
    ham = await screen(s, mail("ham"))
    assert "tests=RSPAMD" in ham.head.decode() and "X-Spam-Flag" not in ham.head.decode()
    values["spam.rspamd_url"] = "http://127.0.0.1:9"  # nothing listens there
    still = await screen(s, mail("ham2"))
    assert still.reply == "" and "RSPAMD" not in still.head.decode()
    assert any("rspamd does not answer" in w for w in s.current_warnings())
    await rspamd_client.close()  # this test's event loop ends here


async def test_viruses_and_attachments(clamd: Clamd) -> None:
    values = settings_with(virus__enabled=True, virus__clamd=str(clamd.socket_path),
                           spam__enabled=False)
    s = screening(values)
    infected = await screen(s, with_attachment("v", 'attachment; filename="eicar.com.txt"',
                                               EICAR))
    assert infected.reply == f"554 5.7.1 Message refused: virus found ({SIGNATURE}.UNOFFICIAL)"
    assert infected.counts_as_rejected
    # Inside a relay network too: viruses are refused whoever sends them.
    inside = await screen(s, mail("inline", EICAR + b"\r\n"), outside=False)
    assert inside.reply.startswith("554 5.7.1 Message refused: virus found")
    clean = await screen(s, mail("clean"))
    assert clean.reply == "" and "virus: clean" in clean.notes
    blocked = await screen(s, with_attachment(
        "exe", "attachment; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf.exe", b"MZ"))
    assert blocked.reply == ("554 5.7.1 Message refused: attachments of type .exe are not "
                             "accepted (Rechnung März.pdf.exe)")
    values["virus.max_scan_size"] = 100
    skipped = await screen(s, mail("big", EICAR * 3))
    assert skipped.reply == "" and skipped.notes[0].startswith("virus: not scanned")
    values["virus.max_scan_size"] = 26214400
    values["virus.clamd"] = "127.0.0.1:9"  # clamd away
    deferred = await screen(s, mail("later"))
    assert deferred.reply == "451 4.7.1 Virus scanner unavailable; try again later"
    assert any("clamd at 127.0.0.1:9" in w for w in s.current_warnings())
    values["virus.on_error"] = "accept"
    accepted = await screen(s, mail("anyway"))
    assert accepted.reply == "" and "accepted (virus.on_error)" in accepted.notes[0]
    values["virus.clamd"] = clamd.address  # back (over TCP this time): the warning goes
    assert (await screen(s, mail("back"))).reply == ""
    assert s.current_warnings() == []


# -- through the daemon -----------------------------------------------------


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory, dns_server: DnsServer, clamd: Clamd,
           rspamd: Rspamd) -> Iterator[Mailroom]:
    m = make_mailroom(tmp_path_factory.mktemp("spam"))
    # Written straight into the state store: a CLI process per setting costs a second each.
    state = State(Home(m.home).db)
    for key, value in (("dns.nameservers", dns_server.nameserver), ("authcheck.dns_timeout", 1),
                       ("spam.dnsbl", "bl.test,refuse.test"), ("spam.rspamd_url", rspamd.url),
                       ("spam.rspamd_controller_url", rspamd.controller_url),
                       ("virus.enabled", True), ("virus.clamd", clamd.address)):
        state.set_setting(key, value)
    state.close()
    m.start()
    try:
        yield m
    finally:
        m.stop()


def send(m: Mailroom, msg: bytes, source: str = "127.0.0.2") -> None:
    with smtplib.SMTP("127.0.0.1", m.port("smtp"), source_address=(source, 0),
                      local_hostname="mx.far.test", timeout=30) as s:
        s.sendmail("carol@far.test", ["bob@example.test"], msg)


def refused(m: Mailroom, msg: bytes, source: str = "127.0.0.2") -> tuple[int, str]:
    with pytest.raises(smtplib.SMTPDataError) as err:
        send(m, msg, source)
    return err.value.smtp_code, err.value.smtp_error.decode()


def delivered(m: Mailroom, subject: str, folders: tuple[str, ...] = ("new", ".Junk/new")) -> str:
    def find() -> str | None:
        for folder in folders:
            for path in m.maildir_files("bob@example.test", folder):
                text = path.read_text()
                if f"Subject: {subject}\n" in text:
                    return text
        return None

    text: str = wait(find, what=f"message {subject!r} in bob's Maildir")
    return text.split("\n\n", 1)[0]


def test_listed_client_gets_the_spam_flag_and_forged_fields_go(daemon: Mailroom) -> None:
    send(daemon, mail("listed", extra="X-Spam-Flag: NO\r\n"), source="127.0.0.3")
    head = delivered(daemon, "listed")
    assert head.count("X-Spam-Flag:") == 1 and "X-Spam-Flag: YES" in head
    assert "DNSBL_BL_TEST" in head and "RSPAMD" in head
    send(daemon, mail("plain", extra="X-Spam-Flag: YES\r\nX-Spam-Score: 99\r\n"))
    head = delivered(daemon, "plain")
    assert "X-Spam-Flag" not in head and "X-Spam-Score: 99" not in head
    assert "X-Spam-Status: No" in head
    wait(lambda: "spam: score=" in daemon.log_text(), what="the spam line in the mail log")


def test_gtube_and_viruses_are_refused_at_end_of_data(daemon: Mailroom) -> None:
    code, text = refused(daemon, mail("gtube", GTUBE + b"\r\n"))
    assert code == 550 and text.startswith("5.7.1 Message refused as spam")
    code, text = refused(daemon, with_attachment("eicar", 'attachment; filename="e.zip"', EICAR))
    assert code == 554 and text == f"5.7.1 Message refused: virus found ({SIGNATURE}.UNOFFICIAL)"
    wait(lambda: f"(virus {SIGNATURE}.UNOFFICIAL)" in daemon.log_text(),
         what="the virus in the mail log")


def test_relay_network_mail_is_not_scored_but_still_scanned(daemon: Mailroom) -> None:
    send(daemon, mail("from the lan"), source="127.0.0.1")
    assert "X-Spam" not in delivered(daemon, "from the lan")
    # GTUBE is honoured from the LAN too (filed into Junk by the global before script).
    send(daemon, mail("lan gtube", GTUBE + b"\r\n"), source="127.0.0.1")
    head = delivered(daemon, "lan gtube", folders=(".Junk/new",))
    assert "X-Spam-Flag: YES" in head and "tests=GTUBE" in head
    code, text = refused(daemon, with_attachment("lan exe", 'attachment; filename="setup.exe"',
                                                 b"MZ"), source="127.0.0.1")
    assert code == 554 and ".exe" in text


def test_moving_mail_into_and_out_of_junk_trains_rspamd(daemon: Mailroom, rspamd: Rspamd) -> None:
    before = rspamd.learned()
    imap = imaplib.IMAP4("127.0.0.1", daemon.port("imap"), timeout=30)
    try:
        imap.login("bob@example.test", "pw-bob-1")
        spam = mail("cheap-pills", b"Buy cheap pills now, best price, click here.\r\n")
        assert imap.append("Junk", None, None, spam)[0] == "OK"
        wait(lambda: rspamd.learned()["BAYES_SPAM"] > before["BAYES_SPAM"],
             what="rspamd to learn the appended spam")
        imap.select("Junk")
        assert imap.uid("MOVE", "1:*", "INBOX")[0] == "OK"
        wait(lambda: rspamd.learned()["BAYES_HAM"] > before["BAYES_HAM"],
             what="rspamd to learn the message moved out of Junk as ham")
    finally:
        imap.logout()
    # rspamd counted the lesson above; the log says "learned" or, when a second
    # call for the same message came first, "already learned".
    wait(lambda: re.search(r"rspamd (already )?learned ham \(bob@example\.test",
                           daemon.log_text()) is not None,
         what="the lesson in the mail log")


def test_cli_virus_test_and_status(daemon: Mailroom, clamd: Clamd, tmp_path: Path) -> None:
    out = daemon.cli("virus", "test")
    assert out.stdout.strip() == (f"the EICAR test string: infected: {SIGNATURE}.UNOFFICIAL "
                                  f"(clamd at {clamd.address})")
    clean = tmp_path / "letter.txt"
    clean.write_text("Dear Bob,\n")
    assert ": clean" in daemon.cli("virus", "test", str(clean)).stdout
    status = json.loads(daemon.cli("spam", "status", "--json").stdout)
    assert status["rspamd"]["reachable"] and status["clamd"]["reachable"]
    assert status["clamd"]["version"].startswith("ClamAV")
    text = daemon.cli("spam", "status").stdout
    assert "rspamd: reachable" in text and "clamd at " in text


def test_dead_clamd_defers_and_warns_on_the_dashboard(daemon: Mailroom, clamd: Clamd) -> None:
    daemon.cli("spam", "set", "virus.clamd", "127.0.0.1:9")
    try:
        code, text = refused(daemon, mail("deferred"))
        assert code == 451 and text == "4.7.1 Virus scanner unavailable; try again later"
        warnings = json.loads(daemon.cli("status", "--json").stdout)["warnings"]
        assert any("clamd at 127.0.0.1:9" in w for w in warnings)
        assert any("refuse.test" in w for w in warnings)  # the blocklist refusing us
        assert daemon.cli("spam", "status", check=False).returncode == 1
        shown = daemon.cli("spam", "show").stdout
        assert "virus.clamd = 127.0.0.1:9" in shown and "warning: the virus scanner" in shown
    finally:
        daemon.cli("spam", "set", "virus.clamd", clamd.address)
