"""The delivery process's DKIM key cache (appliance.delivery.worker._Keys)."""

from __future__ import annotations

import asyncio
from typing import Any

from appliance.delivery.worker import _Keys


class _FakeWorker:
    """Answers every "keys?" with the keys it holds for the domain, on the next loop turn."""

    def __init__(self, keys: dict[str, list[str]]) -> None:
        self.loop = asyncio.get_running_loop()
        self.keys = keys
        self.asked: list[str] = []
        self.cache: _Keys | None = None

    def send(self, frame: tuple[Any, ...]) -> None:
        kind, request, domain = frame
        assert kind == "keys?" and self.cache is not None
        self.asked.append(domain)
        self.loop.call_soon(self.cache.answer, request, list(self.keys.get(domain, [])))


async def test_forget_keeps_keys_for_messages_already_loaded() -> None:
    worker = _FakeWorker({"example.test": ["k1"]})
    keys = worker.cache = _Keys(worker)  # type: ignore[arg-type]
    await keys.load("example.test")
    assert keys("example.test") == ["k1"]
    # The daemon says "forget-keys" (any control operation) while this message waits
    # for its turn to be signed: it must still be signed with what was loaded.
    keys.forget()
    assert keys("example.test") == ["k1"]
    # The next message asks again and gets the new answer.
    worker.keys["example.test"] = ["k2"]
    await keys.load("example.test")
    assert keys("example.test") == ["k2"]
    assert worker.asked == ["example.test", "example.test"]


async def test_one_question_per_domain_and_none_while_fresh() -> None:
    worker = _FakeWorker({"example.test": ["k1"]})
    keys = worker.cache = _Keys(worker)  # type: ignore[arg-type]
    await asyncio.gather(*(keys.load("example.test") for _ in range(5)))
    await keys.load("example.test")
    await keys.load(None)
    assert worker.asked == ["example.test"]
    assert keys("other.test") == []
