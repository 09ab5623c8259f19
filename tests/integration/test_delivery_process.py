"""delivery.worker_process: signing and sending in a second process, supervised by the daemon."""

from __future__ import annotations

import json
import os
import re
import signal
import smtplib
import threading
from collections.abc import Iterator

import pytest

from tests.support.daemon import Mailroom
from tests.support.dnsserver import DnsServer, serving
from tests.support.sink import SinkHandler, port_free_on, sink
from tests.support.waiting import wait

ZONE = {
    "far.test": {"MX": [(10, "mx.far.test")]},
    "mx.far.test": {"A": ["127.0.0.4"]},
}
TOKEN = re.compile(rb"Subject: t-(\d+)")


@pytest.fixture
def far() -> Iterator[tuple[SinkHandler, int]]:
    port = port_free_on(["127.0.0.4"])
    with sink("127.0.0.4", port, SinkHandler()) as handler:
        yield handler, port


@pytest.fixture
def out(home: Mailroom, far: tuple[SinkHandler, int]) -> Iterator[Mailroom]:
    with serving(ZONE) as dns:
        _configure(home, dns, far[1])
        home.start()
        try:
            yield home
        finally:
            home.stop()


def _configure(m: Mailroom, dns: DnsServer, port: int) -> None:
    for key, value in (("dns.nameservers", dns.nameserver), ("delivery.remote_port", str(port)),
                       ("delivery.connect_timeout", "2"), ("queue.retry_base", "1"),
                       ("queue.retry_cap", "1"), ("delivery.worker_process", "yes")):
        m.cli("settings", "set", key, value)


def _message(n: int) -> bytes:
    return (f"From: Alice <alice@example.test>\r\nTo: r{n}@far.test\r\nSubject: t-{n}\r\n"
            f"\r\nbody {n}\r\n").encode()


def _send(m: Mailroom, numbers: range) -> None:
    with smtplib.SMTP("127.0.0.1", m.port("smtp"), timeout=10) as s:
        for n in numbers:
            s.sendmail("alice@example.test", [f"r{n}@far.test"], _message(n))


def _worker(m: Mailroom) -> dict[str, object]:
    return json.loads(m.cli("status", "--json").stdout)["delivery_process"]  # type: ignore[no-any-return]


def _gone(pid: int) -> bool:
    """The process has exited (a zombie not yet reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1].startswith("Z")
    except FileNotFoundError:
        return True


def _tokens(handler: SinkHandler) -> list[int]:
    return [int(t) for r in handler.received for t in TOKEN.findall(r.content)]


def test_worker_signs_sends_logs_and_is_restarted_after_a_kill(
        out: Mailroom, far: tuple[SinkHandler, int]) -> None:
    m, (handler, _) = out, far
    _send(m, range(5))
    wait(lambda: len(handler.received) == 5, what="five messages at the sink")
    assert all(len(re.findall(rb"(?im)^DKIM-Signature:", r.content)) == 2
               for r in handler.received)
    first = _worker(m)
    pid = first["pid"]
    assert isinstance(pid, int) and pid != m.proc.pid  # type: ignore[union-attr]
    wait(lambda: m.mailq() == [], what="an empty queue")
    # The worker's lines are in the one mail log, with its own pid and the queue ID.
    sent = wait(lambda: re.findall(rf"mailroom/smtp\[{pid}\]: (\w+): to=<r\d@far\.test>, "
                                   r"relay=mx\.far\.test\[127\.0\.0\.4\]:\d+.*status=sent",
                                   m.log_text()), what="the worker's log lines")
    assert len(set(sent)) == 5

    os.kill(pid, signal.SIGKILL)
    wait(lambda: "killed by signal SIGKILL" in m.log_text(), what="the daemon noticing")
    _send(m, range(5, 10))
    wait(lambda: sorted(_tokens(handler)) == list(range(10)), what="the next five, once each")
    again = _worker(m)
    assert again["pid"] != pid and again["restarts"] == 1


def test_sigkill_of_the_worker_under_load_loses_nothing(
        out: Mailroom, far: tuple[SinkHandler, int]) -> None:
    m, (handler, _) = out, far
    acked: list[int] = []
    stop = threading.Event()

    def sender() -> None:
        n = 0
        with smtplib.SMTP("127.0.0.1", m.port("smtp"), timeout=10) as s:
            while not stop.is_set():
                s.sendmail("alice@example.test", [f"r{n}@far.test"], _message(n))
                acked.append(n)
                n += 1

    thread = threading.Thread(target=sender)
    thread.start()
    killed: list[object] = [None]
    try:
        for _ in range(2):
            mark = len(handler.received)
            wait(lambda mark=mark: len(handler.received) > mark + 20, what="mail flowing")
            pid = wait(lambda: _worker(m)["pid"] not in killed and _worker(m)["pid"],
                       what="a worker")
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            mark = len(acked)
            wait(lambda mark=mark: len(acked) > mark + 30, what="intake going on meanwhile")
    finally:
        stop.set()
        thread.join(10)
    wait(lambda: m.mailq() == [], timeout=30, what="the deferred ones sent on retry")
    got = _tokens(handler)
    assert set(got) == set(acked)  # at least once each: a kill after a 250 may repeat one
    assert len(got) - len(set(got)) <= 2 * 50  # at most what was in flight at the kills


def test_worker_ends_with_the_daemon(out: Mailroom, far: tuple[SinkHandler, int]) -> None:
    m, (handler, _) = out, far
    _send(m, range(1))
    wait(lambda: handler.received, what="a first message")
    pid = _worker(m)["pid"]
    assert isinstance(pid, int)
    m.kill()  # SIGKILL: the worker reads EOF and goes

    wait(lambda: _gone(pid), what="the worker to exit")


def test_switching_the_setting_applies_at_reload_and_loses_nothing(
        out: Mailroom, far: tuple[SinkHandler, int]) -> None:
    m, (handler, _) = out, far
    _send(m, range(3))
    wait(lambda: sorted(_tokens(handler)) == [0, 1, 2], what="three sent by a worker")
    pid = _worker(m)["pid"]
    assert isinstance(pid, int)
    m.cli("settings", "set", "delivery.worker_process", "no")
    m.cli("reload")
    assert _worker(m) == {"enabled": False}
    assert "sending: in the daemon's own process" in m.cli("status").stdout
    _send(m, range(3, 6))
    wait(lambda: sorted(_tokens(handler)) == list(range(6)), what="three sent by the daemon")
    # The replaced worker was stopped once it had nothing in flight.
    wait(lambda: _gone(pid), what="the old worker to stop")
    assert "outside mail now sent by the daemon itself" in m.log_text()
    m.cli("settings", "set", "delivery.worker_process", "yes")
    m.cli("reload")
    _send(m, range(6, 9))
    wait(lambda: sorted(_tokens(handler)) == list(range(9)), what="three by a new worker")
    again = _worker(m)
    assert again["enabled"] is True and again["pid"] not in (None, pid)
    wait(lambda: m.mailq() == [], what="an empty queue")
