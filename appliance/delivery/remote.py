"""Hand one message to the mail servers of one remote domain (or to a smarthost).

One call of :func:`deliver` is one delivery attempt for the recipients of
one destination domain. It never raises for mail-level problems: every
recipient comes back delivered, deferred (try later) or bounced (tell the
sender), with the reply that decided it. Scheduling, retries and bounce
messages belong to the queue manager.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import os
import re
import ssl
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from appliance.bounce import RecipientStatus, enhanced_code_from_reply
from appliance.delivery.connections import CachedConnection, ConnectionCache
from appliance.delivery.pipelining import Exchange, ReplyReader, envelope_commands
from appliance.dns import (
    DnsPermanentError,
    DnsTemporaryError,
    NullMxError,
    resolve_addresses,
    resolve_mx,
)

if TYPE_CHECKING:
    import aiosmtplib

__all__ = [
    "ConnectionCache",
    "RecipientResult",
    "RemoteConfig",
    "Smarthost",
    "deliver",
    "recipient_status",
]

Status = Literal["delivered", "deferred", "bounced"]


@dataclass
class Smarthost:
    host: str
    port: int = 587
    tls: Literal["starttls", "implicit", "none"] = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in logs or reprs
    # Extra CA file to trust (an ISP's private CA, or a test certificate);
    # the system store is always trusted too.
    cafile: str | None = None
    verify: bool = True


@dataclass
class RemoteConfig:
    helo_name: str
    nameservers: list[str] | None = None
    port: int = 25  # tests only: the far side runs on a high port
    connect_timeout: float = 30
    command_timeout: float = 300
    smarthost: Smarthost | None = None
    dns_timeout: float = 10


@dataclass
class RecipientResult:
    recipient: str
    status: Status
    reply: str  # "550 5.1.1 nobody: user unknown", or our own words when no server spoke
    remote_host: str | None
    status_code: str  # enhanced status code, RFC 3463


def recipient_status(
    result: RecipientResult,
    *,
    last_attempt: datetime | None,
    will_retry_until: datetime | None = None,
) -> RecipientStatus:
    """The DSN view of a delivery result, for :func:`appliance.bounce.compose_dsn`."""
    action: Literal["failed", "delayed", "delivered"] = {
        "bounced": "failed",
        "deferred": "delayed",
        "delivered": "delivered",
    }[result.status]
    spoke = result.remote_host is not None and result.reply[:3].isdigit()
    return RecipientStatus(
        address=result.recipient,
        action=action,
        status=result.status_code,
        diagnostic=f"smtp; {result.reply}" if spoke else f"X-Mailroom; {result.reply}",
        # Only a host that actually replied is a Remote-MTA worth naming.
        remote_mta=result.remote_host if spoke else None,
        last_attempt=last_attempt,
        will_retry_until=will_retry_until,
    )


# ---- pure helpers ----


def needs_8bitmime(message: bytes) -> bool:
    return not message.isascii()


def needs_smtputf8(sender: str, recipients: list[str]) -> bool:
    return not sender.isascii() or not all(r.isascii() for r in recipients)


def format_reply(code: int, message: str) -> str:
    return f"{code} {' '.join(message.split())}".strip()


def soften(code: str) -> str:
    """A 5.x.x code turned into 4.x.x, for permanent-looking errors we still retry."""
    return "4" + code[1:] if code[:1] == "5" else code


_LINE_ENDINGS = re.compile(rb"\r\n|\n|\r(?!\n)")
_LEADING_DOT = re.compile(rb"(?m)^\.")


def wire_data(message: bytes) -> bytes:
    """The bytes DATA sends: CRLF line ends, leading dots doubled, the final dot.

    The same bytes aiosmtplib's data() sends, but its two passes over the
    whole message run only where they change something (a signed message
    is CRLF already; few have a line starting with a dot): they were a
    tenth of the event loop's time when relaying.
    """
    crlf = message.count(b"\r\n")
    if message.count(b"\n") != crlf or message.count(b"\r") != crlf:
        message = _LINE_ENDINGS.sub(b"\r\n", message)
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    if message.startswith(b".") or b"\n." in message:
        message = _LEADING_DOT.sub(b"..", message)
    return message + b".\r\n"


def format_delay(seconds: float) -> str:
    """Postfix's style: 0.12, 1.2, 12, 1234."""
    seconds = max(seconds, 0.0)
    if seconds >= 10:
        return str(round(seconds))
    return f"{seconds:.2g}"


