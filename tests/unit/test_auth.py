"""Password hashing, login checks and the brute-force lock-out."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from appliance.auth import Authenticator, hash_password, verify_password
from appliance.auth.bans import BanList, BanPolicy, LoginGuard
from appliance.state import State


def test_hash_is_argon2_and_verifies() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse")
    assert not verify_password(hashed, "wrong")
    assert not verify_password("not a hash", "anything")


def test_authenticator_accepts_short_names_and_refuses_banned(tmp_path: Path) -> None:
    state = State(tmp_path / "db")
    state.add_domain("example.test")
    state.add_account("alice@example.test", "pw-alice-1")
    state.add_account("bob@example.test", "pw-bob-1")
    state.set_enabled("bob@example.test", False)
    guard = LoginGuard(BanList(None, BanPolicy(max_failures=3, window=600)))

    async def run() -> None:
        with ThreadPoolExecutor(2) as pool:
            auth = Authenticator(state, pool, guard, failure_delay=0)
            assert await auth("alice@example.test", "pw-alice-1", "10.0.0.1") == \
                "alice@example.test"
            assert await auth("ALICE", "pw-alice-1", "10.0.0.1") == "alice@example.test"
            assert await auth("bob@example.test", "pw-bob-1", "10.0.0.1") is None  # disabled
            assert await auth("nobody@example.test", "x", "10.0.0.1") is None
            assert await auth.for_service("imap")("alice@example.test", "wrong",
                                                  "10.0.0.1") is None
            # Three failures from 10.0.0.1: banned, even the right password is refused now.
            assert guard.refused("10.0.0.1")
            assert await auth("alice@example.test", "pw-alice-1", "10.0.0.1") is None
            assert await auth("alice@example.test", "pw-alice-1", "10.0.0.2") == \
                "alice@example.test"
            services = [f["service"] for f in guard.recent_failures()]
            assert services == ["imap", "login", "login"]  # newest first

    asyncio.run(run())
    state.close()


def test_failed_login_is_answered_later_the_more_an_account_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = State(tmp_path / "db")
    state.add_domain("example.test")
    state.add_account("alice@example.test", "pw-alice-1")
    guard = LoginGuard(BanList(None, BanPolicy(max_failures=3)))
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(delay: float) -> None:
        slept.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)

    async def run() -> None:
        with ThreadPoolExecutor(2) as pool:
            auth = Authenticator(state, pool, guard, failure_delay=0.5)
            for i in range(7):  # from a new address each time: none is banned, the account counts
                assert await auth("alice", "wrong", f"10.0.0.{i}") is None
            assert await auth("alice", "pw-alice-1", "10.0.0.9") == "alice@example.test"
            assert await auth("alice", "wrong", "10.0.0.9") is None

    asyncio.run(run())
    state.close()
    # 0.5 s each up to the ban threshold (3), then 0.5 s more per failure up to five
    # times as long; a success starts over.
    assert slept == [0.5, 0.5, 0.5, 1.0, 1.5, 2.0, 2.5, 0.5]
