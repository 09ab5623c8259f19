"""Firewall logic as data: detection, command lines per firewall, reading rulesets and status."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from appliance.firewall import Firewall, Probe, ServicePort, choose, select, service_ports
from appliance.firewall.commands import firewalld_verdict, plan, ufw_verdict
from appliance.firewall.nft import ban, close_ports, document, open_ports, port_verdict
from appliance.state.settings import SETTINGS

SMTP, SUB = ServicePort("smtp", 25), ServicePort("submission", 587)
IMAPS = ServicePort("imaps", 993)


@pytest.mark.parametrize(("probe", "name", "active"), [
    (Probe(), "none", False),
    (Probe(nft=True), "nftables", True),
    (Probe(nft=True, ufw=True), "nftables", True),  # ufw installed but off: nft decides
    (Probe(nft=True, ufw=True, ufw_active=True), "ufw", True),
    (Probe(nft=True, firewalld=True, firewalld_running=True, ufw=True, ufw_active=True),
     "firewalld", True),
    (Probe(ufw=True), "ufw", False),
    (Probe(firewalld=True), "firewalld", False),
])
def test_choose(probe: Probe, name: str, active: bool) -> None:
    backend = choose(probe)
    assert (backend.name, backend.active) == (name, active)
    assert backend.describe()


def test_no_firewall_is_said_plainly() -> None:
    text = choose(Probe()).describe()
    assert text.startswith("no firewall found")
    with pytest.raises(ValueError, match="no firewall found"):
        plan("none", "open", [SMTP])


def test_service_ports_from_settings_offset_and_the_running_daemon() -> None:
    settings = {k: s.default for k, s in SETTINGS.items()}
    settings["pop3.enabled"] = False
    ports = service_ports(settings, offset=20000)
    by_name = {p.name: p.port for p in ports}
    assert by_name["smtp"] == 20025 and by_name["imaps"] == 20993
    assert "pop3" not in by_name and "smarthost" not in by_name
    running = [{"name": "smtp", "port": 2525}]
    assert {p.name: p.port for p in service_ports(settings, running=running)}["smtp"] == 2525
    assert select(ports, "all") == ports
    assert select(ports, "SMTP") == [ServicePort("smtp", 20025)]
    assert select(ports, "20993") == [ServicePort("imaps", 20993)]
    with pytest.raises(ValueError, match="no enabled service 'pop3'"):
        select(ports, "pop3")


def test_ufw_command_lines() -> None:
    assert [s.argv for s in plan("ufw", "open", [SMTP, SUB])] == [
        ("ufw", "allow", "25/tcp"), ("ufw", "allow", "587/tcp")]
    assert [s.shell() for s in plan("ufw", "close", [SMTP])] == ["ufw delete allow 25/tcp"]


def test_firewalld_command_lines() -> None:
    assert [s.shell() for s in plan("firewalld", "open", [SMTP, ServicePort("smtp", 2525)])] == [
        "firewall-cmd --add-service=smtp", "firewall-cmd --permanent --add-service=smtp",
        "firewall-cmd --add-port=2525/tcp", "firewall-cmd --permanent --add-port=2525/tcp"]
    assert [s.shell() for s in plan("firewalld", "close", [SUB])] == [
        "firewall-cmd --remove-service=smtp-submission",
        "firewall-cmd --permanent --remove-service=smtp-submission"]


def test_nft_plan_is_one_json_batch_on_stdin() -> None:
    (step,) = plan("nftables", "open", [SMTP])
    assert step.argv == ("nft", "-j", "-f", "-")
    assert step.shell().startswith("nft -j -f - <<'EOF'\n{\"nftables\": [")
    assert step.stdin == document(open_ports([25]))
    closing = close_ports([25])[-3:]
    assert [next(iter(c)) for c in closing] == ["add", "delete", "add"]
    assert closing[-1]["add"]["element"]["name"] == "closed_tcp"


def test_ban_elements() -> None:
    v4 = ban("192.0.2.7", 899.6)[-1]["add"]["element"]
    assert v4["name"] == "banned4"
    assert v4["elem"] == [{"elem": {"val": "192.0.2.7", "timeout": 900}}]
    v6 = ban("2001:db8:1:2::/64", 0.2)[-1]["add"]["element"]
    assert v6["name"] == "banned6"
    assert v6["elem"][0]["elem"] == {"val": {"prefix": {"addr": "2001:db8:1:2::", "len": 64}},
                                     "timeout": 1}


def _chain(table: str, policy: str, prio: int = 0) -> dict[str, object]:
    return {"chain": {"family": "inet", "table": table, "name": "input", "type": "filter",
                      "hook": "input", "prio": prio, "policy": policy}}


def _rule(table: str, *expr: dict[str, object]) -> dict[str, object]:
    return {"rule": {"family": "inet", "table": table, "chain": "input", "expr": list(expr)}}


def _dport(right: object) -> dict[str, object]:
    return {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}},
                      "right": right}}


ACCEPT, DROP = {"accept": None}, {"drop": None}


def test_port_verdict_reads_a_typical_ruleset() -> None:
    rules = {"nftables": [
        _chain("filter", "drop"),
        _rule("filter", {"match": {"op": "in", "left": {"ct": {"key": "state"}},
                                   "right": ["established", "related"]}}, ACCEPT),
        _rule("filter", {"match": {"op": "==", "left": {"meta": {"key": "iifname"}},
                                   "right": "lo"}}, ACCEPT),
        _rule("filter", _dport({"set": [22, 25, {"range": [990, 995]}]}), ACCEPT),
        _rule("filter", {"match": {"op": "==", "left": {"payload": {"protocol": "ip",
                                                                    "field": "saddr"}},
                                   "right": {"prefix": {"addr": "192.168.1.0", "len": 24}}}},
              _dport(143), ACCEPT),
    ]}
    assert port_verdict(rules, 25).state == "open"
    assert port_verdict(rules, 993).state == "open"
    closed = port_verdict(rules, 587)
    assert closed.state == "closed" and "policy of table inet filter" in closed.why
    assert port_verdict(rules, 143).state == "limited"
    assert port_verdict({"nftables": []}, 25).state == "open"


def test_a_drop_in_any_table_wins() -> None:
    rules = {"nftables": [
        _chain("mailroom", "accept", -10), _rule("mailroom", _dport(25), ACCEPT),
        _chain("other", "accept"), _rule("other", _dport(25), DROP),
    ]}
    got = port_verdict(rules, 25)
    assert got.state == "closed" and "table inet other" in got.why


def test_jump_and_named_sets() -> None:
    rules = {"nftables": [
        {"set": {"family": "inet", "table": "f", "name": "mail", "type": "inet_service",
                 "elem": [25, 465]}},
        _chain("f", "drop"),
        _rule("f", {"jump": {"target": "services"}}),
        {"rule": {"family": "inet", "table": "f", "chain": "services",
                  "expr": [_dport("@mail"), ACCEPT]}},
    ]}
    assert port_verdict(rules, 465).state == "open"
    assert port_verdict(rules, 110).state == "closed"


UFW_ACTIVE = """Status: active
Logging: on (low)
Default: deny (incoming), allow (outgoing), disabled (routed)
New profiles: skip

