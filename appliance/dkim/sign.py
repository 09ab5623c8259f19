"""Signing a message on its way out: both of the From: domain's keys, relaxed/relaxed.

Called by remote delivery just before the bytes go to the far side, once per
attempt, from a worker thread (an RSA signature costs about a millisecond of
CPU). The queue file stays unsigned, so a retry carries one fresh
signature, never a stack of them.
"""

from __future__ import annotations

import email.parser
import email.policy
import email.utils
import re
import threading
from collections.abc import Callable
from typing import Any

import dkim
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from appliance.dkim.keys import DkimKey

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


def to_crlf(message: bytes) -> bytes:
    return _LINE_ENDINGS.sub(b"\r\n", message)


def _head(message: bytes) -> bytes:
    end = _HEAD_END.search(message)
    return message[: end.start() + 1] if end else message


def from_domain(message: bytes) -> str | None:
    """The domain of the (first) From: address, lower-cased; None when there is none."""
    head = _head(message)
    parsed = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(head)
    values = parsed.get_all("From") or []
    for _name, address in email.utils.getaddresses([str(v) for v in values]):
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


class _Signature:
    def __init__(self, signature: bytes) -> None:
        self.signature = signature


class _OpenSslRsa:
    """An RSA key that signs a SHA-256 digest in OpenSSL, shaped like PyNaCl's SigningKey."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self.key = key

    def sign(self, digest: bytes) -> _Signature:
        return _Signature(self.key.sign(digest, padding.PKCS1v15(),
                                        utils.Prehashed(hashes.SHA256())))


class _Dkim(dkim.DKIM):  # type: ignore[misc]
    """dkimpy's signer with the RSA step done by OpenSSL.

    dkimpy computes RSA in pure Python (about 5 ms a signature, 12 ms per
    message at 2048 bits); OpenSSL takes a tenth of that. dkimpy still
    builds, hashes and folds the header, so the result is its own format;
    the tests verify every signature with dkimpy.
    """

    openssl_key: _OpenSslRsa | None = None

    def gen_header(self, fields: Any, include_headers: Any, canon_policy: Any,
                   header_name: bytes, pk: Any, standardize: bool = False) -> bytes:
        if self.openssl_key is None or self.signature_algorithm != b"rsa-sha256":
            return super().gen_header(fields, include_headers, canon_policy, header_name, pk,
                                      standardize)
        # The Ed25519 branch of gen_header calls pk.sign(digest); the digest is
        # the same SHA-256 (self.hasher was set from a=rsa-sha256).
        self.signature_algorithm = b"ed25519-sha256"
        try:
            return super().gen_header(fields, include_headers, canon_policy, header_name,
                                      self.openssl_key, standardize)
        finally:
            self.signature_algorithm = b"rsa-sha256"


_loaded: dict[str, _OpenSslRsa] = {}
_loaded_lock = threading.Lock()


def _openssl_key(key: DkimKey) -> _OpenSslRsa:
    cached = _loaded.get(key.private)
    if cached is None:
        private = serialization.load_pem_private_key(key.private.encode(), password=None)
        assert isinstance(private, rsa.RSAPrivateKey)
        cached = _OpenSslRsa(private)
        with _loaded_lock:
            if len(_loaded) > 1000:  # rotated keys must not pile up forever
                _loaded.clear()
            _loaded[key.private] = cached
    return cached


def sign_message(message: bytes, domain: str, keys: list[DkimKey]) -> bytes:
    """``message`` (CRLF line ends) with one DKIM-Signature per key prepended, d=``domain``."""
    if not keys or _signed_by(message, domain, {k.selector for k in keys}):
        return message
    signatures = []
    signer = _Dkim(message, linesep=b"\r\n")  # the message is parsed once for both keys
    for key in keys:
        signer.openssl_key = _openssl_key(key) if key.algorithm == "rsa" else None
        signatures.append(signer.sign(
            key.selector.encode(), domain.encode(), key.private.encode(),
            signature_algorithm=key.signature_algorithm, canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[h.encode() for h in SIGNED_HEADERS],
        ))
    return b"".join(signatures) + message


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
