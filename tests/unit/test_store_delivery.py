"""Delivery, APPEND, COPY and MOVE (appliance.store.delivery)."""

from __future__ import annotations

import os
import re
import threading

import pytest

from appliance.store import FolderError, Mailstore, QuotaExceeded
from appliance.store.delivery import delivery_header, stored_size, unique_base
from appliance.store.entry import index_entry
from appliance.store.maildir import read_uidlist

ALICE = "alice@example.test"
MULTI = (
    b"Subject: parts\nContent-Type: multipart/mixed; boundary=b\n\n"
    b"--b\nContent-Type: text/plain\n\none\n--b\nContent-Type: text/html\n\n<p>two</p>\n--b--\n"
)


def test_unique_base_and_delivery_header() -> None:
    counter = iter(range(7, 10))
    a, b = unique_base("host", counter), unique_base("host", counter)
    assert re.fullmatch(rf"\d+\.M\d+P{os.getpid()}Q7\.host", a) and a != b
    assert delivery_header("", "a@b.c") == b"Return-Path: <>\nDelivered-To: a@b.c\n"


def test_stored_size_is_what_delivery_writes(store: Mailstore) -> None:
    chunks = [b"Subject: s\r\n\r\n", b"line one\r\nline two\r\n"]
    size_in = stored_size(chunks, "s@x")
    d = store.deliver(ALICE, b"".join(chunks), return_path="s@x")
    assert size_in(ALICE) == d.size == d.path.stat().st_size
    assert f",S={d.size}," in d.path.name


def test_append_keeps_flags_date_and_refuses_missing_folder(store: Mailstore) -> None:
    acct = store.account(ALICE)
    acct.ensure()
    validity, uid = acct.append("Sent", b"Subject: a\r\n\r\nx\r\n",
                                flags=["\\Seen", "$Work", "\\Recent"], internaldate=1_700_000_000)
    state = acct.open("Sent")
    assert (state.uidvalidity, state.uids) == (validity, [uid])
    assert state.flags[uid] == "$Work \\Seen"
    (name,) = os.listdir(acct.path / ".Sent" / "cur")
    assert name.endswith(":2,Sa") and b"\r" not in (acct.path / ".Sent" / "cur" / name).read_bytes()
    assert acct.meta("Sent", [uid], ["internaldate"])[uid] == (1_700_000_000,)
    assert not os.listdir(acct.path / ".Sent" / "tmp")
    with pytest.raises(FolderError) as exc:
        acct.append("Nowhere", b"x")
    assert exc.value.code == "TRYCREATE"


def test_deliver_into_a_new_folder_creates_it(store: Mailstore) -> None:
    d = store.deliver(ALICE, b"Subject: filed\n\nx\n", return_path="s@x", folder="Lists/Python")
    assert d.path.parent == store.account(ALICE).path / ".Lists.Python" / "new"
    assert store.account(ALICE).open("Lists/Python").uids == [1]


def test_deliver_indexes_and_mirrors_uidlist(store: Mailstore) -> None:
    events: list[str] = []
    store.watch(ALICE, events.append)
    d = store.deliver(ALICE, b"Subject: one\r\n\r\nbody\r\n", return_path="s@x")
    assert d.path.parent.name == "new" and d.path.read_bytes().startswith(b"Return-Path: <s@x>\n")
    store.deliver(ALICE, b"Subject: two\r\n\r\nbody\r\n", return_path="s@x")
    assert events == ["INBOX", "INBOX"]
    acct = store.account(ALICE)
    state = acct.open("INBOX", claim_recent=True)
    assert state.uids == [1, 2] and state.recent_from == 1
    validity, nextuid, uids = read_uidlist(acct.path)
    assert validity == state.uidvalidity and nextuid == 3 and sorted(uids.values()) == [1, 2]
    acct.settle()
    assert not os.listdir(acct.path / "new")  # opening moved them to cur/, as Dovecot does
    meta = acct.meta("INBOX", [2], ["envelope"])
    assert b'"two"' in meta[2][0]
    for folder in ("Sent", "Drafts", "Trash", "Junk", "Archive"):
        assert (acct.path / f".{folder}" / "cur").is_dir()


def test_copy_move_expunge_and_changes(store: Mailstore) -> None:
    for i in range(3):
        store.deliver(ALICE, b"Subject: %d\n\nbody\n" % i, return_path="s@x")
    acct = store.account(ALICE)
    st = acct.open("INBOX", claim_recent=True)
    validity, pairs = acct.copy("INBOX", [1, 2], "Trash")
    assert pairs == [(1, 1), (2, 2)] and validity == acct.open("Trash").uidvalidity
    _, moved = acct.copy("INBOX", [3], "Archive", move=True)
    assert moved == [(3, 1)]
    acct.store_flags("INBOX", [1], "+", ["\\Deleted"])
    assert acct.expunge("INBOX") == [1]
    ch = acct.changes("INBOX", st.modseq)
    assert sorted(ch.expunged) == [1, 3] and 1 not in ch.flags
    assert acct.open("INBOX").uids == [2]
    used, count = store.usage(ALICE)
    assert count == 4  # INBOX 1 + Trash 2 + Archive 1
    files = [*acct.path.glob("[nc][eu][wr]/*"), *acct.path.glob(".*/[nc][eu][wr]/*")]
    assert used == sum(os.path.getsize(p) for p in files)


def test_concurrent_deliveries_get_unique_uids(store: Mailstore) -> None:
    def worker(n: int) -> None:
        for i in range(20):
            store.deliver(ALICE, b"Subject: %d-%d\n\nx\n" % (n, i), return_path="s@x")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    state = store.account(ALICE).open("INBOX")
    assert state.uids == list(range(1, 81))
    assert store.usage(ALICE)[1] == 80


def test_deliver_many_one_commit_quota_per_message_and_lazy_structure(store: Mailstore) -> None:
    events: list[str] = []
    store.watch(ALICE, events.append)
    big = b"Subject: big\n\n" + b"x" * 800
    results = store.deliver_many(
        ALICE,
        [(b"Subject: one\r\n\r\nbody\r\n", "s@x"), (big, "s@x"), (MULTI, "t@y"), (big, "s@x")],
        quota_bytes=1500,
    )
    assert isinstance(results[3], QuotaExceeded)  # the second big one no longer fits
    delivered = [r for r in results if not isinstance(r, Exception)]
    assert len(delivered) == 3 and all(d.path.parent.name == "new" for d in delivered)
    assert delivered[2].path.read_bytes().startswith(b"Return-Path: <t@y>\nDelivered-To: ")
    assert events == ["INBOX"]  # one notice for the batch
    acct = store.account(ALICE)
    state = acct.open("INBOX")
    assert state.uids == [1, 2, 3]
    # Delivery indexes the header fields; the MIME structure waits for a client.
    row = acct.db.execute("SELECT envelope IS NOT NULL, structure FROM message WHERE uid=3")
    assert row.fetchone() == (1, None)
    structure = acct.meta("INBOX", [3], ["structure"])[3][0]
    assert structure == index_entry(delivered[2].path.read_bytes()).structure
    assert store.usage(ALICE)[1] == 3
