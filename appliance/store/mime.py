"""Fast, tolerant message parsing for the index: headers, ENVELOPE, BODYSTRUCTURE, sections.

Why not ``email.parser``: it decodes every part into Python objects, about
100× slower than needed to index a 10,000-message mailbox on first sight
(the reason pymap's FETCH of envelopes took minutes). This parser only finds
offsets: the header block, each MIME part's header and body, with
``bytes.find`` doing the scanning in C. It never fails on a malformed
message; it just reports less structure.

Messages are handled as stored in the Maildir, with LF line ends. Sizes
reported to IMAP and POP3 clients are those of the CRLF form (what a client
receives), i.e. ``len + count(b"\\n")``.

The ENVELOPE and BODYSTRUCTURE are rendered here straight into IMAP wire form
(RFC 3501 §7.4.2), because the index keeps them that way: a FETCH of 10,000
envelopes is then a concatenation, not 10,000 parses. They say what Dovecot 2.3
says for the same bytes (header syntax rules in appliance/store/rfc822.py;
recorded Dovecot answers in tests/data/dovecot-2.3.19-mime.txt), so a mailbox
moved between the two looks the same to a client's cache.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from appliance.store.rfc822 import (
    content_language,
    content_type,
    disposition,
    field_value,
    for_humans,
    mime_token_value,
    parse_addresses,
)

__all__ = [
    "Part",
    "RENDER_FORM",
    "body_and_structure",
    "envelope",
    "envelope_of_block",
    "header_fields",
    "header_values",
    "imap_nstring",
    "imap_string",
    "parse_message",
    "section_bytes",
    "split_header",
    "to_crlf",
    "crlf_size",
]

_MAX_DEPTH = 20
_MAX_PARTS = 500

# The form of the ENVELOPE/BODY/BODYSTRUCTURE rendered here. The index keeps
# them as a cache, so an index made with another form must be refreshed;
# 2: Dovecot 2.3's answers (raw header values, groups, RFC 2231, line counts).
RENDER_FORM = 2


def to_crlf(data: bytes) -> bytes:
    """LF (or mixed) line ends to CRLF, as IMAP and POP3 send them."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
    return data.replace(b"\n", b"\r\n")


def crlf_size(data: bytes) -> int:
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
    return len(data) + data.count(b"\n")


# -- IMAP strings ---------------------------------------------------------


_QUOTE_SAFE = re.compile(rb"[\x01-\x09\x0b\x0c\x0e-\x7f]*")


def imap_string(value: bytes) -> bytes:
    """A quoted string when possible, else a literal (8-bit, CR, LF, NUL)."""
    if len(value) < 1024 and _QUOTE_SAFE.fullmatch(value):
        if b"\\" in value or b'"' in value:
            value = value.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
        return b'"' + value + b'"'
    return b"{%d}\r\n" % len(value) + value


def imap_nstring(value: bytes | None) -> bytes:
    return b"NIL" if value is None else imap_string(value)


# -- headers --------------------------------------------------------------


def split_header(data: bytes, start: int = 0, end: int | None = None) -> tuple[int, int]:
    """(header_end, body_start) of the entity at ``data[start:end]``.

    The header block ``data[start:header_end]`` includes the blank line's
    first newline; the body starts after the blank line.
    """
    if end is None:
        end = len(data)
    if data.startswith(b"\n", start):
        return start, start + 1
    if data.startswith(b"\r\n", start):
        return start, start + 2
    idx = data.find(b"\n\n", start, end)
    idx_crlf = data.find(b"\n\r\n", start, end)
    if idx_crlf >= 0 and (idx < 0 or idx_crlf < idx):
        return idx_crlf + 1, idx_crlf + 3
    if idx < 0:
        return end, end
    return idx + 1, idx + 2


_HEADER_LINE = re.compile(rb"^([^ \t\n:][^:\n]*):([^\n]*(?:\n[ \t][^\n]*)*)", re.M)


def header_values(block: bytes) -> list[tuple[bytes, bytes]]:
    """[(lower-case name, value as Dovecot keeps it)] (see rfc822.field_value): what
    BODYSTRUCTURE shows of Content-ID, -Description, -MD5 and -Location. Lines that
    are not header lines (an mbox ``From`` line, garbage) are skipped with their
    continuation lines; one regex pass does the scanning."""
    return [(name.strip().lower(), field_value(value))
            for name, value in _HEADER_LINE.findall(block)]


