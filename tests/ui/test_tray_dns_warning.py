"""The tray says once when a DNS record that passed starts failing, and keeps it in the tooltip."""

from __future__ import annotations

from ui.tray_state import TrayState

STATUS = {"services": [{"name": "smtp", "state": "running"}], "queue": {"active": 0},
          "paused": False, "warnings": []}
WARNING = ("DNS: the DMARC record _dmarc.example.test. passed an earlier check and is now "
           "missing: Not published.")


def test_dns_warning_notifies_once_and_shows_in_the_tooltip() -> None:
    tray = TrayState()
    assert tray.update_status(STATUS) == []
    notes = tray.on_event({"type": "dns", "warnings": [WARNING]})
    assert [(n.title, n.level) for n in notes] == [("DNS records need attention", "warning")]
    assert tray.update_status({**STATUS, "warnings": [WARNING]}) == []  # said once
    assert WARNING in tray.tooltip()
    assert tray.health == "up"  # mail flows: a warning, not a degraded server
    tray.update_status(STATUS)
    assert WARNING not in tray.tooltip()
