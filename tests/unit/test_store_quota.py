"""Quota usage (appliance.store.quota): Maildir++ maildirsize."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.store import Mailstore, QuotaExceeded
from appliance.store.quota import (
    MAILDIRSIZE_MAX,
    add_usage,
    dir_usage,
    read_maildirsize,
    recalculate,
)
from tests.support.maildirs import make_maildir

ALICE = "alice@example.test"


def test_dir_usage_trusts_size_fields_and_stats_the_rest(tmp_path: Path) -> None:
    d = make_maildir(tmp_path)
    (d / "cur" / "1.M1P1.h,S=1000:2,S").write_bytes(b"short")  # the name is believed
    (d / "new" / "2.M1P1.h").write_bytes(b"x" * 7)
    (d / "tmp" / "3.M1P1.h,S=50").write_bytes(b"x")  # tmp/ does not count
    assert dir_usage(d) == (1007, 2)
    assert dir_usage(tmp_path / "missing") == (0, 0)


def test_recalculate_walks_folders_only(tmp_path: Path) -> None:
    home = make_maildir(tmp_path / "home")
    make_maildir(home / ".Sent")
    (home / ".Sent" / "cur" / "1.M1P1.h,S=30:2,S").write_bytes(b"")
    (home / "cur" / "2.M1P1.h,S=20:2,").write_bytes(b"")
    (home / ".dovecot.sieve").write_text("keep;")  # a dot-file, not a folder
    assert recalculate(home) == (50, 2)
    assert (home / "maildirsize").read_text() == "0S\n50 2\n"
    # Usage already known for a folder is taken as given.
    assert recalculate(home, {home: (5, 1)}) == (35, 2)


def test_add_usage_appends_and_read_sums(tmp_path: Path) -> None:
    home = make_maildir(tmp_path / "home")
    assert read_maildirsize(home) is None
    add_usage(home, 10, 1)  # no file yet: counted from the folders (empty)
    assert (home / "maildirsize").read_text() == "0S\n0 0\n"
    add_usage(home, 10, 1)
    add_usage(home, 25, 2)
    add_usage(home, -10, -1)
    assert read_maildirsize(home) == (25, 2)
    (home / "maildirsize").write_text("0S\nbroken line\n12 x\n")
    assert read_maildirsize(home) is None


def test_a_long_maildirsize_is_recalculated(store: Mailstore) -> None:
    acct = store.account(ALICE)
    acct.ensure()
    (acct.path / "cur" / "1.M1P1.h,S=40:2,").write_bytes(b"")
    lines = "".join("1 0\n" for _ in range(MAILDIRSIZE_MAX // 4 + 1))
    (acct.path / "maildirsize").write_text("0S\n" + lines)
    assert acct.usage() == (40, 1)
    assert (acct.path / "maildirsize").read_text() == "0S\n40 1\n"


def test_expunge_and_copy_keep_usage_in_step(store: Mailstore) -> None:
    for i in range(3):
        store.deliver(ALICE, b"Subject: %d\n\nbody\n" % i, return_path="s@x")
    acct = store.account(ALICE)
    acct.open("INBOX")
    assert store.usage(ALICE)[1] == 3
    acct.copy("INBOX", [1], "Trash")
    assert store.usage(ALICE)[1] == 4
    acct.store_flags("INBOX", [1, 2], "+", ["\\Deleted"])
    acct.expunge("INBOX")
    assert store.usage(ALICE)[1] == 2
    assert recalculate(acct.path) == store.usage(ALICE)


def test_quota_refuses_delivery(store: Mailstore) -> None:
    store.deliver(ALICE, b"Subject: a\n\n" + b"x" * 500, return_path="s@x", quota_bytes=1000)
    with pytest.raises(QuotaExceeded):
        store.deliver(ALICE, b"Subject: b\n\n" + b"x" * 500, return_path="s@x", quota_bytes=1000)
    acct = store.account(ALICE)
    with pytest.raises(QuotaExceeded):
        acct.append("INBOX", b"x" * 600, quota_bytes=1000)
