"""sd_notify: the daemon tells systemd READY=1 once its listeners are up, STOPPING=1 at stop.

A real AF_UNIX datagram socket stands in for systemd's notify socket, as
systemd itself provides one to a Type=notify service.
"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.service.notify import Notifier, watchdog_interval
from tests.support.daemon import Mailroom


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(20)
    try:
        yield sock, path
    finally:
        sock.close()


def _fields(datagram: bytes) -> dict[str, str]:
    return dict(line.split("=", 1) for line in datagram.decode().splitlines())


def test_without_notify_socket_nothing_is_sent() -> None:
    notifier = Notifier({})
    assert not notifier.enabled
    assert notifier.ready() is False


def test_ready_names_the_pid(notify_socket: tuple[socket.socket, str]) -> None:
    sock, path = notify_socket
    assert Notifier({"NOTIFY_SOCKET": path}).ready("7 listeners up")
    fields = _fields(sock.recv(4096))
    assert fields == {"READY": "1", "MAINPID": str(os.getpid()), "STATUS": "7 listeners up"}


def test_abstract_socket_name() -> None:
    name = f"@mailroom-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(b"\0" + name[1:].encode())
        sock.settimeout(5)
        assert Notifier({"NOTIFY_SOCKET": name}).stopping()
        assert sock.recv(4096) == b"STOPPING=1"


def test_unreachable_socket_is_not_an_error(tmp_path: Path) -> None:
    assert Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone")}).ready() is False


def test_watchdog_interval_is_half_of_watchdogsec() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval({}) is None


def test_daemon_notifies_ready_after_listening_and_stopping_at_sigterm(
        home: Mailroom, notify_socket: tuple[socket.socket, str]) -> None:
    sock, path = notify_socket
    home.env["NOTIFY_SOCKET"] = path
    home.env["WATCHDOG_USEC"] = "200000"  # a ping every 0.1 s
    home.start()
    try:
        ready = {}
        while "READY" not in ready:
            ready = _fields(sock.recv(4096))
        assert ready["MAINPID"] == str(home.proc.pid)
        # READY comes after the listeners are bound: a connection is accepted now.
        with socket.create_connection(("127.0.0.1", home.port("smtp")), 5) as smtp:
            assert smtp.recv(100).startswith(b"220")
        assert _fields(sock.recv(4096)) == {"WATCHDOG": "1"}
        home.proc.send_signal(signal.SIGTERM)
        seen = []
        while "STOPPING=1" not in seen:
            seen.append(sock.recv(4096).decode())
        assert home.proc.wait(30) == 0
    finally:
        home.stop()
