"""SMTP receive against the real daemon: relay control, AUTH, limits, delivery."""

from __future__ import annotations

import email
import shutil
import smtplib
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.daemon import Mailroom

OUTSIDE = ("127.0.0.2", 0)  # not a relay network
DATA = Path(__file__).resolve().parents[1] / "data" / "sendmail"


def smtp(m: Mailroom, service: str = "smtp", source: tuple[str, int] | None = None
         ) -> smtplib.SMTP:
    if service == "smtps":
        ctx = ssl._create_unverified_context()
        return smtplib.SMTP_SSL("127.0.0.1", m.port(service), context=ctx, timeout=10)
    return smtplib.SMTP("127.0.0.1", m.port(service), source_address=source, timeout=10)


def message(subject: str, body: str = "hello\n", extra: str = "") -> bytes:
    return (f"From: x@outside.test\r\nTo: someone\r\nSubject: {subject}\r\n{extra}\r\n"
            f"{body}").encode()


RELAY_TRICKS = [
    "<z@outside.test>",
    "<Z@OUTSIDE.TEST>",
    "<z@outside.test.>",
    "z@outside.test",
    '<"z"@outside.test>',
    "<z%outside.test@example.test>",
    '<"z@outside.test"@example.test>',
    '<"z%outside.test"@example.test>',
    "<z@outside.test@example.test>",
    "<z@example.test@outside.test>",
    "<outside.test!z@example.test>",
    '<"outside.test!z"@example.test>',
    "<@example.test:z@outside.test>",
    "<@example.test,@mail.example.test:z@outside.test>",
    "<@outside.test:alice@example.test>",
    "<z@[192.0.2.1]>",
    "<z@[127.0.0.1]>",
    "<z@[IPv6:::1]>",
    "<z%outside.test@[127.0.0.1]>",
    "<alice%outside.test@example.test>",
    "<postmaster@outside.test>",
    "<z@sub.example.test>",
    "<z@localhost>",
]


def test_contract_delivery_relay_and_submission(mailroom: Mailroom) -> None:
    m = mailroom
    m.cli("relay", "add", "192.0.2.0/24")
    status = m.cli("status").stdout
    for name, port in (("smtp", 20025), ("submission", 20587), ("smtps", 20465)):
        line = next(line for line in status.splitlines() if line.strip().startswith(name))
        assert "running" in line and str(port - 20000 + m.offset) in line

    out = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{m.port('smtp')}", "--from", "x@outside.test",
         "--to", "staff@example.test"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr
    assert len(m.wait_for_mail("alice@example.test")) == 1
    assert len(m.wait_for_mail("bob@example.test")) == 1

    out = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{m.port('smtp')}", "--local-interface", "127.0.0.2",
         "--to", "z@outside.test"], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "554 5.7.1" in out.stdout

    out = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{m.port('submission')}", "-tls", "--auth", "PLAIN",
         "--auth-user", "alice@example.test", "--auth-password", "pw-alice-1",
         "--from", "alice@example.test", "--to", "z@outside.test"],
        capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout
    out = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{m.port('smtps')}", "--tls-on-connect", "--auth",
         "LOGIN", "--auth-user", "alice@example.test", "--auth-password", "pw-alice-1",
         "--from", "alice@example.test", "--to", "z@outside.test"],
        capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout
    queued = m.mailq()
    assert len(queued) == 2
    assert all(e["recipients"][0]["address"] == "z@outside.test" for e in queued)
    assert "z@outside.test" in m.cli("mailq").stdout


@pytest.mark.parametrize("batch", [0, 1])
def test_relay_tricks_refused_from_outside(mailroom: Mailroom, batch: int) -> None:
    tricks = RELAY_TRICKS[batch::2]
    with smtp(mailroom, source=OUTSIDE) as s:
        s.ehlo("attacker.test")
        for trick in tricks:
            s.rset()
            assert s.mail("<spammer@outside.test>")[0] == 250
            code, text = s.docmd("RCPT TO:" + trick)
            assert code == 554, (trick, code, text)
            assert b"5.7.1" in text
    assert mailroom.mailq() == []


