"""Smoke test of the frozen program (PyInstaller): the same checks as from source.

init, serve on high ports, a message in by SMTP and out by IMAP, the
sendmail link, the GUI's screenshots mode offscreen, and both builds'
--version. Uses dist/ from `make package`.
"""

from __future__ import annotations

import imaplib
import os
import smtplib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.version import __version__
from tests.support.daemon import Mailroom
from tests.support.dnsserver import serving
from tests.support.sink import SinkHandler, port_free_on, sink
from tests.support.waiting import wait

MESSAGE = (
    "From: x@outside.test\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\r\n"
    "hello from the frozen program\r\n"
)


@pytest.mark.parametrize("build", ["onefolder", "onefile"])
def test_version(build: str, request: pytest.FixtureRequest) -> None:
    program: Path = request.getfixturevalue(build)
    out = subprocess.run([str(program), "--version"], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == f"mailroom {__version__}"


@pytest.fixture
def frozen(tmp_path: Path, onefolder: Path) -> Iterator[Mailroom]:
    m = Mailroom(tmp_path / "home", program=[str(onefolder)])
    m.cli("init", "--hostname", "mail.example.test", "--domain", "example.test")
    m.cli("account", "add", "alice@example.test", "--password-stdin", input="pw-alice-1\n")
    m.start()
    try:
        yield m
    finally:
        m.stop()


def _imap_subjects(m: Mailroom) -> list[str]:
    with imaplib.IMAP4("127.0.0.1", m.port("imap")) as imap:
        imap.starttls()
        imap.login("alice@example.test", "pw-alice-1")
        imap.select("INBOX", readonly=True)
        _, data = imap.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    return [part[1].decode().strip() for part in data if isinstance(part, tuple)]


def test_mail_in_by_smtp_and_sendmail_link_out_by_imap(frozen: Mailroom,
                                                       tmp_path: Path) -> None:
    with smtplib.SMTP("127.0.0.1", frozen.port("smtp"), timeout=30) as smtp:
        smtp.sendmail("x@outside.test", ["alice@example.test"],
                      MESSAGE.format(subject="by smtp"))
    frozen.wait_for_mail("alice@example.test", 1)

    # Called through a link named sendmail, the one program behaves as sendmail.
    links = tmp_path / "bin"
    links.mkdir()
    (links / "sendmail").symlink_to(frozen.program[0])
    subprocess.run([str(links / "sendmail"), "-i", "alice@example.test"],
                   input=MESSAGE.format(subject="by sendmail").replace("\r\n", "\n"),
                   text=True, env=frozen.env, timeout=60, check=True)
    frozen.wait_for_mail("alice@example.test", 2)

    subjects = wait(lambda: (s := _imap_subjects(frozen)) and len(s) == 2 and s,
                    what="both messages over IMAP")
    assert sorted(subjects) == ["Subject: by sendmail", "Subject: by smtp"]
    status = frozen.cli("status")
    assert "smtp" in status.stdout and "running" in status.stdout


def test_mail_out_by_the_frozen_delivery_process(frozen: Mailroom) -> None:
    """The frozen binary starts its own hidden delivery-worker subcommand, which signs and sends."""
    port = port_free_on(["127.0.0.4"])
    zone = {"far.test": {"MX": [(10, "mx.far.test")]}, "mx.far.test": {"A": ["127.0.0.4"]}}
    with sink("127.0.0.4", port, SinkHandler()) as handler, serving(zone) as dns:
        for key, value in (("dns.nameservers", dns.nameserver),
                           ("delivery.remote_port", str(port))):
            frozen.cli("settings", "set", key, value)
        frozen.cli("reload")
        with smtplib.SMTP("127.0.0.1", frozen.port("smtp"), timeout=30) as smtp:
            smtp.sendmail("alice@example.test", ["bob@far.test"],
                          MESSAGE.format(subject="out").replace("x@outside.test",
                                                                "alice@example.test"))
        got = wait(lambda: handler.received, timeout=60, what="the message at the far side")
    assert b"DKIM-Signature:" in got[0].content
    status = frozen.cli("status")
    assert "sending: delivery process pid" in status.stdout


def test_screenshots_mode_offscreen(onefolder: Path, tmp_path: Path) -> None:
    out = tmp_path / "shots"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    result = subprocess.run([str(onefolder), "screenshots", str(out)], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    pictures = sorted(p.name for p in out.glob("*.png"))
    assert len(pictures) >= 5, pictures
    assert all((out / p).stat().st_size > 1000 for p in pictures)
