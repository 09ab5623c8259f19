"""IMAP over real sockets with imaplib: the protocol, TLS, sessions seeing each other."""

from __future__ import annotations

import imaplib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.admission import Timing
from tests.support.readmail import USERS, ReadMail, client_context, sample_message

ALICE = "alice@example.test"


@pytest.fixture
def mail(tmp_path: Path) -> Iterator[ReadMail]:
    rm = ReadMail(tmp_path / "rm", quota=200_000)
    yield rm
    rm.stop()


def login(mail: ReadMail, user: str = ALICE) -> imaplib.IMAP4:
    c = imaplib.IMAP4("127.0.0.1", mail.port(mail.imap), timeout=10)
    c.login(user, USERS[user])
    return c


def test_select_fetch_store_search(mail: ReadMail) -> None:
    for i in range(3):
        mail.deliver(ALICE, sample_message(f"token-{i}", f"line one\nbody {i}\n"))
    c = login(mail)
    typ, data = c.select("INBOX")
    assert (typ, data) == ("OK", [b"3"])
    assert c.untagged_responses.get("UIDVALIDITY")
    typ, data = c.fetch("1:*", "(UID FLAGS RFC822.SIZE ENVELOPE)")
    assert typ == "OK" and len(data) == 3 and b'"token-2"' in data[2]
    _, data = c.fetch("2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT]<0.8>)")
    assert data[0][1] == b"Subject: token-1\r\n\r\n" and data[1][1] == b"line one"
    _, data = c.fetch("2", "(FLAGS)")
    assert b"\\Seen" not in data[0]  # PEEK leaves \Seen alone
    _, data = c.fetch("2", "(RFC822)")
    assert data[0][1].endswith(b"body 1\r\n") and b"\\Seen" in data[1]
    assert c.search(None, "UNSEEN") == ("OK", [b"1 3"])
    assert c.uid("SEARCH", None, "SUBJECT", '"token-2"') == ("OK", [b"3"])
    assert c.search(None, "BODY", '"body 0"') == ("OK", [b"1"])
    typ, data = c.store("1:2", "+FLAGS", "(\\Flagged $Work)")
    assert typ == "OK" and b"$Work" in data[0]
    assert c.search(None, "KEYWORD", "$Work") == ("OK", [b"1 2"])
    _, data = c.fetch("3", "(BODYSTRUCTURE INTERNALDATE)")
    assert b'BODYSTRUCTURE ("TEXT" "PLAIN"' in data[0]
    c.logout()


def test_copy_move_expunge_uidplus(mail: ReadMail) -> None:
    for i in range(4):
        mail.deliver(ALICE, sample_message(f"m{i}"))
    c = login(mail)
    c.select("INBOX")
    typ, data = c.copy("1:2", "Trash")
    assert typ == "OK" and data[0].startswith(b"[COPYUID ")
    assert data[0].endswith(b" 1:2 1:2] COPY completed")
    typ, data = c.uid("MOVE", "3", "Archive")
    assert typ == "OK"
    assert c.untagged_responses.pop("EXPUNGE") == [b"3"]
    c.store("1", "+FLAGS", "\\Deleted")
    typ, data = c.expunge()
    assert (typ, data) == ("OK", [b"1"])
    assert c.select("INBOX")[1] == [b"2"]
    assert c.status("Archive", "(MESSAGES UIDNEXT)")[1] == [b'"Archive" (MESSAGES 1 UIDNEXT 2)']
    assert c.copy("1", "Nowhere")[1][0].startswith(b"[TRYCREATE]")
    typ, data = c.append("Sent", "(\\Seen)", '"24-Nov-2026 10:00:00 +0100"',
                         sample_message("sent one"))
    assert typ == "OK" and data[0].startswith(b"[APPENDUID ")
    c.select("Sent")
    _, data = c.fetch("1", "(FLAGS INTERNALDATE)")
    assert b"\\Seen" in data[0] and b"24-Nov-2026 09:00:00 +0000" in data[0]
    c.logout()


