"""Tests for the state store (appliance.state): every write is validated or refused whole."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.aliases import expand
from appliance.auth import verify_password
from appliance.state import DEFAULT_RELAY, State, StateError
from appliance.state.settings import SETTINGS, SettingError, parse_setting

PW = "longenough-1"


@pytest.fixture
def state(tmp_path: Path) -> Iterator[State]:
    """A state store with example.test, alice, bob and staff → alice, bob."""
    s = State(tmp_path / "db")
    s.add_domain("example.test")
    s.add_account("alice@example.test", PW)
    s.add_account("bob@example.test", PW)
    s.add_alias("staff@example.test", ["alice@example.test", "bob@example.test"])
    try:
        yield s
    finally:
        s.close()


def snapshot(s: State) -> dict[str, Any]:
    """Everything a refused write must leave alone."""
    return {
        "settings": s.settings(),
        "domains": s.domains(),
        "accounts": s.accounts(),
        "aliases": s.aliases(),
        "relay": s.relay_networks(),
    }


def refused(s: State, fn: Callable[[], object], field: str | None) -> StateError:
    """Call ``fn``; it must raise StateError for ``field`` and change nothing."""
    before = snapshot(s)
    with pytest.raises(StateError) as info:
        fn()
    assert info.value.field == field, (info.value.message, info.value.field)
    assert info.value.message
    assert info.value.to_dict() == {"message": info.value.message, "field": field}
    assert snapshot(s) == before
    return info.value


# -- settings -----------------------------------------------------------------


def test_settings_defaults_and_typed_set(state: State) -> None:
    """Unset keys read as their defaults; set stores the typed value."""
    assert state.get_setting("smtp.port") == 25
    assert state.settings()["smtp.enabled"] is True
    assert state.set_setting("smtp.port", "2525") == 2525
    assert state.get_setting("smtp.port") == 2525
    assert state.set_setting("smtp.enabled", "no") is False
    assert state.get_setting("smtp.enabled") is False
    assert state.set_setting("hostname", "Mail.Example.TEST.") == "mail.example.test"
    assert state.set_setting("listen", "127.0.0.1, ::1") == ["127.0.0.1", "::1"]
    assert set(state.settings()) == set(SETTINGS)


def test_settings_refused(state: State) -> None:
    """Bad keys and values raise StateError naming the key; nothing changes."""
    state.set_setting("smtp.port", 2525)
    for key, raw in [
        ("smtp.port", "abc"),
        ("smtp.port", "70000"),
        ("smtp.port", "0"),
        ("smtp.port", True),
        ("smtp.enabled", "maybe"),
        ("hostname", "bad..host"),
        ("hostname", "nodots"),
        ("listen", "0.0.0.0,banana"),
        ("smtp.max_message_size", "-1"),
        ("dns.nameservers", "1.1.1.1:99999"),
    ]:
        refused(state, lambda k=key, r=raw: state.set_setting(k, r), key)
    assert state.get_setting("smtp.port") == 2525
    with pytest.raises(StateError):
        state.set_setting("no.such.key", "1")
    refused(state, lambda: state.get_setting("no.such.key"), "key")


def test_settings_survive_reopen(tmp_path: Path) -> None:
    """Writes are durable across connections."""
    s = State(tmp_path / "db")
    s.set_setting("smtp.max_recipients", "7")
    s.close()
    s = State(tmp_path / "db")
    assert s.get_setting("smtp.max_recipients") == 7
    s.close()


# -- parse_setting ------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "raw", "value"),
    [
        ("smtp.enabled", "yes", True),
        ("smtp.enabled", "ON", True),
        ("smtp.enabled", "1", True),
        ("smtp.enabled", "true", True),
        ("smtp.enabled", True, True),
        ("smtp.enabled", "no", False),
        ("smtp.enabled", "Off", False),
        ("smtp.enabled", "0", False),
        ("smtp.enabled", False, False),
        ("smtp.port", "2525", 2525),
        ("smtp.port", " 587 ", 587),
        ("smtp.port", 65535, 65535),
        ("smtp.port", "1", 1),
        ("queue.delay_warning", "0", 0),
        ("hostname", " mail.example.test ", "mail.example.test"),
        ("hostname", "MAIL.example.test.", "mail.example.test"),
        ("tls.cert", " /etc/cert.pem ", "/etc/cert.pem"),
        ("tls.cert", "", ""),
        ("listen", "127.0.0.1,::1", ["127.0.0.1", "::1"]),
        ("listen", "127.0.0.1 ::1", ["127.0.0.1", "::1"]),
        ("listen", ["127.0.0.1", " ", "::1"], ["127.0.0.1", "::1"]),
        ("dns.nameservers", "", []),
        ("dns.nameservers", "127.0.0.1:5353,::1", ["127.0.0.1:5353", "::1"]),
    ],
)
def test_parse_setting_values(key: str, raw: Any, value: Any) -> None:
    """CLI strings and JSON values become the setting's type."""
    result = parse_setting(key, raw)
    assert result == value
    assert type(result) is type(value)


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("nosuch", "1"),
        ("smtp.enabled", "maybe"),
        ("smtp.enabled", ""),
        ("smtp.enabled", "2"),
        ("smtp.port", "abc"),
        ("smtp.port", ""),
        ("smtp.port", "25.5"),
        ("smtp.port", True),
        ("smtp.port", None),
        ("smtp.port", "0"),
        ("smtp.port", "65536"),
        ("smtp.port", "-25"),
        ("smtp.max_recipients", "0"),
        ("queue.delay_warning", "-1"),
        ("hostname", "bad_host.example.test"),
        ("hostname", ""),
        ("hostname", 42),
        ("listen", "not-an-ip"),
        ("dns.nameservers", "1.1.1.1:0"),
        ("dns.nameservers", "1.1.1.1:dns"),
        ("dns.nameservers", "resolver.example.test"),
    ],
)
def test_parse_setting_refused(key: str, raw: Any) -> None:
    """Unknown keys, wrong types and out-of-range values raise SettingError."""
    with pytest.raises(SettingError):
        parse_setting(key, raw)


