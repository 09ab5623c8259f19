"""Fixtures for the GUI tests: a real daemon (started by the GUI) and the main window."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from appliance.control.client import ControlClient  # noqa: E402
from appliance.control.setup import initialize  # noqa: E402
from appliance.home import Home  # noqa: E402
from tests.support.daemon import Mailroom, free_offset  # noqa: E402
from tests.support.dnsserver import DnsServer, serving
from tests.support.sink import closed_port  # noqa: E402
from ui.context import AppContext  # noqa: E402
from ui.secrets import SecretStore  # noqa: E402
from ui.window import MainWindow  # noqa: E402


def wait(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    from PySide6.QtCore import QCoreApplication

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        QCoreApplication.processEvents()
        if predicate():
            return
        time.sleep(0.01)
    QCoreApplication.processEvents()
    assert predicate(), "condition not met in time"


# Outside mail goes to far-away.test, whose MX is 127.0.0.1 on a port where nothing
# listens: every attempt is refused at once, so messages stay deferred in the queue.
ZONE = {"far-away.test": {"MX": [(10, "mx.far-away.test")]},
        "mx.far-away.test": {"A": ["127.0.0.1"]}}


def answer_first_steps(wizard: Any, password: str = "a-good-password") -> None:
    """The first-run wizard's names and first-account steps, answered for office.test."""
    wizard.names.hostname.setText("mail.office.test")
    wizard.names.domain.setText("office.test")
    wizard.next()
    wizard.account.password.setText(password)
    wizard.account.again.setText(password)
    wizard.next()


@pytest.fixture(scope="session")
def dns() -> Iterator[DnsServer]:
    with serving(ZONE) as server:
        yield server


def configure(home: Path, nameserver: str) -> None:
    c = ControlClient(Home(home))
    try:
        c.call("settings.set_many", values={"dns.nameservers": nameserver,
                                            "delivery.remote_port": closed_port(),
                                            "delivery.connect_timeout": 2})
    finally:
        c.close()


def seed(home: Path, nameserver: str) -> None:
    """example.test with alice and bob; outside mail is refused at once (stays queued)."""
    initialize(Home(home), "mail.example.test", "example.test")
    c = ControlClient(Home(home))
    try:
        c.call("account.add", address="alice@example.test", password="pw-alice-1")
        c.call("account.add", address="bob@example.test", password="pw-bob-1")
    finally:
        c.close()
    configure(home, nameserver)


@dataclass
class Gui:
    mailroom: Mailroom
    ctx: AppContext
    window: MainWindow

    @property
    def client(self) -> ControlClient:
        return ControlClient(Home(self.mailroom.home))


def make_context(home: Path, offset: int, tmp: Path) -> AppContext:
    ctx = AppContext(Home(home), ["--listen", "127.0.0.1", "--port-offset", str(offset)],
                     secrets=SecretStore(tmp / "secrets.json", use_keyring=False), poll_ms=300)
    ctx.confirm = lambda *a: True
    return ctx


def teardown(ctx: AppContext) -> None:
    ctx.events.stop()
    sup = ctx.supervisor
    proc = sup.proc
    if sup.owns_daemon() and proc is not None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    ctx.shutdown()


@pytest.fixture
def gui(tmp_path: Path, qtbot: object, dns: DnsServer) -> Iterator[Gui]:
    m = Mailroom(tmp_path / "home")
    seed(m.home, dns.nameserver)
    m.offset = free_offset()
    ctx = make_context(m.home, m.offset, tmp_path)
    window = MainWindow(ctx)
    window.ask_unsaved = lambda page: "discard"  # type: ignore[method-assign]
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    window.show()
    ctx.start()
    wait(lambda: ctx.supervisor.state == "down")
    assert ctx.supervisor.start()
    wait(lambda: ctx.supervisor.state == "up", 30)
    try:
        yield Gui(m, ctx, window)
    finally:
        teardown(ctx)
        with contextlib.suppress(Exception):
            m.stop()


@dataclass
class Offline:
    """The main window on a set-up data directory with no daemon: operations run in-process."""

    home: Path
    ctx: AppContext
    window: MainWindow
    asked: list[str]

    @property
    def client(self) -> ControlClient:
        return ControlClient(Home(self.home))

    def answer(self, *answers: str) -> None:
        """The next unsaved-changes questions get these answers, in order."""
        queue = list(answers)

        def ask(page: Any) -> str:
            self.asked.append(page.title)
            # Unplanned questions (the window closing at the end) throw the edits away;
            # the tests check ``asked`` for the ones they expect.
            return queue.pop(0) if queue else "discard"

        self.window.ask_unsaved = ask  # type: ignore[method-assign]

    def open(self, key: str):  # type: ignore[no-untyped-def]
        assert self.window.show_page(key)
        page = self.window.page(key)
        wait(lambda: page.loaded and page.idle)
        return page


@pytest.fixture(scope="session")
def offline_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Set up once (keys and a certificate take a while); each test gets a copy."""
    home = tmp_path_factory.mktemp("offline") / "home"
    c = ControlClient(Home(home))
    try:
        c.call("setup.init", hostname="mail.example.test", domain="example.test")
        for name in ("alice", "bob"):
            c.call("account.add", address=f"{name}@example.test", password=f"pw-{name}-123")
        c.call("alias.add", address="staff@example.test", targets=["alice@example.test"])
        c.call("alias.add", address="team@example.test", targets=["bob@example.test"])
    finally:
        c.close()
    return home


@pytest.fixture
def offline(tmp_path: Path, qtbot: Any, offline_home: Path) -> Iterator[Offline]:
    import shutil

    home = tmp_path / "home"
    shutil.copytree(offline_home, home, symlinks=True)
    ctx = AppContext(Home(home), [], poll_ms=60000,
                     secrets=SecretStore(tmp_path / "secrets.json", use_keyring=False))
    ctx.confirm = lambda *a: True
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    found = Offline(home, ctx, window, [])
    found.answer()
    try:
        yield found
    finally:
        ctx.api.wait_idle(10000)
        ctx.shutdown()
