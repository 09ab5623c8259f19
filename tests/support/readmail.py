"""IMAP and POP3 servers on ephemeral loopback ports, in a background event loop.

Tests talk to them with blocking clients (imaplib, poplib, curl, fetchmail,
mbsync), so the servers run in their own thread and the tests stay plain
functions.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from pathlib import Path

from appliance.imap import ImapServer
from appliance.pop3 import PopServer
from appliance.store import Mailstore
from appliance.tls import make_self_signed, server_context

USERS = {
    "alice@example.test": "pw-alice-1",
    "bob@example.test": "pw-bob-1",
}


def make_cert(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost / 127.0.0.1, as the product makes at init."""
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    make_self_signed("localhost", cert_path, key_path, days=30)
    return cert_path, key_path


def client_context(cert: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(cert))
    return ctx


class ReadMail:
    """Store + IMAP (STARTTLS), IMAPS, POP3 (STLS), POP3S on 127.0.0.1 ephemeral ports."""

    def __init__(self, root: Path, *, quota: int = 0, loopback_plaintext: bool = True,
                 timeout: float = 60) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.cert, self.key = make_cert(root)
        self.tls = server_context(self.cert, self.key)
        self.store = Mailstore(root / "mail", "mail.example.test")
        self.quota = quota
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.failed_logins: list[str] = []

        async def authenticate(user: str, password: str, ip: str) -> str | None:
            if USERS.get(user.lower()) == password:
                return user.lower()
            self.failed_logins.append(user)
            return None

        common = dict(hostname="mail.example.test", tls_context=self.tls,
                      allow_plaintext_from_loopback=loopback_plaintext, timeout=timeout)
        self.imap = ImapServer(self.store, authenticate, implicit_tls=False,
                               quota_of=lambda a: self.quota, **common)
        self.imaps = ImapServer(self.store, authenticate, implicit_tls=True,
                                quota_of=lambda a: self.quota, **common)
        self.pop3 = PopServer(self.store, authenticate, implicit_tls=False, **common)
        self.pop3s = PopServer(self.store, authenticate, implicit_tls=True, **common)
        self.servers = [self.imap, self.imaps, self.pop3, self.pop3s]
        for server in self.servers:
            self.call(server.start("127.0.0.1", 0))

    def call(self, coro):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def port(self, server: ImapServer | PopServer) -> int:
        return server.sockets[0][1]

    def deliver(self, address: str, message: bytes, **kw: object) -> None:
        self.store.deliver(address, message, return_path="sender@example.org", **kw)

    def stop(self) -> None:
        for server in self.servers:
            self.call(server.stop())
            self.call(server.close_sessions())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
        self.store.close()


def sample_message(subject: str = "Hello", body: str = "Body text\n", *,
                   to: str = "alice@example.test") -> bytes:
    return (
        f"From: Sender <sender@example.org>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{abs(hash(subject))}@example.org>"
        f"\r\n\r\n{body}".replace("\n", "\r\n").replace("\r\r\n", "\r\n").encode()
    )