# -- domains ------------------------------------------------------------------


def test_domains(state: State) -> None:
    """Add (normalised), list sorted, delete an empty one."""
    assert state.add_domain("Example.ORG.") == "example.org"
    assert state.domains() == ["example.org", "example.test"]
    assert state.is_local_domain("EXAMPLE.org")
    state.delete_domain("example.org")
    assert state.domains() == ["example.test"]
    assert not state.is_local_domain("example.org")


def test_domain_refused(state: State) -> None:
    """Bad names, duplicates, unknown domains and domains in use."""
    for bad in ("bad_domain.test", "nodots", "", "-a.test", "a..test", "a b.test"):
        refused(state, lambda b=bad: state.add_domain(b), "domain")
    refused(state, lambda: state.add_domain("example.test"), "domain")
    refused(state, lambda: state.add_domain("EXAMPLE.TEST."), "domain")
    refused(state, lambda: state.delete_domain("nosuch.test"), "domain")
    err = refused(state, lambda: state.delete_domain("example.test"), "domain")
    assert "account" in err.message


# -- accounts -----------------------------------------------------------------


def test_accounts(state: State) -> None:
    """Add with a quota, hashed password, enable/disable, quota, delete."""
    assert state.add_account("Carol@Example.Test", PW, quota_bytes=2 * 1024**3) == (
        "carol@example.test"
    )
    carol = state.account("carol@example.test")
    assert carol is not None
    assert carol.quota_bytes == 2 * 1024**3 and carol.enabled and carol.forward is None
    assert carol.password_hash.startswith("$argon2") and PW not in carol.password_hash
    assert verify_password(carol.password_hash, PW)
    state.set_password("carol@example.test", "another-pass")
    carol = state.account("carol@example.test")
    assert carol is not None and verify_password(carol.password_hash, "another-pass")
    state.set_enabled("carol@example.test", False)
    assert state.account("carol@example.test").enabled is False  # type: ignore[union-attr]
    state.set_enabled("carol@example.test", True)
    state.set_quota("carol@example.test", 0)
    assert state.account("carol@example.test").quota_bytes == 0  # type: ignore[union-attr]
    assert [a.address for a in state.accounts()] == [
        "alice@example.test", "bob@example.test", "carol@example.test"]
    state.delete_account("carol@example.test")
    assert state.account("carol@example.test") is None


