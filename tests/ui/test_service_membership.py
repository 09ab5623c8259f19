"""The desktop program on a box with the service, run by someone outside the mailroom group."""

from __future__ import annotations

from typing import Any

import pytest

import ui.app
from appliance.home.service import Machine

OUTSIDER = Machine(unit_installed=True, systemd_running=True, euid=1000,
                   groups=frozenset({1000}), group="mailroom", group_gid=998, listed=False)
MESSAGE = "you are not in the mailroom group: sudo adduser $USER mailroom, then log in again"


def test_a_non_member_is_told_to_join_the_group(monkeypatch: pytest.MonkeyPatch,
                                                qtbot: object) -> None:
    shown: list[tuple[Any, ...]] = []
    monkeypatch.setattr(ui.app, "probe", lambda: OUTSIDER)
    monkeypatch.delenv("MAILROOM_HOME", raising=False)
    monkeypatch.setattr(ui.app.QMessageBox, "warning", lambda *a: shown.append(a))
    assert ui.app.main([]) == 1
    assert len(shown) == 1 and shown[0][2] == (
        f"The Mailroom service runs on this computer, but {MESSAGE}.")


def test_the_tray_autostart_of_a_non_member_leaves_quietly(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        qtbot: object) -> None:
    monkeypatch.setattr(ui.app, "probe", lambda: OUTSIDER)
    monkeypatch.delenv("MAILROOM_HOME", raising=False)
    monkeypatch.setattr(ui.app.QMessageBox, "warning",
                        lambda *a: pytest.fail("a dialog at every login"))
    assert ui.app.main(["--minimized", "--no-start"]) == 1
    assert capsys.readouterr().err == f"mailroom: {MESSAGE}\n"
