"""The end-of-DATA hook of the inbound checks, on the product's SmtpListener in-process.

Who is checked (outsiders only), what is kept with the message (the queue
envelope's ``checks`` and the header), and the switch. DNS is the local
test server serving far.test.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from appliance.authcheck import smtp_hook
from appliance.queue.spool import Envelope
from appliance.smtp.server import SmtpContext
from appliance.tls import make_self_signed, server_context
from tests.support.directory import Dir
from tests.support.dnsserver import DnsServer
from tests.support.mailauth import FarDomain, message
from tests.support.smtp_listeners import smtp_listeners

OUTSIDE = ("127.0.0.2", 0)


@dataclass
class Harness:
    ports: dict[str, int] = field(default_factory=dict)
    queued: list[tuple[Envelope, bytes]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    calls: int = 0


@pytest.fixture(scope="module")
def far() -> FarDomain:
    return FarDomain()


@pytest.fixture
def harness(tmp_path: Path, far: FarDomain) -> Iterator[Harness]:
    directory = Dir(domains={"example.test"})
    directory.users("alice", "bob")
    dns_server = DnsServer(far.zone()).start_thread()
    h = Harness(settings={
        "authcheck.enabled": True, "hostname": "mail.example.test",
        "dns.nameservers": [dns_server.nameserver], "authcheck.dns_timeout": 2,
        "authcheck.dmarc_reject": "reject", "authcheck.spf_fail": "reject",
        "authcheck.own_domain": "reject",
    })
    make_self_signed("mail.example.test", tmp_path / "c.pem", tmp_path / "k.pem")
    tls = server_context(tmp_path / "c.pem", tmp_path / "k.pem")
    check = smtp_hook(lambda: h.settings, directory.is_local_domain, None)

    async def counted(*args: Any) -> Any:
        h.calls += 1
        return await check(*args)

    async def authenticate(user: str, password: str, ip: str) -> str | None:
        return user if password == "pw" else None

    def context(loop: asyncio.AbstractEventLoop) -> SmtpContext:
        def enqueue(env: Envelope, chunks: list[bytes], then: Callable[[], None]
                    ) -> asyncio.Future[None]:
            written = loop.create_future()
            written.set_result(None)
            then()
            return written

        return SmtpContext(
            hostname="mail.example.test", directory=directory, enqueue=enqueue,
            relay_networks=lambda: ["127.0.0.1/32"], authenticate=authenticate,
            accepted=lambda env, data: h.queued.append((env, data)), inbound_check=counted)

    try:
        with smtp_listeners(context, tls) as ports:
            h.ports.update(ports)
            yield h
    finally:
        dns_server.stop()


def send(h: Harness, msg: bytes, source: tuple[str, int] = OUTSIDE) -> None:
    with smtplib.SMTP("127.0.0.1", h.ports["smtp"], source_address=source, timeout=10) as s:
        s.sendmail("carol@far.test", ["bob@example.test"], msg)


def test_outside_mail_is_checked_and_the_results_are_kept_with_it(
    harness: Harness, far: FarDomain,
) -> None:
    send(harness, far.sign(message()))
    env, data = harness.queued[-1]
    assert env.checks is not None
    assert env.checks["spf"] == "pass" and env.checks["dmarc"] == "pass"
    assert env.checks["dkim"] == [["pass", "far.test"], ["pass", "far.test"]]
    assert env.checks["action"] == "accept"
    # Our Received on top, then our results, then the message as it came.
    lines = data.split(b"\r\n")
    assert lines[0].startswith(b"Received: ")
    assert data.count(b"Authentication-Results: mail.example.test;") == 1
    assert data.index(b"Authentication-Results:") < data.index(b"DKIM-Signature:")


def test_relay_network_and_logged_in_clients_are_not_checked(
    harness: Harness, far: FarDomain,
) -> None:
    send(harness, message(), source=("127.0.0.1", 0))
    with smtplib.SMTP_SSL("127.0.0.1", harness.ports["smtps"], timeout=10,
                          context=ssl._create_unverified_context()) as s:
        s.login("alice@example.test", "pw")
        s.sendmail("alice@example.test", ["bob@example.test"], message(sender="alice@example.test"))
    assert harness.calls == 0
    assert [env.checks for env, _ in harness.queued] == [None, None]
    assert all(b"Authentication-Results" not in data for _, data in harness.queued)


def test_switched_off_no_header_and_nothing_refused(harness: Harness) -> None:
    harness.settings["authcheck.enabled"] = False
    send(harness, message(), source=("127.0.0.9", 0))  # refused when on (see below)
    harness.settings["authcheck.enabled"] = True
    env, data = harness.queued[-1]
    assert env.checks is None and b"Authentication-Results" not in data


def test_a_refusal_queues_nothing(harness: Harness) -> None:
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(harness, message(), source=("127.0.0.9", 0))  # SPF -all fails, DMARC p=reject
    assert refused.value.smtp_code == 550
    assert harness.queued == []