def test_two_sessions_see_each_others_changes(mail: ReadMail) -> None:
    for i in range(3):
        mail.deliver(ALICE, sample_message(f"m{i}"))
    a, b = login(mail), login(mail)
    a.select("INBOX")
    b.select("INBOX")
    a.store("2", "+FLAGS", "(\\Deleted)")
    a.expunge()
    mail.deliver(ALICE, sample_message("late"))
    b.noop()
    assert b.untagged_responses.pop("EXPUNGE") == [b"2"]
    assert b.untagged_responses.pop("EXISTS")[-1] == b"3"
    a.store("1", "+FLAGS", "(\\Answered)")
    typ, data = b.noop()
    assert any(b"\\Answered" in d for d in b.untagged_responses.get("FETCH", []))
    # During FETCH the other session's EXPUNGE is held back (RFC 3501 7.4.1).
    a.store("1", "+FLAGS", "(\\Deleted)")
    a.expunge()
    b.fetch("1", "(FLAGS)")
    assert "EXPUNGE" not in b.untagged_responses
    b.noop()
    assert b.untagged_responses.pop("EXPUNGE") == [b"1"]
    a.logout()
    b.logout()


def test_idle_sees_delivery_within_a_second(mail: ReadMail) -> None:
    c = imaplib.IMAP4("127.0.0.1", mail.port(mail.imap), timeout=10)
    c.login(ALICE, USERS[ALICE])
    c.select("INBOX")
    sock = c.sock
    tag = b"I1"
    sock.sendall(tag + b" IDLE\r\n")
    f = sock.makefile("rb")
    assert f.readline().startswith(b"+")
    started = time.monotonic()
    threading.Timer(0.2, lambda: mail.deliver(ALICE, sample_message("pushed"))).start()
    line = f.readline()
    assert line == b"* 1 EXISTS\r\n" and time.monotonic() - started < 1.2
    assert f.readline() == b"* 1 RECENT\r\n"
    sock.sendall(b"DONE\r\n")
    assert f.readline().startswith(tag + b" OK")
    sock.close()


def test_uids_survive_restart(tmp_path: Path) -> None:
    rm = ReadMail(tmp_path / "rm")
    for i in range(3):
        rm.deliver(ALICE, sample_message(f"m{i}"))
    c = login(rm)
    c.select("INBOX")
    c.store("1", "+FLAGS", "\\Deleted")
    c.expunge()
    before = c.uid("SEARCH", None, "ALL")[1]
    validity = c.untagged_responses["UIDVALIDITY"]
    c.logout()
    rm.stop()
    rm2 = ReadMail(tmp_path / "rm")  # same data directory, new servers and store
    c = login(rm2)
    c.select("INBOX")
    assert c.uid("SEARCH", None, "ALL")[1] == before == [b"2 3"]
    assert c.untagged_responses["UIDVALIDITY"] == validity
    c.logout()
    rm2.stop()


def test_mailbox_names(mail: ReadMail) -> None:
    c = login(mail)
    assert c.create("Projekte/&AMQ-rger")[0] == "OK"  # "Projekte/Ärger" in modified UTF-7
    _, data = c.list('""', "*")
    assert b'(\\HasChildren) "/" "Projekte"' in data
    assert b'(\\HasNoChildren) "/" "Projekte/&AMQ-rger"' in data
    assert b'(\\HasNoChildren \\Sent) "/" "Sent"' in data
    _, data = c.list('""', "%")
    assert not any(b"&AMQ-rger" in d for d in data)
    for bad in ("../escape", "/etc", "a//b", "x.y", '"a\\\\b"', "&Jjo"):
        typ, data = c.create(bad)
        assert typ == "NO", bad
    assert not any(p.name.startswith(".escape") for p in mail.store.root.rglob("*"))
    assert c.rename("Projekte", "Archiv")[0] == "OK"
    assert c.select("Archiv/&AMQ-rger")[0] == "OK"
    assert c.delete("INBOX")[0] == "NO"
    assert c.select("Nope")[1][0].startswith(b"[NONEXISTENT]")
    c.logout()


def test_quota(mail: ReadMail) -> None:
    mail.quota = 10_000
    c = login(mail)
    typ, data = c.getquotaroot("INBOX")
    assert typ == "OK" and data[1] == [b'"" (STORAGE 0 9)']
    typ, data = c.append("INBOX", None, None, b"Subject: big\r\n\r\n" + b"x" * 20_000)
    assert typ == "NO" and data[0].startswith(b"[OVERQUOTA]")
    c.logout()


def test_starttls_and_plaintext_policy(tmp_path: Path) -> None:
    rm = ReadMail(tmp_path / "rm", loopback_plaintext=False)
    try:
        c = imaplib.IMAP4("127.0.0.1", rm.port(rm.imap), timeout=10)
        assert "LOGINDISABLED" in c.capabilities and "STARTTLS" in c.capabilities
        with pytest.raises(imaplib.IMAP4.error, match="PRIVACYREQUIRED"):
            c.login(ALICE, USERS[ALICE])
        c.starttls(client_context(rm.cert))
        assert "AUTH=PLAIN" in c.capabilities
        assert c.authenticate("PLAIN", lambda _: f"\0{ALICE}\0{USERS[ALICE]}".encode())[0] == "OK"
        c.logout()
        s = imaplib.IMAP4_SSL("127.0.0.1", rm.port(rm.imaps), ssl_context=client_context(rm.cert))
        assert s.login(ALICE, USERS[ALICE])[0] == "OK"
        s.logout()
    finally:
        rm.stop()


