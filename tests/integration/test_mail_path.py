"""The null sender, sender ownership and quotas against the real daemon (issue 9: 1, 6, 10)."""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Iterator

import pytest

from tests.support.daemon import Mailroom
from tests.support.dnsserver import DnsServer
from tests.support.sink import SinkHandler, port_free_on, sink
from tests.support.waiting import wait

OUTSIDE = ("127.0.0.2", 0)  # not a relay network
ZONE = {
    "far.test": {"MX": [(10, "mx.far.test")]},
    "mx.far.test": {"A": ["127.0.0.4"]},
}


def submission(m: Mailroom, user: str, password: str) -> smtplib.SMTP:
    s = smtplib.SMTP("127.0.0.1", m.port("submission"), timeout=10)
    s.starttls(context=ssl._create_unverified_context())
    s.login(user, password)
    return s


def smtps(m: Mailroom, user: str, password: str) -> smtplib.SMTP_SSL:
    s = smtplib.SMTP_SSL("127.0.0.1", m.port("smtps"),
                         context=ssl._create_unverified_context(), timeout=10)
    s.login(user, password)
    return s


# -- item 1: the null sender --------------------------------------------------------------


def test_null_sender_over_a_raw_socket_lands_with_an_empty_return_path(
    mailroom: Mailroom,
) -> None:
    m = mailroom
    with socket.create_connection(("127.0.0.1", m.port("smtp")), timeout=10) as sock:
        f = sock.makefile("rb")

        def say(line: bytes) -> bytes:
            sock.sendall(line + b"\r\n")
            reply = f.readline()
            while reply[3:4] == b"-":
                reply = f.readline()
            return reply

        assert f.readline().startswith(b"220")
        assert say(b"EHLO far.test").startswith(b"250")
        assert say(b"MAIL FROM:<>").startswith(b"250 ")
        assert say(b"RCPT TO:<bob@example.test>").startswith(b"250 ")
        assert say(b"DATA").startswith(b"354")
        assert say(b"Subject: dsn\r\n\r\nreport\r\n.").startswith(b"250 ")
        say(b"QUIT")
    (path,) = m.wait_for_mail("bob@example.test")
    assert path.read_bytes().startswith(b"Return-Path: <>\n")
    # The log has its own writer thread: the line may land just after the mail.
    wait(lambda: "from=<>" in m.log_text(), what="from=<> in the mail log")


def test_null_sender_through_an_alias_with_smtplib(mailroom: Mailroom) -> None:
    m = mailroom
    with smtplib.SMTP("127.0.0.1", m.port("smtp"), source_address=OUTSIDE, timeout=10) as s:
        s.ehlo("far.test")
        assert s.mail("<>")[0] == 250
        assert s.rcpt("<staff@example.test>")[0] == 250
        assert s.data(b"Subject: read receipt\r\n\r\nseen\r\n")[0] == 250
    for user in ("alice@example.test", "bob@example.test"):
        (path,) = m.wait_for_mail(user)
        assert path.read_bytes().startswith(b"Return-Path: <>\n")


@pytest.fixture
def far_port() -> int:
    return port_free_on(["127.0.0.4"])


@pytest.fixture
def far(far_port: int) -> Iterator[SinkHandler]:
    with sink("127.0.0.4", far_port, SinkHandler(reject={"nobody@far.test"})) as handler:
        yield handler


@pytest.fixture
def out(home: Mailroom, far_port: int) -> Iterator[Mailroom]:
    dns = DnsServer(ZONE).start_thread()
    try:
        home.cli("settings", "set", "dns.nameservers", dns.nameserver)
        home.cli("settings", "set", "delivery.remote_port", str(far_port))
        home.cli("settings", "set", "delivery.connect_timeout", "2")
        home.start()
        try:
            yield home
        finally:
            home.stop()
    finally:
        dns.stop()


def test_null_sender_goes_out_as_null_is_forwarded_as_null_and_never_bounced(
    out: Mailroom, far: SinkHandler
) -> None:
    m = out
    m.cli("forward", "set", "bob@example.test", "bob@far.test")
    with smtplib.SMTP("127.0.0.1", m.port("smtp"), timeout=10) as s:  # a relay network
        for rcpt in ("z@far.test", "bob@example.test", "nobody@far.test"):
            s.ehlo("lan.test")
            assert s.mail("<>")[0] == 250
            assert s.rcpt(f"<{rcpt}>")[0] == 250
            assert s.data(f"Subject: to {rcpt}\r\n\r\nreport\r\n".encode())[0] == 250
    wait(lambda: len(far.received) >= 2, what="two deliveries to far.test")
    assert sorted(r.recipients[0] for r in far.received) == ["bob@far.test", "z@far.test"]
    # aiosmtpd's sink records the reverse path as written: MAIL FROM:<> on the wire.
    assert [r.sender for r in far.received] == ["<>", "<>"]
    wait(lambda: m.mailq() == [], what="an empty queue")
    wait(lambda: "not sending a failure notice to the null sender" in m.log_text(),
         what="the refused bounce to be logged")
    log = m.log_text()
    assert "sender non-delivery notification" not in log
    assert m.maildir_files("alice@example.test") == []
    assert m.maildir_files("postmaster@example.test") == []


