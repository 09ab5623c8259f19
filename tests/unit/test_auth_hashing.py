"""A burst of logins hashes at most ``max_hashing`` passwords at once (each argon2
verification holds 19 MiB and a core)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from appliance.auth import Authenticator
from appliance.auth.bans import BanList, BanPolicy, LoginGuard
from appliance.state import State


class CountingPool(ThreadPoolExecutor):
    """A real pool that remembers how many of its jobs ran at once."""

    def __init__(self) -> None:
        super().__init__(max_workers=16)
        self.running = 0
        self.most = 0
        self._count = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        def counted():  # type: ignore[no-untyped-def]
            with self._count:
                self.running += 1
                self.most = max(self.most, self.running)
            try:
                return fn(*args, **kwargs)
            finally:
                with self._count:
                    self.running -= 1
        return super().submit(counted)


def test_a_burst_of_logins_hashes_a_few_at_a_time(tmp_path: Path) -> None:
    state = State(tmp_path / "db")
    state.add_domain("example.test")
    state.add_account("alice@example.test", "pw-alice-1")
    guard = LoginGuard(BanList(None, BanPolicy(max_failures=100)))

    async def run() -> list[str | None]:
        auth = Authenticator(state, pool, guard, failure_delay=0)
        auth.max_hashing = 2
        logins = [auth("alice@example.test", "pw-alice-1", f"10.0.0.{i}") for i in range(8)]
        logins.append(auth("nobody@example.test", "x", "10.0.0.99"))  # the dummy hash too
        return await asyncio.gather(*logins)

    with CountingPool() as pool:
        results = asyncio.run(run())
    assert results == ["alice@example.test"] * 8 + [None]
    assert 1 <= pool.most <= 2  # the cap; two at once is usual, not guaranteed
    state.close()
