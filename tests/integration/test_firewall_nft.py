"""Firewall ports and the ban sets against the real nft, in a network namespace of the test's own.

The machine's own rules are never touched: every nft runs inside the
namespace (``nsenter --net``), the daemon too, and its clients with it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from appliance.auth.bans import BanList
from appliance.control.setup import initialize
from appliance.firewall import Firewall, ServicePort
from appliance.firewall.feed import BanFeed
from appliance.home import Home
from tests.support.daemon import MAIN, ROOT, Mailroom
from tests.support.netns import NetNamespace, netns
from tests.support.waiting import wait


@pytest.fixture(scope="module")
def ns() -> Iterator[NetNamespace]:
    with netns("fw") as space:
        yield space


def table(ns: NetNamespace) -> dict[str, object]:
    return json.loads(ns.nft("-j", "list", "table", "inet", "mailroom"))


def elements(ns: NetNamespace, name: str) -> list[object]:
    for item in table(ns)["nftables"]:  # type: ignore[union-attr]
        if "set" in item and item["set"]["name"] == name:
            return list(item["set"].get("elem", []))
    raise AssertionError(f"no set {name} in table inet mailroom")


def test_open_close_and_status_in_the_namespace(ns: NetNamespace) -> None:
    fw = Firewall(run=ns.run)
    ports = [ServicePort("smtp", 25), ServicePort("imaps", 993)]
    assert fw.backend().name == "nftables"
    before = fw.status(ports)
    assert [r["state"] for r in before["ports"]] == ["open", "open"]  # nothing filters yet
    _, steps = fw.plan("open", ports)
    fw.apply(steps)
    fw.apply(fw.plan("open", ports)[1])  # twice: the same table, no second set of rules
    assert sorted(elements(ns, "open_tcp")) == [25, 993]  # type: ignore[type-var]
    rules = [i for i in table(ns)["nftables"] if "rule" in i]  # type: ignore[union-attr]
    assert len(rules) == 4
    fw.apply(fw.plan("close", [ports[0]])[1])
    assert elements(ns, "open_tcp") == [993]
    assert elements(ns, "closed_tcp") == [25]
    after = {r["service"]: r for r in fw.status(ports)["ports"]}
    assert after["smtp"]["state"] == "closed"
    assert after["imaps"]["state"] == "open"
    # The machine's own filter (here: the namespace's) with a drop policy wins over our accept.
    ns.nft("add table inet office; add chain inet office input { type filter hook input "
           "priority 0; policy drop; }; add rule inet office input ip saddr 192.168.1.0/24 "
           "tcp dport 993 accept")
    try:
        row = fw.status(ports)["ports"][1]
        assert row["state"] == "limited"
        assert "table inet office" in row["why"]
    finally:
        ns.nft("delete table inet office")


def test_bans_follow_into_the_sets_with_their_timeouts(ns: NetNamespace, tmp_path: Path) -> None:
    fw = Firewall(run=ns.run)
    fw.apply(fw.plan("open", [ServicePort("smtp", 25)])[1])  # the table exists: bans follow
    bans = BanList(tmp_path / "bans.json")
    with ThreadPoolExecutor(1) as pool:
        BanFeed(bans, pool, fw)
        bans.ban("192.0.2.7", "test", 300)
        bans.ban("2001:db8:1:2::99", "test", 7200)
        v4 = wait(lambda: elements(ns, "banned4"), what="the IPv4 ban in banned4")
        v6 = wait(lambda: elements(ns, "banned6"), what="the IPv6 ban in banned6")
        assert v4[0]["elem"]["val"] == "192.0.2.7"  # type: ignore[index]
        assert 0 < v4[0]["elem"]["timeout"] <= 300  # type: ignore[index]
        assert v6[0]["elem"]["val"] == {"prefix": {"addr": "2001:db8:1:2::", "len": 64}}  # type: ignore[index]
        assert 300 < v6[0]["elem"]["timeout"] <= 7200  # type: ignore[index]  # its own
        bans.unban("192.0.2.7")
        wait(lambda: not elements(ns, "banned4"), what="the lifted ban gone from banned4")
    # The kernel drops an element when its time-out runs out.
    fw.sync_bans([("198.51.100.5", time.time() + 4)])
    assert elements(ns, "banned4")
    wait(lambda: not elements(ns, "banned4"), timeout=20, what="the ban to run out")


def test_cli_through_the_daemon_in_the_namespace(ns: NetNamespace, tmp_path: Path) -> None:
    """The real daemon and CLI inside the namespace: status, open with --dry-run, open, ban."""
    ns.run(["nft", "delete", "table", "inet", "mailroom"])
    m = Mailroom(tmp_path / "home")
    initialize(Home(m.home), "mail.example.test", "example.test")  # in-process: quicker
    m.program = [*ns.prefix, sys.executable, str(MAIN)]
    m.offset = 20000
    log = open(m.home / "serve.out", "ab")  # noqa: SIM115
    proc = subprocess.Popen([*m.program, "serve", "--listen", "127.0.0.1", "--port-offset",
                             str(m.offset)], env=m.env, stdout=log, stderr=subprocess.STDOUT,
                            cwd=ROOT)
    log.close()
    try:
        wait(lambda: proc.poll() is not None or m.cli("status", check=False).returncode == 0,
             timeout=30, what="the daemon in the namespace")
        assert proc.poll() is None, (m.home / "serve.out").read_text()
        status = m.cli("firewall", "status").stdout
        assert "nftables" in status
        assert "smtp" in status and "20025/tcp" in status  # the port as bound, offset applied
        dry = m.cli("firewall", "open", "smtp", "--dry-run").stdout
        assert "nft -j -f - <<'EOF'" in dry and '"elem": [20025]' in dry
        assert ns.run(["nft", "list", "table", "inet", "mailroom"])[0] != 0  # nothing changed
        out = m.cli("firewall", "open", "smtp").stdout
        assert "smtp" in out and "open" in out
        assert elements(ns, "open_tcp") == [20025]
        m.cli("ban", "add", "203.0.113.9", "15m")
        got = wait(lambda: elements(ns, "banned4"), what="the daemon's ban in banned4")
        assert got[0]["elem"]["val"] == "203.0.113.9"  # type: ignore[index]
        m.cli("ban", "del", "203.0.113.9")
        wait(lambda: not elements(ns, "banned4"), what="the lifted ban gone")
        bad = m.cli("firewall", "close", "gopher", check=False)
        assert bad.returncode == 1 and "no enabled service 'gopher'" in bad.stderr
    finally:
        proc.terminate()
        proc.wait(15)