def test_trusted_network_and_auth_may_relay(mailroom: Mailroom) -> None:
    with smtp(mailroom) as s:  # 127.0.0.1 is a default relay network
        s.ehlo("lan.test")
        s.mail("<alice@example.test>")
        assert s.rcpt("<z@outside.test>")[0] == 250
        # Even trusted clients may not use source routes.
        assert s.docmd("RCPT TO:<@example.test:z@outside.test>")[0] == 554
        # A relay trick aimed at a local domain names nobody here.
        assert s.docmd("RCPT TO:<z%outside.test@example.test>")[0] == 550
    mailroom.cli("relay", "del", "127.0.0.1/32")
    with smtp(mailroom) as s:
        s.ehlo("lan.test")
        # Not <alice@example.test>: outside the relay networks our own
        # domains are refused as sender (550 5.7.1) before RCPT is reached.
        s.mail("<someone@lan.test>")
        deadline = time.monotonic() + 3
        while s.rcpt("<z@outside.test>")[0] != 554:  # relay list is cached for 1 s
            assert time.monotonic() < deadline
            s.rset()
            s.mail("<someone@lan.test>")
            time.sleep(0.2)


def test_unknown_local_recipient_and_capabilities(mailroom: Mailroom) -> None:
    with smtp(mailroom, source=OUTSIDE) as s:
        code, text = s.ehlo("client.test")
        assert code == 250
        for ext in ("pipelining", "size", "8bitmime", "smtputf8", "enhancedstatuscodes",
                    "starttls"):
            assert s.has_extn(ext), ext
        assert not s.has_extn("auth")  # not before TLS
        s.mail("<x@outside.test>")
        code, text = s.rcpt("<nobody@example.test>")
        assert code == 550 and b"5.1.1" in text
        code, text = s.docmd("RCPT TO:<bad address@@>")
        assert code == 501
        assert s.rcpt("<ALICE@Example.Test>")[0] == 250


def test_ehlo_reply_comes_in_one_write(mailroom: Mailroom) -> None:
    # One send for the whole multi-line reply: on loopback it arrives in one recv.
    with socket.create_connection(("127.0.0.1", mailroom.port("smtp")), timeout=10) as sock:
        assert sock.recv(4096).startswith(b"220 ")
        sock.sendall(b"EHLO client.test\r\n")
        time.sleep(0.2)
        reply = sock.recv(65536)
        lines = reply.split(b"\r\n")
        assert lines[-1] == b"" and lines[-2].startswith(b"250 ")
        assert all(line.startswith(b"250-") for line in lines[:-2]) and len(lines) > 5
        sock.sendall(b"QUIT\r\n")
        assert sock.recv(4096).startswith(b"221 2.0.0")


def test_auth_refused_before_tls_on_submission(mailroom: Mailroom) -> None:
    with smtp(mailroom, "submission") as s:
        s.ehlo("client.test")
        assert not s.has_extn("auth")
        code, text = s.docmd("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABwdy1hbGljZS0x")
        assert code == 530
        assert s.docmd("MAIL FROM:<alice@example.test>")[0] == 530
        s.starttls(context=ssl._create_unverified_context())
        s.ehlo("client.test")
        assert s.has_extn("auth")
        with pytest.raises(smtplib.SMTPAuthenticationError):
            s.login("alice@example.test", "wrong-password")
        s.login("alice@example.test", "pw-alice-1")
        s.sendmail("alice@example.test", ["bob@example.test"], message("sub", extra=""))
    with smtp(mailroom) as s:  # port 25 offers AUTH only after STARTTLS too
        s.ehlo("client.test")
        assert s.docmd("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABwdy1hbGljZS0x")[0] == 538
    files = mailroom.wait_for_mail("bob@example.test")
    msg = email.message_from_bytes(files[0].read_bytes())
    assert msg["Message-ID"] and msg["Date"]  # added on submission
    assert "ESMTPSA" in msg["Received"]
    assert msg["Return-Path"] == "<alice@example.test>"


def test_size_and_recipient_limits(mailroom: Mailroom) -> None:
    m = mailroom
    m.cli("settings", "set", "smtp.max_message_size", "20000")
    m.cli("settings", "set", "smtp.max_recipients", "2")
    m.cli("reload")
    with smtp(m) as s:
        s.ehlo("client.test")
        assert s.esmtp_features["size"] == "20000"
        code, text = s.docmd("MAIL FROM:<x@outside.test> SIZE=30000")
        assert code == 552 and b"5.3.4" in text
        s.mail("<x@outside.test>")
        s.rcpt("<alice@example.test>")
        s.rcpt("<bob@example.test>")
        code, text = s.rcpt("<staff@example.test>")
        assert code == 452 and b"4.5.3" in text
        code, text = s.data(message("big", "x" * 70 + "\r\n") * 400)
        assert code == 552
        s.rset()
        s.sendmail("x@outside.test", ["alice@example.test"], message("small"))
    assert len(m.wait_for_mail("alice@example.test")) == 1


