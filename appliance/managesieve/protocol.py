"""ManageSieve (RFC 5804) syntax: reading a command, writing strings and responses.

Pure functions and one small reader; the session in ``session.py`` does the
talking. A command is one line of atoms, numbers and strings; a string is
quoted (``"a \\" b"``) or a literal (``{12+}`` CRLF, then 12 octets; the
synchronising ``{12}`` form is taken the same way, since ManageSieve has
no continuation request). A literal's length is checked against the limit
before a single octet of it is read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

__all__ = [
    "Atom",
    "CommandTooLarge",
    "SyntaxProblem",
    "literal",
    "quote",
    "read_command",
    "response",
    "tokenize",
    "valid_script_name",
]


class SyntaxProblem(ValueError):
    """The command line does not follow the grammar."""


class CommandTooLarge(Exception):
    """A literal longer than allowed; ``size`` octets follow on the wire."""

    def __init__(self, size: int) -> None:
        super().__init__(f"literal of {size} octets")
        self.size = size


@dataclass(frozen=True)
class Atom:
    """A bare word: a command name, ``ACTIVE``, a number."""

    text: str


_LITERAL_END = re.compile(rb"\{(\d{1,10})(\+?)\}$")
_ATOM = re.compile(rb"[A-Za-z0-9_.:-]+")


def tokenize(line: bytes) -> tuple[list[Atom | bytes], int | None]:
    """Split one line into atoms and strings.

    Returns the tokens and, when the line ends with a literal's announcement,
    its length (the octets and the rest of the command follow).
    """
    tokens: list[Atom | bytes] = []
    i, n = 0, len(line)
    while i < n:
        c = line[i:i + 1]
        if c == b" ":
            i += 1
            continue
        if c == b'"':
            out = bytearray()
            i += 1
            while True:
                if i >= n:
                    raise SyntaxProblem("unterminated quoted string")
                ch = line[i]
                if ch == 0x5C:  # backslash: only \" and \\ are allowed
                    if i + 1 >= n or line[i + 1] not in (0x22, 0x5C):
                        raise SyntaxProblem("bad escape in quoted string")
                    out.append(line[i + 1])
                    i += 2
                    continue
                if ch == 0x22:
                    i += 1
                    break
                out.append(ch)
                i += 1
            tokens.append(bytes(out))
            continue
        if c == b"{":
            m = _LITERAL_END.match(line, i)
            if m is None or m.end() != n:
                raise SyntaxProblem("a literal must end the line")
            return tokens, int(m.group(1))
        m = _ATOM.match(line, i)
        if m is None:
            raise SyntaxProblem(f"unexpected character {line[i:i + 1]!r}")
        tokens.append(Atom(m.group().decode("ascii")))
        i = m.end()
    return tokens, None


async def read_command(
    readline: Callable[[], Awaitable[bytes]],
    readexactly: Callable[[int], Awaitable[bytes]],
    max_literal: int,
) -> list[Atom | bytes]:
    """Read one whole command (lines and literals) from the client.

    Raises ``SyntaxProblem`` for a malformed line and ``CommandTooLarge``
    for a literal that takes the command's literals over ``max_literal``
    (the caller decides what to do with the octets that follow).
    """
    tokens: list[Atom | bytes] = []
    total = 0  # all the literals of one command together stay under the limit
    while True:
        line = await readline()
        more, size = tokenize(line)
        tokens += more
        if size is None:
            return tokens
        if total + size > max_literal:
            raise CommandTooLarge(size)
        total += size
        tokens.append(await readexactly(size))


def quote(text: str) -> bytes:
    """``text`` as a ManageSieve string: quoted when it can be, else a literal."""
    data = text.encode("utf-8")
    if b"\r" in data or b"\n" in data or b"\0" in data or len(data) > 1024:
        return literal(data)
    return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def literal(data: bytes) -> bytes:
    return b"{%d}\r\n" % len(data) + data


def response(kind: str, text: str = "", code: str = "") -> bytes:
    """An ``OK``/``NO``/``BYE`` line with an optional (code) and message, CRLF ended."""
    out = kind.encode()
    if code:
        out += b" (" + code.encode() + b")"
    if text:
        out += b" " + quote(text)
    return out + b"\r\n"


def valid_script_name(name: str) -> str | None:
    """Why ``name`` cannot name a script, or None when it can.

    RFC 5804 allows any UTF-8 but control characters; the names become
    file names (``NAME.sieve``), so a slash and a leading dot are refused too.
    """
    if not name:
        return "a script name must not be empty"
    if len(name) > 128:
        return "a script name must be at most 128 characters"
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ch in "\u2028\u2029" for ch in name):
        return "a script name must not contain control characters"
    if "/" in name or name.startswith("."):
        return "a script name must not contain '/' or start with '.'"
    return None
