"""Remote delivery against a real DNS server and real aiosmtpd sinks on loopback.

Every far-side host of a test listens on the same port number (the client
has one ``RemoteConfig.port``), each on its own 127.0.0.x address; an
address with no sink gives a real "connection refused".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from appliance.delivery.dispatch import RemoteDispatcher
from appliance.delivery.remote import (
    ConnectionCache,
    RecipientResult,
    RemoteConfig,
    Smarthost,
    deliver,
    recipient_status,
)
from appliance.dns import (
    DnsPermanentError,
    DnsTemporaryError,
    NullMxError,
    flush_cache,
    order_mx,
    parse_nameserver,
    resolve_mx,
    shared_resolver,
)
from appliance.queue.spool import Envelope as QueuedEnvelope
from appliance.tls import server_context
from tests.support.dnsserver import DnsServer
from tests.support.readmail import make_cert
from tests.support.sink import SinkHandler, port_free_on, sink

MX1, MX2, MX3 = "127.0.0.3", "127.0.0.4", "127.0.0.5"

ZONE: dict[str, dict[str, Any]] = {
    "far.test": {"MX": [(10, "mx1.far.test"), (20, "mx2.far.test")]},
    "mx1.far.test": {"A": [MX1]},
    "mx2.far.test": {"A": [MX2]},
    "plain.test": {"A": [MX2]},  # no MX: the domain itself is the mail host
    "null.test": {"MX": [(0, ".")]},
    "nomx-noaddr.test": {"TXT": ["v=spf1 -all"]},
    "even.test": {"MX": [(10, "a.even.test"), (10, "b.even.test"), (5, "c.even.test")]},
    "a.even.test": {"A": ["127.0.0.11"]},
    "b.even.test": {"A": ["127.0.0.12"]},
    "c.even.test": {"A": ["127.0.0.13"], "AAAA": ["::1"]},
    "ghost.test": {"MX": [(10, "nowhere.ghost.test")]},
    "broken.test": {"A": ["127.0.0.9"]},
    "slow.test": {"A": ["127.0.0.9"]},
}


# ---- far side: sinks (tests/support/sink.py) ----


@pytest.fixture(autouse=True)
def fresh_dns_cache() -> Iterator[None]:
    # Answers are cached per nameserver address; a later test's server may get
    # an earlier one's port, with a different zone.
    flush_cache()
    yield
    flush_cache()


@pytest.fixture
def port() -> int:
    return port_free_on([MX1, MX2, MX3, "127.0.0.1"])


@pytest.fixture
async def dns_server() -> AsyncIterator[DnsServer]:
    async with DnsServer(ZONE, host="127.0.0.1", port=0) as srv:
        yield srv


def make_config(dns_server: DnsServer, port: int, **kw: Any) -> RemoteConfig:
    return RemoteConfig(
        helo_name="mail.example.test",
        nameservers=[dns_server.nameserver],
        port=port,
        # Generous: a loaded CI machine must not turn a delivery into a deferral.
        # The tests of time-outs set their own short ones.
        connect_timeout=5,
        command_timeout=10,
        dns_timeout=5,
        **kw,
    )


MESSAGE = b"From: alice@example.test\r\nTo: bob@far.test\r\nSubject: hi\r\n\r\nhello\r\n"


async def send(
    config: RemoteConfig,
    recipients: list[str],
    *,
    domain: str = "far.test",
    message: bytes = MESSAGE,
    sender: str = "alice@example.test",
) -> tuple[list[RecipientResult], list[str]]:
    lines: list[str] = []
    results = await deliver(
        domain=domain,
        sender=sender,
        recipients=recipients,
        message=message,
        config=config,
        log=lines.append,
    )
    return results, lines


# ---- TLS material ----


@dataclass
class Cert:
    certfile: Path
    keyfile: Path

    def server_context(self) -> ssl.SSLContext:
        return server_context(self.certfile, self.keyfile)


@pytest.fixture(scope="session")
def cert(tmp_path_factory: pytest.TempPathFactory) -> Cert:
    return Cert(*make_cert(tmp_path_factory.mktemp("tls")))


# ---- DNS: resolve_mx against the real server ----


async def test_mx_sorted_by_preference(dns_server: DnsServer) -> None:
    hosts = await resolve_mx("far.test", nameservers=[dns_server.nameserver], timeout=2)
    assert [(h.preference, h.name, h.addresses) for h in hosts] == [
        (10, "mx1.far.test", [MX1]),
        (20, "mx2.far.test", [MX2]),
    ]


async def test_equal_preferences_are_shuffled_ipv4_first(dns_server: DnsServer) -> None:
    seen: set[tuple[str, ...]] = set()
    for seed in range(20):
        hosts = await resolve_mx(
            "even.test", nameservers=[dns_server.nameserver], timeout=2, rng=random.Random(seed)
        )
        assert hosts[0].name == "c.even.test" and hosts[0].addresses == ["127.0.0.13", "::1"]
        seen.add(tuple(h.name for h in hosts[1:]))
    assert seen == {("a.even.test", "b.even.test"), ("b.even.test", "a.even.test")}


def test_order_mx_is_pure_and_seedable() -> None:
    records = [(20, "z"), (10, "b"), (10, "a"), (10, "c")]
    first = order_mx(records, random.Random(1))
    assert first == order_mx(records, random.Random(1))
    assert [p for p, _ in first] == [10, 10, 10, 20]
    assert sorted(n for _, n in first[:3]) == ["a", "b", "c"]


async def test_implicit_mx_null_mx_nxdomain(dns_server: DnsServer) -> None:
    ns = [dns_server.nameserver]
    hosts = await resolve_mx("plain.test", nameservers=ns, timeout=2)
    assert [(h.preference, h.name, h.addresses) for h in hosts] == [(0, "plain.test", [MX2])]
    with pytest.raises(NullMxError, match="null MX"):
        await resolve_mx("null.test", nameservers=ns, timeout=2)
    with pytest.raises(DnsPermanentError, match="NXDOMAIN"):
        await resolve_mx("nx.test", nameservers=ns, timeout=2)
    with pytest.raises(DnsPermanentError, match="no MX and no A"):
        await resolve_mx("nomx-noaddr.test", nameservers=ns, timeout=2)
    with pytest.raises(DnsTemporaryError):  # its only MX host has no address
        await resolve_mx("ghost.test", nameservers=ns, timeout=2)
    literal = await resolve_mx("[127.0.0.8]", nameservers=ns)
    assert literal[0].addresses == ["127.0.0.8"]


async def test_servfail_and_timeout_are_temporary(dns_server: DnsServer) -> None:
    dns_server.servfail.add("broken.test")
    dns_server.drop.add("slow.test")
    ns = [dns_server.nameserver]
    with pytest.raises(DnsTemporaryError, match="SERVFAIL"):
        await resolve_mx("broken.test", nameservers=ns, timeout=2)
    with pytest.raises(DnsTemporaryError, match="timeout"):
        await resolve_mx("slow.test", nameservers=ns, timeout=0.5)


def test_parse_nameserver() -> None:
    assert parse_nameserver("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_nameserver("192.0.2.1") == ("192.0.2.1", 53)
    assert parse_nameserver("::1") == ("::1", 53)
    assert parse_nameserver("[::1]:5353") == ("::1", 5353)
    with pytest.raises(ValueError):
        parse_nameserver("dns.example:53")


def test_dns_server_thread_mode_serves_udp_and_tcp() -> None:
    srv = DnsServer(ZONE).start_thread()
    try:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = srv.port
        for tcp in (False, True):
            answer = resolver.resolve("far.test", "MX", tcp=tcp)
            assert sorted(r.preference for r in answer) == [10, 20]
        with pytest.raises(dns.resolver.NXDOMAIN):
            resolver.resolve("nope.test", "A")
        with pytest.raises(dns.resolver.NoAnswer):
            resolver.resolve("far.test", "AAAA")
    finally:
        srv.stop()


# ---- delivery ----


async def test_fallback_to_second_mx_when_first_refuses(dns_server: DnsServer, port: int) -> None:
    with sink(MX2, port, SinkHandler()) as far:
        results, lines = await send(make_config(dns_server, port), ["bob@far.test"])
    assert [(r.status, r.remote_host, r.status_code) for r in results] == [
        ("delivered", "mx2.far.test", "2.0.0")
    ]
    assert results[0].reply == "250 2.0.0 Ok: queued as SINK1"
    assert any(f"connect to mx1.far.test[{MX1}]:{port}: Connection refused" in s for s in lines)
    assert (
        f"to=<bob@far.test>, relay=mx2.far.test[{MX2}]:{port}, dsn=2.0.0, "
        "status=sent (250 2.0.0 Ok: queued as SINK1)"
    ) in lines
    assert len(far.received) == 1
    got = far.received[0]
    assert got.sender == "alice@example.test" and got.recipients == ["bob@far.test"]
    assert b"Subject: hi" in got.content


async def test_preferred_mx_gets_the_mail(dns_server: DnsServer, port: int) -> None:
    with sink(MX1, port, SinkHandler()) as first, sink(MX2, port, SinkHandler()) as second:
        results, _ = await send(make_config(dns_server, port), ["bob@far.test"])
    assert results[0].status == "delivered" and results[0].remote_host == "mx1.far.test"
    assert len(first.received) == 1 and not second.received


async def test_implicit_mx_delivery(dns_server: DnsServer, port: int) -> None:
    with sink(MX2, port, SinkHandler()) as far:
        results, _ = await send(
            make_config(dns_server, port), ["carol@plain.test"], domain="plain.test"
        )
    assert results[0].status == "delivered" and results[0].remote_host == "plain.test"
    assert far.received[0].recipients == ["carol@plain.test"]


async def test_null_mx_bounces_at_once(dns_server: DnsServer, port: int) -> None:
    results, lines = await send(make_config(dns_server, port), ["x@null.test"], domain="null.test")
    assert [(r.status, r.status_code, r.remote_host) for r in results] == [
        ("bounced", "5.1.10", None)
    ]
    assert "null MX" in results[0].reply
    assert lines[-1].startswith("to=<x@null.test>, relay=none, dsn=5.1.10, status=bounced")


async def test_nxdomain_bounces(dns_server: DnsServer, port: int) -> None:
    results, _ = await send(
        make_config(dns_server, port), ["x@nx.test", "y@nx.test"], domain="nx.test"
    )
    assert [(r.status, r.status_code) for r in results] == [("bounced", "5.1.2")] * 2


async def test_dns_failure_defers(dns_server: DnsServer, port: int) -> None:
    dns_server.servfail.add("far.test")
    results, _ = await send(make_config(dns_server, port), ["bob@far.test"])
    assert [(r.status, r.status_code) for r in results] == [("deferred", "4.4.3")]


async def test_no_host_listening_defers_with_last_error(dns_server: DnsServer, port: int) -> None:
    results, _ = await send(make_config(dns_server, port), ["bob@far.test"])
    assert results[0].status == "deferred" and results[0].status_code == "4.4.1"
    assert f"mx2.far.test[{MX2}]:{port}: Connection refused" in results[0].reply


async def test_rcpt_4xx_defers(dns_server: DnsServer, port: int) -> None:
    with sink(MX1, port, SinkHandler(defer={"bob@far.test"})) as far:
        results, lines = await send(make_config(dns_server, port), ["bob@far.test"])
    assert [(r.status, r.status_code) for r in results] == [("deferred", "4.3.0")]
    assert results[0].reply.startswith("451 4.3.0 <bob@far.test>")
    assert not far.received
    assert any("status=deferred (host mx1.far.test" in s for s in lines)


async def test_greeting_4xx_moves_to_next_host(dns_server: DnsServer, port: int) -> None:
    async def busy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"421 4.3.2 mx1 is too busy\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(busy, MX1, port)
    try:
        with sink(MX2, port, SinkHandler()) as second:
            results, lines = await send(make_config(dns_server, port), ["bob@far.test"])
    finally:
        server.close()
        await server.wait_closed()
    assert results[0].status == "delivered" and results[0].remote_host == "mx2.far.test"
    assert len(second.received) == 1
    assert any("refused to talk to me: 421 4.3.2 mx1 is too busy" in s for s in lines)


async def test_data_4xx_defers_and_data_5xx_bounces(dns_server: DnsServer, port: int) -> None:
    config = make_config(dns_server, port)
    with sink(MX1, port, SinkHandler(data_reply="452 4.3.1 Insufficient system storage")):
        results, _ = await send(config, ["bob@far.test", "dan@far.test"])
    assert [(r.status, r.status_code) for r in results] == [("deferred", "4.3.1")] * 2
    with sink(MX1, port, SinkHandler(data_reply="554 5.7.1 Spam not welcome")):
        results, _ = await send(config, ["bob@far.test"])
    assert [(r.status, r.status_code, r.reply) for r in results] == [
        ("bounced", "5.7.1", "554 5.7.1 Spam not welcome")
    ]


async def test_rcpt_5xx_bounces_one_delivers_other(dns_server: DnsServer, port: int) -> None:
    handler = SinkHandler(reject={"nobody@far.test"})
    with sink(MX1, port, handler) as far:
        results, lines = await send(
            make_config(dns_server, port), ["nobody@far.test", "bob@far.test"]
        )
    assert [(r.recipient, r.status, r.status_code) for r in results] == [
        ("nobody@far.test", "bounced", "5.1.1"),
        ("bob@far.test", "delivered", "2.0.0"),
    ]
    assert results[0].reply == (
        "550 5.1.1 <nobody@far.test>: Recipient address rejected: User unknown"
    )
    assert far.received[0].recipients == ["bob@far.test"]
    assert any(
        s.startswith("to=<nobody@far.test>") and f"host mx1.far.test[{MX1}] said: 550" in s
        for s in lines
    )
    # The result maps straight onto a DSN recipient block.
    status = recipient_status(results[0], last_attempt=None)
    assert status.action == "failed" and status.diagnostic.startswith("smtp; 550 5.1.1")
    assert status.remote_mta == "mx1.far.test"


async def test_starttls_used_when_offered(dns_server: DnsServer, port: int, cert: Cert) -> None:
    # A self-signed cert for "localhost" on an MX named mx1.far.test: opportunistic
    # TLS must still encrypt rather than fall back to plaintext.
    with sink(MX1, port, SinkHandler(), tls_context=cert.server_context()) as far:
        results, lines = await send(make_config(dns_server, port), ["bob@far.test"])
    assert results[0].status == "delivered"
    assert far.received[0].tls is True
    assert any(
        s.startswith(f"Untrusted TLS connection established to mx1.far.test[{MX1}]:{port}: TLSv1")
        for s in lines
    )


async def test_plaintext_when_starttls_not_offered(dns_server: DnsServer, port: int) -> None:
    with sink(MX1, port, SinkHandler()) as far:
        _, lines = await send(make_config(dns_server, port), ["bob@far.test"])
    assert far.received[0].tls is False
    assert any("no TLS with mx1.far.test" in s for s in lines)


async def test_8bit_message_to_server_without_8bitmime_bounces(
    dns_server: DnsServer, port: int
) -> None:
    message = "Subject: caf\u00e9\r\n\r\nna\u00efve body\r\n".encode()
    with sink(MX1, port, SinkHandler(no_8bitmime=True)) as far:
        results, _ = await send(make_config(dns_server, port), ["bob@far.test"], message=message)
    assert [(r.status, r.status_code) for r in results] == [("bounced", "5.6.3")]
    assert not far.received


async def test_8bit_message_sent_with_body_8bitmime(dns_server: DnsServer, port: int) -> None:
    message = "Subject: caf\u00e9\r\n\r\nna\u00efve body\r\n".encode()
    with sink(MX1, port, SinkHandler()) as far:
        results, _ = await send(make_config(dns_server, port), ["bob@far.test"], message=message)
    assert results[0].status == "delivered"
    assert "BODY=8BITMIME" in far.received[0].mail_options
    assert far.received[0].content.replace(b"\r\n", b"\n") == message.replace(b"\r\n", b"\n")


async def test_utf8_address_needs_smtputf8(dns_server: DnsServer, port: int) -> None:
    config = make_config(dns_server, port)
    with sink(MX1, port, SinkHandler(no_8bitmime=True)) as far:
        results, _ = await send(config, ["j\u00fcrgen@far.test"])
    assert [(r.status, r.status_code) for r in results] == [("bounced", "5.6.7")]
    assert not far.received
    with sink(MX1, port, SinkHandler()) as far:
        results, _ = await send(config, ["j\u00fcrgen@far.test"])
    assert results[0].status == "delivered"
    assert "SMTPUTF8" in far.received[0].mail_options
    assert far.received[0].recipients == ["j\u00fcrgen@far.test"]


# ---- smarthost ----


def _authenticator(
    server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"office",
        b"s3cret-pw",
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535


def _smarthost_sink(
    port: int, cert: Cert, handler: SinkHandler
) -> contextlib.AbstractContextManager:
    return sink(
        "127.0.0.1",
        port,
        handler,
        tls_context=cert.server_context(),
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=_authenticator,
    )


async def test_smarthost_starttls_and_auth(dns_server: DnsServer, port: int, cert: Cert) -> None:
    relay = Smarthost(
        host="127.0.0.1",
        port=port,
        tls="starttls",
        username="office",
        password="s3cret-pw",
        cafile=str(cert.certfile),
    )
    config = make_config(dns_server, 1, smarthost=relay)  # port 1: the MX path is not used
    with _smarthost_sink(port, cert, SinkHandler()) as isp:
        results, lines = await send(config, ["bob@far.test", "x@null.test"])
    assert [r.status for r in results] == ["delivered", "delivered"]  # no MX lookup at all
    assert isp.received[0].tls is True
    assert isp.received[0].recipients == ["bob@far.test", "x@null.test"]
    assert any(s.startswith("Trusted TLS connection established to 127.0.0.1") for s in lines)
    assert "s3cret-pw" not in repr(config) and "s3cret-pw" not in "\n".join(lines)


async def test_smarthost_wrong_password_defers(
    dns_server: DnsServer, port: int, cert: Cert
) -> None:
    relay = Smarthost(
        host="127.0.0.1", port=port, username="office", password="wrong", cafile=str(cert.certfile)
    )
    with _smarthost_sink(port, cert, SinkHandler()) as isp:
        results, lines = await send(make_config(dns_server, 1, smarthost=relay), ["bob@far.test"])
    assert results[0].status == "deferred"
    assert results[0].status_code.startswith("4.")
    assert "SASL authentication failed" in results[0].reply
    assert not isp.received
    assert "wrong" not in "\n".join(lines)


async def test_smarthost_fails_closed_without_tls(dns_server: DnsServer, port: int) -> None:
    relay = Smarthost(host="127.0.0.1", port=port, username="office", password="s3cret-pw")
    with sink("127.0.0.1", port, SinkHandler()) as isp:  # offers no STARTTLS
        results, _ = await send(make_config(dns_server, 1, smarthost=relay), ["bob@far.test"])
    assert [(r.status, r.status_code) for r in results] == [("deferred", "4.7.4")]
    assert not isp.received


async def test_smarthost_untrusted_certificate_defers(
    dns_server: DnsServer, port: int, cert: Cert
) -> None:
    relay = Smarthost(host="127.0.0.1", port=port, username="office", password="s3cret-pw")
    with _smarthost_sink(port, cert, SinkHandler()) as isp:
        results, _ = await send(make_config(dns_server, 1, smarthost=relay), ["bob@far.test"])
    assert [(r.status, r.status_code) for r in results] == [("deferred", "4.7.5")]
    assert not isp.received


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_smarthost_implicit_tls(dns_server: DnsServer, port: int, cert: Cert) -> None:
    relay = Smarthost(
        host="127.0.0.1",
        port=port,
        tls="implicit",
        username="office",
        password="s3cret-pw",
        cafile=str(cert.certfile),
    )
    server_ctx = cert.server_context()
    handler = SinkHandler()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        ready_timeout=5,
        server_hostname="sink.test",
        ssl_context=server_ctx,
        auth_required=True,
        # aiosmtpd only counts STARTTLS as TLS; the whole session is TLS here.
        auth_require_tls=False,
        authenticator=_authenticator,
    )
    controller.start()
    try:
        results, lines = await send(make_config(dns_server, 1, smarthost=relay), ["bob@far.test"])
    finally:
        controller.stop()
    assert results[0].status == "delivered", lines
    assert handler.received[0].tls is True


async def test_deliveries_run_concurrently(dns_server: DnsServer, port: int) -> None:
    with sink(MX1, port, SinkHandler()) as far:
        batches = await asyncio.gather(
            *(send(make_config(dns_server, port), [f"u{i}@far.test"]) for i in range(5))
        )
    assert all(results[0].status == "delivered" for results, _ in batches)
    assert len(far.received) == 5


async def test_silent_host_times_out_and_next_is_tried(dns_server: DnsServer, port: int) -> None:
    async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accept, then never greet
        writer.close()

    server = await asyncio.start_server(mute, MX1, port)
    config = make_config(dns_server, port)
    config.connect_timeout = 0.5
    try:
        with sink(MX2, port, SinkHandler()) as second:
            results, lines = await send(config, ["bob@far.test"])
    finally:
        server.close()
        await server.wait_closed()
    assert results[0].status == "delivered" and len(second.received) == 1
    assert any(s.startswith(f"connect to mx1.far.test[{MX1}]:{port}:") for s in lines)


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated")
async def test_failed_opportunistic_tls_retries_in_plaintext(
    dns_server: DnsServer, port: int, cert: Cert
) -> None:
    # The server only speaks TLS 1.1, which the client refuses (TLS 1.2+).
    old_tls = cert.server_context()
    old_tls.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    old_tls.maximum_version = ssl.TLSVersion.TLSv1_1
    with sink(MX1, port, SinkHandler(), tls_context=old_tls) as far:
        results, lines = await send(make_config(dns_server, port), ["bob@far.test"])
    assert results[0].status == "delivered"
    assert far.received[0].tls is False
    assert any("TLS handshake with mx1.far.test" in s for s in lines)
    assert any("retrying in plaintext" in s for s in lines)


def test_dns_server_command_line(tmp_path: Path) -> None:
    zone = tmp_path / "zone.json"
    zone.write_text(json.dumps({"far.test": {"MX": [[10, "mx1.far.test"]]}}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.dnsserver", "--port", "0", "--zone", str(zone)],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        port = int(line.rsplit(":", 1)[1].split()[0])
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = port
        answer = resolver.resolve("far.test", "MX", lifetime=3)
        assert [r.exchange.to_text() for r in answer] == ["mx1.far.test."]
    finally:
        proc.terminate()
        assert proc.wait(timeout=5) == 0


async def test_resolver_that_denies_everything_defers_instead_of_bouncing() -> None:
    """An offline box's DNS answering NXDOMAIN for all names must not bounce mail."""
    async with DnsServer({".": None}) as broken:
        with pytest.raises(DnsTemporaryError, match="root zone"):
            await resolve_mx("far.test", nameservers=[broken.nameserver], timeout=2)


