"""Third-party clients against the IMAP and POP3 servers: curl, fetchmail, mbsync, getmail.

Needs the Debian packages curl, fetchmail, isync and getmail6; each test is
skipped when its client is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.readmail import USERS, ReadMail, sample_message

ALICE = "alice@example.test"
PW = USERS[ALICE]


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed")
    return path


@pytest.fixture
def mail(tmp_path: Path) -> Iterator[ReadMail]:
    rm = ReadMail(tmp_path / "rm")
    rm.deliver(ALICE, sample_message("token-7f3a", "first body\n"))
    rm.deliver(ALICE, sample_message("second", ".dot line\nmore\n"))
    yield rm
    rm.stop()


def run(args: list[str], home: Path, **kw: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home)}
    return subprocess.run(args, capture_output=True, text=True, timeout=60, env=env,
                          check=False, **kw)  # type: ignore[call-overload]


def test_curl_pop3_and_imaps(mail: ReadMail, tmp_path: Path) -> None:
    curl = need("curl")
    pop = run([curl, "-s", "--ssl-reqd", "-k", f"pop3://127.0.0.1:{mail.port(mail.pop3)}/1",
               "-u", f"{ALICE}:{PW}"], tmp_path)
    assert pop.returncode == 0 and "Subject: token-7f3a" in pop.stdout
    imaps = run([curl, "-s", "-k", f"imaps://127.0.0.1:{mail.port(mail.imaps)}/INBOX;UID=1",
                 "-u", f"{ALICE}:{PW}"], tmp_path)
    assert imaps.returncode == 0 and "Subject: token-7f3a" in imaps.stdout
    listing = run([curl, "-s", "--ssl-reqd", "-k", f"imap://127.0.0.1:{mail.port(mail.imap)}/",
                   "-u", f"{ALICE}:{PW}"], tmp_path)
    assert '\\Sent) "/" "Sent"' in listing.stdout
    wrong = run([curl, "-s", "-k", f"pop3s://127.0.0.1:{mail.port(mail.pop3s)}/1",
                 "-u", f"{ALICE}:nope"], tmp_path)
    assert wrong.returncode != 0


@pytest.mark.parametrize("protocol", ["pop3", "imap"])
def test_fetchmail(mail: ReadMail, tmp_path: Path, protocol: str) -> None:
    fetchmail = need("fetchmail")
    out = tmp_path / "fetched.mbox"
    if protocol == "pop3":
        where = f"service {mail.port(mail.pop3)} protocol pop3"
        tls = "sslproto tls1.2+"  # STLS upgrade on the plain port
    else:
        where = f"service {mail.port(mail.imaps)} protocol imap"
        tls = "ssl sslproto tls1.2+"
    rc = tmp_path / "fetchmailrc"
    rc.write_text(
        f"set no bouncemail\npoll 127.0.0.1 {where} auth password\n"
        f'  user "{ALICE}" password "{PW}" is "x" here\n'
        f"  {tls} sslcertck sslcertfile {mail.cert} sslcommonname localhost\n"
        f"  keep fetchall\n  mda \"/bin/sh -c 'cat >> {out}'\"\n"
    )
    rc.chmod(0o600)
    result = run([fetchmail, "-f", str(rc), "--nodetach", "-i", str(tmp_path / "ids")], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    text = out.read_text()
    assert "Subject: token-7f3a" in text and "Subject: second" in text
    assert "\n.dot line\n" in text  # dot-stuffing undone by the client


def test_mbsync_two_way(mail: ReadMail, tmp_path: Path) -> None:
    mbsync = need("mbsync")
    local = tmp_path / "local"
    local.mkdir()
    rc = tmp_path / "mbsyncrc"
    rc.write_text(
        f"IMAPAccount mr\nHost 127.0.0.1\nPort {mail.port(mail.imaps)}\nUser {ALICE}\n"
        f"Pass {PW}\nSSLType IMAPS\nCertificateFile {mail.cert}\n\n"
        "IMAPStore remote\nAccount mr\n\n"
        f"MaildirStore local\nPath {local}/\nInbox {local}/INBOX\nSubFolders Verbatim\n\n"
        "Channel ch\nFar :remote:\nNear :local:\nPatterns *\nCreate Both\nExpunge Both\n"
        "SyncState *\n"
    )
    first = run([mbsync, "-c", str(rc), "-a"], tmp_path)
    assert first.returncode == 0, first.stderr
    inbox = local / "INBOX"
    files = sorted((inbox / "cur").iterdir()) + sorted((inbox / "new").iterdir())
    assert len(files) == 2 and (local / "Sent").is_dir()
    # Flag the first message locally (\Flagged + \Seen), add a local folder message.
    target = files[0]
    base = target.name.split(":", 1)[0]
    target.rename(local / "INBOX" / "cur" / f"{base}:2,FS")
    mail.deliver(ALICE, sample_message("third"))
    second = run([mbsync, "-c", str(rc), "-a"], tmp_path)
    assert second.returncode == 0, second.stderr
    acct = mail.store.account(ALICE)
    state = acct.open("INBOX")
    assert any("\\Flagged" in f for f in state.flags.values()), state.flags
    assert len([*(inbox / "cur").iterdir(), *(inbox / "new").iterdir()]) == 3


def test_getmail(mail: ReadMail, tmp_path: Path) -> None:
    getmail = need("getmail")
    out = tmp_path / "got.mbox"
    out.touch()
    rc = tmp_path / "getmailrc"
    rc.write_text(
        "[retriever]\ntype = SimplePOP3SSLRetriever\nserver = 127.0.0.1\n"
        f"port = {mail.port(mail.pop3s)}\nusername = {ALICE}\npassword = {PW}\n"
        f"ca_certs = {mail.cert}\n\n"
        # getmail refuses mbox/Maildir delivery as root (CI runs as root): pipe instead.
        "[destination]\ntype = MDA_external\npath = /bin/sh\n"
        f"arguments = (\"-c\", \"cat >> {out}\")\nallow_root_commands = true\n\n"
        "[options]\nread_all = true\ndelete = false\nverbose = 0\n"
    )
    result = run([getmail, "--rcfile", str(rc), "--getmaildir", str(tmp_path)], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Subject: token-7f3a" in out.read_text()
