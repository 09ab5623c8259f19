"""Tests for recipient expansion (appliance.aliases.expand)."""

from __future__ import annotations

import pytest

from appliance.aliases import expand
from appliance.aliases.expand import MAX_DEPTH
from tests.support.directory import Acct, Dir, Fwd


def a(local: str) -> str:
    """``local@example.test``."""
    return f"{local}@example.test"


@pytest.fixture
def d() -> Dir:
    """alice, bob, carol, dave in example.test."""
    directory = Dir()
    directory.users("alice", "bob", "carol", "dave")
    return directory


def test_plain_account(d: Dir) -> None:
    """An account expands to its own mailbox, case-insensitively."""
    exp = expand("Alice@Example.TEST", d)
    assert exp.mailboxes == [a("alice")]
    assert exp.remote == [] and exp.errors == []


def test_unknown_local_user(d: Dir) -> None:
    """An unknown local address is an error, not a mailbox."""
    exp = expand(a("nobody"), d)
    assert exp.mailboxes == []
    assert exp.errors == [(a("nobody"), "550 5.1.1 Recipient address rejected: User unknown")]


def test_nested_groups_and_duplicates_collapsed(d: Dir) -> None:
    """Groups nest; a member reached twice gets one copy, order is kept."""
    d.aliases[a("teachers")] = [a("alice"), a("bob")]
    d.aliases[a("students")] = [a("carol"), a("alice")]
    d.aliases[a("everyone")] = [a("teachers"), a("students"), a("bob"), a("dave")]
    exp = expand(a("everyone"), d)
    assert exp.mailboxes == [a("alice"), a("bob"), a("carol"), a("dave")]
    assert exp.errors == []


def test_alias_loop_cut(d: Dir) -> None:
    """x → y → x stops where it repeats; the rest still delivers."""
    d.aliases[a("x")] = [a("y"), a("alice")]
    d.aliases[a("y")] = [a("x"), a("bob")]
    exp = expand(a("x"), d)
    assert sorted(exp.mailboxes) == [a("alice"), a("bob")]
    assert exp.errors == []
    # A pure loop reaches nothing, without recursing forever.
    d.aliases[a("p")] = [a("q")]
    d.aliases[a("q")] = [a("p")]
    exp = expand(a("p"), d)
    assert exp.mailboxes == [] and exp.remote == []


def test_self_alias(d: Dir) -> None:
    """An alias naming itself adds nothing new."""
    d.aliases[a("me")] = [a("me"), a("alice")]
    assert expand(a("me"), d).mailboxes == [a("alice")]


def test_forward_without_copy(d: Dir) -> None:
    """The mail goes to the target only."""
    d.forward("alice", "someone@outside.test")
    exp = expand(a("alice"), d)
    assert exp.mailboxes == []
    assert exp.remote == ["someone@outside.test"]


def test_forward_with_copy(d: Dir) -> None:
    """keep_copy keeps the mail in the account's own mailbox too."""
    d.forward("alice", "someone@outside.test", a("bob"), keep=True)
    exp = expand(a("alice"), d)
    assert exp.mailboxes == [a("alice"), a("bob")]
    assert exp.remote == ["someone@outside.test"]


def test_forward_chain(d: Dir) -> None:
    """alice → bob → carol ends in carol's mailbox."""
    d.forward("alice", a("bob"))
    d.forward("bob", a("carol"))
    exp = expand(a("alice"), d)
    assert exp.mailboxes == [a("carol")]
    assert exp.errors == []


def test_forward_loop_ends_in_a_mailbox(d: Dir) -> None:
    """alice → bob → alice: the mail is kept where the loop closes, never lost."""
    d.forward("alice", a("bob"))
    d.forward("bob", a("alice"))
    exp = expand(a("alice"), d)
    assert exp.mailboxes == [a("alice")]
    assert exp.errors == []
    exp = expand(a("bob"), d)
    assert exp.mailboxes == [a("bob")]


def test_forward_to_self_keeps_mail(d: Dir) -> None:
    """Forwarding to oneself (and elsewhere) keeps one copy at home."""
    d.forward("alice", a("alice"), "x@outside.test")
    exp = expand(a("alice"), d)
    assert exp.mailboxes == [a("alice")]
    assert exp.remote == ["x@outside.test"]


