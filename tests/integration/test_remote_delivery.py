"""Remote delivery against a real DNS server and real aiosmtpd sinks on loopback.

Every far-side host of a test listens on the same port number (the client
has one ``RemoteConfig.port``), each on its own 127.0.0.x address; an
address with no sink gives a real "connection refused".
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import json
import random
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.resolver
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from appliance.delivery.remote import (
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
    order_mx,
    parse_nameserver,
    resolve_mx,
)
from tests.support.dnsserver import DnsServer
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
        connect_timeout=2,
        command_timeout=5,
        dns_timeout=2,
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
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.certfile, self.keyfile)
        return ctx


@pytest.fixture(scope="session")
def cert(tmp_path_factory: pytest.TempPathFactory) -> Cert:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    d = tmp_path_factory.mktemp("tls")
    certfile, keyfile = d / "cert.pem", d / "key.pem"
    certfile.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Cert(certfile, keyfile)


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
