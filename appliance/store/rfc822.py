"""RFC 5322 / MIME header syntax read the way Dovecot 2.3 reads it, for ENVELOPE and
BODYSTRUCTURE.

IMAP clients cache what a server says about a message; a mailbox moved
between Dovecot and Mailroom (both read the same Maildir) must be described
the same way, or clients show different names, groups and attachment names
for the same mail. So this follows Dovecot's tolerant parser rule for rule,
including its answers for broken input (an address without a domain gets the
domain ``MISSING_DOMAIN``; a group is a start marker ``(NIL NIL name NIL)`` and
an end marker ``(NIL NIL NIL NIL)``; RFC 2231 continuations are merged, still
encoded). Each rule is pinned by a test holding Dovecot's exact answer
(tests/unit/test_mime_dovecot.py).

Everything works on bytes; 8-bit bytes count as atom text, as in Dovecot.
"""

from __future__ import annotations

import re

__all__ = [
    "Address",
    "AddressParser",
    "content_language",
    "content_type",
    "disposition",
    "field_value",
    "for_humans",
    "mime_token_value",
    "parse_addresses",
]

# RFC 5322 atext plus every 8-bit byte; "." is not atext.
_ATEXT = frozenset(
    b"!#$%&'*+-/=?^_`{|}~0123456789"
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
) | frozenset(range(0x80, 0x100))
# MIME token characters: atext without the tspecials "/", "?" and "=", plus ".".
_TOKEN = (_ATEXT - frozenset(b"/?=")) | frozenset(b".")
_LWSP = frozenset(b" \t\r\n")

_FOLD = re.compile(rb"\r?\n")


def field_value(raw: bytes) -> bytes:
    """A header field's value as Dovecot keeps it: white space after the colon
    dropped, line breaks of folded lines removed (the white space that
    continues the next line stays), trailing white space kept."""
    value = raw.lstrip(b" \t")
    if b"\n" in value:
        # After an empty first line, the next line is the value, white space and all.
        value = _FOLD.sub(b"", value)
    return value[:-1] if value.endswith(b"\r") else value


_HUMAN_SPACE = re.compile(rb"[ \t\r\n]+")
_HUMAN_CLEAN = re.compile(rb"[\t\r\n\0]|  |\A | \Z")  # anything for_humans would change


def for_humans(value: bytes) -> bytes:
    """Dovecot's Subject and display-name clean-up: runs of white space (also
    TAB, CR, LF) become one space, none at either end; NUL becomes 0x80."""
    if _HUMAN_CLEAN.search(value) is None:
        return value
    value = _HUMAN_SPACE.sub(b" ", value).strip(b" ")
    return value.replace(b"\0", b"\x80") if b"\0" in value else value


