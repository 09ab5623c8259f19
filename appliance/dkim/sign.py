"""Signing a message on its way out: both of the From: domain's keys, relaxed/relaxed.

Called by remote delivery just before the bytes go to the far side, once per
attempt (in the delivery process, on its loop; in the daemon, from a worker
thread). The queue file stays unsigned, so a retry carries one fresh
signature, never a stack of them.

The output is dkimpy's, byte for byte (tests/unit/test_dkim_sign.py signs
with dkimpy itself and compares), but most of dkimpy's Python is not run:

* A plain message (CRLF line ends only, a header block of well-formed fields
  and a blank line: what SMTP gives us) is split into fields by one regex
  pass over its header block, and only the fields that get signed are
  canonicalized. Anything else goes through dkimpy's own parser.
* The DKIM-Signature field of a (domain, key) has the same shape for every
  message: only t=, bh= and b= change, always with the same lengths. dkimpy's
  folding and b= stripping are run once on a template with placeholders in
  their place; each message then just fills the holes.
* The From: domain of the same From: field text is remembered: outgoing mail
  comes from a few hundred local senders, and the stdlib's address parser
  cost as much as the rest of the signing.
"""

from __future__ import annotations

import base64
import email.utils
import functools
import hashlib
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from appliance.dkim.keys import DkimKey

# dkimpy and cryptography are imported where a message is signed: the idle daemon
# (and every CLI command) would otherwise carry them (about 15 MB resident).
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

__all__ = ["SIGNED_HEADERS", "Signer", "from_domain", "sign_message", "to_crlf"]

# The usual set (RFC 6376 section 5.4.1), each signed where present.
SIGNED_HEADERS = (
    "from", "to", "subject", "date", "message-id", "cc", "reply-to", "mime-version",
    "content-type", "in-reply-to", "references",
)

# aiosmtplib sends every line ending as CRLF: sign exactly what goes on the wire.
_LINE_ENDINGS = re.compile(rb"\r\n|\n|\r(?!\n)")
_SIGNATURE = re.compile(rb"(?im)^dkim-signature:(.*(?:\r?\n[ \t].*)*)")
_FROM = re.compile(rb"(?im)^from:(.*(?:\r?\n[ \t].*)*)")
_UNFOLD = re.compile(rb"\r?\n|\r$")
# One header field of a CRLF message, continuation lines included: the name
# up to the first colon (dkimpy's `[\x21-\x7e]+?:`), the value as dkimpy
# keeps it (everything after the colon, line ends included).
_FIELD = re.compile(rb"([\x21-\x39\x3b-\x7e]+):([^\n]*\n(?:[ \t][^\n]*\n)*)")
_WSP = re.compile(rb"[\t ]+")


def _is_crlf(message: bytes) -> bool:
    """Every line end a CRLF: no bare LF, no bare CR."""
    crlf = message.count(b"\r\n")
    return crlf == message.count(b"\n") and crlf == message.count(b"\r")


def to_crlf(message: bytes) -> bytes:
    if b"\r" not in message:
        return message.replace(b"\n", b"\r\n")
    if _is_crlf(message):
        return message
    return _LINE_ENDINGS.sub(b"\r\n", message)


def _head(message: bytes) -> bytes:
    """The message up to its first blank line (plus one byte, as before): the
    leftmost match of ``\\r?\\n\\r?\\n``, found with two bytes.find."""
    end = message.find(b"\n\r\n")
    lf = message.find(b"\n\n", 0, end + 1) if end >= 0 else message.find(b"\n\n")
    if lf >= 0:
        end = lf
    if end < 0:
        return message
    if end > 0 and message[end - 1] == 0x0D:
        end -= 1
    return message[: end + 1]


def from_domain(message: bytes) -> str | None:
    """The domain of the (first) From: address, lower-cased; None when there is none."""
    # The From: fields only, decoded as the stdlib's header parser would:
    # parsing the whole header block with it cost more than an RSA signature.
    return _domain_of(tuple(_UNFOLD.sub(b"", m.group(1))
                            for m in _FROM.finditer(_head(message))))


def _domain_of(values: tuple[bytes, ...]) -> str | None:
    """The domain of the first address in the (unfolded) From: field values."""
    if sum(map(len, values)) > 512:  # an odd one: not worth keeping
        return _parse_domain(values)
    return _cached_domain(values)


def _parse_domain(values: tuple[bytes, ...]) -> str | None:
    for _name, address in email.utils.getaddresses(
            [v.decode("ascii", "surrogateescape") for v in values]):
        if "@" in address:
            return address.rpartition("@")[2].strip().rstrip(".").lower() or None
    return None


_cached_domain = functools.lru_cache(maxsize=1024)(_parse_domain)


