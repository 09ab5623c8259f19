"""Comparing IMAP FETCH answers of two servers: parse the wire form into nested
tuples (imapclient's response parser: a literal and a quoted string become the
same bytes) and compare ENVELOPE, BODYSTRUCTURE and RFC822.SIZE with the case
of MIME tokens ignored (type, subtype, transfer encoding, parameter and
disposition names are case-insensitive; their values are not).

Used by bench/imap_pop_read.py (Mailroom beside Dovecot) and by
tests/unit/test_mime_dovecot.py (Mailroom's answers beside Dovecot's, recorded).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["compare", "norm_structure", "parse_wire"]

_LITERAL = re.compile(rb"\{(\d+)\}\r\n")


def parse_wire(wire: bytes) -> Any:
    """One IMAP value (e.g. an ENVELOPE as a server sends it) as nested tuples."""
    from imapclient.response_parser import parse_response

    pieces: list[Any] = []
    pos = 0
    while (m := _LITERAL.search(wire, pos)) is not None:
        n = int(m.group(1))
        pieces.append((wire[pos:m.end() - 2], wire[m.end():m.end() + n]))
        pos = m.end() + n
    pieces.append(wire[pos:])
    return parse_response(pieces)[0]


def _lower(v: Any) -> Any:
    return v.lower() if isinstance(v, bytes) else v


def _params(v: Any) -> Any:
    if not isinstance(v, tuple):
        return v
    return tuple(_lower(x) if k % 2 == 0 else x for k, x in enumerate(v))


def _disposition(v: Any) -> Any:
    if not isinstance(v, tuple) or len(v) < 2:
        return v
    return (_lower(v[0]), _params(v[1]), *v[2:])


def norm_structure(v: Any) -> Any:
    """A BODYSTRUCTURE with case-insensitive MIME tokens lower-cased."""
    if not isinstance(v, tuple) or not v:
        return v
    if isinstance(v[0], tuple):  # multipart: parts..., subtype, [params, disposition, ...]
        k = 0
        while k < len(v) and isinstance(v[k], tuple):
            k += 1
        parts = tuple(norm_structure(x) for x in v[:k])
        rest = list(v[k:])
        if rest:
            rest[0] = _lower(rest[0])
        if len(rest) > 1:
            rest[1] = _params(rest[1])
        if len(rest) > 2:
            rest[2] = _disposition(rest[2])
        return (*parts, *rest)
    out = list(v)
    for k in (0, 1, 5):  # type, subtype, encoding
        if k < len(out):
            out[k] = _lower(out[k])
    if len(out) > 2:
        out[2] = _params(out[2])
    is_msg = len(out) > 9 and out[0] == b"message" and out[1] == b"rfc822"
    if is_msg:
        out[8] = norm_structure(out[8])
    ext = 10 if is_msg else (8 if out[0] == b"text" else 7)
    if len(out) > ext + 1:
        out[ext + 1] = _disposition(out[ext + 1])
    return tuple(out)


def compare(reference: dict[str, dict[str, Any]], other: dict[str, dict[str, Any]],
            examples: int = 3) -> list[str]:
    lines = []
    missing = sorted(set(reference) ^ set(other))
    if missing:
        lines.append(f"  {len(missing)} messages only on one side, e.g. {missing[:5]}")
    common = sorted(set(reference) & set(other), key=lambda k: (len(k), k))
    for item, norm in (("ENVELOPE", lambda v: v), ("BODYSTRUCTURE", norm_structure),
                       ("RFC822.SIZE", lambda v: v)):
        diff = [k for k in common
                if norm(reference[k].get(item)) != norm(other[k].get(item))]
        lines.append(f"  {item:14} {len(diff):6} of {len(common)} differ")
        for k in diff[:examples]:
            lines.append(f"    X-Bench-Id {k}:")
            lines.append(f"      dovecot : {str(reference[k].get(item))[:400]}")
            lines.append(f"      mailroom: {str(other[k].get(item))[:400]}")
    return lines