# ---- DNS answer cache ----


async def test_dns_answers_are_cached(dns_server: DnsServer) -> None:
    ns = [dns_server.nameserver]
    first = await resolve_mx("far.test", nameservers=ns, timeout=2)
    asked = len(dns_server.queries)
    assert asked == 5  # MX, then A and AAAA of both hosts
    for _ in range(5):
        again = await resolve_mx("far.test", nameservers=ns, timeout=2)
        assert [(h.name, h.addresses) for h in again] == [(h.name, h.addresses) for h in first]
    assert len(dns_server.queries) == asked  # all from the cache
    # Same nameservers, another timeout: the same answers.
    await resolve_mx("far.test", nameservers=ns, timeout=3)
    assert len(dns_server.queries) == asked
    # Equal preferences are still shuffled per call, from cached answers.
    orders = {
        tuple(h.name for h in await resolve_mx("even.test", nameservers=ns, timeout=2))
        for _ in range(30)
    }
    assert len(orders) == 2


async def test_whole_answer_is_kept_a_moment_and_flushed_with_the_cache(
    dns_server: DnsServer,
) -> None:
    ns = [dns_server.nameserver]
    first = await resolve_mx("far.test", nameservers=ns, timeout=2)
    asked = len(dns_server.queries)
    again = await resolve_mx("far.test", nameservers=ns, timeout=2)
    assert [(h.name, h.addresses) for h in again] == [(h.name, h.addresses) for h in first]
    again[0].addresses.append("192.0.2.1")  # a caller's copy: the kept answer is not changed
    assert (await resolve_mx("far.test", nameservers=ns, timeout=2))[0].addresses == \
        first[0].addresses
    assert len(dns_server.queries) == asked
    flush_cache()
    await resolve_mx("far.test", nameservers=ns, timeout=2)
    assert len(dns_server.queries) == 2 * asked


