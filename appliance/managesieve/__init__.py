"""ManageSieve server (RFC 5804): users edit their Sieve filters from a mail client.

Thunderbird's and Roundcube's filter editors speak it. One listener (port
4190, ``managesieve.*`` settings) built by the daemon like the POP3 and IMAP
ones: the same connection limits, time-outs, ban check at connect and
``Authenticator`` (failed logins count toward the auto-ban). Scripts live
where ``appliance.sieve.storage`` keeps them (Dovecot Pigeonhole's
layout), so a script saved here is the one delivery runs.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any

from appliance.imap.listener import Authenticate, Connection, Listener
from appliance.managesieve.session import ManageSieveSession
from appliance.sieve import CAPABILITIES
from appliance.sieve.script import MAX_SCRIPT_BYTES
from appliance.sieve.storage import MAX_SCRIPTS

__all__ = ["ManageSieveServer"]


class ManageSieveServer(Listener):
    refusal = b'BYE "too many connections, try again later"\r\n'
    ban_refusal = b'BYE "too many failed logins from your address"\r\n'
    service = "managesieve"

    def __init__(
        self,
        authenticate: Authenticate,
        scripts_for: Callable[[str], Any],
        *,
        hostname: str,
        tls_context: ssl.SSLContext | None,
        max_script_size: int = MAX_SCRIPT_BYTES,
        max_scripts: int = MAX_SCRIPTS,
        max_redirects: int = 4,
        timeout: float = 600,
        max_line: int = 8192,
        max_connections: int = 100,
        max_connections_per_ip: int = 20,
    ) -> None:
        super().__init__(tls_context=tls_context, implicit_tls=False, timeout=timeout,
                         max_line=max_line, max_connections=max_connections,
                         max_connections_per_ip=max_connections_per_ip)
        self.authenticate = authenticate
        self.scripts_for = scripts_for  # address → the account's ScriptStore (blocking)
        self.hostname = hostname
        self.sieve_capabilities: Callable[[], list[str]] = lambda: list(CAPABILITIES)
        self.max_script_size = max_script_size
        self.max_scripts = max_scripts
        self.max_redirects = max_redirects

    async def serve(self, conn: Connection) -> None:
        await ManageSieveSession(self, conn).run()
