"""Webmail end to end: Debian's Roundcube served by the daemon's web stack, in Debian's chromium.

One browser session logs in as alice, reads the INBOX (a message sent by
SMTP), sends to bob (bob's Maildir receives it), makes a filter on the
Filters tab (ManageSieve) that files mail into a folder, and logs out.
Playwright drives /usr/bin/chromium; its own browsers are never downloaded.
"""

from __future__ import annotations

import imaplib
import os
import shutil
import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.secrets import SecretStore
from appliance.state import State
from tests.support.daemon import Mailroom, make_mailroom
from tests.support.waiting import wait

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
WEBMAIL_PORT = 443
GUESSER = "203.0.113.9"


def _need(ok: bool, what: str) -> None:
    if ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing (packaging/deps.sh test installs it)")
    pytest.skip(f"{what} is not installed (bash packaging/deps.sh test)")


@pytest.fixture(scope="module")
def webmail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mailroom]:
    from appliance.webmail.packages import missing

    _need(not missing(), "Roundcube / php-fpm / nginx")
    m = make_mailroom(tmp_path_factory.mktemp("webmail"))
    state = State(m.home / "mailroom.db")  # two settings without two CLI start-ups
    state.set_setting("auth.failure_delay_ms", 0)
    state.set_setting("auth.max_failures", 3)
    state.close()
    m.start()
    try:
        enabled = m.cli("webmail", "enable")
        assert f"serving on https://mail.example.test:{WEBMAIL_PORT + m.offset}/webmail/" \
            in enabled.stdout, enabled.stdout + enabled.stderr
        yield m
    finally:
        m.stop()


def url(m: Mailroom) -> str:
    return f"https://127.0.0.1:{WEBMAIL_PORT + m.offset}/webmail/"


def smtp_to(m: Mailroom, rcpt: str, subject: str) -> None:
    with smtplib.SMTP("127.0.0.1", m.port("smtp"), timeout=10) as s:
        s.sendmail("x@outside.test", [rcpt],
                   f"From: x@outside.test\r\nTo: {rcpt}\r\nSubject: {subject}\r\n\r\n"
                   "hello\r\n".encode())


def subjects(folder: Path) -> list[str]:
    out = []
    for sub in ("new", "cur"):
        d = folder / sub
        for f in d.iterdir() if d.is_dir() else []:
            for line in f.read_text(errors="replace").splitlines():
                if line.startswith("Subject:"):
                    out.append(line[8:].strip())
                    break
                if not line:
                    break
    return out


def test_webmail_end_to_end(webmail: Mailroom, tmp_path: Path) -> None:
    # One test, one daemon: the steps build on each other (the browser's login
    # makes the Roundcube database that disable must keep).
    read_send_filter_in_the_browser(webmail, tmp_path)
    failed_web_logins_count_for_the_browser_address(webmail)
    status_and_disable_keep_the_users_settings(webmail)


