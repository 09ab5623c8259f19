"""What the index keeps about one message, computed from its bytes.

Per message the index keeps the raw header block (served for
``BODY[HEADER.FIELDS ...]`` without opening the file), a decoded,
case-folded copy of the headers for SEARCH, the ENVELOPE, BODY and
BODYSTRUCTURE in IMAP wire form and the CRLF size. Delivery fills the header
part (the message is in memory then); BODY and BODYSTRUCTURE wait for the
first client that asks.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from pathlib import Path

from appliance.store.mime import (
    body_and_structure,
    crlf_size,
    envelope_of_block,
    parse_message,
    split_header,
)

__all__ = [
    "Entry",
    "arrival_entry",
    "header_entry",
    "index_entry",
    "read_header",
    "to_lf",
]


@dataclass(frozen=True)
class Entry:
    """Index metadata of one message, computed from its bytes (LF line ends)."""

    header: bytes
    search: str
    envelope: bytes
    body: bytes | None  # None: not parsed yet, done when a client first asks
    structure: bytes | None
    vsize: int


_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(?<=\?=)[ \t]+(?==\?)")
_Q_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")


def _decode_word(m: re.Match[str]) -> str:
    charset, kind, text = m.group(1), m.group(2), m.group(3)
    try:
        if kind in "bB":
            raw = base64.b64decode(text + "=" * (-len(text) % 4))
        else:
            raw = _Q_ESCAPE.sub(lambda e: bytes([int(e.group(1), 16)]),
                                text.replace("_", " ").encode("ascii"))
        return raw.decode(charset, "replace")
    except (LookupError, ValueError, binascii.Error, UnicodeError):
        return m.group(0)  # a broken word: search its raw text


def decode_words(text: str) -> str:
    """RFC 2047 encoded words decoded (for SEARCH); broken words are left as they are."""
    if "?= " in text or "?=\t" in text:
        text = _BETWEEN_WORDS.sub("", text)
    return _ENCODED_WORD.sub(_decode_word, text)


def index_entry(data: bytes) -> Entry:
    """Everything the index keeps about a message, from one pass over its bytes."""
    root = parse_message(data)
    header_end, _ = split_header(data)
    block, search, env = header_entry(data[:header_end])
    body, structure = body_and_structure(data, root)
    return Entry(
        header=block,
        search=search,
        envelope=env,
        body=body,
        structure=structure,
        vsize=crlf_size(data),
    )


def arrival_entry(data: bytes) -> Entry:
    """What delivery indexes: the header fields and sizes, not the MIME structure.

    Parsing every body part at delivery was half of the delivery thread's
    time; BODY and BODYSTRUCTURE are filled in when a client first asks
    (as Dovecot's cache does), and many messages are never asked for them.
    """
    header_end, _ = split_header(data)
    block, search, env = header_entry(data[:header_end])
    return Entry(header=block, search=search, envelope=env, body=None, structure=None,
                 vsize=crlf_size(data))


_FOLD = re.compile(r"\n[ \t]+")  # header blocks here have LF line ends


def header_entry(block: bytes) -> tuple[bytes, str, bytes]:
    """(header, search, envelope) from a header block alone: what FETCH ENVELOPE and
    header SEARCH need, without reading the rest of the file.

    The search text is the header block unfolded, encoded words decoded and
    case-folded: one ``name: value`` line per field (as written, so the space
    after the colon may or may not be there), which SEARCH HEADER matches.
    """
    text = block.decode("utf-8", "replace")
    if "\n " in text or "\n\t" in text:
        text = _FOLD.sub(" ", text)
    if "=?" in text:
        text = decode_words(text)
    return block, text.casefold(), envelope_of_block(block)


def read_header(path: Path | str, dir_fd: int | None = None) -> bytes:
    """The header block of a message file (LF line ends), reading as little as it can."""
    fd = os.open(path, os.O_RDONLY, dir_fd=dir_fd)
    try:
        data = os.read(fd, 4096)
        while True:
            if data.startswith(b"\n") or data.startswith(b"\r\n"):
                return b""
            end = data.find(b"\n\n")
            end_crlf = data.find(b"\n\r\n")
            if end_crlf >= 0 and (end < 0 or end_crlf < end):
                end = end_crlf
            if end >= 0:
                data = data[: end + 1]
                break
            more = os.read(fd, 65536)
            if not more:
                break
            data += more
    finally:
        os.close(fd)
    return to_lf(data)


def to_lf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n") if b"\r" in data else data
