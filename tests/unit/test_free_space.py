"""The free-space reserve (queue.minfree): low below it, 0 turns it off, changes logged once."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from appliance.service.storage import FreeSpace


def test_low_below_the_reserve_and_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    free = {"blocks": 100}
    monkeypatch.setattr(os, "statvfs", lambda path: SimpleNamespace(
        f_bavail=free["blocks"], f_frsize=1024))
    reserve = {"bytes": 50 * 1024}
    changes: list[bool] = []
    watcher = FreeSpace(tmp_path, lambda: reserve["bytes"], on_change=changes.append)
    assert not watcher.check() and not watcher.is_low()
    free["blocks"] = 10
    assert watcher.check() and watcher.is_low()
    assert watcher.check()  # still low: no second change
    assert watcher.to_dict() == {"free": 10 * 1024, "minfree": 50 * 1024, "low": True}
    reserve["bytes"] = 0  # 0 turns the check off
    assert not watcher.check()
    assert changes == [True, False]
