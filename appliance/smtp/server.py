"""SMTP listeners on aiosmtpd: MX (25), submission (587) and SMTPS (465).

aiosmtpd does the protocol; this module adds what a public MX needs on top:
enhanced status codes on every reply, a cap on errors and on connections,
our own address parsing (so relay tricks reach the policy intact), AUTH
checked off the event loop, and the DATA hand-off into the durable spool.
"""

from __future__ import annotations

import asyncio
import base64
import re
import ssl
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, make_msgid
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from appliance.admission import Admission, Gate, Ticket, Timing
from appliance.aliases import Directory
from appliance.logs import get_logger
from appliance.queue.spool import Envelope as QueueEnvelope
from appliance.queue.spool import new_queue_id
from appliance.smtp.aiosmtpd_compat import PatchedSMTP, check_version
from appliance.smtp.policy import (
    access_check,
    check_recipient,
    check_sender,
    check_sender_use,
    in_networks,
    recipients_over_quota,
)
from appliance.store.account import stored_size

__all__ = ["ListenerConfig", "SmtpLimits", "SmtpContext", "SmtpListener"]

log = get_logger("smtpd")


# Default enhanced codes (RFC 3463) for replies that aiosmtpd sends without one.
_ENHANCED = {
    "221": "2.0.0", "235": "2.7.0", "250": "2.0.0", "252": "2.0.0",
    "421": "4.7.0", "450": "4.2.0", "451": "4.3.0", "452": "4.3.1", "454": "4.7.0",
    "500": "5.5.2", "501": "5.5.4", "502": "5.5.1", "503": "5.5.1", "504": "5.5.4",
    "530": "5.7.0", "534": "5.7.9", "535": "5.7.8", "538": "5.7.11", "550": "5.0.0",
    "552": "5.3.4", "553": "5.1.3", "554": "5.0.0", "555": "5.5.4",
}
_HAS_ENHANCED = re.compile(rb"^\d{3}[ -][245]\.\d{1,3}\.\d{1,3}(\s|$)")
_MAX_HOPS = 50


@dataclass(frozen=True)
class ListenerConfig:
    name: str  # smtp, submission, smtps
    implicit_tls: bool = False
    starttls: bool = True
    auth_required: bool = False


@dataclass(frozen=True)
class SmtpLimits:
    max_message_size: int = 26214400
    max_recipients: int = 100
    timeout: float = 300
    max_errors: int = 20
    max_connections: int = 200
    max_connections_per_ip: int = 50
    # Near max_connections, idle sessions before MAIL give way (appliance.admission).
    timing: Timing = Timing()


@dataclass
class SmtpContext:
    """What every SMTP session needs from the daemon."""

    hostname: str
    directory: Directory
    # Writes a queue file off the loop: done once it is in active/; then
    # calls the callback (on the writing thread).
    enqueue: Callable[[QueueEnvelope, list[bytes], Callable[[], None]], asyncio.Future[None]]
    # A new list whenever the networks change (answers are remembered per list).
    relay_networks: Callable[[], list[str]]
    authenticate: Callable[[str, str, str], Awaitable[str | None]]
    # Called from the callback above: the queue manager takes the message on.
    accepted: Callable[[QueueEnvelope, bytes], None]
    usage_of: Callable[[str], int] | None = None
    paused: Callable[[], bool] = lambda: False
    count: Callable[[str, str], None] = lambda direction, kind: None  # statistics
    # True while free space is under the reserve: MAIL FROM is refused with 452.
    storage_low: Callable[[], bool] = lambda: False
    # Addresses an admin granted an account as envelope senders (account senders add).
    granted_senders: Callable[[str], list[str]] = lambda account: []
    # submission.sender_check: a logged-in user may only send as addresses they own.
    sender_check: Callable[[], bool] = lambda: True
    # smtp.local_sender_check: outsiders may not use our own domains as envelope sender.
    local_sender_check: Callable[[], bool] = lambda: True
    # True for a client address banned for guessing passwords (appliance.auth.bans).
    banned: Callable[[str], bool] = lambda ip: False
    # SPF/DKIM/DMARC/ARC of mail from outside (appliance.authcheck.smtp_hook):
    # (message, header end, ip, helo, sender) -> Outcome, or None while switched off.
    inbound_check: Callable[[bytes, int, str, str, str], Awaitable[Any]] | None = None
    # The client/sender access list (appliance.state.access), read at most once a second.
    access_rules: Callable[[], list[Any]] = lambda: []
    # Attachments, viruses and spam at the end of DATA (appliance.screening.Screening.check):
    # (message, header end, ip=, helo=, sender=, recipients=, outside=, checks=) -> Screened.
    screen: Callable[..., Awaitable[Any]] | None = None