async def test_dns_cache_respects_ttl() -> None:
    async with DnsServer(ZONE, ttl=1) as short:
        ns = [short.nameserver]
        await resolve_mx("far.test", nameservers=ns, timeout=2)
        await resolve_mx("far.test", nameservers=ns, timeout=2)
        assert short.queries.count(("far.test", "MX")) == 1
        await asyncio.sleep(1.1)
        await resolve_mx("far.test", nameservers=ns, timeout=2)
        assert short.queries.count(("far.test", "MX")) == 2


async def test_dns_cache_caps_long_ttls() -> None:
    async with DnsServer(ZONE, ttl=86400) as srv:
        ns = [srv.nameserver]
        await resolve_mx("far.test", nameservers=ns, timeout=2)
        with pytest.raises(DnsPermanentError):
            await resolve_mx("nx.test", nameservers=ns, timeout=2)
        cache = shared_resolver(ns, 2).cache
        now = time.time()
        key = (dns.name.from_text("far.test."), dns.rdatatype.MX, dns.rdataclass.IN)
        positive = cache.get(key)
        assert positive is not None and now + 290 < positive.expiration <= now + 300
        key = (dns.name.from_text("nx.test."), dns.rdatatype.ANY, dns.rdataclass.IN)
        negative = cache.get(key)
        assert negative is not None and negative.expiration <= now + 60


