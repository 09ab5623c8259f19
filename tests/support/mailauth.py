"""An outside domain that signs its mail, for tests of the inbound checks.

``FarDomain`` makes an RSA-2048 and an Ed25519 DKIM key (RFC 8463), the
DNS records for them, SPF and DMARC, and signs messages with dkimpy, so a
test can serve the zone from ``tests.support.dnsserver`` and send the mail.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass, field
from typing import Any

import dkim
import nacl.signing
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@functools.cache
def _rsa_key() -> tuple[bytes, str]:
    # One RSA key per test process: generating a 2048-bit key is the slow part.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, base64.b64encode(public).decode()


def txt(text: str) -> str:
    """A TXT record in presentation form, split in 255-byte strings (RFC 7208 3.3)."""
    return " ".join(f'"{text[i:i + 255]}"' for i in range(0, len(text), 255))


@dataclass
class FarDomain:
    domain: str = "far.test"
    rsa_selector: str = "r1"
    ed_selector: str = "e1"
    spf: str = "v=spf1 ip4:127.0.0.2 -all"
    dmarc: str | None = "v=DMARC1; p=reject"
    extra: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rsa_private, self.rsa_public = _rsa_key()
        seed = nacl.signing.SigningKey.generate()
        self.ed_private = base64.b64encode(bytes(seed))
        self.ed_public = base64.b64encode(bytes(seed.verify_key)).decode()

    def zone(self) -> dict[str, dict[str, Any]]:
        d = self.domain
        zone: dict[str, dict[str, Any]] = {
            d: {"TXT": [self.spf], "MX": [(10, f"mx.{d}")]},
            f"{self.rsa_selector}._domainkey.{d}": {
                "TXT": [txt(f"v=DKIM1; k=rsa; p={self.rsa_public}")]},
            f"{self.ed_selector}._domainkey.{d}": {
                "TXT": [f"v=DKIM1; k=ed25519; p={self.ed_public}"]},
        }
        if self.dmarc is not None:
            zone[f"_dmarc.{d}"] = {"TXT": [self.dmarc]}
        zone.update(self.extra)
        return zone

    def sign(self, message: bytes, *, domain: str | None = None, rsa: bool = True,
             ed25519: bool = True) -> bytes:
        """``message`` with DKIM-Signature headers on top (Ed25519 above RSA)."""
        d = (domain or self.domain).encode()
        out = message
        if rsa:
            out = dkim.sign(out, self.rsa_selector.encode(), d, self.rsa_private,
                            linesep=b"\r\n") + out
        if ed25519:
            out = dkim.sign(out, self.ed_selector.encode(), d, self.ed_private,
                            signature_algorithm=b"ed25519-sha256", linesep=b"\r\n") + out
        return out


def message(sender: str = "carol@far.test", to: str = "bob@example.test",
            subject: str = "hello", extra: str = "") -> bytes:
    return (f"From: Carol <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Date: Sun, 29 Nov 2026 20:00:00 +0000\r\nMessage-ID: <t.{subject}@far.test>\r\n"
            f"{extra}\r\nHello from outside.\r\n").encode()
