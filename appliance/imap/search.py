"""SEARCH: parse the keys into a tree, compile the tree into a predicate (pure functions).

Header keys (FROM, SUBJECT, HEADER ...) match against the index's decoded,
case-folded header text, so they need no message file; only BODY and TEXT
read message files. Dates compare calendar days in UTC.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_tz

from appliance.imap.parser import Atom, ParseError, as_text, parse_date, parse_sequence_set

__all__ = ["SearchMessage", "compile_search", "needs", "parse_search"]

Node = tuple

_FLAG_KEYS = {
    "ANSWERED": ("\\Answered", True),
    "DELETED": ("\\Deleted", True),
    "DRAFT": ("\\Draft", True),
    "FLAGGED": ("\\Flagged", True),
    "SEEN": ("\\Seen", True),
    "UNANSWERED": ("\\Answered", False),
    "UNDELETED": ("\\Deleted", False),
    "UNDRAFT": ("\\Draft", False),
    "UNFLAGGED": ("\\Flagged", False),
    "UNSEEN": ("\\Seen", False),
}
_HEADER_KEYS = {"BCC", "CC", "FROM", "SUBJECT", "TO"}
_DATE_KEYS = {
    "BEFORE": ("internal", "before"),
    "ON": ("internal", "on"),
    "SINCE": ("internal", "since"),
    "SENTBEFORE": ("sent", "before"),
    "SENTON": ("sent", "on"),
    "SENTSINCE": ("sent", "since"),
}


def parse_search(tokens: list) -> tuple[str | None, Node]:
    """(charset, tree) from the arguments of SEARCH."""
    pos = 0
    charset = None
    if len(tokens) >= 2 and isinstance(tokens[0], Atom) and tokens[0].upper() == "CHARSET":
        charset = as_text(tokens[1]).upper()
        pos = 2
    keys: list[Node] = []
    while pos < len(tokens):
        node, pos = _parse_key(tokens, pos)
        keys.append(node)
    if not keys:
        raise ParseError("search keys expected")
    return charset, keys[0] if len(keys) == 1 else ("and", keys)


def _arg(tokens: list, pos: int) -> object:
    if pos >= len(tokens):
        raise ParseError("search key argument missing")
    return tokens[pos]


def _parse_key(tokens: list, pos: int) -> tuple[Node, int]:
    tok = tokens[pos]
    if isinstance(tok, list):
        if not tok:
            raise ParseError("empty search list")
        _, node = parse_search(tok)
        return node, pos + 1
    if not isinstance(tok, Atom):
        raise ParseError("search key expected")
    key = tok.upper()
    if key == "ALL":
        return ("all",), pos + 1
    if key in _FLAG_KEYS:
        return ("flag", *_FLAG_KEYS[key]), pos + 1
    if key in ("NEW", "OLD", "RECENT"):
        return (key.lower(),), pos + 1
    if key in ("KEYWORD", "UNKEYWORD"):
        return ("flag", as_text(_arg(tokens, pos + 1)), key == "KEYWORD"), pos + 2
    if key in _HEADER_KEYS:
        return ("header", key.lower(), as_text(_arg(tokens, pos + 1)).casefold()), pos + 2
    if key == "HEADER":
        name = as_text(_arg(tokens, pos + 1)).lower()
        return ("header", name, as_text(_arg(tokens, pos + 2)).casefold()), pos + 3
    if key in ("BODY", "TEXT"):
        return (key.lower(), as_text(_arg(tokens, pos + 1)).casefold()), pos + 2
    if key in _DATE_KEYS:
        which, op = _DATE_KEYS[key]
        return ("date", which, op, parse_date(as_text(_arg(tokens, pos + 1)))), pos + 2
    if key in ("LARGER", "SMALLER"):
        text = as_text(_arg(tokens, pos + 1))
        if not text.isdigit():
            raise ParseError("number expected")
        return ("size", key == "LARGER", int(text)), pos + 2
    if key == "UID":
        return ("uid", parse_sequence_set(as_text(_arg(tokens, pos + 1)))), pos + 2
    if key == "NOT":
        node, nxt = _parse_key(tokens, pos + 1) if pos + 1 < len(tokens) else (None, 0)
        if node is None:
            raise ParseError("NOT needs a key")
        return ("not", node), nxt
    if key == "OR":
        if pos + 2 >= len(tokens):
            raise ParseError("OR needs two keys")
        a, nxt = _parse_key(tokens, pos + 1)
        if nxt >= len(tokens):
            raise ParseError("OR needs two keys")
        b, nxt = _parse_key(tokens, nxt)
        return ("or", a, b), nxt
    if key[:1].isdigit() or key[:1] == "*":
        return ("seq", parse_sequence_set(key)), pos + 1
    raise ParseError(f"unknown search key {key[:30]}")


def needs(node: Node) -> set[str]:
    """Which per-message data the tree needs: size, internaldate, search, file."""
    kind = node[0]
    if kind == "and":
        return set().union(*(needs(n) for n in node[1]))
    if kind == "or":
        return needs(node[1]) | needs(node[2])
    if kind == "not":
        return needs(node[1])
    if kind == "date":
        return {"internaldate"} if node[1] == "internal" else {"search"}
    return {
        "size": {"size"},
        "header": {"search"},
        "body": {"file"},
        "text": {"search", "file"},
    }.get(kind, set())


@dataclass(slots=True)
class SearchMessage:
    seq: int
    uid: int
    flags: set[str]
    recent: bool
    size: int = 0
    internaldate: int = 0
    search: str = ""
    body: Callable[[], str] = field(default=lambda: "")


def _day(ts: float) -> tuple[int, int, int]:
    import time

    t = time.gmtime(ts)
    return (t.tm_year, t.tm_mon, t.tm_mday)


_DATE_LINE = re.compile(r"^date[ \t]*:(.*)$", re.M)


def _sent_day(search: str) -> tuple[int, int, int] | None:
    m = _DATE_LINE.search(search)
    if not m:
        return None
    parsed = parsedate_tz(m.group(1).strip())
    if not parsed:
        return None
    # The sent date is the date as written in the header, ignoring its zone.
    return (parsed[0], parsed[1], parsed[2])


def compile_search(
    node: Node, *, largest_seq: int, largest_uid: int
) -> Callable[[SearchMessage], bool]:
    kind = node[0]
    if kind == "all":
        return lambda m: True
    if kind == "and":
        preds = [compile_search(n, largest_seq=largest_seq, largest_uid=largest_uid)
                 for n in node[1]]
        return lambda m: all(p(m) for p in preds)
    if kind == "or":
        a = compile_search(node[1], largest_seq=largest_seq, largest_uid=largest_uid)
        b = compile_search(node[2], largest_seq=largest_seq, largest_uid=largest_uid)
        return lambda m: a(m) or b(m)
    if kind == "not":
        inner = compile_search(node[1], largest_seq=largest_seq, largest_uid=largest_uid)
        return lambda m: not inner(m)
    if kind == "flag":
        flag, present = node[1], node[2]
        flag_l = flag.lower()
        if present:
            return lambda m: any(f.lower() == flag_l for f in m.flags)
        return lambda m: not any(f.lower() == flag_l for f in m.flags)
    if kind == "recent":
        return lambda m: m.recent
    if kind == "new":
        return lambda m: m.recent and "\\Seen" not in m.flags
    if kind == "old":
        return lambda m: not m.recent
    if kind == "header":
        name, needle = node[1], node[2]
        pattern = re.compile(r"^" + re.escape(name) + r"[ \t]*:[^\n]*" + re.escape(needle), re.M)
        return lambda m: pattern.search(m.search) is not None
    if kind == "body":
        needle = node[1]
        return lambda m: needle in m.body()
    if kind == "text":
        needle = node[1]
        return lambda m: needle in m.search or needle in m.body()
    if kind == "size":
        larger, n = node[1], node[2]
        return (lambda m: m.size > n) if larger else (lambda m: m.size < n)
    if kind == "date":
        which, op, day = node[1], node[2], node[3]
        if which == "internal":
            # Compare whole days: the UTC midnight that starts ``day``.
            start = calendar.timegm((*day, 0, 0, 0))
            if op == "before":
                return lambda m: m.internaldate < start
            if op == "since":
                return lambda m: m.internaldate >= start
            return lambda m: start <= m.internaldate < start + 86400

        def sent(m: SearchMessage) -> bool:
            got = _sent_day(m.search)
            if got is None:
                return False
            return got < day if op == "before" else got >= day if op == "since" else got == day

        return sent
    if kind in ("uid", "seq"):
        largest = largest_uid if kind == "uid" else largest_seq
        ranges = []
        for a, b in node[1]:
            lo = largest if a is None else a
            hi = largest if b is None else b
            ranges.append((min(lo, hi), max(lo, hi)))
        attr = kind
        return lambda m: any(lo <= getattr(m, attr) <= hi for lo, hi in ranges)
    raise ParseError(f"cannot search by {kind}")
