"""SPF, DKIM and DMARC of mail from outside, through the real daemon and the local DNS server."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest

from tests.support.daemon import Mailroom, make_mailroom
from tests.support.dnsserver import DnsServer
from tests.support.mailauth import FarDomain, message
from tests.support.waiting import wait

FORGED = "Authentication-Results: mail.example.test; spf=pass; dkim=pass; dmarc=pass\r\n"


@pytest.fixture(scope="module")
def far() -> FarDomain:
    return FarDomain(extra={
        "quar.test": {"TXT": ["v=spf1 -all"]},
        "_dmarc.quar.test": {"TXT": ["v=DMARC1; p=quarantine"]},
        "slow.test": {"TXT": ["v=spf1 ip4:127.0.0.2 -all"]},
    })


@pytest.fixture(scope="module")
def daemon(far: FarDomain, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mailroom]:
    with DnsServer(far.zone(), drop=["_dmarc.slow.test"]) as dns_server:
        m = make_mailroom(tmp_path_factory.mktemp("inbound"))
        m.cli("settings", "set", "dns.nameservers", dns_server.nameserver)
        m.cli("settings", "set", "authcheck.dns_timeout", "1")
        m.start()
        try:
            yield m
        finally:
            m.stop()


def send(m: Mailroom, msg: bytes, sender: str, source: str = "127.0.0.2") -> None:
    with smtplib.SMTP("127.0.0.1", m.port("smtp"), source_address=(source, 0),
                      local_hostname="mx.far.test", timeout=10) as s:
        s.sendmail(sender, ["bob@example.test"], msg)


def delivered(m: Mailroom, subject: str, folder: str = "new") -> str:
    def find() -> str | None:
        for path in m.maildir_files("bob@example.test", folder):
            text = path.read_text()
            if f"Subject: {subject}\n" in text:
                return text
        return None

    text: str = wait(find, what=f"message {subject!r} in bob's Maildir")
    return text


def head_of(text: str) -> str:
    return text.split("\n\n", 1)[0]


def test_signed_mail_from_outside_gets_one_results_header_and_forged_ones_go(
    daemon: Mailroom, far: FarDomain,
) -> None:
    send(daemon, far.sign(message(subject="signed", extra=FORGED)), "carol@far.test")
    head = head_of(delivered(daemon, "signed"))
    assert head.count("Authentication-Results:") == 1
    field = head[head.index("Authentication-Results:"):]
    field = field[: field.index("\n", field.index("dmarc="))]
    assert field.startswith("Authentication-Results: mail.example.test;\n\tspf=pass")
    assert "dkim=pass header.d=far.test header.s=e1 header.a=ed25519-sha256" in field
    assert "dkim=pass header.d=far.test header.s=r1 header.a=rsa-sha256" in field
    assert "dmarc=pass policy.dmarc=reject header.from=far.test" in field
    assert "X-Mailroom-Junk" not in head
    wait(lambda: "authcheck: spf=pass dkim=pass(far.test),pass(far.test) dmarc=pass arc=none, "
         "accept" in daemon.log_text(), what="the check's line in the mail log")


def test_dmarc_reject_refuses_at_end_of_data(daemon: Mailroom) -> None:
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(daemon, message(subject="forged"), "carol@far.test", source="127.0.0.7")
    assert refused.value.smtp_code == 550
    assert refused.value.smtp_error.startswith(b"5.7.1 ")
    wait(lambda: "NOQUEUE: reject: DATA from [127.0.0.7]" in daemon.log_text(),
         what="the refusal in the mail log")


def test_dns_timeout_is_451_not_a_refusal(daemon: Mailroom) -> None:
    with pytest.raises(smtplib.SMTPDataError) as deferred:
        send(daemon, message(sender="x@slow.test", subject="slow"), "x@slow.test")
    assert deferred.value.smtp_code == 451
    assert deferred.value.smtp_error.startswith(b"4.7.")


def test_dmarc_quarantine_is_filed_into_junk_and_marked(daemon: Mailroom) -> None:
    send(daemon, message(sender="x@quar.test", subject="quarantined"), "x@quar.test")
    head = head_of(delivered(daemon, "quarantined", folder=".Junk/new"))
    assert "X-Mailroom-Junk: yes (dmarc=fail p=quarantine (quar.test))" in head
    assert "dmarc=fail policy.dmarc=quarantine header.from=quar.test" in head


def test_relay_network_clients_are_not_checked(daemon: Mailroom) -> None:
    send(daemon, message(subject="inside", extra=FORGED), "carol@far.test", source="127.0.0.1")
    head = head_of(delivered(daemon, "inside"))
    # Trusted: no checks, no header of ours (what the client wrote stays as written).
    assert head.count("Authentication-Results:") == 1
    assert "spf=pass; dkim=pass; dmarc=pass" in head