class _Protocol(PatchedSMTP):
    """aiosmtpd's SMTP with Mailroom's guards (aiosmtpd's internals: aiosmtpd_compat)."""

    def __init__(self, handler: _Handler, **kwargs: Any) -> None:
        if kwargs.get("auth_required") and not kwargs.get("auth_require_tls", True):
            with warnings.catch_warnings():
                # On the implicit-TLS listener AUTH is required while
                # auth_require_tls is off: the whole connection is already TLS.
                warnings.simplefilter("ignore")
                super().__init__(handler, **kwargs)
        else:  # no warning to silence: skip the filter juggling on every connection
            super().__init__(handler, **kwargs)
        self._mr = handler
        self._errors = 0
        self._continued: list[bytes] = []

    async def push(self, status: Any) -> None:
        raw = status.encode("utf-8") if isinstance(status, str) else status
        if raw[3:4] == b"-":
            # A multi-line reply (EHLO's) goes out in one write with its last
            # line, as Postfix does: a send per line costs more than the line.
            self._continued.append(raw + b"\r\n")
            return
        if not self._in_greeting:
            raw = _enhanced(raw)
        code = raw[:3]
        if self._continued:
            raw = b"".join(self._continued) + raw
            self._continued.clear()
        # aiosmtpd's push, less its debug log line: write and wait for room.
        self._writer.write(raw + b"\r\n")
        await self._writer.drain()
        if code[:1] in (b"4", b"5") and code != b"421":
            self._errors += 1
            if self._errors >= self._mr.limits.max_errors and self.transport is not None:
                log.info("too many errors from %s; disconnecting", self._mr.peer_text(self))
                await super().push(f"421 4.7.0 {self.hostname} Error: too many errors".encode())
                self.transport.close()

    _in_greeting = False

    async def smtp_EHLO(self, hostname: str) -> None:
        # RFC 2034: EHLO and HELO replies carry no enhanced status code.
        self._in_greeting = True
        try:
            await super().smtp_EHLO(hostname)
        finally:
            self._in_greeting = False

    async def smtp_HELO(self, hostname: str) -> None:
        self._in_greeting = True
        try:
            await super().smtp_HELO(hostname)
        finally:
            self._in_greeting = False

    def split_path(self, arg: str) -> tuple[str | None, str | None]:
        # Hand the path to our policy as written; aiosmtpd's RFC 5322 parser
        # would rewrite source routes and quoting before we could judge them.
        arg = arg.strip()
        if arg.startswith("<"):
            end = _closing_bracket(arg)
            if end < 0:
                return None, None
            path, rest = arg[: end + 1], arg[end + 1 :]
            return (path if path != "<>" else "<>"), rest.strip()
        path, _, rest = arg.partition(" ")
        return path, rest.strip()

    _ticket: Ticket | None = None  # this session's place under the connection caps

    async def handle_connection(self) -> None:
        assert self.session is not None
        ip = str(self.session.peer[0]) if self.session.peer else "?"
        if self._mr.ctx.banned(ip):
            log.info("connect from [%s] refused: address banned after failed logins", ip)
            await super().push(b"421 4.7.0 Error: too many failed logins from your address; "
                               b"try again later")
            if self.transport is not None:
                self.transport.close()
            return
        gate, limits = self._mr.connections, self._mr.limits
        # The limits may have been reloaded since the last connection.
        gate.admission.max_total = limits.max_connections
        gate.admission.max_per_ip = limits.max_connections_per_ip
        gate.admission.timing = limits.timing
        verdict = await gate.admit(ip, engaged=self._in_transaction, end=self._make_room)
        if verdict.ticket is None:
            log.warning("too many connections from [%s] (%s cap)", ip, verdict.refused)
            await super().push(b"421 4.7.0 Error: too many connections; try again later")
            if self.transport is not None:
                self.transport.close()
            return
        self._ticket = verdict.ticket
        log.info("connect from [%s] to %s", ip, self._mr.config.name)
        try:
            await self.run_session()
        finally:
            gate.release(verdict.ticket)
            log.info("disconnect from [%s]", ip)

    def client_active(self) -> None:
        if self._ticket is not None:
            self._mr.connections.touch(self._ticket)

    def _in_transaction(self) -> bool:
        # Between MAIL and the end of DATA; "" (the null sender) counts.
        return self.envelope is not None and self.envelope.mail_from is not None

    def _make_room(self) -> None:
        """Close this idle session for a new client (see appliance.admission)."""
        if self.transport is not None:
            self.write_now(f"421 4.7.0 {self.hostname} Error: too many connections; "
                               "closing idle session\r\n".encode())
            self.transport.close()

    async def auth_PLAIN(self, _: Any, args: list[str]) -> AuthResult:
        if len(args) == 1:
            blob = await self.challenge_auth("")
            if not isinstance(blob, bytes):
                return AuthResult(success=False, handled=True)
        else:
            try:
                blob = base64.b64decode(args[1].encode(), validate=True)
            except ValueError:
                await self.push("501 5.5.2 Cannot decode base64")
                return AuthResult(success=False, handled=True)
        parts = blob.split(b"\x00")
        if len(parts) != 3:
            await self.push("501 5.5.2 Cannot split AUTH PLAIN response")
            return AuthResult(success=False, handled=True)
        return await self._check_login(parts[1], parts[2])

    async def auth_LOGIN(self, _: Any, args: list[str]) -> AuthResult:
        if len(args) == 1:
            login = await self.challenge_auth(self.AuthLoginUsernameChallenge)
        else:
            try:
                login = base64.b64decode(args[1].encode(), validate=True)
            except ValueError:
                await self.push("501 5.5.2 Cannot decode base64")
                return AuthResult(success=False, handled=True)
        if not isinstance(login, bytes):
            return AuthResult(success=False, handled=True)
        password = await self.challenge_auth(self.AuthLoginPasswordChallenge)
        if not isinstance(password, bytes):
            return AuthResult(success=False, handled=True)
        return await self._check_login(login, password)

    async def _check_login(self, login: bytes, password: bytes) -> AuthResult:
        assert self.session is not None
        ip = str(self.session.peer[0])
        user = login.decode("utf-8", "replace")
        address = await self._mr.ctx.authenticate(user, password.decode("utf-8", "replace"), ip)
        if address is None:  # answered late already: the authenticator slows guessing down
            return AuthResult(success=False, handled=False,
                              message="535 5.7.8 Error: authentication failed")
        log.info("client=[%s], sasl_method=%s, sasl_username=%s", ip, "AUTH", address)
        return AuthResult(success=True, auth_data=LoginPassword(address.encode(), b""))


