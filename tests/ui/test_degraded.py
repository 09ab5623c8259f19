"""A listener that cannot start: the dashboard and the tray say "degraded", not "Running"."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from PySide6.QtCore import Qt

from tests.support.daemon import Mailroom, free_offset
from tests.support.dnsserver import DnsServer
from tests.ui.conftest import make_context, seed, teardown, wait
from ui.pages.dashboard import DashboardPage, daemon_text, sending_text
from ui.tray_state import TrayState
from ui.window import MainWindow

STATUS = {"pid": 7, "hostname": "mail.example.test", "data_dir": "/srv/m", "paused": False,
          "queue": {"active": 0, "deferred": 0, "hold": 0},
          "services": [{"name": "smtp", "state": "failed",
                        "error": "SMTP on port 25: another program uses this port"}]}


def test_daemon_text_names_what_is_wrong() -> None:
    ok = {**STATUS, "health": "running", "problems": [], "services": []}
    assert "Running" in daemon_text("up", ok)
    bad = {**STATUS, "health": "degraded",
           "problems": ["SMTP on port 25: another program uses this port"]}
    text = daemon_text("up", bad)
    assert "Degraded" in text and "Running" not in text
    assert "SMTP on port 25: another program uses this port" in text
    assert "Stopped" in daemon_text("down", None)


def test_sending_text_says_who_sends_outside_mail() -> None:
    assert sending_text(None) == ""
    assert sending_text({"enabled": False}) == "Sending: in the daemon's own process"
    assert sending_text({"enabled": True, "pid": None, "in_flight": 0, "restarts": 0}) == (
        "Sending: delivery process idle, starts with the next outside message")
    assert sending_text({"enabled": True, "pid": 99, "in_flight": 4, "restarts": 1}) == (
        "Sending: delivery process 99, 4 in flight (restarted 1 times)")


def test_tray_state_degraded_by_a_full_disk() -> None:
    t = TrayState()
    t.update_status({**STATUS, "services": [], "storage": {"low": False}})
    assert t.health == "up"
    notes = t.on_event({"type": "storage", "low": True})
    assert t.health == "degraded" and [n.title for n in notes] == ["Disk space low"]
    assert "disk space low" in t.summary()
    t.update_status({**STATUS, "services": [], "storage": {"low": False}})
    assert t.health == "up"


def test_dashboard_and_tray_show_a_failed_listener(tmp_path: Path, qtbot: object,
                                                  dns: DnsServer) -> None:
    m = Mailroom(tmp_path / "home")
    seed(m.home, dns.nameserver)
    m.offset = free_offset()
    taken = socket.create_server(("127.0.0.1", m.port("imap")))
    ctx = make_context(m.home, m.offset, tmp_path)
    window = MainWindow(ctx)
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    window.show()
    try:
        ctx.start()
        wait(lambda: ctx.supervisor.state == "down")
        assert ctx.supervisor.start()
        wait(lambda: ctx.supervisor.state == "up", 30)
        dashboard: DashboardPage = window.page("dashboard")  # type: ignore[assignment]
        window.show_page("dashboard")
        said = f"IMAP on port {m.port('imap')}: another program uses this port"
        wait(lambda: "Degraded" in dashboard.state_label.text()
             and said in dashboard.state_label.text())
        assert "Running" not in dashboard.state_label.text()
        wait(lambda: "Degraded" in window.daemon_label.text())
        assert said in window.daemon_label.toolTip()
        wait(lambda: ctx.tray_state.health == "degraded")
        assert said in ctx.tray_state.tooltip()
        assert "[Errno" not in dashboard.state_label.text()
        wait(lambda: dashboard.sending.text().startswith("Sending: delivery process idle"))
        def rows() -> dict[str, int]:
            return {dashboard.services.item(i, 0).data(Qt.ItemDataRole.UserRole): i
                    for i in range(dashboard.services.rowCount())}

        # The running daemon's table (not the configured one of a load before it was up).
        wait(lambda: dashboard.loaded and "imap" in rows()
             and dashboard.services.item(rows()["imap"], 3).text() == "● failed")
        names = rows()
        imap, smtp = names["imap"], names["smtp"]
        assert dashboard.services.item(imap, 0).text() == f"IMAP (port {m.port('imap')})"
        assert dashboard.services.item(names["imaps"], 0).text() == \
            f"IMAP over TLS (port {m.port('imaps')})"
        assert dashboard.services.item(names["pop3"], 2).text() == "STARTTLS"
        assert dashboard.services.item(imap, 3).text() == "● failed"
        assert dashboard.services.item(imap, 3).toolTip() == said
        assert dashboard.services.item(smtp, 3).text() == "● running"
        shot = os.environ.get("MAILROOM_SCREENSHOT")
        if shot:
            window.resize(1100, 750)
            wait(lambda: True)
            window.grab().save(shot)
    finally:
        teardown(ctx)
        taken.close()
