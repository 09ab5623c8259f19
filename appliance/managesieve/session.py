"""One ManageSieve session: STARTTLS, AUTHENTICATE PLAIN, then the script commands.

The commands are thin: each checks its arguments and hands the account's
``ScriptStore`` (appliance.sieve.storage, the Pigeonhole layout) the work,
off the event loop. A password is only accepted inside TLS, on every
address (loopback too): ManageSieve clients all speak STARTTLS, and the
script store is worth as much as the mailbox.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from appliance.imap.listener import Connection, LineTooLong
from appliance.logs import get_logger
from appliance.managesieve.protocol import (
    Atom,
    CommandTooLarge,
    SyntaxProblem,
    literal,
    quote,
    read_command,
    response,
    valid_script_name,
)
from appliance.sieve import SieveError, check
from appliance.sieve.storage import ScriptActive, ScriptExists, ScriptNotFound

if TYPE_CHECKING:
    from appliance.managesieve import ManageSieveServer

__all__ = ["ManageSieveSession"]

log = get_logger("managesieve")

_MAX_AUTH_FAILURES = 3
_MAX_BAD = 20
# A literal over the script limit is read and thrown away up to this many
# octets (the client sends a {N+} literal without waiting); beyond, hang up.
_DISCARD_LIMIT = 16 << 20


class _Bye(Exception):
    pass


class _No(Exception):
    def __init__(self, text: str, code: str = "") -> None:
        super().__init__(text)
        self.text = text
        self.code = code


def _text(token: Atom | bytes, what: str) -> str:
    if isinstance(token, Atom):
        raise _No(f"{what} must be a string")
    try:
        return token.decode("utf-8")
    except UnicodeDecodeError:
        raise _No(f"{what} is not UTF-8") from None


def _sieve_error_text(exc: Exception) -> str:
    line = getattr(exc, "line", None)
    message = getattr(exc, "message", None) or str(exc)
    return f"line {line}: {message}" if line else str(message)


class ManageSieveSession:
    def __init__(self, server: ManageSieveServer, conn: Connection) -> None:
        self.server = server
        self.conn = conn
        self.user: str | None = None
        self.store: Any = None  # the account's ScriptStore once logged in
        self.failures = 0
        self.bad = 0
        self.handlers: dict[str, Callable[[list[Atom | bytes]], Any]] = {
            name[4:].upper(): getattr(self, name) for name in dir(self) if name.startswith("cmd_")
        }

    # -- plumbing ------------------------------------------------------------

    def send(self, data: bytes) -> None:
        self.conn.write(data)

    def capabilities(self) -> bytes:
        lines = [
            b'"IMPLEMENTATION" "Mailroom"',
            b'"SIEVE" ' + quote(" ".join(self.server.sieve_capabilities())),
        ]
        if self.user is None:
            tls_possible = self.server.tls_context is not None and not self.conn.tls
            if tls_possible:
                lines.append(b'"STARTTLS"')
            # Before TLS no mechanism is offered: a password never goes in clear.
            lines.append(b'"SASL" "PLAIN"' if self.conn.tls else b'"SASL" ""')
        else:
            lines.append(b'"OWNER" ' + quote(self.user))
        lines += [b'"MAXREDIRECTS" "%d"' % self.server.max_redirects, b'"VERSION" "1.0"',
                  b'"UNAUTHENTICATE"']
        return b"\r\n".join(lines) + b"\r\n"

    async def run(self) -> None:
        self.send(self.capabilities() + response("OK", f"{self.server.hostname} "
                                                       "Mailroom ManageSieve ready"))
        while True:
            await self.conn.drain()
            try:
                tokens = await read_command(self.conn.readline, self.conn.readexactly,
                                            self.server.max_script_size)
            except TimeoutError:
                self.send(response("BYE", "idle for too long"))
                await self.conn.drain()
                return
            except LineTooLong:
                self.send(response("BYE", "line too long"))
                await self.conn.drain()
                return
            except CommandTooLarge as exc:
                if not await self._discard(exc.size):
                    return
                self.send(response("NO", f"the script is larger than "
                                         f"{self.server.max_script_size} octets",
                                   "QUOTA/MAXSIZE"))
                continue
            except SyntaxProblem as exc:
                self.send(response("NO", f"syntax error: {exc}"))
                if not await self._count_bad():
                    return
                continue
            if not tokens or not isinstance(tokens[0], Atom):
                self.send(response("NO", "a command name was expected"))
                if not await self._count_bad():
                    return
                continue
            name = tokens[0].text.upper()
            handler = self.handlers.get(name)
            if handler is None:
                self.send(response("NO", f"unknown command {name[:40]}"))
                if not await self._count_bad():
                    return
                continue
            try:
                await handler(tokens[1:])
            except _No as no:
                self.send(response("NO", no.text, no.code))
            except _Bye:
                await self.conn.drain()
                return

    async def _discard(self, size: int) -> bool:
        """Read past an oversize literal and the rest of its command line."""
        if size > _DISCARD_LIMIT:
            self.send(response("BYE", f"a literal of {size} octets is too large"))
            await self.conn.drain()
            return False
        while size:
            chunk = await self.conn.readexactly(min(size, 65536))
            size -= len(chunk)
        await self.conn.readline()  # what followed the literal on its command line
        return True

    async def _count_bad(self) -> bool:
        self.bad += 1
        if self.bad >= _MAX_BAD:
            self.send(response("BYE", "too many bad commands"))
            await self.conn.drain()
            return False
        return True

    def _args(self, args: list[Atom | bytes], low: int, high: int | None = None) -> None:
        high = low if high is None else high
        if not low <= len(args) <= high:
            raise _No("wrong number of arguments")

    def _need_auth(self) -> Any:
        if self.store is None:
            raise _No("log in first (AUTHENTICATE)")
        return self.store

    async def _call(self, method: str, *args: Any) -> Any:
        # The checks before each call answer the common cases; these answer
        # a race with another session of the same user.
        try:
            return await asyncio.to_thread(getattr(self.store, method), *args)
        except ScriptNotFound as exc:
            raise _No(exc.message, "NONEXISTENT") from None
        except ScriptActive as exc:
            raise _No(exc.message, "ACTIVE") from None
        except ScriptExists as exc:
            raise _No(exc.message, "ALREADYEXISTS") from None
        except SieveError as exc:
            raise _No(_sieve_error_text(exc)) from None

    async def _names(self) -> dict[str, bool]:
        return dict(await self._call("list"))

    async def _existing(self, name: str) -> None:
        if name not in await self._names():
            raise _No(f"there is no script named {name}", "NONEXISTENT")

    # -- any state -----------------------------------------------------------

    async def cmd_capability(self, args: list[Atom | bytes]) -> None:
        self._args(args, 0)
        self.send(self.capabilities() + response("OK", "capability completed"))

    async def cmd_noop(self, args: list[Atom | bytes]) -> None:
        self._args(args, 0, 1)
        if args:
            tag = _text(args[0], "the tag")
            self.send(b"OK (TAG " + quote(tag) + b') "Done"\r\n')
        else:
            self.send(response("OK", "Done"))

    async def cmd_logout(self, args: list[Atom | bytes]) -> None:
        self.send(response("OK", "logout completed"))
        raise _Bye

    async def cmd_starttls(self, args: list[Atom | bytes]) -> None:
        self._args(args, 0)
        if self.server.tls_context is None or self.conn.tls:
            raise _No("STARTTLS is not available now")
        if self.user is not None:
            raise _No("already logged in")
        self.send(response("OK", "begin TLS negotiation now"))
        # Raises PlaintextInjection (the listener hangs up) if the client sent
        # anything after STARTTLS before the handshake.
        await self.conn.start_tls(self.server.tls_context)
        self.send(self.capabilities() + response("OK", "TLS negotiation successful"))

    async def cmd_authenticate(self, args: list[Atom | bytes]) -> None:
        self._args(args, 1, 2)
        if self.user is not None:
            raise _No("already logged in")
        if _text(args[0], "the mechanism").upper() != "PLAIN":
            raise _No("only the PLAIN mechanism is supported")
        if not self.conn.tls:
            raise _No("use STARTTLS before logging in", "ENCRYPT-NEEDED")
        if len(args) == 2:
            answer = args[1]
        else:
            self.send(b'""\r\n')  # the empty server challenge
            await self.conn.drain()
            more = await read_command(self.conn.readline, self.conn.readexactly, 4096)
            if len(more) != 1:
                raise _No("expected one string")
            answer = more[0]
        text = _text(answer, "the response")
        if text.strip() == "*":
            raise _No("authentication aborted")
        try:
            authz, user, password = base64.b64decode(text, validate=True).split(b"\0")
        except (binascii.Error, ValueError):
            raise _No("malformed PLAIN response") from None
        if authz and authz != user:
            raise _No("cannot act as another user")
        address = await self.server.authenticate(user.decode("utf-8", "replace"),
                                                 password.decode("utf-8", "replace"),
                                                 self.conn.client_ip)
        if address is None:
            self.failures += 1
            if self.failures >= _MAX_AUTH_FAILURES:
                self.send(response("BYE", "too many failed logins"))
                raise _Bye
            raise _No("authentication failed")
        self.store = await asyncio.to_thread(self.server.scripts_for, address)
        self.user = address
        self.conn.authenticated = True
        log.info("login: %s from [%s]", address, self.conn.client_ip)
        self.send(response("OK", "logged in"))

    async def cmd_unauthenticate(self, args: list[Atom | bytes]) -> None:
        self._args(args, 0)
        self._need_auth()
        self.user, self.store = None, None
        self.conn.authenticated = False
        self.send(response("OK", "logged out; log in again"))

    # -- logged in -----------------------------------------------------------

    async def cmd_listscripts(self, args: list[Atom | bytes]) -> None:
        self._need_auth()
        self._args(args, 0)
        out = b""
        for name, active in sorted((await self._names()).items()):
            out += quote(name) + (b" ACTIVE" if active else b"") + b"\r\n"
        self.send(out + response("OK", "listscripts completed"))

    async def cmd_getscript(self, args: list[Atom | bytes]) -> None:
        self._need_auth()
        self._args(args, 1)
        name = _text(args[0], "the script name")
        await self._existing(name)
        text: str = await self._call("get", name)
        self.send(literal(text.encode("utf-8")) + b"\r\n" + response("OK", "getscript completed"))

    def _space(self, name: str, size: int, names: dict[str, bool]) -> None:
        if size > self.server.max_script_size:
            raise _No(f"the script is larger than {self.server.max_script_size} octets",
                      "QUOTA/MAXSIZE")
        if name not in names and len(names) >= self.server.max_scripts:
            raise _No(f"no more than {self.server.max_scripts} scripts", "QUOTA/MAXSCRIPTS")

    async def cmd_havespace(self, args: list[Atom | bytes]) -> None:
        self._need_auth()
        self._args(args, 2)
        name = _text(args[0], "the script name")
        if not isinstance(args[1], Atom) or not args[1].text.isdigit():
            raise _No("the size must be a number")
        self._space(name, int(args[1].text), await self._names())
        self.send(response("OK", "there is room"))

    def _script(self, token: Atom | bytes) -> str:
        if isinstance(token, Atom):
            raise _No("the script must be a string")
        try:
            return token.decode("utf-8").replace("\r\n", "\n")
        except UnicodeDecodeError:
            raise _No("the script is not UTF-8") from None

    async def cmd_putscript(self, args: list[Atom | bytes]) -> None:
        self._need_auth()
        self._args(args, 2)
        name = _text(args[0], "the script name")
        problem = valid_script_name(name)
        if problem:
            raise _No(problem)
        self._space(name, len(args[1]) if isinstance(args[1], bytes) else 0, await self._names())
        script = self._script(args[1])
        await self._call("put", name, script)
        log.info("%s: script %s saved (%d octets)", self.user, name, len(args[1]))
        self.send(response("OK", "putscript completed"))

    async def cmd_checkscript(self, args: list[Atom | bytes]) -> None:
        self._need_auth()
        self._args(args, 1)
        script = self._script(args[0])
        try:
            await asyncio.to_thread(check, script)
        except SieveError as exc:
            raise _No(_sieve_error_text(exc)) from None
        self.send(response("OK", "the script is valid"))

    async def cmd_setactive(self, args: list[Atom | bytes]) -> None:
        self._need_auth()
        self._args(args, 1)
        name = _text(args[0], "the script name")
        if name:
            await self._existing(name)
        await self._call("activate", name or None)
        log.info("%s: active script %s", self.user, name or "(none)")
        self.send(response("OK", "setactive completed"))

    async def cmd_deletescript(self, args: list[Atom | bytes]) -> None:
        self._need_auth()
        self._args(args, 1)
        name = _text(args[0], "the script name")
        names = await self._names()
        if name not in names:
            raise _No(f"there is no script named {name}", "NONEXISTENT")
        if names[name]:
            raise _No("the active script cannot be deleted; deactivate it first", "ACTIVE")
        await self._call("delete", name)
        self.send(response("OK", "deletescript completed"))

    async def cmd_renamescript(self, args: list[Atom | bytes]) -> None:
        self._need_auth()
        self._args(args, 2)
        old = _text(args[0], "the old name")
        new = _text(args[1], "the new name")
        problem = valid_script_name(new)
        if problem:
            raise _No(problem)
        names = await self._names()
        if old not in names:
            raise _No(f"there is no script named {old}", "NONEXISTENT")
        if new in names:
            raise _No(f"a script named {new} exists already", "ALREADYEXISTS")
        await self._call("rename", old, new)
        self.send(response("OK", "renamescript completed"))
