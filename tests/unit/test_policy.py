"""Tests for the RCPT TO / MAIL FROM decisions (appliance.smtp.policy)."""

from __future__ import annotations

import pytest

from appliance.smtp.policy import Verdict, check_recipient, check_sender, in_networks
from tests.support.directory import Acct, Dir


@pytest.fixture
def directory() -> Dir:
    """example.test with alice, bob (disabled), carol (1000-byte quota) and some aliases."""
    d = Dir(domains={"example.test", "example.org"})
    for acct in (
        Acct("alice@example.test"),
        Acct("bob@example.test", enabled=False),
        Acct("carol@example.test", quota_bytes=1000),
        Acct("dave@example.org"),
    ):
        d.accounts[acct.address] = acct
    d.aliases["staff@example.test"] = ["alice@example.test", "carol@example.test"]
    d.aliases["gone@example.test"] = [":error:550 5.1.1 This user has left"]
    d.aliases["later@example.test"] = [":error:450 4.2.1 Try again later"]
    d.aliases["alumni@example.test"] = ["list@outside.test"]
    return d


def rcpt(path: str, d: Dir, *, may_relay: bool = False, usage: int | None = None) -> Verdict:
    """check_recipient with an optional fixed mailbox usage."""
    usage_of = (lambda _a: usage) if usage is not None else None
    return check_recipient(path, directory=d, may_relay=may_relay, usage_of=usage_of)


RELAY_TRICKS = [
    "<user@outside.test>",
    "user@outside.test",
    "<USER@OUTSIDE.TEST>",
    "<user@outside.test.>",
    "<user@sub.example.test>",
    "<user@example.test.outside.test>",
    "<user%outside.test@example.test>",
    "<user%outside.test@EXAMPLE.TEST.>",
    "<user%outside.test%relay.test@example.test>",
    "<outside.test!user@example.test>",
    "<user!outside.test@example.test>",
    "<outside.test!user%example.test@example.test>",
    '<"user@outside.test"@example.test>',
    '<"user%outside.test"@example.test>',
    '<"outside.test!user"@example.test>',
    "<user@outside.test@example.test>",
    "<user@example.test@outside.test>",
    "<user:outside.test@example.test>",
    "<@example.test:user@outside.test>",
    "<@example.test,@relay.test:user@outside.test>",
    "<@outside.test:alice@example.test>",
    "<user@[192.0.2.1]>",
    "<user@[127.0.0.1]>",
    "<alice@[127.0.0.1]>",
    "<user@[IPv6:::1]>",
    "<user@[IPv6:2001:db8::1]>",
    '<"user@outside.test"@[192.0.2.1]>',
    "<user%outside.test@[127.0.0.1]>",
]


@pytest.mark.parametrize("path", RELAY_TRICKS)
def test_relay_tricks_refused_without_relay_right(directory: Dir, path: str) -> None:
    """From a non-relay client every trick gets 554 5.7.1 and no address."""
    assert len(RELAY_TRICKS) >= 20
    verdict = rcpt(path, directory)
    assert verdict.reply.startswith("554 5.7.1 "), verdict.reply
    assert "Relay access denied" in verdict.reply
    assert not verdict.accepted
    assert verdict.address is None


@pytest.mark.parametrize(
    ("path", "address"),
    [
        ("<alice@example.test>", "alice@example.test"),
        ("alice@example.test", "alice@example.test"),
        ("<Alice@EXAMPLE.Test>", "alice@example.test"),
        ("<alice@example.test.>", "alice@example.test"),
        ("<staff@example.test>", "staff@example.test"),
        ("<alumni@example.test>", "alumni@example.test"),
        ("<dave@example.org>", "dave@example.org"),
    ],
)
def test_local_recipients_accepted(directory: Dir, path: str, address: str) -> None:
    """Accounts and aliases in local domains: 250, normalised to lower case."""
    for may_relay in (False, True):
        verdict = rcpt(path, directory, may_relay=may_relay)
        assert verdict.reply == "250 2.1.5 Ok"
        assert verdict.accepted
        assert verdict.address == address


def test_unknown_local_user(directory: Dir) -> None:
    """550 5.1.1 naming the address, whatever the client's rights."""
    for may_relay in (False, True):
        verdict = rcpt("<nobody@example.test>", directory, may_relay=may_relay)
        assert verdict.reply.startswith("550 5.1.1 <nobody@example.test>"), verdict.reply
        assert not verdict.accepted


def test_disabled_account(directory: Dir) -> None:
    """A disabled account: 550 5.2.1."""
    verdict = rcpt("<bob@example.test>", directory)
    assert verdict.reply.startswith("550 5.2.1 <bob@example.test>"), verdict.reply
    assert "disabled" in verdict.reply.lower()


def test_group_with_one_disabled_member_still_accepted(directory: Dir) -> None:
    """A group that still reaches a mailbox is accepted."""
    directory.aliases["mixed@example.test"] = ["bob@example.test", "alice@example.test"]
    assert rcpt("<mixed@example.test>", directory).accepted


def test_error_target_alias_returns_its_code(directory: Dir) -> None:
    """``:error:`` aliases answer with their own code and text."""
    verdict = rcpt("<gone@example.test>", directory)
    assert verdict.reply == "550 5.1.1 <gone@example.test>: This user has left"
    temp = rcpt("<later@example.test>", directory)
    assert temp.reply == "450 4.2.1 <later@example.test>: Try again later"


