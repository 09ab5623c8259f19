"""The wizard on an empty data directory, and supervision of a daemon that dies."""

from __future__ import annotations

import smtplib
from pathlib import Path

from PySide6.QtWidgets import QApplication

from tests.support.daemon import Mailroom, free_offset
from tests.support.dnsserver import DnsServer
from tests.ui.conftest import configure, make_context, seed, teardown, wait
from ui.pages.dashboard import DashboardPage
from ui.pages.logs import LogsPage
from ui.window import MainWindow
from ui.wizard import SMARTHOST_SECRET, SetupWizard


def test_wizard_end_to_end_then_mail_arrives_and_shows(tmp_path: Path, qtbot: object,
                                                       dns: DnsServer) -> None:
    home = tmp_path / "fresh"
    m = Mailroom(home, offset=free_offset())
    ctx = make_context(home, m.offset, tmp_path)
    wizard = SetupWizard(ctx)
    qtbot.addWidget(wizard)  # type: ignore[attr-defined]
    wizard.show()
    try:
        # A bad host name: the error shows beside the field; nothing is created.
        wizard.names.hostname.setText("not a host name")
        wizard.names.domain.setText("office.test")
        wizard.next()
        assert wizard.currentPage() is wizard.names
        assert "not a valid host name" in wizard.names.errors["hostname"].text()
        assert not home.exists()
        wizard.names.hostname.setText("mail.office.test")
        wizard.next()
        assert wizard.currentPage() is wizard.account
        assert wizard.account.address.text() == "admin@office.test"
        wizard.account.password.setText("a-good-password")
        wizard.account.again.setText("a-good-password")
        wizard.next()
        assert wizard.currentPage() is wizard.relay
        wizard.relay.extra.setText("10.0.0.0/33")
        wizard.next()
        assert "not a network" in wizard.relay.errors["network"].text()
        wizard.relay.extra.setText("10.20.0.0/16")
        wizard.next()
        assert wizard.currentPage() is wizard.smarthost
        wizard.smarthost.host.setText("smtp.provider.test")
        wizard.smarthost.username.setText("office")
        wizard.smarthost.password.setText("isp-secret")
        wizard.smarthost.password.textEdited.emit("isp-secret")
        assert ctx.secrets.get(SMARTHOST_SECRET) == "isp-secret"  # held in the 0600 file
        wizard.next()
        wait(lambda: wizard.finish.done or bool(wizard.finish.error.text()), 40)
        assert wizard.finish.done, wizard.finish.error.text()
        records = wizard.finish.records.toPlainText()
        assert "office.test." in records and "MX   10 mail.office.test." in records
        # The ISP relay sends our mail: SPF must allow it too.
        assert '"v=spf1 mx a:smtp.provider.test -all"' in records
        assert "v=DKIM1; k=ed25519;" in records
        assert ctx.supervisor.state == "up" and ctx.supervisor.owns_daemon()
        assert ctx.secrets.get(SMARTHOST_SECRET) is None
        client = ctx.api.client()
        assert client.call("settings.get", key="smarthost.host") == "smtp.provider.test"
        assert client.call("settings.get", key="smarthost.password") == "********"
        assert "10.20.0.0/16" in client.call("relay.list")
        wizard.accept()
        configure(home, dns.nameserver)  # outside DNS for the dashboard's MX check

        window = MainWindow(ctx)
        window.ask_unsaved = lambda page: "discard"  # type: ignore[method-assign]
        qtbot.addWidget(window)  # type: ignore[attr-defined]
        window.show()
        ctx.start()
        with smtplib.SMTP("127.0.0.1", m.port("smtp"), timeout=10) as s:
            s.sendmail("friend@outside.test", ["admin@office.test"],
                       "Subject: welcome\r\n\r\nIt works.\r\n")
        m.wait_for_mail("admin@office.test")
        dashboard: DashboardPage = window.page("dashboard")  # type: ignore[assignment]

        def received() -> int:
            text = dashboard.counter_labels["received"].text()
            return int(text) if text.isdigit() else 0

        def reload_dashboard() -> bool:
            if dashboard.idle:
                dashboard.load()
            return received() >= 1

        wait(reload_dashboard, 15)
        assert any("no MX record published for office.test" in dashboard.warnings.item(i).text()
                   for i in range(dashboard.warnings.count()))
        assert window.show_page("logs")
        logs: LogsPage = window.page("logs")  # type: ignore[assignment]
        wait(lambda: any("to=<admin@office.test>" in line and "status=sent" in line
                         for line in logs.model.lines()), 15)
    finally:
        teardown(ctx)


def test_daemon_killed_turns_tray_red_and_restart_brings_it_back(
        tmp_path: Path, qtbot: object, dns: DnsServer) -> None:
    m = Mailroom(tmp_path / "home")
    seed(m.home, dns.nameserver)
    m.start()  # a daemon the GUI did not start
    ctx = make_context(m.home, m.offset, tmp_path)
    window = MainWindow(ctx)
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    window.show()
    ctx.start()
    dashboard: DashboardPage = window.page("dashboard")  # type: ignore[assignment]
    try:
        wait(lambda: ctx.tray_state.health == "up")
        assert not ctx.supervisor.owns_daemon()
        assert "Running" in dashboard.state_label.text()

        m.kill()  # SIGKILL, from outside the GUI
        wait(lambda: ctx.tray_state.health == "down", 10)
        assert ctx.tray_state.colour == "#d0312d"
        assert any(n.title == "Mailroom stopped" for n in ctx.notifications)
        assert "stopped" in ctx.tray_state.tooltip()
        wait(lambda: "Stopped" in dashboard.state_label.text())
        wait(lambda: dashboard.idle and dashboard.warnings.count() > 0
             and "not running" in dashboard.warnings.item(0).text(), 10)
        assert dashboard.start_button.isEnabled()
        assert not dashboard.restart_button.isEnabled()  # nothing to restart while stopped
        assert not window.restart_action.isEnabled()

        dashboard.start_button.click()
        wait(lambda: ctx.supervisor.state == "up", 30)
        wait(lambda: ctx.tray_state.health == "up", 10)
        assert ctx.supervisor.owns_daemon()
        with smtplib.SMTP("127.0.0.1", m.port("smtp"), timeout=10) as s:
            assert s.ehlo()[0] == 250
        wait(lambda: "Running" in dashboard.state_label.text())
    finally:
        teardown(ctx)
        QApplication.processEvents()
