"""Domain aliases (issue 9, item 11): other names of a domain reach the same mailboxes.

Expansion over the in-memory directory, then the state store that the daemon
uses as its directory (and the cache in front of it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.aliases import expand
from appliance.smtp.policy import check_recipient
from appliance.state import State, StateError
from appliance.state.cache import DirectoryCache
from tests.support.directory import Dir, Fwd

PW = "longenough-1"


def directory() -> Dir:
    d = Dir(domain_aliases={"mail.example.test": "example.test"})
    d.users("alice", "bob")
    d.aliases["staff@example.test"] = ["alice@example.test", "bob@example.test"]
    return d


def test_expansion_through_a_domain_alias_reaches_the_real_mailbox() -> None:
    d = directory()
    assert expand("bob@mail.example.test", d).mailboxes == ["bob@example.test"]
    assert expand("BOB@Mail.Example.Test", d).mailboxes == ["bob@example.test"]
    assert expand("staff@mail.example.test", d).mailboxes == [
        "alice@example.test", "bob@example.test"]
    exp = expand("nobody@mail.example.test", d)
    assert exp.mailboxes == [] and exp.errors[0][1].startswith("550 5.1.1")


def test_expansion_catch_all_and_forward_loops_through_an_alias() -> None:
    d = directory()
    d.aliases["@example.test"] = ["alice@example.test"]
    assert expand("anyone@mail.example.test", d).mailboxes == ["alice@example.test"]
    # bob forwards to his own address under the other name: a loop, kept at home.
    d.accounts["bob@example.test"] = d.accounts["bob@example.test"].__class__(
        "bob@example.test", forward=Fwd(("bob@mail.example.test",)))
    assert expand("bob@example.test", d).mailboxes == ["bob@example.test"]


def test_policy_accepts_the_alias_domain_as_local() -> None:
    verdict = check_recipient("<bob@mail.example.test>", directory=directory(),
                              may_relay=False)
    assert verdict.accepted
    refused = check_recipient("<nobody@mail.example.test>", directory=directory(),
                              may_relay=False)
    assert refused.reply.startswith("550 5.1.1")


# -- the state store ------------------------------------------------------------------


@pytest.fixture
def state(tmp_path: Path) -> Iterator[State]:
    s = State(tmp_path / "db")
    s.add_domain("example.test")
    s.add_account("alice@example.test", PW)
    s.add_account("bob@example.test", PW)
    s.add_alias("staff@example.test", ["alice@example.test", "bob@example.test"])
    s.add_domain_alias("Mail.Example.Test", "example.test")
    try:
        yield s
    finally:
        s.close()


def test_state_answers_for_the_alias(state: State) -> None:
    assert state.domains() == ["example.test"]
    assert state.domain_aliases() == {"mail.example.test": "example.test"}
    assert state.is_local_domain("mail.example.test")
    assert state.canonical_domain("MAIL.example.test") == "example.test"
    assert state.canonical_domain("example.test") == "example.test"
    assert state.canonical_domain("other.test") is None
    acct = state.account("bob@mail.example.test")
    assert acct is not None and acct.address == "bob@example.test"
    assert state.alias_targets("staff@mail.example.test") == [
        "alice@example.test", "bob@example.test"]
    assert state.alias_targets("postmaster@mail.example.test") == ["alice@example.test"]
    assert expand("staff@mail.example.test", state).mailboxes == [
        "alice@example.test", "bob@example.test"]
    cache = DirectoryCache(state)
    assert expand("bob@mail.example.test", cache).mailboxes == ["bob@example.test"]


def test_state_alias_targets_in_an_alias_domain_are_stored_as_the_real_address(
        state: State) -> None:
    state.add_alias("team@example.test", ["bob@mail.example.test"])
    assert state.aliases()["team@example.test"] == ["bob@example.test"]
    with pytest.raises(StateError, match="no such local account"):
        state.add_alias("team2@example.test", ["nobody@mail.example.test"])


@pytest.mark.parametrize(("call", "match"), [
    (lambda s: s.add_domain_alias("mail.example.test", "example.test"), "already exists"),
    (lambda s: s.add_domain("mail.example.test"), "alias of example.test"),
    (lambda s: s.add_domain_alias("example.test", "example.test"), "alias of itself"),
    (lambda s: s.add_domain_alias("other.test", "nowhere.test"), "no such domain"),
    (lambda s: s.add_domain_alias("x.test", "mail.example.test"), "itself an alias"),
    (lambda s: s.add_domain_alias("bad..name", "example.test"), "not a valid domain"),
    (lambda s: s.add_account("carol@mail.example.test", PW), "use carol@example.test"),
    (lambda s: s.add_alias("team@mail.example.test", ["bob@example.test"]), "alias of"),
    (lambda s: s.delete_domain("example.test"), "account"),
])
def test_state_refusals(state: State, call, match: str) -> None:  # type: ignore[no-untyped-def]
    before = (state.domains(), state.domain_aliases(), state.aliases())
    with pytest.raises(StateError, match=match):
        call(state)
    assert (state.domains(), state.domain_aliases(), state.aliases()) == before


def test_state_delete_an_alias_and_a_domain_with_aliases(tmp_path: Path) -> None:
    s = State(tmp_path / "db")
    try:
        s.add_domain("example.org")
        s.add_domain_alias("www.example.org", "example.org")
        with pytest.raises(StateError, match="still has the alias"):
            s.delete_domain("example.org")
        assert s.delete_domain("www.example.org") == "example.org"  # just the alias
        assert s.domains() == ["example.org"] and s.domain_aliases() == {}
        assert s.delete_domain("example.org") is None
        assert s.domains() == []
    finally:
        s.close()
