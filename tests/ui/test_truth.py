"""The truth on screen: a stopped daemon's dashboard still lists the configured listeners,
and a port change the daemon could not apply is shown as failed, with the reason."""

from __future__ import annotations

import socket

from PySide6.QtCore import Qt

from tests.ui.conftest import Gui, Offline, wait
from ui.pages.dashboard import DashboardPage
from ui.pages.ports import PortsPage


def test_stopped_dashboard_lists_the_configured_listeners(offline: Offline) -> None:
    offline.client.call("settings.set", key="pop3.enabled", value=False)
    offline.ctx.start()
    wait(lambda: offline.ctx.supervisor.state == "down")
    dash: DashboardPage = offline.window.page("dashboard")  # type: ignore[assignment]
    wait(lambda: dash.idle and dash.services.rowCount() > 0)
    assert "Stopped" in dash.state_label.text()
    assert "Stopped" in offline.window.daemon_label.text()
    rows = {dash.services.item(i, 0).data(Qt.ItemDataRole.UserRole): i
            for i in range(dash.services.rowCount())}
    assert "pop3" not in rows  # switched off: not listed
    smtp, imaps = rows["smtp"], rows["imaps"]
    assert dash.services.item(smtp, 0).text() == "SMTP (port 25)"
    assert dash.services.item(imaps, 0).text() == "IMAP over TLS (port 993)"
    assert dash.services.item(imaps, 2).text() == "TLS"
    assert all(dash.services.item(i, 3).text() == "● stopped"
               for i in range(dash.services.rowCount()))
    assert not dash.restart_button.isEnabled() and dash.start_button.isEnabled()
    assert not offline.window.restart_action.isEnabled()


def test_a_port_change_that_failed_is_shown_as_failed(gui: Gui) -> None:
    # The daemon listens at setting + offset: take such a port first.
    offset = gui.mailroom.offset
    for value in range(2000, 3000):
        try:
            taken = socket.create_server(("127.0.0.1", value + offset))
            break
        except OSError:
            continue
    port = value + offset
    try:
        assert gui.window.show_page("ports")
        ports: PortsPage = gui.window.page("ports")  # type: ignore[assignment]
        wait(lambda: ports.loaded and ports.idle)
        ports.ports["imap"].setValue(value)
        ports.save()
        said = f"IMAP on port {port}: another program uses this port"
        wait(lambda: ports.idle and said in ports.banner.text())
        assert ports.banner.text().startswith("Saved, but not applied")
        assert "Saved and applied" not in ports.banner.text()
        assert said in ports.now["imap"].text() and "running" not in ports.now["imap"].text()
        wait(lambda: "Degraded" in gui.window.daemon_label.text())
    finally:
        taken.close()