class _Scanner:
    """A position in a header value, with Dovecot's rfc822-parser primitives.

    Results follow Dovecot's convention: 1 = more input follows, 0 = end of
    input reached, -1 = syntax error.
    """

    __slots__ = ("data", "pos", "end", "last_comment")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.end = len(data)
        self.last_comment = b""

    def char(self) -> int:
        return self.data[self.pos] if self.pos < self.end else 0

    def skip_comment(self) -> int:
        data, level = self.data, 1
        self.pos += 1
        start = self.pos
        parts: list[bytes] = []
        while self.pos < self.end:
            c = data[self.pos]
            if c == 0x28:  # (
                level += 1
            elif c == 0x29:  # )
                level -= 1
                if level == 0:
                    parts.append(data[start:self.pos])
                    self.last_comment = b"".join(parts)
                    self.pos += 1
                    return 1 if self.pos < self.end else 0
            elif c == 0x5C:  # backslash: the next byte is taken as it is
                parts.append(data[start:self.pos])
                start = self.pos + 1
                self.pos += 1
                if self.pos >= self.end:
                    return -1
            self.pos += 1
        return -1

    def skip_lwsp(self) -> int:
        data = self.data
        while self.pos < self.end:
            c = data[self.pos]
            if c in _LWSP:
                self.pos += 1
            elif c == 0x28:
                if self.skip_comment() < 0:
                    return -1
            else:
                break
        return 1 if self.pos < self.end else 0

    def _run(self, allowed: frozenset[int]) -> bytes:
        data, start = self.data, self.pos
        while self.pos < self.end and data[self.pos] in allowed:
            self.pos += 1
        return data[start:self.pos]

    def dot_atom(self, out: list[bytes]) -> int:
        """``a.b.c`` (a domain): an empty label is an error."""
        if self.pos >= self.end or self.data[self.pos] not in _ATEXT:
            return -1
        while True:
            out.append(self._run(_ATEXT))
            if self.pos >= self.end:
                return 0
            ret = self.skip_lwsp()
            if ret <= 0:
                return ret
            if self.data[self.pos] != 0x2E:  # .
                return 1
            self.pos += 1
            out.append(b".")
            # Nothing, or no label, after a dot is an error.
            if self.skip_lwsp() <= 0 or self.data[self.pos] not in _ATEXT:
                return -1

    def atom(self, out: list[bytes]) -> int:
        if self.pos >= self.end or self.data[self.pos] not in _ATEXT:
            return -1
        out.append(self._run(_ATEXT))
        if self.pos >= self.end:
            return 0
        return self.skip_lwsp()

    def loose_dot_atom(self, out: list[bytes]) -> int:
        """A local part: atoms and dots in any order (``.a``, ``a..b``, ``a.``)."""
        ret = -1
        while True:
            while self.char() == 0x2E:
                out.append(b".")
                self.pos += 1
                if self.pos >= self.end:
                    return 0
                ret = 1
            if self.char() == 0x40:  # @
                return ret
            ret = self.atom(out)
            if ret <= 0 or self.char() != 0x2E:
                return ret

    def quoted_string(self, out: list[bytes]) -> int:
        data = self.data
        self.pos += 1
        start = self.pos
        while self.pos < self.end:
            c = data[self.pos]
            if c == 0x22:  # "
                out.append(data[start:self.pos])
                self.pos += 1
                return self.skip_lwsp()
            if c == 0x0A:  # folding inside quotes: drop the (CR)LF
                piece = data[start:self.pos]
                out.append(piece[:-1] if piece.endswith(b"\r") else piece)
                start = self.pos + 1
            elif c == 0x5C:
                self.pos += 1
                if self.pos >= self.end:
                    return -1
                out.append(data[start:self.pos - 1])
                start = self.pos
            self.pos += 1
        return -1

    def atom_or_dot(self, out: list[bytes]) -> int:
        out.append(self._run(_ATEXT | {0x2E}))
        if self.pos >= self.end:
            return 0
        return self.skip_lwsp()

    def phrase(self, out: list[bytes]) -> int:
        if self.pos >= self.end:
            return 0
        if self.data[self.pos] == 0x2E:
            return -1
        while True:
            ret = self.quoted_string(out) if self.char() == 0x22 else self.atom_or_dot(out)
            if ret <= 0:
                return ret
            c = self.char()
            if c not in _ATEXT and c != 0x22 and c != 0x2E:
                break
            out.append(b" ")
        return self.skip_lwsp()

    def domain_literal(self, out: list[bytes]) -> int:
        data, start = self.data, self.pos
        while self.pos < self.end:
            c = data[self.pos]
            if c == 0x5C:
                self.pos += 1
                if self.pos >= self.end:
                    break
            elif c == 0x5D:  # ]
                self.pos += 1
                out.append(data[start:self.pos])
                return self.skip_lwsp()
            self.pos += 1
        return -1

    def domain(self, out: list[bytes]) -> int:
        self.pos += 1  # the "@"
        if self.skip_lwsp() <= 0:
            return -1
        if self.data[self.pos] == 0x5B:  # [
            return self.domain_literal(out)
        return self.dot_atom(out)

    def mime_token(self, out: list[bytes]) -> int:
        out.append(self._run(_TOKEN))
        if self.pos >= self.end:
            return 0
        return self.skip_lwsp()


# -- addresses ------------------------------------------------------------------------


# (name, route, mailbox, domain); a group start is (None, None, name, None) and its
# end (None, None, None, None), as in an IMAP ENVELOPE.
Address = tuple[bytes | None, bytes | None, bytes | None, bytes | None]


