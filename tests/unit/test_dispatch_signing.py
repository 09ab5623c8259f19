"""Inline signing in the delivery process: one signature per event-loop turn."""

from __future__ import annotations

import asyncio

from appliance.delivery.dispatch import RemoteDispatcher
from appliance.delivery.remote import RemoteConfig, Smarthost
from appliance.queue.spool import Envelope
from tests.support.sink import closed_port


async def test_a_batch_of_jobs_is_signed_one_per_loop_turn() -> None:
    turns = 0
    ticking = True

    def tick() -> None:
        nonlocal turns
        turns += 1
        if ticking:
            asyncio.get_running_loop().call_soon(tick)

    seen: list[int] = []

    def sign(message: bytes) -> bytes:
        seen.append(turns)
        return b"Signed: yes\r\n" + message

    port = closed_port()
    config = RemoteConfig(helo_name="mail.example.test", port=port, connect_timeout=5,
                          smarthost=Smarthost("127.0.0.1", port=port, tls="none"))
    dispatcher = RemoteDispatcher(lambda: config, sign=sign, sign_in_thread=False)
    tick()
    try:
        results = await asyncio.gather(*(
            dispatcher(Envelope(f"Q{n}", "a@example.test", [f"b{n}@far.test"], 0.0),
                       b"From: a@example.test\r\n\r\nhi\r\n", [f"b{n}@far.test"])
            for n in range(5)
        ))
    finally:
        ticking = False
        await dispatcher.close()
    assert len(seen) == 5
    # Other callbacks (here the ticker; in the worker, the connections'
    # replies) ran between every two signatures.
    assert all(later > earlier for earlier, later in zip(seen, seen[1:], strict=False))
    assert all(r.status == "deferred" for group in results for r in group)
