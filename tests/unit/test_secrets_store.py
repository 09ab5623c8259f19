"""The secrets store (appliance.secrets) and the state store's secret settings."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from appliance.secrets import SecretsError, SecretStore
from appliance.state import State, StateError
from appliance.state.settings import SETTINGS, mask_values


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_get_set_delete_by_name(tmp_path: Path) -> None:
    store = SecretStore.in_data_dir(tmp_path)
    assert store.get("smarthost.password") is None and store.names() == []
    assert not (tmp_path / "secrets.json").exists()  # nothing written until needed
    store.set("smarthost.password", "s3cret")
    store.set("dkim.default", "-----BEGIN PRIVATE KEY-----\nabc\n")
    assert store.get("smarthost.password") == "s3cret"
    assert store.names() == ["dkim.default", "smarthost.password"]
    assert mode(tmp_path / "secrets.json") == 0o600
    # Another process (here: another instance) sees the change.
    assert SecretStore.in_data_dir(tmp_path).get("dkim.default") == \
        "-----BEGIN PRIVATE KEY-----\nabc\n"
    assert store.delete("smarthost.password")
    assert not store.delete("smarthost.password")
    assert SecretStore.in_data_dir(tmp_path).names() == ["dkim.default"]
    # Every write replaced the file: no temporary file is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secrets.json"]


def test_written_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        SecretStore.in_data_dir(tmp_path).set("a", "b")
    finally:
        os.umask(old)
    assert mode(tmp_path / "secrets.json") == 0o600


def test_a_loose_mode_is_tightened_on_read(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text('{"a": "b"}')
    path.chmod(0o644)
    assert SecretStore(path).get("a") == "b"
    assert mode(path) == 0o600


def test_a_broken_file_is_an_error_not_an_empty_store(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text("{not json")
    path.chmod(0o600)
    with pytest.raises(SecretsError, match="cannot read the secrets file"):
        SecretStore(path).get("a")
    state = State(tmp_path / "mailroom.db")
    try:
        with pytest.raises(StateError, match="secrets file"):
            state.get_setting("smarthost.password")
    finally:
        state.close()


def test_secret_settings_never_reach_the_database(tmp_path: Path) -> None:
    state = State(tmp_path / "mailroom.db")
    try:
        assert state.set_setting("smarthost.password", " pw-1 ") == "pw-1"
        assert state.get_setting("smarthost.password") == "pw-1"
        assert state.settings()["smarthost.password"] == "pw-1"
        rows = state._query("SELECT key FROM settings")
        assert "smarthost.password" not in {r["key"] for r in rows}
        assert state.secrets.get("smarthost.password") == "pw-1"
        state.set_setting("smarthost.password", "")  # clearing it forgets it
        assert state.secrets.names() == []
        assert state.get_setting("smarthost.password") == ""
    finally:
        state.close()


def test_mask_values_for_log_lines() -> None:
    assert {"smarthost.password", "spam.rspamd_password"} <= {
        k for k, s in SETTINGS.items() if s.secret}
    assert mask_values({"smarthost.password": "x", "smarthost.port": 25}) == {
        "smarthost.password": "********", "smarthost.port": 25}
    assert mask_values("not a dict") == "not a dict"
