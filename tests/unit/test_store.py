"""The mail store: folder names, MIME parsing for the index, and the Maildir index."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from appliance.store import FolderError, Mailstore, QuotaExceeded
from appliance.store.account import index_entry
from appliance.store.maildir import read_uidlist
from appliance.store.mime import parse_message, section_bytes, to_crlf
from appliance.store.names import (
    BadFolderName,
    decode_mutf7,
    encode_mutf7,
    folder_dirname,
    normalize_folder,
)

ALICE = "alice@example.test"

MULTI = (
    b"From: =?utf-8?q?J=C3=B6rg?= <jorg@example.org>\n"
    b"To: a@example.test, \"B, Bee\" <b@example.test>\n"
    b"Subject: =?utf-8?b?R3LDvMOfZQ==?=\n"
    b"Date: Tue, 24 Nov 2026 10:00:00 +0100\n"
    b"Message-ID: <m1@example.org>\n"
    b"Content-Type: multipart/mixed; boundary=\"outer\"\n\n"
    b"preamble\n--outer\nContent-Type: text/plain; charset=utf-8\n\nhello \xc3\xa9\n"
    b"--outer\nContent-Type: multipart/alternative; boundary=inner\n\n"
    b"--inner\nContent-Type: text/plain\n\nalt text\n--inner\nContent-Type: text/html\n\n"
    b"<p>alt</p>\n--inner--\n"
    b"--outer\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n"
    b"Subject: inner\nFrom: x@y.z\n\ninner body\n"
    b"--outer--\nepilogue\n"
)


# -- names -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["INBOX", "Entwürfe", "日本語", "a&b", "Work/Projekt ä", "~x&"])
def test_mutf7_round_trip(name: str) -> None:
    assert decode_mutf7(encode_mutf7(name)) == name
    assert encode_mutf7(name).isascii()


def test_mutf7_known_values() -> None:
    assert encode_mutf7("Entwürfe") == "Entw&APw-rfe"
    assert encode_mutf7("a&b") == "a&-b"
    assert decode_mutf7("&ZeVnLIqe-") == "日本語"
    with pytest.raises(BadFolderName):
        decode_mutf7("&ZeVn")


@pytest.mark.parametrize("bad", ["", "..", "../x", "/abs", "a//b", "a/", "a.b", "a\\b",
                                 "x*", "x%", "a\x01", "~root", "a/" * 20 + "a"])
def test_bad_folder_names_refused(bad: str) -> None:
    with pytest.raises(BadFolderName):
        normalize_folder(bad)


def test_folder_dirnames() -> None:
    assert normalize_folder("inbox") == "INBOX"
    assert folder_dirname("INBOX") == ""
    assert folder_dirname("Work/Projekt") == ".Work.Projekt"
    assert folder_dirname("Entwürfe") == ".Entw&APw-rfe"


# -- MIME ----------------------------------------------------------------------


def test_envelope_and_structure() -> None:
    e = index_entry(MULTI)
    assert e.envelope.startswith(b'("Tue, 24 Nov 2026 10:00:00 +0100" "=?utf-8?b?R3LDvMOfZQ==?="')
    assert b'("B, Bee" NIL "b" "example.test")' in e.envelope
    assert b'"<m1@example.org>")' in e.envelope
    s = e.structure
    assert s.startswith(b'(("TEXT" "PLAIN" ("charset" "utf-8") NIL NIL "7BIT" 8 1')
    assert b'"ALTERNATIVE"' in s and b'"MIXED" ("boundary" "outer")' in s
    assert b'("MESSAGE" "RFC822" NIL NIL NIL "7BIT"' in s
    assert b'("attachment" NIL)' in s
    assert "subject: grüsse" in e.search  # decoded and case-folded
    assert e.vsize == len(to_crlf(MULTI))


def test_sections() -> None:
    root = parse_message(MULTI)
    assert section_bytes(MULTI, root, [1], "") == b"hello \xc3\xa9"
    assert section_bytes(MULTI, root, [2, 1], "") == b"alt text"
    assert section_bytes(MULTI, root, [2, 2], "MIME") == b"Content-Type: text/html\n\n"
    assert section_bytes(MULTI, root, [3], "HEADER") == b"Subject: inner\nFrom: x@y.z\n\n"
    assert section_bytes(MULTI, root, [3], "TEXT") == b"inner body"
    assert section_bytes(MULTI, root, [3, 1], "") == b"inner body"
    assert section_bytes(MULTI, root, [], "HEADER.FIELDS", [b"subject"]) == (
        b"Subject: =?utf-8?b?R3LDvMOfZQ==?=\n\n"
    )
    assert section_bytes(MULTI, root, [9], "") is None
    single = b"Subject: s\n\nbody\n"
    assert section_bytes(single, parse_message(single), [1], "") == b"body\n"


def test_parser_tolerates_garbage() -> None:
    for data in (b"", b"\n", b"no header at all", b"Content-Type: multipart/mixed\n\nx",
                 b"Content-Type: multipart/mixed; boundary=b\n\n--b\n" * 1000):
        e = index_entry(data)
        assert e.structure.startswith(b"(")


# -- store -------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Mailstore:
    return Mailstore(tmp_path, "host.test")


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
    assert not os.listdir(acct.path / "new")  # opening moved them to cur/, as Dovecot does
    meta = acct.meta("INBOX", [2], ["envelope"])
    assert b'"two"' in meta[2][0]
    for folder in ("Sent", "Drafts", "Trash", "Junk", "Archive"):
        assert (acct.path / f".{folder}" / "cur").is_dir()


def test_flags_keywords_and_file_names(store: Mailstore) -> None:
    store.deliver(ALICE, b"Subject: x\n\nx\n", return_path="s@x")
    acct = store.account(ALICE)
    acct.open("INBOX", claim_recent=True)
    assert acct.store_flags("INBOX", [1], "+", ["\\Seen", "\\Flagged", "$Label1"]) == {
        1: "$Label1 \\Flagged \\Seen"
    }
    (name,) = os.listdir(acct.path / "cur")
    assert name.endswith(":2,FSa")
    assert (acct.path / "dovecot-keywords").read_text() == "0 $Label1\n"
    acct.store_flags("INBOX", [1], "-", ["\\Flagged"])
    assert os.listdir(acct.path / "cur")[0].endswith(":2,Sa")
    # A fresh process (new Mailstore) sees the same UIDs and flags.
    again = Mailstore(store.root, "host.test").account(ALICE).open("INBOX")
    assert again.flags == {1: "$Label1 \\Seen"}


def test_external_changes_and_first_sight(store: Mailstore) -> None:
    acct = store.account(ALICE)
    acct.ensure()
    # A Maildir filled by someone else (an import, Dovecot): seen on first open.
    (acct.path / "cur" / "100.M1P1.other:2,S").write_bytes(b"Subject: old\n\nold\n")
    (acct.path / "new" / "200.M1P1.other").write_bytes(b"Subject: new\n\nnew\n")
    state = acct.open("INBOX", claim_recent=True)
    assert state.uids == [1, 2] and state.flags[1] == "\\Seen"
    assert b'"new"' in acct.meta("INBOX", [2], ["envelope"])[2][0]
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
    files = [*acct.path.glob("cur/*"), *acct.path.glob(".*/cur/*")]
    assert used == sum(os.path.getsize(p) for p in files)


def test_quota_refuses_delivery(store: Mailstore) -> None:
    store.deliver(ALICE, b"Subject: a\n\n" + b"x" * 500, return_path="s@x", quota_bytes=1000)
    with pytest.raises(QuotaExceeded):
        store.deliver(ALICE, b"Subject: b\n\n" + b"x" * 500, return_path="s@x", quota_bytes=1000)
    acct = store.account(ALICE)
    with pytest.raises(QuotaExceeded):
        acct.append("INBOX", b"x" * 600, quota_bytes=1000)


def test_folder_operations(store: Mailstore) -> None:
    acct = store.account(ALICE)
    acct.ensure()
    acct.create_folder("Work/Projekt")
    assert {"Work", "Work/Projekt"} <= set(acct.folders())
    with pytest.raises(FolderError):
        acct.create_folder("Work")
    acct.rename_folder("Work", "Jobs")
    assert "Jobs/Projekt" in acct.folders() and "Work" not in acct.folders()
    acct.delete_folder("Jobs/Projekt")
    assert "Jobs/Projekt" not in acct.folders()
    with pytest.raises(FolderError):
        acct.delete_folder("INBOX")
    with pytest.raises(BadFolderName):
        acct.create_folder("../../etc")
    assert not (store.root / "etc").exists()


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


@pytest.mark.parametrize("value", [
    "Budget Sender <s1@example.org>", "a@b.example, c@d.example", "J. Smith <j@x.org>",
    "Foo   Bar <a@b.c>", "=?UTF-8?B?w6k=?= <a@b.c>", "Grüße Sender <a@b.c>", "<a@b.c>",
    "Foo Bar <a@b.c>,", '"Quoted, Name" <q@x.org>', "x@y (comment)", "Group: a@b.c, d@e.f;",
    "undisclosed-recipients:;", "plain", "", "Foo <>", "a@b.c <c@d.e>", "O'Brien <o@x.org>",
])
def test_fast_address_path_matches_the_full_parser(value: str) -> None:
    from appliance.addresses import header_addresses
    from appliance.store import mime

    items = []
    for name, addr in header_addresses([value]):
        local, at, host = addr.rpartition("@")
        if not at:
            local, host = addr, ""
        items.append(b"(" + mime.imap_nstring(name.encode() if name else None) + b" NIL "
                     + mime.imap_nstring(local.encode()) + b" "
                     + mime.imap_nstring(host.encode() if host else None) + b")")
    expected = b"(" + b"".join(items) + b")" if items else b"NIL"
    assert mime._addresses(value.encode()) == expected


def test_encoded_words_decoded_for_search() -> None:
    from appliance.store.account import header_entry

    _, search, env = header_entry(
        b"Subject: =?UTF-8?B?R3LDvMOfZQ==?= =?utf-8?q?_und_Caf=C3=A9?= x\n"
        b"From: =?bogus?q?x?= <a@b.c>\nTo: b@c.d\n")
    assert "subject: grüsse und café x" in search
    assert "from: =?bogus?q?x?= <a@b.c>" in search
    assert env.startswith(b'(NIL "=?UTF-8?B?R3LDvMOfZQ==?= =?utf-8?q?_und_Caf=C3=A9?= x" '
                          b'(("=?bogus?q?x?=" NIL "a" "b.c"))')


def test_deliver_many_one_commit_quota_per_message_and_lazy_structure(store: Mailstore) -> None:
    events: list[str] = []
    store.watch(ALICE, events.append)
    big = b"Subject: big\n\n" + b"x" * 800
    results = store.deliver_many(
        ALICE,
        [(b"Subject: one\r\n\r\nbody\r\n", "s@x"), (big, "s@x"), (MULTI, "t@y"), (big, "s@x")],
        quota_bytes=2000,
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
