"""A POP3 or IMAP client that vanishes mid-session (no QUIT) must not hold anything.

Raw sockets, so the test decides exactly how the connection ends: a close
(FIN), a reset (SO_LINGER 0), or a close in the middle of a large RETR the
client never reads. After each, a new login gets in within a second and
the DELE of the dropped session is forgotten (RFC 1939: no UPDATE without
QUIT).
"""

from __future__ import annotations

import contextlib
import poplib
import socket
import struct
import time
from collections.abc import Iterator

import pytest

from tests.support.readmail import USERS, ReadMail, client_context, sample_message

ALICE = "alice@example.test"
BIG_LINES = 100_000  # about 7.7 MB: more than the kernel's socket buffers hold


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadMail]:
    rm = ReadMail(tmp_path_factory.mktemp("pop3drop") / "rm")
    rm.deliver(ALICE, sample_message("small"))
    rm.deliver(ALICE, sample_message("big", ("x" * 76 + "\n") * BIG_LINES))
    yield rm
    rm.stop()


def recv_line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(1)
        if not chunk:
            raise AssertionError(f"connection closed; got {data!r}")
        data += chunk
    return data


def logged_in(mail: ReadMail, *, tls: bool = False) -> socket.socket:
    """A raw session in the TRANSACTION state that has marked message 1 deleted."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # stall the server's writes early
    sock.settimeout(10)
    sock.connect(("127.0.0.1", mail.port(mail.pop3)))
    assert recv_line(sock).startswith(b"+OK")
    if tls:
        sock.sendall(b"STLS\r\n")
        assert recv_line(sock).startswith(b"+OK")
        sock = client_context(mail.cert).wrap_socket(sock, server_hostname="localhost")
    for command in (f"USER {ALICE}", f"PASS {USERS[ALICE]}", "DELE 1"):
        sock.sendall(command.encode() + b"\r\n")
        line = recv_line(sock)
        assert line.startswith(b"+OK"), (command, line)
    return sock


def login_within(mail: ReadMail, seconds: float) -> int:
    """Log in as soon as the maildrop is free; the message count. Fails after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        c = poplib.POP3("127.0.0.1", mail.port(mail.pop3), timeout=10)
        try:
            c.user(ALICE)
            c.pass_(USERS[ALICE])
            count = c.stat()[0]
            c.quit()
            return count
        except poplib.error_proto as exc:
            c.close()
            if b"IN-USE" not in exc.args[0] or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def in_big_retr(sock: socket.socket) -> None:
    sock.sendall(b"RETR 2\r\n")
    assert recv_line(sock).startswith(b"+OK")  # the server is writing the message now


def reset(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def half_close(sock: socket.socket) -> None:
    # A FIN but no reading: the server's write stays blocked on a full window.
    sock.shutdown(socket.SHUT_WR)


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "stls"])
@pytest.mark.parametrize(
    "drop",
    [
        pytest.param(lambda s: s.close(), id="close"),
        pytest.param(reset, id="reset"),
        pytest.param(lambda s: (in_big_retr(s), s.close()), id="close-in-retr"),
        pytest.param(lambda s: (in_big_retr(s), reset(s)), id="reset-in-retr"),
        pytest.param(lambda s: (in_big_retr(s), half_close(s)), id="fin-in-retr"),
    ],
)
def test_dropped_session_frees_the_maildrop_and_forgets_its_deletes(
    mail: ReadMail, drop: object, tls: bool
) -> None:
    sock = logged_in(mail, tls=tls)
    try:
        drop(sock)  # type: ignore[operator]
        assert login_within(mail, 2.0) == 2  # about 1 s asked; DELE 1 forgotten
    finally:
        sock.close()


def test_imap_session_ends_when_the_client_hangs_up_in_a_big_fetch(mail: ReadMail) -> None:
    """The same class of leak in IMAP: a session stuck writing to a client that sent FIN."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", mail.port(mail.imap)))
    try:
        recv_line(sock)
        sock.sendall(f"a LOGIN {ALICE} {USERS[ALICE]}\r\nb SELECT INBOX\r\n".encode())
        while not recv_line(sock).startswith(b"b OK"):
            pass
        sock.sendall(b"c FETCH 1:* (BODY.PEEK[])\r\n")
        recv_line(sock)  # the server is writing
        half_close(sock)
        deadline = time.monotonic() + 2.0
        while mail.imap.connections and time.monotonic() < deadline:
            time.sleep(0.02)
        assert mail.imap.connections == 0
    finally:
        sock.close()


@pytest.mark.parametrize("stalled_in", ["command", "retr"])
def test_new_login_ends_a_stalled_session_that_holds_the_maildrop(
    mail: ReadMail, stalled_in: str
) -> None:
    """A phone out of coverage sends no FIN and no RST: its session just goes quiet.
    The owner's next login ends it instead of getting [IN-USE] until the time-out."""
    mail.pop3.takeover_after = 0.2
    sock = logged_in(mail)
    try:
        if stalled_in == "retr":
            in_big_retr(sock)  # and never reads the rest
        assert login_within(mail, 2) == 2  # DELE 1 of the stalled session forgotten
        sock.settimeout(10)  # the stalled session was closed: no time-out here
        with contextlib.suppress(ConnectionResetError):
            while sock.recv(1 << 20):
                pass  # what the server had written before
    finally:
        mail.pop3.takeover_after = 5.0
        sock.close()