def test_error_cap_disconnects(mailroom: Mailroom) -> None:
    with smtp(mailroom, source=OUTSIDE) as s:
        s.ehlo("client.test")
        s.mail("<x@outside.test>")
        with pytest.raises(smtplib.SMTPServerDisconnected):
            for _ in range(30):
                code, _ = s.docmd("RCPT TO:<nobody@example.test>")
                if code == 421:
                    s.docmd("NOOP")


def test_aliases_nesting_forward_and_loop(mailroom: Mailroom) -> None:
    m = mailroom
    m.cli("alias", "add", "team@example.test", "staff@example.test", "carol@outside.test")
    bad = m.cli("alias", "add", "staff@example.test", "team@example.test", check=False)
    assert bad.returncode == 1 and "loop" in bad.stderr
    assert m.cli("alias", "list").stdout.count("team@example.test") == 1
    with smtp(m, source=OUTSIDE) as s:
        s.sendmail("x@outside.test", ["team@example.test"], message("nested"))
    m.wait_for_mail("alice@example.test")
    m.wait_for_mail("bob@example.test")
    deadline = time.monotonic() + 5
    while not m.mailq():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert m.mailq()[0]["recipients"][0]["address"] == "carol@outside.test"

    m.cli("forward", "set", "alice@example.test", "bob@example.test", "dave@outside.test",
          "--keep")
    m.cli("forward", "set", "bob@example.test", "bob2@outside.test")
    with smtp(m, source=OUTSIDE) as s:
        s.sendmail("x@outside.test", ["alice@example.test"], message("fwd"))
    m.wait_for_mail("alice@example.test", 2)  # kept a copy
    deadline = time.monotonic() + 10
    # The message is done with once both outside copies wait in the queue.
    while not {"dave@outside.test", "bob2@outside.test"} <= {
            r["address"] for e in m.mailq() for r in e["recipients"]}:
        assert time.monotonic() < deadline, "the forwards were not queued"
        time.sleep(0.05)
    assert len(m.maildir_files("bob@example.test")) == 1  # bob forwards without a copy
    account_list = m.cli("account", "list").stdout
    assert "forward→bob@example.test,dave@outside.test (+copy)" in account_list

    m.cli("forward", "clear", "bob@example.test")
    m.cli("forward", "set", "alice@example.test", "bob@example.test")
    m.cli("forward", "set", "bob@example.test", "alice@example.test")  # a forwarding loop
    with smtp(m, source=OUTSIDE) as s:
        s.sendmail("x@outside.test", ["alice@example.test"], message("loop"))
    m.wait_for_mail("alice@example.test", 3)  # the loop ends in a mailbox, not lost


def test_quota_refuses_at_rcpt_and_data_and_bounces_only_when_shared(mailroom: Mailroom
                                                                     ) -> None:
    m = mailroom
    m.cli("account", "quota", "bob@example.test", "1500")
    with smtp(m) as s:
        s.sendmail("alice@example.test", ["bob@example.test"], message("fits"))
        m.wait_for_mail("bob@example.test")
        big = message("big", ("y" * 70 + "\r\n") * 30)
        # Too big for bob's room: refused at the end of DATA, nothing to bounce.
        with pytest.raises(smtplib.SMTPDataError) as refused:
            s.sendmail("alice@example.test", ["bob@example.test"], big)
        assert refused.value.smtp_code == 552 and b"5.2.2" in refused.value.smtp_error
        # With a recipient that has room, the message is taken; bob's copy bounces.
        s.sendmail("alice@example.test", ["bob@example.test", "staff@example.test"], big)
    m.wait_for_mail("alice@example.test", 2)  # the message (via staff), then the bounce
    bounce = [f for f in m.maildir_files("alice@example.test")
              if b"multipart/report" in f.read_bytes()]
    report = email.message_from_bytes(bounce[0].read_bytes())
    assert report.get_content_type() == "multipart/report"
    assert "5.2.2" in bounce[0].read_text()
    m.cli("account", "quota", "bob@example.test", "100")
    with smtp(m) as s:
        s.ehlo("client.test")
        s.mail("<alice@example.test>")
        code, text = s.rcpt("<bob@example.test>")
        assert code == 452 and b"4.2.2" in text


