"""IMAP command syntax: tokens, sequence sets, FETCH items, dates (pure functions).

Hand-written, deliberately: the maintained Python IMAP parsers are client
side (imaplib, imapclient parse responses, not commands); pymap's server
parser is tied to pymap's object model and is what made it slow; the one
binding of a Rust command parser on PyPI (imap-codec 0.1.0) is a first
release. Commands arrive as a line plus literals that the session has
already read under its size limits, so what remains is a small tokenizer.

Token types: ``Atom`` (a ``str``; atoms, NIL, ``BODY[...]<...>`` fetch items
kept whole), ``bytes`` (quoted strings and literals) and ``list``
(parenthesised lists).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field

__all__ = [
    "Atom",
    "FetchItem",
    "ParseError",
    "format_internaldate",
    "parse_date",
    "parse_datetime",
    "parse_fetch_items",
    "parse_sequence_set",
    "resolve_sequence_set",
    "tokenize",
]


class ParseError(ValueError):
    """A command that does not parse; the session answers BAD with this text."""


class Atom(str):
    __slots__ = ()


_ATOM = re.compile(rb'[^\s()"{}\[\]]*(?:\[[^\]]*\](?:<[0-9.]+>)?)?[^\s()"{}\[\]]*')
_QUOTED = re.compile(rb'"((?:[^"\\\r\n]|\\.)*)"')
_LITERAL_MARK = re.compile(rb"\{(\d+)\+?\}$")


def tokenize(segments: list[bytes], literals: list[bytes]) -> list:
    """Tokens of a command whose line was split at literals.

    ``segments[i]`` is the text before literal ``i`` (ending in its ``{n}``
    marker), the last segment the text after the last literal.
    """
    root: list = []
    stack = [root]
    for idx, seg in enumerate(segments):
        text = seg
        if idx < len(literals):
            m = _LITERAL_MARK.search(text)
            if not m:
                raise ParseError("literal marker expected")
            text = text[: m.start()]
        pos = 0
        n = len(text)
        while pos < n:
            ch = text[pos]
            if ch == 0x20:
                pos += 1
            elif ch == 0x28:  # (
                new: list = []
                stack[-1].append(new)
                stack.append(new)
                pos += 1
            elif ch == 0x29:  # )
                if len(stack) == 1:
                    raise ParseError("unbalanced parenthesis")
                stack.pop()
                pos += 1
            elif ch == 0x22:  # "
                m = _QUOTED.match(text, pos)
                if not m:
                    raise ParseError("bad quoted string")
                stack[-1].append(re.sub(rb"\\(.)", rb"\1", m.group(1)))
                pos = m.end()
            else:
                m = _ATOM.match(text, pos)
                if not m or m.end() == pos:
                    raise ParseError(f"unexpected character {chr(ch)!r}")
                stack[-1].append(Atom(m.group(0).decode("utf-8", "replace")))
                pos = m.end()
        if idx < len(literals):
            stack[-1].append(literals[idx])
    if len(stack) != 1:
        raise ParseError("unbalanced parenthesis")
    return root


def as_text(token: object) -> str:
    """An astring as text (atoms and strings; mailbox names, user names...)."""
    if isinstance(token, bytes):
        return token.decode("utf-8", "surrogateescape")
    if isinstance(token, Atom):
        return str(token)
    raise ParseError("string expected")


# -- sequence sets ----------------------------------------------------------

_SEQ = re.compile(r"^(\d+|\*)(?::(\d+|\*))?$")


def parse_sequence_set(text: str) -> list[tuple[int | None, int | None]]:
    """``1:3,7,9:*`` → [(1, 3), (7, 7), (9, None)]; None stands for ``*``."""
    out: list[tuple[int | None, int | None]] = []
    if not text:
        raise ParseError("empty sequence set")
    for item in text.split(","):
        m = _SEQ.match(item)
        if not m:
            raise ParseError("bad sequence set")
        a = None if m.group(1) == "*" else int(m.group(1))
        b = a if m.group(2) is None else (None if m.group(2) == "*" else int(m.group(2)))
        if a == 0 or b == 0:
            raise ParseError("0 is not a valid message number")
        out.append((a, b))
    return out


def resolve_sequence_set(
    ranges: list[tuple[int | None, int | None]], largest: int
) -> list[tuple[int, int]]:
    """Ranges with ``*`` replaced by ``largest`` and ends ordered (``5:2`` is ``2:5``)."""
    out = []
    for a, b in ranges:
        lo = largest if a is None else a
        hi = largest if b is None else b
        if lo > hi:
            lo, hi = hi, lo
        out.append((lo, hi))
    return out


# -- FETCH items --------------------------------------------------------------

_SECTION = re.compile(
    r"^(BODY|BODY\.PEEK|BINARY|BINARY\.PEEK|BINARY\.SIZE)\[([^\]]*)\](?:<(\d+)(?:\.(\d+))?>)?$",
    re.I,
)
_MACROS = {
    "ALL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
    "FAST": ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
    "FULL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
}
_SIMPLE = {
    "FLAGS", "UID", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODYSTRUCTURE", "BODY",
    "RFC822", "RFC822.HEADER", "RFC822.TEXT",
}


@dataclass
class FetchItem:
    name: str  # FLAGS, UID, ..., or BODY for a section fetch
    section: str | None = None  # the section text as sent, e.g. "1.2.HEADER"
    numbers: list[int] = field(default_factory=list)
    text: str = ""  # "", HEADER, TEXT, MIME, HEADER.FIELDS, HEADER.FIELDS.NOT
    fields: list[bytes] = field(default_factory=list)
    partial: tuple[int, int | None] | None = None
    peek: bool = False

    @property
    def needs_file(self) -> bool:
        """Whether the message file must be read (not just the index)."""
        if self.name in ("RFC822", "RFC822.TEXT"):
            return True
        if self.section is None:
            return False
        return bool(self.numbers) or self.text not in ("HEADER", "HEADER.FIELDS",
                                                       "HEADER.FIELDS.NOT")

    @property
    def sets_seen(self) -> bool:
        return (self.section is not None and not self.peek) or self.name in ("RFC822",
                                                                             "RFC822.TEXT")

    def response_name(self) -> bytes:
        if self.section is None:
            return self.name.encode()
        out = f"BODY[{self.section}]"
        if self.partial is not None:
            out += f"<{self.partial[0]}>"
        return out.encode()


def _parse_section(spec: str) -> tuple[list[int], str, list[bytes]]:
    fields: list[bytes] = []
    paren = spec.find("(")
    head = spec
    if paren >= 0:
        head = spec[:paren].strip()
        inner = spec[paren + 1 : spec.rfind(")")] if ")" in spec else ""
        fields = [f.encode() for f in inner.replace('"', " ").split()]
    parts = head.split(".") if head else []
    numbers: list[int] = []
    while parts and parts[0].isdigit():
        n = int(parts.pop(0))
        if n == 0:
            raise ParseError("section part 0 does not exist")
        numbers.append(n)
    text = ".".join(parts).upper()
    if text not in ("", "HEADER", "TEXT", "MIME", "HEADER.FIELDS", "HEADER.FIELDS.NOT"):
        raise ParseError(f"bad section {spec!r}")
    if text == "MIME" and not numbers:
        raise ParseError("MIME needs a part number")
    if text.startswith("HEADER.FIELDS") and not fields:
        raise ParseError("HEADER.FIELDS needs a field list")
    return numbers, text, fields


def parse_fetch_items(token: object) -> list[FetchItem]:
    """The FETCH attribute list (one item, a macro, or a parenthesised list)."""
    tokens = token if isinstance(token, list) else [token]
    if not isinstance(token, list) and isinstance(token, Atom) and token.upper() in _MACROS:
        tokens = [Atom(x) for x in _MACROS[token.upper()]]
    items: list[FetchItem] = []
    for tok in tokens:
        if not isinstance(tok, Atom):
            raise ParseError("fetch attribute expected")
        upper = tok.upper()
        if upper in _SIMPLE:
            items.append(FetchItem(upper))
            continue
        m = _SECTION.match(tok)
        if not m or m.group(1).upper().startswith("BINARY"):
            raise ParseError(f"unknown fetch attribute {tok[:40]!r}")
        numbers, text, fields = _parse_section(m.group(2))
        partial = None
        if m.group(3) is not None:
            partial = (int(m.group(3)), int(m.group(4)) if m.group(4) is not None else None)
        section = m.group(2)
        items.append(
            FetchItem("BODY", section, numbers, text, fields, partial,
                      m.group(1).upper() == "BODY.PEEK")
        )
    return items


# -- dates -------------------------------------------------------------------

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_DATE = re.compile(r"^(\d{1,2})-([A-Za-z]{3})-(\d{4})$")
_DATETIME = re.compile(
    r"^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$"
)


def _month(name: str) -> int:
    try:
        return [m.lower() for m in _MONTHS].index(name.lower()) + 1
    except ValueError as exc:
        raise ParseError("bad month") from exc


def parse_date(text: str) -> tuple[int, int, int]:
    """SEARCH date ``1-Feb-1994`` → (1994, 2, 1)."""
    m = _DATE.match(text)
    if not m:
        raise ParseError("bad date")
    return int(m.group(3)), _month(m.group(2)), int(m.group(1))


def parse_datetime(text: str) -> float:
    """APPEND date-time ``17-Jul-1996 02:44:25 -0700`` → POSIX time."""
    m = _DATETIME.match(text)
    if not m:
        raise ParseError("bad date-time")
    day, mon, year, hh, mm, ss = (int(m.group(1)), _month(m.group(2)), int(m.group(3)),
                                  int(m.group(4)), int(m.group(5)), int(m.group(6)))
    offset = (int(m.group(8)) * 3600 + int(m.group(9)) * 60) * (1 if m.group(7) == "+" else -1)
    return calendar.timegm((year, mon, day, hh, mm, ss)) - offset


def format_internaldate(ts: float) -> bytes:
    import time

    t = time.gmtime(ts)
    return b'"%2d-%s-%04d %02d:%02d:%02d +0000"' % (
        t.tm_mday, _MONTHS[t.tm_mon - 1].encode(), t.tm_year, t.tm_hour, t.tm_min, t.tm_sec
    )
