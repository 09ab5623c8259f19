"""DKIM signing and the DNS records through the real daemon and CLI.

A loopback DNS server serves the zone that ``dns records`` prints, so
``dns check`` and dkimpy's verifier both read the keys from real DNS; an
aiosmtpd sink plays far.test's MX.
"""

from __future__ import annotations

import email
import json
import re
import smtplib
import ssl
from collections.abc import Iterator
from typing import Any

import dkim
import dns.resolver
import pytest

from appliance.control.client import ControlClient
from appliance.dns.mx import parse_nameserver
from appliance.home import Home
from tests.support.daemon import Mailroom
from tests.support.dnsserver import DnsServer, zone_of
from tests.support.sink import SinkHandler, port_free_on, sink
from tests.support.waiting import wait

FAR = {
    "far.test": {"MX": [(10, "mx.far.test")]},
    "mx.far.test": {"A": ["127.0.0.4"]},
}




def configure(m: Mailroom, **values: Any) -> None:
    """Settings through the control API in-process: a CLI run per setting costs a second."""
    client = ControlClient(Home(m.home))
    try:
        client.call("settings.set_many", values={k.replace("_", ".", 1): v
                                                 for k, v in values.items()})
    finally:
        client.close()


def records(m: Mailroom, *args: str) -> dict[str, Any]:
    return json.loads(m.cli("dns", "records", *args, "--json").stdout)


def dnsfunc(server: DnsServer) -> Any:
    resolver = dns.resolver.Resolver(configure=False)
    host, port = parse_nameserver(server.nameserver)
    resolver.nameservers = [host]
    resolver.port = port

    def lookup(name: bytes, timeout: float = 5) -> bytes | None:
        try:
            answer = resolver.resolve(name.decode().rstrip("."), "TXT")
        except dns.resolver.NXDOMAIN:
            return None
        return b"".join(answer[0].strings)

    return lookup


@pytest.fixture
def published(home: Mailroom) -> Iterator[tuple[Mailroom, DnsServer]]:
    """example.test's records (with a public address set) served by a loopback DNS server."""
    configure(home, dns_public_ipv4="203.0.113.10")
    server = DnsServer({**FAR, **zone_of(records(home)["records"])}).start_thread()
    configure(home, dns_nameservers=server.nameserver, dns_timeout=2)
    try:
        yield home, server
    finally:
        server.stop()


def test_records_contract(home: Mailroom) -> None:
    configure(home, dns_public_ipv4="203.0.113.10")
    text = home.cli("dns", "records", "example.test").stdout
    assert re.search(r"^example\.test\.\s+IN\s+MX\s+10 mail\.example\.test\.$", text, re.M)
    assert '"v=spf1 mx -all"' in text
    assert "v=DKIM1; k=rsa; p=" in text and "v=DKIM1; k=ed25519; p=" in text
    assert '"v=DMARC1; p=quarantine; rua=mailto:postmaster@example.test"' in text
    assert "10.113.0.203.in-addr.arpa." in text and "PTR  mail.example.test." in text
    shown = json.loads(home.cli("dkim", "show", "example.test", "--json").stdout)
    assert sorted(k["algorithm"] for k in shown["keys"]) == ["ed25519", "rsa"]
    assert all(k["state"] == "active" for k in shown["keys"])
    assert "PRIVATE" not in json.dumps(shown)
    # The private keys are in the 0600 secrets file, not in the database.
    assert (home.home / "secrets.json").stat().st_mode & 0o077 == 0
    assert b"PRIVATE KEY" in (home.home / "secrets.json").read_bytes()
    assert b"PRIVATE KEY" not in (home.home / "mailroom.db").read_bytes()


def test_check_all_ok_then_missing_and_different(published: tuple[Mailroom, DnsServer]) -> None:
    m, server = published
    result = m.cli("dns", "check", "example.test")
    assert result.returncode == 0, result.stdout
    assert "every record is published as it should be" in result.stdout
    lines = [ln for ln in result.stdout.splitlines() if " (" in ln]
    assert lines and all(ln.startswith(("ok ", "optional")) for ln in lines)

    zone = zone_of(records(m)["records"])
    del zone["_dmarc.example.test"]
    zone["example.test"]["TXT"] = ['"v=spf1 a -all"']
    server.set_zone({**FAR, **zone})
    result = m.cli("dns", "check", "example.test", check=False)
    assert result.returncode == 1
    assert "MISSING    _dmarc.example.test. TXT (dmarc): Not published" in result.stdout
    assert "DIFFERENT  example.test. TXT (spf)" in result.stdout
    assert "replace it with \"v=spf1 mx -all\"" in result.stdout


def test_check_says_error_when_dns_does_not_answer(home: Mailroom) -> None:
    with DnsServer({}, drop=["example.test", "mail.example.test"]) as server:
        configure(home, dns_nameservers=server.nameserver, dns_timeout=1)
        result = home.cli("dns", "check", "example.test", check=False)
    assert result.returncode == 1
    assert "ERROR" in result.stdout and "Could not check" in result.stdout


