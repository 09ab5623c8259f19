"""Importing the sample sendmail setup into a running daemon, then mail against the result."""

from __future__ import annotations

import shutil
import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.control.client import ControlClient
from appliance.control.setup import initialize
from appliance.home import Home
from tests.support.daemon import Mailroom
from tests.support.waiting import wait

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "sendmail"
# The accounts the import needs here (each costs an argon2 hash); the rest are reported.
USERS = ["bob", "std01", "lin", "localuser2", "localuser3"]
OUTSIDER, SPAMMER = "127.0.0.9", "127.0.0.10"  # not in the relay networks


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Mailroom]:
    home = Mailroom(tmp_path / "home")
    initialize(Home(home.home), "mail.example.test", "example.test")  # in-process: quicker
    client = ControlClient(Home(home.home))
    try:
        for user in USERS:
            client.call("account.add", address=f"{user}@example.test", password="pw-long-1-x")
    finally:
        client.close()
    home.start()
    try:
        yield home
    finally:
        home.stop()


def smtp_from(m: Mailroom, source: str) -> smtplib.SMTP:
    s = smtplib.SMTP("127.0.0.1", m.port("smtp"), source_address=(source, 0), timeout=10)
    s.ehlo("client.outside.test")
    return s


def test_import_sendmail_dry_run_then_apply_then_mail(daemon: Mailroom, tmp_path: Path) -> None:
    m = daemon
    homes = tmp_path / "homes"
    (homes / "std01").mkdir(parents=True)
    shutil.copy(SAMPLES / "forward", homes / "std01" / ".forward")
    (homes / "lin").mkdir()
    shutil.copy(SAMPLES / "procmailrc", homes / "lin" / ".procmailrc")

    dry = m.cli("import", "sendmail", str(SAMPLES), "--home-root", str(homes), "--dry-run")
    out = dry.stdout
    assert "+ relay network 192.168.1.0/24  [access:7]" in out
    assert "+ client 203.0.113.0/24: refused  [access:10]" in out
    assert "+ mail.example.test: another name of example.test" in out
    assert "+ alias info@example.test → std01@example.test  [virtusertable:1]" in out
    assert "std01@example.test forwards to localuser2@example.test" in out
    assert "! access:13: To:partner.outside.test RELAY" in out
    assert "! virtusertable:4: @old.example.test error:nouser 550 No such user here" in out
    assert "! aliases:30:" in out and "! aliases:31:" in out
    assert "(dry run: nothing changed)" in out
    client = ControlClient(Home(m.home))
    assert "192.168.1.0/24" not in client.call("relay.list")  # nothing changed

    done = m.cli("import", "sendmail", str(SAMPLES), "--home-root", str(homes))
    assert "Applied" in done.stdout, done.stderr
    assert "192.168.1.0/24" in client.call("relay.list")
    assert {"name": "mail.example.test", "alias_of": "example.test"} in client.call("domain.show")
    assert {"kind": "sender", "key": "bulk@outside.test", "action": "discard", "reply": "",
            "note": "imported from access:12"} in client.call("access.list")
    aliases = client.call("alias.list")
    assert aliases["info@example.test"] == ["std01@example.test"]
    assert aliases["teachers@example.test"] == ["lin@example.test"]  # chen.pk: no account
    client.close()
    again = m.cli("import", "sendmail", str(SAMPLES), "--dry-run").stdout
    assert "= relay network 192.168.1.0/24" in again  # a second run knows it is done

    # The access list at work: a sender refused at MAIL, a client at RCPT, a discard.
    s = smtp_from(m, SPAMMER)
    code, text = s.mail("someone@spam.outside.test")
    assert code == 554 and b"Sender address rejected" in text
    code, _ = s.mail("bulk@outside.test")
    assert code == 250
    assert s.rcpt("bob@example.test")[0] == 250
    code, text = s.data(b"Subject: bulk\r\n\r\nbuy\r\n")
    assert code == 250 and b"discarded" in text
    s.quit()
    m.cli("access", "add", "client", OUTSIDER, "error", "--reply", "550 5.7.1 Not you")

    def refused() -> bytes:
        s = smtp_from(m, OUTSIDER)
        try:
            s.mail("x@outside.test")
            code, text = s.rcpt("bob@example.test")
            return text if code == 550 else b""
        finally:
            s.quit()

    assert b"Not you" in wait(refused, what="the client rule in force")
    with smtplib.SMTP("127.0.0.1", m.port("smtp"), timeout=10) as s:  # relay network: exempt
        s.sendmail("x@outside.test", ["info@example.test"], b"Subject: hi\r\n\r\nhello\r\n")
    m.wait_for_mail("localuser2@example.test")  # info -> std01, who forwards (.forward)
    assert not m.maildir_files("bob@example.test")  # the discarded one never arrived
    bad = m.cli("access", "add", "client", "mail.outside.test", "reject", check=False)
    assert bad.returncode == 1 and "matches clients by address" in bad.stderr
    missing = m.cli("import", "sendmail", str(tmp_path / "nowhere"), check=False)
    assert missing.returncode == 1 and "is not a folder" in missing.stderr
