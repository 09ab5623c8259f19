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


class MailView:
    def __init__(self, data: bytes, sender: str, recipient: str) -> None:
        self.data = data
        self.sender = sender
        self.recipient = recipient
        self._headers: email.message.Message | None = None
        self._full: email.message.Message | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def headers(self) -> email.message.Message:
        if self._headers is None:
            head, _ = _split_header(self.data)
            parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
            self._headers = parser.parsebytes(head)
        return self._headers

    def raw_values(self, name: str) -> list[str]:
        return [str(v) for v in self.headers.get_all(name, [])]

    def header_values(self, name: str) -> list[str]:
        return [_decode(v) for v in self.raw_values(name)]

    def has_header(self, name: str) -> bool:
        return name in self.headers

    def addresses(self, name: str) -> list[str]:
        """The mail addresses in header ``name`` (groups flattened, empty ones left out)."""
        raw = [v.replace("\r\n", " ").replace("\n", " ") for v in self.raw_values(name)]
        return [addr for _, addr in getaddresses(raw) if addr]

    @property
    def body(self) -> bytes:
        return _split_header(self.data[:MAX_BODY])[1]

    def _message(self) -> email.message.Message:
        if self._full is None:
            self._full = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
                self.data[:MAX_BODY]
            )
        return self._full

    def body_parts(self, transform: str, types: list[str]) -> list[str]:
        """The body as RFC 5173 ``:raw``, ``:text`` or ``:content`` (with ``types``) sees it."""
        if transform == ":raw":
            return [self.body.decode("utf-8", "replace")]
        if transform == ":text":
            types = ["text"]
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
