"""TLS certificates and contexts.

A self-signed certificate for the host name is made at ``init`` when none is
given; an imported or ACME-issued one replaces it: its files are copied into
the data directory (``tls/cert.pem``, ``tls/key.pem`` 0600, the one before
kept as ``*.previous``), so a backup of the data directory holds them.
Contexts allow TLS 1.2 and newer only. ``ReloadableContext`` lets a running
daemon take a new certificate without restarting a listener: sessions keep
the certificate they shook hands with, new handshakes get the new one.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography import x509

__all__ = ["make_self_signed", "server_context", "certificate_expiry", "install",
           "ReloadableContext", "write_private"]


def make_self_signed(hostname: str, cert_path: Path, key_path: Path, days: int = 825) -> None:
    """Write a self-signed RSA certificate for ``hostname`` (and localhost)."""
    # Here, not at the top: cryptography is 11 MB the running daemon needs only now and then.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    # RSA rather than ECDSA: older Outlook and phone clients still expect it.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = dt.datetime.now(dt.UTC)
    sans: list[x509.GeneralName] = [x509.DNSName(hostname), x509.DNSName("localhost")]
    sans.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key_bytes)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def server_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert_path, key_path)
    return ctx


def certificate_expiry(cert_path: Path) -> dt.datetime:
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    return cert.not_valid_after_utc


def write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner may read, atomically (a crash leaves the old one)."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o600)  # an old tmp file may have had other bits
    os.replace(tmp, path)


def install(tls_dir: Path, cert_pem: bytes, key_pem: bytes) -> tuple[Path, Path]:
    """Put a checked certificate chain and key in place as tls/cert.pem and tls/key.pem.

    The pair in use before is kept as ``cert.pem.previous``/``key.pem.previous``
    (to go back by hand). The key is written before the certificate and both
    are renamed into place, so a reader never sees a half-written file.
    """
    tls_dir.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = tls_dir / "cert.pem", tls_dir / "key.pem"
    for path in (cert_path, key_path):
        if path.exists():
            write_private(path.with_name(path.name + ".previous"), path.read_bytes())
    write_private(key_path, key_pem)
    tmp = cert_path.with_name(".cert.pem.tmp")
    tmp.write_bytes(cert_pem)
    os.replace(tmp, cert_path)
    return cert_path, key_path


class ReloadableContext:
    """One SSLContext for the listeners' lifetime, whose certificate can be changed.

    Listeners hold ``context`` (an implicit-TLS socket keeps the context it
    was started with). Every handshake passes through its SNI callback, which
    OpenSSL calls for each ClientHello, with or without a server name; it
    switches the connection to the newest context. So ``load`` takes effect
    for the next handshake, and a session already running keeps its own.
    """

    def __init__(self, cert_path: Path, key_path: Path) -> None:
        self.current = server_context(cert_path, key_path)
        self.context = server_context(cert_path, key_path)
        self.context.sni_callback = self._pick

    def _pick(self, connection: ssl.SSLObject | ssl.SSLSocket, server_name: str | None,
              context: ssl.SSLContext) -> None:
        connection.context = self.current

    def load(self, cert_path: Path, key_path: Path) -> None:
        """Load a new pair (raises when it does not load: the old one stays in use)."""
        self.current = server_context(cert_path, key_path)