def test_forward_through_alias(d: Dir) -> None:
    """A forward may name a group."""
    d.aliases[a("team")] = [a("bob"), a("carol")]
    d.forward("alice", a("team"), keep=True)
    assert expand(a("alice"), d).mailboxes == [a("alice"), a("bob"), a("carol")]


def test_catch_all(d: Dir) -> None:
    """``@domain`` takes unknown addresses; known ones are not affected."""
    d.aliases["@example.test"] = [a("dave")]
    assert expand(a("whoever"), d).mailboxes == [a("dave")]
    assert expand(a("alice"), d).mailboxes == [a("alice")]
    d.aliases[a("sales")] = [a("bob")]
    assert expand(a("sales"), d).mailboxes == [a("bob")]


def test_catch_all_is_per_domain(d: Dir) -> None:
    """A catch-all of one local domain does not catch another's."""
    d.domains.add("example.org")
    d.aliases["@example.test"] = [a("dave")]
    exp = expand("whoever@example.org", d)
    assert exp.mailboxes == []
    assert exp.errors and exp.errors[0][1].startswith("550 5.1.1")


def test_remote_targets(d: Dir) -> None:
    """Outside addresses go to ``remote``, each once; an outside recipient is itself remote."""
    d.aliases[a("list")] = ["x@outside.test", a("alice"), "y@elsewhere.test"]
    d.aliases[a("list2")] = [a("list"), "x@outside.test"]
    exp = expand(a("list2"), d)
    assert exp.mailboxes == [a("alice")]
    assert exp.remote == ["x@outside.test", "y@elsewhere.test"]
    assert expand("z@outside.test", d).remote == ["z@outside.test"]


def test_error_targets(d: Dir) -> None:
    """``:error:`` targets record the reply for the alias; other members still deliver."""
    d.aliases[a("gone")] = [":error:550 5.1.1 This user has left"]
    exp = expand(a("gone"), d)
    assert exp.mailboxes == []
    assert exp.errors == [(a("gone"), "550 5.1.1 This user has left")]
    d.aliases[a("mixed")] = [a("gone"), a("alice")]
    exp = expand(a("mixed"), d)
    assert exp.mailboxes == [a("alice")]
    assert exp.errors == [(a("gone"), "550 5.1.1 This user has left")]


def test_disabled_account(d: Dir) -> None:
    """A disabled account refuses mail, alone or inside a group."""
    d.accounts[a("bob")] = Acct(a("bob"), enabled=False)
    exp = expand(a("bob"), d)
    assert exp.mailboxes == []
    assert exp.errors == [(a("bob"), "550 5.2.1 Mailbox disabled")]
    d.aliases[a("team")] = [a("alice"), a("bob")]
    exp = expand(a("team"), d)
    assert exp.mailboxes == [a("alice")]
    assert [e[0] for e in exp.errors] == [a("bob")]


def test_disabled_account_with_forward_does_not_forward(d: Dir) -> None:
    """Disabling wins over forwarding."""
    d.accounts[a("bob")] = Acct(a("bob"), enabled=False, forward=Fwd(("x@outside.test",)))
    exp = expand(a("bob"), d)
    assert exp.remote == [] and exp.mailboxes == []


def _chain(d: Dir, length: int) -> None:
    """``c0 → c1 → … → c{length-1} → alice``."""
    for i in range(length):
        nxt = a(f"c{i + 1}") if i + 1 < length else a("alice")
        d.aliases[a(f"c{i}")] = [nxt]


def test_depth_limit_allows_max_depth(d: Dir) -> None:
    """A chain of MAX_DEPTH aliases still reaches the mailbox."""
    _chain(d, MAX_DEPTH)
    exp = expand(a("c0"), d)
    assert exp.mailboxes == [a("alice")]
    assert exp.errors == []


def test_depth_limit_exceeded(d: Dir) -> None:
    """One level more: 554 5.4.6 and no delivery."""
    _chain(d, MAX_DEPTH + 1)
    exp = expand(a("c0"), d)
    assert exp.mailboxes == []
    assert len(exp.errors) == 1
    assert exp.errors[0][1].startswith("554 5.4.6")
