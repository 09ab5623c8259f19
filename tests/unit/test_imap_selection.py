"""The selected mailbox (appliance.imap.selection): sequence numbers, message sets,
change reporting and the SELECT responses, without a server."""

from __future__ import annotations

import imaplib
from pathlib import Path

import pytest

from appliance.imap.selection import Selected, select_responses
from appliance.imap.state import Bad
from appliance.store import Changes
from tests.support.readmail import USERS, ReadMail, sample_message

ALICE = "alice@example.test"


def selected(uids: list[int], *, recent_from: int = 1000, readonly: bool = False,
             flags: dict[int, str] | None = None) -> Selected:
    return Selected("INBOX", readonly, 77, (uids[-1] + 1) if uids else 1, 5, list(uids),
                    flags if flags is not None else dict.fromkeys(uids, ""), recent_from)


def test_sequence_numbers_follow_the_uid_list() -> None:
    sel = selected([3, 5, 9])
    assert [sel.seq_of(u) for u in (3, 5, 9, 4, 10, 1)] == [1, 2, 3, 0, 0, 0]


def test_message_sets_by_sequence_and_by_uid() -> None:
    sel = selected([3, 5, 9, 12])
    assert sel.uids_of("1:2", False) == [3, 5]
    assert sel.uids_of("*", False) == [12]
    assert sel.uids_of("4:2", False) == [5, 9, 12]
    assert sel.uids_of("3:9", True) == [3, 5, 9]
    assert sel.uids_of("10:*", True) == [12]
    assert sel.uids_of("100:*", True) == [12]  # "*" is the largest UID, even below 100
    assert sel.uids_of("4,6:8", True) == []
    with pytest.raises(Bad):
        sel.uids_of("5", False)
    assert selected([]).uids_of("1:*", False) == []


def test_new_messages_are_reported_with_exists_and_recent() -> None:
    sel = selected([1, 2], recent_from=3)
    lines = sel.apply(Changes(6, 5, {3: "", 4: "\\Seen"}, [], 3), allow_expunge=True)
    assert lines == [b"* 4 EXISTS", b"* 2 RECENT"]
    assert list(sel.uids) == [1, 2, 3, 4] and sel.flags_of(4) == "\\Seen"
    assert sel.modseq == 6 and sel.uidnext == 5
    # A read-only (EXAMINE) view never claims \Recent.
    ro = selected([1], readonly=True)
    assert ro.apply(Changes(6, 3, {2: ""}, [], 2), allow_expunge=True) == [
        b"* 2 EXISTS", b"* 0 RECENT"]


def test_flag_changes_are_reported_as_fetch() -> None:
    sel = selected([1, 2, 3], recent_from=3)
    lines = sel.apply(Changes(6, 4, {2: "\\Flagged", 3: "\\Seen"}, [], 4), allow_expunge=True)
    assert lines == [b"* 2 FETCH (UID 2 FLAGS (\\Flagged))",
                     b"* 3 FETCH (UID 3 FLAGS (\\Seen \\Recent))"]
    assert sel.apply(Changes(7, 4, {2: "\\Flagged"}, [], 4), allow_expunge=True) == []


def test_expunges_wait_until_sequence_numbers_may_shift() -> None:
    sel = selected([1, 2, 3, 4])
    # During FETCH/STORE/SEARCH: held back, the view is unchanged.
    assert sel.apply(Changes(6, 5, {}, [2, 4], 5), allow_expunge=False) == []
    assert list(sel.uids) == [1, 2, 3, 4] and sel.pending_expunge == {2, 4}
    # Next command that allows them: highest first, so each number is still right.
    assert sel.apply(Changes(6, 5, {}, [], 5), allow_expunge=True) == [
        b"* 4 EXPUNGE", b"* 2 EXPUNGE"]
    assert list(sel.uids) == [1, 3] and not sel.pending_expunge
    assert not sel.knows(2) and not sel.knows(4)
    # A message added and expunged between two looks is never announced.
    assert sel.apply(Changes(8, 7, {5: ""}, [5, 6], 7), allow_expunge=True) == []
    assert list(sel.uids) == [1, 3]


