"""IMAP4rev1 server (RFC 3501) over the indexed Maildir store.

Extensions: IDLE, UIDPLUS, MOVE, UNSELECT, NAMESPACE, ID, ENABLE, LITERAL+,
SASL-IR, CHILDREN, LIST-EXTENDED (selection/return options that clients
use), SPECIAL-USE, QUOTA (RFC 9208, STORAGE). One ``ImapServer`` serves one
listener: the daemon makes one for 143 (STARTTLS) and one for 993
(``implicit_tls=True``).

Wiring::

    server = ImapServer(store, authenticate, hostname="mail.example.test",
                        tls_context=ctx, implicit_tls=False, quota_of=quota_of)
    await server.start("0.0.0.0", 143)
    ...
    await server.stop()            # stop listening
    await server.close_sessions()  # and, at shutdown, end the sessions
"""

from __future__ import annotations

import ssl
from collections.abc import Callable

from appliance.imap.listener import Authenticate, Connection, MailboxListener
from appliance.imap.session import ImapSession
from appliance.store import Account, Mailstore

__all__ = ["ImapServer"]


class ImapServer(MailboxListener):
    store: Mailstore
    refusal = b"* BYE [UNAVAILABLE] too many connections, try again later\r\n"
    ban_refusal = b"* BYE [UNAVAILABLE] too many failed logins from your address\r\n"
    service = "imapd"

    def __init__(
        self,
        store: Mailstore,
        authenticate: Authenticate,
        *,
        hostname: str,
        tls_context: ssl.SSLContext | None,
        implicit_tls: bool,
        allow_plaintext_from_loopback: bool = True,
        timeout: float = 1800,
        max_line: int = 65536,
        max_literal: int = 64 * 1024 * 1024,
        quota_of: Callable[[str], int] | None = None,
        max_connections: int = 500,
        max_connections_per_ip: int = 50,
    ) -> None:
        super().__init__(store, authenticate, hostname=hostname,
                         allow_plaintext_from_loopback=allow_plaintext_from_loopback,
                         tls_context=tls_context, implicit_tls=implicit_tls, timeout=timeout,
                         max_line=max_line, max_connections=max_connections,
                         max_connections_per_ip=max_connections_per_ip)
        self.max_literal = max_literal
        self.quota_of = quota_of
        # (authzid, peer address) → the client address a trusted proxy (the
        # webmail) logs in for, or None: see appliance.webmail.proxy.
        self.proxied_client: Callable[[str, str], str | None] = lambda authzid, peer: None
        # Junk training (appliance.spam.training.Trainer.moved): (account, source folder
        # or None for APPEND, target folder, uids in the target), after COPY/MOVE/APPEND.
        self.moved: Callable[[Account, str | None, str, list[int]], None] | None = None

    async def serve(self, conn: Connection) -> None:
        await ImapSession(self, conn).run()
