"""Certificates from a real ACME server (pebble on loopback), taken by a running daemon.

Pebble's validation authority resolves mail.example.test through the test DNS
server (127.0.0.1) and fetches the HTTP-01 token from the port the daemon
opens for the challenge; for DNS-01 it reads the TXT record from that server.
"""

from __future__ import annotations

import imaplib
import os
import smtplib
import socket
import ssl
import stat
from collections.abc import Iterator

import pytest
from cryptography import x509

from appliance.control.client import ControlClient
from appliance.control.setup import initialize
from appliance.home import Home
from tests.support.daemon import Mailroom
from tests.support.dnsserver import DnsServer, serving
from tests.support.pebble import Pebble, free_port, pebble_binary
from tests.support.waiting import wait

ZONE = {"mail.example.test": {"A": ["127.0.0.1"]}, "example.test": {
    "MX": [(10, "mail.example.test")]}}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


if pebble_binary() is None and not _in_ci():
    pytest.skip("pebble is not installed (bash packaging/deps.sh test)", allow_module_level=True)


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsServer]:
    with serving(ZONE) as server:
        yield server


@pytest.fixture(scope="module")
def pebble(tmp_path_factory: pytest.TempPathFactory, dns: DnsServer) -> Iterator[Pebble]:
    server = Pebble(tmp_path_factory.mktemp("pebble"), f"127.0.0.1:{dns.port}", free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory, pebble: Pebble,
           dns: DnsServer) -> Iterator[Mailroom]:
    m = Mailroom(tmp_path_factory.mktemp("acme") / "home")
    # Set up in-process (each CLI run costs a Python start): the CLI is tested below.
    initialize(Home(m.home), "mail.example.test", "example.test")
    set_settings(m, {"acme.directory": pebble.directory, "acme.ca_file": str(pebble.ca_file),
                     "acme.http_port": pebble.http_port,
                     "dns.nameservers": f"127.0.0.1:{dns.port}"})
    client = ControlClient(Home(m.home))
    client.call("account.add", address="alice@example.test", password="pw-alice-1")
    client.close()
    m.start()
    try:
        yield m
    finally:
        m.stop()


def set_settings(m: Mailroom, values: dict[str, object]) -> None:
    client = ControlClient(Home(m.home))
    try:
        client.call("settings.set_many", values=values)
    finally:
        client.close()


def _peer(sock: ssl.SSLSocket) -> x509.Certificate:
    der = sock.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


def _imaps(m: Mailroom, context: ssl.SSLContext | None = None) -> imaplib.IMAP4_SSL:
    context = context or ssl._create_unverified_context()
    return imaplib.IMAP4_SSL("127.0.0.1", m.port("imaps"), ssl_context=context, timeout=10)


def _installed(m: Mailroom) -> x509.Certificate:
    return x509.load_pem_x509_certificate((m.home / "tls" / "cert.pem").read_bytes())


def _trusting(pebble: Pebble) -> ssl.SSLContext:
    """A client context that trusts pebble's root and checks the name mail.example.test."""
    context = ssl.create_default_context(cadata=pebble.root_pem().decode())
    return context


