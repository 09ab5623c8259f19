"""The Ports page lists the ManageSieve listener with its port and switch."""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import Offline


def test_ports_page_lists_managesieve(offline: Offline, tmp_path: Path) -> None:
    page = offline.open("ports")
    assert page.ports["managesieve"].value() == 4190
    assert page.enabled["managesieve"].isChecked()
    page.resize(1100, 900)
    page.grab().save(str(tmp_path / "ports-page.png"))
