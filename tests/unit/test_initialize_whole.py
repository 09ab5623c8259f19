"""``initialize`` puts mailroom.db in place last: the system service starts when it appears."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import appliance.service
from appliance.control.setup import initialize
from appliance.home import Home
from appliance.state import State


def test_the_database_appears_whole_after_the_secret_and_certificate(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = Home(tmp_path / "data")
    seen: list[tuple[bool, bool]] = []
    real = appliance.service.ensure_tls

    def watching(h: Home, state: State) -> Any:
        seen.append((h.db.exists(), h.control_secret.exists()))
        return real(h, state)

    monkeypatch.setattr(appliance.service, "ensure_tls", watching)
    initialize(home, "mail.example.test", "example.test")
    assert seen == [(False, True)]  # still being built while the rest is made
    assert home.initialized() and (home.tls / "cert.pem").exists()
    assert sorted(p.name for p in home.root.glob("mailroom.db*")) == ["mailroom.db"]
    state = State(home.db)
    try:
        assert state.get_setting("hostname") == "mail.example.test"
        assert state.domains() == ["example.test"]
    finally:
        state.close()


def test_a_failed_init_leaves_no_database(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    home = Home(tmp_path / "data")

    def broken(h: Home, state: State) -> Any:
        raise OSError("disk on fire")

    monkeypatch.setattr(appliance.service, "ensure_tls", broken)
    with pytest.raises(OSError, match="disk on fire"):
        initialize(home, "mail.example.test", "example.test")
    assert not list(home.root.glob("mailroom.db*"))
    assert not home.initialized()