def _reason(exc: BaseException) -> str:
    """Short Postfix-like words for a network failure ("Connection refused")."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno in errno.errorcode:
            return os.strerror(cause.errno)
        if isinstance(cause, TimeoutError | asyncio.TimeoutError):
            return "Connection timed out"
        cause = cause.__cause__
    return str(exc) or type(exc).__name__


# ---- the SMTP conversation ----


@dataclass
class _Target:
    name: str  # host name, for TLS SNI/verification and logs
    address: str
    port: int
    smarthost: Smarthost | None = None

    @property
    def relay(self) -> str:
        if self.name == self.address:
            return f"{self.name}:{self.port}"
        return f"{self.name}[{self.address}]:{self.port}"


class _MoveOn(Exception):  # noqa: N818 - a signal, not an error for callers
    """This server could not take the mail; try the next one."""

    def __init__(self, reason: str, status_code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code


class _TlsFailed(_MoveOn):
    pass


class _Stale(Exception):  # noqa: N818 - a signal, not an error for callers
    """A cached connection failed before the message went out: use a fresh one."""


def _connection_key(target: _Target, config: RemoteConfig, use_tls: bool) -> Hashable:
    """What a cached connection must match to carry the next message."""
    sh = target.smarthost
    if sh is None:
        # Any MX name at this address will do: opportunistic TLS checks no name.
        return ("mx", target.address, target.port, config.helo_name, use_tls)
    # A changed smarthost setting (password included) must not ride an old
    # session; the key holds a digest, so no password sits in it in clear.
    secret = hashlib.sha256((sh.password or "").encode()).hexdigest()
    return (
        "smarthost",
        target.name,
        target.address,
        target.port,
        config.helo_name,
        sh.tls,
        sh.username,
        secret,
        sh.cafile,
        sh.verify,
    )


def _opportunistic_context() -> ssl.SSLContext:
    # RFC 7435: without DANE or MTA-STS, unauthenticated encryption beats plaintext.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def _smarthost_context(smarthost: Smarthost) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if smarthost.cafile:
        ctx.load_verify_locations(cafile=smarthost.cafile)
    if not smarthost.verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


class _Session:
    """One SMTP connection; decides what it can and raises _MoveOn otherwise."""

    def __init__(
        self,
        target: _Target,
        *,
        config: RemoteConfig,
        sender: str,
        recipients: list[str],
        message: bytes,
        log: Callable[[str], None],
        use_tls: bool,
        connections: ConnectionCache | None = None,
        cached: CachedConnection | None = None,
        arrival: float | None = None,
    ) -> None:
        self.t = target
        self.config = config
        self.sender = sender
        self.recipients = recipients
        self.message = message if message.endswith(b"\n") else message + b"\r\n"
        self.log = log
        self.use_tls = use_tls
        self.connections = connections
        self.key = _connection_key(target, config, use_tls)
        self.cached = cached
        self.use = cached.uses + 1 if cached is not None else 1  # Postfix's conn_use
        self.arrival = arrival
        self.results: dict[str, RecipientResult] = {}
        self.data_started = False  # past this point a retry elsewhere risks a duplicate
        self.reusable = False  # the transaction ended cleanly; the connection may be kept

    def _decide(self, rcpt: str, status: Status, reply: str, code: str) -> None:
        self.results[rcpt] = RecipientResult(rcpt, status, reply, self.t.name, code)
        word = {"delivered": "sent", "deferred": "deferred", "bounced": "bounced"}[status]
        said = (
            reply
            if status == "delivered" or not reply[:3].isdigit()
            else (f"host {self.t.name}[{self.t.address}] said: {reply}")
        )
        extra = f", conn_use={self.use}" if self.use > 1 else ""
        if self.arrival is not None:
            extra += f", delay={format_delay(time.time() - self.arrival)}"
        self.log(f"to=<{rcpt}>, relay={self.t.relay}{extra}, dsn={code}, status={word} ({said})")

    def _decide_all(self, rcpts: list[str], status: Status, reply: str, code: str) -> None:
        for rcpt in rcpts:
            self._decide(rcpt, status, reply, code)

    async def run(self) -> dict[str, RecipientResult]:
        """One transaction, on a cached connection or a fresh one.

        A cached connection is only ever kept after a transaction that left
        the far side with none open, so MAIL comes first, no RSET: that saved
        a round trip per message. Raises _Stale when a cached connection
        fails before the message was sent (nothing was delivered through it,
        so a fresh one may retry).
        """
        import aiosmtplib  # at the first delivery, not at daemon start

        cached = self.cached
        smarthost = self.t.smarthost
        implicit = smarthost is not None and smarthost.tls == "implicit"
        if cached is not None:
            client = cached.client
        else:
            client = aiosmtplib.SMTP(
                hostname=self.t.address,
                port=self.t.port,
                local_hostname=self.config.helo_name,
                timeout=self.config.command_timeout,
                use_tls=False,
                start_tls=False,
            )
        born = time.monotonic()
        keep = False
        try:
            if cached is None:
                await self._connect(client, implicit)
                await self._hello(client)
                await self._secure(client)
                await self._authenticate(client)
            await self._transaction(client)
            keep = self.reusable
        except _MoveOn as exc:
            if cached is not None and not self.data_started:
                raise _Stale(exc.reason) from exc
            raise
        except aiosmtplib.SMTPResponseException as exc:
            if cached is not None and not self.data_started:
                raise _Stale(str(exc)) from exc
            # 421 and friends: the server is shutting the door on us.
            reply = format_reply(exc.code, exc.message)
            code = soften(enhanced_code_from_reply(exc.code, exc.message))
            raise _MoveOn(f"host {self.t.relay} said: {reply}", code) from exc
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            if cached is not None and not self.data_started:
                raise _Stale(_reason(exc)) from exc
            raise _MoveOn(f"lost connection with {self.t.relay}: {_reason(exc)}", "4.4.2") from exc
        finally:
            if keep and self.connections is not None and client.is_connected:
                conn = cached or CachedConnection(client, born=born)
                conn.uses = self.use
                self.connections.put(self.key, conn)
            else:
                with contextlib.suppress(Exception):
                    if client.is_connected:
                        await client.quit(timeout=min(self.config.command_timeout, 5))
                client.close()
        return self.results

    async def _connect(self, client: aiosmtplib.SMTP, implicit: bool) -> None:
        import aiosmtplib  # at the first delivery, not at daemon start

        try:
            if implicit:
                assert self.t.smarthost is not None
                await client.connect(
                    timeout=self.config.connect_timeout,
                    use_tls=True,
                    tls_context=_smarthost_context(self.t.smarthost),
                )
                self._log_tls(client)
            else:
                await client.connect(timeout=self.config.connect_timeout)
        except aiosmtplib.SMTPConnectResponseError as exc:
            reply = format_reply(exc.code, exc.message)
            self.log(f"host {self.t.relay} refused to talk to me: {reply}")
            raise _MoveOn(f"host {self.t.relay} refused to talk to me: {reply}", "4.4.1") from exc
        except ssl.SSLError as exc:
            raise _TlsFailed(f"TLS handshake with {self.t.relay} failed: {exc}", "4.7.5") from exc
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            if isinstance(exc.__cause__, ssl.SSLError):
                reason = f"TLS handshake with {self.t.relay} failed: {exc.__cause__}"
                raise _TlsFailed(reason, "4.7.5") from exc
            reason = f"connect to {self.t.relay}: {_reason(exc)}"
            self.log(reason)
            raise _MoveOn(reason, "4.4.1") from exc

    async def _hello(self, client: aiosmtplib.SMTP) -> None:
        import aiosmtplib  # at the first delivery, not at daemon start

        try:
            await client.ehlo()
        except aiosmtplib.SMTPHeloError:
            # Ancient servers only know HELO; they get plain 7-bit SMTP.
            await client.helo()

    def _log_tls(self, client: aiosmtplib.SMTP) -> None:
        ssl_object = client.get_transport_info("ssl_object")
        if ssl_object is None:
            return
        trusted = self.t.smarthost is not None and self.t.smarthost.verify
        cipher = ssl_object.cipher()
        self.log(
            f"{'Trusted' if trusted else 'Untrusted'} TLS connection established to "
            f"{self.t.relay}: {ssl_object.version()} with cipher {cipher[0] if cipher else '?'}"
        )

    async def _secure(self, client: aiosmtplib.SMTP) -> None:
        import aiosmtplib  # at the first delivery, not at daemon start

        smarthost = self.t.smarthost
        if smarthost is not None and smarthost.tls == "implicit":
            return
        required = smarthost is not None and smarthost.tls == "starttls"
        if smarthost is not None and smarthost.tls == "none":
            return
        if not client.supports_extension("starttls"):
            if required:
                # Fail closed: never send credentials or mail in the clear
                # when the admin asked for TLS.
                raise _TlsFailed(f"{self.t.relay} does not offer STARTTLS", "4.7.4")
            # Said once an hour per host, not with every message.
            if self.connections is None or self.connections.first_notice(
                ("no-starttls", self.t.relay)
            ):
                self.log(f"no TLS with {self.t.relay}: STARTTLS not offered")
            return
        if not self.use_tls:
            self.log(f"no TLS with {self.t.relay}: retrying in plaintext after a TLS failure")
            return
        ctx = _smarthost_context(smarthost) if smarthost else _opportunistic_context()
        try:
            await client.starttls(server_hostname=self.t.name, tls_context=ctx)
        except aiosmtplib.SMTPResponseException as exc:
            raise _TlsFailed(
                f"STARTTLS refused by {self.t.relay}: {format_reply(exc.code, exc.message)}",
                "4.7.5",
            ) from exc
        except (TimeoutError, ssl.SSLError, aiosmtplib.SMTPException, OSError) as exc:
            raise _TlsFailed(
                f"TLS handshake with {self.t.relay} failed: {_reason(exc)}", "4.7.5"
            ) from exc
        self._log_tls(client)
        await self._hello(client)

    async def _authenticate(self, client: aiosmtplib.SMTP) -> None:
        import aiosmtplib  # at the first delivery, not at daemon start

        smarthost = self.t.smarthost
        if smarthost is None or smarthost.username is None:
            return
        if client.get_transport_info("ssl_object") is None:
            # AUTH only over TLS: a password on the wire in clear is a leak.
            raise _MoveOn(f"not sending credentials to {self.t.relay} without TLS", "4.7.4")
        if not client.supports_extension("auth"):
            raise _MoveOn(f"{self.t.relay} does not offer AUTH", "4.7.4")
        offered = [m.lower() for m in client.server_auth_methods]
        # One mechanism, one try: cycling through every mechanism with a wrong
        # password multiplies failed logins and can get the office locked out.
        if "plain" in offered:
            method = client.auth_plain
        elif "login" in offered:
            method = client.auth_login
        else:
            raise _MoveOn(f"{self.t.relay} offers no AUTH mechanism we use (PLAIN, LOGIN)", "4.7.4")
        try:
            await method(smarthost.username, smarthost.password or "")
        except aiosmtplib.SMTPResponseException as exc:
            reply = format_reply(exc.code, exc.message)
            # A wrong password is the admin's to fix; keep the mail queued meanwhile.
            raise _MoveOn(
                f"SASL authentication failed; server {self.t.relay} said: {reply}",
                soften(enhanced_code_from_reply(exc.code, exc.message)),
            ) from exc
        self.log(f"authenticated to {self.t.relay} as {smarthost.username}")

    def _mail_options(self, client: aiosmtplib.SMTP, utf8: bool, eight_bit: bool) -> list[str]:
        options: list[str] = []
        if client.supports_extension("size"):
            options.append(f"SIZE={len(self.message)}")
        if eight_bit and client.supports_extension("8bitmime"):
            options.append("BODY=8BITMIME")
        if utf8:
            options.append("SMTPUTF8")
        return options

    def _size_limit(self, client: aiosmtplib.SMTP) -> int:
        value = client.esmtp_extensions.get("size", "")
        return int(value) if value.strip().isdigit() else 0

    async def _transaction(self, client: aiosmtplib.SMTP) -> None:
        pending = list(self.recipients)
        utf8 = needs_smtputf8(self.sender, pending)
        eight_bit = needs_8bitmime(self.message)
        # Bounce rather than rewrite: converting would change signed content.
        if utf8 and not client.supports_extension("smtputf8"):
            reply = f"{self.t.name} does not support SMTPUTF8, needed for this address"
            self._decide_all(pending, "bounced", reply, "5.6.7")
            self.reusable = True
            return
        if eight_bit and not client.supports_extension("8bitmime"):
            reply = f"{self.t.name} does not support 8BITMIME, needed for this 8-bit message"
            self._decide_all(pending, "bounced", reply, "5.6.3")
            self.reusable = True
            return
        limit = self._size_limit(client)
        if limit and len(self.message) > limit:
            reply = f"message size {len(self.message)} exceeds {self.t.name}'s limit of {limit}"
            self._decide_all(pending, "bounced", reply, "5.3.4")
            self.reusable = True
            return

        encoding = "utf-8" if utf8 else "ascii"
        options = self._mail_options(client, utf8, eight_bit)
        commands = envelope_commands(self.sender, pending, options, encoding)
        with ReplyReader(client, self.config.command_timeout) as reader:
            exchange = Exchange(reader, commands, client.supports_extension("pipelining"))
            await self._exchange(client, exchange, pending)

    async def _exchange(
        self, client: aiosmtplib.SMTP, exchange: Exchange, pending: list[str]
    ) -> None:
        """MAIL, RCPT, DATA and the message; the replies decide, in order.

        With PIPELINING the envelope went out in one write, so replies to
        commands after a refusal still come and are read before the
        connection is kept; without, a refused MAIL ends it there. Either
        way each recipient's result is decided from the same replies.
        """
        import aiosmtplib  # at the first delivery, not at daemon start

        reader = exchange.reader
        mail = await exchange.reply()
        if mail.code != 250:
            reply = format_reply(mail.code, mail.message)
            code = enhanced_code_from_reply(mail.code, mail.message)
            if 500 <= mail.code < 600:
                self._decide_all(pending, "bounced", reply, code)
                # No transaction is open after a refused MAIL: no RSET.
                self.reusable = await self._drain(exchange, reset=False)
                return
            if exchange.unanswered:
                client.close()  # replies in flight would answer the next command
            raise _MoveOn(f"host {self.t.relay} said: {reply}", code)

        accepted: list[str] = []
        for rcpt in pending:
            answer = await exchange.reply()
            if answer.code in (250, 251):
                accepted.append(rcpt)
                continue
            if answer.code == 421:
                raise aiosmtplib.SMTPRecipientRefused(answer.code, answer.message, rcpt)
            reply = format_reply(answer.code, answer.message)
            code = enhanced_code_from_reply(answer.code, answer.message)
            status: Status = "bounced" if 500 <= answer.code < 600 else "deferred"
            self._decide(rcpt, status, reply, code)
        if not accepted:
            self.reusable = await self._drain(exchange, reset=True)
            return

        self.data_started = True
        try:
            start = await exchange.reply()
            if start.code != 354:
                raise aiosmtplib.SMTPDataError(start.code, start.message)
            # The message and its final dot in one write.
            reader.write(wire_data(self.message))
            response = await reader.reply()
            if response.code != 250:
                raise aiosmtplib.SMTPDataError(response.code, response.message)
        except aiosmtplib.SMTPDataError as exc:
            reply = format_reply(exc.code, exc.message)
            code = enhanced_code_from_reply(exc.code, exc.message)
            status = "bounced" if 500 <= exc.code < 600 else "deferred"
            self._decide_all(accepted, status, reply, code)
            # Refused at DATA itself, the transaction may still be open on
            # the far side: RSET closes it before the connection is kept.
            self.reusable = await self._reset(reader)
            return
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            # The far side may or may not have the message now; trying another
            # host at once risks a duplicate, so leave it to the next retry.
            reply = f"lost connection with {self.t.relay} while sending message: {_reason(exc)}"
            self._decide_all(accepted, "deferred", reply, "4.4.2")
            return
        reply = format_reply(response.code, response.message)
        code = enhanced_code_from_reply(response.code, response.message)
        self._decide_all(accepted, "delivered", reply, code)
        self.reusable = True

    async def _drain(self, exchange: Exchange, *, reset: bool) -> bool:
        """After a transaction with no recipient left: read what is in flight, RSET; keep it?

        RFC 2920 3.1: DATA may still be accepted though every RCPT was
        refused; then a lone dot ends the empty message.
        """
        import aiosmtplib  # at the first delivery, not at daemon start

        reader = exchange.reader
        try:
            while exchange.unanswered:
                answer = await exchange.reply()
                if answer.code == 354 and exchange.unanswered == 0:
                    reader.write(b".\r\n")
                    await reader.reply()
        except aiosmtplib.SMTPException:
            return False
        return await self._reset(reader) if reset else reader.client.is_connected

    async def _reset(self, reader: ReplyReader) -> bool:
        """RSET; True if the connection came back clean and may be kept."""
        import aiosmtplib  # at the first delivery, not at daemon start

        try:
            reader.write(b"RSET\r\n")
            answer = await reader.reply()
        except aiosmtplib.SMTPException:
            return False
        if answer.code == 421:
            reader.client.close()
        return answer.code == 250


async def _targets(domain: str, config: RemoteConfig) -> list[_Target]:
    smarthost = config.smarthost
    if smarthost is not None and smarthost.tls == "implicit":
        # aiosmtplib takes the TLS server name from the address it connects
        # to, so implicit TLS connects by name through the system resolver.
        return [_Target(smarthost.host, smarthost.host, smarthost.port, smarthost)]
    if smarthost is not None:
        addresses = await resolve_addresses(
            smarthost.host, nameservers=config.nameservers, timeout=config.dns_timeout
        )
        return [_Target(smarthost.host, a, smarthost.port, smarthost) for a in addresses]
    hosts = await resolve_mx(domain, nameservers=config.nameservers, timeout=config.dns_timeout)
    return [_Target(h.name, a, config.port) for h in hosts for a in h.addresses]


async def deliver(
    *,
    domain: str,
    sender: str,
    recipients: list[str],
    message: bytes,
    config: RemoteConfig,
    log: Callable[[str], None] | None = None,
    connections: ConnectionCache | None = None,
    arrival: float | None = None,
) -> list[RecipientResult]:
    """Try once to deliver ``message`` to ``recipients`` (all at ``domain``).

    Returns one result per recipient, in the order given. With
    ``connections``, a connection left idle by an earlier delivery to the
    same host is used again, and this one's is kept for the next. With
    ``arrival`` (the message's queue time) the log lines carry Postfix's
    ``delay=``.
    """
    say: Callable[[str], None] = log or (lambda _line: None)
    if not recipients:
        return []

    def delay() -> str:
        return "" if arrival is None else f", delay={format_delay(time.time() - arrival)}"

    def everyone(status: Status, reply: str, code: str, host: str | None) -> list[RecipientResult]:
        relay = host or "none"
        word = {"delivered": "sent", "deferred": "deferred", "bounced": "bounced"}[status]
        for rcpt in recipients:
            say(f"to=<{rcpt}>, relay={relay}{delay()}, dsn={code}, status={word} ({reply})")
        return [RecipientResult(r, status, reply, host, code) for r in recipients]

    try:
        targets = await _targets(domain, config)
    except NullMxError as exc:
        # RFC 7505 section 4.2: the domain has said it takes no mail.
        return everyone("bounced", str(exc), "5.1.10", None)
    except DnsPermanentError as exc:
        return everyone("bounced", str(exc), "5.1.2", None)
    except DnsTemporaryError as exc:
        return everyone("deferred", str(exc), "4.4.3", None)

    decided: dict[str, RecipientResult] = {}
    pending = list(recipients)
    last_reason, last_code, last_host = f"no address to try for {domain}", "4.4.3", None
    for target in targets:
        use_tls = True
        fresh = False  # a cached connection failed: the retry must use a new one
        while True:
            cached = None
            if connections is not None and not fresh:
                cached = connections.take(_connection_key(target, config, use_tls))
            session = _Session(
                target,
                config=config,
                sender=sender,
                recipients=pending,
                message=message,
                log=say,
                use_tls=use_tls,
                connections=connections,
                cached=cached,
                arrival=arrival,
            )
            try:
                decided.update(await session.run())
                pending = []
            except _Stale:
                # The far side dropped the idle connection (or it went bad)
                # before any message data went through it: once more, afresh.
                decided.update(session.results)
                pending = [r for r in pending if r not in decided]
                if pending:
                    fresh = True
                    continue
            except _TlsFailed as exc:
                decided.update(session.results)
                pending = [r for r in pending if r not in decided]
                last_reason, last_code, last_host = exc.reason, exc.status_code, target.name
                say(exc.reason)
                if target.smarthost is None and use_tls:
                    use_tls = False  # opportunistic TLS: plaintext beats no delivery
                    continue
            except _MoveOn as exc:
                decided.update(session.results)
                pending = [r for r in pending if r not in decided]
                last_reason, last_code, last_host = exc.reason, exc.status_code, target.name
            break
        if not pending:
            break

    for rcpt in pending:
        say(f"to=<{rcpt}>, relay=none{delay()}, dsn={last_code}, status=deferred ({last_reason})")
        decided[rcpt] = RecipientResult(rcpt, "deferred", last_reason, last_host, last_code)
    return [decided[r] for r in recipients]
