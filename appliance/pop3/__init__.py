"""POP3 server (RFC 1939, CAPA/RESP-CODES RFC 2449, STLS RFC 2595, SASL PLAIN RFC 5034).

POP3 serves the account's INBOX. UIDLs are Dovecot's default format
(``%08Xu%08Xv``: UID then UIDVALIDITY in hex), so they stay stable across
sessions, restarts and a move to Dovecot. DELE only marks; deletion happens
at QUIT (the UPDATE state), so a dropped connection deletes nothing. The
maildrop lock is an ``flock`` on ``mailroom-pop3.lock`` in the Maildir:
exclusive between POP3 sessions of this and any other process, and released
by the kernel if the process dies, so a crash cannot leave it stuck. A
session whose client hangs up (FIN or reset, even in the middle of a
RETR it stopped reading) ends at once and lets go of the lock; one whose
client just went silent is ended by the owner's next login
(``PopServer.takeover_after``).

Wiring is as for ``ImapServer``: one ``PopServer`` per listener (110 with
STLS, 995 with ``implicit_tls=True``); ``start``, ``stop``, ``sockets``,
``close_sessions``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import fcntl
import os
import ssl
import time
from array import array
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from appliance.imap.listener import Authenticate, Connection, MailboxListener, is_loopback
from appliance.logs import get_logger
from appliance.store import Account, Mailstore
from appliance.store.mime import split_header, to_crlf

__all__ = ["Listing", "PopServer", "dot_stuff", "top_lines", "uidl"]

log = get_logger("pop3d")

_MAX_AUTH_FAILURES = 3
_MAX_BAD = 20
_LOCK_FILE = "mailroom-pop3.lock"
_READ_AHEAD = 16  # messages read per worker-thread call for RETR
_READ_AHEAD_BYTES = 2 << 20


def uidl(uid: int, uidvalidity: int) -> str:
    return f"{uid:08X}{uidvalidity:08X}"


def dot_stuff(data: bytes) -> bytes:
    """CRLF message bytes → the multi-line response body, terminator included."""
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    if data.startswith(b"."):
        data = b"." + data
    return data.replace(b"\r\n.", b"\r\n..") + b".\r\n"


def _dot_stuff_lf(data: bytes) -> bytes:
    """LF message bytes → the CRLF, dot-stuffed multi-line response body."""
    if not data.endswith(b"\n"):
        data += b"\n"
    if data.startswith(b"."):
        data = b"." + data
    return data.replace(b"\n.", b"\n..").replace(b"\n", b"\r\n") + b".\r\n"


def _read_lf(path: str) -> bytes | None:
    try:
        with open(path, "rb", buffering=0) as f:
            data = f.readall()
    except FileNotFoundError:
        return None
    return data.replace(b"\r\n", b"\n") if b"\r" in data else data


def top_lines(data: bytes, lines: int) -> bytes:
    """Header, blank line and the first ``lines`` body lines of a message (LF bytes)."""
    header_end, body_start = split_header(data)
    body = data[body_start:]
    if lines <= 0:
        kept = b""
    else:
        pos = -1
        for _ in range(lines):
            pos = body.find(b"\n", pos + 1)
            if pos < 0:
                pos = len(body) - 1
                break
        kept = body[: pos + 1]
    return data[:header_end] + b"\n" + kept


class _Quit(Exception):
    pass


class Listing(Sequence[tuple[int, int]]):
    """The maildrop as a session sees it: (UID, CRLF size) of message n at n-1, kept
    in two arrays of machine integers (10,000 messages: 160 KB instead of a
    megabyte of tuples, for as long as the session lasts)."""

    def __init__(self, items: Iterable[tuple[int, int]] = ()) -> None:
        self.uids = array("q")
        self.sizes = array("q")
        for uid, size in items:
            self.uids.append(uid)
            self.sizes.append(size)

    def __len__(self) -> int:
        return len(self.uids)

    def __getitem__(self, index: int) -> tuple[int, int]:  # type: ignore[override]
        return self.uids[index], self.sizes[index]


class PopSession:
    def __init__(self, server: PopServer, conn: Connection) -> None:
        self.server = server
        self.conn = conn
        self.pending_user: str | None = None
        self.account: Account | None = None
        self.lock_fd: int | None = None
        self.lock_path: Path | None = None
        self.ended = asyncio.Event()  # set once the session has let go of the maildrop
        self._task: asyncio.Task[None] | None = None
        self.validity = 0
        self.messages = Listing()  # (uid, CRLF size) of message n at n-1
        self.deleted: set[int] = set()  # message numbers
        self.retrieved: set[int] = set()
        self.failures = 0
        self.bad = 0
        self.names: list[str] = []  # file name of message n at n-1
        self.inbox = ""
        self._ahead: dict[int, asyncio.Future[dict[int, bytes | None]]] = {}

    @property
    def plaintext_ok(self) -> bool:
        return self.conn.tls or (
            self.server.allow_plaintext_from_loopback and is_loopback(self.conn.client_ip)
        )

    def send(self, line: str | bytes) -> None:
        self.conn.write((line.encode() if isinstance(line, str) else line) + b"\r\n")

    async def run(self) -> None:
        self._task = asyncio.current_task()
        self.send(f"+OK {self.server.hostname} Mailroom POP3 ready")
        try:
            while True:
                await self.conn.drain()
                try:
                    line = await self.conn.readline()
                except TimeoutError:
                    self.send("-ERR idle for too long, closing")
                    await self.conn.drain()
                    return
                verb, _, arg = line.decode("utf-8", "replace").partition(" ")
                handler = getattr(self, "cmd_" + verb.lower(), None) if verb.isalpha() else None
                if handler is None:
                    self.send("-ERR unknown command")
                    self.bad += 1
                    if self.bad >= _MAX_BAD:
                        return
                    continue
                try:
                    await handler(arg)
                except _Quit:
                    await self.conn.drain()
                    return
        finally:
            for task in set(self._ahead.values()):
                task.add_done_callback(lambda t: t.cancelled() or t.exception())
            self._unlock()
            self.ended.set()

    # -- authorization -----------------------------------------------------

    def _not_authorized_yet(self) -> bool:
        if self.account is not None:
            self.send("-ERR already authenticated")
            return False
        return True

    async def cmd_capa(self, arg: str) -> None:
        caps = ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING",
                "IMPLEMENTATION Mailroom"]
        if self.account is None:
            if self.plaintext_ok:
                caps += ["USER", "SASL PLAIN"]
            if self.server.tls_context is not None and not self.conn.tls:
                caps.append("STLS")
        self.send("+OK capability list follows\r\n" + "\r\n".join(caps) + "\r\n.")

    async def cmd_stls(self, arg: str) -> None:
        if self.server.tls_context is None or self.conn.tls or self.account is not None:
            self.send("-ERR STLS not available")
            return
        self.send("+OK begin TLS negotiation")
        await self.conn.start_tls(self.server.tls_context)
        self.pending_user = None

    async def cmd_user(self, arg: str) -> None:
        if not self._not_authorized_yet():
            return
        if not self.plaintext_ok:
            self.send("-ERR [SYS/PERM] use STLS first")
            return
        if not arg:
            self.send("-ERR user name expected")
            return
        self.pending_user = arg
        self.send("+OK send PASS")

    async def cmd_pass(self, arg: str) -> None:
        if not self._not_authorized_yet():
            return
        if self.pending_user is None:
            self.send("-ERR USER first")
            return
        user, self.pending_user = self.pending_user, None
        await self._login(user, arg)

    async def cmd_auth(self, arg: str) -> None:
        if not self._not_authorized_yet():
            return
        mech, _, initial = arg.partition(" ")
        if not mech:
            self.send("+OK\r\nPLAIN\r\n.")
            return
        if mech.upper() != "PLAIN":
            self.send("-ERR unsupported mechanism")
            return
        if not self.plaintext_ok:
            self.send("-ERR [SYS/PERM] use STLS first")
            return
        response = initial.encode()
        if not response:
            self.send("+ ")
            await self.conn.drain()
            response = await self.conn.readline()
        if response.strip() == b"*":
            self.send("-ERR authentication cancelled")
            return
        try:
            decoded = base64.b64decode(response, validate=True) if response != b"=" else b""
            authz, user, password = decoded.split(b"\0")
        except (binascii.Error, ValueError):
            self.send("-ERR malformed AUTH PLAIN response")
            return
        if authz and authz != user:
            self.send("-ERR [AUTH] cannot act as another user")
            return
        await self._login(user.decode("utf-8", "replace"), password.decode("utf-8", "replace"))

    async def _login(self, user: str, password: str) -> None:
        address = await self.server.authenticate(user, password, self.conn.client_ip)
        if address is None:
            self.failures += 1
            self.send("-ERR [AUTH] authentication failed")
            if self.failures >= _MAX_AUTH_FAILURES:
                raise _Quit
            return
        account = self.server.store.account(address)
        await asyncio.to_thread(account.ensure)
        if not self._lock(account) and not await self._take_over(account):
            self.send("-ERR [IN-USE] maildrop is locked by another session")
            return
        try:
            state = await asyncio.to_thread(account.open, "INBOX", claim_recent=True)
            rows = await asyncio.to_thread(account.meta, "INBOX", state.uids, ("vsize", "name"))
        except BaseException:
            self._unlock()
            raise
        self.account = account
        self.conn.authenticated = True
        self.validity = state.uidvalidity
        present = [uid for uid in state.uids if uid in rows]
        self.messages = Listing((uid, rows[uid][0]) for uid in present)
        self.names = [rows[uid][1] for uid in present]
        del rows, present, state  # the session keeps only the listing
        self.inbox = str(account.folder_dir("INBOX")) + "/"
        total = sum(self.messages.sizes)
        self.send(f"+OK {len(self.messages)} messages ({total} octets)")

    def _lock(self, account: Account) -> bool:
        fd = os.open(account.path / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self.lock_fd = fd
        self.lock_path = account.path
        self.server.holders[account.path] = self
        return True

    def _unlock(self) -> None:
        if self.lock_fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self.lock_fd, fcntl.LOCK_UN)
                os.close(self.lock_fd)
            self.lock_fd = None
        if self.lock_path is not None and self.server.holders.get(self.lock_path) is self:
            del self.server.holders[self.lock_path]

    def stalled(self, seconds: float) -> bool:
        """Has this session waited on its client for ``seconds`` or more?"""
        since = self.conn.waiting_since
        return since is not None and time.monotonic() - since >= seconds

    async def _take_over(self, account: Account) -> bool:
        """Lock the maildrop by ending this server's session that holds it, if that
        session has been waiting on its client for ``server.takeover_after``.

        A phone that loses coverage sends neither QUIT nor FIN; its session
        would keep the lock until the time-out. The owner logging in again
        proves who they are, and the stalled session never reached UPDATE,
        so ending it changes nothing in the mailbox (its DELEs are forgotten).
        """
        holder = self.server.holders.get(account.path)
        if holder is None or holder._task is None or not holder.stalled(
                self.server.takeover_after):
            return False
        log.info("%s: ending stalled session from [%s] for a new login from [%s]",
                 account.address, holder.conn.client_ip, self.conn.client_ip)
        holder._task.cancel()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await holder.ended.wait()
        return self._lock(account)

    # -- transaction ---------------------------------------------------------

    def _message(self, arg: str) -> int | None:
        """The message number in ``arg`` if it names an existing, undeleted message."""
        if self.account is None:
            self.send("-ERR log in first")
            return None
        text = arg.split(" ", 1)[0]
        if not text.isdigit() or not 1 <= int(text) <= len(self.messages):
            self.send("-ERR no such message")
            return None
        n = int(text)
        if n in self.deleted:
            self.send("-ERR message is deleted")
            return None
        return n

    async def cmd_stat(self, arg: str) -> None:
        if self.account is None:
            self.send("-ERR log in first")
            return
        live = [s for i, (_, s) in enumerate(self.messages, 1) if i not in self.deleted]
        self.send(f"+OK {len(live)} {sum(live)}")

    async def _listing(self, arg: str, value: Callable[[int, int, int], str]) -> None:
        if self.account is None:
            self.send("-ERR log in first")
            return
        if arg.strip():
            n = self._message(arg)
            if n is not None:
                uid, size = self.messages[n - 1]
                self.send(f"+OK {n} {value(n, uid, size)}")
            return
        lines = [f"{n} {value(n, uid, size)}" for n, (uid, size) in enumerate(self.messages, 1)
                 if n not in self.deleted]
        self.send("+OK\r\n" + "".join(line + "\r\n" for line in lines) + ".")

    async def cmd_list(self, arg: str) -> None:
        await self._listing(arg, lambda n, uid, size: str(size))

    async def cmd_uidl(self, arg: str) -> None:
        await self._listing(arg, lambda n, uid, size: uidl(uid, self.validity))

    async def _send_message(self, n: int, lines: int | None) -> None:
        assert self.account is not None
        uid, size = self.messages[n - 1]
        data = await asyncio.to_thread(self.account.read, "INBOX", uid)
        if data is None:
            self.send("-ERR message was removed by another session")
            return
        if lines is not None:
            data = top_lines(data, lines)
        self.conn.write(b"+OK %d octets\r\n" % size + dot_stuff(to_crlf(data)))

    def _read_ahead(self, n: int) -> None:
        """Start reading message ``n`` and a few after it in one worker-thread call:
        clients RETR in order, so the next RETR finds its response ready."""
        batch: list[int] = []
        total = 0
        m = n
        while m <= len(self.messages) and len(batch) < _READ_AHEAD and total < _READ_AHEAD_BYTES:
            if m not in self.deleted and m not in self._ahead:
                batch.append(m)
                total += self.messages[m - 1][1]
            m += 1
        if not batch:
            return
        task = asyncio.ensure_future(asyncio.to_thread(self._responses, batch))
        for m in batch:
            self._ahead[m] = task

    def _responses(self, numbers: list[int]) -> dict[int, bytes | None]:
        """RETR responses for ``numbers`` (worker thread)."""
        assert self.account is not None
        out: dict[int, bytes | None] = {}
        for n in numbers:
            uid, size = self.messages[n - 1]
            data = _read_lf(self.inbox + self.names[n - 1])
            if data is None:
                data = self.account.read("INBOX", uid)  # renamed meanwhile
            out[n] = None if data is None else b"+OK %d octets\r\n" % size + _dot_stuff_lf(data)
        return out

    async def cmd_retr(self, arg: str) -> None:
        n = self._message(arg)
        if n is None:
            return
        if n not in self._ahead:
            self._read_ahead(n)
        task = self._ahead.pop(n)
        response = (await task)[n]
        if n + 1 not in self._ahead:
            self._read_ahead(n + 1)
        if response is None:
            self.send("-ERR message was removed by another session")
            return
        self.conn.write(response)
        self.retrieved.add(n)

    async def cmd_top(self, arg: str) -> None:
        parts = arg.split()
        if len(parts) != 2 or not parts[1].isdigit():
            self.send("-ERR TOP msg lines")
            return
        n = self._message(parts[0])
        if n is not None:
            await self._send_message(n, int(parts[1]))

    async def cmd_dele(self, arg: str) -> None:
        n = self._message(arg)
        if n is not None:
            self.deleted.add(n)
            self.send(f"+OK message {n} deleted")

    async def cmd_rset(self, arg: str) -> None:
        if self.account is None:
            self.send("-ERR log in first")
            return
        self.deleted.clear()
        self.send(f"+OK {len(self.messages)} messages")

    async def cmd_noop(self, arg: str) -> None:
        if self.account is None:
            self.send("-ERR log in first")
            return
        self.send("+OK")

    async def cmd_quit(self, arg: str) -> None:
        if self.account is not None:
            try:
                await asyncio.to_thread(self._update)
            except OSError:
                self.send("-ERR [SYS/TEMP] some deleted messages were not removed")
                raise _Quit from None
        self.send("+OK bye")
        raise _Quit

    def _update(self) -> None:
        """The UPDATE state: mark retrieved messages seen, remove deleted ones."""
        assert self.account is not None
        seen = [self.messages[n - 1][0] for n in self.retrieved - self.deleted]
        if seen:
            self.account.store_flags("INBOX", seen, "+", ["\\Seen"])
        gone = [self.messages[n - 1][0] for n in sorted(self.deleted)]
        if gone:
            self.account.store_flags("INBOX", gone, "+", ["\\Deleted"])
            self.account.expunge("INBOX", gone)


class PopServer(MailboxListener):
    store: Mailstore
    refusal = b"-ERR [SYS/TEMP] too many connections, try again later\r\n"
    ban_refusal = b"-ERR [SYS/TEMP] too many failed logins from your address\r\n"
    service = "pop3d"
    # A new login ends a session holding the maildrop that has waited this
    # long on its client (see PopSession._take_over).
    takeover_after = 5.0

    def __init__(
        self,
        store: Mailstore,
        authenticate: Authenticate,
        *,
        hostname: str,
        tls_context: ssl.SSLContext | None,
        implicit_tls: bool,
        allow_plaintext_from_loopback: bool = True,
        timeout: float = 600,
        max_line: int = 8192,
        max_connections: int = 500,
        max_connections_per_ip: int = 50,
    ) -> None:
        super().__init__(store, authenticate, hostname=hostname,
                         allow_plaintext_from_loopback=allow_plaintext_from_loopback,
                         tls_context=tls_context, implicit_tls=implicit_tls, timeout=timeout,
                         max_line=max_line, max_connections=max_connections,
                         max_connections_per_ip=max_connections_per_ip)
        self.holders: dict[Path, PopSession] = {}  # maildrop → the session locking it

    async def serve(self, conn: Connection) -> None:
        await PopSession(self, conn).run()
