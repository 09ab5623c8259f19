"""Header unfolding for ENVELOPE: the values Dovecot 2.3 answers for the same
headers (checked against a private Dovecot on loopback, bench/peers/dovecot.py)."""

from __future__ import annotations

import pytest

from appliance.store.mime import envelope_of_block, header_values
from appliance.store.rfc822 import for_humans


@pytest.mark.parametrize(("block", "subject"), [
    # Folded right after the colon: no leading space (13 of 2,500 ENVELOPEs differed).
    (b"Subject:\r\n  Re: hello\r\n", b"Re: hello"),
    (b"Subject: one\r\n  two\r\n", b"one two"),
    (b"Subject: one\r\n\ttwo\r\n   three\r\n", b"one two three"),
    (b"Subject: \r\n", b""),
    (b"Subject:   \r\n  \r\n x\r\n", b"x"),
])
def test_folded_subject_matches_dovecot(block: bytes, subject: bytes) -> None:
    headers = block + b"From: a@b.c\r\n"
    assert for_humans(dict(header_values(headers))[b"subject"]) == subject
    quoted = b'"' + subject + b'"'
    assert envelope_of_block(headers).startswith(b"(NIL " + quoted + b" ")
