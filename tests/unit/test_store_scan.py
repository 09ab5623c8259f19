"""The directory scan (appliance.store.scan): listing, reconciling, rows for new files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from appliance.store import Mailstore
from appliance.store.maildir import read_uidlist
from appliance.store.scan import list_folder, reconcile, rows_from_names, rows_one_by_one
from tests.support.maildirs import make_maildir

ALICE = "alice@example.test"


def test_list_folder_prefers_cur_and_skips_dot_files(tmp_path: Path) -> None:
    d = make_maildir(tmp_path)
    (d / "new" / "1.M1P1.h,S=5").write_bytes(b"x")
    (d / "cur" / "1.M1P1.h,S=5:2,S").write_bytes(b"x")  # the same message, both places
    (d / "new" / "2.M1P1.h").write_bytes(b"x")
    (d / "cur" / ".hidden").write_bytes(b"x")
    on_disk, listed_new = list_folder(d)
    assert on_disk == {"1.M1P1.h,S=5": "cur/1.M1P1.h,S=5:2,S", "2.M1P1.h": "new/2.M1P1.h"}
    assert listed_new
    (d / "new" / "1.M1P1.h,S=5").unlink()
    (d / "new" / "2.M1P1.h").unlink()
    assert list_folder(d)[1] is False


def test_reconcile_finds_gone_renamed_and_kept() -> None:
    rows = [(1, "a", "cur/a:2,"), (2, "b", "new/b"), (3, "c", "cur/c:2,S")]
    on_disk = {"a": "cur/a:2,", "b": "cur/b:2,Fa", "d": "new/d"}
    found = reconcile(rows, on_disk, ["$Label1"])
    assert found.indexed == {"a", "b"}
    assert found.gone == [3]
    assert found.updates == [("cur/b:2,Fa", "$Label1 \\Flagged", 2)]


def test_rows_from_names_needs_both_sizes_in_every_name() -> None:
    files = [("1.M1P1.h,S=10,W=12", "cur/1.M1P1.h,S=10,W=12:2,S"),
             ("2.M1P1.h,S=20,W=23", "new/2.M1P1.h,S=20,W=23")]
    assert rows_from_names(files, 7, []) == [
        (7, "1.M1P1.h,S=10,W=12", "cur/1.M1P1.h,S=10,W=12:2,S", "\\Seen", 10, 12),
        (8, "2.M1P1.h,S=20,W=23", "new/2.M1P1.h,S=20,W=23", "", 20, 23),
    ]
    assert rows_from_names([*files, ("3.M1P1.h,S=5", "new/3.M1P1.h,S=5")], 1, []) is None


def test_rows_from_names_stats_only_the_unsized_names(tmp_path: Path) -> None:
    d = make_maildir(tmp_path)
    (d / "new" / "2.agent").write_bytes(b"1234567")
    files = [("1.M1P1.h,S=10,W=12", "cur/1.M1P1.h,S=10,W=12:2,S"),
             ("2.agent", "new/2.agent"),
             ("3.gone", "new/3.gone"),  # vanished meanwhile: its UID stays unused
             ("4.M1P1.h,S=5,W=6", "new/4.M1P1.h,S=5,W=6")]
    assert rows_from_names(files, 1, [], d) == [
        (1, "1.M1P1.h,S=10,W=12", "cur/1.M1P1.h,S=10,W=12:2,S", "\\Seen", 10, 12),
        (2, "2.agent", "new/2.agent", "", 7, None),
        (4, "4.M1P1.h,S=5,W=6", "new/4.M1P1.h,S=5,W=6", "", 5, 6),
    ]
    # The same as the one-at-a-time path gives a folder never indexed.
    assert rows_one_by_one(files, d, 1, set(), {}, [])[0] == rows_from_names(files, 1, [], d)


def test_new_mail_moves_to_cur_after_the_answer(store: Mailstore) -> None:
    store.deliver(ALICE, b"Subject: a\n\nx\n", return_path="s@x")
    acct = store.account(ALICE)
    state = acct.open("INBOX", claim_recent=True)
    assert state.uids == [1] and acct.read("INBOX", 1) is not None  # before or after the move
    acct.settle()
    assert not os.listdir(acct.path / "new")
    (name,) = acct.meta("INBOX", [1], ["name"])[1]
    assert name.startswith("cur/") and name.endswith(":2,")
    # Delivered since: moved again by the next open, which needs no rescan for it.
    store.deliver(ALICE, b"Subject: b\n\nx\n", return_path="s@x")
    acct.open("INBOX", claim_recent=True)
    acct.settle()
    assert not os.listdir(acct.path / "new") and len(os.listdir(acct.path / "cur")) == 2
    # A read-only open (EXAMINE) leaves new/ alone.
    store.deliver(ALICE, b"Subject: c\n\nx\n", return_path="s@x")
    acct.open("INBOX")
    acct.settle()
    assert len(os.listdir(acct.path / "new")) == 1


def test_rows_one_by_one_keeps_known_uids_and_stats_unsized_files(tmp_path: Path) -> None:
    d = make_maildir(tmp_path)
    (d / "new" / "c.nosize").write_bytes(b"123456")
    files = [("a,S=10", "cur/a,S=10:2,T"), ("b,S=3,W=4", "cur/b,S=3,W=4:2,"),
             ("c.nosize", "new/c.nosize"), ("gone.nosize", "new/gone.nosize")]
    taken = {5}
    rows, uidnext = rows_one_by_one(files, d, 6, taken, {"a,S=10": 40, "b,S=3,W=4": 5}, [])
    # a keeps its UID; b's is taken, so it gets the next free one, after a's.
    assert rows == [
        (40, "a,S=10", "cur/a,S=10:2,T", "\\Deleted", 10, None),
        (41, "b,S=3,W=4", "cur/b,S=3,W=4:2,", "", 3, 4),
        (42, "c.nosize", "new/c.nosize", "", 6, None),
    ]
    assert uidnext == 44  # the vanished file used up a UID: never handed out twice
    assert taken == {5, 40, 41, 42, 43}


def test_first_sight_of_a_big_folder_fast_path(store: Mailstore) -> None:
    acct = store.account(ALICE)
    acct.ensure()
    for i in range(250):  # more than one batch of a hundred rows
        body = b"Subject: %d\n\nx\n" % i
        name = f"{1000 + i}.M1P1.h,S={len(body)},W={len(body) + 3}" + (":2,S" if i % 2 else "")
        (acct.path / ("cur" if i % 2 else "new") / name).write_bytes(body)
    state = acct.open("INBOX", claim_recent=True)
    assert state.uids == list(range(1, 251))
    assert state.flags[2] == "\\Seen" and state.flags[1] == ""
    acct.settle()
    assert not os.listdir(acct.path / "new")
    validity, nextuid, uids = read_uidlist(acct.path)
    assert nextuid == 251 and sorted(uids.values()) == state.uids
    assert store.usage(ALICE)[1] == 250
    # A second open finds nothing to do and the same state.
    again = acct.open("INBOX")
    assert again.uids == state.uids and again.modseq == acct.open("INBOX").modseq


def test_external_changes_and_first_sight(store: Mailstore) -> None:
    acct = store.account(ALICE)
    acct.ensure()
    # A Maildir filled by someone else (an import, Dovecot): seen on first open.
    (acct.path / "cur" / "100.M1P1.other:2,S").write_bytes(b"Subject: old\n\nold\n")
    (acct.path / "new" / "200.M1P1.other").write_bytes(b"Subject: new\n\nnew\n")
    state = acct.open("INBOX", claim_recent=True)
    assert state.uids == [1, 2] and state.flags[1] == "\\Seen"
    assert b'"new"' in acct.meta("INBOX", [2], ["envelope"])[2][0]
    acct.settle()  # new/ moved to cur/ in the background
    # Flags changed and a file removed behind our back: picked up by a rescan.
    cur = acct.path / "cur"
    os.rename(cur / "100.M1P1.other:2,S", cur / "100.M1P1.other:2,FS")
    (new_name,) = [n for n in os.listdir(cur) if n.startswith("200")]
    os.unlink(cur / new_name)
    ch = acct.changes("INBOX", state.modseq, rescan=True)
    assert ch.flags == {1: "\\Flagged \\Seen"} and ch.expunged == [2]


def test_uids_come_back_from_dovecot_uidlist(store: Mailstore) -> None:
    acct = store.account(ALICE)
    acct.ensure()
    (acct.path / "cur" / "100.M1P1.d:2,").write_bytes(b"Subject: a\n\na\n")
    (acct.path / "cur" / "101.M1P1.d:2,").write_bytes(b"Subject: b\n\nb\n")
    (acct.path / "dovecot-uidlist").write_text(
        "3 V1234 N40\n17 :100.M1P1.d\n33 :101.M1P1.d\n")
    state = acct.open("INBOX")
    assert state.uidvalidity == 1234 and state.uids == [17, 33] and state.uidnext == 40


def test_first_sight_reads_sizes_from_names_and_dates_lazily(store: Mailstore) -> None:
    acct = store.account(ALICE)
    acct.ensure()
    body = b"Subject: sized\nFrom: A <a@example.org>\n\nline\n"
    # Sizes in the name, as delivery writes them: trusted without a stat.
    vsize = len(body) + body.count(b"\n")
    name = f"100.M1P1.other,S={len(body)},W={vsize}:2,S"
    (acct.path / "cur" / name).write_bytes(body)
    os.utime(acct.path / "cur" / name, (1_700_000_000, 1_700_000_000))
    (acct.path / "new" / "200.M1P1.nosize").write_bytes(body)
    state = acct.open("INBOX")
    assert state.uids == [1, 2]
    rows = acct.meta("INBOX", [1, 2], ["vsize", "internaldate"])
    assert rows[1] == (len(body) + 4, 1_700_000_000)
    assert rows[2][0] == len(body) + 4 and rows[2][1] > 1_700_000_000  # mtime, read on demand
    assert store.usage(ALICE) == (2 * len(body), 2)


def test_old_index_is_rebuilt_with_the_same_uids(store: Mailstore) -> None:
    for i in range(3):
        store.deliver(ALICE, b"Subject: %d\n\nbody\n" % i, return_path="s@x")
    acct = store.account(ALICE)
    before = acct.open("INBOX")
    acct.db.execute("PRAGMA user_version=1")  # as an index from an older Mailroom
    store.close()
    again = Mailstore(store.root, "host.test").account(ALICE).open("INBOX")
    assert (again.uidvalidity, again.uids) == (before.uidvalidity, before.uids)


def test_envelopes_of_another_render_form_are_made_again(store: Mailstore) -> None:
    store.deliver(ALICE, b"Subject: fresh\n\nx\n", return_path="s@x")
    acct = store.account(ALICE)
    acct.open("INBOX")
    (env,) = acct.meta("INBOX", [1], ["envelope"])[1]
    with acct._write() as db:  # as an older Mailroom left them
        db.execute("UPDATE message SET envelope=X'4E494C', structure=X'4E494C'")
        db.execute("UPDATE meta SET value='1' WHERE key='render_form'")
    store.close()
    again = Mailstore(store.root, "host.test").account(ALICE)
    state = again.open("INBOX")
    assert state.uids == [1]
    assert again.meta("INBOX", [1], ["envelope"])[1] == (env,)
    assert again.meta("INBOX", [1], ["structure"])[1][0].startswith(b'("TEXT" "PLAIN"')


def test_accounts_nobody_holds_are_let_go(store: Mailstore,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import appliance.store

    monkeypatch.setattr(appliance.store, "KEEP_ACCOUNTS", 3)
    KEEP_ACCOUNTS = 3  # noqa: N806
    held = store.account("held@example.test")
    held.open("INBOX")
    for i in range(KEEP_ACCOUNTS + 4):
        store.account(f"user{i}@example.test").open("INBOX")
    # The last ones used stay open, the older ones are gone with their index
    # connection, and one a session still holds is the same object for everyone.
    assert len(store._accounts) == KEEP_ACCOUNTS + 1
    assert store.account("held@example.test") is held
    assert store.account("user0@example.test").open("INBOX").uids == []
    store.close()
