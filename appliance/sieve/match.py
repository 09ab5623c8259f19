"""Sieve comparators and match types (RFC 5228 2.7, RFC 5231 relational).

No regular expressions: ``:matches`` is a linear two-pointer glob, so no key
can make a match take more than len(value) * len(key) steps.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["compare_order", "fold", "glob", "matches"]

_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
MAX_VALUE = 64 * 1024  # a longer header value is matched on its first 64 KB

RELATIONS = ("gt", "ge", "lt", "le", "eq", "ne")


def fold(text: str, comparator: str) -> str:
    """i;ascii-casemap folds only A-Z (not other letters); i;octet compares as is."""
    return text.translate(_ASCII_LOWER) if comparator == "i;ascii-casemap" else text


def _tokens(key: str) -> list[str | None]:
    """A :matches key as characters, None for ``*`` and ``"?"``-marker ``\\x00?``."""
    out: list[str | None] = []
    i = 0
    while i < len(key):
        ch = key[i]
        if ch == "\\" and i + 1 < len(key):
            out.append(key[i + 1])
            i += 2
            continue
        if ch == "*":
            if not out or out[-1] is not None:  # ** is *
                out.append(None)
        elif ch == "?":
            out.append("\0?")
        else:
            out.append(ch)
        i += 1
    return out


def glob(key: str, value: str) -> bool:
    """``*`` any run of characters, ``?`` one character, ``\\`` escapes either."""
    tokens = _tokens(key)
    ti = si = 0
    star, mark = -1, 0
    n = len(tokens)
    while si < len(value):
        if ti < n and tokens[ti] is not None and (tokens[ti] == "\0?" or tokens[ti] == value[si]):
            ti += 1
            si += 1
        elif ti < n and tokens[ti] is None:
            star, mark = ti, si
            ti += 1
        elif star >= 0:
            ti = star + 1
            mark += 1
            si = mark
        else:
            return False
    while ti < n and tokens[ti] is None:
        ti += 1
    return ti == n


def _numeric(text: str) -> float:
    """i;ascii-numeric (RFC 4790): the leading digits; none is positive infinity."""
    digits = ""
    for ch in text:
        if not ch.isascii() or not ch.isdigit():
            break
        digits += ch
    return float(int(digits)) if digits else float("inf")


def compare_order(a: str, b: str, comparator: str) -> int:
    """-1, 0 or 1 as ``a`` sorts before, with or after ``b`` under ``comparator``."""
    if comparator == "i;ascii-numeric":
        x: object = _numeric(a)
        y: object = _numeric(b)
    elif comparator == "i;ascii-casemap":
        x, y = fold(a, comparator).encode(), fold(b, comparator).encode()
    else:
        x, y = a.encode("utf-8", "surrogateescape"), b.encode("utf-8", "surrogateescape")
    return (x > y) - (x < y)  # type: ignore[operator]


def _relation(order: int, relation: str) -> bool:
    return {
        "gt": order > 0, "ge": order >= 0, "lt": order < 0,
        "le": order <= 0, "eq": order == 0, "ne": order != 0,
    }[relation]


def matches(
    values: Iterable[str],
    keys: list[str],
    *,
    match_type: str = ":is",
    comparator: str = "i;ascii-casemap",
    relation: str = "eq",
) -> bool:
    """Whether any value matches any key (RFC 5228 2.7.1; :count/:value of RFC 5231)."""
    values = list(values)
    if match_type == ":count":
        count = str(len(values))
        return any(_relation(compare_order(count, key, "i;ascii-numeric"), relation)
                   for key in keys)
    if match_type == ":value":
        return any(_relation(compare_order(v[:MAX_VALUE], key, comparator), relation)
                   for v in values for key in keys)
    numeric = comparator == "i;ascii-numeric"
    folded_keys = [fold(k, comparator) for k in keys]
    for value in values:
        v = fold(value[:MAX_VALUE], comparator)
        for key, raw_key in zip(folded_keys, keys, strict=True):
            if match_type == ":is":
                if (compare_order(value, raw_key, comparator) == 0) if numeric else v == key:
                    return True
            elif match_type == ":contains":
                if key in v:
                    return True
            elif match_type == ":matches" and glob(key, v):
                return True
    return False
