"""Why a listener could not start, in words an office administrator understands.

``bind()`` fails with an errno; "[Errno 98] error while attempting to bind on
address ('0.0.0.0', 25): address already in use" tells a newcomer little.
``explain`` turns the error into one plain sentence that names the service
and the port, the same for ``serve``'s output, ``status``, the dashboard and
the tray.
"""

from __future__ import annotations

import errno
import re
import socket

__all__ = ["explain", "SERVICE_NAMES"]

# The same words as the desktop program's (ui/service_words.py).
SERVICE_NAMES = {
    "smtp": "SMTP", "submission": "Submission", "smtps": "SMTP over TLS",
    "pop3": "POP3", "pop3s": "POP3 over TLS", "imap": "IMAP", "imaps": "IMAP over TLS",
}

_ADDRESS = re.compile(r"address \('([^']*)'")


def explain(service: str, hosts: list[str], port: int, exc: BaseException) -> str:
    """One sentence: which listener, and why it could not listen."""
    what = f"{SERVICE_NAMES.get(service, service)} on port {port}"
    code = getattr(exc, "errno", None)
    # asyncio names the address that failed when it tried several.
    found = _ADDRESS.search(str(exc))
    host = found.group(1) if found else (hosts[0] if len(hosts) == 1 else ",".join(hosts))
    if isinstance(exc, socket.gaierror):
        return f"{what}: cannot use address {host}: the name does not resolve"
    if code == errno.EADDRINUSE:
        return f"{what}: another program uses this port"
    if code == errno.EADDRNOTAVAIL:
        return f"{what}: cannot use address {host}: not an address of this machine"
    if code in (errno.EACCES, errno.EPERM):
        if port < 1024:
            return (f"{what}: permission denied: ports below 1024 need root "
                    "or CAP_NET_BIND_SERVICE")
        return f"{what}: permission denied"
    if code == errno.EAFNOSUPPORT:
        return f"{what}: cannot use address {host}: this machine has no such network (IPv6?)"
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"{what}: {reason}"
