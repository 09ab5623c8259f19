"""Parse sendmail's ``/etc/aliases`` format (the file ``newaliases`` reads).

Why hand-written: no maintained Python library parses this format on its own.
Twisted's ``twisted.mail.alias.loadAliasFile`` is the nearest thing, but it
builds Twisted delivery objects rather than data, splits on bare commas (no
quoting, so ``":error:550 5.1.1 gone, sorry"`` breaks), merges a repeated
name instead of letting the later definition win, and would pull a whole
networking framework into the appliance. The PyPI projects that mention
sendmail aliases are command-line converters (e.g. to LDIF), not libraries,
and Augeas' ``aliases`` lens needs the C libaugeas installed.
The format is small, and the appliance needs something those do not give:
skipped pipe and file targets reported with their line number instead of run.

What is followed from sendmail (``readaliases()`` in ``alias.c``):

* A line starting with ``#`` is a comment; ``#`` later on a line is *not*
  (sendmail has no trailing comments, so ``std01 # old`` is a bad target).
* A line starting with a space or tab continues the entry above it. A blank
  or comment line ends an entry, so an indented line after one has nothing
  to continue and is reported, as sendmail does.
* ``name: target, target, ...``; the name ends at the first colon outside
  double quotes. A trailing comma before a continuation line is fine.
* Targets may be double-quoted; ``(comments)`` and ``Display Name <addr>``
  are RFC 822 syntax that sendmail accepts, so they are understood too.
* ``:include:/path`` splices in the addresses of another file; ``|cmd``
  (pipe) and ``/path`` (file) targets are skipped with a warning because the
  appliance never runs commands or writes files on a sender's behalf.
* ``:error:550 text`` becomes an error target; the text is kept verbatim.
* A name defined twice: the later definition wins (it replaces the first
  one even if every later target is then skipped, because sendmail would
  not deliver to the first definition either).

Two deliberate leniencies: an indented line starting with ``#`` is treated
as a comment rather than a garbage address, and a line break separates
targets even without a comma, since that is clearly what the writer meant.

Nothing here raises on bad input: every problem becomes a warning naming
the source and line, and the rest of the file is still used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["AliasEntry", "AliasTarget", "ParseResult", "parse_aliases"]

# Only has to stop runaway nesting; cycles are caught separately, and no real
# office nests include files more than a level or two.
_MAX_INCLUDE_DEPTH = 10

# Characters that can only be left over from broken RFC 822 syntax: a
# target still holding one after unquoting cannot be an address we deliver to.
_BAD_ADDRESS_CHARS = frozenset('<>(),;:"\\')


@dataclass(frozen=True)
class AliasTarget:
    """One place mail for an alias goes.

    ``kind == "address"``: ``value`` is the address as written, unquoted and
    lowercased (``"std01"``, ``"office@example.test"``).
    ``kind == "error"``: ``value`` is the text after ``:error:``
    (``"550 5.1.1 This user has left"``).
    """

    kind: Literal["address", "error"]
    value: str


@dataclass(frozen=True)
class AliasEntry:
    """An alias: its lowercased name, its targets, and the line it starts on."""

    name: str
    targets: tuple[AliasTarget, ...]
    line: int


@dataclass
class ParseResult:
    """Entries in file order, and one warning per problem found."""

    entries: list[AliasEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _Syntax(ValueError):
    """A line that cannot be split into targets (unbalanced quote or paren)."""


def _split_list(text: str) -> list[str]:
    """Split on commas outside quotes and drop ``(comments)``.

    Quotes are kept so the caller can tell a quoted ``"|cmd"`` from the rest.
    """
    parts: list[str] = []
    cur: list[str] = []
    in_quote = False
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if in_quote:
            cur.append(ch)
            if ch == "\\" and i + 1 < len(text):
                cur.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_quote = False
        elif depth:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
        elif ch == '"':
            in_quote = True
            cur.append(ch)
        elif ch == "(":
            depth = 1
            # A comment separates words like white space does in RFC 822.
            cur.append(" ")
        elif ch == ")":
            raise _Syntax("unbalanced ')'")
        elif ch == ",":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    if in_quote:
        raise _Syntax("unbalanced '\"'")
    if depth:
        raise _Syntax("unbalanced '('")
    parts.append("".join(cur))
    return parts


def _unquote(text: str) -> str:
    """Remove double quotes and backslash escapes inside them."""
    out: list[str] = []
    in_quote = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            in_quote = not in_quote
        elif ch == "\\" and in_quote and i + 1 < len(text):
            out.append(text[i + 1])
            i += 1
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _route_addr(text: str) -> str:
    """``Display Name <addr>`` -> ``addr``; anything else unchanged."""
    in_quote = False
    start = -1
    for i, ch in enumerate(text):
        if ch == '"':
            in_quote = not in_quote
        elif not in_quote and ch == "<":
            start = i
        elif not in_quote and ch == ">" and start >= 0:
            return text[start + 1 : i]
    return text


def _find_colon(line: str) -> int:
    """Index of the first colon outside double quotes, or -1."""
    in_quote = False
    for i, ch in enumerate(line):
        if ch == '"':
            in_quote = not in_quote
        elif ch == ":" and not in_quote:
            return i
    return -1


class _Parser:
    def __init__(self, read_include: Callable[[str], str] | None) -> None:
        self.read_include = read_include
        self.warnings: list[str] = []

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(f"{where}: {message}")

    def targets_from(
        self, text: str, where: str, include_stack: tuple[str, ...]
    ) -> list[AliasTarget]:
        """Targets in one physical line's worth of list text."""
        try:
            pieces = _split_list(text)
        except _Syntax as exc:
            self.warn(where, f"{exc}; targets on this line skipped")
            return []
        found: list[AliasTarget] = []
        for piece in pieces:
            found.extend(self.target(piece.strip(), where, include_stack))
        return found

    def target(
        self, raw: str, where: str, include_stack: tuple[str, ...]
    ) -> list[AliasTarget]:
        if not raw:
            # Empty items come from "a,,b" or a trailing comma; sendmail ignores them.
            return []
        plain = _unquote(raw).strip()
        lowered = plain.lower()
        if lowered.startswith(":include:"):
            return self.include(plain[len(":include:") :].strip(), where, include_stack)
        if lowered.startswith(":error:"):
            text = plain[len(":error:") :].strip()
            if not text:
                self.warn(where, "skipped :error: target with no text")
                return []
            return [AliasTarget("error", text)]
        if plain.startswith("|"):
            self.warn(where, f'skipped pipe target "{plain}"')
            return []
        if plain.startswith("/"):
            self.warn(where, f'skipped file target "{plain}"')
            return []
        inner = _route_addr(raw)
        if inner != raw:
            if not inner.strip():
                self.warn(where, f'skipped empty target "{raw}"')
                return []
            return self.target(inner.strip(), where, include_stack)
        # "\user" tells sendmail to deliver to the mailbox and stop alias
        # expansion; the appliance resolves chains itself with loop detection,
        # so the account name alone is what matters.
        address = plain[1:] if plain.startswith("\\") else plain
        if not _plausible(address):
            self.warn(where, f'skipped invalid target "{raw}"')
            return []
        return [AliasTarget("address", address.lower())]

    def include(
        self, path: str, where: str, include_stack: tuple[str, ...]
    ) -> list[AliasTarget]:
        if not path:
            self.warn(where, "skipped :include: with no file name")
            return []
        if self.read_include is None:
            self.warn(where, f'skipped include "{path}": include files are not read here')
            return []
        if path in include_stack:
            self.warn(where, f'skipped include "{path}": it includes itself')
            return []
        if len(include_stack) >= _MAX_INCLUDE_DEPTH:
            self.warn(where, f'skipped include "{path}": includes nested too deeply')
            return []
        # A file that is not text is as unreadable to us as a missing one.
        try:
            text = self.read_include(path)
        except (OSError, UnicodeError) as exc:
            self.warn(where, f'skipped include "{path}": cannot read it ({exc})')
            return []
        found: list[AliasTarget] = []
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            inner = f"{path}:{number} (included from {where})"
            found.extend(self.targets_from(stripped, inner, (*include_stack, path)))
        if not found:
            self.warn(where, f'include "{path}" gave no targets')
        return found