class AddressParser:
    """Dovecot's message-address parser as IMAP ENVELOPE uses it (missing parts
    filled in, dots in local parts not checked): one address list."""

    def __init__(self, value: bytes) -> None:
        self.s = _Scanner(value)
        self.out: list[Address] = []
        self._reset()

    def _reset(self) -> None:
        self.name: bytes | None = None
        self.route: bytes | None = None
        self.mailbox: bytes | None = None
        self.domain: bytes | None = None
        self.invalid = False

    def _add(self) -> None:
        self.out.append((self.name, self.route, self.mailbox, self.domain))
        self._reset()

    def _add_fixed(self) -> None:
        if self.mailbox is None:
            self.mailbox = b"MISSING_MAILBOX"
        if not self.domain:
            self.domain = b"MISSING_DOMAIN"
        self._add()

    def _local_part(self, out: list[bytes]) -> int:
        s = self.s
        ret = s.quoted_string(out) if s.char() == 0x22 else s.loose_dot_atom(out)
        if ret < 0:
            return -1
        self.mailbox = b"".join(out)
        return ret

    def _domain(self) -> int:
        out: list[bytes] = []
        ret = self.s.domain(out)
        if ret < 0:
            return -1
        self.domain = b"".join(out)
        return ret

    def _domain_list(self) -> int:
        s = self.s
        out: list[bytes] = []
        while True:
            if s.pos >= s.end:
                return 0
            if s.char() != 0x40:  # @
                break
            if out:
                out.append(b",")
            out.append(b"@")
            ret = s.domain(out)
            if ret <= 0:
                return ret
            while s.skip_lwsp() > 0 and s.char() == 0x2C:  # ,
                s.pos += 1
        self.route = b"".join(out)
        return 1

    def _angle_addr(self) -> int:
        s = self.s
        s.pos += 1  # the "<"
        if s.skip_lwsp() <= 0:
            return -1
        if s.char() == 0x40:
            if self._domain_list() > 0 and s.char() == 0x3A:  # :
                s.pos += 1
            else:
                self.route = b"INVALID_ROUTE"
                if s.pos >= s.end:
                    return -1
            if s.skip_lwsp() <= 0:
                return -1
        if s.char() != 0x3E:  # not "<>", which has no address at all
            if self._local_part([]) <= 0:
                return -1
            if s.char() == 0x40 and self._domain() <= 0:
                return -1
        if s.char() != 0x3E:
            return -1
        s.pos += 1
        return s.skip_lwsp()

    def _name_addr(self) -> int:
        s = self.s
        out: list[bytes] = []
        if s.phrase(out) <= 0 or s.char() != 0x3C:  # <
            return -1
        self.name = b"".join(out) or None
        if self._angle_addr() < 0:
            self.domain = b"SYNTAX_ERROR"
            self.invalid = True
        return 1 if s.pos < s.end else 0

    def _addr_spec(self) -> int:
        s = self.s
        s.last_comment = b""
        quoted = s.char() == 0x22
        out: list[bytes] = []
        ret = self._local_part(out)
        if ret <= 0:
            self.invalid = True
        ret2 = -2
        if ret != 0 and s.char() == 0x40:
            ret2 = self._domain()
            if ret2 <= 0:
                ret = ret2
        if s.last_comment:
            self.name = s.last_comment
        elif ret2 == -2:
            # A word without @domain: an address if nothing follows, else the
            # start of a display name with no address.
            out.append(b" ")
            before = sum(len(x) for x in out)
            s.phrase(out)
            if sum(len(x) for x in out) != before:
                self.mailbox = None
                self.name = b"".join(out)
            elif not quoted:
                self.domain = b""
            self.invalid = True
            ret = -1
        return ret

    def _mailbox(self) -> int:
        start = self.s.pos
        ret = self._name_addr()
        if ret < 0:
            self.s.pos = start
            ret = self._addr_spec()
            if self.invalid and self.name is None and self.mailbox is not None \
                    and self.domain is None:
                self.name, self.mailbox = self.mailbox, None
        self._add_fixed()
        return ret

    def _group(self) -> int:
        s = self.s
        out: list[bytes] = []
        if s.phrase(out) <= 0 or s.char() != 0x3A:
            return -1
        s.pos += 1
        ret = s.skip_lwsp()
        self.mailbox = b"".join(out)
        self._add()
        if ret > 0 and s.char() != 0x3B:  # ;
            while True:
                self._mailbox()  # a broken one: go on anyway
                if s.pos >= s.end or s.char() != 0x2C:
                    break
                s.pos += 1
                if s.skip_lwsp() <= 0:
                    ret = -1
                    break
        if ret >= 0:
            if s.pos >= s.end or s.char() != 0x3B:
                ret = -1
            else:
                s.pos += 1
                ret = s.skip_lwsp()
        self._add()
        return 0 if ret == 0 else 1

    def _address(self) -> int:
        start = self.s.pos
        ret = self._group()
        if ret < 0:
            self.s.pos = start
            self._reset()
            ret = self._mailbox()
        return ret

    def parse(self) -> list[Address]:
        s = self.s
        if s.skip_lwsp() <= 0:
            return []
        while True:
            if self._address() == 0:
                break
            if s.pos >= s.end or s.char() != 0x2C:
                break
            s.pos += 1
            ret = s.skip_lwsp()
            if ret <= 0:
                if ret < 0:
                    self._add_fixed()  # ends with garbage
                break
        return self.out


def parse_addresses(value: bytes) -> list[Address]:
    return AddressParser(value).parse()


# -- MIME parameters ------------------------------------------------------------------