def test_account_refused(state: State) -> None:
    """Every bad account write names its field and changes nothing."""
    for bad in ("carol", "carol@", "@example.test", "ca rol@example.test",
                "carol%x@example.test", "x!carol@example.test", '"a@b"@example.test'):
        refused(state, lambda b=bad: state.add_account(b, PW), "address")
    refused(state, lambda: state.add_account("carol@nosuch.test", PW), "address")
    refused(state, lambda: state.add_account("alice@example.test", PW), "address")
    refused(state, lambda: state.add_account("ALICE@example.test", PW), "address")
    refused(state, lambda: state.add_account("staff@example.test", PW), "address")
    refused(state, lambda: state.add_account("carol@example.test", "short"), "password")
    refused(state, lambda: state.add_account("carol@example.test", ""), "password")
    refused(state, lambda: state.add_account("carol@example.test", PW, -1), "quota")
    refused(state, lambda: state.set_password("alice@example.test", "1234567"), "password")
    refused(state, lambda: state.set_password("nobody@example.test", PW), "address")
    refused(state, lambda: state.set_enabled("nobody@example.test", False), "address")
    refused(state, lambda: state.set_quota("alice@example.test", -5), "quota")
    refused(state, lambda: state.set_quota("nobody@example.test", 5), "address")
    refused(state, lambda: state.delete_account("nobody@example.test"), "address")
    refused(state, lambda: state.delete_account("not an address"), "address")


def test_delete_account_drops_it_from_aliases(state: State) -> None:
    """Deleting bob removes him from staff; an alias left empty disappears."""
    state.add_alias("bobonly@example.test", ["bob@example.test"])
    state.delete_account("bob@example.test")
    aliases = state.aliases()
    assert aliases["staff@example.test"] == ["alice@example.test"]
    assert "bobonly@example.test" not in aliases


def test_delete_account_named_in_a_forward(state: State) -> None:
    """A forward to a deleted account must not strand the forwarding account's mail."""
    state.set_forward("alice@example.test", ["bob@example.test"], keep_copy=False)
    try:
        state.delete_account("bob@example.test")
    except StateError:
        return  # refusing the deletion is also acceptable
    alice = state.account("alice@example.test")
    assert alice is not None
    assert alice.forward is None or "bob@example.test" not in alice.forward.targets
    assert expand("alice@example.test", state).mailboxes == ["alice@example.test"]


# -- aliases ------------------------------------------------------------------


def test_aliases(state: State) -> None:
    """Local, nested, outside and error targets; add members; delete members."""
    assert state.alias_targets("staff@example.test") == ["alice@example.test",
                                                         "bob@example.test"]
    state.add_alias("all@example.test", ["staff@example.test", "Ext@Outside.Test"])
    assert state.alias_targets("all@example.test") == ["staff@example.test",
                                                       "ext@outside.test"]
    state.add_alias("all@example.test", ["alice@example.test", "staff@example.test"])
    assert state.alias_targets("all@example.test") == [
        "staff@example.test", "ext@outside.test", "alice@example.test"]
    state.add_alias("gone@example.test", [":error:550 5.1.1 Left the company"])
    assert state.alias_targets("gone@example.test") == [":error:550 5.1.1 Left the company"]
    state.delete_alias("all@example.test", ["ext@outside.test"])
    assert state.alias_targets("all@example.test") == ["staff@example.test",
                                                       "alice@example.test"]
    state.delete_alias("all@example.test")
    assert state.alias_targets("all@example.test") is None
    assert expand("staff@example.test", state).mailboxes == ["alice@example.test",
                                                             "bob@example.test"]