def _plausible(word: str) -> bool:
    """Whether ``word`` could be a name or address: no blanks, controls or syntax leftovers."""
    return bool(word) and all(
        ch.isprintable() and not ch.isspace() and ch not in _BAD_ADDRESS_CHARS for ch in word
    )


def _parse_name(lhs: str) -> str | None:
    name = _unquote(lhs.strip()).strip().lower()
    if not _plausible(name) or name.startswith("|"):
        return None
    return name


def parse_aliases(
    text: str,
    *,
    source: str = "aliases",
    read_include: Callable[[str], str] | None = None,
) -> ParseResult:
    """Parse the text of an aliases file.

    ``source`` names the file in warnings. ``read_include(path)`` returns the
    text of an ``:include:`` file; without it, or when it raises ``OSError``,
    the include is skipped with a warning.
    """
    parser = _Parser(read_include)
    # An entry under construction: its name, first line, and targets so far.
    current: tuple[str, int, list[AliasTarget]] | None = None
    # After a malformed line, its continuation lines belong to it, not to
    # the entry before; sendmail skips them quietly the same way.
    skipping = False
    by_name: dict[str, AliasEntry] = {}

    def finish() -> None:
        nonlocal current
        if current is None:
            return
        name, line, targets = current
        current = None
        previous = by_name.pop(name, None)
        if previous is not None:
            parser.warn(
                f"{source}:{line}",
                f'alias "{name}" defined again (first at line {previous.line}); '
                "the later definition wins",
            )
        # sendmail sends one copy per recipient, so a member listed twice
        # (e.g. directly and through an include) is one target.
        unique = tuple(dict.fromkeys(targets))
        if not unique:
            parser.warn(f"{source}:{line}", f'alias "{name}" has no usable targets; omitted')
            return
        by_name[name] = AliasEntry(name=name, targets=unique, line=line)

    for number, line in enumerate(text.splitlines(), start=1):
        where = f"{source}:{number}"
        if line and not line.strip():
            # sendmail reads a line of only blanks as an empty continuation.
            continue
        if not line or line.startswith("#"):
            finish()
            skipping = False
            continue
        if line[0] in " \t":
            if line.lstrip().startswith("#"):
                continue
            if current is not None:
                current[2].extend(parser.targets_from(line, where, ()))
            elif not skipping:
                parser.warn(where, "indented line does not continue an entry; skipped")
                skipping = True
            continue
        finish()
        skipping = False
        colon = _find_colon(line)
        name = _parse_name(line[:colon]) if colon > 0 else None
        if name is None:
            parser.warn(where, f'not a "name: targets" entry; skipped: {line.strip()!r}')
            skipping = True
            continue
        current = (name, number, parser.targets_from(line[colon + 1 :], where, ()))
    finish()

    entries = sorted(by_name.values(), key=lambda entry: entry.line)
    return ParseResult(entries=entries, warnings=parser.warnings)
