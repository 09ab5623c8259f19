"""The verdicts of doctor, each from facts given directly."""

from __future__ import annotations

import subprocess
from typing import Any

from appliance.doctor import checks, probes

DAY = 86400.0


def test_outbound_blocked_suggests_the_isp_relay() -> None:
    f = checks.outbound("mx.example (1.2.3.4) port 25", "no answer on port 25 within 5 s")
    assert f.status == "fail" and "smarthost.host" in f.fix
    assert checks.outbound("mx", None).status == "ok"
    relay = checks.outbound("smtp.isp:587", "connection to port 587 refused", smarthost="smtp.isp")
    assert relay.status == "fail" and "ISP relay" in relay.summary
    assert checks.outbound("", None, lookup_error="no MX").status == "warn"


def test_reverse_dns_verdicts() -> None:
    host = "mail.example.test"
    assert checks.reverse_dns("203.0.113.1", host, [host + "."], ["203.0.113.1"]).status == "ok"
    missing = checks.reverse_dns("203.0.113.1", host, [], [])
    assert missing.status == "fail" and "no PTR" in missing.summary
    other = checks.reverse_dns("203.0.113.1", host, ["dsl.isp.test"], [])
    assert other.status == "fail" and "dsl.isp.test" in other.summary
    one_way = checks.reverse_dns("203.0.113.1", host, [host], ["198.51.100.2"])
    assert one_way.status == "warn" and "point back" in one_way.summary
    nat = checks.reverse_dns(None, host, None, None, private="192.168.1.5")
    assert nat.status == "warn" and "behind NAT" in nat.summary and "dns.public_ipv4" in nat.fix


def _info(days: int, self_signed: bool = False, names: list[str] | None = None) -> dict[str, Any]:
    return {"days_left": days, "expired": days < 0, "not_after": "2027-01-01T00:00:00",
            "self_signed": self_signed, "names": names or ["mail.example.test"]}


def test_certificate_verdicts() -> None:
    host = "mail.example.test"
    assert checks.certificate(_info(80), host).status == "ok"
    assert checks.certificate(_info(20), host).status == "warn"
    assert checks.certificate(_info(20), host, managed=True).status == "ok"  # renewed at 30
    assert checks.certificate(_info(3), host).status == "fail"
    assert checks.certificate(_info(-1), host).status == "fail"
    assert checks.certificate(_info(300, self_signed=True), host).status == "warn"
    assert checks.certificate(_info(300, names=["other.test"]), host).status == "fail"
    assert checks.certificate(None, host, error="no file").status == "fail"


def test_disk_queue_backup_clock_verdicts() -> None:
    gb = 1024**3
    assert checks.disk_space(50 * gb, 100 * gb, gb).status == "ok"
    assert checks.disk_space(2 * gb, 100 * gb, gb).status == "warn"
    assert checks.disk_space(gb // 2, 100 * gb, gb).status == "fail"
    now = 1_000_000.0
    assert checks.queue_age(None, now, 0, 14400).status == "ok"
    assert checks.queue_age(now - 600, now, 1, 14400).status == "ok"
    assert checks.queue_age(now - 5 * 3600, now, 2, 14400).status == "warn"
    old = checks.queue_age(now - 2 * DAY, now, 3, 14400)
    assert old.status == "fail" and "3 deferred messages" in old.summary
    assert checks.backup_age(None, None, now).status == "skip"
    assert checks.backup_age(False, None, now).status == "warn"
    assert checks.backup_age(True, None, now, "/b").status == "warn"
    assert checks.backup_age(True, now - DAY, now).status == "ok"
    assert checks.backup_age(True, now - 3 * DAY, now).status == "warn"
    assert checks.backup_age(True, now - 8 * DAY, now).status == "fail"
    assert checks.clock(None, None).status == "skip"
    assert checks.clock("chrony", False).status == "fail"
    assert checks.clock("chrony", True, 2.5).status == "warn"
    assert checks.clock("timedatectl", True).status == "ok"


def test_chrony_and_timedatectl_are_read() -> None:
    tracking = ("Reference ID    : C0A80001 (gw)\nSystem time     : 0.000120 seconds slow of "
                "NTP time\nLeap status     : Normal\n")
    assert probes.parse_chrony(tracking) == (True, -0.00012)
    assert probes.parse_chrony("Leap status     : Not synchronised\n")[0] is False

    def run(args: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        if args[0] == "timedatectl":
            return subprocess.CompletedProcess(args, 1, "", "Failed to connect to bus")
        return subprocess.CompletedProcess(args, 0, tracking, "")

    assert probes.clock_status(run, lambda name: f"/usr/bin/{name}") == (
        "chrony", True, -0.00012)
    assert probes.clock_status(run, lambda name: None) == (None, None, None)
