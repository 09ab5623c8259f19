"""Parsing and checking Sieve scripts: what may be saved, and what we advertise."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

# sievelib is imported when the first script is parsed, not when the daemon starts.
if TYPE_CHECKING:
    from sievelib.commands import Command
    from sievelib.parser import Parser

__all__ = ["CAPABILITIES", "SieveError", "check", "parse", "unquote"]

# Exactly what the interpreter implements; the ManageSieve server advertises
# this list, and a script that requires anything else is refused when saved.
CAPABILITIES: tuple[str, ...] = (
    "fileinto",
    "copy",
    "imap4flags",
    "body",
    "envelope",
    "vacation",
    "relational",
    "date",
    "comparator-i;octet",
    "comparator-i;ascii-casemap",
    "comparator-i;ascii-numeric",
)


@functools.cache
def _teach_sievelib() -> None:
    # sievelib knows only the two built-in comparators; i;ascii-numeric (RFC 4790)
    # is what makes ``:value "ge"`` compare numbers (an X-Spam-Score, a count).
    from sievelib.commands import comparator as _comparator_arg

    if '"i;ascii-numeric"' not in _comparator_arg["extra_arg"]["values"]:
        _comparator_arg["extra_arg"]["values"].append('"i;ascii-numeric"')

# Commands sievelib knows whose extension we do not implement; they can only
# appear after a ``require`` we refuse, but a second check costs nothing.
_UNSUPPORTED = {"reject", "notify", "set", "environment"}

MAX_SCRIPT_BYTES = 256 * 1024


class SieveError(Exception):
    """A script that cannot be saved or run: ``line`` is 1-based, or None."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.message = message
        self.line = line


_LINE = re.compile(r"^line (\d+): (.*)$", re.S)
# sievelib's Parser is not safe to share between threads (its lexer keeps state).
_local = threading.local()


def _parser() -> Parser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        from sievelib.parser import Parser

        _teach_sievelib()
        parser = _local.parser = Parser()
    return parser


def _line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return None


def parse(text: str) -> list[Command]:
    """The command tree of ``text``; raises SieveError with the line and reason."""
    if len(text.encode("utf-8", "surrogateescape")) > MAX_SCRIPT_BYTES:
        raise SieveError(f"script is larger than {MAX_SCRIPT_BYTES // 1024} KB")
    if "\0" in text:
        raise SieveError("script contains a NUL character", _line_of(text, "\0"))
    parser = _parser()
    try:
        ok = parser.parse(text)
    except Exception as exc:  # sievelib raises a few of its own on odd input
        raise SieveError(f"cannot parse: {exc}") from exc
    if not ok:
        error = str(getattr(parser, "error", "cannot parse"))
        m = _LINE.match(error)
        if m:
            raise SieveError(m.group(2), int(m.group(1)))
        raise SieveError(error)
    _check_last_command_ends(parser, text)
    commands: list[Command] = list(parser.result)
    _check_tree(commands, text)
    return commands


def _check_last_command_ends(parser: Parser, text: str) -> None:
    """sievelib lets the last command go without its ';' (RFC 5228 wants one, and
    Pigeonhole would refuse the script after a move to Dovecot)."""
    last = None
    for kind, _ in parser.lexer.scan(text.encode("utf-8")):
        if kind not in ("hash_comment", "bracket_comment"):
            last = kind
    if last not in (None, "semicolon", "right_cbracket"):
        lines = text.splitlines()
        # The last line with code on it (comments after the command do not count).
        number = next((n for n in range(len(lines), 0, -1)
                       if lines[n - 1].strip() and not lines[n - 1].lstrip().startswith("#")),
                      None)
        raise SieveError("missing ';' at the end of the last command", number)


def check(text: str) -> None:
    """Raise SieveError (with the line where known) unless ``text`` can be saved and run."""
    parse(text)


def unquote(value: object) -> str:
    """A sievelib string argument as its value: quotes and escapes, or text: blocks."""
    return _unquote(str(value))


@functools.lru_cache(maxsize=8192)
def _unquote(s: str) -> str:
    # Cached: a script's strings are unquoted again for every message it runs on.
    if s.startswith("text:"):
        body = s[5:]
        body = body.split("\n", 1)[1] if "\n" in body else ""
        if body.endswith("\n."):
            body = body[:-2]
        elif body.endswith("."):
            body = body[:-1]
        lines = [ln[1:] if ln.startswith("..") else ln for ln in body.split("\n")]
        return "\n".join(lines) + ("\n" if lines and lines[-1] else "")
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        out: list[str] = []
        it = iter(s[1:-1])
        for ch in it:
            out.append(next(it, "") if ch == "\\" else ch)
        return "".join(out)
    return s


def _walk(commands: list[Command]) -> Iterator[Command]:
    from sievelib.commands import Command

    for command in commands:
        yield command
        for value in command.arguments.values():
            if isinstance(value, Command):
                yield from _walk([value])
            elif isinstance(value, list) and value and isinstance(value[0], Command):
                yield from _walk(value)
        yield from _walk(command.children)


def _required(commands: list[Command]) -> set[str]:
    out: set[str] = set()
    for command in commands:
        if command.name == "require":
            wanted = command.arguments["capabilities"]
            out.update(unquote(w) for w in (wanted if isinstance(wanted, list) else [wanted]))
    return out


def _check_tree(commands: list[Command], text: str) -> None:
    seen_other = False
    for command in commands:
        if command.name != "require":
            seen_other = True
        elif seen_other:
            raise SieveError('"require" must come before every other command',
                             _line_of(text, "require"))
    for command in _walk(commands):
        if command.name == "require":
            if command.parent is not None:
                raise SieveError('"require" must come before every other command',
                                 _line_of(text, "require"))
            wanted = command.arguments["capabilities"]
            for name in wanted if isinstance(wanted, list) else [wanted]:
                ext = unquote(name)
                if ext not in CAPABILITIES:
                    raise SieveError(f'unsupported extension "{ext}"',
                                     _line_of(text, f'"{ext}"'))
        elif command.name in _UNSUPPORTED:
            raise SieveError(f'unsupported command "{command.name}"',
                             _line_of(text, command.name))
        elif (unquote(command.extra_arguments.get("comparator", '""')) == "i;ascii-numeric"
              and "comparator-i;ascii-numeric" not in _required(commands)):
            raise SieveError('comparator "i;ascii-numeric" needs require '
                             '"comparator-i;ascii-numeric"', _line_of(text, "i;ascii-numeric"))
        elif command.name == "vacation" and "seconds" in command.arguments:
            raise SieveError('unsupported extension "vacation-seconds"',
                             _line_of(text, ":seconds"))
        elif command.name == "hasflag" and "variable-list" in command.arguments:
            raise SieveError("hasflag with a variable list needs \"variables\", "
                             "which is not supported", _line_of(text, "hasflag"))
        elif command.name in ("date", "currentdate") and "zone" in command.extra_arguments \
                and not _ZONE.match(unquote(command.extra_arguments["zone"])):
            raise SieveError("a :zone must look like +0100 or -0530",
                             _line_of(text, ":zone"))


_ZONE = re.compile(r"^[+-]\d{4}$")