def test_issue_over_http01_hot_reload_keeps_open_sessions(daemon: Mailroom,
                                                           pebble: Pebble) -> None:
    m = daemon
    old = _imaps(m)
    old.login("alice@example.test", "pw-alice-1")
    old_cert = _peer(old.sock)  # type: ignore[arg-type]
    assert old_cert.issuer == old_cert.subject  # the self-signed one from init

    out = m.cli("tls", "acme", "issue", "--email", "postmaster@example.test").stdout
    assert "issued by" in out and "Pebble" in out, out
    assert "from ACME:" in out
    new_cert = _installed(m)
    assert new_cert.serial_number != old_cert.serial_number
    assert stat.S_IMODE((m.home / "tls" / "key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE((m.home / "tls" / "acme" / "account.json").stat().st_mode) == 0o600

    # The session opened before keeps its TLS connection and works on.
    assert old.select("INBOX")[0] == "OK"
    assert old.noop()[0] == "OK"
    assert _peer(old.sock).serial_number == old_cert.serial_number  # type: ignore[arg-type]
    old.logout()

    # A new handshake gets the new certificate, and it verifies up to pebble's root.
    context = _trusting(pebble)
    with socket.create_connection(("127.0.0.1", m.port("imaps")), 10) as raw, \
            context.wrap_socket(raw, server_hostname="mail.example.test") as tls:
        assert _peer(tls).serial_number == new_cert.serial_number
    with smtplib.SMTP("127.0.0.1", m.port("submission"), timeout=10) as s:
        s.starttls(context=ssl._create_unverified_context())
        assert _peer(s.sock).serial_number == new_cert.serial_number  # type: ignore[arg-type]

    status = m.cli("tls", "acme", "status").stdout
    assert "certificate for mail.example.test" in status and pebble.directory in status
    assert "contact:      postmaster@example.test" in status  # kept once the CA took it
    assert "admin: tls.acme.issue" in m.log_text()


def test_daemon_renews_when_due_and_renew_now(daemon: Mailroom, pebble: Pebble) -> None:
    m = daemon
    if "from ACME" not in m.cli("tls", "show").stdout:
        m.cli("tls", "acme", "issue")
    before = _installed(m).serial_number
    # Due at once: the daemon's renewal watch (woken by the change) renews by itself.
    set_settings(m, {"acme.renew_before_days": 100000})
    try:
        wait(lambda: _installed(m).serial_number != before, 30, "the daemon renewed")
    finally:
        set_settings(m, {"acme.renew_before_days": 30})
    assert "acme: renewing the certificate for mail.example.test (due" in m.log_text()
    with _imaps(m) as imap:
        assert _peer(imap.sock).serial_number == _installed(m).serial_number  # type: ignore[arg-type]

    renewed = _installed(m).serial_number
    out = m.cli("tls", "acme", "renew").stdout
    assert out.startswith("renewed:")
    assert _installed(m).serial_number != renewed


def _warnings(m: Mailroom) -> list[str]:
    client = ControlClient(Home(m.home))
    try:
        return list(client.call("status")["warnings"])
    finally:
        client.close()


def test_busy_challenge_port_is_explained_and_a_failed_renewal_warns(
        daemon: Mailroom, pebble: Pebble) -> None:
    m = daemon
    if "(http-01)" not in m.cli("tls", "show").stdout:
        m.cli("tls", "acme", "issue")
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", pebble.http_port))
        squatter.listen()
        result = m.cli("tls", "acme", "issue", check=False)
        assert result.returncode == 1
        assert f"cannot listen on port {pebble.http_port}" in result.stderr
        assert "DNS-01" in result.stderr
        # Due, but the renewal cannot prove the name: a warning on status and dashboard.
        set_settings(m, {"acme.renew_before_days": 100000})
        try:
            found = wait(lambda: [w for w in _warnings(m) if "renewing the TLS certificate "
                                                             "failed" in w], 20, "the warning")
            assert f"port {pebble.http_port}" in found[0]
        finally:
            set_settings(m, {"acme.renew_before_days": 30})
    wait(lambda: not any("renewing" in w for w in _warnings(m)), 20, "the warning to clear")


def test_dns01_manual_fallback(daemon: Mailroom, pebble: Pebble, dns: DnsServer) -> None:
    m = daemon
    before = _installed(m).serial_number
    out = m.cli("tls", "acme", "issue", "--dns").stdout
    lines = [line for line in out.splitlines() if " IN  TXT " in line]
    assert len(lines) == 1 and lines[0].startswith("_acme-challenge.mail.example.test.")
    value = lines[0].split('"')[1]
    assert "waits for its TXT records" in m.cli("tls", "acme", "status").stdout
    dns.set_zone({**ZONE, "_acme-challenge.mail.example.test": {"TXT": [value]}})
    try:
        out = m.cli("tls", "acme", "issue", "--dns", "--finish").stdout
    finally:
        dns.set_zone(ZONE)
    assert "(dns-01)" in out
    assert _installed(m).serial_number != before
    # Not renewable unattended: the renewal says so instead of failing every hour.
    refused = m.cli("tls", "acme", "renew", check=False)
    assert refused.returncode == 1 and "--dns" in refused.stderr


def test_import_with_chain_apart_ends_acme_renewal(daemon: Mailroom, pebble: Pebble,
                                                   tmp_path_factory: pytest.TempPathFactory
                                                   ) -> None:
    """An ACME chain imported by hand (leaf and chain in two files) is checked, taken at once,
    and renewed by hand from then on; a key of another certificate changes nothing."""
    m = daemon
    if "from ACME" not in m.cli("tls", "show").stdout:
        m.cli("tls", "acme", "issue")  # this worker ran no test before this one
    tmp = tmp_path_factory.mktemp("import")
    pems = (m.home / "tls" / "cert.pem").read_text().split("-----END CERTIFICATE-----")
    (tmp / "leaf.pem").write_text(pems[0] + "-----END CERTIFICATE-----\n")
    (tmp / "chain.pem").write_text("-----END CERTIFICATE-----".join(pems[1:]))
    (tmp / "key.pem").write_bytes((m.home / "tls" / "key.pem").read_bytes())
    (tmp / "other-key.pem").write_bytes((m.home / "tls" / "key.pem.previous").read_bytes())
    refused = m.cli("tls", "import", str(tmp / "leaf.pem"), str(tmp / "other-key.pem"),
                    check=False)
    assert refused.returncode == 1 and "key does not belong" in refused.stderr
    out = m.cli("tls", "import", str(tmp / "leaf.pem"), str(tmp / "key.pem"), "--chain",
                str(tmp / "chain.pem")).stdout
    assert "chain 2:     CN=Pebble Intermediate" in out and "renewal:     by hand" in out
    assert "did not come from ACME" in m.cli("tls", "acme", "status").stdout
