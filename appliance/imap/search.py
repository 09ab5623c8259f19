"""SEARCH: parse the keys into a tree, compile the tree into a predicate (pure
functions), run it over the selected mailbox (``search_uids``), and the
SEARCH / UID SEARCH commands.

Header keys (FROM, SUBJECT, HEADER ...) match against the index's decoded,
case-folded header text, so they need no message file; only BODY and TEXT
read message files. Dates compare calendar days in UTC.
"""

from __future__ import annotations

import asyncio
import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_tz

from appliance.imap.parser import Atom, ParseError, as_text, parse_date, parse_sequence_set
from appliance.imap.selection import Selected
from appliance.imap.state import No, SessionState
from appliance.store import Account

__all__ = [
    "SearchCommands",
    "SearchMessage",
    "compile_search",
    "needs",
    "parse_search",
    "required_text",
    "search_uids",
]

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


def required_text(tree: Node) -> str | None:
    """Header text every match must contain (for a prefilter in SQL), if the tree says so."""
    if tree[0] == "header" and tree[2]:
        return tree[2]
    if tree[0] == "and":
        for node in tree[1]:
            if node[0] == "header" and node[2]:
                return node[2]
    return None


def _body_loader(acct: Account, folder: str, uid: int) -> Callable[[], str]:
    cache: list[str] = []

    def load() -> str:
        if not cache:
            data = acct.read(folder, uid) or b""
            cache.append(data.decode("utf-8", "replace").casefold())
        return cache[0]

    return load


def search_uids(acct: Account, sel: Selected, tree: Node) -> list[int]:
    """UIDs in the session's view that match ``tree`` (runs in a worker thread)."""
    need = needs(tree)
    columns = [c for c in ("vsize", "internaldate", "search") if
               (c == "vsize" and "size" in need) or c in need]
    uids = list(sel.uids)
    rows = acct.meta(sel.name, uids, columns, search_contains=required_text(tree)) \
        if columns else {}
    pred = compile_search(tree, largest_seq=len(uids),
                          largest_uid=uids[-1] if uids else 0)
    out = []
    for seq, uid in enumerate(uids, 1):
        row = rows.get(uid)
        if columns and row is None:
            continue  # gone, or ruled out by the header prefilter
        flags, recent = sel.at(seq - 1)
        m = SearchMessage(seq, uid, set(flags.split()), recent)
        if row is not None:
            values = dict(zip(columns, row, strict=True))
            m.size = values.get("vsize") or 0
            m.internaldate = values.get("internaldate") or 0
            m.search = values.get("search") or ""
        if "file" in need:
            m.body = _body_loader(acct, sel.name, uid)
        if pred(m):
            out.append(uid)
    return out


class SearchCommands(SessionState):
    async def cmd_search(self, tag: bytes, args: list, uid_mode: bool = False) -> None:
        acct, sel = self._need_selected()
        charset, tree = parse_search(args)
        if charset not in (None, "UTF-8", "US-ASCII"):
            raise No("[BADCHARSET (UTF-8 US-ASCII)] unsupported charset")
        hits = await asyncio.to_thread(search_uids, acct, sel, tree)
        nums = hits if uid_mode else [sel.seq_of(u) for u in hits]
        self.send(b"* SEARCH" + b"".join(b" %d" % n for n in nums))
        await self.ok(tag, ("UID " if uid_mode else "") + "SEARCH completed", "SEARCH")

    async def cmd_uid_search(self, tag: bytes, args: list) -> None:
        await self.cmd_search(tag, args, uid_mode=True)
