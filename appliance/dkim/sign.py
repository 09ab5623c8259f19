"""Signing a message on its way out: both of the From: domain's keys, relaxed/relaxed.

Called by remote delivery just before the bytes go to the far side, once per
attempt, from a worker thread (an RSA signature costs about a millisecond of
CPU). The queue file stays unsigned, so a retry carries one fresh
signature, never a stack of them.
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
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_SIGNATURE = re.compile(rb"(?im)^dkim-signature:(.*(?:\r?\n[ \t].*)*)")
_FROM = re.compile(rb"(?im)^from:(.*(?:\r?\n[ \t].*)*)")
_UNFOLD = re.compile(rb"\r?\n|\r$")


def to_crlf(message: bytes) -> bytes:
    return _LINE_ENDINGS.sub(b"\r\n", message)


def _head(message: bytes) -> bytes:
    end = _HEAD_END.search(message)
    return message[: end.start() + 1] if end else message


def from_domain(message: bytes) -> str | None:
    """The domain of the (first) From: address, lower-cased; None when there is none."""
    # The From: fields only, decoded as the stdlib's header parser would:
    # parsing the whole header block with it cost more than an RSA signature.
    values = [_UNFOLD.sub(b"", m.group(1)).decode("ascii", "surrogateescape")
              for m in _FROM.finditer(_head(message))]
    for _name, address in email.utils.getaddresses(values):
        if "@" in address:
            return address.rpartition("@")[2].strip().rstrip(".").lower() or None
    return None


def _signed_by(message: bytes, domain: str, selectors: set[str]) -> bool:
    """True when the message already carries one of our signatures for ``domain``."""
    for match in _SIGNATURE.finditer(_head(message)):
        tags = dict(
            (k.strip().lower(), v.strip())
            for k, _, v in (t.partition(b"=") for t in re.sub(rb"\s+", b"", match.group(1))
                            .split(b";")) if k.strip())
        if (tags.get(b"d", b"").decode("ascii", "replace").lower() == domain
                and tags.get(b"s", b"").decode("ascii", "replace") in selectors):
            return True
    return False


def _relaxed_body(body: bytes) -> bytes:
    """dkimpy's relaxed body canonicalization, skipping its regex passes where
    they would change nothing (most bodies; each pass cost about 0.25 ms)."""
    from dkim import canonicalization

    if b" \r\n" in body or b"\t\r\n" in body:
        body = canonicalization.strip_trailing_whitespace(body)
    if b"\t" in body or b"  " in body:
        body = canonicalization.compress_whitespace(body)
    return canonicalization.correct_empty_body(canonicalization.strip_trailing_lines(body))


class _RsaKey:
    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self.key = key

    def sign(self, digest: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, utils

        return self.key.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))


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
_NAME = b"DKIM-Signature"


def _signature(headers: list[tuple[bytes, bytes]], body_hash: bytes, domain: bytes,
               key: DkimKey, timestamp: bytes) -> bytes:
    """One DKIM-Signature field, built the way dkimpy's DKIM.sign builds it.

    ``headers`` are already canonicalized (relaxed); every name in
    SIGNED_HEADERS is listed in h=, present or not, as dkimpy lists them.
    """
    import dkim

    fields = [
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
        # Long enough that b= folds onto a line of its own, as dkimpy does.
        (b"b", b"0" * 60),
    ]
    value = dkim.fold(b"; ".join(b"=".join(x) for x in fields), namelen=len(_NAME))
    value = dkim.RE_BTAG.sub(b"\\1", value)
    hasher = hashlib.sha256()
    dkim.hash_headers(hasher, _relaxed(), headers, _INCLUDE, (_NAME, b" " + value), dict(fields))
    fields[-1] = (b"b", base64.b64encode(_private_key(key).sign(hasher.digest())))
    value = b"; ".join(b"=".join(x) for x in fields) + b"\r\n"
    return _NAME + b": " + dkim.fold(value, namelen=len(_NAME))


def sign_message(message: bytes, domain: str, keys: list[DkimKey]) -> bytes:
    """``message`` (CRLF line ends) with one DKIM-Signature per key prepended, d=``domain``.

    The message is parsed, its headers canonicalized and its body hashed
    once for all keys (each is relaxed/relaxed with SHA-256); dkimpy's own
    parser, canonicalization and header hashing do the work, so the result
    is its format, and the tests verify every signature with dkimpy.
    """
    if not keys or _signed_by(message, domain, {k.selector for k in keys}):
        return message
    import dkim

    raw_headers, body = dkim.rfc822_parse(message)
    headers = _relaxed().canonicalize_headers(raw_headers)
    body_hash = base64.b64encode(hashlib.sha256(_relaxed_body(body)).digest())
    timestamp = str(int(time.time())).encode()
    d = domain.encode()
    return b"".join(_signature(headers, body_hash, d, key, timestamp)
                    for key in keys) + message


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
        domain = from_domain(message)
        if domain is None:
            return message
        keys = self.keys_for(domain)
        if not keys:
            return message
        return sign_message(to_crlf(message), domain, keys)