def test_rotation_waits_for_dns_then_retires_the_old_keys(
        published: tuple[Mailroom, DnsServer]) -> None:
    m, server = published
    before = {k["selector"] for k in json.loads(
        m.cli("dkim", "show", "example.test", "--json").stdout)["keys"]}
    rotated = json.loads(m.cli("dkim", "rotate", "example.test", "--json").stdout)["keys"]
    pending = {k["selector"] for k in rotated if k["state"] == "pending"}
    assert len(pending) == 2 and not pending & before
    m.cli("dns", "check", "example.test", check=False)  # not published yet: still pending
    shown = json.loads(m.cli("dkim", "show", "example.test", "--json").stdout)["keys"]
    assert {k["selector"] for k in shown if k["state"] == "pending"} == pending

    server.set_zone({**FAR, **zone_of(records(m)["records"])})
    assert m.cli("dns", "check", "example.test").returncode == 0
    shown = json.loads(m.cli("dkim", "show", "example.test", "--json").stdout)["keys"]
    assert {k["selector"] for k in shown if k["state"] == "active"} == pending
    assert {k["selector"] for k in shown if k["state"] == "retired"} == before
    assert all(k["drop_after"] for k in shown if k["state"] == "retired")

    now = json.loads(m.cli("dkim", "rotate", "example.test", "--now", "--json").stdout)["keys"]
    assert len([k for k in now if k["state"] == "active"]) == 2
    assert {k["selector"] for k in now if k["state"] == "active"}.isdisjoint(pending | before)


@pytest.fixture
def far() -> Iterator[tuple[SinkHandler, int]]:
    port = port_free_on(["127.0.0.4"])
    with sink("127.0.0.4", port, SinkHandler()) as handler:
        yield handler, port


def submit(m: Mailroom, to: str, subject: str = "hello") -> None:
    with smtplib.SMTP("127.0.0.1", m.port("submission"), timeout=10) as s:
        s.starttls(context=ssl._create_unverified_context())
        s.login("alice@example.test", "pw-alice-1")
        s.sendmail("alice@example.test", [to],
                   f"From: Alice <alice@example.test>\r\nTo: {to}\r\nSubject: {subject}\r\n"
                   f"\r\nHello from the office.\r\n".encode())


def signatures(content: bytes) -> list[str]:
    return email.message_from_bytes(content).get_all("DKIM-Signature") or []


def test_outbound_mail_carries_two_signatures_that_verify(
        published: tuple[Mailroom, DnsServer], far: tuple[SinkHandler, int]) -> None:
    m, server = published
    handler, port = far
    configure(m, delivery_remote_port=port, queue_retry_base=1, queue_retry_cap=1)
    m.start()
    try:
        handler.defer.add("bob@far.test")  # the first attempt fails: a retry must not stack
        submit(m, "bob@far.test")
        wait(lambda: [e for e in m.mailq() if e["attempts"] >= 1], what="a deferral")
        handler.defer.clear()
        wait(lambda: handler.received, what="delivery to far.test")
        wait(lambda: m.mailq() == [], what="an empty queue")
        # Mail to a local mailbox is not signed: it never leaves.
        submit(m, "bob@example.test")
        local = m.wait_for_mail("bob@example.test")[0].read_bytes()
    finally:
        m.stop()
    content = handler.received[0].content
    sigs = signatures(content)
    assert len(sigs) == 2
    algorithms = sorted(dict(t.strip().split("=", 1) for t in s.replace("\r\n", "").split(";")
                             if "=" in t)["a"] for s in sigs)
    assert algorithms == ["ed25519-sha256", "rsa-sha256"]
    assert all("c=relaxed/relaxed" in s.replace("\r\n ", " ") for s in sigs)
    verifier = dkim.DKIM(content)
    lookup = dnsfunc(server)
    assert verifier.verify(idx=0, dnsfunc=lookup)
    assert verifier.verify(idx=1, dnsfunc=lookup)
    assert not signatures(local)


def test_periodic_check_warns_when_a_passing_record_fails(
        published: tuple[Mailroom, DnsServer]) -> None:
    m, server = published
    configure(m, dns_check_interval=1)
    m.start()
    try:
        ok = wait(lambda: _dns_status(m), what="a first periodic check")
        assert ok["ok"], ok
        zone = zone_of(records(m)["records"])
        del zone["_dmarc.example.test"]
        server.set_zone({**FAR, **zone})
        warnings = wait(lambda: json.loads(m.cli("status", "--json").stdout)["warnings"],
                        what="a warning in status")
        assert "DMARC record _dmarc.example.test. passed an earlier check" in warnings[0]
        board = json.loads(m.cli("status", "--json").stdout)
        assert board["health"] == "running"  # mail still flows: a warning, not degraded
        assert "  warning: DNS: the DMARC record" in m.cli("status").stdout
    finally:
        m.stop()


def _dns_status(m: Mailroom) -> Any:
    client = ControlClient(Home(m.home), local_fallback=False)
    try:
        return client.call("dns.status")
    finally:
        client.close()
