"""appliance.allocator: glibc tuning and the trim after a burst of ended sessions."""

from __future__ import annotations

import asyncio
import ctypes
import threading

from appliance.allocator import Releaser, release_free_memory, tune_for_daemon


def glibc() -> bool:
    return hasattr(ctypes.CDLL(None), "malloc_trim")


def test_tuning_and_release_work_on_glibc() -> None:
    assert tune_for_daemon() is glibc()
    assert release_free_memory() is glibc()


async def test_a_burst_of_ended_sessions_costs_one_release() -> None:
    released: list[str] = []
    done = threading.Event()

    def release() -> None:
        released.append(threading.current_thread().name)
        done.set()

    r = Releaser(delay=0.01, release=release)
    for _ in range(500):
        r.soon()
    await asyncio.to_thread(done.wait, 10)
    assert released and released[0] != threading.current_thread().name  # off the loop
    done.clear()
    r.soon()  # a later burst gets its own
    await asyncio.to_thread(done.wait, 10)
    assert len(released) == 2


def test_outside_an_event_loop_nothing_happens() -> None:
    calls: list[int] = []
    Releaser(delay=0, release=lambda: calls.append(1)).soon()
    assert calls == []