def test_alias_refused(state: State) -> None:
    """Every bad alias write names its field and stores nothing."""
    a = "team@example.test"
    refused(state, lambda: state.add_alias(a, []), "targets")
    refused(state, lambda: state.add_alias(a, ["nobody@example.test"]), "targets")
    refused(state, lambda: state.add_alias(a, ["alice@example.test", "nobody@example.test"]),
            "targets")
    refused(state, lambda: state.add_alias(a, ["garbage"]), "targets")
    refused(state, lambda: state.add_alias(a, ["x%y@example.test"]), "targets")
    refused(state, lambda: state.add_alias(a, [":error:250 fine"]), "targets")
    refused(state, lambda: state.add_alias(a, [":error:nope"]), "targets")
    refused(state, lambda: state.add_alias(a, [a]), "targets")
    refused(state, lambda: state.add_alias("alice@example.test", ["bob@example.test"]),
            "address")
    refused(state, lambda: state.add_alias("team@nosuch.test", ["bob@example.test"]),
            "address")
    refused(state, lambda: state.add_alias("team", ["bob@example.test"]), "address")
    # A loop through an existing alias: x → staff is fine, staff → x closes it.
    state.add_alias("x@example.test", ["staff@example.test"])
    err = refused(state, lambda: state.add_alias("staff@example.test", ["x@example.test"]),
                  "targets")
    assert "loop" in err.message
    refused(state, lambda: state.delete_alias("nosuch@example.test"), "address")
    refused(state, lambda: state.delete_alias("staff@example.test", ["nobody@example.test"]),
            "targets")
    # One good and one bad member: neither is removed.
    refused(state, lambda: state.delete_alias("staff@example.test",
                                              ["bob@example.test", "carol@example.test"]),
            "targets")


def test_replace_aliases(state: State) -> None:
    """An import may name aliases in any order and replaces the ones it names."""
    state.replace_aliases({
        "all@example.test": ["staff@example.test", "team@example.test"],
        "team@example.test": ["alice@example.test"],
        "staff@example.test": ["bob@example.test"],
    })
    assert state.aliases() == {
        "all@example.test": ["staff@example.test", "team@example.test"],
        "staff@example.test": ["bob@example.test"],
        "team@example.test": ["alice@example.test"],
    }


def test_replace_aliases_refused_stores_nothing(state: State) -> None:
    """A loop, an unknown target or an account name anywhere: nothing is stored."""
    state.add_alias("keep@example.test", ["alice@example.test"])
    loop = {
        "fine@example.test": ["alice@example.test"],
        "a@example.test": ["b@example.test"],
        "b@example.test": ["a@example.test"],
        "staff@example.test": ["alice@example.test"],
    }
    err = refused(state, lambda: state.replace_aliases(loop), "targets")
    assert "loop" in err.message
    assert state.alias_targets("fine@example.test") is None
    assert state.alias_targets("staff@example.test") == ["alice@example.test",
                                                         "bob@example.test"]
    refused(state, lambda: state.replace_aliases(
        {"fine@example.test": ["alice@example.test"],
         "bad@example.test": ["nobody@example.test"]}), "targets")
    refused(state, lambda: state.replace_aliases(
        {"fine@example.test": ["alice@example.test"],
         "alice@example.test": ["bob@example.test"]}), "address")
    refused(state, lambda: state.replace_aliases(
        {"fine@example.test": ["alice@example.test"],
         "x@nosuch.test": ["bob@example.test"]}), "address")


# -- forwards -----------------------------------------------------------------


def test_forwards(state: State) -> None:
    """Set with and without a copy, replace, clear."""
    state.set_forward("alice@example.test", ["X@Outside.Test"], keep_copy=False)
    fwd = state.account("alice@example.test").forward  # type: ignore[union-attr]
    assert fwd is not None and fwd.targets == ("x@outside.test",) and not fwd.keep_copy
    assert expand("alice@example.test", state).remote == ["x@outside.test"]
    assert expand("alice@example.test", state).mailboxes == []
    state.set_forward("alice@example.test", ["bob@example.test", "staff@example.test"],
                      keep_copy=True)
    fwd = state.account("alice@example.test").forward  # type: ignore[union-attr]
    assert fwd is not None and fwd.keep_copy
    assert fwd.targets == ("bob@example.test", "staff@example.test")
    assert expand("alice@example.test", state).mailboxes == ["alice@example.test",
                                                             "bob@example.test"]
    state.clear_forward("alice@example.test")
    assert state.account("alice@example.test").forward is None  # type: ignore[union-attr]
    assert state.accounts()[0].public()["forward"] == []