async def test_negative_answers_cached_failures_not(dns_server: DnsServer) -> None:
    ns = [dns_server.nameserver]
    for _ in range(3):
        with pytest.raises(DnsPermanentError, match="NXDOMAIN"):
            await resolve_mx("nx.test", nameservers=ns, timeout=2)
    assert dns_server.queries.count(("nx.test", "MX")) == 1
    for _ in range(3):
        with pytest.raises(DnsPermanentError, match="no MX and no A"):
            await resolve_mx("nomx-noaddr.test", nameservers=ns, timeout=2)
    assert dns_server.queries.count(("nomx-noaddr.test", "MX")) == 1
    # SERVFAIL and timeouts are never cached: the next try asks again.
    dns_server.servfail.add("broken.test")
    for _ in range(3):
        with pytest.raises(DnsTemporaryError):
            await resolve_mx("broken.test", nameservers=ns, timeout=2)
    assert dns_server.queries.count(("broken.test", "MX")) == 3
    dns_server.servfail.clear()
    hosts = await resolve_mx("broken.test", nameservers=ns, timeout=2)
    assert hosts[0].addresses == ["127.0.0.9"]


async def test_deliveries_share_the_dns_cache(dns_server: DnsServer, port: int) -> None:
    config = make_config(dns_server, port)
    with sink(MX1, port, SinkHandler()) as far:
        for i in range(5):
            results, _ = await send(config, [f"u{i}@far.test"])
            assert results[0].status == "delivered"
    assert len(far.received) == 5
    assert dns_server.queries.count(("far.test", "MX")) == 1