def test_bad_input_and_limits(mail: ReadMail) -> None:
    c = login(mail)
    c.select("INBOX")
    for args in (("FETCH",), ("FETCH", "1:*", "(BODY[0])"), ("SEARCH", "BOGUS")):
        with pytest.raises(imaplib.IMAP4.error):
            getattr(c, args[0].lower())(None, *args[1:]) if args[0] == "SEARCH" \
                else c._simple_command(*args)
    sock = socket.create_connection(("127.0.0.1", mail.port(mail.imap)), timeout=5)
    f = sock.makefile("rb")
    f.readline()
    sock.sendall(b"a1 LOGIN x\r\na2 FROB\r\na3 APPEND INBOX {999999999}\r\n")
    assert f.readline().startswith(b"a1 BAD")
    assert f.readline().startswith(b"a2 BAD")
    assert f.readline().startswith(b"* BAD literal too large")
    sock.sendall(b"a4 NOOP " + b"x" * 70_000 + b"\r\n")
    assert f.readline().startswith(b"* BAD line too long")
    assert f.readline() == b""  # and the server hangs up
    sock.close()
    c.logout()


def test_auth_failures(mail: ReadMail) -> None:
    c = imaplib.IMAP4("127.0.0.1", mail.port(mail.imap), timeout=10)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        c.login(ALICE, "wrong")
    assert mail.failed_logins == [ALICE]
    assert c.login(ALICE, USERS[ALICE])[0] == "OK"
    c.logout()


def test_fetch_many_bodies_in_batches(mail: ReadMail) -> None:
    """Enough messages for several pipelined batches; every body arrives intact, in order."""
    mail.quota = 0
    bodies = {i: f"message {i}\n" + "x" * (i * 37 % 3000) + "\n.dot line\n" for i in range(300)}
    for i, body in bodies.items():
        mail.deliver(ALICE, sample_message(f"bulk-{i}", body))
    c = login(mail)
    c.select("INBOX", readonly=True)
    typ, data = c.fetch("1:*", "(UID BODY.PEEK[] BODY.PEEK[]<0.6> RFC822.SIZE)")
    assert typ == "OK"
    literals = [d for d in data if isinstance(d, tuple)]  # imaplib: one per literal
    assert len(literals) == 600
    for n in range(300):
        (head, whole), (part_head, part) = literals[2 * n], literals[2 * n + 1]
        assert head.startswith(f"{n + 1} (UID {n + 1} BODY[] {{".encode())
        tail = f"message {n}\n" + bodies[n].split("\n", 1)[1]
        assert whole.endswith(tail.replace("\n", "\r\n").encode())
        assert part_head.endswith(b"BODY[]<0> {6}") and part == b"Return"
    assert f"RFC822.SIZE {len(literals[0][1])})".encode() in data[2]
    _, data = c.fetch("1:*", "(INTERNALDATE)")
    assert len(data) == 300 and b'INTERNALDATE "' in data[0]
    c.logout()


def test_connection_caps(tmp_path: Path) -> None:
    rm = ReadMail(tmp_path / "caps")
    try:
        rm.imap.max_connections_per_ip = 2
        first = [login(rm) for _ in range(2)]
        with socket.create_connection(("127.0.0.1", rm.port(rm.imap)), timeout=5) as s:
            assert s.recv(200).startswith(b"* BYE [UNAVAILABLE]")
            assert s.recv(200) == b""  # and hung up
        first[0].logout()
        deadline = time.monotonic() + 5
        while rm.imap.connections >= 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        login(rm).logout()  # a slot is free again
        first[1].logout()
        rm.pop3.max_connections = 1
        rm.pop3.admission.timing = Timing(evict_after=3600)  # no idle session gives way here
        with socket.create_connection(("127.0.0.1", rm.port(rm.pop3)), timeout=5) as a:
            assert a.recv(200).startswith(b"+OK")
            with socket.create_connection(("127.0.0.1", rm.port(rm.pop3)), timeout=5) as b:
                assert b.recv(200).startswith(b"-ERR [SYS/TEMP] too many connections")
    finally:
        rm.stop()