def test_newaliases_on_realistic_file(home: Mailroom, tmp_path: Path) -> None:
    m = home
    for user in ("std01", "std02", "std03", "std04", "lin", "chen.pk", "admin", "office",
                 "localuser2", "localuser3"):
        m.cli("account", "add", f"{user}@example.test", "--password-stdin",
              input="password-1\n")
    aliases = tmp_path / "aliases"
    shutil.copy(DATA / "aliases", aliases)
    shutil.copy(DATA / "committee.list", tmp_path / "committee.list")
    out = m.cli("newaliases", str(aliases))
    assert "aliases imported" in out.stdout
    assert "archive" in out.stderr and "oldbox" in out.stderr  # pipe and file skipped
    listing = m.cli("alias", "list").stdout
    assert "student@example.test: std01@example.test, std02@example.test" in listing
    m.start()
    try:
        with smtp(m, source=OUTSIDE) as s:
            s.sendmail("x@outside.test", ["student@example.test"], message("class"))
            s.sendmail("x@outside.test", ["postmaster@example.test"], message("pm"))
            s.ehlo("client.test")
            s.mail("<x@outside.test>")
            code, text = s.rcpt("<gone@example.test>")
            assert code == 550 and b"left" in text
        for user in ("std01", "std04"):
            m.wait_for_mail(f"{user}@example.test")
        m.wait_for_mail("admin@example.test")  # postmaster → root → admin
    finally:
        m.stop()


def test_log_lines_carry_queue_ids(mailroom: Mailroom) -> None:
    with smtp(mailroom) as s:
        s.sendmail("x@outside.test", ["alice@example.test"], message("logged"))
    mailroom.wait_for_mail("alice@example.test")
    deadline = time.monotonic() + 10
    while ": removed" not in mailroom.log_text():  # the last line about the message
        assert time.monotonic() < deadline, "no removed line in the log"
        time.sleep(0.05)
    log = mailroom.cli("logs", "-n", "50").stdout
    qid = next(line.split(": ")[1] for line in log.splitlines() if "queued" not in line
               and ": from=<x@outside.test>" in line)
    assert f"{qid}: to=<alice@example.test>, relay=local, status=sent" in log
    assert f"{qid}: removed" in log


def test_reload_moves_a_listener_without_dropping_sessions(mailroom: Mailroom) -> None:
    m = mailroom
    with smtp(m) as s:
        s.ehlo("client.test")
        s.mail("<x@outside.test>")
        s.rcpt("<alice@example.test>")
        new_port = m.port("smtp") + 1
        # settings.set through the running daemon applies the change at once.
        m.cli("settings", "set", "smtp.port", str(new_port - m.offset))
        status = m.cli("status").stdout
        assert f"127.0.0.1:{new_port}" in status
        code, _ = s.data(message("across a reload"))
        assert code == 250  # the session in progress was not dropped
    with smtplib.SMTP("127.0.0.1", new_port, timeout=10) as s:
        s.sendmail("x@outside.test", ["alice@example.test"], message("on the new port"))
    m.wait_for_mail("alice@example.test", 2)
    with pytest.raises(OSError):
        smtplib.SMTP("127.0.0.1", m.port("smtp"), timeout=5)


def test_imported_certificate_reaches_implicit_and_starttls_listeners(
    mailroom: Mailroom, tmp_path: Path
) -> None:
    from cryptography import x509

    from appliance.tls import make_self_signed

    m = mailroom
    # A certificate must name the host name to be taken; a new key tells it apart.
    make_self_signed("mail.example.test", tmp_path / "c.pem", tmp_path / "k.pem")
    imported = x509.load_pem_x509_certificate((tmp_path / "c.pem").read_bytes()).serial_number
    # One half alone would not match the other: refused, nothing changes.
    bad = m.cli("settings", "set", "tls.key", str(tmp_path / "k.pem"), check=False)
    assert bad.returncode == 1 and "do not work together" in bad.stderr
    assert m.cli("settings", "get", "tls.key").stdout.strip() == ""
    out = m.cli("tls", "import", str(tmp_path / "c.pem"), str(tmp_path / "k.pem")).stdout
    assert "CN=mail.example.test, self-signed" in out

    def serial(der: bytes) -> int:
        return x509.load_der_x509_certificate(der).serial_number

    with smtp(m, "smtps") as s:
        assert serial(s.sock.getpeercert(binary_form=True)) == imported
    with smtp(m, "submission") as s:
        s.starttls(context=ssl._create_unverified_context())
        assert serial(s.sock.getpeercert(binary_form=True)) == imported