def _tags(value: bytes) -> dict[bytes, bytes]:
    return dict(
        (k.strip().lower(), v.strip())
        for k, _, v in (t.partition(b"=") for t in b"".join(value.split()).split(b";"))
        if k.strip())


def _ours(value: bytes, domain: str, selectors: set[str]) -> bool:
    """True when this DKIM-Signature value is one of ours for ``domain``."""
    tags = _tags(value)
    return (tags.get(b"d", b"").decode("ascii", "replace").lower() == domain
            and tags.get(b"s", b"").decode("ascii", "replace") in selectors)


def _signed_by(message: bytes, domain: str, selectors: set[str]) -> bool:
    """True when the message already carries one of our signatures for ``domain``."""
    return any(_ours(m.group(1), domain, selectors)
               for m in _SIGNATURE.finditer(_head(message)))


def _relaxed_body(body: bytes) -> bytes:
    """dkimpy's relaxed body canonicalization, skipping its regex passes where
    they would change nothing (most bodies; each pass cost about 0.25 ms)."""
    from dkim import canonicalization

    tab = b"\t" in body  # one quick scan spares the slow one for "\t\r\n"
    if b" \r\n" in body or (tab and b"\t\r\n" in body):
        body = canonicalization.strip_trailing_whitespace(body)
        tab = b"\t" in body
    if tab or b"  " in body:
        body = canonicalization.compress_whitespace(body)
    return canonicalization.correct_empty_body(canonicalization.strip_trailing_lines(body))


class _RsaKey:
    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, utils

        self.key = key
        self.padding = padding.PKCS1v15()
        self.prehashed = utils.Prehashed(hashes.SHA256())

    def sign(self, digest: bytes) -> bytes:
        return self.key.sign(digest, self.padding, self.prehashed)


class _Ed25519Key:
    def __init__(self, key: ed25519.Ed25519PrivateKey) -> None:
        self.key = key

    def sign(self, digest: bytes) -> bytes:
        # RFC 8463: Ed25519 signs the SHA-256 digest itself.
        return self.key.sign(digest)


_loaded: dict[str, _RsaKey | _Ed25519Key] = {}
_loaded_lock = threading.Lock()


def _private_key(key: DkimKey) -> _RsaKey | _Ed25519Key:
    """The key ready to sign, parsed once (dkimpy parsed the PEM for every message)."""
    cached = _loaded.get(key.private)
    if cached is not None:
        return cached
    # Under the lock: loading an RSA key checks it (tens of ms), and the
    # first burst of mail must not have every worker thread load it at once.
    with _loaded_lock:
        cached = _loaded.get(key.private)
        if cached is not None:
            return cached
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

        if key.algorithm == "rsa":
            private = serialization.load_pem_private_key(key.private.encode(), password=None)
            assert isinstance(private, rsa.RSAPrivateKey)
            cached = _RsaKey(private)
        else:
            cached = _Ed25519Key(ed25519.Ed25519PrivateKey.from_private_bytes(
                base64.b64decode(key.private)))
        if len(_loaded) > 1000:  # rotated keys must not pile up forever
            _loaded.clear()
        _loaded[key.private] = cached
    return cached


@functools.cache
def _relaxed() -> Any:
    from dkim import canonicalization

    return canonicalization.CanonicalizationPolicy.from_c_value(b"relaxed/relaxed")


_INCLUDE = tuple(h.encode() for h in SIGNED_HEADERS)
_SIGNED = frozenset(_INCLUDE)
_NAME = b"DKIM-Signature"


# ------------------------------------------------ the DKIM-Signature field


def _fields(domain: bytes, key: DkimKey, timestamp: bytes, body_hash: bytes,
            b: bytes) -> list[tuple[bytes, bytes]]:
    """The tags in dkimpy's order; every name in SIGNED_HEADERS is listed in
    h=, present or not, as dkimpy lists them."""
    return [
        (b"v", b"1"),
        (b"a", key.signature_algorithm),
        (b"c", b"relaxed/relaxed"),
        (b"d", domain),
        (b"i", b"@" + domain),
        (b"q", b"dns/txt"),
        (b"s", key.selector.encode()),
        (b"t", timestamp),
        (b"h", b" : ".join(_INCLUDE)),
        (b"bh", body_hash),
        (b"b", b),
    ]


class _Recorder:
    """A hasher that keeps what it is given."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def update(self, data: bytes) -> None:
        self.parts.append(data)


def _hashed_field(fields: list[tuple[bytes, bytes]]) -> bytes:
    """What a signature hashes of its own field (b= empty, relaxed, no CRLF),
    made by dkimpy's DKIM.sign steps."""
    import dkim

    # Long enough that b= folds onto a line of its own, as dkimpy does.
    fields = fields[:-1] + [(b"b", b"0" * 60)]
    value = dkim.fold(b"; ".join(b"=".join(x) for x in fields), namelen=len(_NAME))
    value = dkim.RE_BTAG.sub(b"\\1", value)
    recorder = _Recorder()
    dkim.hash_headers(recorder, _relaxed(), [], _INCLUDE, (_NAME, b" " + value), dict(fields))
    return b"".join(recorder.parts)


