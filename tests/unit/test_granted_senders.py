"""The state store's granted senders (account senders add|del|list)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.state import State, StateError

PW = "longenough-1"


@pytest.fixture
def state(tmp_path: Path) -> Iterator[State]:
    s = State(tmp_path / "db")
    s.add_domain("example.test")
    s.add_account("alice@example.test", PW)
    s.add_account("bob@example.test", PW)
    try:
        yield s
    finally:
        s.close()


def test_grant_list_revoke(state: State) -> None:
    assert state.grant_sender("Bob@example.test", "Alice@Example.TEST") == "alice@example.test"
    assert state.grant_sender("bob@example.test", "bob@far.test") == "bob@far.test"
    assert state.granted_senders("BOB@example.test") == ["alice@example.test", "bob@far.test"]
    assert state.granted_senders("alice@example.test") == []
    state.revoke_sender("bob@example.test", "bob@far.test")
    assert state.granted_senders("bob@example.test") == ["alice@example.test"]


@pytest.mark.parametrize("account,sender,words", [
    ("nobody@example.test", "alice@example.test", "no such account"),
    ("bob@example.test", "not an address", "malformed"),
    ("bob@example.test", "alice%far.test@example.test", "routing"),
])
def test_bad_grants_are_refused(state: State, account: str, sender: str, words: str) -> None:
    with pytest.raises(StateError, match=words):
        state.grant_sender(account, sender)
    assert state.granted_senders("bob@example.test") == []


def test_twice_refused_and_revoking_what_was_not_granted(state: State) -> None:
    state.grant_sender("bob@example.test", "alice@example.test")
    with pytest.raises(StateError, match="already"):
        state.grant_sender("bob@example.test", "alice@example.test")
    with pytest.raises(StateError, match="not granted"):
        state.revoke_sender("bob@example.test", "carol@example.test")


def test_grants_go_with_the_account(state: State) -> None:
    state.grant_sender("bob@example.test", "alice@example.test")
    state.delete_account("bob@example.test")
    state.add_account("bob@example.test", PW)
    assert state.granted_senders("bob@example.test") == []
