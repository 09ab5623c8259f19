"""The HTTP-01 responder: port 80 (``acme.http_port``) open only while a challenge runs.

It answers ``GET /.well-known/acme-challenge/<token>`` for the tokens it was
given and 404 for anything else; it reads no request body and gives each
client a few seconds, so a stranger on port 80 can do nothing with it.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

__all__ = ["ChallengeServer", "PREFIX"]

PREFIX = "/.well-known/acme-challenge/"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 10  # seconds for a client to send its request line and headers
    server_version = "Mailroom-ACME"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 - http.server's hook name
        token = self.path.split("?", 1)[0]
        body = self.server.responses.get(token.removeprefix(PREFIX)) \
            if token.startswith(PREFIX) else None
        if body is None:
            self.send_error(404)
            return
        data = body.encode("ascii")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.server.fetched.add(token.removeprefix(PREFIX))

    def log_message(self, format: str, *args: object) -> None:
        pass  # the ACME client logs the outcome; a line per fetch would be noise


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    responses: dict[str, str]
    fetched: set[str]


class _Server6(_Server):
    address_family = socket.AF_INET6

    def server_bind(self) -> None:
        # Beside an IPv4 socket on the same port: this one takes IPv6 only.
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()


class ChallengeServer:
    """Serve key authorizations on ``port`` of each of ``hosts`` until closed."""

    def __init__(self, hosts: list[str], port: int) -> None:
        self.hosts = hosts or ["0.0.0.0", "::"]
        self.port = port
        self.responses: dict[str, str] = {}
        self.fetched: set[str] = set()
        self._servers: list[_Server] = []

    def start(self) -> None:
        errors = []
        for host in self.hosts:
            cls = _Server6 if ":" in host else _Server
            try:
                server = cls((host, self.port), _Handler)
            except OSError as exc:
                errors.append(f"{host}: {exc.strerror or exc}")
                continue
            server.responses = self.responses
            server.fetched = self.fetched
            threading.Thread(target=server.serve_forever, name=f"acme-http-{host}",
                             daemon=True).start()
            self._servers.append(server)
        if not self._servers:
            raise OSError(f"cannot listen on port {self.port} for the HTTP-01 challenge "
                          f"({'; '.join(errors)}): is a web server using it? Stop it for a "
                          "moment, or use DNS-01: mailroom tls acme issue --dns")

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers = []

    def __enter__(self) -> ChallengeServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
