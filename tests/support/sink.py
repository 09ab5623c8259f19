"""A real SMTP server standing in for a remote mail server, for tests.

``SinkHandler`` records what it receives and can refuse or defer chosen
recipients; ``sink()`` runs it with aiosmtpd on a loopback address. Run as
``python -m tests.support.sink --host 127.0.0.4 --port 2526 --reject nobody@far.test``
for acceptance scripts (it prints each message it accepts).
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import Envelope, Session

__all__ = ["Received", "SinkHandler", "sink", "port_free_on"]


@dataclass
class Received:
    sender: str
    recipients: list[str]
    content: bytes
    mail_options: list[str]
    tls: bool


@dataclass
class SinkHandler:
    reject: set[str] = field(default_factory=set)  # RCPT gets 550
    defer: set[str] = field(default_factory=set)  # RCPT gets 451
    data_reply: str | None = None  # e.g. "452 4.3.1 Insufficient system storage"
    no_8bitmime: bool = False
    received: list[Received] = field(default_factory=list)

    async def handle_EHLO(  # noqa: N802 - aiosmtpd hook name
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname  # the new-style hook must record it itself
        if self.no_8bitmime:
            responses = [r for r in responses if "8BITMIME" not in r and "SMTPUTF8" not in r]
        return responses

    async def handle_RCPT(  # noqa: N802
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.reject:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if address in self.defer:
            return f"451 4.3.0 <{address}>: Temporary lookup failure"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(  # noqa: N802
        self, server: SMTPServer, session: Session, envelope: Envelope
    ) -> str:
        if self.data_reply:
            return self.data_reply
        assert envelope.mail_from is not None and isinstance(envelope.original_content, bytes)
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content,
                list(envelope.mail_options),
                # session.ssl covers STARTTLS; implicit TLS shows on the transport.
                session.ssl is not None
                or (
                    server.transport is not None
                    and server.transport.get_extra_info("ssl_object") is not None
                ),
            )
        )
        return "250 2.0.0 Ok: queued as SINK1"


def port_free_on(hosts: list[str]) -> int:
    """A port number free for TCP on every one of ``hosts``."""
    for _ in range(100):
        socks: list[socket.socket] = []
        try:
            first = socket.socket()
            socks.append(first)
            first.bind((hosts[0], 0))
            port = first.getsockname()[1]
            for host in hosts[1:]:
                s = socket.socket()
                socks.append(s)
                s.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no common free port")


def closed_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on (the kernel just handed it out and took it back)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def sink(host: str, port: int, handler: SinkHandler, **smtp_kwargs: Any) -> Iterator[SinkHandler]:
    # A name of its own: without one aiosmtpd calls socket.getfqdn() for every
    # connection, which waits on DNS where the host's name is not in /etc/hosts
    # (a fresh chroot) and can outlast the client's time-out.
    smtp_kwargs.setdefault("server_hostname", "sink.test")
    controller = Controller(handler, hostname=host, port=port, ready_timeout=5, **smtp_kwargs)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2526)
    parser.add_argument("--reject", action="append", default=[], help="RCPT gets 550")
    parser.add_argument("--defer", action="append", default=[], help="RCPT gets 451")
    args = parser.parse_args()
    handler = SinkHandler(reject=set(args.reject), defer=set(args.defer))
    with sink(args.host, args.port, handler):
        print(f"sink listening on {args.host}:{args.port}", flush=True)
        seen = 0
        try:
            while True:
                time.sleep(0.2)
                for msg in handler.received[seen:]:
                    print(f"received from=<{msg.sender}> to={msg.recipients} "
                          f"size={len(msg.content)} tls={msg.tls}", flush=True)
                seen = len(handler.received)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
