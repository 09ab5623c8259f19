"""Who may use which envelope sender, and which recipients a full mailbox refuses
(appliance.smtp.policy: check_sender_use, owns_address, recipients_over_quota)."""

from __future__ import annotations

import pytest

from appliance.smtp.policy import (
    check_recipient,
    check_sender_use,
    owns_address,
    recipients_over_quota,
)
from tests.support.directory import Acct, Dir, Fwd


@pytest.fixture
def directory() -> Dir:
    d = Dir(domains={"example.test", "example.org"})
    d.users("alice", "bob", "carol")
    d.aliases["bobby@example.test"] = ["bob@example.test"]
    d.aliases["b2@example.test"] = ["bobby@example.test"]  # nested, still only bob
    d.aliases["staff@example.test"] = ["alice@example.test", "bob@example.test"]
    d.aliases["out@example.test"] = ["bob@example.test", "bob@far.test"]
    d.aliases["@example.org"] = ["bob@example.test"]  # catch-all
    return d


@pytest.mark.parametrize("sender,owned", [
    ("bob@example.test", True),
    ("Bob@Example.Test", True),
    ("bobby@example.test", True),
    ("b2@example.test", True),
    ("alice@example.test", False),
    ("staff@example.test", False),  # reaches alice as well
    ("out@example.test", False),  # reaches an outside address as well
    ("anyone@example.org", False),  # a catch-all does not make every name bob's
    ("nobody@example.test", False),
    ("bob@far.test", False),
])
def test_owns_address(directory: Dir, sender: str, owned: bool) -> None:
    assert owns_address("bob@example.test", sender, directory) is owned


def test_own_forward_does_not_count_against_the_user(directory: Dir) -> None:
    directory.accounts["bob@example.test"] = Acct(
        "bob@example.test", forward=Fwd(("bob@far.test",), keep_copy=False))
    assert owns_address("bob@example.test", "bob@example.test", directory)
    assert owns_address("bob@example.test", "bobby@example.test", directory)


def test_granted_addresses(directory: Dir) -> None:
    assert owns_address("bob@example.test", "alice@example.test", directory,
                        ["Alice@example.test"])
    assert owns_address("bob@example.test", "bob@far.test", directory, ["bob@far.test"])


def test_check_sender_use(directory: Dir) -> None:
    def use(sender: str, **kw: object) -> str | None:
        args: dict[str, object] = {"user": None, "trusted": False, "directory": directory}
        args.update(kw)
        return check_sender_use(sender, **args)  # type: ignore[arg-type]

    bob = {"user": "bob@example.test"}
    assert use("", **bob) is None
    assert use("bob@example.test", **bob) is None
    refused = use("alice@example.test", **bob)
    assert refused is not None and refused.startswith("553 5.7.1 Sender address not owned by user")
    assert use("alice@example.test", own_check=False, **bob) is None
    # Not logged in, from outside: our own domains are refused, others not, <> always fine.
    refused = use("alice@example.test")
    assert refused is not None and refused.startswith("550 5.7.1")
    assert use("x@far.test") is None
    assert use("") is None
    assert use("alice@example.test", trusted=True) is None
    assert use("alice@example.test", local_check=False) is None


def test_quota_counts_every_mailbox_an_address_reaches(directory: Dir) -> None:
    directory.accounts["bob@example.test"] = Acct("bob@example.test", quota_bytes=1000)
    usage = {"bob@example.test": 1000}

    def rcpt(address: str) -> str:
        return check_recipient(address, directory=directory, may_relay=False,
                               usage_of=lambda a: usage.get(a, 0)).reply

    assert rcpt("<bob@example.test>").startswith("452 4.2.2")
    assert rcpt("<bobby@example.test>").startswith("452 4.2.2")
    assert rcpt("<staff@example.test>").startswith("250")  # alice has room
    directory.accounts["carol@example.test"] = Acct(
        "carol@example.test", forward=Fwd(("bob@example.test",)))
    assert rcpt("<carol@example.test>").startswith("452 4.2.2")
    usage["bob@example.test"] = 999
    assert rcpt("<bob@example.test>").startswith("250")


def test_recipients_over_quota(directory: Dir) -> None:
    directory.accounts["bob@example.test"] = Acct("bob@example.test", quota_bytes=1000)
    usage = {"bob@example.test": 900}
    asked: list[str] = []

    def size_in(mailbox: str) -> int:
        asked.append(mailbox)
        return 150

    over = recipients_over_quota(
        ["bob@example.test", "bobby@example.test", "staff@example.test", "x@far.test",
         "alice@example.test"],
        size_in, directory, lambda a: usage.get(a, 0))
    assert over == ["bob@example.test", "bobby@example.test"]
    assert set(asked) == {"bob@example.test"}  # only mailboxes with a quota are measured
    usage["bob@example.test"] = 850
    assert recipients_over_quota(["bob@example.test"], size_in, directory,
                                 lambda a: usage.get(a, 0)) == []