def _content_param(s: _Scanner) -> tuple[int, bytes, bytes]:
    """One ``; key=value``: (1, key, value), (0, ...) at the end, (-1, ...) if broken."""
    if s.pos >= s.end:
        return 0, b"", b""
    if s.char() != 0x3B:
        return -1, b"", b""
    s.pos += 1
    if s.skip_lwsp() <= 0:
        return -1, b"", b""
    key: list[bytes] = []
    if s.mime_token(key) <= 0 or s.char() != 0x3D:  # =
        return -1, b"", b""
    s.pos += 1
    value: list[bytes] = []
    ret = s.skip_lwsp()
    if ret <= 0:
        pass  # broken or no value: an empty one
    elif s.char() == 0x22:
        ret = s.quoted_string(value)
    elif s.char() == 0x3D:
        # name==?utf-8?b?...?= (a broken but common encoded word): up to ; or space
        start = s.pos
        while s.pos < s.end and s.data[s.pos] not in b"; \t\r\n":
            s.pos += 1
        value.append(s.data[start:s.pos])
    else:
        ret = s.mime_token(value)
    return (-1 if ret < 0 else 1), b"".join(key), b"".join(value)


def _params(s: _Scanner) -> list[tuple[bytes, bytes]]:
    """The parameters from here on, RFC 2231 continuations merged (still encoded):
    plain parameters first in their order, then the merged ones sorted by name."""
    plain: list[tuple[bytes, bytes]] = []
    split: list[tuple[bytes, int, bool, bytes]] = []
    while True:
        ret, key, value = _content_param(s)
        if ret == 0:
            break
        if ret < 0:
            if s.pos >= s.end:
                break
            s.pos += 1  # try to continue anyway
            continue
        star = key.find(b"*")
        if star < 0:
            plain.append((key, value))
            continue
        rest = key[star + 1:]
        digits = len(rest) - len(rest.lstrip(b"0123456789"))
        idx = int(rest[:digits]) if digits else 0
        # "name*" is extended; "name*2" is a plain section, "name*2*" an extended one.
        extended = not rest or rest[digits:].startswith(b"*")
        rest = rest[digits + 1:] if rest and extended else rest[digits:]
        if rest:
            plain.append((key, value))
        else:
            split.append((key[:star], idx, extended, value))
    if not split:
        return plain
    split.sort(key=lambda p: (p[0], p[1]))
    i = 0
    while i < len(split):
        name = split[i][0].lower()
        j = i
        while j < len(split) and split[j][0].lower() == name:
            j += 1
        group = split[i:j]
        complete = all(p[1] == n for n, p in enumerate(group))
        extended = any(p[2] for p in group)
        if not complete:
            for key, idx, ext, value in group:
                plain.append((key + b"*%d" % idx + (b"*" if ext else b""), value))
        else:
            pieces = [b"''"] if extended and not group[0][2] else []
            for _key, _idx, ext, value in group:
                pieces.append(value.replace(b"%", b"%25") if extended and not ext else value)
            plain.append((group[0][0] + (b"*" if extended else b""), b"".join(pieces)))
        i = j
    return plain


def content_type(value: bytes) -> tuple[bytes, bytes, list[tuple[bytes, bytes]]] | None:
    """(type, subtype, parameters) of a Content-Type value; None when it is broken
    (Dovecot then shows an empty type and subtype and treats the part as neither
    text nor multipart). A lone type ("text") is taken, with an empty subtype."""
    s = _Scanner(value)
    main: list[bytes] = []
    s.skip_lwsp()
    if s.mime_token(main) < 0 or not main[0]:
        return None
    if s.pos >= s.end:
        return main[0], b"", []
    if s.char() != 0x2F:  # /
        return None
    s.pos += 1
    sub: list[bytes] = []
    if s.skip_lwsp() <= 0 or s.mime_token(sub) < 0 or not sub[0]:
        return None
    if s.pos < s.end and s.char() != 0x3B:  # only parameters may follow
        return None
    return main[0], sub[0], _params(s)


def disposition(value: bytes) -> tuple[bytes, list[tuple[bytes, bytes]]] | None:
    s = _Scanner(value)
    s.skip_lwsp()
    out: list[bytes] = []
    if s.mime_token(out) < 0:
        return None
    return b"".join(out), _params(s)


def mime_token_value(value: bytes) -> bytes | None:
    """A Content-Transfer-Encoding: one token and nothing after it, else None."""
    s = _Scanner(value)
    s.skip_lwsp()
    out: list[bytes] = []
    if s.mime_token(out) < 0 or s.skip_lwsp() != 0:
        return None
    token = b"".join(out)
    return token or None


def content_language(value: bytes) -> list[bytes]:
    s = _Scanner(value)
    s.skip_lwsp()
    langs: list[bytes] = []
    while s.pos < s.end and s.data[s.pos] in _ATEXT:
        langs.append(s._run(_ATEXT))
        if s.pos < s.end:
            s.skip_lwsp()
        if s.pos >= s.end or s.data[s.pos] != 0x2C:
            break
        s.pos += 1
        s.skip_lwsp()
    return langs
