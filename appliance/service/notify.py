"""Tells systemd how the daemon is doing (``Type=notify``): READY, STOPPING, WATCHDOG.

The protocol is one datagram of ``KEY=VALUE`` lines to the AF_UNIX socket
named by ``$NOTIFY_SOCKET`` (sd_notify(3)). It is written here rather than
taken from a library because it is a dozen lines of stdlib, and the packages
that wrap it (``systemd-python``, ``sdnotify``) either need libsystemd headers
to build or add nothing. Without ``$NOTIFY_SOCKET`` (not under systemd, or a
``Type=simple`` unit) every call does nothing, so the daemon calls them
unconditionally.
"""

from __future__ import annotations

import asyncio
import os
import socket

__all__ = ["Notifier", "watchdog_interval"]


def _address(name: str) -> str | bytes:
    # "@name" is a Linux abstract socket: a leading NUL byte on the wire.
    return b"\0" + name[1:].encode() if name.startswith("@") else name


def watchdog_interval(environ: dict[str, str] | None = None) -> float | None:
    """Seconds between keep-alive pings, half of WatchdogSec (as sd_watchdog_enabled
    advises), or None when systemd does not watch this process."""
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC")
    pid = env.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return int(usec) / 2_000_000
    except ValueError:
        return None


class Notifier:
    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.socket_name = env.get("NOTIFY_SOCKET") or None
        self.watchdog = watchdog_interval(env)

    @property
    def enabled(self) -> bool:
        return self.socket_name is not None

    def send(self, **fields: str | int) -> bool:
        """One notification (e.g. ``READY=1``); False when there is nobody to tell."""
        if self.socket_name is None:
            return False
        payload = "\n".join(f"{k}={v}" for k, v in fields.items()).encode()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
                s.connect(_address(self.socket_name))
                s.sendall(payload)
        except OSError:
            # systemd gone or the socket unreachable: the daemon keeps serving mail.
            return False
        return True

    def ready(self, status: str = "") -> bool:
        fields: dict[str, str | int] = {"READY": 1, "MAINPID": os.getpid()}
        if status:
            fields["STATUS"] = status
        return self.send(**fields)

    def stopping(self) -> bool:
        return self.send(STOPPING=1)

    def status(self, text: str) -> bool:
        return self.send(STATUS=text)

    async def keep_alive(self) -> None:
        """Pings WATCHDOG=1 while the event loop turns; a hung loop stops the pings."""
        if self.watchdog is None or not self.enabled:
            return
        while True:
            self.send(WATCHDOG=1)
            await asyncio.sleep(self.watchdog)

    def start_keep_alive(self) -> asyncio.Task[None] | None:
        if self.watchdog is None or not self.enabled:
            return None
        return asyncio.get_running_loop().create_task(self.keep_alive())