_REPLIES: dict[bytes, bytes] = {}  # reply -> reply with its enhanced code (most repeat)


def _enhanced(raw: bytes) -> bytes:
    """``raw`` with the default enhanced status code for its code, when it has none."""
    done = _REPLIES.get(raw)
    if done is not None:
        return done
    code = raw[:3].decode("ascii", "replace")
    done = raw
    if (
        len(raw) > 4
        and code[0] in "245"
        and code not in ("220", "334", "354")
        and raw[3:4] == b" "
        and not _HAS_ENHANCED.match(raw)
        and code in _ENHANCED
    ):
        done = raw[:4] + _ENHANCED[code].encode() + b" " + raw[4:]
    if len(_REPLIES) < 512:  # a bound: queue IDs make some replies unique
        _REPLIES[raw] = done
    return done


def _closing_bracket(text: str) -> int:
    quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and quoted:
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif ch == ">" and not quoted:
            return i
        i += 1
    return -1


class _Handler:
    """The Mailroom side of one listener: policy and the hand-off to the spool."""

    def __init__(self, ctx: SmtpContext, config: ListenerConfig, limits: SmtpLimits) -> None:
        self.ctx = ctx
        self.config = config
        self.limits = limits
        self.connections = Gate(
            Admission(limits.max_connections, limits.max_connections_per_ip, limits.timing),
            log.info)
        # in_networks answers per client address, for the relay network list they were
        # computed from (MAIL, RCPT and DATA all ask; the list is re-read once a second).
        self._networks: list[str] | None = None
        self._trusted: dict[str, bool] = {}

    def trusted(self, ip: str) -> bool:
        """Is ``ip`` in a relay network (``in_networks``, remembered per network list)?"""
        networks = self.ctx.relay_networks()
        if networks is not self._networks:
            self._networks, self._trusted = networks, {}
        found = self._trusted.get(ip)
        if found is None:
            if len(self._trusted) >= 4096:
                self._trusted.clear()
            found = self._trusted[ip] = in_networks(ip, networks)
        return found

    @staticmethod
    def peer_text(server: SMTP) -> str:
        peer = server.session.peer if server.session else None
        return f"[{peer[0]}]" if peer else "[?]"

    @staticmethod
    def _user(session: Session) -> str | None:
        if not session.authenticated or session.auth_data is None:
            return None
        return session.auth_data.login.decode()

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        out = [r for r in responses if r != "250 HELP"]
        out.insert(1, "250-PIPELINING")
        out.append("250-ENHANCEDSTATUSCODES")
        last = out.pop()
        out.append("250 " + last[4:])
        return out

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str,
        options: list[str],
    ) -> str:
        if self.ctx.paused():
            return "421 4.3.2 Service paused by the administrator; try again later"
        if self.ctx.storage_low():
            return "452 4.3.1 Insufficient system storage"
        reply, sender = check_sender(address)
        if sender is None:
            return reply
        user = self._user(session)
        ip = str(session.peer[0])
        if user is None and not self.trusted(ip):
            found = access_check(self.ctx.access_rules(), sender=sender)
            if found is not None and found[0] == "refuse":
                self.ctx.count("in", "rejected")
                log.info("NOQUEUE: reject: MAIL from [%s]: %s; from=<%s> proto=ESMTP "
                         "helo=<%s>", ip, found[1], sender, session.host_name)
                return found[1]
            envelope.access = found[0] if found else None  # type: ignore[attr-defined]
        refusal = check_sender_use(
            sender, user=user, directory=self.ctx.directory,
            trusted=user is None and self.trusted(ip),
            granted=self.ctx.granted_senders(user) if user is not None else (),
            own_check=self.ctx.sender_check(), local_check=self.ctx.local_sender_check(),
        )
        if refusal is not None:
            self.ctx.count("in", "rejected")
            log.info("NOQUEUE: reject: MAIL from [%s]: %s; from=<%s>%s proto=ESMTP helo=<%s>",
                     ip, refusal, sender, f" sasl_username={user}" if user else "",
                     session.host_name)
            return refusal
        envelope.mail_from = sender
        envelope.mail_options.extend(options)
        return reply

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str,
        options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= self.limits.max_recipients:
            return "452 4.5.3 Error: too many recipients"
        ip = str(session.peer[0])
        may_relay = bool(session.authenticated) or self.trusted(ip)
        if not may_relay and getattr(envelope, "access", None) != "ok":
            found = access_check(self.ctx.access_rules(), ip=ip)
            if found is not None and found[0] == "refuse":
                self.ctx.count("in", "rejected")
                log.info("NOQUEUE: reject: RCPT from [%s]: %s; from=<%s> to=%s proto=ESMTP "
                         "helo=<%s>", ip, found[1], envelope.mail_from, address,
                         session.host_name)
                return found[1]
            if found is not None and getattr(envelope, "access", None) is None:
                envelope.access = found[0]  # type: ignore[attr-defined]
        verdict = check_recipient(
            address, directory=self.ctx.directory, may_relay=may_relay,
            usage_of=self.ctx.usage_of,
        )
        if not verdict.accepted:
            self.ctx.count("in", "rejected")
            log.info(
                "NOQUEUE: reject: RCPT from [%s]: %s; from=<%s> to=%s proto=ESMTP helo=<%s>",
                ip, verdict.reply, envelope.mail_from, address, session.host_name,
            )
            return verdict.reply
        assert verdict.address is not None
        envelope.rcpt_tos.append(verdict.address)
        envelope.rcpt_options.extend(options)
        return verdict.reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if getattr(envelope, "access", None) == "discard":
            # The access list says DISCARD: the sender is told it was taken, nothing is kept.
            log.info("NOQUEUE: discard: DATA from [%s]: from=<%s> to=<%s> (access list)",
                     session.peer[0], envelope.mail_from, ">,<".join(envelope.rcpt_tos))
            return "250 2.0.0 Ok: discarded"
        content = envelope.original_content or b""
        head_end = _header_end(content)
        head = content[:head_end]
        if len(re.findall(rb"(?im)^received:", head)) > _MAX_HOPS:
            return "554 5.4.6 Too many hops (mail forwarding loop?)"
        qid = new_queue_id()
        user = self._user(session)
        ip = str(session.peer[0])
        checked = None
        outside = (user is None and not self.config.auth_required
                   and not self.trusted(ip))
        if self.ctx.inbound_check is not None and outside:
            checked = await self.ctx.inbound_check(
                content, head_end, ip, session.host_name or "", envelope.mail_from or "")
            if checked is not None:
                if checked.decision.action in ("reject", "defer"):
                    if checked.decision.action == "reject":
                        self.ctx.count("in", "rejected")
                    log.info("NOQUEUE: %s: DATA from [%s]: %s; from=<%s> to=<%s> (%s)",
                             checked.decision.action, ip, checked.decision.reply,
                             envelope.mail_from, ">,<".join(envelope.rcpt_tos),
                             checked.decision.reason)
                    return str(checked.decision.reply)
                content = checked.head + content[head_end:]
                head_end = len(checked.head)
        notes: list[str] = []
        if self.ctx.screen is not None:  # attachments, viruses, spam (appliance.screening)
            screened = await self.ctx.screen(
                content, head_end, ip=ip, helo=session.host_name or "",
                sender=envelope.mail_from or "", recipients=list(envelope.rcpt_tos),
                outside=outside, checks=checked.summary() if checked is not None else None)
            if screened.reply:
                if screened.counts_as_rejected:
                    submitted = user is not None or self.config.auth_required
                    self.ctx.count("out" if submitted else "in", "rejected")
                log.info("NOQUEUE: %s: DATA from [%s]:%s: %s; from=<%s> to=<%s> (%s)",
                         "reject" if screened.reply[0] == "5" else "defer", ip, session.peer[1],
                         screened.reply, envelope.mail_from, ">,<".join(envelope.rcpt_tos),
                         screened.reason)
                return screened.reply
            if screened.head is not None:
                content = screened.head + content[head_end:]
            notes = screened.notes
        added = [self._received(server, session, envelope, qid, user)]
        if user is not None or self.config.auth_required:
            # Submission: the client may be a bare script; give the message
            # what RFC 5322 requires (RFC 6409 section 8).
            if not re.search(rb"(?im)^message-id:", head):
                added.append(f"Message-ID: {make_msgid(domain=self.ctx.hostname)}\r\n".encode())
            if not re.search(rb"(?im)^date:", head):
                added.append(f"Date: {_date_now()}\r\n".encode())
        chunks = [*added, content]
        sender = envelope.mail_from or ""  # "" is the null sender
        if self.ctx.usage_of is not None:
            usage_of = self.ctx.usage_of
            full = recipients_over_quota(
                envelope.rcpt_tos, stored_size(chunks, sender),
                self.ctx.directory, usage_of,
            )
            # One reply for every recipient: refuse only when it reaches none
            # of them; the others must not lose it (those over get a bounce).
            if full and len(full) == len(envelope.rcpt_tos):
                self.ctx.count("in", "rejected")
                log.info("NOQUEUE: reject: DATA from [%s]: 552 5.2.2 Mailbox full; "
                         "from=<%s> to=<%s>", ip, sender, ">,<".join(full))
                return "552 5.2.2 Mailbox full: this message would pass the quota"
        queued = QueueEnvelope(
            id=qid,
            sender=sender,
            recipients=list(envelope.rcpt_tos),
            arrival=time.time(),
            client=ip,
            helo=session.host_name or "",
            auth=user,
            origin=self.config.name,
            checks=checked.summary() if checked is not None else None,
        )

        def hand_over() -> None:  # on the intake thread, once the file is in active/
            sasl = f", sasl_username={user}" if user else ""
            log.info("%s: client=[%s]%s", qid, ip, sasl)
            if checked is not None:
                log.info("%s: %s", qid, checked.log_text())
            for note in notes:
                log.info("%s: %s", qid, note)
            log.info("%s: from=<%s>, size=%d, nrcpt=%d (queue active)",
                     qid, queued.sender, queued.size, len(queued.recipients))
            self.ctx.accepted(queued, b"".join(chunks))

        spooled = self.ctx.enqueue(queued, chunks, hand_over)
        try:
            await spooled
        except OSError as exc:
            log.error("%s: cannot write queue file: %s", qid, exc)
            return "451 4.3.0 Error: queue file write error; try again later"
        outbound = user is not None or self.config.auth_required
        self.ctx.count("out" if outbound else "in", "received")
        return f"250 2.0.0 Ok: queued as {qid}"

    def _received(
        self, server: SMTP, session: Session, envelope: Envelope, qid: str, user: str | None
    ) -> bytes:
        ip = str(session.peer[0])
        tls = self._tls_info(server)
        proto = ("ESMTP" if session.extended_smtp else "SMTP") + ("S" if tls else "") + (
            "A" if user else ""
        )
        lines = [f"Received: from {_clean(session.host_name or 'unknown')} ([{ip}])"]
        if tls:
            lines.append(f"\t(using {tls})")
        if user:
            lines.append(f"\t(Authenticated sender: {user})")
        lines.append(f"\tby {self.ctx.hostname} (Mailroom) with {proto} id {qid}")
        rcpt = f"for <{envelope.rcpt_tos[0]}>; " if len(envelope.rcpt_tos) == 1 else ""
        lines.append(f"\t{rcpt}{_date_now()}")
        return ("\r\n".join(lines) + "\r\n").encode("utf-8", "replace")

    @staticmethod
    def _tls_info(server: SMTP) -> str | None:
        transport = server.transport
        ssl_obj = transport.get_extra_info("ssl_object") if transport is not None else None
        if ssl_obj is None:
            return None
        cipher = ssl_obj.cipher()
        return f"{ssl_obj.version()} with cipher {cipher[0]}" if cipher else ssl_obj.version()


