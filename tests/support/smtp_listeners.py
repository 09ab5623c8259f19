"""The product's SMTP listeners (25 without STARTTLS, 465) on a loop of their own, for tests
that drive them with blocking clients (smtplib, raw sockets) and a context they make."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from appliance.smtp.server import ListenerConfig, SmtpContext, SmtpLimits, SmtpListener

__all__ = ["smtp_listeners"]

CONFIGS = (ListenerConfig("smtp", starttls=False),
           ListenerConfig("smtps", implicit_tls=True, auth_required=True))


@contextmanager
def smtp_listeners(
    make_context: Callable[[asyncio.AbstractEventLoop], SmtpContext], tls: ssl.SSLContext
) -> Iterator[dict[str, int]]:
    """Yields the port of each listener by name ("smtp", "smtps")."""
    loop = asyncio.new_event_loop()
    listeners: list[SmtpListener] = []
    ports: dict[str, int] = {}

    async def start() -> None:
        ctx = make_context(loop)
        for config in CONFIGS:
            listener = SmtpListener(ctx, config, SmtpLimits(), tls)
            await listener.start("127.0.0.1", 0)
            listeners.append(listener)
            ports[config.name] = listener.sockets[0][1]

    async def stop() -> None:
        for listener in listeners:
            await listener.stop()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield ports
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