def test_quota_full(directory: Dir) -> None:
    """Usage at or over the quota: 452 4.2.2; under it: accepted."""
    assert rcpt("<carol@example.test>", directory, usage=999).accepted
    for used in (1000, 5000):
        verdict = rcpt("<carol@example.test>", directory, usage=used)
        assert verdict.reply.startswith("452 4.2.2 <carol@example.test>"), verdict.reply
    # No quota: usage is irrelevant.
    assert rcpt("<alice@example.test>", directory, usage=10**12).accepted


@pytest.mark.parametrize(
    "path",
    ["<user@outside.test>", "<user%other.test@outside.test>", "<other.test!user@outside.test>",
     '<"user@other.test"@outside.test>', "<user@[192.0.2.1]>"],
)
def test_may_relay_allows_outside_domains(directory: Dir, path: str) -> None:
    """A relay network or authenticated client may send anywhere outside."""
    verdict = rcpt(path, directory, may_relay=True)
    assert verdict.reply == "250 2.1.5 Ok"
    assert verdict.address is not None and "@" in verdict.address


def test_may_relay_keeps_quoting_of_outside_address(directory: Dir) -> None:
    """A quoted local part stays quoted in the accepted address."""
    verdict = rcpt('<"john doe"@outside.test>', directory, may_relay=True)
    assert verdict.address == '"john doe"@outside.test'


@pytest.mark.parametrize(
    "path",
    ["<@relay.test:user@outside.test>", "<@a.test,@b.test:user@outside.test>",
     "<@example.test:user@outside.test>"],
)
def test_may_relay_still_refuses_source_routes(directory: Dir, path: str) -> None:
    """Source routes are refused even from trusted clients."""
    verdict = rcpt(path, directory, may_relay=True)
    assert verdict.reply.startswith("554 5.7.1 "), verdict.reply


@pytest.mark.parametrize(
    "path", ["<alice%outside.test@example.test>", "<outside.test!alice@example.test>",
             '<"alice@outside.test"@example.test>']
)
def test_may_relay_trick_to_local_domain_is_unknown_user(directory: Dir, path: str) -> None:
    """A trick inside a local domain names no local user."""
    verdict = rcpt(path, directory, may_relay=True)
    assert verdict.reply.startswith("550 5.1.1 "), verdict.reply


@pytest.mark.parametrize("path", ["<>", "<garbage>", "<a@b@>", "<@relay.test>", "<a b@c.test>"])
def test_bad_recipient_syntax(directory: Dir, path: str) -> None:
    """Null path and garbage: 501 5.1.3."""
    verdict = rcpt(path, directory, may_relay=True)
    assert verdict.reply.startswith("501 5.1.3"), verdict.reply


# -- check_sender -------------------------------------------------------------


def test_check_sender() -> None:
    """Null sender, plain sender, and garbage."""
    assert check_sender("<>") == ("250 2.1.0 Ok", "")
    assert check_sender("<Alice@Example.TEST>") == ("250 2.1.0 Ok", "Alice@example.test")
    assert check_sender("<@relay.test:user@outside.test>") == ("250 2.1.0 Ok",
                                                               "user@outside.test")
    for bad in ("<garbage>", "<a@b", "<a..b@c.test>"):
        reply, sender = check_sender(bad)
        assert reply.startswith("501 5.1.7"), reply
        assert sender is None


def test_check_sender_keeps_quoted_local_part() -> None:
    """A quoted sender must stay a valid path when written back out."""
    assert check_sender('<"john doe"@example.test>') == ("250 2.1.0 Ok",
                                                         '"john doe"@example.test')


# -- in_networks --------------------------------------------------------------

NETS = ["127.0.0.1/32", "::1/128", "192.168.1.0/24", "2001:db8::/32"]


@pytest.mark.parametrize(
    ("ip", "inside"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", False),
        ("192.168.1.77", True),
        ("192.168.2.1", False),
        ("::1", True),
        ("::2", False),
        ("2001:db8:1::5", True),
        ("2001:db9::1", False),
        ("::ffff:127.0.0.1", True),
        ("::ffff:192.168.1.9", True),
        ("::ffff:10.0.0.1", False),
        ("fe80::1%eth0", False),
        ("2001:db8::1%eth0", True),
        ("", False),
        ("banana", False),
        ("300.1.1.1", False),
        ("192.168.1.0/24", False),
    ],
)
def test_in_networks(ip: str, inside: bool) -> None:
    """IPv4, IPv6, IPv4-mapped IPv6, zone ids and bad input."""
    assert in_networks(ip, NETS) is inside


def test_in_networks_skips_bad_entries_and_empty_list() -> None:
    """A malformed network entry is skipped, not fatal; no networks, no relay."""
    assert in_networks("10.1.2.3", ["banana", "10.0.0.0/33", "10.0.0.0/8"])
    assert not in_networks("10.1.2.3", ["banana"])
    assert not in_networks("127.0.0.1", [])
    assert in_networks("10.1.2.3", ["10.1.2.99/24"])  # host bits are ignored
