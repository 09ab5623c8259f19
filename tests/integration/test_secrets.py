"""Secrets (issue 9, item 5): the smarthost password lives only in the 0600 secrets file.

A unique password is planted through every way in (CLI argument, ``-`` on
stdin, the ``settings.set_many`` operation, the first-run wizard's calls), on
a running daemon and without one; then every file of the data directory,
logs included, is searched: only the secrets file may hold it, and no
control API answer may carry it.
"""

from __future__ import annotations

import json
import stat
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.control.client import ControlClient
from appliance.control.setup import apply_answers
from appliance.home import Home
from appliance.secrets import SECRETS_FILE
from appliance.state import State
from tests.support.daemon import Mailroom

WIZARD = {"hostname": "mail.example.test", "domain": "example.test",
          "address": "alice@example.test", "password": "pw-alice-1",
          "networks": ["127.0.0.1/32", "::1/128", "192.168.1.0/24"],
          "smarthost": {"smarthost.host": "smtp.isp.example", "smarthost.port": 587,
                        "smarthost.tls": "starttls", "smarthost.username": "office"}}


def planted() -> str:
    return f"Planted-{uuid.uuid4().hex}"


def files_holding(root: Path, secret: str) -> list[Path]:
    # grep in its own process, as the acceptance contract does: a read of the
    # database from this process would drop SQLite's POSIX locks held here.
    r = subprocess.run(["grep", "-rlF", "--", secret, str(root)], capture_output=True,
                       text=True, check=False)
    assert r.returncode in (0, 1), r.stderr
    return sorted(Path(line) for line in r.stdout.splitlines())


def assert_only_in_secrets_file(m: Mailroom, secret: str) -> None:
    assert files_holding(m.home, secret) == [m.home / SECRETS_FILE]
    assert stat.S_IMODE((m.home / SECRETS_FILE).stat().st_mode) == 0o600


def answers_of(client: ControlClient, secret: str) -> list[Any]:
    """Every answer that could show a setting, each checked to hold no secret."""
    answers = [client.call("settings.show"),
               client.call("settings.get", key="smarthost.password"),
               client.call("status.dashboard", check_dns=False),
               client.call("logs.recent", lines=1000)]
    for answer in answers:
        assert secret not in json.dumps(answer)
    return answers


def plant_every_way(m: Mailroom) -> list[str]:
    """Set the password four ways; each value is checked before the next replaces it."""
    values = []
    client = ControlClient(Home(m.home))
    try:
        # 1. on the command line
        secret = planted()
        r = m.cli("settings", "set", "smarthost.password", secret)
        assert secret not in r.stdout + r.stderr
        assert client.call("settings.get", key="smarthost.password") == "********"
        assert_only_in_secrets_file(m, secret)
        answers_of(client, secret)
        values.append(secret)
        # 2. "-": from standard input
        secret = planted()
        r = m.cli("settings", "set", "smarthost.password", "-", input=f"{secret}\n")
        assert secret not in r.stdout + r.stderr
        assert_only_in_secrets_file(m, secret)
        values.append(secret)
        # 3. settings.set_many, as the GUI's pages call it
        secret = planted()
        result = client.call("settings.set_many", values={"smarthost.host": "smtp.isp.example",
                                                          "smarthost.password": secret})
        assert secret not in json.dumps(result)
        assert_only_in_secrets_file(m, secret)
        answers_of(client, secret)
        values.append(secret)
        # 4. the first-run wizard's calls, run again on this data directory
        secret = planted()
        apply_answers(client, Home(m.home), WIZARD, secret)
        assert_only_in_secrets_file(m, secret)
        answers_of(client, secret)
        values.append(secret)
        assert State(m.home / "mailroom.db").settings()["smarthost.password"] == secret
    finally:
        client.close()
    for old in values[:-1]:
        assert files_holding(m.home, old) == [], "a replaced password must leave no trace"
    return values


def test_secret_only_in_the_secrets_file_without_a_daemon(home: Mailroom) -> None:
    plant_every_way(home)


def test_secret_only_in_the_secrets_file_with_a_running_daemon(mailroom: Mailroom) -> None:
    values = plant_every_way(mailroom)
    log = mailroom.log_text()
    assert "admin: settings.set_many" in log  # the calls were logged, masked
    for value in values:
        assert value not in log
    mailroom.stop()  # a daemon's last words (stop, flush) must not hold it either
    assert_only_in_secrets_file(mailroom, values[-1])


@pytest.fixture
def old_style(home: Mailroom) -> Iterator[tuple[Mailroom, str]]:
    """A database written before the secrets store: the password in the settings table."""
    secret = planted()
    import sqlite3

    db = sqlite3.connect(home.home / "mailroom.db")
    db.execute("INSERT INTO settings(key, value) VALUES('smarthost.password', ?)",
               (json.dumps(secret),))
    db.commit()
    db.close()
    yield home, secret


def test_a_plaintext_password_in_the_database_is_moved_out_at_open(
        old_style: tuple[Mailroom, str]) -> None:
    m, secret = old_style
    assert m.cli("settings", "get", "smarthost.password").stdout.strip() == "********"
    assert_only_in_secrets_file(m, secret)
    state = State(m.home / "mailroom.db")
    try:
        assert state.get_setting("smarthost.password") == secret
    finally:
        state.close()