To                         Action      From
--                         ------      ----
22/tcp                     ALLOW IN    Anywhere
25,465,587/tcp             ALLOW IN    Anywhere
143/tcp                    ALLOW IN    192.168.1.0/24
993/tcp                    DENY IN     Anywhere
22/tcp (v6)                ALLOW IN    Anywhere (v6)
"""


def test_ufw_status() -> None:
    assert ufw_verdict(UFW_ACTIVE, 465)[0] == "open"
    assert ufw_verdict(UFW_ACTIVE, 143)[0] == "limited"
    assert ufw_verdict(UFW_ACTIVE, 993)[0] == "closed"
    state, why = ufw_verdict(UFW_ACTIVE, 110)
    assert state == "closed" and "default incoming: deny" in why
    assert ufw_verdict("Status: inactive\n", 25)[0] == "open"


def test_firewalld_status() -> None:
    assert firewalld_verdict("ssh smtp dhcpv6-client", "", SMTP)[0] == "open"
    assert firewalld_verdict("ssh", "20000-20999/tcp", ServicePort("smtp", 20025))[0] == "open"
    assert firewalld_verdict("ssh", "993/udp", IMAPS)[0] == "closed"


def _fake(bin_dir: Path, name: str, script: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_detection_and_status_with_fake_tools_on_the_path(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """ufw is not installed here: a stand-in on a PATH of its own answers as ufw does."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "ufw.out").write_text(UFW_ACTIVE)
    _fake(bin_dir, "ufw", f'cat "{tmp_path}/ufw.out"')
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")

    def which(name: str) -> str | None:
        return shutil.which(name, path=str(bin_dir))

    fw = Firewall(which=which)
    assert fw.backend().name == "ufw"
    rows = {r["service"]: r["state"] for r in fw.status([SMTP, IMAPS])["ports"]}
    assert rows == {"smtp": "open", "imaps": "closed"}
    (tmp_path / "ufw.out").write_text("Status: inactive\n")
    assert fw.backend().name == "ufw" and not fw.backend().active
    with pytest.raises(ValueError, match="not active"):
        fw.plan("open", [SMTP])
    _fake(bin_dir, "firewall-cmd", 'case "$1" in --state) echo running;; '
          '--list-services) echo "ssh imaps";; *) echo;; esac')
    status = fw.status([SMTP, IMAPS])
    assert status["backend"] == "firewalld"
    assert {r["service"]: r["state"] for r in status["ports"]} == {"smtp": "closed",
                                                                    "imaps": "open"}
    empty = Firewall(which=lambda name: None).status([SMTP])
    assert empty["backend"] == "none" and empty["ports"][0]["state"] == "open"


def test_status_without_the_right_to_read_the_rules_says_so() -> None:
    def run(argv: object, stdin: object) -> tuple[int, str, str]:
        return 1, "", "Error: Could not process rule: Operation not permitted"

    fw = Firewall(run=run, which=lambda name: "/usr/sbin/nft" if name == "nft" else None)
    status = fw.status([SMTP])
    assert status["backend"] == "nftables"
    assert status["ports"][0]["state"] == "unknown"
    assert "sudo mailroom firewall status" in status["note"]