def read_send_filter_in_the_browser(webmail: Mailroom, tmp_path: Path) -> None:
    _need(Path(CHROMIUM).exists() and shutil.which("chromium") is not None, "chromium")
    from playwright.sync_api import sync_playwright

    m = webmail
    maildir = m.home / "mail" / "example.test"
    smtp_to(m, "alice@example.test", "Hello from SMTP")
    m.wait_for_mail("alice@example.test")
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
            ignore_https_errors=True, viewport={"width": 1280, "height": 800})
        try:
            page = browser.new_page()
            page.set_default_timeout(15000)
            page.goto(url(m))
            page.fill("#rcmloginuser", "alice@example.test")
            page.fill("#rcmloginpwd", "pw-alice-1")
            page.click("#rcmloginsubmit")
            page.wait_for_selector("#messagelist tbody tr:has-text('Hello from SMTP')")
            page.screenshot(path=str(tmp_path / "inbox.png"))
            cookies = {c["name"]: c for c in browser.cookies()}
            session = cookies["roundcube_sessid"]
            assert session["secure"] and session["httpOnly"]

            # Send to bob: through our submission port with alice's own login.
            page.goto(url(m) + "?_task=mail&_action=compose")
            page.fill("#compose_to ul.recipient-input input", "bob@example.test")
            page.fill("#compose-subject", "Lunch from the web")
            page.fill("#composebody", "See you at noon.")
            page.click("button.btn.send")
            wait(lambda: "Lunch from the web" in subjects(maildir / "bob"),
                 what="bob receives the web mail")

            # A filter on the Filters tab lands in alice's Sieve script (ManageSieve).
            page.goto(url(m) + "?_task=settings&_action=plugin.managesieve")
            page.click("a.create")
            form = page.frame_locator("#filter-box")
            form.locator("#_name").fill("Reports")
            form.locator("input[name='_rule_target[0][]']").first.fill("quarterly")
            form.locator("#action_mailbox0").select_option("Archive")
            form.get_by_role("button", name="Save").click()
            script = maildir / "alice" / ".dovecot.sieve"
            wait(lambda: script.exists() and "quarterly" in script.read_text(),
                 what="the filter saved as alice's active script")
            smtp_to(m, "alice@example.test", "The quarterly report")
            wait(lambda: "The quarterly report" in subjects(maildir / "alice" / ".Archive"),
                 what="mail filed into Archive by the web-made filter")

            page.goto(url(m))
            page.wait_for_load_state("networkidle")
            page.click("a.logout")
            page.wait_for_selector("#rcmloginuser")
            assert "roundcube_sessauth" not in {c["name"] for c in browser.cookies()
                                                if c["value"] not in ("", "-del-")}
        finally:
            browser.close()
    print(f"INBOX screenshot: {tmp_path / 'inbox.png'}")


def _plain(authz: str, user: str, password: str) -> bytes:
    return f"{authz}\0{user}\0{password}".encode()


def failed_web_logins_count_for_the_browser_address(webmail: Mailroom) -> None:
    """What the webmail's plugin sends: the browser's address in PLAIN's authzid."""
    m = webmail
    token = SecretStore.in_data_dir(m.home).get("webmail.proxy_token")
    assert token
    authz = f"mailroom-proxy:{token}:{GUESSER}"
    try:
        for attempt in range(3):
            guess = _plain(authz, "alice@example.test", f"guess{attempt}")
            imap = imaplib.IMAP4("127.0.0.1", m.port("imap"), timeout=10)
            with pytest.raises(imaplib.IMAP4.error):
                imap.authenticate("PLAIN", lambda _, guess=guess: guess)
            imap.shutdown()
        assert GUESSER in m.cli("ban", "list").stdout
        assert f"authentication failed for alice@example.test from [{GUESSER}]" in m.log_text()
        # The banned browser cannot log in through the webmail, even with the password.
        imap = imaplib.IMAP4("127.0.0.1", m.port("imap"), timeout=10)
        with pytest.raises(imaplib.IMAP4.error):
            imap.authenticate("PLAIN", lambda _: _plain(authz, "alice@example.test",
                                                        "pw-alice-1"))
        imap.shutdown()
    finally:
        m.cli("ban", "del", GUESSER)
    # Without the token, naming another address is refused outright.
    imap = imaplib.IMAP4("127.0.0.1", m.port("imap"), timeout=10)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHORIZATIONFAILED"):
        imap.authenticate("PLAIN", lambda _: _plain(f"mailroom-proxy:wrong:{GUESSER}",
                                                    "alice@example.test", "pw-alice-1"))
    imap.shutdown()
    # With it, the right password logs in.
    imap = imaplib.IMAP4("127.0.0.1", m.port("imap"), timeout=10)
    imap.authenticate("PLAIN", lambda _: _plain(authz, "alice@example.test", "pw-alice-1"))
    imap.logout()


def status_and_disable_keep_the_users_settings(webmail: Mailroom) -> None:
    m = webmail
    status = m.cli("webmail", "status")
    assert status.stdout.strip() == \
        f"serving on https://mail.example.test:{WEBMAIL_PORT + m.offset}/webmail/"
    pids = [int(p) for p in (m.home / "webmail" / "run").glob("*.pid")
            for p in [p.read_text().strip()]]
    assert len(pids) == 2
    m.cli("webmail", "disable")
    wait(lambda: not any(Path(f"/proc/{pid}").exists() for pid in pids),
         what="nginx and php-fpm gone")
    assert m.cli("webmail", "status").stdout.startswith("disabled")
    assert (m.home / "webmail" / "db" / "roundcube.sqlite").stat().st_size > 0
