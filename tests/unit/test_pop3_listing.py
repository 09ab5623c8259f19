"""POP3's per-session maildrop listing and response helpers."""

from __future__ import annotations

from appliance.pop3 import Listing, dot_stuff, top_lines, uidl


def test_listing_is_a_sequence_of_uid_and_size() -> None:
    listing = Listing([(3, 100), (7, 2_000_000_000_000)])
    assert len(listing) == 2
    assert listing[0] == (3, 100) and listing[1] == (7, 2_000_000_000_000)
    assert list(listing) == [(3, 100), (7, 2_000_000_000_000)]
    assert [n for n, (uid, size) in enumerate(listing, 1)] == [1, 2]
    assert sum(listing.sizes) == 2_000_000_000_100
    assert len(Listing()) == 0


def test_response_helpers() -> None:
    assert uidl(0x1A, 0x5F00) == "0000001A00005F00"
    assert dot_stuff(b".a\r\nb\r\n.c") == b"..a\r\nb\r\n..c\r\n.\r\n"
    assert top_lines(b"S: x\n\none\ntwo\nthree\n", 2) == b"S: x\n\none\ntwo\n"
    assert top_lines(b"S: x\n\none\n", 0) == b"S: x\n\n"
