"""One IMAP4rev1 connection: reading commands, dispatch, login, the small commands.

The commands live with what they work on, as Dovecot keeps them apart:
``selection`` (SELECT/EXAMINE/CLOSE/UNSELECT/EXPUNGE and change reporting),
``fetch`` (FETCH, STORE, the renderers), ``search`` (SEARCH), ``idle``
(IDLE) and ``mailboxes`` (LIST, STATUS, APPEND, COPY/MOVE, quotas ...);
``state`` holds what they share. Syntax lives in ``parser``, message
structure in ``appliance.store.mime``. Store calls that touch files or
SQLite run in worker threads so that one large FETCH cannot stall every
other session on the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
from collections.abc import Awaitable, Callable

from appliance.imap.fetch import FetchCommands
from appliance.imap.idle import IdleCommands
from appliance.imap.listener import LineTooLong, PlaintextInjection, is_loopback
from appliance.imap.mailboxes import MailboxCommands
from appliance.imap.parser import Atom, ParseError, as_text, tokenize
from appliance.imap.search import SearchCommands
from appliance.imap.selection import SelectionCommands
from appliance.imap.state import Bad, Logout, No
from appliance.store import FolderError, QuotaExceeded
from appliance.store.names import BadFolderName

__all__ = ["ImapSession"]

log = logging.getLogger("mailroom.imap")

_LITERAL = re.compile(rb"\{(\d+)(\+?)\}$")
_MAX_BAD = 20
_MAX_AUTH_FAILURES = 3

Handler = Callable[["ImapSession", bytes, list], Awaitable[None]]


class ImapSession(SelectionCommands, FetchCommands, SearchCommands, IdleCommands,
                  MailboxCommands):
    # Command name ("UID FETCH") → handler, gathered once from the cmd_* methods
    # of every mixin: a table per session would cost each of 500 sessions its copy.
    handlers: dict[str, Handler]

    # -- plumbing -------------------------------------------------------

    @property
    def plaintext_ok(self) -> bool:
        return self.conn.tls or (
            self.server.allow_plaintext_from_loopback and is_loopback(self.conn.client_ip)
        )

    def capabilities(self) -> bytes:
        caps = ["IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE",
                "UIDPLUS", "MOVE", "UNSELECT", "CHILDREN", "LIST-EXTENDED", "SPECIAL-USE",
                "QUOTA", "QUOTA=RES-STORAGE"]
        if self.user is None:
            if self.server.tls_context is not None and not self.conn.tls:
                caps.append("STARTTLS")
            caps.append("AUTH=PLAIN" if self.plaintext_ok else "LOGINDISABLED")
        return " ".join(caps).encode()

    async def run(self) -> None:
        self.send(b"* OK [CAPABILITY " + self.capabilities() + b"] "
                  + self.server.hostname.encode() + b" Mailroom IMAP ready")
        try:
            while True:
                await self.conn.drain()
                try:
                    tag, tokens = await self._read_command()
                except LineTooLong:
                    self.send(b"* BAD line too long")
                    await self.conn.drain()
                    return
                except TimeoutError:
                    self.send(b"* BYE idle for too long")
                    await self.conn.drain()
                    return
                except Bad as exc:
                    self.send(b"* BAD " + str(exc).encode())
                    if await self._too_many_bad():
                        return
                    continue
                if tag is None:
                    continue
                if not await self._dispatch(tag, tokens):
                    return
        finally:
            # Dropped as well as called: the watch callback refers to this session, so
            # keeping it would leave a cycle only the cyclic GC frees, minutes later.
            unwatch, self._unwatch = self._unwatch, None
            if unwatch:
                unwatch()
            self.selected = None

    async def _too_many_bad(self) -> bool:
        self.bad_count += 1
        if self.bad_count >= _MAX_BAD:
            self.send(b"* BYE too many bad commands")
            await self.conn.drain()
            return True
        return False

    async def _read_command(self) -> tuple[bytes | None, list]:
        """Read one command (a line and its literals) and tokenize it."""
        segments: list[bytes] = []
        literals: list[bytes] = []
        total = 0
        line = await self.conn.readline()
        while True:
            segments.append(line)
            total += len(line)
            if total > self.server.max_line:
                raise LineTooLong
            m = _LITERAL.search(line)
            if not m:
                break
            size, nonsync = int(m.group(1)), m.group(2) == b"+"
            if size > self.server.max_literal:
                if nonsync:
                    raise LineTooLong  # cannot refuse data already on its way: hang up
                raise Bad("literal too large")  # client waits for "+": we never send it
            if not nonsync:
                self.send(b"+ go ahead")
                await self.conn.drain()
            literals.append(await self.conn.readexactly(size))
            line = await self.conn.readline()
        first = segments[0]
        if not first.strip():
            return None, []
        tag, _, rest = first.partition(b" ")
        if not tag or tag == b"*" or tag == b"+" or any(c in b'(){%"\\' for c in tag):
            raise Bad("invalid tag")
        segments[0] = rest
        try:
            tokens = tokenize(segments, literals)
        except ParseError as exc:
            self.send(tag + b" BAD " + str(exc).encode())
            return None, []
        return tag, tokens

    async def _dispatch(self, tag: bytes, tokens: list) -> bool:
        if not tokens or not isinstance(tokens[0], Atom):
            self.send(tag + b" BAD command expected")
            return not await self._too_many_bad()
        name = tokens[0].upper()
        args = tokens[1:]
        if name == "UID" and args and isinstance(args[0], Atom):
            name = "UID " + args[0].upper()
            args = args[1:]
        handler = self.handlers.get(name)
        if handler is None:
            self.send(tag + b" BAD unknown command")
            return not await self._too_many_bad()
        try:
            await handler(self, tag, args)
        except Bad as exc:
            self.send(tag + b" BAD " + str(exc).encode())
            return not await self._too_many_bad()
        except ParseError as exc:
            self.send(tag + b" BAD " + str(exc).encode())
            return not await self._too_many_bad()
        except No as exc:
            await self._report_changes(name)
            self.send(tag + b" NO " + str(exc).encode())
        except BadFolderName as exc:
            self.send(tag + b" NO [CANNOT] " + str(exc).encode())
        except FolderError as exc:
            code = f"[{exc.code}] " if exc.code else ""
            self.send(tag + b" NO " + (code + str(exc)).encode())
        except QuotaExceeded:
            self.send(tag + b" NO [OVERQUOTA] quota exceeded")
        except Logout:
            return False
        except PlaintextInjection:
            raise  # the listener hangs up and logs it
        except Exception:
            # A bug must cost the client one command, not its session.
            log.exception("IMAP %s failed for %s", name, self.user)
            self.send(tag + b" NO [SERVERBUG] internal error")
        return True

    # -- any state ------------------------------------------------------------

    async def cmd_capability(self, tag: bytes, args: list) -> None:
        self.send(b"* CAPABILITY " + self.capabilities())
        await self.ok(tag, "CAPABILITY completed")

    async def cmd_noop(self, tag: bytes, args: list) -> None:
        await self.ok(tag, "NOOP completed")

    async def cmd_logout(self, tag: bytes, args: list) -> None:
        self.send(b"* BYE logging out")
        self.send(tag + b" OK LOGOUT completed")
        await self.conn.drain()
        raise Logout

    async def cmd_id(self, tag: bytes, args: list) -> None:
        self.send(b'* ID ("name" "Mailroom" "vendor" "Mailroom")')
        await self.ok(tag, "ID completed")

    async def cmd_enable(self, tag: bytes, args: list) -> None:
        self._need_auth()
        self.send(b"* ENABLED")  # no extension that needs enabling is offered
        await self.ok(tag, "ENABLE completed")

    # -- not authenticated ---------------------------------------------------------

    async def cmd_starttls(self, tag: bytes, args: list) -> None:
        if self.server.tls_context is None or self.conn.tls:
            raise Bad("STARTTLS not available")
        if self.user is not None:
            raise Bad("already authenticated")
        self.send(tag + b" OK begin TLS negotiation now")
        await self.conn.start_tls(self.server.tls_context)

    async def cmd_login(self, tag: bytes, args: list) -> None:
        if self.user is not None:
            raise Bad("already authenticated")
        if len(args) != 2:
            raise Bad("LOGIN user password")
        if not self.plaintext_ok:
            raise No("[PRIVACYREQUIRED] use STARTTLS first")
        await self._login(tag, as_text(args[0]), as_text(args[1]))

    async def cmd_authenticate(self, tag: bytes, args: list) -> None:
        if self.user is not None:
            raise Bad("already authenticated")
        if not args or as_text(args[0]).upper() != "PLAIN":
            raise No("[CANNOT] only AUTHENTICATE PLAIN is supported")
        if not self.plaintext_ok:
            raise No("[PRIVACYREQUIRED] use STARTTLS first")
        if len(args) > 1:
            response = as_text(args[1]).encode()
        else:
            self.send(b"+ ")
            await self.conn.drain()
            response = await self.conn.readline()
        if response.strip() == b"*":
            raise Bad("authentication cancelled")
        try:
            decoded = base64.b64decode(response, validate=True) if response != b"=" else b""
            authz, user, password = decoded.split(b"\0")
        except (binascii.Error, ValueError) as exc:
            raise Bad("malformed AUTHENTICATE PLAIN response") from exc
        client_ip: str | None = self.conn.client_ip
        if authz and authz != user:
            client_ip = self.server.proxied_client(authz.decode("utf-8", "replace"), client_ip)
            if client_ip is None:
                raise No("[AUTHORIZATIONFAILED] cannot act as another user")
        await self._login(tag, user.decode("utf-8", "replace"), password.decode("utf-8", "replace"),
                          client_ip)

    async def _login(self, tag: bytes, user: str, password: str,
                     client_ip: str | None = None) -> None:
        # client_ip: the browser's address when the webmail logs in for it.
        address = await self.server.authenticate(user, password, client_ip or self.conn.client_ip)
        if address is None:
            self.auth_failures += 1
            if self.auth_failures >= _MAX_AUTH_FAILURES:
                self.send(tag + b" NO [AUTHENTICATIONFAILED] authentication failed")
                self.send(b"* BYE too many failed logins")
                await self.conn.drain()
                raise Logout
            raise No("[AUTHENTICATIONFAILED] authentication failed")
        self.user = address
        self.conn.authenticated = True
        self.account = self.server.store.account(address)
        await asyncio.to_thread(self.account.ensure)
        loop = asyncio.get_running_loop()

        def changed(folder: str) -> None:
            loop.call_soon_threadsafe(self.changed.set)

        self._unwatch = self.server.store.watch(address, changed)
        self.send(tag + b" OK [CAPABILITY " + self.capabilities() + b"] logged in")


def _handler_table(cls: type) -> dict[str, Handler]:
    return {
        name[4:].upper().replace("_", " "): getattr(cls, name)
        for name in dir(cls)
        if name.startswith("cmd_")
    }


ImapSession.handlers = _handler_table(ImapSession)
