"""Password hashing, login checks and the brute-force lock-out."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from appliance.auth import Authenticator, LockoutTracker, hash_password, verify_password
from appliance.state import State


def test_hash_is_argon2_and_verifies() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse")
    assert not verify_password(hashed, "wrong")
    assert not verify_password("not a hash", "anything")


def test_lockout_counts_per_client_and_expires() -> None:
    lock = LockoutTracker(max_failures=3, lockout_seconds=60)
    for t in range(3):
        assert not lock.locked("192.0.2.1", now=100.0 + t)
        lock.failed("192.0.2.1", now=100.0 + t)
    assert lock.locked("192.0.2.1", now=103.0)
    assert not lock.locked("192.0.2.2", now=103.0)  # others are not punished
    assert not lock.locked("192.0.2.1", now=170.0)  # failures age out
    lock.failed("192.0.2.3", now=1.0)
    lock.succeeded("192.0.2.3")
    assert not lock.locked("192.0.2.3", now=1.0)


def test_authenticator_accepts_short_names_and_locks_out(tmp_path: Path) -> None:
    state = State(tmp_path / "db")
    state.add_domain("example.test")
    state.add_account("alice@example.test", "pw-alice-1")
    state.add_account("bob@example.test", "pw-bob-1")
    state.set_enabled("bob@example.test", False)
    lock = LockoutTracker(max_failures=3, lockout_seconds=600)

    async def run() -> None:
        with ThreadPoolExecutor(2) as pool:
            auth = Authenticator(state, pool, lock)
            assert await auth("alice@example.test", "pw-alice-1", "10.0.0.1") == \
                "alice@example.test"
            assert await auth("ALICE", "pw-alice-1", "10.0.0.1") == "alice@example.test"
            assert await auth("bob@example.test", "pw-bob-1", "10.0.0.1") is None  # disabled
            assert await auth("nobody@example.test", "x", "10.0.0.1") is None
            assert await auth("alice@example.test", "wrong", "10.0.0.1") is None
            # Three failures from 10.0.0.1: even the right password is refused now.
            assert await auth("alice@example.test", "pw-alice-1", "10.0.0.1") is None
            assert await auth("alice@example.test", "pw-alice-1", "10.0.0.2") == \
                "alice@example.test"

    asyncio.run(run())
    state.close()
