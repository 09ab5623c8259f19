"""Reading and checking certificates: what one says, and whether a pair may be used.

Pure functions over PEM bytes, so that ``tls show``, ``tls import``, the ACME
client and ``doctor`` give the same answer for the same files.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

__all__ = [
    "CertificateError", "ImportCheck", "check_import", "describe", "load_chain", "load_key",
    "names_of", "covers", "system_roots", "renewal_due",
]

# Where Debian (and most Linux) keeps the CAs every client trusts.
SYSTEM_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


class CertificateError(ValueError):
    """A certificate or key that cannot be used, with the reason in plain words."""


def load_chain(pem: bytes, what: str = "certificate") -> list[x509.Certificate]:
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        raise CertificateError(f"the {what} file holds no PEM certificate "
                               "(-----BEGIN CERTIFICATE-----)")
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise CertificateError(f"the {what} file is not a readable PEM certificate: {exc}") \
            from exc


def load_key(pem: bytes) -> Any:
    if b"ENCRYPTED" in pem:
        raise CertificateError("the private key is protected by a passphrase; the server "
                               "must read it unattended (openssl pkey -in KEY -out PLAIN.pem)")
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise CertificateError(f"the key file is not a readable PEM private key: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
                      | ed25519.Ed25519PrivateKey):
        raise CertificateError(f"unsupported key type {type(key).__name__}: use RSA or ECDSA")
    return key


def names_of(cert: x509.Certificate) -> list[str]:
    """The names a certificate is good for: its SANs, else its common name."""
    try:
        san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    except x509.ExtensionNotFound:
        cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return [str(cns[0].value).lower()] if cns else []
    names = [n.lower() for n in san.get_values_for_type(x509.DNSName)]
    names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return names


def covers(names: list[str], host: str) -> bool:
    """Whether ``host`` matches one of ``names`` (a wildcard stands for one whole label)."""
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host in names
    except ValueError:
        pass
    for name in names:
        if name == host:
            return True
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]:
            return True
    return False


def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def _self_signed(cert: x509.Certificate) -> bool:
    if cert.subject != cert.issuer:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # InvalidSignature, or a key type that cannot sign: not self-signed
        return False
    return True


def _key_type(cert: x509.Certificate) -> str:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA-{key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"ECDSA-{key.curve.name}"
    return type(key).__name__


def describe(pem: bytes, path: str = "", now: dt.datetime | None = None) -> dict[str, Any]:
    """What ``tls show`` prints: names, issuer, dates, fingerprint, self-signed or not."""
    chain = load_chain(pem)
    leaf = chain[0]
    now = now or dt.datetime.now(dt.UTC)
    days_left = (leaf.not_valid_after_utc - now).total_seconds() / 86400
    return {
        "cert": path,
        "subject": leaf.subject.rfc4514_string(),
        "issuer": leaf.issuer.rfc4514_string(),
        "names": names_of(leaf),
        "not_before": leaf.not_valid_before_utc.isoformat(),
        "not_after": leaf.not_valid_after_utc.isoformat(),
        "days_left": int(days_left // 1),
        "expired": days_left < 0,
        "serial": format(leaf.serial_number, "x"),
        "fingerprint": _fingerprint(leaf),
        "key_type": _key_type(leaf),
        "self_signed": _self_signed(leaf),
        "chain": [c.subject.rfc4514_string() for c in chain[1:]],
    }


@dataclass
class ImportCheck:
    chain: list[x509.Certificate]
    key: Any
    warnings: list[str] = field(default_factory=list)


def _same_key(cert: x509.Certificate, key: Any) -> bool:
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return bool(cert.public_key().public_bytes(*fmt) == key.public_key().public_bytes(*fmt))


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    if child.issuer != parent.subject:
        return False
    try:
        child.verify_directly_issued_by(parent)
    except Exception:  # a bad signature or a mismatched algorithm: not issued by it
        return False
    return True


def _label(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string() or "(no subject)"


def system_roots(bundle: Path = SYSTEM_BUNDLE) -> list[x509.Certificate]:
    import warnings

    try:
        with warnings.catch_warnings():
            # A few old roots have serial numbers RFC 5280 forbids; they still anchor chains.
            warnings.simplefilter("ignore")
            return x509.load_pem_x509_certificates(bundle.read_bytes())
    except (OSError, ValueError):
        return []


def check_import(cert_pem: bytes, key_pem: bytes, hostname: str, *,
                 other_names: list[str] | None = None, extra_chain: bytes = b"",
                 now: dt.datetime | None = None,
                 roots: list[x509.Certificate] | None = None) -> ImportCheck:
    """Check a certificate (chain) and key before they are used; raise CertificateError.

    Refused: a key that does not belong to the certificate, a chain out of
    order or with a broken link, anything expired or not yet valid, a
    certificate whose names do not cover the host name. Warned about: names
    clients may also use (``other_names``, the MX hosts) that are not covered,
    and a chain that does not lead to a CA the system trusts.
    """
    now = now or dt.datetime.now(dt.UTC)
    chain = load_chain(cert_pem)
    if extra_chain:
        chain += load_chain(extra_chain, "chain")
    key = load_key(key_pem)
    leaf = chain[0]
    if not _same_key(leaf, key):
        others = [i for i, c in enumerate(chain) if _same_key(c, key)]
        hint = (f" (it belongs to certificate {others[0] + 1} in the file: put the server's "
                "own certificate first)") if others else ""
        raise CertificateError(f"the key does not belong to the certificate "
                               f"{_label(leaf)}{hint}")
    # Drop exact duplicates (a chain file that repeats the leaf) but keep the order.
    seen: set[bytes] = set()
    unique = []
    for cert in chain:
        der = cert.public_bytes(serialization.Encoding.DER)
        if der not in seen:
            seen.add(der)
            unique.append(cert)
    chain = unique
    for i in range(len(chain) - 1):
        if not _issued_by(chain[i], chain[i + 1]):
            later = [j for j in range(len(chain)) if j != i and _issued_by(chain[i], chain[j])]
            hint = (f"; its issuer is certificate {later[0] + 1}: list them leaf first, "
                    "then each issuer") if later else ""
            raise CertificateError(
                f"chain out of order or incomplete: certificate {i + 2} ({_label(chain[i + 1])})"
                f" did not issue certificate {i + 1} ({_label(chain[i])}){hint}")
    for i, cert in enumerate(chain):
        which = "the certificate" if i == 0 else f"chain certificate {i + 1} ({_label(cert)})"
        if cert.not_valid_after_utc <= now:
            raise CertificateError(f"{which} expired on {cert.not_valid_after_utc:%Y-%m-%d}")
        if cert.not_valid_before_utc > now:
            raise CertificateError(f"{which} is not valid before "
                                   f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC "
                                   "(or this machine's clock is wrong)")
    names = names_of(leaf)
    if not covers(names, hostname):
        raise CertificateError(f"the certificate is for {', '.join(names) or 'no name'}, not "
                               f"for this server's host name {hostname} (clients would refuse "
                               "it; change the host name or get a certificate for it)")
    warnings = []
    for name in other_names or []:
        if not covers(names, name):
            warnings.append(f"{name} is not among the certificate's names: clients that "
                            f"connect to {name} will warn")
    days = (leaf.not_valid_after_utc - now).days
    if days < 30:
        warnings.append(f"the certificate expires in {days} days "
                        f"({leaf.not_valid_after_utc:%Y-%m-%d})")
    if roots is None:
        roots = system_roots()
    if roots and not _self_signed(leaf):
        top = chain[-1]
        trusted = any(_issued_by(top, root) or top == root for root in roots)
        if not trusted:
            warnings.append(f"the chain ends at {_label(top)} (issued by "
                            f"{top.issuer.rfc4514_string()}), which this system does not "
                            "trust, so clients may refuse it (for an import: add the "
                            "intermediate certificates with --chain)")
    elif _self_signed(leaf):
        warnings.append("the certificate is self-signed: mail clients will warn until they "
                        "are told to trust it")
    return ImportCheck(chain, key, warnings)


def renewal_due(not_after: dt.datetime, now: dt.datetime, before_days: int,
                window_start: dt.datetime | None = None) -> bool:
    """Renew ``before_days`` ahead of expiry, or once the CA's renewal window (ARI) opened."""
    if window_start is not None and now >= window_start:
        return True
    return now >= not_after - dt.timedelta(days=before_days)