_date_cache: tuple[int, str] = (0, "")


def _date_now() -> str:
    """The time as an RFC 5322 date, formatted once a second (every message asks)."""
    global _date_cache
    second = int(time.time())
    if _date_cache[0] != second:
        _date_cache = (second, format_datetime(datetime.fromtimestamp(second).astimezone()))
    return _date_cache[1]


def _clean(text: str) -> str:
    return re.sub(r"[^\x21-\x7e]", "?", text)[:255]


def _header_end(content: bytes) -> int:
    for sep in (b"\r\n\r\n", b"\n\n"):
        idx = content.find(sep)
        if idx >= 0:
            return idx + len(sep) // 2
    return len(content)


class SmtpListener:
    """One listening socket (25, 587 or 465) and its sessions."""

    def __init__(
        self,
        ctx: SmtpContext,
        config: ListenerConfig,
        limits: SmtpLimits,
        tls_context: ssl.SSLContext | None,
    ) -> None:
        self.ctx = ctx
        self.config = config
        self.limits = limits
        self.tls_context = tls_context
        self.handler = _Handler(ctx, config, limits)
        self.server: asyncio.Server | None = None

    def _protocol(self) -> _Protocol:
        cfg = self.config
        return _Protocol(
            self.handler,
            hostname=self.ctx.hostname,
            ident="ESMTP Mailroom",
            data_size_limit=self.limits.max_message_size,
            enable_SMTPUTF8=True,
            decode_data=False,
            tls_context=None if cfg.implicit_tls else (self.tls_context if cfg.starttls else None),
            require_starttls=cfg.auth_required and not cfg.implicit_tls,
            timeout=self.limits.timeout,
            auth_required=cfg.auth_required,
            auth_require_tls=not cfg.implicit_tls,
            command_call_limit=None,
            loop=asyncio.get_running_loop(),
        )

    async def start(self, host: str | list[str], port: int) -> None:
        check_version()  # the patches in aiosmtpd_compat fit one aiosmtpd release
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            self._protocol,
            host=host,
            port=port,
            ssl=self.tls_context if self.config.implicit_tls else None,
            reuse_address=True,
            backlog=256,
        )

    async def stop(self) -> None:
        """Stop listening; sessions in progress finish on their own."""
        if self.server is not None:
            self.server.close()
            self.server = None
        self.handler.connections.close()

    @property
    def sockets(self) -> list[tuple[str, int]]:
        if self.server is None:
            return []
        return [s.getsockname()[:2] for s in self.server.sockets]