def test_forward_refused(state: State) -> None:
    """Unknown accounts, empty, unknown local, malformed and error targets."""
    refused(state, lambda: state.set_forward("nobody@example.test", ["x@outside.test"], False),
            "address")
    refused(state, lambda: state.set_forward("staff@example.test", ["x@outside.test"], False),
            "address")
    refused(state, lambda: state.set_forward("alice@example.test", [], False), "targets")
    refused(state, lambda: state.set_forward("alice@example.test", ["nobody@example.test"],
                                             True), "targets")
    refused(state, lambda: state.set_forward("alice@example.test", ["garbage"], False),
            "targets")
    refused(state, lambda: state.set_forward("alice@example.test", [":error:550 no"], False),
            "targets")
    refused(state, lambda: state.clear_forward("nobody@example.test"), "address")


# -- relay networks -----------------------------------------------------------


def test_relay_defaults(state: State) -> None:
    """Only loopback relays out of the box."""
    assert state.relay_networks() == list(DEFAULT_RELAY) == ["127.0.0.1/32", "::1/128"]


def test_relay_add_and_delete(state: State) -> None:
    """Networks are normalised and sorted; deleting a default is remembered."""
    assert state.add_relay("192.168.1.7/24") == "192.168.1.0/24"
    assert state.add_relay("2001:DB8::/32") == "2001:db8::/32"
    assert state.add_relay("10.0.0.1") == "10.0.0.1/32"
    assert state.relay_networks() == ["10.0.0.1/32", "127.0.0.1/32", "192.168.1.0/24",
                                      "::1/128", "2001:db8::/32"]
    state.delete_relay("127.0.0.1/32")
    state.delete_relay("::1")
    assert state.relay_networks() == ["10.0.0.1/32", "192.168.1.0/24", "2001:db8::/32"]


def test_relay_delete_every_default_stays_empty(state: State) -> None:
    """Deleting both defaults leaves no relay network, not the defaults again."""
    state.delete_relay("127.0.0.1/32")
    state.delete_relay("::1/128")
    assert state.relay_networks() == []


def test_relay_refused(state: State) -> None:
    """Bad CIDRs, duplicates and unknown networks: field 'network', nothing changed."""
    for bad in ("192.168.1.300/24", "banana", "10.0.0.0/33", "", "192.168.1.0/-1",
                "::1/129", "192.168.1"):
        refused(state, lambda b=bad: state.add_relay(b), "network")
    state.add_relay("192.168.1.0/24")
    refused(state, lambda: state.add_relay("192.168.1.0/24"), "network")
    refused(state, lambda: state.add_relay("192.168.1.99/24"), "network")
    refused(state, lambda: state.add_relay("127.0.0.1"), "network")
    refused(state, lambda: state.delete_relay("10.9.9.0/24"), "network")
    refused(state, lambda: state.delete_relay("banana"), "network")


def test_postmaster_takes_mail_before_any_account(tmp_path: Path) -> None:
    # A bare `init` has a domain and no account: postmaster must still take
    # mail (RFC 5321 4.5.1), into a mailbox nobody can log in to yet.
    s = State(tmp_path / "db")
    try:
        s.add_domain("example.test")
        s.add_domain_alias("mail.example.test", "example.test")
        box = s.account("Postmaster@example.test")
        assert box is not None and box.address == "postmaster@example.test"
        assert not verify_password(box.password_hash, "")
        assert expand("postmaster@mail.example.test", s).mailboxes == ["postmaster@example.test"]
        assert s.account("root@example.test") is None
        assert s.account("postmaster@elsewhere.test") is None
        assert s.accounts() == []
        # The first account takes postmaster's mail from then on ...
        s.add_account("alice@example.test", PW)
        assert s.account("postmaster@example.test") is None
        assert expand("postmaster@example.test", s).mailboxes == ["alice@example.test"]
        # ... and postmaster@ can be made an account of its own, claiming its mailbox.
        s.add_account("postmaster@example.test", PW)
        assert expand("postmaster@example.test", s).mailboxes == ["postmaster@example.test"]
    finally:
        s.close()
