"""SEARCH over a real store (appliance.imap.search.search_uids), the SQL prefilter's
text, and the command over a socket."""

from __future__ import annotations

import imaplib
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.imap.parser import tokenize
from appliance.imap.search import parse_search, required_text, search_uids
from appliance.imap.selection import Selected
from appliance.store import Account, Mailstore
from tests.support.readmail import USERS, ReadMail, sample_message

ALICE = "alice@example.test"


def tree(text: str) -> tuple:
    return parse_search(tokenize([text.encode()], []))[1]


@pytest.fixture
def inbox(tmp_path: Path) -> Iterator[tuple[Account, Selected]]:
    store = Mailstore(tmp_path / "mail", "mail.example.test")
    for i, (subject, body) in enumerate([("Lunch plans", "see you at noon\n"),
                                         ("Invoice 42", "amount due " + "x" * 3000 + "\n"),
                                         ("Re: lunch", "Grüße, bis gleich\n")]):
        store.deliver(ALICE, sample_message(subject, body, to=f"t{i}@example.test"),
                      return_path="s@example.org")
    acct = store.account(ALICE)
    sel = Selected.opened(acct.open("INBOX", claim_recent=True), readonly=False)
    yield acct, sel
    store.close()


def test_required_text_only_when_every_match_needs_it() -> None:
    assert required_text(tree("SUBJECT lunch")) == "lunch"
    assert required_text(tree("UNSEEN FROM Bob")) == "bob"
    assert required_text(tree("OR SUBJECT a SUBJECT b")) is None
    assert required_text(tree("NOT SUBJECT a")) is None
    assert required_text(tree('SUBJECT ""')) is None


def test_search_by_header_body_size_flags(inbox: tuple[Account, Selected]) -> None:
    acct, sel = inbox
    assert search_uids(acct, sel, tree("SUBJECT lunch")) == [1, 3]
    assert search_uids(acct, sel, tree("TO t1@example.test")) == [2]
    assert search_uids(acct, sel, tree("BODY grüße")) == [3]
    assert search_uids(acct, sel, tree("BODY GRÜSSE")) == [3]  # case-folded: ß is ss
    assert search_uids(acct, sel, tree("TEXT noon")) == [1]
    assert search_uids(acct, sel, tree("LARGER 2000")) == [2]
    assert search_uids(acct, sel, tree("NOT SUBJECT lunch SMALLER 2000")) == []
    assert search_uids(acct, sel, tree("RECENT")) == [1, 2, 3]
    acct.store_flags("INBOX", [3], "+", ["\\Seen"])
    sel.set_flags(3, "\\Seen")  # as the session learns it from STORE or change reporting
    assert search_uids(acct, sel, tree("UNSEEN SUBJECT lunch")) == [1]
    assert search_uids(acct, sel, tree("2:* SEEN")) == [3]
    assert search_uids(acct, sel, tree("UID 2:*")) == [2, 3]


def test_search_skips_what_another_session_expunged(inbox: tuple[Account, Selected]) -> None:
    acct, sel = inbox
    acct.store_flags("INBOX", [1], "+", ["\\Deleted"])
    acct.expunge("INBOX")
    # The session still shows UID 1 until it may report the EXPUNGE: it just never matches.
    assert list(sel.uids) == [1, 2, 3]
    assert search_uids(acct, sel, tree("SUBJECT lunch")) == [3]
    assert search_uids(acct, sel, tree("BODY noon")) == []


def test_search_command_numbers_and_charset(tmp_path: Path) -> None:
    mail = ReadMail(tmp_path / "rm")
    try:
        for subject in ("alpha", "beta", "alpha two"):
            mail.deliver(ALICE, sample_message(subject))
        c = imaplib.IMAP4("127.0.0.1", mail.port(mail.imap), timeout=10)
        c.login(ALICE, USERS[ALICE])
        c.select("INBOX")
        c.store("1", "+FLAGS", "(\\Deleted)")
        c.expunge()
        assert c.search(None, "SUBJECT", "alpha") == ("OK", [b"2"])  # sequence numbers
        assert c.uid("SEARCH", None, "SUBJECT", "alpha") == ("OK", [b"3"])
        assert c.search("UTF-8", "SUBJECT", "beta") == ("OK", [b"1"])
        typ, data = c.search("KOI8-R", "SUBJECT", "beta")
        assert typ == "NO" and b"BADCHARSET" in data[0]
        with pytest.raises(imaplib.IMAP4.error):
            c.search(None, "NOSUCHKEY")
        c.logout()
    finally:
        mail.stop()
