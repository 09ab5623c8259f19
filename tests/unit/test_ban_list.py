"""Auto-ban of password guessers: thresholds, window, /64 grouping, doubling, exemption, file."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from appliance.auth.bans import (
    BanList,
    BanPolicy,
    LoginGuard,
    address_key,
    parse_duration,
)


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def guard(clock: Clock, path: Path | None = None, exempt: tuple[str, ...] = (),
          **policy: float) -> LoginGuard:
    bans = BanList(path, BanPolicy(**policy), clock=clock)  # type: ignore[arg-type]
    return LoginGuard(bans, exempt=lambda ip: ip in exempt)


def test_address_keys_group_ipv6_per_64() -> None:
    assert address_key("192.0.2.1") == "192.0.2.1"
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert address_key("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert address_key("[2001:db8:1:2::9]") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:2::/64") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:2:3::/80") == "2001:db8:1:2::/64"
    assert address_key("fe80::1%eth0") == "fe80::/64"
    for bad in ("foo", "192.0.2.0/24", "2001:db8::/48", ""):
        with pytest.raises(ValueError):
            address_key(bad)


def test_durations() -> None:
    assert [parse_duration(t) for t in ("90", "90s", "15m", "2h", "1d", "1w", 30)] == \
        [90, 90, 900, 7200, 86400, 604800, 30]
    for bad in ("0", "-5", "1y", "soon", ""):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_threshold_within_the_window_bans() -> None:
    clock = Clock()
    g = guard(clock, max_failures=3, window=600)
    for _ in range(2):
        assert g.failed("192.0.2.1", "alice@example.test", "smtp") is None
        clock.now += 1
    assert not g.refused("192.0.2.1")
    ban = g.failed("192.0.2.1", "bob@example.test", "imap")
    assert ban is not None and ban.key == "192.0.2.1" and ban.count == 1
    assert ban.until - clock.now == 900
    assert "3 failed logins" in ban.reason and "imap as bob@example.test" in ban.reason
    assert g.refused("192.0.2.1")
    assert not g.refused("192.0.2.2")  # others are not punished
    clock.now += 899
    assert g.refused("192.0.2.1")
    clock.now += 1
    assert not g.refused("192.0.2.1")  # the ban ran out


def test_failures_outside_the_window_do_not_count() -> None:
    clock = Clock()
    g = guard(clock, max_failures=3, window=600)
    for _ in range(10):
        assert g.failed("192.0.2.1", "alice", "pop3") is None
        clock.now += 300  # two failures in any 600 s: under the threshold
    assert not g.refused("192.0.2.1")


def test_ipv6_addresses_of_one_64_count_together() -> None:
    clock = Clock()
    g = guard(clock, max_failures=3)
    g.failed("2001:db8:1:2::1", "alice", "smtp")
    g.failed("2001:db8:1:2::2", "alice", "smtp")
    g.failed("2001:db8:1:3::1", "alice", "smtp")  # another /64
    assert not g.refused("2001:db8:1:2::1")
    assert g.failed("2001:db8:1:2:ffff::3", "alice", "smtp") is not None
    assert g.refused("2001:db8:1:2::77")  # any address of that /64
    assert not g.refused("2001:db8:1:3::1")


def test_repeat_bans_double_up_to_the_cap() -> None:
    clock = Clock()
    g = guard(clock, max_failures=2, ban_seconds=900, max_ban_seconds=86400)
    lengths = []
    for _ in range(9):
        g.failed("192.0.2.1", "alice", "smtp")
        ban = g.failed("192.0.2.1", "alice", "smtp")
        assert ban is not None
        lengths.append(ban.until - ban.since)
        clock.now = ban.until + 60  # back a minute after the ban ends
    assert lengths == [900, 1800, 3600, 7200, 14400, 28800, 57600, 86400, 86400]
    # Quiet for longer than the longest ban after the last one: a first ban again.
    clock.now += 86400
    g.bans.sweep()
    g.failed("192.0.2.1", "alice", "smtp")
    ban = g.failed("192.0.2.1", "alice", "smtp")
    assert ban is not None and ban.count == 1 and ban.until - ban.since == 900


def test_relay_networks_are_never_banned() -> None:
    clock = Clock()
    g = guard(clock, exempt=("127.0.0.1",), max_failures=2)
    for _ in range(5):
        assert g.failed("127.0.0.1", "alice", "smtp") is None
    assert not g.refused("127.0.0.1")
    # Banned by hand and then added to the relay networks: served all the same.
    g.bans.ban("192.0.2.5", "by hand")
    assert g.refused("192.0.2.5")
    g.exempt = lambda ip: ip == "192.0.2.5"
    assert not g.refused("192.0.2.5")


def test_bans_survive_a_restart_and_unban_forgets(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "bans.json"
    bans = BanList(path, clock=clock)
    bans.ban("192.0.2.1", "guessing")
    bans.ban("2001:db8::1", "by hand", seconds=60)
    assert (path.stat().st_mode & 0o777) == 0o600
    again = BanList(path, clock=clock)
    assert [(b.key, b.reason, b.until - b.since) for b in again.active()] == [
        ("2001:db8::/64", "by hand", 60), ("192.0.2.1", "guessing", 900)]
    assert again.banned("192.0.2.1") and again.banned("2001:db8::abcd")
    assert again.banned("::ffff:192.0.2.1")  # as a dual-stack socket names it
    assert not again.banned("192.0.2.2") and not again.banned("not an address")
    assert again.unban("192.0.2.1")
    assert not again.unban("192.0.2.1")
    third = BanList(path, clock=clock)
    assert not third.banned("192.0.2.1")
    # Unbanned by hand: the history goes too, the next ban is a first one.
    assert third.ban("192.0.2.1", "again").count == 1
    assert json.loads(path.read_text())["version"] == 1


def test_an_expired_ban_still_doubles_after_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "bans.json"
    first = BanList(path, clock=clock).ban("192.0.2.1", "guessing")
    clock.now = first.until + 10
    assert BanList(path, clock=clock).ban("192.0.2.1", "guessing").count == 2


def test_a_damaged_file_is_set_aside(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "bans.json"
    path.write_text("{not json")
    with caplog.at_level(logging.WARNING, logger="mailroom.auth"):
        bans = BanList(path)
    assert not bans.active()
    assert (tmp_path / "bans.json.bad").read_text() == "{not json"
    assert "damaged" in caplog.text
    bans.ban("192.0.2.1", "x")
    assert BanList(path).banned("192.0.2.1")


def test_each_ban_and_unban_is_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    bans = BanList(None, clock=clock)
    with caplog.at_level(logging.INFO, logger="mailroom.auth"):
        bans.ban("192.0.2.1", "guessing")
        bans.ban("192.0.2.2", "by hand", seconds=60)
        bans.unban("192.0.2.1")
        clock.now += 61
        bans.sweep()
        bans.sweep()  # logged once
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("ban [192.0.2.1] for 900s until ")
    assert lines[0].endswith(": guessing (ban 1)")
    assert lines[1].startswith("ban [192.0.2.2] for 60s")
    assert lines[2:] == ["unban [192.0.2.1]: lifted by admin", "unban [192.0.2.2]: ban expired"]


def test_recent_failures_newest_first() -> None:
    clock = Clock()
    g = guard(clock)
    g.failed("192.0.2.1", "Alice@Example.test", "smtp")
    clock.now += 1
    g.failed("2001:db8::1", "bob", "imap")
    assert g.recent_failures() == [
        {"time": clock.now, "address": "2001:db8::1", "account": "bob", "service": "imap"},
        {"time": clock.now - 1, "address": "192.0.2.1", "account": "alice@example.test",
         "service": "smtp"},
    ]


def test_ban_operations_without_a_daemon(tmp_path: Path) -> None:
    from appliance.control.client import ControlClient
    from appliance.control.setup import initialize
    from appliance.home import Home
    from appliance.state import StateError

    home = Home(tmp_path / "home")
    initialize(home, "mail.example.test", "example.test")
    c = ControlClient(home)
    try:
        ban = c.call("ban.add", address="2001:db8:1:2::9", duration="2h", reason="x\ny")
        assert (ban["key"], ban["until"] - ban["since"], ban["reason"]) == \
            ("2001:db8:1:2::/64", 7200, "x y")  # no line breaks into the log
        assert [b["key"] for b in c.call("ban.list")] == ["2001:db8:1:2::/64"]
        for address, duration in (("::1", None), ("192.0.2.1", "soon"), ("nowhere", None)):
            with pytest.raises(StateError) as refused:
                c.call("ban.add", address=address, duration=duration)
            assert refused.value.field == "address"
        c.call("ban.del", address="2001:db8:1:2::1")  # any address of the /64
        assert c.call("ban.list") == []
        with pytest.raises(StateError, match="not banned"):
            c.call("ban.del", address="2001:db8:1:2::1")
        assert c.call("ban.failures") == []  # only a running daemon keeps them
    finally:
        c.close()