# ---- connection reuse ----


class CountingSink(SinkHandler):
    """Counts SMTP connections (one EHLO each; no STARTTLS offered)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.sessions: list[Session] = []  # kept alive, so ids stay distinct
        self.servers: list[SMTPServer] = []

    async def handle_EHLO(  # noqa: N802
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        if all(s is not session for s in self.sessions):
            self.sessions.append(session)
            self.servers.append(server)
        return await super().handle_EHLO(server, session, envelope, hostname, responses)

    @property
    def connections(self) -> int:
        return len(self.sessions)


def tokens(handler: SinkHandler) -> list[str]:
    return [r.recipients[0] for r in handler.received]


async def test_connection_reused_for_messages_in_sequence(dns_server: DnsServer, port: int) -> None:
    config = make_config(dns_server, port)
    cache = ConnectionCache()
    lines: list[str] = []
    with sink(MX1, port, CountingSink()) as far:
        for i in range(10):
            results = await deliver(
                domain="far.test",
                sender="alice@example.test",
                recipients=[f"u{i}@far.test"],
                message=MESSAGE,
                config=config,
                log=lines.append,
                connections=cache,
                arrival=time.time() - 2.5,
            )
            assert results[0].status == "delivered"
        assert len(cache) == 1  # idle now, kept for the next message
        await cache.close()
        assert len(cache) == 0
    assert tokens(far) == [f"u{i}@far.test" for i in range(10)]
    assert far.connections == 1
    assert cache.reused == 9
    sent = [s for s in lines if "status=sent" in s]
    assert sent[0].startswith(f"to=<u0@far.test>, relay=mx1.far.test[{MX1}]:{port}, delay=2.5,")
    assert sent[9].startswith(
        f"to=<u9@far.test>, relay=mx1.far.test[{MX1}]:{port}, conn_use=10, delay=2.5, dsn=2.0.0,"
    )
    # "no TLS" is said once, not with every message.
    assert sum("no TLS with" in s for s in lines) == 1


async def test_dispatcher_reuses_connections_and_closes_them(
    dns_server: DnsServer, port: int
) -> None:
    config = make_config(dns_server, port)
    dispatcher = RemoteDispatcher(lambda: config, max_per_destination=3)
    with sink(MX1, port, CountingSink()) as far:
        for round_ in range(4):  # 4 rounds of 6 parallel messages, at most 3 at once
            envs = [
                QueuedEnvelope(
                    id=f"Q{round_}{i}",
                    sender="alice@example.test",
                    recipients=[f"r{round_}-{i}@far.test"],
                    arrival=time.time(),
                )
                for i in range(6)
            ]
            batches = await asyncio.gather(
                *(dispatcher(env, MESSAGE, env.recipients) for env in envs)
            )
            assert all(b[0].status == "delivered" for b in batches)
        assert 1 <= len(dispatcher.connections) <= 3
        await dispatcher.close()
        assert len(dispatcher.connections) == 0
        await asyncio.sleep(0.2)
        assert all(s.transport is None or s.transport.is_closing() for s in far.servers)
    assert sorted(tokens(far)) == sorted(f"r{r}-{i}@far.test" for r in range(4) for i in range(6))
    assert far.connections <= 3  # 24 messages, never more than the destination's limit


async def test_connection_use_limit(dns_server: DnsServer, port: int) -> None:
    config = make_config(dns_server, port)
    cache = ConnectionCache(max_uses=3)
    with sink(MX1, port, CountingSink()) as far:
        for i in range(7):
            results, _ = await send_cached(config, cache, f"u{i}@far.test")
            assert results[0].status == "delivered"
        await cache.close()
    assert far.connections == 3  # 3 + 3 + 1
    assert len(far.received) == 7


async def test_idle_connection_expires(dns_server: DnsServer, port: int) -> None:
    config = make_config(dns_server, port)
    cache = ConnectionCache(idle_timeout=0.2)
    with sink(MX1, port, CountingSink()) as far:
        await send_cached(config, cache, "a@far.test")
        assert len(cache) == 1
        await asyncio.sleep(0.5)
        assert len(cache) == 0
        await send_cached(config, cache, "b@far.test")
        await cache.close()
    assert far.connections == 2
    assert tokens(far) == ["a@far.test", "b@far.test"]


async def send_cached(
    config: RemoteConfig, cache: ConnectionCache, rcpt: str
) -> tuple[list[RecipientResult], list[str]]:
    lines: list[str] = []
    results = await deliver(
        domain=rcpt.rpartition("@")[2],
        sender="alice@example.test",
        recipients=[rcpt],
        message=MESSAGE,
        config=config,
        log=lines.append,
        connections=cache,
    )
    return results, lines


class DroppingSink(CountingSink):
    """Drops a connection at its second MAIL, as a server that timed it out would."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.mails: dict[int, int] = {}

    async def handle_MAIL(  # noqa: N802
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str,
        mail_options: list[str],
    ) -> str:
        seen = self.mails[id(session)] = self.mails.get(id(session), 0) + 1
        if seen > 1:
            assert server.transport is not None
            server.transport.close()
            return "421 4.4.2 idle too long, closing connection"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"