def test_flags_and_recent_per_message() -> None:
    sel = selected([2, 4, 6], recent_from=4, flags={2: "\\Seen", 4: "", 6: "\\Seen $Work"})
    assert [sel.flags_of(u) for u in (2, 4, 6, 5)] == ["\\Seen", "", "\\Seen $Work", ""]
    assert [sel.is_recent(u) for u in (2, 4, 6, 5)] == [False, True, True, False]
    assert sel.at(2) == ("\\Seen $Work", True) and sel.flags_and_recent(2) == ("\\Seen", False)
    assert sel.recent_count() == 2 and sel.first_unseen() == 2 and sel.keywords() == ["$Work"]
    sel.set_flags(4, "\\Seen")
    sel.set_flags(6, "\\Seen")
    sel.set_flags(5, "\\Deleted")  # not in view: nothing to change
    assert sel.at(1) == ("\\Seen", True) and sel.recent_count() == 2
    assert sel.first_unseen() == 0 and sel.keywords() == [] and not sel.knows(5)


def test_many_distinct_flag_sets() -> None:
    # A keyword per message: more combinations than a 16-bit index holds.
    n = 0x10000 + 10
    sel = selected(list(range(1, n + 1)), flags={u: f"k{u}" for u in range(1, n + 1)})
    assert sel.flags_of(n) == f"k{n}" and sel.flags_of(1) == "k1"
    sel = selected(list(range(1, 0x10000 + 1)), flags={u: f"k{u}" for u in range(1, 0x10001)})
    sel.apply(Changes(6, 0x10010, {1: "new-1", 0x10005: "new-2"}, [], 0x10010),
              allow_expunge=True)
    assert sel.flags_of(1) == "new-1" and sel.flags_of(0x10005) == "new-2"
    assert sel.flags_of(0x10000) == f"k{0x10000}"


def test_select_responses() -> None:
    sel = selected([1, 2, 3], recent_from=3,
                   flags={1: "\\Seen", 2: "$Work \\Seen", 3: "Later"})
    lines = select_responses(sel)
    assert lines[0] == (b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft "
                        b"$Work Later)")
    assert lines[1].startswith(b"* OK [PERMANENTFLAGS (\\Answered") and b"\\*)]" in lines[1]
    assert lines[2:] == [b"* 3 EXISTS", b"* 1 RECENT", b"* OK [UNSEEN 3] first unseen",
                         b"* OK [UIDVALIDITY 77] UIDs valid",
                         b"* OK [UIDNEXT 4] predicted next UID"]
    ro = selected([1], readonly=True, flags={1: "\\Seen"})
    lines = select_responses(ro)
    assert lines[1] == b"* OK [PERMANENTFLAGS ()] flags permitted"
    assert not any(b"UNSEEN" in line for line in lines)


def test_examine_close_unselect_over_a_socket(tmp_path: Path) -> None:
    mail = ReadMail(tmp_path / "rm")
    try:
        for i in range(3):
            mail.deliver(ALICE, sample_message(f"sel-{i}"))
        c = imaplib.IMAP4("127.0.0.1", mail.port(mail.imap), timeout=10)
        c.login(ALICE, USERS[ALICE])
        # EXAMINE: read-only, claims no \Recent, refuses STORE and leaves \Deleted mail on CLOSE.
        assert c.select("INBOX", readonly=True) == ("OK", [b"3"])
        assert c.untagged_responses.get("RECENT") == [b"0"]
        assert c.store("1", "+FLAGS", "(\\Deleted)")[0] == "NO"
        c.close()
        # SELECT claims the \Recent EXAMINE left: a second SELECT sees none.
        assert c.select("INBOX") == ("OK", [b"3"])
        assert c.untagged_responses.get("RECENT") == [b"3"]
        assert c.select("INBOX") == ("OK", [b"3"])
        assert c.untagged_responses.get("RECENT") == [b"0"]
        c.store("1", "+FLAGS", "(\\Deleted)")
        assert c._simple_command("UNSELECT")[0] == "OK"  # leaves \Deleted mail alone
        assert c.select("INBOX") == ("OK", [b"3"])
        assert c.fetch("1", "(UID)")[0] == "OK"
        c.close()  # expunges what is \Deleted, without EXPUNGE responses
        assert "EXPUNGE" not in c.untagged_responses
        assert c.select("INBOX") == ("OK", [b"2"])
        assert c.fetch("1", "(FLAGS)")[0] == "OK"
        assert c._simple_command("CLOSE")[0] == "OK"
        with pytest.raises(imaplib.IMAP4.error):  # no mailbox selected any more
            c.fetch("1", "(FLAGS)")
        c.logout()
    finally:
        mail.stop()