def _header(fields: list[tuple[bytes, bytes]]) -> bytes:
    """The DKIM-Signature field as dkimpy writes it, folded, with its CRLF."""
    import dkim

    value = b"; ".join(b"=".join(x) for x in fields) + b"\r\n"
    return _NAME + b": " + dkim.fold(value, namelen=len(_NAME))


# Placeholders for t=, bh= and b= in a template: like the values they stand
# for (digits, base64), no whitespace and no ";". dkimpy's folding looks only
# at spaces and line ends, its b= stripping only at what follows "b=", so
# both treat a placeholder as the value; each layout is also checked once
# against dkimpy with sample values (_Layouts._checked).
_HOLES = b"\x00\x01\x02"
_HOLE_RUNS = re.compile(rb"(\x00+|\x01+|\x02+)")


class _Layout:
    """A byte string with holes for t=, bh= and b=: the literal pieces, and
    which slice of which value goes in each hole (folding may split a value)."""

    def __init__(self, template: bytes) -> None:
        self.pieces: list[bytes] = []
        self.slots: list[tuple[int, int, int, int]] = []
        used = [0, 0, 0]
        for i, part in enumerate(_HOLE_RUNS.split(template)):
            if i % 2:
                which = _HOLES.index(part[0])
                self.slots.append((len(self.pieces), which, used[which], used[which] + len(part)))
                used[which] += len(part)
                self.pieces.append(b"")
            elif part:
                self.pieces.append(part)
        self.lengths = used

    def render(self, *values: bytes) -> bytes:
        out = self.pieces.copy()
        for index, which, start, end in self.slots:
            out[index] = values[which][start:end]
        return b"".join(out)


class _Layouts:
    """The hashed form and the folded field of one (domain, key) signature."""

    def __init__(self, domain: bytes, key: DkimKey, t_len: int) -> None:
        self.domain, self.key, self.t_len = domain, key, t_len
        t, bh = _HOLES[:1] * t_len, _HOLES[1:2] * 44
        self.hashed = self._checked(_hashed_field, t, bh, b"0" * 60)
        self.headers: dict[int, _Layout | None] = {}

    def _checked(self, make: Callable[[list[tuple[bytes, bytes]]], bytes],
                 t: bytes, bh: bytes, b: bytes) -> _Layout | None:
        """The layout of ``make``'s output, if filling it in gives what
        ``make`` gives for real values (else None: the slow way is used)."""
        layout = _Layout(make(_fields(self.domain, self.key, t, bh, b)))
        holed = b[:1] == _HOLES[2:]
        sample = (b"1" * len(t), b"A" * len(bh), b"b" * len(b) if holed else b)
        if layout.lengths != [len(t), len(bh), len(b) if holed else 0]:
            return None
        if layout.render(*sample) != make(_fields(self.domain, self.key, *sample)):
            return None
        return layout

    def header(self, b_len: int) -> _Layout | None:
        if b_len not in self.headers:
            self.headers[b_len] = self._checked(
                _header, _HOLES[:1] * self.t_len, _HOLES[1:2] * 44, _HOLES[2:] * b_len)
        return self.headers[b_len]


_layouts: dict[tuple[bytes, str, bytes, int], _Layouts] = {}


def _layouts_for(domain: bytes, key: DkimKey, t_len: int) -> _Layouts | None:
    if any(c in domain or c in key.selector.encode() for c in _HOLES):
        return None
    cache_key = (domain, key.selector, key.signature_algorithm, t_len)
    layouts = _layouts.get(cache_key)
    if layouts is None:
        if len(_layouts) > 1000:  # rotated keys and many alias domains
            _layouts.clear()
        layouts = _layouts[cache_key] = _Layouts(domain, key, t_len)
    return layouts


def _signature(headers: Any, body_hash: bytes, domain: bytes, key: DkimKey,
               timestamp: bytes) -> bytes:
    """One DKIM-Signature field; ``headers`` a SHA-256 hasher that has seen
    the signed header fields (relaxed), as dkimpy's hash_headers feeds them."""
    layouts = _layouts_for(domain, key, len(timestamp))
    if layouts is not None and layouts.hashed is not None:
        headers.update(layouts.hashed.render(timestamp, body_hash))
    else:
        headers.update(_hashed_field(_fields(domain, key, timestamp, body_hash, b"")))
    b = base64.b64encode(_private_key(key).sign(headers.digest()))
    header = layouts.header(len(b)) if layouts is not None else None
    if header is not None:
        return header.render(timestamp, body_hash, b)
    return _header(_fields(domain, key, timestamp, body_hash, b))