async def test_dropped_idle_connection_falls_back_to_a_fresh_one(
    dns_server: DnsServer, port: int
) -> None:
    config = make_config(dns_server, port)
    cache = ConnectionCache()
    with sink(MX1, port, DroppingSink()) as far:
        for i in range(3):
            results, lines = await send_cached(config, cache, f"u{i}@far.test")
            assert [(r.status, r.remote_host) for r in results] == [
                ("delivered", "mx1.far.test")
            ], lines
            assert sum("status=sent" in s for s in lines) == 1
        await cache.close()
    assert tokens(far) == ["u0@far.test", "u1@far.test", "u2@far.test"]  # each exactly once
    assert far.connections == 3


async def test_silently_closed_idle_connection_is_not_used(
    dns_server: DnsServer, port: int
) -> None:
    config = make_config(dns_server, port)
    cache = ConnectionCache()
    handler = CountingSink()
    controller = Controller(handler, hostname=MX1, port=port, ready_timeout=5,
                            server_hostname="sink.test")
    controller.start()
    try:
        await send_cached(config, cache, "a@far.test")
        # The far side hangs up the idle connection without a word.
        controller.loop.call_soon_threadsafe(handler.servers[0].transport.close)
        await asyncio.sleep(0.2)
        results, _ = await send_cached(config, cache, "b@far.test")
        # ...and once more where the client cannot have noticed yet.
        controller.loop.call_soon_threadsafe(handler.servers[1].transport.close)
        results2, _ = await send_cached(config, cache, "c@far.test")
        await cache.close()
    finally:
        controller.stop()
    assert results[0].status == "delivered" and results2[0].status == "delivered"
    assert tokens(handler) == ["a@far.test", "b@far.test", "c@far.test"]