# -- item 6: sender ownership ---------------------------------------------------------------


def test_logged_in_user_may_send_only_as_owned_addresses(mailroom: Mailroom) -> None:
    m = mailroom
    m.cli("alias", "add", "bobby@example.test", "bob@example.test")
    for connect in (submission, smtps):
        with connect(m, "bob@example.test", "pw-bob-1") as s:
            code, text = s.mail("alice@example.test")
            assert (code, text[:40]) == (553, b"5.7.1 Sender address not owned by user b")
            for own in ("bob@example.test", "bobby@example.test", "<>"):
                s.rset()
                assert s.mail(own)[0] == 250, own
            s.rset()
            assert s.mail("staff@example.test")[0] == 553  # reaches alice as well

    m.cli("account", "senders", "add", "bob@example.test", "alice@example.test")
    assert m.cli("account", "senders", "list", "bob@example.test").stdout.split() == [
        "alice@example.test"]
    with submission(m, "bob@example.test", "pw-bob-1") as s:
        assert s.mail("alice@example.test")[0] == 250
        s.rset()
        assert s.mail("carol@example.test")[0] == 553
    m.cli("account", "senders", "del", "bob@example.test", "alice@example.test")
    refused = m.cli("account", "senders", "del", "bob@example.test", "alice@example.test",
                    check=False)
    assert refused.returncode != 0 and "not granted" in refused.stderr
    with submission(m, "bob@example.test", "pw-bob-1") as s:
        assert s.mail("alice@example.test")[0] == 553

    m.cli("settings", "set", "submission.sender_check", "no")
    with submission(m, "bob@example.test", "pw-bob-1") as s:
        assert s.mail("alice@example.test")[0] == 250


def test_outsider_may_not_use_our_domains_as_sender(mailroom: Mailroom) -> None:
    m = mailroom
    with smtplib.SMTP("127.0.0.1", m.port("smtp"), source_address=OUTSIDE, timeout=10) as s:
        s.ehlo("far.test")
        code, text = s.mail("<alice@example.test>")
        assert code == 550 and text.startswith(b"5.7.1")
        assert s.mail("<someone@far.test>")[0] == 250
    with smtplib.SMTP("127.0.0.1", m.port("smtp"), timeout=10) as s:  # a relay network
        s.ehlo("lan.test")
        assert s.mail("<alice@example.test>")[0] == 250
    m.cli("settings", "set", "smtp.local_sender_check", "no")
    with smtplib.SMTP("127.0.0.1", m.port("smtp"), source_address=OUTSIDE, timeout=10) as s:
        s.ehlo("far.test")
        assert s.mail("<alice@example.test>")[0] == 250


# -- item 10: quota --------------------------------------------------------------------------


def test_full_mailbox_behind_an_alias_or_forward_is_refused_at_rcpt(mailroom: Mailroom) -> None:
    m = mailroom
    m.cli("alias", "add", "bobby@example.test", "bob@example.test")
    with smtplib.SMTP("127.0.0.1", m.port("smtp"), timeout=10) as s:
        s.sendmail("x@far.test", ["bob@example.test"], b"Subject: fill\r\n\r\n" + b"x" * 900)
    m.wait_for_mail("bob@example.test")
    m.cli("account", "quota", "bob@example.test", "500")
    m.cli("forward", "set", "alice@example.test", "bob@example.test")
    with smtplib.SMTP("127.0.0.1", m.port("smtp"), timeout=10) as s:
        s.ehlo("far.test")
        s.mail("<x@far.test>")
        for rcpt in ("bob@example.test", "bobby@example.test", "alice@example.test"):
            code, text = s.rcpt(f"<{rcpt}>")
            assert code == 452 and text.startswith(b"4.2.2"), rcpt
    assert m.mailq() == []


def test_another_host_name_of_the_domain_is_owned_full_and_ours(mailroom: Mailroom) -> None:
    m = mailroom
    m.cli("domain", "add", "mail.example.test", "--alias-of", "example.test")
    with submission(m, "bob@example.test", "pw-bob-1") as s:
        assert s.mail("bob@mail.example.test")[0] == 250
        s.rset()
        assert s.mail("alice@mail.example.test")[0] == 553
    with smtplib.SMTP("127.0.0.1", m.port("smtp"), source_address=OUTSIDE, timeout=10) as s:
        s.ehlo("far.test")
        assert s.mail("<alice@mail.example.test>")[0] == 550
        assert s.mail("<>")[0] == 250
        assert s.rcpt("<bob@mail.example.test>")[0] == 250
        assert s.data(b"Subject: dsn\r\n\r\nreport\r\n")[0] == 250
    (path,) = m.wait_for_mail("bob@example.test")  # the account's own Maildir
    assert path.read_bytes().startswith(b"Return-Path: <>\nDelivered-To: bob@example.test\n")
    assert not (m.home / "mail" / "mail.example.test").exists()
    m.cli("account", "quota", "bob@example.test", "100")
    with smtplib.SMTP("127.0.0.1", m.port("smtp"), timeout=10) as s:
        s.ehlo("lan.test")
        s.mail("<x@far.test>")
        code, text = s.rcpt("<bob@mail.example.test>")
        assert code == 452 and text.startswith(b"4.2.2")