def _signatures(signed: bytes, body: bytes, domain: str, keys: list[DkimKey]) -> bytes:
    """One field per key; ``signed`` the canonical signed header fields."""
    body_hash = base64.b64encode(hashlib.sha256(_relaxed_body(body)).digest())
    timestamp = str(int(time.time())).encode()
    d = domain.encode()
    headers = hashlib.sha256(signed)
    return b"".join(_signature(headers.copy(), body_hash, d, key, timestamp) for key in keys)


# ------------------------------------------------------------- the message


def _parse(message: bytes) -> tuple[list[tuple[bytes, bytes]], int] | None:
    """(lower-cased name, raw value) of each header field, and where the body
    starts, for a message every LF of which ends a CRLF, with a blank line
    after its header block. None when dkimpy's parser would see something
    else (no header, no blank line, a line it rejects or skips)."""
    end = message.find(b"\r\n\r\n")
    if end < 0 or message.startswith(b"\r\n"):
        return None
    head = message[: end + 2]
    fields = _FIELD.findall(head)
    # The matches must cover the header block: a line that is no field
    # (an mbox "From " line, a bad name) leaves a gap.
    if sum(len(name) + len(value) for name, value in fields) + len(fields) != len(head):
        return None
    return [(name.lower(), value) for name, value in fields], end + 4


def _canonical(value: bytes) -> bytes:
    """dkimpy's relaxed header value (unfolded, WSP compressed, stripped),
    for a value whose every LF ends a CRLF."""
    value = value.replace(b"\r\n", b"")
    if b"\t" in value or b"  " in value:
        value = _WSP.sub(b" ", value)
    return value.strip()


def _sign_parsed(message: bytes, fields: list[tuple[bytes, bytes]], body_start: int,
                 domain: str, keys: list[DkimKey]) -> bytes:
    last: dict[bytes, bytes] = {}
    for name, value in fields:
        if name in _SIGNED:
            last[name] = value  # the bottom-most of a name is signed (RFC 6376 5.4.2)
        elif name == b"dkim-signature" and _ours(value, domain, {k.selector for k in keys}):
            return message
    signed = b"".join([name + b":" + _canonical(last[name]) + b"\r\n"
                       for name in _INCLUDE if name in last])
    return _signatures(signed, message[body_start:], domain, keys) + message


def _sign_general(message: bytes, domain: str, keys: list[DkimKey]) -> bytes:
    """dkimpy's own parser and canonicalization, for any message."""
    if _signed_by(message, domain, {k.selector for k in keys}):
        return message
    import dkim

    raw_headers, body = dkim.rfc822_parse(message)
    headers = _relaxed().canonicalize_headers(raw_headers)
    signed = b"".join(x + b":" + y for x, y in dkim.select_headers(headers, _INCLUDE))
    return _signatures(signed, body, domain, keys) + message


def sign_message(message: bytes, domain: str, keys: list[DkimKey]) -> bytes:
    """``message`` (CRLF line ends) with one DKIM-Signature per key prepended, d=``domain``.

    The message is parsed, its headers canonicalized and its body hashed
    once for all keys (each is relaxed/relaxed with SHA-256). The result is
    dkimpy's format, and the tests verify every signature with dkimpy.
    """
    if not keys:
        return message
    parsed = _parse(message) if message.count(b"\n") == message.count(b"\r\n") else None
    if parsed is None:
        return _sign_general(message, domain, keys)
    return _sign_parsed(message, *parsed, domain, keys)


class Signer:
    """``signer(message) -> message``: signed when its From: domain is one of ours.

    ``keys_for(domain)`` answers with the keys to sign mail from ``domain``
    (an alias domain gets its real domain's keys, signed with d= the alias
    so DMARC aligns), or an empty list when the domain is not ours.
    """

    def __init__(self, keys_for: Callable[[str], list[DkimKey]],
                 enabled: Callable[[], bool] = lambda: True) -> None:
        self.keys_for = keys_for
        self.enabled = enabled

    def __call__(self, message: bytes) -> bytes:
        if not self.enabled():
            return message
        # A CRLF message (what SMTP gives) is parsed once for its From:
        # domain and its signature; to_crlf would return it unchanged.
        parsed = _parse(message) if _is_crlf(message) else None
        if parsed is None:
            domain = from_domain(message)
        else:
            domain = _domain_of(tuple(v.replace(b"\r\n", b"")
                                      for name, v in parsed[0] if name == b"from"))
        if domain is None:
            return message
        keys = self.keys_for(domain)
        if not keys:
            return message
        if parsed is None:
            return sign_message(to_crlf(message), domain, keys)
        return _sign_parsed(message, *parsed, domain, keys)
