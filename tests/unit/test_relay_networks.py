"""Relay networks: the open-relay refusal, exclusions, warnings (appliance.state.relay),
the policy's use of exclusions (in_networks) and the state store's all-or-nothing writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.smtp.policy import in_networks
from appliance.state import State, StateError
from appliance.state.relay import RelayNetworkError, normalize_relay, parse_relay, relay_warnings


@pytest.fixture
def state(tmp_path: Path) -> Iterator[State]:
    s = State(tmp_path / "db")
    try:
        yield s
    finally:
        s.close()


@pytest.mark.parametrize("text", [
    "0.0.0.0/0", "::/0", "::ffff:0:0/96", "::ffff:0.0.0.0/95", "::/64", "::/80",
    "0.0.0.0/1", "128.0.0.0/1", "10.0.0.0/7", "1.2.3.4/4", "2000::/3", "2001:db8::/31",
    "::ffff:0:0/100", "::ffff:10.0.0.0/103", " 0.0.0.0/0 ",
])
def test_networks_covering_much_of_the_internet_are_refused(text: str) -> None:
    """The whole Internet, all of IPv4 as IPv6, IPv4 wider than /8, IPv6 wider than /32."""
    with pytest.raises(RelayNetworkError) as info:
        parse_relay(text)
    assert "refused" in str(info.value) and "open relay" in str(info.value)


@pytest.mark.parametrize(("text", "stored"), [
    ("10.0.0.0/8", "10.0.0.0/8"),
    ("192.168.1.7/24", "192.168.1.0/24"),
    ("2001:db8::/32", "2001:db8::/32"),
    ("::1", "::1/128"),
    ("::ffff:10.0.0.0/104", "10.0.0.0/8"),  # IPv4-mapped is stored as the IPv4 it means
    ("::ffff:192.168.1.9/120", "192.168.1.0/24"),
    ("!192.168.1.1", "!192.168.1.1/32"),
    ("! 10.0.0.0/24", "!10.0.0.0/24"),
    ("!0.0.0.0/0", "!0.0.0.0/0"),  # an exclusion only takes rights away: never too broad
    ("!::/0", "!::/0"),
])
def test_accepted_entries_are_normalised(text: str, stored: str) -> None:
    assert str(parse_relay(text)) == stored


@pytest.mark.parametrize("text", ["banana", "", "!", "!banana", "10.0.0.0/33", "!!10.0.0.1"])
def test_malformed_entries(text: str) -> None:
    with pytest.raises(RelayNetworkError, match="not a network"):
        parse_relay(text)


def test_normalize_does_not_judge() -> None:
    """A legacy open-relay entry can still be named (to delete it)."""
    assert str(normalize_relay("0.0.0.0/0")) == "0.0.0.0/0"


def test_warnings_public_gateway_and_pointless_exclusion() -> None:
    nets = ["127.0.0.1/32", "192.168.1.0/24", "203.0.113.0/24", "100.64.0.0/10",
            "198.51.100.0/24", "!10.0.0.1/32"]
    got = relay_warnings(nets, gateways=["192.168.1.1", "8.8.8.8"])
    text = "\n".join(got)
    assert "relay network 100.64.0.0/10 is a public network" in text
    assert "192.168.1.0/24 contains the gateway 192.168.1.1" in text
    assert "!192.168.1.1" in text  # the warning names the fix
    assert "exclusion !10.0.0.1/32 is not inside any relay network" in text
    assert "127.0.0.1" not in text
    # Documentation ranges count as private; only the CGNAT range is public here.
    assert sum("public network" in w for w in got) == 1


def test_an_exclusion_of_the_gateway_silences_its_warning() -> None:
    nets = ["192.168.1.0/24", "!192.168.1.1"]
    assert relay_warnings(nets, gateways=["192.168.1.1"]) == []


def test_warnings_for_one_entry_only() -> None:
    nets = ["100.64.0.0/10", "192.168.1.0/24"]
    assert relay_warnings(nets, gateways=["192.168.1.1"], only=["100.64.0.0/10"]) == [
        w for w in relay_warnings(nets, gateways=["192.168.1.1"]) if "100.64" in w]


# -- the policy's decision ------------------------------------------------------------


@pytest.mark.parametrize(("ip", "inside"), [
    ("192.168.1.20", True),
    ("192.168.1.1", False),         # excluded although 192.168.1.0/24 lists it
    ("::ffff:192.168.1.1", False),  # the same, seen on an IPv6 socket
    ("10.0.0.5", True),
    ("10.0.0.130", False),          # inside the excluded /25
    ("10.0.1.1", False),            # in no network
    ("2001:db8::1", True),
    ("2001:db8::bad", False),
])
def test_in_networks_checks_exclusions_first(ip: str, inside: bool) -> None:
    # The order of the list does not matter: exclusions win wherever they stand.
    nets = ["!192.168.1.1/32", "192.168.1.0/24", "10.0.0.0/24", "!10.0.0.128/25",
            "2001:db8::/32", "!2001:db8::bad"]
    assert in_networks(ip, nets) is inside
    assert in_networks(ip, list(reversed(nets))) is inside


def test_in_networks_exclusion_alone_grants_nothing() -> None:
    assert not in_networks("10.0.0.1", ["!10.0.0.2"])
    assert not in_networks("10.0.0.1", ["!banana", "!10.0.0.0/33"])
    assert in_networks("10.0.0.1", ["!banana", "10.0.0.0/8"])


# -- the state store ------------------------------------------------------------------


def test_state_refuses_an_open_relay_and_changes_nothing(state: State) -> None:
    before = state.relay_networks()
    for bad in ("0.0.0.0/0", "::/0", "::ffff:0:0/96", "1.0.0.0/7"):
        with pytest.raises(StateError) as info:
            state.add_relay(bad)
        assert info.value.field == "network"
        assert "open relay" in info.value.message
        assert state.relay_networks() == before


def test_state_set_is_all_or_nothing(state: State) -> None:
    before = state.relay_networks()
    with pytest.raises(StateError, match="whole Internet"):
        state.set_relay_networks(["192.168.7.0/24", "0.0.0.0/0"])
    assert state.relay_networks() == before
    assert state.set_relay_networks(["192.168.1.0/24", "!192.168.1.1", "::1"]) == [
        "192.168.1.0/24", "!192.168.1.1/32", "::1/128"]
    assert state.set_relay_networks([]) == []


def test_state_exclusions_add_list_delete(state: State) -> None:
    assert state.add_relay("!127.0.0.1") == "!127.0.0.1/32"
    assert state.relay_networks() == ["127.0.0.1/32", "!127.0.0.1/32", "::1/128"]
    with pytest.raises(StateError, match="already an exclusion"):
        state.add_relay("!127.0.0.1/32")
    state.delete_relay("!127.0.0.1")
    assert state.relay_networks() == ["127.0.0.1/32", "::1/128"]
    with pytest.raises(StateError, match="not an exclusion"):
        state.delete_relay("!127.0.0.1")


def test_a_legacy_open_relay_entry_can_be_deleted(state: State) -> None:
    """Stored before the check existed: it is warned about and removable."""
    state.add_relay("10.0.0.0/8")
    with state._write() as db:  # what an older version could write
        db.execute("INSERT INTO relay_networks(cidr) VALUES('0.0.0.0/0')")
    assert "0.0.0.0/0 makes this server an open relay" in "\n".join(
        relay_warnings(state.relay_networks()))
    state.delete_relay("0.0.0.0/0")
    assert "0.0.0.0/0" not in state.relay_networks()
