"""The dashboard with the system service: Start/Stop/Restart are systemctl, no daemon of its own.

A fake runner stands in for systemctl (nothing here reaches this machine's
systemd): it starts and stops a real daemon, as systemd would.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from appliance.control.client import DaemonUnavailable
from appliance.home import Home
from appliance.home.service import Deployment, Systemctl
from tests.support.daemon import Mailroom
from tests.support.dnsserver import DnsServer
from tests.ui.conftest import seed, teardown, wait
from ui.context import AppContext
from ui.pages.dashboard import DashboardPage
from ui.secrets import SecretStore
from ui.window import MainWindow


class FakeSystemd:
    def __init__(self, daemon: Mailroom) -> None:
        self.daemon = daemon
        self.calls: list[list[str]] = []
        self.refuse: dict[str, str] = {}

    def __call__(self, argv: list[str]) -> tuple[int, str]:
        self.calls.append(argv)
        verb = argv[1]
        if verb in self.refuse:
            return 1, self.refuse[verb]
        if verb == "is-active":
            return (0, "active") if self.daemon.proc else (3, "inactive")
        if verb in ("stop", "restart"):
            self.daemon.stop()
        if verb in ("start", "restart"):
            self.daemon.start()
        return 0, ""

    def verbs(self) -> list[str]:
        return [c[1] for c in self.calls if c[1] != "is-active"]


def test_dashboard_starts_stops_restarts_the_service_through_systemctl(
        tmp_path: Path, qtbot: object, dns: DnsServer) -> None:
    m = Mailroom(tmp_path / "home")
    seed(m.home, dns.nameserver)
    m.start()  # the service's daemon, already running
    systemd = FakeSystemd(m)
    ctx = AppContext(Home(m.home), [], secrets=SecretStore(tmp_path / "s.json", use_keyring=False),
                     poll_ms=300, deployment=Deployment(True, m.home, systemd=True),
                     systemctl=Systemctl(systemd))
    ctx.confirm = lambda *a: True
    window = MainWindow(ctx)
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    window.show()
    ctx.start()
    sup = ctx.supervisor
    dashboard: DashboardPage = window.page("dashboard")  # type: ignore[assignment]
    try:
        wait(lambda: sup.state == "up", 15)
        assert [b.text() for b in (dashboard.start_button, dashboard.stop_button,
                                   dashboard.restart_button)] == \
            ["S&tart service", "St&op service", "Rest&art service"]
        assert not dashboard.start_button.isEnabled() and dashboard.stop_button.isEnabled()

        dashboard.stop_button.click()
        wait(lambda: sup.state == "down", 20)
        assert systemd.verbs() == ["stop"]
        assert systemd.calls[0] == ["systemctl", "stop", "mailroom.service"]
        wait(lambda: "(systemd: inactive)" in dashboard.state_label.text(), 10)
        assert dashboard.start_button.isEnabled()
        # No daemon: the GUI never opens the service's database itself.
        with pytest.raises(DaemonUnavailable):
            ctx.api.client().call("account.list")

        dashboard.start_button.click()
        wait(lambda: sup.state == "up", 30)
        assert systemd.verbs() == ["stop", "start"]
        first = m.proc.pid  # type: ignore[union-attr]

        dashboard.restart_button.click()
        wait(lambda: sup.state == "up" and (sup.status or {}).get("pid") not in (None, first), 30)
        assert systemd.verbs() == ["stop", "start", "restart"]

        # polkit said no: a clear message, and the service is as it was.
        systemd.refuse["stop"] = "Failed to stop mailroom.service: Access denied"
        messages: list[str] = []
        sup.message.connect(messages.append)
        dashboard.stop_button.click()
        wait(lambda: "not allowed to stop mailroom.service" in sup.last_error, 15)
        wait(lambda: sup.state == "up", 15)
        assert any("Access denied" in text for text in messages)

        # A crash is systemd's to restart: the GUI never starts a daemon of its own.
        m.kill()
        wait(lambda: sup.state == "down", 15)
        assert sup.proc is None and not sup.restart_timer.isActive()
        assert systemd.verbs() == ["stop", "start", "restart", "stop"]
    finally:
        teardown(ctx)
        with contextlib.suppress(Exception):
            m.stop()
