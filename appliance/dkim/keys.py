"""DKIM key pairs of one domain: making them, naming them, rotating them.

Pure data and rules, no I/O: :mod:`appliance.dkim.store` keeps a domain's
:class:`KeyRing` in the secrets store. A domain signs with two keys at once,
RSA-2048 (every verifier knows it) and Ed25519 (RFC 8463, small and fast).

A key is ``active`` (signs), ``pending`` (made by a rotation; signs only
once its record is seen in DNS, or at once when the admin says so) or
``retired`` (replaced; kept a week so that mail already on its way still
verifies and the admin can see which record to take down, then dropped).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Set as AbstractSet
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

__all__ = [
    "ALGORITHMS", "DkimKey", "KeyRing", "RETIRED_KEEP", "make_key", "make_pair",
    "selector_for", "txt_value",
]

Algorithm = Literal["rsa", "ed25519"]
State = Literal["active", "pending", "retired"]
ALGORITHMS: tuple[Algorithm, ...] = ("rsa", "ed25519")
# How long a replaced key stays known (and its record worth keeping) after rotation.
RETIRED_KEEP = 7 * 86400.0
RSA_BITS = 2048


@dataclass(frozen=True)
class DkimKey:
    selector: str
    algorithm: Algorithm
    private: str = field(repr=False)  # PEM (rsa) or base64 seed (ed25519): never logged
    public: str  # the p= value of the DNS record
    created: float
    state: State = "active"
    retired: float | None = None  # when it stopped signing

    @property
    def signature_algorithm(self) -> bytes:
        return b"rsa-sha256" if self.algorithm == "rsa" else b"ed25519-sha256"

    def record_name(self, domain: str) -> str:
        return f"{self.selector}._domainkey.{domain}."

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DkimKey:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def public_view(self, domain: str) -> dict[str, Any]:
        """What may be shown: everything but the private key."""
        return {
            "selector": self.selector, "algorithm": self.algorithm, "state": self.state,
            "created": self.created, "retired": self.retired,
            "drop_after": self.retired + RETIRED_KEEP if self.retired else None,
            "name": self.record_name(domain), "value": txt_value(self),
        }


def txt_value(key: DkimKey) -> str:
    """The TXT record's text (before splitting into 255-character strings)."""
    return f"v=DKIM1; k={key.algorithm}; p={key.public}"


def selector_for(algorithm: Algorithm, when: float, taken: AbstractSet[str] = frozenset()) -> str:
    """``mr202611r`` / ``mr202611e``: the month the key was made, and its kind.

    A second rotation in the same month gets ``mr202611r2``, ``mr202611r3``...
    """
    month = time.strftime("%Y%m", time.gmtime(when))
    base = f"mr{month}{'r' if algorithm == 'rsa' else 'e'}"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    return name


def make_key(algorithm: Algorithm, when: float, taken: AbstractSet[str] = frozenset(),
             state: State = "active") -> DkimKey:
    # Here, not at the top: only making a key needs cryptography (11 MB resident).
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    if algorithm == "rsa":
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption()).decode()
        der = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        private, public = pem, base64.b64encode(der).decode()
    else:
        ed = ed25519.Ed25519PrivateKey.generate()
        seed = ed.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
        raw = ed.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
        private, public = base64.b64encode(seed).decode(), base64.b64encode(raw).decode()
    return DkimKey(selector_for(algorithm, when, taken), algorithm, private, public, when, state)


def make_pair(when: float, taken: AbstractSet[str] = frozenset(),
              state: State = "active") -> list[DkimKey]:
    keys: list[DkimKey] = []
    for algorithm in ALGORITHMS:
        keys.append(make_key(algorithm, when, taken | {k.selector for k in keys}, state))
    return keys


@dataclass(frozen=True)
class KeyRing:
    """Every key one domain has, with the rotation rules."""

    keys: tuple[DkimKey, ...] = ()

    @property
    def selectors(self) -> set[str]:
        return {k.selector for k in self.keys}

    def signing(self) -> list[DkimKey]:
        """The keys that sign now: the newest active key of each algorithm."""
        out = []
        for algorithm in ALGORITHMS:
            active = [k for k in self.keys if k.algorithm == algorithm and k.state == "active"]
            if active:
                out.append(max(active, key=lambda k: k.created))
        return out

    def pending(self) -> list[DkimKey]:
        return [k for k in self.keys if k.state == "pending"]

    def rotate(self, when: float, *, now: bool = False) -> KeyRing:
        """New keys; with ``now`` they sign at once and the old ones retire.

        Without ``now`` the new keys wait (pending) until :meth:`promote`;
        an earlier rotation still pending is replaced, not stacked.
        """
        kept = tuple(k for k in self.keys if k.state != "pending")
        fresh = make_pair(when, {k.selector for k in kept}, "active" if now else "pending")
        ring = KeyRing(kept + tuple(fresh))
        return ring.promote([k.selector for k in fresh], when) if now else ring

    def promote(self, selectors: list[str], when: float) -> KeyRing:
        """Pending keys named in ``selectors`` start signing; the ones they replace retire."""
        promoted = {k.algorithm for k in self.keys if k.selector in selectors}
        out = []
        for k in self.keys:
            if k.selector in selectors:
                out.append(replace(k, state="active", retired=None))
            elif k.state == "active" and k.algorithm in promoted:
                out.append(replace(k, state="retired", retired=when))
            else:
                out.append(k)
        return KeyRing(tuple(out))

    def prune(self, when: float) -> KeyRing:
        """Drop the keys retired more than a week ago."""
        return KeyRing(tuple(k for k in self.keys if not (
            k.state == "retired" and k.retired is not None and when - k.retired > RETIRED_KEEP)))

    def to_json(self) -> dict[str, Any]:
        return {"keys": [k.to_json() for k in self.keys]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeyRing:
        return cls(tuple(DkimKey.from_json(k) for k in data.get("keys", [])))
