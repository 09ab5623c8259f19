"""ESMTP PIPELINING (RFC 2920) in remote delivery, against a real aiosmtpd far side.

aiosmtpd reads pipelined commands but does not say PIPELINING; the far
side here adds the EHLO line, can refuse at MAIL, RCPT or DATA, answer 421
or hang up, and notes whether the RCPTs were already waiting when MAIL was
handled (they are only when the client sent the envelope in one write).
Every case runs twice, with PIPELINING offered and not: the recipients'
results must be the same.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import Envelope, Session

from appliance.delivery.remote import (
    ConnectionCache,
    RecipientResult,
    RemoteConfig,
    Smarthost,
    deliver,
)
from appliance.tls import server_context
from tests.support.readmail import make_cert
from tests.support.sink import SinkHandler, port_free_on

HOST = "127.0.0.1"
MESSAGE = b"From: alice@example.test\r\nTo: bob@far.test\r\nSubject: hi\r\n\r\nhello\r\n.dot\r\n"


@dataclass
class FarSide(SinkHandler):
    pipelining: bool = True
    mail_reply: str | None = None  # MAIL gets this instead of 250
    data_command_reply: str | None = None  # DATA itself gets this instead of 354
    accept_data_without_rcpt: bool = False  # 354 though every RCPT was refused
    closing: set[str] = field(default_factory=set)  # RCPT gets 421
    hang_up_at: set[str] = field(default_factory=set)  # RCPT: the server hangs up
    batched: list[bool] = field(default_factory=list)  # per MAIL: were the RCPTs there yet?
    lone_dots: int = 0
    transactions: int = 0

    async def handle_EHLO(  # noqa: N802 - aiosmtpd hook name
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        responses = await super().handle_EHLO(server, session, envelope, hostname, responses)
        if self.pipelining:
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_MAIL(  # noqa: N802
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        self.transactions += 1
        # The stream reader's buffer: what the client wrote beyond MAIL and
        # the server has not read yet (private, but this is a test stand-in).
        self.batched.append(b"RCPT TO:" in bytes(server._reader._buffer))
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(  # noqa: N802
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.hang_up_at:
            assert server.transport is not None
            server.transport.abort()
            return "250 2.1.5 Ok"  # never seen: the connection is gone
        if address in self.closing:
            return "421 4.3.2 Service shutting down"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


class FarSMTP(SMTPServer):
    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's name
        far = self.event_handler
        assert isinstance(far, FarSide) and self.envelope is not None
        if far.data_command_reply and self.envelope.rcpt_tos:
            await self.push(far.data_command_reply)
            return
        if far.accept_data_without_rcpt and not self.envelope.rcpt_tos:
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            if await self._reader.readuntil(b"\r\n") == b".\r\n":
                far.lone_dots += 1
            await self.push("554 5.5.1 Error: no valid recipients")
            return
        await super().smtp_DATA(arg)


class FarController(Controller):
    def factory(self) -> SMTPServer:
        return FarSMTP(self.handler, **self.SMTP_kwargs)


@pytest.fixture(scope="module")
def far() -> Iterator[tuple[FarSide, int]]:
    port = port_free_on([HOST])
    handler = FarSide()
    controller = FarController(
        handler, hostname=HOST, port=port, ready_timeout=5, server_hostname="far.test"
    )
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def config(port: int) -> RemoteConfig:
    return RemoteConfig(
        helo_name="mail.example.test",
        port=port,
        connect_timeout=5,
        command_timeout=10,
        # An address as the relay host: no DNS in these tests.
        smarthost=Smarthost(HOST, port=port, tls="none"),
    )


def fresh(handler: FarSide, pipelining: bool, **settings: Any) -> None:
    defaults = FarSide()
    for name in (
        "reject", "defer", "data_reply", "mail_reply", "data_command_reply",
        "accept_data_without_rcpt", "closing", "hang_up_at",
    ):
        setattr(handler, name, settings.pop(name, getattr(defaults, name)))
    assert not settings, settings
    handler.pipelining = pipelining
    handler.received.clear()
    handler.batched.clear()
    handler.lone_dots = 0
    handler.transactions = 0


def view(results: list[RecipientResult]) -> list[tuple[str, str, str, str]]:
    return [(r.recipient, r.status, r.reply, r.status_code) for r in results]


async def both_ways(
    far: tuple[FarSide, int], recipients: list[str], message: bytes = MESSAGE, **settings: Any
) -> list[tuple[str, str, str, str]]:
    """The results with PIPELINING offered, checked equal to those without it.

    Then a second message goes over the same connection if it was kept,
    and must arrive.
    """
    handler, port = far
    seen: dict[bool, list[tuple[str, str, str, str]]] = {}
    for pipelining in (True, False):
        fresh(handler, pipelining, **settings)
        cache = ConnectionCache()
        try:
            results = await deliver(
                domain="far.test", sender="alice@example.test", recipients=recipients,
                message=message, config=config(port), connections=cache,
            )
            seen[pipelining] = view(results)
            assert handler.batched[:1] == [pipelining] or not handler.batched
            if len(cache):
                fresh(handler, pipelining)
                again = await deliver(
                    domain="far.test", sender="alice@example.test", recipients=["ok@far.test"],
                    message=MESSAGE, config=config(port), connections=cache,
                )
                assert view(again)[0][1] == "delivered", again
                assert cache.reused == 1 and handler.transactions == 1
        finally:
            await cache.close()
    assert seen[True] == seen[False]
    return seen[True]


async def test_all_accepted_in_one_write(far: tuple[FarSide, int]) -> None:
    handler, _ = far
    results = await both_ways(far, ["a@far.test", "b@far.test", "c@far.test"])
    assert [r[1] for r in results] == ["delivered"] * 3
    assert results[0][2] == "250 2.0.0 Ok: queued as SINK1" and results[0][3] == "2.0.0"
    # The last run (no PIPELINING) went through; its bytes are the message's, dot unstuffed.
    assert handler.received[-1].content == MESSAGE
    assert handler.received[-1].recipients == ["ok@far.test"]


async def test_mail_refused_5xx_bounces_everyone_and_keeps_the_connection(
    far: tuple[FarSide, int],
) -> None:
    results = await both_ways(
        far, ["a@far.test", "b@far.test"], mail_reply="550 5.7.1 Sender blocked"
    )
    assert results == [
        ("a@far.test", "bounced", "550 5.7.1 Sender blocked", "5.7.1"),
        ("b@far.test", "bounced", "550 5.7.1 Sender blocked", "5.7.1"),
    ]


async def test_mail_refused_4xx_defers_everyone(far: tuple[FarSide, int]) -> None:
    results = await both_ways(far, ["a@far.test"], mail_reply="451 4.3.0 Try later")
    assert results[0][1:] == (
        "deferred", f"host {HOST}:{far[1]} said: 451 4.3.0 Try later", "4.3.0"
    )


async def test_some_recipients_refused(far: tuple[FarSide, int]) -> None:
    results = await both_ways(
        far, ["gone@far.test", "a@far.test", "later@far.test", "b@far.test"],
        reject={"gone@far.test"}, defer={"later@far.test"},
    )
    assert [r[1] for r in results] == ["bounced", "delivered", "deferred", "delivered"]
    assert results[0][2:] == (
        "550 5.1.1 <gone@far.test>: Recipient address rejected: User unknown", "5.1.1"
    )
    assert results[2][3] == "4.3.0"


async def test_every_recipient_refused_then_data_refused_and_rset(
    far: tuple[FarSide, int],
) -> None:
    handler, _ = far
    results = await both_ways(
        far, ["gone@far.test", "later@far.test"],
        reject={"gone@far.test"}, defer={"later@far.test"},
    )
    assert [r[1] for r in results] == ["bounced", "deferred"]
    assert not handler.received[:-1]


async def test_data_accepted_without_recipients_gets_a_lone_dot(
    far: tuple[FarSide, int],
) -> None:
    handler, _ = far
    results = await both_ways(
        far, ["gone@far.test"], reject={"gone@far.test"}, accept_data_without_rcpt=True
    )
    assert [r[1] for r in results] == ["bounced"]
    # Only the pipelined run sent DATA: without PIPELINING it is never sent.
    assert handler.lone_dots == 0  # (counted for the last run, the unpipelined one)
    fresh(handler, True, reject={"gone@far.test"}, accept_data_without_rcpt=True)
    await deliver(
        domain="far.test", sender="alice@example.test", recipients=["gone@far.test"],
        message=MESSAGE, config=config(far[1]),
    )
    assert handler.lone_dots == 1


@pytest.mark.parametrize(
    ("reply", "status"),
    [("554 5.7.1 No thanks", "bounced"), ("451 4.3.0 Not now", "deferred")],
)
async def test_data_command_refused(far: tuple[FarSide, int], reply: str, status: str) -> None:
    results = await both_ways(
        far, ["a@far.test", "gone@far.test"], reject={"gone@far.test"},
        data_command_reply=reply,
    )
    assert results[0] == ("a@far.test", status, reply, reply[4:9])
    assert results[1][1] == "bounced"


async def test_message_refused_after_its_data(far: tuple[FarSide, int]) -> None:
    results = await both_ways(
        far, ["a@far.test"], data_reply="552 5.3.4 Message too big for system"
    )
    assert results == [("a@far.test", "bounced", "552 5.3.4 Message too big for system", "5.3.4")]


async def test_421_mid_batch_defers_the_rest(far: tuple[FarSide, int]) -> None:
    handler, port = far
    results = await both_ways(
        far, ["gone@far.test", "a@far.test", "bye@far.test", "b@far.test"],
        reject={"gone@far.test"}, closing={"bye@far.test"},
    )
    said = f"host {HOST}:{port} said: 421 4.3.2 Service shutting down"
    assert results == [
        ("gone@far.test", "bounced",
         "550 5.1.1 <gone@far.test>: Recipient address rejected: User unknown", "5.1.1"),
        ("a@far.test", "deferred", said, "4.3.2"),
        ("bye@far.test", "deferred", said, "4.3.2"),
        ("b@far.test", "deferred", said, "4.3.2"),
    ]
    assert not handler.received


async def test_connection_lost_mid_batch_defers_and_sends_nothing(
    far: tuple[FarSide, int],
) -> None:
    handler, port = far
    results = await both_ways(
        far, ["a@far.test", "drop@far.test", "b@far.test"], hang_up_at={"drop@far.test"}
    )
    assert [r[1] for r in results] == ["deferred"] * 3
    assert results[0][2].startswith(f"lost connection with {HOST}:{port}: ")
    assert not handler.received


async def test_options_8bitmime_smtputf8_size_as_before(far: tuple[FarSide, int]) -> None:
    handler, _ = far
    eight_bit = MESSAGE.replace(b"hello", "héllo".encode())
    results = await both_ways(far, ["jörg@far.test"], message=eight_bit)
    assert results[0][1] == "delivered"
    fresh(handler, True)
    await deliver(
        domain="far.test", sender="alice@example.test", recipients=["jörg@far.test"],
        message=eight_bit, config=config(far[1]),
    )
    (got,) = handler.received
    assert got.recipients == ["jörg@far.test"] and got.content == eight_bit
    assert sorted(got.mail_options) == sorted(
        [f"SIZE={len(eight_bit)}", "BODY=8BITMIME", "SMTPUTF8"]
    )


async def test_reused_connection_pipelines_many_messages(far: tuple[FarSide, int]) -> None:
    handler, port = far
    fresh(handler, True, reject={"gone@far.test"})
    cache = ConnectionCache()
    try:
        for n in range(5):
            rcpts = [f"u{n}@far.test", "gone@far.test"]
            results = await deliver(
                domain="far.test", sender="", recipients=rcpts, message=MESSAGE,
                config=config(port), connections=cache,
            )
            assert [r.status for r in results] == ["delivered", "bounced"]
    finally:
        await cache.close()
    assert cache.reused == 4 and handler.batched == [True] * 5
    assert [m.recipients for m in handler.received] == [[f"u{n}@far.test"] for n in range(5)]
    assert {m.sender for m in handler.received} == {"<>"}  # the null sender, quoted


async def test_silent_server_times_out(far: tuple[FarSide, int]) -> None:
    """A server that never answers the pipelined batch: deferred, no hang."""
    server = await asyncio.start_server(_greet_then_listen, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    try:
        cfg = config(port)
        cfg.command_timeout = 0.3
        results = await deliver(
            domain="far.test", sender="a@example.test", recipients=["a@far.test"],
            message=MESSAGE, config=cfg,
        )
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()
    assert results[0].status == "deferred"
    assert results[0].reply == f"lost connection with {HOST}:{port}: Connection timed out"


async def _greet_then_listen(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 quiet.test ESMTP\r\n")
    await reader.readline()
    writer.write(b"250-quiet.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
    with contextlib.suppress(Exception):
        await reader.read()  # then never a word
    writer.close()


async def test_pipelined_over_starttls(tmp_path: Path) -> None:
    """The reader takes the TLS transport's protocol slot as it takes a plain one's."""
    certfile, keyfile = make_cert(tmp_path)
    handler = FarSide(reject={"gone@far.test"})
    port = port_free_on([HOST])
    controller = FarController(
        handler, hostname=HOST, port=port, ready_timeout=5, server_hostname="far.test",
        tls_context=server_context(certfile, keyfile),
    )
    controller.start()
    cfg = config(port)
    cfg.smarthost = Smarthost(HOST, port=port, tls="starttls", verify=False)
    cache = ConnectionCache()
    try:
        for n in range(3):
            results = await deliver(
                domain="far.test", sender="a@example.test",
                recipients=["gone@far.test", f"u{n}@far.test"], message=MESSAGE, config=cfg,
                connections=cache,
            )
            assert [r.status for r in results] == ["bounced", "delivered"]
    finally:
        await cache.close()
        controller.stop()
    assert cache.reused == 2 and handler.batched == [True] * 3
    assert all(m.tls for m in handler.received) and len(handler.received) == 3
