"""``mailroom doctor`` against real parts on loopback: a DNS server, an SMTP sink, a closed port."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.control.client import ControlClient
from appliance.control.setup import initialize
from appliance.home import Home
from tests.support.daemon import Mailroom
from tests.support.dnsserver import DnsServer, serving
from tests.support.sink import SinkHandler, closed_port, port_free_on, sink

PUBLIC = "203.0.113.10"
ZONE = {
    "probe.test": {"MX": [(10, "mx.probe.test")]},
    "mx.probe.test": {"A": ["127.0.0.1"]},
    "mail.example.test": {"A": [PUBLIC]},
    "10.113.0.203.in-addr.arpa": {"PTR": "mail.example.test"},
}


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsServer]:
    with serving(ZONE) as server:
        yield server


@pytest.fixture
def home(tmp_path: Path, dns: DnsServer) -> Mailroom:
    m = Mailroom(tmp_path / "home")
    initialize(Home(m.home), "mail.example.test", "example.test")
    configure(m, {"dns.nameservers": f"127.0.0.1:{dns.port}", "doctor.probe_domain":
                  "probe.test", "dns.public_ipv4": PUBLIC})
    return m


def configure(m: Mailroom, values: dict[str, object]) -> None:
    client = ControlClient(Home(m.home))
    try:
        client.call("settings.set_many", values=values)
    finally:
        client.close()


def findings(m: Mailroom) -> tuple[int, dict[str, dict[str, str]]]:
    result = m.cli("doctor", "--json", check=False)
    assert result.returncode in (0, 1), result.stderr
    data = json.loads(result.stdout)
    return result.returncode, {f["check"]: f for f in data["findings"]}


def test_doctor_open_port_25_and_matching_reverse_dns(home: Mailroom, dns: DnsServer,
                                                      tmp_path: Path) -> None:
    port = port_free_on(["127.0.0.1"])
    backups = tmp_path / "backups"
    backups.mkdir()
    configure(home, {"delivery.remote_port": port, "backup.destination": str(backups)})
    with sink("127.0.0.1", port, SinkHandler()):
        _, found = findings(home)
    out = found["outbound mail"]
    assert out["status"] == "ok" and f"mx.probe.test (127.0.0.1) port {port}" in out["summary"]
    assert found["reverse DNS"]["status"] == "ok"
    assert found["TLS certificate"]["status"] == "warn"  # self-signed from init
    assert "tls acme issue" in found["TLS certificate"]["fix"]
    assert found["disk space"]["status"] in ("ok", "warn")
    assert found["mail queue"]["status"] == "ok"
    assert found["backups"]["status"] == "warn" and "no backup in" in found["backups"]["summary"]
    assert found["clock"]["status"] in ("ok", "fail", "skip", "warn")
    if found["clock"]["status"] == "skip":
        assert "cannot check" in found["clock"]["summary"]


def test_doctor_blocked_port_25_suggests_the_isp_relay_and_fails(home: Mailroom,
                                                                 dns: DnsServer) -> None:
    configure(home, {"delivery.remote_port": closed_port()})
    dns.set_zone({**ZONE, "10.113.0.203.in-addr.arpa": {"PTR": "dsl-10.isp.test"}})
    try:
        code, found = findings(home)
        text = home.cli("doctor", check=False).stdout
    finally:
        dns.set_zone(ZONE)
    assert code == 1
    out = found["outbound mail"]
    assert out["status"] == "fail" and "refused" in out["summary"]
    assert "smarthost.host" in out["fix"]
    rdns = found["reverse DNS"]
    assert rdns["status"] == "fail" and "dsl-10.isp.test" in rdns["summary"]
    assert f"set the PTR of {PUBLIC} to mail.example.test" in rdns["fix"]
    assert "FAIL  outbound mail:" in text and "fix: send outside mail through your ISP" in text
    assert "failing" in text.splitlines()[-1]


def test_doctor_through_the_running_daemon(home: Mailroom, dns: DnsServer) -> None:
    port = port_free_on(["127.0.0.1"])
    # With an ISP relay set, the relay is what is tried, not port 25.
    configure(home, {"smarthost.host": "relay.isp.test", "smarthost.port": port})
    dns.set_zone({**ZONE, "relay.isp.test": {"A": ["127.0.0.1"]}})
    home.start()
    try:
        client = ControlClient(Home(home.home))
        with sink("127.0.0.1", port, SinkHandler()):
            result = client.call("doctor.run")
        client.close()
    finally:
        home.stop()
        dns.set_zone(ZONE)
    out = next(f for f in result["findings"] if f["check"] == "outbound mail")
    assert out["status"] == "ok" and "ISP relay relay.isp.test" in out["summary"], out
