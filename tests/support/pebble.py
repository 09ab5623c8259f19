"""A real ACME server for tests: Debian's ``pebble`` on loopback.

Pebble's HTTPS uses a certificate from a CA this module makes (``ca_file``:
trust it in the ACME client, in tests only). Its validation authority really
fetches HTTP-01 tokens from ``http_port`` on the address the name resolves
to, asking the DNS server given as ``dns`` (tests/support/dnsserver.py), and
really looks up DNS-01 TXT records there.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["Pebble", "free_port", "pebble_binary"]


def pebble_binary() -> str | None:
    return shutil.which("pebble")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _https_certificate(directory: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a certificate for 127.0.0.1/localhost signed by it."""
    now = dt.datetime.now(dt.UTC)
    ca_key = _key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Mailroom test pebble CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(hours=1))
          .not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = _key()
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file = directory / "pebble-ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file = directory / "pebble-cert.pem"
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file = directory / "pebble-key.pem"
    key_file.write_bytes(_pem_key(key))
    return ca_file, cert_file, key_file


@dataclass
class Pebble:
    directory_path: Path
    dns: str  # host:port of the DNS server the validation authority asks
    http_port: int  # where it fetches HTTP-01 tokens
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0
    management_port: int = 0
    ca_file: Path | None = None

    @property
    def directory(self) -> str:
        return f"https://127.0.0.1:{self.port}/dir"

    def start(self, timeout: float = 20.0) -> Pebble:
        binary = pebble_binary()
        assert binary is not None, "pebble is not installed (packaging/deps.sh test)"
        self.directory_path.mkdir(parents=True, exist_ok=True)
        self.ca_file, cert, key = _https_certificate(self.directory_path)
        self.port, self.management_port = free_port(), free_port()
        config = self.directory_path / "pebble-config.json"
        config.write_text(json.dumps({"pebble": {
            "listenAddress": f"127.0.0.1:{self.port}",
            "managementListenAddress": f"127.0.0.1:{self.management_port}",
            "certificate": str(cert), "privateKey": str(key),
            "httpPort": self.http_port, "tlsPort": free_port(),
            "ocspResponderURL": "", "externalAccountBindingRequired": False}}))
        env = {**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0",
               "PEBBLE_AUTHZREUSE": "0"}
        log = open(self.directory_path / "pebble.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [binary, "-config", str(config), "-dnsserver", self.dns],
            stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        context = ssl.create_default_context(cafile=str(self.ca_file))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"pebble exited: {self.log()[-2000:]}")
            try:
                with urllib.request.urlopen(self.directory, context=context, timeout=2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"pebble did not start: {self.log()[-2000:]}")

    def root_pem(self) -> bytes:
        """The root of the chains pebble issues (made anew at each start)."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        url = f"https://127.0.0.1:{self.management_port}/roots/0"
        with urllib.request.urlopen(url, context=context, timeout=5) as response:
            data: bytes = response.read()
            return data

    def log(self) -> str:
        path = self.directory_path / "pebble.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