def _first(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key == name:
            return value
    return None


def header_fields(block: bytes, names: list[bytes], *, negate: bool = False) -> bytes:
    """HEADER.FIELDS / HEADER.FIELDS.NOT: the raw lines of the named fields + blank line."""
    wanted = {n.lower() for n in names}
    out: list[bytes] = []
    keep = False
    for line in block.split(b"\n"):
        if not line.rstrip(b"\r"):
            continue
        if line[:1] in b" \t":
            if keep:
                out.append(line)
            continue
        colon = line.find(b":")
        field_name = line[:colon].strip().lower() if colon > 0 else b""
        keep = (field_name in wanted) != negate and colon > 0
        if keep:
            out.append(line)
    return b"\n".join(out) + (b"\n\n" if out else b"\n")


# -- parameters -----------------------------------------------------------


def _param_list(params: list[tuple[bytes, bytes]], text: bool = False) -> bytes:
    """A parameter list; a text part without a charset gets Dovecot's default one."""
    if text and not any(k.lower() == b"charset" for k, _ in params):
        params = [*params, (b"charset", b"us-ascii")]
    if not params:
        return b"NIL"
    return b"(" + b" ".join(imap_string(k) + b" " + imap_string(v) for k, v in params) + b")"


# -- MIME tree ------------------------------------------------------------


@dataclass
class Part:
    """Offsets of one entity in the message bytes (LF line ends)."""

    start: int
    header_end: int
    body_start: int
    end: int
    headers: list[tuple[bytes, bytes]]
    maintype: bytes = b"text"  # lower case; what decides the structure
    subtype: bytes = b"plain"
    params: list[tuple[bytes, bytes]] = field(default_factory=list)
    children: list[Part] = field(default_factory=list)
    message: Part | None = None  # the embedded message of a message/rfc822 part
    # Content-Type as written (type, subtype or None), None without the header:
    # BODYSTRUCTURE shows it as it is, even when broken.
    shown: tuple[bytes, bytes] | None = None
    # The closing delimiter of this multipart (or of the one this message/rfc822
    # part holds) ran to ``end`` without its line break: the break before the
    # enclosing delimiter then belongs to this part (Dovecot reads it so).
    open_close: bool = False


def parse_message(data: bytes) -> Part:
    budget = [_MAX_PARTS]
    return _parse_entity(data, 0, len(data), b"text/plain", 0, budget)


def _parse_entity(
    data: bytes, start: int, end: int, default: bytes, depth: int, budget: list[int]
) -> Part:
    header_end, body_start = split_header(data, start, end)
    body_start = min(body_start, end)
    headers = header_values(data[start:header_end])
    part = Part(start, header_end, body_start, end, headers)
    ctype = _first(headers, b"content-type")
    if ctype is None:
        maintype, _, subtype = default.partition(b"/")
        params: list[tuple[bytes, bytes]] = []
    else:
        parsed = content_type(ctype)
        maintype, subtype, params = parsed if parsed is not None else (b"", b"", [])
        part.shown = (maintype, subtype)
    part.maintype, part.subtype, part.params = maintype.lower(), subtype.lower(), params
    budget[0] -= 1
    if depth >= _MAX_DEPTH or budget[0] <= 0:
        return part
    if part.maintype == b"multipart":
        boundary = next((v for k, v in params if k.lower() == b"boundary"), None)
        if boundary:
            child_default = b"message/rfc822" if part.subtype == b"digest" else b"text/plain"
            spans, part.open_close = _split_multipart(data, body_start, end, boundary)
            for s, e in spans:
                child = _parse_entity(data, s, e, child_default, depth + 1, budget)
                if child.open_close:
                    _take_line_break(data, child)
                part.children.append(child)
                if budget[0] <= 0:
                    break
    elif part.maintype == b"message" and part.subtype == b"rfc822":
        part.message = _parse_entity(data, body_start, end, b"text/plain", depth + 1, budget)
        part.open_close = part.message.open_close
    return part


def _take_line_break(data: bytes, part: Part) -> None:
    """Give ``part`` (and the message it holds) the line break after its end."""
    end = part.end
    if data.startswith(b"\r\n", end):
        end += 2
    elif data.startswith(b"\n", end):
        end += 1
    else:
        return
    node: Part | None = part
    while node is not None:
        node.end = end
        node = node.message


_BOUNDARY_PARAM = re.compile(rb'boundary[ \t]*=[ \t]*(?:"([^"\r\n]+)"|([^\s;"]+))', re.I)


def _nested_boundary_line(data: bytes, start: int, line: int, boundary: bytes) -> bool:
    """Whether the line at ``line``, which starts with ``--boundary`` and goes on, is
    the delimiter of a longer boundary declared in the part still open
    (``data[start:line]``). Dovecot takes the longest open boundary that starts a
    line; any other such line is ours (trailing garbage and all)."""
    for m in _BOUNDARY_PARAM.finditer(data, start, line):
        nested = m.group(1) or m.group(2)
        if len(nested) > len(boundary) and data.startswith(b"--" + nested, line):
            return True
    return False


def _split_multipart(data: bytes, start: int, end: int,
                     boundary: bytes) -> tuple[list[tuple[int, int]], bool]:
    """Content ranges of the body parts between ``--boundary`` delimiter lines, and
    whether the closing delimiter's line ran to ``end`` without a line break."""
    delim = b"--" + boundary
    spans: list[tuple[int, int]] = []
    pos = start
    content_start = -1
    while pos < end:
        if data.startswith(delim, pos) and (pos == start or data[pos - 1 : pos] == b"\n"):
            found = pos
        else:
            found = data.find(b"\n" + delim, pos, end)
            if found < 0:
                break
            found += 1
        after = found + len(delim)
        closing = data.startswith(b"--", after)
        line_end = data.find(b"\n", after, end)
        open_line = line_end < 0
        line_end = end if open_line else line_end + 1
        rest = data[after + (2 if closing else 0) : line_end].strip()
        if rest and _nested_boundary_line(data, max(start, content_start), found, boundary):
            pos = line_end
            continue
        if content_start >= 0:
            # The newline before the delimiter belongs to the delimiter.
            content_end = max(content_start, found - 1)
            if data[content_end - 1 : content_end] == b"\r":
                content_end -= 1
            spans.append((content_start, content_end))
        if closing:
            return spans, open_line
        content_start = line_end
        pos = line_end
    if content_start >= 0 and content_start < end:
        spans.append((content_start, end))  # no closing delimiter: take the rest
    return spans, False


# -- ENVELOPE -------------------------------------------------------------


_ADDR = rb"([^<>\s\"(),;:\\@\[\]\x00-\x1f\x7f]+)@([^<>\s\"(),;:\\@\[\]\x00-\x1f\x7f]+)"
_ANGLE_ADDR = re.compile(_ADDR + rb">[ \t]*\Z")
_PLAIN_NAME = re.compile(rb"[\w .'&!#$%*+/=?^`{|}~\x80-\xff-]*")
_BARE_ADDR = re.compile(rb"[ \t]*" + _ADDR + rb"[ \t]*\Z")
_QUOTABLE = re.compile(rb"[\x20\x21\x23-\x5b\x5d-\x7e]*")


def _quoted(value: bytes) -> bytes:
    """imap_string for values that are usually plain ASCII."""
    if _QUOTABLE.fullmatch(value):
        return b'"' + value + b'"'
    return imap_string(value)


def _plain_addr(m: re.Match[bytes]) -> bool:
    """local@domain that the full parser takes as it is (no leading dot, no empty
    domain label, no dot ending the domain)."""
    domain = m.group(2)
    return not m.group(1).startswith(b".") and not domain.startswith(b".") \
        and not domain.endswith(b".") and b".." not in domain


def _simple_addresses(value: bytes) -> bytes | None:
    """The ENVELOPE address items for the common shapes (``Name <a@b>``, ``a@b``,
    comma lists), as the full parser would give them; None when the value needs
    that parser (quotes, comments, groups, routes, empty list items)."""
    items: list[bytes] = []
    pieces = value.split(b",")
    for n, item in enumerate(pieces):
        name, angle, rest = item.partition(b"<")
        if angle:
            m = _ANGLE_ADDR.match(rest)
            if m is None or not _PLAIN_NAME.fullmatch(name):
                return None
            name = name.strip(b" ")
            if name.startswith(b".") or not _plain_addr(m):
                return None
            if b"  " in name:
                name = b" ".join(name.split())
            items.append(b"(" + (_quoted(name) if name else b"NIL") + b" NIL "
                         + _quoted(m.group(1)) + b" " + _quoted(m.group(2)) + b")")
            continue
        m = _BARE_ADDR.match(item)
        if m and _plain_addr(m):
            items.append(b"(NIL NIL " + _quoted(m.group(1)) + b" " + _quoted(m.group(2)) + b")")
        elif item.strip(b" \t") or n < len(pieces) - 1:
            # Dovecot reads an empty item before the last as a missing address.
            return None
    return b"".join(items)


_ADDRESS_CACHE: dict[bytes, bytes] = {}
_ADDRESS_CACHE_MAX = 8192


def _address_items(value: bytes) -> bytes:
    """The ENVELOPE address items of one header field. The same From/To/Cc values
    recur all through a mailbox, so the rendered items of recent values are kept
    (bounded)."""
    cached = _ADDRESS_CACHE.get(value)
    if cached is not None:
        return cached
    if len(_ADDRESS_CACHE) >= _ADDRESS_CACHE_MAX:
        _ADDRESS_CACHE.clear()
    rendered = _simple_addresses(value)
    if rendered is None:
        rendered = b"".join(
            b"(" + (b"NIL" if name is None else _quoted(for_humans(name))) + b" "
            + imap_nstring(route) + b" " + imap_nstring(mailbox) + b" "
            + imap_nstring(domain) + b")"
            for name, route, mailbox, domain in parse_addresses(value)
        )
    _ADDRESS_CACHE[value] = rendered
    return rendered


def _addresses(values: list[bytes] | None) -> bytes:
    """An ENVELOPE address list: the addresses of every field of that name, in order
    (Dovecot joins repeated To: or Cc: fields)."""
    if not values:
        return b"NIL"
    items = (_address_items(values[0]) if len(values) == 1
             else b"".join(_address_items(v) for v in values))
    return b"(" + items + b")" if items else b"NIL"


_ADDRESS_FIELDS = frozenset((b"from", b"sender", b"reply-to", b"to", b"cc", b"bcc"))


def envelope(headers: list[tuple[bytes, bytes]]) -> bytes:
    """The ENVELOPE of [(lower-case name, value as header_values gives it)]."""
    fields: dict[bytes, list[bytes]] = {}
    for key, value in headers:
        if key in _ENVELOPE_NAMES:
            _collect(fields, key, value)
    return _envelope(fields)


_ENVELOPE_NAMES = frozenset((b"date", b"subject", b"in-reply-to", b"message-id")) | _ADDRESS_FIELDS


def _collect(fields: dict[bytes, list[bytes]], name: bytes, value: bytes) -> None:
    # A repeated address field adds its addresses; a repeated string field
    # replaces the earlier value (both as Dovecot does).
    if name in _ADDRESS_FIELDS:
        fields.setdefault(name, []).append(value)
    else:
        fields[name] = [value]


# Anchored on a newline rather than ``^`` with re.M: the regex engine then jumps
# from newline to newline instead of trying every position.
_ENVELOPE_FIELD = re.compile(
    rb"\n(date|subject|from|sender|reply-to|to|cc|bcc|in-reply-to|message-id)[ \t]*:"
    rb"([^\n]*(?:\n[ \t][^\n]*)*)",
    re.I,
)


def envelope_of_block(block: bytes) -> bytes:
    """``envelope(header_values(block))``, looking only at the ten fields it uses."""
    fields: dict[bytes, list[bytes]] = {}
    # field_value and _collect written out: this runs for every message indexed.
    for name, value in _ENVELOPE_FIELD.findall(b"\n" + block):
        name = name.lower()
        value = value.lstrip(b" \t")
        if b"\n" in value:
            value = _FOLD_BREAK.sub(b"", value)
        if value[-1:] == b"\r":
            value = value[:-1]
        known = fields.get(name)
        if known is None or name not in _ADDRESS_FIELDS:
            fields[name] = [value]
        else:
            known.append(value)
    return _envelope(fields)


_FOLD_BREAK = re.compile(rb"\r?\n")


def _string(fields: dict[bytes, list[bytes]], name: bytes) -> bytes:
    value = fields.get(name)
    return b"NIL" if value is None else _quoted(value[-1])


def _envelope(fields: dict[bytes, list[bytes]]) -> bytes:
    subject = fields.get(b"subject")
    sender_from = _addresses(fields.get(b"from"))
    sender = _addresses(fields.get(b"sender"))
    reply_to = _addresses(fields.get(b"reply-to"))
    return b"(" + b" ".join((
        _string(fields, b"date"),
        b"NIL" if subject is None else _quoted(for_humans(subject[-1])),
        sender_from,
        # An absent or empty Sender/Reply-To is the From.
        sender_from if sender == b"NIL" else sender,
        sender_from if reply_to == b"NIL" else reply_to,
        _addresses(fields.get(b"to")),
        _addresses(fields.get(b"cc")),
        _addresses(fields.get(b"bcc")),
        _string(fields, b"in-reply-to"),
        _string(fields, b"message-id"),
    )) + b")"


# -- BODYSTRUCTURE --------------------------------------------------------


def _disposition(headers: list[tuple[bytes, bytes]]) -> bytes:
    value = _first(headers, b"content-disposition")
    parsed = None if value is None else disposition(value)
    if parsed is None:
        return b"NIL"
    kind, params = parsed
    return b"(" + imap_string(kind) + b" " + _param_list(params) + b")"


def _language(headers: list[tuple[bytes, bytes]]) -> bytes:
    value = _first(headers, b"content-language")
    langs = content_language(value) if value else []
    return b"(" + b" ".join(imap_string(x) for x in langs) + b")" if langs else b"NIL"


def _nolf(value: bytes | None) -> bytes:
    return imap_nstring(value if value is None or b"\n" not in value
                        else value.replace(b"\r", b"").replace(b"\n", b""))


# A multipart with no parts shows one empty text part, as Dovecot does.
_EMPTY_PART = (b'("TEXT" "PLAIN" ("charset" "us-ascii") NIL NIL "7BIT" 0 0',
               b' NIL NIL NIL NIL')


def _structure(data: bytes, part: Part, extended: bool) -> bytes:
    h = part.headers
    if part.maintype == b"multipart":
        if part.children:
            kids = b"".join(_structure(data, c, extended) for c in part.children)
        else:
            kids = _EMPTY_PART[0] + (_EMPTY_PART[1] if extended else b"") + b")"
        out = kids + b" " + imap_string(part.subtype.upper())
        if extended:
            out += b" " + b" ".join(
                (
                    _param_list(part.params),
                    _disposition(h),
                    _language(h),
                    _nolf(_first(h, b"content-location")),
                )
            )
        return b"(" + out + b")"
    if part.message is not None:
        shown: tuple[bytes, bytes] = (b"message", b"rfc822")
        text = False
    elif part.shown is None:
        shown = (part.maintype, part.subtype)
        text = part.maintype == b"text"
    else:
        shown = part.shown
        text = part.maintype == b"text"
    body = data[part.body_start : part.end]
    newlines = body.count(b"\n")
    size = len(body) + newlines - body.count(b"\r\n")
    encoding = _first(h, b"content-transfer-encoding")
    if encoding is not None:
        encoding = mime_token_value(encoding)
    fields = [
        imap_string(shown[0].upper()),
        imap_string(shown[1].upper()),
        _param_list(part.params, text),
        _nolf(_first(h, b"content-id")),
        _nolf(_first(h, b"content-description")),
        imap_string(encoding.upper() if encoding else b"7BIT"),
        b"%d" % size,
    ]
    # Lines are line breaks: a last line without one is not counted (Dovecot).
    if part.message is not None:
        block = data[part.message.start : part.message.header_end]
        fields.append(envelope_of_block(block))
        fields.append(_structure(data, part.message, extended))
        fields.append(b"%d" % newlines)
    elif text:
        fields.append(b"%d" % newlines)
    if extended:
        fields += [
            _nolf(_first(h, b"content-md5")),
            _disposition(h),
            _language(h),
            _nolf(_first(h, b"content-location")),
        ]
    return b"(" + b" ".join(fields) + b")"


def body_and_structure(data: bytes, root: Part | None = None) -> tuple[bytes, bytes]:
    """(BODY, BODYSTRUCTURE) in IMAP wire form."""
    root = root or parse_message(data)
    return _structure(data, root, False), _structure(data, root, True)


# -- sections -------------------------------------------------------------


def section_bytes(
    data: bytes, root: Part, numbers: list[int], text: str, fields: list[bytes] | None = None
) -> bytes | None:
    """The bytes (LF) of BODY[numbers.text]; None when the section does not exist.

    ``text`` is "", "HEADER", "TEXT", "MIME", "HEADER.FIELDS" or
    "HEADER.FIELDS.NOT"; ``fields`` the names for the last two.
    """
    node = root
    for i, n in enumerate(numbers):
        if i > 0 and node.message is not None:
            node = node.message  # "2.1" of a message/rfc822 part 2: inside the message
        if node.children:
            if not 1 <= n <= len(node.children):
                return None
            node = node.children[n - 1]
        elif n != 1:
            return None
        # Part 1 of a single-part entity is its body: node stays.
    if text == "MIME":
        if not numbers:
            return None
        return data[node.start : node.header_end] + b"\n"
    if text in ("HEADER", "TEXT", "HEADER.FIELDS", "HEADER.FIELDS.NOT"):
        if numbers:
            if node.message is None:
                return None
            node = node.message
        if text == "TEXT":
            return data[node.body_start : node.end]
        block = data[node.start : node.header_end]
        if text == "HEADER":
            return block + b"\n"
        return header_fields(block, fields or [], negate=text.endswith(".NOT"))
    if not numbers:
        return data
    return data[node.body_start : node.end]