async def test_lost_connection_during_data_on_reused_connection_is_not_retried(
    dns_server: DnsServer, port: int
) -> None:
    class DieInData(CountingSink):
        calls = 0

        async def handle_DATA(  # noqa: N802
            self, server: SMTPServer, session: Session, envelope: Envelope
        ) -> str:
            self.calls += 1
            if self.calls == 2:
                assert server.transport is not None
                server.transport.abort()  # the far side may or may not have it now
            return await super().handle_DATA(server, session, envelope)

    config = make_config(dns_server, port)
    cache = ConnectionCache()
    with sink(MX1, port, DieInData()) as far:
        await send_cached(config, cache, "a@far.test")
        results, _ = await send_cached(config, cache, "b@far.test")
        await cache.close()
    assert [(r.status, r.status_code) for r in results] == [("deferred", "4.4.2")]
    assert far.connections == 1  # no second try elsewhere: that risks a duplicate


class RsetCountingSink(CountingSink):
    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.rsets = 0

    async def handle_RSET(  # noqa: N802
        self, server: SMTPServer, session: Session, envelope: Envelope
    ) -> str:
        self.rsets += 1
        return "250 OK"


async def test_kept_connection_goes_on_with_mail_and_no_rset(
    dns_server: DnsServer, port: int
) -> None:
    config = make_config(dns_server, port)
    cache = ConnectionCache()
    handler = RsetCountingSink(defer={"u2@far.test"})
    with sink(MX1, port, handler) as far:
        results = [(await send_cached(config, cache, f"u{i}@far.test"))[0][0].status
                   for i in range(5)]
        # Refused at the end of DATA (aiosmtplib cannot say whether DATA itself or the
        # final dot was refused, so the client sends RSET before keeping the connection).
        handler.data_reply = "452 4.3.1 Insufficient system storage"
        refused, _ = await send_cached(config, cache, "u5@far.test")
        handler.data_reply = None
        last, _ = await send_cached(config, cache, "u6@far.test")
        await cache.close()
    assert results == ["delivered", "delivered", "deferred", "delivered", "delivered"]
    assert refused[0].status == "deferred" and last[0].status == "delivered"
    assert tokens(far) == ["u0@far.test", "u1@far.test", "u3@far.test", "u4@far.test",
                           "u6@far.test"]
    assert far.connections == 1
    # One RSET after the transaction with no recipient left (u2), one after the
    # refused DATA; none before the messages sent over the kept connection.
    assert far.rsets == 2
