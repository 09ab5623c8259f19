"""Domain aliases on a running daemon (issue 9, item 11): smtplib → the real Maildir.

``domain add mail.example.test --alias-of example.test`` makes the host name
another name of the domain, as sendmail's local-host-names does: mail to
bob@mail.example.test lands in bob@example.test's Maildir, and the target
domain's aliases and catch-all apply under the other name too.
"""

from __future__ import annotations

import smtplib
import time

from tests.integration.test_cli import out, refuse
from tests.support.daemon import Mailroom


def send(m: Mailroom, *rcpts: str) -> dict[str, int]:
    """One transaction from an outside sender; the RCPT code of each recipient."""
    codes = {}
    with smtplib.SMTP("127.0.0.1", m.port("smtp"), timeout=10) as s:
        s.ehlo("client.outside.test")
        assert s.mail("someone@outside.test")[0] == 250
        for rcpt in rcpts:
            codes[rcpt] = s.rcpt(rcpt)[0]
        if any(code == 250 for code in codes.values()):
            assert s.data(b"Subject: to another name\r\n\r\nhello\r\n")[0] == 250
    return codes


def not_relayed_from_here(m: Mailroom) -> None:
    """Take 127.0.0.1 out of the relay networks, so an outside domain gets 554 here."""
    out(m, "relay", "del", "127.0.0.1/32")
    deadline = time.monotonic() + 10
    while send(m, "x@outside.test")["x@outside.test"] != 554:  # re-read within a second
        assert time.monotonic() < deadline, "relay change not applied"
        time.sleep(0.05)


def test_mail_to_a_domain_alias_reaches_the_same_mailboxes(mailroom: Mailroom) -> None:
    m = mailroom
    not_relayed_from_here(m)
    assert send(m, "bob@mail.example.test") == {"bob@mail.example.test": 554}  # not ours yet
    assert "alias of example.test" in out(m, "domain", "add", "mail.example.test",
                                          "--alias-of", "example.test")
    assert out(m, "domain", "list").splitlines() == [
        "example.test", "mail.example.test (alias of example.test)"]

    codes = send(m, "bob@mail.example.test", "Staff@Mail.Example.Test",
                 "nobody@mail.example.test")
    assert codes == {"bob@mail.example.test": 250, "Staff@Mail.Example.Test": 250,
                     "nobody@mail.example.test": 550}
    bob = m.wait_for_mail("bob@example.test")
    alice = m.wait_for_mail("alice@example.test")
    assert len(bob) == 1 and len(alice) == 1  # bob once, though named twice
    assert b"hello" in bob[0].read_bytes()
    assert not (m.home / "mail" / "mail.example.test").exists()

    # The target domain's catch-all answers under the other name too.
    out(m, "alias", "add", "@example.test", "alice@example.test")
    assert send(m, "anyone@mail.example.test") == {"anyone@mail.example.test": 250}
    m.wait_for_mail("alice@example.test", 2)

    # Deleting the alias removes just the alias.
    refuse(m, "domain", "del", "example.test", match="account")
    assert "deleted mail.example.test (alias of example.test)" in out(
        m, "domain", "del", "mail.example.test")
    assert out(m, "domain", "list").split() == ["example.test"]
    assert send(m, "bob@mail.example.test") == {"bob@mail.example.test": 554}


def test_domain_alias_cli_refusals(home: Mailroom) -> None:
    refuse(home, "domain", "add", "mail.example.test", "--alias-of", "nowhere.test",
           match="no such domain")
    out(home, "domain", "add", "mail.example.test", "--alias-of", "example.test")
    refuse(home, "domain", "add", "mail.example.test", match="alias of example.test")
    refuse(home, "domain", "add", "x.example.test", "--alias-of", "mail.example.test",
           match="itself an alias")
    refuse(home, "account", "add", "carol@mail.example.test", "--password-stdin",
           input="pw-carol-12\n", match="use carol@example.test")
    out(home, "domain", "add", "example.org")
    out(home, "domain", "add", "www.example.org", "--alias-of", "example.org")
    refuse(home, "domain", "del", "example.org", match="www.example.org")
    out(home, "domain", "del", "www.example.org")
    out(home, "domain", "del", "example.org")
    assert out(home, "domain", "list").splitlines() == [
        "example.test", "mail.example.test (alias of example.test)"]
