"""What a Sieve script sees of a message: headers, addresses, body parts, size.

Parsing is lazy: the header block is parsed on the first header test, the
body only when a ``body`` test asks for it, so a script that only looks at
the Subject costs one header parse.
"""

from __future__ import annotations

import email.message
import email.parser
import email.policy
from email.header import decode_header, make_header
from email.utils import getaddresses

__all__ = ["MailView"]

MAX_BODY = 4 * 1024 * 1024  # a body test looks at the first 4 MB of the message


def _decode(value: str) -> str:
    """An RFC 2047 encoded header value as text, unfolded."""
    unfolded = value.replace("\r\n", "").replace("\n", "")
    if "=?" not in unfolded:
        return unfolded.strip()
    try:
        return str(make_header(decode_header(unfolded))).strip()
    except (ValueError, LookupError, UnicodeError):
        return unfolded.strip()


def _split_header(data: bytes) -> tuple[bytes, bytes]:
    for sep in (b"\r\n\r\n", b"\n\n"):
        at = data.find(sep)
        if at >= 0:
            return data[: at + len(sep)], data[at + len(sep):]
    return data, b""


def parse_header_block(head: bytes) -> dict[str, list[str]]:
    """Header fields by lower-cased name, raw values unfolded, in order.

    Several times faster than ``email.parser`` for what tests need, which
    matters: the global before script looks at every delivered message.
    """
    fields: dict[str, list[str]] = {}
    name = ""
    value: list[str] = []
    for line in head.decode("utf-8", "replace").splitlines():
        if line[:1] in (" ", "\t"):
            if name:
                value.append(line)
            continue
        if name:
            fields.setdefault(name, []).append(" ".join(v.strip() for v in value))
        field, colon, rest = line.partition(":")
        field = field.rstrip(" \t")  # RFC 5322 obsolete syntax: "Subject : x"
        if colon and field and " " not in field and "\t" not in field:
            name, value = field.lower(), [rest]
        else:
            name, value = "", []  # the mbox From_ line, or a broken line: no header
    if name:
        fields.setdefault(name, []).append(" ".join(v.strip() for v in value))
    return fields


class MailView:
    def __init__(self, data: bytes, sender: str, recipient: str) -> None:
        self.data = data
        self.sender = sender
        self.recipient = recipient
        self._headers: dict[str, list[str]] | None = None
        self._full: email.message.Message | None = None
        self._parts: dict[tuple[str, tuple[str, ...]], list[str]] = {}

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def headers(self) -> dict[str, list[str]]:
        if self._headers is None:
            self._headers = parse_header_block(_split_header(self.data)[0])
        return self._headers

    def raw_values(self, name: str) -> list[str]:
        return self.headers.get(name.lower(), [])

    def header_values(self, name: str) -> list[str]:
        return [_decode(v) for v in self.raw_values(name)]

    def has_header(self, name: str) -> bool:
        return name.lower() in self.headers

    def addresses(self, name: str) -> list[str]:
        """The mail addresses in header ``name`` (groups flattened, empty ones left out)."""
        return [addr for _, addr in getaddresses(self.raw_values(name)) if addr]

    @property
    def body(self) -> bytes:
        return _split_header(self.data[:MAX_BODY])[1]

    def _single_part(self) -> tuple[str, str] | None:
        """(content type, charset) of a message that is one part in 7/8 bit, whose body
        is its text as it stands; None when it needs the MIME parser."""
        ctype_values = self.raw_values("Content-Type")
        cte = (self.raw_values("Content-Transfer-Encoding") or ["7bit"])[0].strip().lower()
        if cte not in ("7bit", "8bit", "binary", ""):
            return None
        if not ctype_values:
            return "text/plain", "us-ascii"
        parsed = email.message.Message()
        parsed["Content-Type"] = ctype_values[0]
        ctype = parsed.get_content_type()
        if ctype.startswith(("multipart/", "message/")):
            return None
        return ctype, parsed.get_content_charset() or "us-ascii"

    def _message(self) -> email.message.Message:
        if self._full is None:
            self._full = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
                self.data[:MAX_BODY]
            )
        return self._full

    def body_parts(self, transform: str, types: list[str]) -> list[str]:
        """The body as RFC 5173 ``:raw``, ``:text`` or ``:content`` (with ``types``) sees it."""
        key = (transform, tuple(types))
        if key not in self._parts:
            self._parts[key] = self._body_parts(transform, types)
        return self._parts[key]

    def _body_parts(self, transform: str, types: list[str]) -> list[str]:
        if transform == ":raw":
            return [self.body.decode("utf-8", "replace")]
        if transform == ":text":
            types = ["text"]
        simple = self._single_part()
        if simple is not None:
            ctype, charset = simple
            if any(t == "" or t.lower() in (ctype, ctype.split("/")[0]) for t in types):
                try:
                    return [self.body.decode(charset, "replace")]
                except LookupError:
                    return [self.body.decode("utf-8", "replace")]
            return []
        out: list[str] = []
        for part in self._message().walk():
            ctype = part.get_content_type().lower()
            if part.is_multipart():
                # A multipart's own text (preamble) only when asked for multipart.
                if any(t.lower() in ("multipart", ctype) for t in types) and part.preamble:
                    out.append(part.preamble)
                continue
            if not any(t == "" or t.lower() == ctype or t.lower() == ctype.split("/")[0]
                       for t in types):
                continue
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                continue
            charset = part.get_content_charset() or "us-ascii"
            try:
                out.append(payload.decode(charset, "replace"))
            except LookupError:
                out.append(payload.decode("utf-8", "replace"))
        return out
