"""DKIM (RFC 6376, RSA and Ed25519 per RFC 8463) and ARC (RFC 8617) verification by dkimpy."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any

import dkim
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from appliance.authcheck.lookup import DnsTempError, Lookup

__all__ = ["ArcResult", "DkimResult", "verify_arc", "verify_dkim"]

# dkimpy logs each failing signature at ERROR; that is a verdict here, not an error.
_quiet = logging.getLogger("mailroom.authcheck.dkimpy")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"sha256": hashes.SHA256, "sha1": hashes.SHA1}
_pure_rsa_verify = dkim.RSASSA_PKCS1_v1_5_verify


@functools.lru_cache(maxsize=1024)
def _rsa_public_key(modulus: int, exponent: int) -> rsa.RSAPublicKey:
    return rsa.RSAPublicNumbers(exponent, modulus).public_key()


def _rsa_verify(digest: Any, signature: bytes, public_key: dict[str, int]) -> bool:
    """dkimpy's RSASSA-PKCS1-v1_5 check, done by ``cryptography`` (OpenSSL).

    dkimpy does RSA in pure Python; that was most of the time of a check
    (measured by bench/inbound_auth.py). Same inputs, same answer; anything
    OpenSSL will not take goes back to dkimpy's own code.
    """
    algorithm = _HASHES.get(str(getattr(digest, "name", "")).lower())
    try:
        if algorithm is None:
            raise UnsupportedAlgorithm(str(getattr(digest, "name", "")))
        key = _rsa_public_key(public_key["modulus"], public_key["publicExponent"])
        key.verify(signature, digest.digest(), padding.PKCS1v15(), Prehashed(algorithm()))
    except InvalidSignature:
        return False
    except (ValueError, UnsupportedAlgorithm):
        return bool(_pure_rsa_verify(digest, signature, public_key))
    return True


dkim.RSASSA_PKCS1_v1_5_verify = _rsa_verify


@dataclass(frozen=True)
class DkimResult:
    result: str  # pass, fail, neutral, temperror, permerror
    domain: str  # d=
    selector: str  # s=
    algorithm: str  # a=
    reason: str = ""


@dataclass(frozen=True)
class ArcResult:
    result: str  # none, pass, fail, temperror
    reason: str = ""


def _tag(sig: dict[bytes, bytes], name: bytes) -> str:
    return sig.get(name, b"").decode("ascii", "replace").strip()


def verify_dkim(lookup: Lookup, message: bytes) -> list[DkimResult]:
    """One result for every DKIM-Signature of ``message``, top first.

    A DNS failure while fetching a key gives that signature ``temperror``:
    its answer is not known, which is not a failure.
    """
    verifier = dkim.DKIM(message, logger=_quiet, minkey=1024, timeout=lookup.timeout)
    count = sum(1 for name, _ in verifier.headers if name.lower() == b"dkim-signature")
    results = []
    for idx in range(count):
        verifier.signature_fields = {}
        try:
            ok = verifier.verify(idx=idx, dnsfunc=lookup.dkim_key)
        except dkim.DKIMException as exc:
            sig = verifier.signature_fields or {}
            # A changed body is a signature that does not verify (RFC 8601 2.7.1: fail);
            # the rest (bad tags, bad key record) is permerror.
            result = "fail" if "body hash mismatch" in str(exc) else "permerror"
            reason = "body hash did not verify" if result == "fail" else str(exc)[:100]
            results.append(DkimResult(result, _tag(sig, b"d").lower(), _tag(sig, b"s"),
                                      _tag(sig, b"a"), reason))
            continue
        except DnsTempError as exc:
            sig = verifier.signature_fields or {}
            results.append(DkimResult("temperror", _tag(sig, b"d").lower(), _tag(sig, b"s"),
                                      _tag(sig, b"a"), str(exc)[:100]))
            continue
        sig = verifier.signature_fields or {}
        reason = "" if ok else "signature did not verify"
        results.append(DkimResult("pass" if ok else "fail", _tag(sig, b"d").lower(),
                                  _tag(sig, b"s"), _tag(sig, b"a"), reason))
    return results


def verify_arc(lookup: Lookup, message: bytes, head: bytes) -> ArcResult:
    """The ARC chain's validation (cv=): none when the header ``head`` has no ARC sets."""
    if b"arc-seal:" not in head.lower():
        return ArcResult("none")
    try:
        cv, _data, reason = dkim.arc_verify(message, logger=_quiet, dnsfunc=lookup.dkim_key,
                                            timeout=lookup.timeout)
    except DnsTempError as exc:
        return ArcResult("temperror", str(exc)[:100])
    result = {dkim.CV_Pass: "pass", dkim.CV_None: "none"}.get(cv, "fail")
    return ArcResult(result, str(reason)[:100])
