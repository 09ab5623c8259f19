"""The control client runs an operation locally only when no daemon runs.

A daemon that is there but slow, or that drops the connection after the
request went out, must give an error: running the operation locally as
well could do it twice (``message.submit`` would leave mail in a spool the
running daemon never looks at).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.control.client import ControlClient, DaemonNotAnswering
from appliance.home import Home
from tests.support.daemon import Mailroom

MESSAGE = base64.b64encode(b"Subject: hi\r\n\r\nbody\r\n").decode()


def _queued(home: Path) -> list[str]:
    active = home / "queue" / "active"  # made by the first local operation that queues
    return sorted(p.name for p in active.iterdir()) if active.exists() else []


def _endpoint(home: Path, port: int, pid: int) -> None:
    (home / "run" / "control.json").write_text(
        json.dumps({"host": "127.0.0.1", "port": port, "pid": pid}))


@pytest.fixture
def silent_daemon(home: Mailroom) -> Iterator[tuple[Mailroom, list[socket.socket]]]:
    """An endpoint that accepts connections and reads requests but never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(conn)

    threading.Thread(target=serve, daemon=True).start()
    _endpoint(home.home, server.getsockname()[1], os.getpid())
    try:
        yield home, accepted
    finally:
        server.close()
        for conn in accepted:
            conn.close()


def test_a_time_out_is_an_error_and_nothing_runs_locally(
        silent_daemon: tuple[Mailroom, list[socket.socket]]) -> None:
    home, _ = silent_daemon
    client = ControlClient(Home(home.home), timeout=0.3)
    with pytest.raises(DaemonNotAnswering, match="did not answer within 0.3 s"):
        client.call("message.submit", sender="", recipients=["bob@example.test"],
                    message=MESSAGE)
    client.close()
    assert _queued(home.home) == []


def test_the_cli_says_so_and_exits_non_zero(
        silent_daemon: tuple[Mailroom, list[socket.socket]]) -> None:
    home, _ = silent_daemon
    env = {**home.env, "MAILROOM_CONTROL_TIMEOUT": "0.3"}
    result = subprocess.run(
        [sys.executable, "main.py", "sendmail", "bob@example.test"], input=b"Subject: x\n\nhi\n",
        capture_output=True, env=env, cwd=Path(__file__).resolve().parents[2], timeout=30)
    assert result.returncode != 0
    assert b"did not answer" in result.stderr
    assert _queued(home.home) == []


def test_a_reset_after_the_request_is_an_error(home: Mailroom) -> None:
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = server.accept()
        conn.recv(65536)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()  # an RST, as a daemon that died mid-request

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    _endpoint(home.home, server.getsockname()[1], os.getpid())
    client = ControlClient(Home(home.home), timeout=5)
    try:
        with pytest.raises(DaemonNotAnswering, match="may or may not have been done"):
            client.call("message.submit", sender="", recipients=["bob@example.test"],
                        message=MESSAGE)
    finally:
        client.close()
        server.close()
        thread.join(5)
    assert _queued(home.home) == []


def test_no_daemon_refused_or_stale_endpoint_runs_locally(home: Mailroom) -> None:
    client = ControlClient(Home(home.home), timeout=5)
    try:
        # No control.json at all.
        assert client.call("settings.get", key="hostname") == "mail.example.test"
        # A port nobody listens on: refused.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            free = probe.getsockname()[1]
        _endpoint(home.home, free, os.getpid())
        assert client.call("settings.get", key="hostname") == "mail.example.test"
        # The endpoint of a daemon that was killed: its pid is gone.
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        listener = socket.create_server(("127.0.0.1", 0))  # something else took the port
        try:
            _endpoint(home.home, listener.getsockname()[1], dead.pid)
            assert client.call("settings.get", key="hostname") == "mail.example.test"
        finally:
            listener.close()
    finally:
        client.close()
