"""Configuration through the CLI (no daemon): relay networks and their exclusions,
domain aliases, and the settings command's refusals (issue 9, items 4, 11, 15)."""

from __future__ import annotations

from tests.integration.test_cli import out, refuse
from tests.support.daemon import Mailroom

DEFAULT = ["127.0.0.1/32", "::1/128"]


def relay_list(m: Mailroom) -> list[str]:
    return out(m, "relay", "list").split()


def test_relay_add_refuses_an_open_relay(home: Mailroom) -> None:
    """0.0.0.0/0 and its kin: exit 1, the reason on stderr, the list unchanged."""
    for bad, why in (("0.0.0.0/0", "whole Internet"), ("::/0", "whole Internet"),
                     ("::ffff:0:0/96", "every IPv4 address"),
                     ("64.0.0.0/2", "large part of the Internet"),
                     ("2000::/16", "/32 or narrower")):
        line = refuse(home, "relay", "add", bad, match=why)
        assert "open relay" in line
        assert relay_list(home) == DEFAULT


def test_relay_public_network_is_stored_with_the_warning(home: Mailroom) -> None:
    r = home.cli("relay", "add", "100.64.0.0/10")
    assert r.stdout.strip() == "relay allowed from 100.64.0.0/10"
    assert r.stderr.strip() == (
        "warning: relay network 100.64.0.0/10 is a public network, not a private one: every "
        "host in it may send mail anywhere through this server without logging in")
    assert relay_list(home) == ["100.64.0.0/10", *DEFAULT]
    r = home.cli("relay", "add", "192.168.5.0/24")
    assert r.stderr == ""  # a private LAN: nothing to warn about


def test_relay_exclusions(home: Mailroom) -> None:
    """Add, list, delete an exclusion; refusals name it as one."""
    r = home.cli("relay", "add", "!127.0.0.1")
    assert "127.0.0.1/32" in r.stdout and "exclu" in r.stdout
    assert relay_list(home) == ["127.0.0.1/32", "!127.0.0.1/32", "::1/128"]
    refuse(home, "relay", "add", "!127.0.0.1/32", match="already an exclusion")
    out(home, "relay", "add", "192.168.1.0/24")
    out(home, "relay", "add", "!192.168.1.1")
    assert relay_list(home) == ["127.0.0.1/32", "!127.0.0.1/32", "192.168.1.0/24",
                                "!192.168.1.1/32", "::1/128"]
    assert "no longer excluded" in out(home, "relay", "del", "!127.0.0.1")
    refuse(home, "relay", "del", "!127.0.0.1", match="not an exclusion")
    assert relay_list(home) == ["127.0.0.1/32", "192.168.1.0/24", "!192.168.1.1/32",
                                "::1/128"]
    r = home.cli("relay", "add", "!0.0.0.0/0")  # harmless: only takes rights away
    assert r.returncode == 0


# -- settings (item 15) ----------------------------------------------------------------


def test_settings_set_from_empty_stdin_is_refused(home: Mailroom) -> None:
    """An empty pipe must not store an empty password; '' still clears on purpose."""
    out(home, "settings", "set", "smarthost.username", "office")
    for stdin in ("", "\n", "  \n"):
        refuse(home, "settings", "set", "smarthost.username", "-", input=stdin,
               match="no value for smarthost.username on standard input")
        assert out(home, "settings", "get", "smarthost.username").strip() == "office"
        refuse(home, "settings", "set", "smarthost.password", "-", input=stdin,
               match="standard input")
        assert out(home, "settings", "get", "smarthost.password").strip() == ""
    assert out(home, "settings", "set", "smarthost.username", "").strip() == \
        "smarthost.username ="


def test_settings_unknown_key_names_the_closest(home: Mailroom) -> None:
    refuse(home, "settings", "set", "smarthost.pasword", "x",
           match="did you mean smarthost.password?")
    refuse(home, "settings", "get", "smtp.prot", match="did you mean smtp.port?")
    refuse(home, "settings", "set", "no-such-thing-at-all", "1", match="settings show")
