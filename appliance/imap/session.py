"""One IMAP4rev1 connection: command dispatch over the store's ``Account``.

Handlers stay thin: syntax lives in ``parser``, SEARCH in ``search``,
message structure in ``appliance.store.mime``. Store calls that touch files
or SQLite run in worker threads so that one large FETCH cannot stall every
other session on the event loop.

Selected-mailbox state is the list of UIDs the client knows (sequence
number = position + 1) and their flags. After each command the session asks
the store what changed since the modification sequence it last saw, and
reports EXISTS / FETCH FLAGS / EXPUNGE, holding EXPUNGEs back during
FETCH, STORE and SEARCH as RFC 3501 §7.4.1 requires.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import bisect
import contextlib
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from appliance.imap.listener import Connection, LineTooLong, PlaintextInjection, is_loopback
from appliance.imap.parser import (
    Atom,
    FetchItem,
    ParseError,
    as_text,
    format_internaldate,
    parse_datetime,
    parse_fetch_items,
    parse_sequence_set,
    resolve_sequence_set,
    tokenize,
)
from appliance.imap.search import SearchMessage, compile_search, needs, parse_search
from appliance.store import SPECIAL_USE, Account, FolderError, QuotaExceeded
from appliance.store.mime import (
    header_fields,
    imap_string,
    parse_message,
    section_bytes,
    to_crlf,
)
from appliance.store.names import (
    SEPARATOR,
    BadFolderName,
    decode_mutf7,
    encode_mutf7,
    folder_dirname,
    normalize_folder,
)

if TYPE_CHECKING:
    from appliance.imap import ImapServer

__all__ = ["ImapSession"]

log = logging.getLogger("mailroom.imap")

_LITERAL = re.compile(rb"\{(\d+)(\+?)\}$")
_FIRST_BATCH = 32
_FETCH_BATCH = 1024  # messages per batch, index data only
_BODY_BATCH = 32  # messages per batch when files are read (memory: two batches in flight)
_IDLE_POLL = 15.0  # seconds between checks for changes made outside this process
_MAX_BAD = 20
_MAX_AUTH_FAILURES = 3
_SYSTEM_FLAGS = ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")


class Bad(Exception):
    """Answer the command with BAD and this text."""


class No(Exception):
    """Answer the command with NO and this text (may start with a [CODE])."""


class Selected:
    def __init__(self, name: str, readonly: bool, validity: int, uidnext: int, modseq: int,
                 uids: list[int], flags: dict[int, str], recent_from: int) -> None:
        self.name = name
        self.readonly = readonly
        self.validity = validity
        self.uidnext = uidnext
        self.modseq = modseq
        self.uids = uids
        self.flags = flags
        self.recent = {u for u in uids if u >= recent_from}
        self.pending_expunge: set[int] = set()

    def seq_of(self, uid: int) -> int:
        i = bisect.bisect_left(self.uids, uid)
        return i + 1 if i < len(self.uids) and self.uids[i] == uid else 0


def _flag_list(flags: str, recent: bool) -> bytes:
    text = flags + (" \\Recent" if recent else "") if flags else ("\\Recent" if recent else "")
    return b"(" + text.strip().encode("utf-8", "replace") + b")"


def _mailbox_wire(name: str) -> bytes:
    return imap_string(encode_mutf7(name).encode("ascii"))


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = []
    for ch in pattern:
        if ch == "*":
            out.append(".*")
        elif ch == "%":
            out.append("[^/]*")
        else:
            out.append(re.escape(ch))
    regex = "".join(out)
    if regex.upper().startswith("INBOX"):
        regex = "(?i:INBOX)" + regex[5:]
    return re.compile(regex + r"\Z")


class ImapSession:
    def __init__(self, server: ImapServer, conn: Connection) -> None:
        self.server = server
        self.conn = conn
        self.user: str | None = None
        self.account: Account | None = None
        self.selected: Selected | None = None
        self.bad_count = 0
        self.auth_failures = 0
        self.changed = asyncio.Event()
        self._unwatch: Callable[[], None] | None = None
        self._handlers: dict[str, Callable[[bytes, list], Awaitable[None]]] = {
            name[4:].upper().replace("_", " "): getattr(self, name)
            for name in dir(self)
            if name.startswith("cmd_")
        }

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

    def send(self, line: bytes) -> None:
        self.conn.write(line + b"\r\n")

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
            if self._unwatch:
                self._unwatch()

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
        handler = self._handlers.get(name)
        if handler is None:
            self.send(tag + b" BAD unknown command")
            return not await self._too_many_bad()
        try:
            await handler(tag, args)
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
        except _Logout:
            return False
        except PlaintextInjection:
            raise  # the listener hangs up and logs it
        except Exception:
            # A bug must cost the client one command, not its session.
            log.exception("IMAP %s failed for %s", name, self.user)
            self.send(tag + b" NO [SERVERBUG] internal error")
        return True

    def _need_auth(self) -> Account:
        if self.account is None:
            raise Bad("log in first")
        return self.account

    def _need_selected(self) -> tuple[Account, Selected]:
        acct = self._need_auth()
        if self.selected is None:
            raise Bad("no mailbox selected")
        return acct, self.selected

    def _mailbox_arg(self, token: object) -> str:
        raw = as_text(token)
        try:
            name = decode_mutf7(raw) if raw.isascii() else raw
        except BadFolderName as exc:
            raise No("[CANNOT] mailbox name is not valid modified UTF-7") from exc
        return normalize_folder(name)

    async def ok(self, tag: bytes, text: str, command: str = "") -> None:
        await self._report_changes(command)
        self.send(tag + b" OK " + text.encode())

    async def _report_changes(self, command: str = "", rescan: bool = False) -> None:
        sel = self.selected
        if sel is None or self.account is None:
            return
        allow_expunge = command not in ("FETCH", "STORE", "SEARCH")
        ch = await asyncio.to_thread(
            self.account.changes, sel.name, sel.modseq, claim_recent=not sel.readonly,
            rescan=rescan,
        )
        if self.selected is not sel:
            return
        sel.modseq = ch.modseq
        gone = set(ch.expunged)
        sel.pending_expunge |= {u for u in gone if u in sel.flags}
        if allow_expunge and sel.pending_expunge:
            for uid in sorted(sel.pending_expunge, reverse=True):
                seq = sel.seq_of(uid)
                if seq:
                    self.send(b"* %d EXPUNGE" % seq)
                    del sel.uids[seq - 1]
                sel.flags.pop(uid, None)
                sel.recent.discard(uid)
            sel.pending_expunge.clear()
        last = sel.uids[-1] if sel.uids else 0
        new = [u for u in sorted(ch.flags) if u > last and u not in gone]
        for uid, flags in ch.flags.items():
            if uid in gone or uid > last:
                continue
            if sel.flags.get(uid, flags) != flags:
                sel.flags[uid] = flags
                seq = sel.seq_of(uid)
                if seq:
                    self.send(b"* %d FETCH (UID %d FLAGS %s)"
                              % (seq, uid, _flag_list(flags, uid in sel.recent)))
        if new:
            for uid in new:
                sel.uids.append(uid)
                sel.flags[uid] = ch.flags[uid]
                if uid >= ch.recent_from and not sel.readonly:
                    sel.recent.add(uid)
            self.send(b"* %d EXISTS" % len(sel.uids))
            self.send(b"* %d RECENT" % len(sel.recent))
        sel.uidnext = max(sel.uidnext, ch.uidnext)

    # -- any state ------------------------------------------------------------

    async def cmd_capability(self, tag: bytes, args: list) -> None:
        self.send(b"* CAPABILITY " + self.capabilities())
        await self.ok(tag, "CAPABILITY completed")

    async def cmd_noop(self, tag: bytes, args: list) -> None:
        await self.ok(tag, "NOOP completed")

    async def cmd_check(self, tag: bytes, args: list) -> None:
        self._need_selected()
        await self.ok(tag, "CHECK completed")

    async def cmd_logout(self, tag: bytes, args: list) -> None:
        self.send(b"* BYE logging out")
        self.send(tag + b" OK LOGOUT completed")
        await self.conn.drain()
        raise _Logout

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
                raise _Logout
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

    # -- authenticated ---------------------------------------------------------------

    async def cmd_select(self, tag: bytes, args: list, readonly: bool = False) -> None:
        acct = self._need_auth()
        if len(args) != 1:
            raise Bad("SELECT mailbox")
        name = self._mailbox_arg(args[0])
        self.selected = None
        if not acct.exists(name):
            raise No("[NONEXISTENT] no such mailbox")
        state = await asyncio.to_thread(acct.open, name, claim_recent=not readonly)
        sel = Selected(name, readonly, state.uidvalidity, state.uidnext, state.modseq,
                       state.uids, state.flags, state.recent_from)
        keywords = sorted({f for fl in set(state.flags.values()) for f in fl.split()
                           if not f.startswith("\\")})
        flags = " ".join([*_SYSTEM_FLAGS, *keywords])
        self.send(b"* FLAGS (" + flags.encode() + b")")
        self.send(b"* OK [PERMANENTFLAGS (" + (b"" if readonly else flags.encode() + b" \\*")
                  + b")] flags permitted")
        self.send(b"* %d EXISTS" % len(sel.uids))
        self.send(b"* %d RECENT" % len(sel.recent))
        unseen = next((i + 1 for i, u in enumerate(sel.uids) if "\\Seen" not in sel.flags[u]),
                      None)
        if unseen:
            self.send(b"* OK [UNSEEN %d] first unseen" % unseen)
        self.send(b"* OK [UIDVALIDITY %d] UIDs valid" % sel.validity)
        self.send(b"* OK [UIDNEXT %d] predicted next UID" % sel.uidnext)
        self.selected = sel
        mode = "READ-ONLY" if readonly else "READ-WRITE"
        self.send(tag + f" OK [{mode}] {'EXAMINE' if readonly else 'SELECT'} completed".encode())

    async def cmd_examine(self, tag: bytes, args: list) -> None:
        await self.cmd_select(tag, args, readonly=True)

    async def cmd_create(self, tag: bytes, args: list) -> None:
        acct = self._need_auth()
        if len(args) != 1:
            raise Bad("CREATE mailbox")
        raw = as_text(args[0]).rstrip(SEPARATOR)  # "foo/" asks for a future parent: same thing
        name = self._mailbox_arg(raw.encode())
        if name == "INBOX":
            raise No("[ALREADYEXISTS] INBOX always exists")
        await asyncio.to_thread(acct.create_folder, name)
        await self.ok(tag, "CREATE completed")

    async def cmd_delete(self, tag: bytes, args: list) -> None:
        acct = self._need_auth()
        if len(args) != 1:
            raise Bad("DELETE mailbox")
        name = self._mailbox_arg(args[0])
        if self.selected is not None and self.selected.name == name:
            self.selected = None
        await asyncio.to_thread(acct.delete_folder, name)
        await self.ok(tag, "DELETE completed")

    async def cmd_rename(self, tag: bytes, args: list) -> None:
        acct = self._need_auth()
        if len(args) != 2:
            raise Bad("RENAME old new")
        old, new = self._mailbox_arg(args[0]), self._mailbox_arg(args[1])
        if self.selected is not None and self.selected.name == old:
            self.selected = None
        await asyncio.to_thread(acct.rename_folder, old, new)
        await self.ok(tag, "RENAME completed")

    async def cmd_subscribe(self, tag: bytes, args: list, on: bool = True) -> None:
        acct = self._need_auth()
        if len(args) != 1:
            raise Bad("SUBSCRIBE mailbox")
        name = self._mailbox_arg(args[0])
        if on and not acct.exists(name):
            raise No("[NONEXISTENT] no such mailbox")
        await asyncio.to_thread(acct.set_subscribed, name, on)
        await self.ok(tag, ("SUBSCRIBE" if on else "UNSUBSCRIBE") + " completed")

    async def cmd_unsubscribe(self, tag: bytes, args: list) -> None:
        await self.cmd_subscribe(tag, args, on=False)

    async def cmd_namespace(self, tag: bytes, args: list) -> None:
        self._need_auth()
        self.send(b'* NAMESPACE (("" "/")) NIL NIL')
        await self.ok(tag, "NAMESPACE completed")

    async def cmd_list(self, tag: bytes, args: list, lsub: bool = False) -> None:
        acct = self._need_auth()
        select_opts: set[str] = set()
        return_opts: set[str] = set()
        if args and isinstance(args[0], list):
            select_opts = {as_text(x).upper() for x in args[0]}
            args = args[1:]
        if len(args) >= 4 and isinstance(args[2], Atom) and args[2].upper() == "RETURN":
            return_opts = {as_text(x).upper() for x in args[3]} if isinstance(args[3], list) \
                else set()
            args = args[:2]
        if len(args) != 2:
            raise Bad("LIST reference mailbox")
        ref = as_text(args[0])
        patterns = [as_text(p) for p in args[1]] if isinstance(args[1], list) \
            else [as_text(args[1])]
        verb = b"LSUB" if lsub else b"LIST"
        if patterns == [""]:
            self.send(b'* ' + verb + b' (\\Noselect) "/" ""')
            await self.ok(tag, f"{verb.decode()} completed")
            return
        folders = await asyncio.to_thread(acct.folders)
        subs = await asyncio.to_thread(acct.subscriptions)
        existing = set(folders)
        regexes = []
        for pattern in patterns:
            try:
                full = decode_mutf7(ref + pattern)
            except BadFolderName:
                continue
            regexes.append(_pattern_regex(full))
        only_subscribed = lsub or "SUBSCRIBED" in select_opts
        only_special = "SPECIAL-USE" in select_opts
        candidates = sorted(existing | (subs if only_subscribed else set()),
                            key=lambda n: (n != "INBOX", n))
        for name in candidates:
            if not any(r.match(name) for r in regexes):
                continue
            if only_subscribed and name not in subs:
                continue
            attrs = []
            special = SPECIAL_USE.get(name)
            if only_special and not special:
                continue
            if name not in existing:
                attrs.append("\\NonExistent" if not lsub else "\\Noselect")
            has_children = any(f.startswith(name + SEPARATOR) for f in existing)
            attrs.append("\\HasChildren" if has_children else "\\HasNoChildren")
            if special:
                attrs.append(special)
            if not lsub and ("SUBSCRIBED" in return_opts or "SUBSCRIBED" in select_opts) \
                    and name in subs:
                attrs.append("\\Subscribed")
            self.send(b"* " + verb + b" (" + " ".join(attrs).encode() + b') "/" '
                      + _mailbox_wire(name))
        await self.ok(tag, f"{verb.decode()} completed")

    async def cmd_lsub(self, tag: bytes, args: list) -> None:
        await self.cmd_list(tag, args, lsub=True)

    async def cmd_status(self, tag: bytes, args: list) -> None:
        acct = self._need_auth()
        if len(args) != 2 or not isinstance(args[1], list):
            raise Bad("STATUS mailbox (items)")
        name = self._mailbox_arg(args[0])
        if not acct.exists(name):
            raise No("[NONEXISTENT] no such mailbox")
        items = [as_text(x).upper() for x in args[1]]
        info = await asyncio.to_thread(acct.status, name)
        out = []
        for item in items:
            if item not in info:
                raise Bad(f"unknown STATUS item {item[:20]}")
            out.append(f"{item} {info[item]}")
        self.send(b"* STATUS " + _mailbox_wire(name) + b" (" + " ".join(out).encode() + b")")
        await self.ok(tag, "STATUS completed")

    async def cmd_append(self, tag: bytes, args: list) -> None:
        acct = self._need_auth()
        if len(args) < 2:
            raise Bad("APPEND mailbox [(flags)] [date-time] message")
        name = self._mailbox_arg(args[0])
        rest = args[1:]
        flags: list[str] = []
        date = None
        if rest and isinstance(rest[0], list):
            flags = [as_text(f) for f in rest[0]]
            rest = rest[1:]
        if len(rest) == 2:
            date = parse_datetime(as_text(rest[0]))
            rest = rest[1:]
        if len(rest) != 1 or not isinstance(rest[0], bytes):
            raise Bad("message literal expected")
        quota = self.server.quota_of(self.user or "") if self.server.quota_of else 0
        validity, uid = await asyncio.to_thread(
            acct.append, name, rest[0], flags=flags, internaldate=date, quota_bytes=quota
        )
        if self.server.moved is not None:
            self.server.moved(acct, None, name, [uid])
        await self.ok(tag, f"[APPENDUID {validity} {uid}] APPEND completed")

    async def cmd_getquotaroot(self, tag: bytes, args: list) -> None:
        acct = self._need_auth()
        if not args:
            raise Bad("mailbox name expected")
        name = self._mailbox_arg(args[0])
        self.send(b"* QUOTAROOT " + _mailbox_wire(name) + b' ""')
        await self._send_quota(acct)
        await self.ok(tag, "GETQUOTAROOT completed")

    async def cmd_getquota(self, tag: bytes, args: list) -> None:
        acct = self._need_auth()
        if not args or as_text(args[0]) != "":
            raise No("[NONEXISTENT] no such quota root")
        await self._send_quota(acct)
        await self.ok(tag, "GETQUOTA completed")

    async def cmd_setquota(self, tag: bytes, args: list) -> None:
        self._need_auth()
        raise No("[NOPERM] quotas are set by the administrator")

    async def _send_quota(self, acct: Account) -> None:
        used, _ = await asyncio.to_thread(acct.usage)
        limit = self.server.quota_of(self.user or "") if self.server.quota_of else 0
        if limit:
            self.send(b'* QUOTA "" (STORAGE %d %d)' % ((used + 1023) // 1024, limit // 1024))
        else:
            self.send(b'* QUOTA "" ()')

    # -- selected ----------------------------------------------------------------------

    async def cmd_close(self, tag: bytes, args: list) -> None:
        acct, sel = self._need_selected()
        self.selected = None
        if not sel.readonly:
            await asyncio.to_thread(acct.expunge, sel.name)
        self.send(tag + b" OK CLOSE completed")

    async def cmd_unselect(self, tag: bytes, args: list) -> None:
        self._need_selected()
        self.selected = None
        self.send(tag + b" OK UNSELECT completed")

    async def cmd_expunge(self, tag: bytes, args: list, uids: list[int] | None = None) -> None:
        acct, sel = self._need_selected()
        if sel.readonly:
            raise No("[READ-ONLY] mailbox is read-only")
        await asyncio.to_thread(acct.expunge, sel.name, uids)
        await self.ok(tag, "EXPUNGE completed", "EXPUNGE")

    async def cmd_uid_expunge(self, tag: bytes, args: list) -> None:
        _, sel = self._need_selected()
        if not args:
            raise Bad("UID EXPUNGE sequence-set")
        await self.cmd_expunge(tag, args, uids=self._uids(as_text(args[0]), True))

    def _uids(self, text: str, uid_mode: bool) -> list[int]:
        """Message set → UIDs present in the session's view, ascending."""
        sel = self.selected
        assert sel is not None
        ranges = parse_sequence_set(text)
        uids = sel.uids
        if not uids:
            return []
        out: set[int] = set()
        if uid_mode:
            for lo, hi in resolve_sequence_set(ranges, uids[-1]):
                a = bisect.bisect_left(uids, lo)
                b = bisect.bisect_right(uids, hi)
                out.update(uids[a:b])
        else:
            for lo, hi in resolve_sequence_set(ranges, len(uids)):
                if lo > len(uids):
                    raise Bad("no such message")
                out.update(uids[lo - 1 : min(hi, len(uids))])
        return sorted(out)

    async def cmd_fetch(self, tag: bytes, args: list, uid_mode: bool = False) -> None:
        acct, sel = self._need_selected()
        if len(args) < 2:
            raise Bad("FETCH sequence-set items")
        items = parse_fetch_items(args[1])
        uids = self._uids(as_text(args[0]), uid_mode)
        if uid_mode and not any(i.name == "UID" for i in items):
            items.insert(0, FetchItem("UID"))
        if not sel.readonly and any(i.sets_seen for i in items):
            unseen = [u for u in uids if "\\Seen" not in sel.flags.get(u, "")]
            if unseen:
                changed = await asyncio.to_thread(acct.store_flags, sel.name, unseen, "+",
                                                  ["\\Seen"])
                sel.flags.update(changed)
                if not any(i.name == "FLAGS" for i in items):
                    items.append(FetchItem("FLAGS"))
        columns, render = _renderer(items)
        read_file = any(i.needs_file for i in items)
        # Pipelined: batch k+1 is built in a worker thread while batch k drains
        # to the client. Batches grow so the first response goes out at once.
        size = _FIRST_BATCH
        limit = _BODY_BATCH if read_file else _FETCH_BATCH
        batches = []
        pos = 0
        while pos < len(uids):
            batches.append(uids[pos : pos + size])
            pos += size
            size = min(size * 2, limit)
        columns_t = tuple(columns)
        pending: asyncio.Future[list[bytes]] | None = None
        try:
            for k, batch in enumerate(batches):
                if pending is None:
                    pending = asyncio.ensure_future(asyncio.to_thread(
                        self._fetch_batch, acct, sel, batch, render, columns_t, read_file))
                lines = await pending
                pending = None
                if self.selected is not sel:
                    break
                if k + 1 < len(batches):
                    pending = asyncio.ensure_future(asyncio.to_thread(
                        self._fetch_batch, acct, sel, batches[k + 1], render, columns_t,
                        read_file))
                if lines:
                    self.conn.write(b"".join(lines))
                await self.conn.drain()
        finally:
            if pending is not None:
                with contextlib.suppress(Exception):
                    await pending
        await self.ok(tag, ("UID " if uid_mode else "") + "FETCH completed", "FETCH")

    def _fetch_batch(self, acct: Account, sel: Selected, uids: list[int],
                     render: Callable[[Selected, int, tuple, bytes | None], bytes],
                     columns: tuple[str, ...], read_file: bool) -> list[bytes]:
        """FETCH responses for ``uids`` (runs in a worker thread)."""
        if read_file:
            columns = (*columns, "name")
        rows = acct.meta(sel.name, uids, columns) if columns else dict.fromkeys(uids, ())
        folder_dir = str(acct.path / folder_dirname(sel.name)) + "/"
        seq_of = sel.seq_of
        out = []
        for uid in uids:
            row = rows.get(uid)
            if row is None:
                continue  # expunged by someone else; reported later
            seq = seq_of(uid)
            if not seq:
                continue
            data = None
            if read_file:
                data = _read_file(folder_dir + row[-1])
                if data is None:
                    data = acct.read(sel.name, uid)  # renamed meanwhile: ask the index again
                if data is None:
                    continue
            out.append(b"* %d FETCH (%b)\r\n" % (seq, render(sel, uid, row, data)))
        return out

    async def cmd_uid_fetch(self, tag: bytes, args: list) -> None:
        await self.cmd_fetch(tag, args, uid_mode=True)

    async def cmd_store(self, tag: bytes, args: list, uid_mode: bool = False) -> None:
        acct, sel = self._need_selected()
        if len(args) < 3:
            raise Bad("STORE sequence-set item flags")
        if sel.readonly:
            raise No("[READ-ONLY] mailbox is read-only")
        op = as_text(args[1]).upper()
        m = re.fullmatch(r"([+-]?)FLAGS(\.SILENT)?", op)
        if not m:
            raise Bad("bad STORE item")
        flag_tokens = args[2] if isinstance(args[2], list) else args[2:]
        flags = []
        for tok in flag_tokens:
            flag = as_text(tok)
            if flag.startswith("\\"):
                match = next((f for f in _SYSTEM_FLAGS if f.lower() == flag.lower()), None)
                if match is None:
                    if flag.lower() == "\\recent":
                        continue
                    raise Bad(f"unknown system flag {flag[:20]}")
                flag = match
            elif not re.fullmatch(r"[!#-'*+\-.0-Z^-z|~]+", flag):
                raise Bad("bad keyword")
            flags.append(flag)
        uids = self._uids(as_text(args[0]), uid_mode)
        result = await asyncio.to_thread(acct.store_flags, sel.name, uids, m.group(1), flags)
        for uid in uids:
            if uid not in result:
                continue
            sel.flags[uid] = result[uid]
            if not m.group(2):
                seq = sel.seq_of(uid)
                uid_part = b"UID %d " % uid if uid_mode else b""
                self.send(b"* %d FETCH (%sFLAGS %s)"
                          % (seq, uid_part, _flag_list(result[uid], uid in sel.recent)))
        await self.ok(tag, ("UID " if uid_mode else "") + "STORE completed", "STORE")

    async def cmd_uid_store(self, tag: bytes, args: list) -> None:
        await self.cmd_store(tag, args, uid_mode=True)

    async def cmd_copy(self, tag: bytes, args: list, uid_mode: bool = False,
                       move: bool = False) -> None:
        acct, sel = self._need_selected()
        if len(args) != 2:
            raise Bad("COPY sequence-set mailbox")
        if move and sel.readonly:
            raise No("[READ-ONLY] mailbox is read-only")
        uids = self._uids(as_text(args[0]), uid_mode)
        dst = self._mailbox_arg(args[1])
        if not acct.exists(dst):
            raise No("[TRYCREATE] no such mailbox")
        quota = self.server.quota_of(self.user or "") if self.server.quota_of else 0
        validity, pairs = await asyncio.to_thread(
            acct.copy, sel.name, uids, dst, move=move, quota_bytes=quota
        )
        code = ""
        if pairs:
            code = f"[COPYUID {validity} {_compact([p[0] for p in pairs])} " \
                   f"{_compact([p[1] for p in pairs])}] "
        if pairs and self.server.moved is not None:
            self.server.moved(acct, sel.name, dst, [p[1] for p in pairs])
        verb = "MOVE" if move else "COPY"
        if move:
            if code:
                self.send(b"* OK " + code.encode().strip() + b" moved")
            await self.ok(tag, f"{verb} completed", "MOVE")
        else:
            await self.ok(tag, f"{code}{verb} completed", "COPY")

    async def cmd_uid_copy(self, tag: bytes, args: list) -> None:
        await self.cmd_copy(tag, args, uid_mode=True)

    async def cmd_move(self, tag: bytes, args: list) -> None:
        await self.cmd_copy(tag, args, move=True)

    async def cmd_uid_move(self, tag: bytes, args: list) -> None:
        await self.cmd_copy(tag, args, uid_mode=True, move=True)

    async def cmd_search(self, tag: bytes, args: list, uid_mode: bool = False) -> None:
        acct, sel = self._need_selected()
        charset, tree = parse_search(args)
        if charset not in (None, "UTF-8", "US-ASCII"):
            raise No("[BADCHARSET (UTF-8 US-ASCII)] unsupported charset")
        hits = await asyncio.to_thread(self._search, acct, sel, tree)
        nums = hits if uid_mode else [sel.seq_of(u) for u in hits]
        self.send(b"* SEARCH" + b"".join(b" %d" % n for n in nums))
        await self.ok(tag, ("UID " if uid_mode else "") + "SEARCH completed", "SEARCH")

    def _search(self, acct: Account, sel: Selected, tree: tuple) -> list[int]:
        need = needs(tree)
        columns = [c for c in ("vsize", "internaldate", "search") if
                   (c == "vsize" and "size" in need) or c in need]
        uids = list(sel.uids)
        rows = acct.meta(sel.name, uids, columns, search_contains=_required_text(tree)) \
            if columns else {}
        pred = compile_search(tree, largest_seq=len(uids),
                              largest_uid=uids[-1] if uids else 0)
        out = []
        for seq, uid in enumerate(uids, 1):
            row = rows.get(uid)
            if columns and row is None:
                continue  # gone, or ruled out by the header prefilter
            m = SearchMessage(seq, uid, set(sel.flags.get(uid, "").split()), uid in sel.recent)
            if row is not None:
                values = dict(zip(columns, row, strict=True))
                m.size = values.get("vsize") or 0
                m.internaldate = values.get("internaldate") or 0
                m.search = values.get("search") or ""
            if "file" in need:
                m.body = _body_loader(acct, sel.name, uid)
            if pred(m):
                out.append(uid)
        return out

    async def cmd_uid_search(self, tag: bytes, args: list) -> None:
        await self.cmd_search(tag, args, uid_mode=True)

    async def cmd_idle(self, tag: bytes, args: list) -> None:
        self._need_auth()
        self.send(b"+ idling")
        await self._report_changes("IDLE")
        await self.conn.drain()
        reader = asyncio.ensure_future(self.conn.readline())
        deadline = time.monotonic() + self.server.timeout
        try:
            while True:
                waiter = asyncio.ensure_future(self.changed.wait())
                done, _ = await asyncio.wait({reader, waiter}, timeout=_IDLE_POLL,
                                             return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                if reader in done:
                    break
                if time.monotonic() > deadline:
                    self.send(b"* BYE idle for too long")
                    await self.conn.drain()
                    raise _Logout
                self.changed.clear()
                await self._report_changes("IDLE", rescan=not done)
                await self.conn.drain()
        finally:
            if not reader.done():
                reader.cancel()
        line = reader.result()
        if line.strip().upper() != b"DONE":
            raise Bad("DONE expected")
        await self.ok(tag, "IDLE terminated")


class _Logout(Exception):
    pass


def _read_file(path: Path | str) -> bytes | None:
    """A message file's bytes with LF line ends, or None if it is gone."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)
        while len(data) <= size:  # grew meanwhile, or a short read
            more = os.read(fd, 1 << 20)
            if not more:
                break
            data += more
    finally:
        os.close(fd)
    return data.replace(b"\r\n", b"\n") if b"\r" in data else data


def _crlf(data: bytes) -> bytes:
    """LF bytes (as ``_read_file`` returns them) to CRLF."""
    return data.replace(b"\n", b"\r\n") if b"\r" not in data else to_crlf(data)


Render = Callable[[Selected, int, tuple, "bytes | None"], bytes]


def _renderer(items: list[FetchItem]) -> tuple[list[str], Render]:
    """(index columns needed, a function that renders the FETCH data items of one
    message): decided once per command, not once per message and item."""
    columns: list[str] = []
    for item in items:
        col = {"RFC822.SIZE": "vsize", "INTERNALDATE": "internaldate", "ENVELOPE": "envelope",
               "BODYSTRUCTURE": "structure", "BODY": "body", "RFC822.HEADER": "header"}.get(
            item.name if item.section is None else "RFC822.HEADER")
        if col and col not in columns:
            columns.append(col)
    at = {c: i for i, c in enumerate(columns)}
    parts: list[Render] = []
    for item in items:
        parts.append(_item_renderer(item, at))
    if len(parts) == 1:
        return columns, parts[0]
    return columns, lambda sel, uid, row, data: b" ".join([p(sel, uid, row, data)
                                                           for p in parts])


def _item_renderer(item: FetchItem, at: dict[str, int]) -> Render:
    name = item.name
    if item.section is None:
        if name == "UID":
            return lambda sel, uid, row, data: b"UID %d" % uid
        if name == "FLAGS":
            return lambda sel, uid, row, data: b"FLAGS " + _flag_list(
                sel.flags.get(uid, ""), uid in sel.recent)
        if name in ("RFC822.SIZE", "ENVELOPE", "BODYSTRUCTURE", "BODY"):
            i = at[{"RFC822.SIZE": "vsize", "ENVELOPE": "envelope", "BODYSTRUCTURE": "structure",
                    "BODY": "body"}[name]]
            if name == "RFC822.SIZE":
                return lambda sel, uid, row, data: b"RFC822.SIZE %d" % row[i]
            prefix = name.encode() + b" "
            return lambda sel, uid, row, data: prefix + row[i]
        if name == "INTERNALDATE":
            i = at["internaldate"]
            return lambda sel, uid, row, data: b"INTERNALDATE " + format_internaldate(row[i] or 0)
        if name == "RFC822.HEADER":
            i = at["header"]
            return lambda sel, uid, row, data: b"RFC822.HEADER " + _literal(
                to_crlf(row[i] + b"\n"))
        if name == "RFC822":
            return lambda sel, uid, row, data: b"RFC822 " + _literal(_crlf(data or b""))
        if name == "RFC822.TEXT":
            def text(sel: Selected, uid: int, row: tuple, data: bytes | None) -> bytes:
                data = data or b""
                return b"RFC822.TEXT " + _literal(_crlf(
                    section_bytes(data, parse_message(data), [], "TEXT") or b""))
            return text
        raise Bad(f"unknown FETCH item {name}")
    prefix = item.response_name() + b" "
    partial = item.partial

    def finish(body: bytes) -> bytes:
        if partial is not None:
            offset, length = partial
            body = body[offset : offset + length if length is not None else None]
        return prefix + _literal(body)

    if item.needs_file:
        if not item.numbers and not item.text:  # BODY[]: the whole message, no parsing
            return lambda sel, uid, row, data: finish(_crlf(data or b""))

        def section(sel: Selected, uid: int, row: tuple, data: bytes | None) -> bytes:
            data = data or b""
            content = section_bytes(data, parse_message(data), item.numbers, item.text,
                                    item.fields)
            return finish(_crlf(content) if content is not None else b"")
        return section
    i = at["header"]
    if item.text == "HEADER":
        return lambda sel, uid, row, data: finish(_crlf(row[i] + b"\n"))
    negate = item.text.endswith(".NOT")
    fields = item.fields
    return lambda sel, uid, row, data: finish(_crlf(header_fields(row[i], fields,
                                                                  negate=negate)))


def _literal(data: bytes) -> bytes:
    return b"{%d}\r\n" % len(data) + data


def _compact(nums: list[int]) -> str:
    """[1,2,3,7] → "1:3,7" (for COPYUID)."""
    out = []
    start = prev = nums[0]
    for n in nums[1:]:
        if n == prev + 1:
            prev = n
            continue
        out.append(f"{start}:{prev}" if start != prev else str(start))
        start = prev = n
    out.append(f"{start}:{prev}" if start != prev else str(start))
    return ",".join(out)


def _required_text(tree: tuple) -> str | None:
    """Header text every match must contain (for a prefilter in SQL), if the tree says so."""
    if tree[0] == "header" and tree[2]:
        return tree[2]
    if tree[0] == "and":
        for node in tree[1]:
            if node[0] == "header" and node[2]:
                return node[2]
    return None


def _body_loader(acct: Account, folder: str, uid: int) -> Callable[[], str]:
    cache: list[str] = []

    def load() -> str:
        if not cache:
            data = acct.read(folder, uid) or b""
            cache.append(data.decode("utf-8", "replace").casefold())
        return cache[0]

    return load
