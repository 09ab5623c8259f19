"""DKIM signing off the event loop: one thread, each result back to its delivery."""

from __future__ import annotations

import asyncio
import threading

import pytest

from appliance.delivery.signing import SigningThread
from tests.support.waiting import wait


def _signers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "mailroom-dkim"]


async def test_each_message_gets_its_own_result_and_errors_reach_their_caller() -> None:
    seen: set[str] = set()

    def sign(message: bytes) -> bytes:
        seen.add(threading.current_thread().name)
        if message == b"bad":
            raise ValueError("broken key")
        return b"DKIM-Signature: x\r\n" + message

    before = len(_signers())
    signer = SigningThread(sign)
    futures = [signer.submit(b"m%d" % i) for i in range(40)]
    bad = signer.submit(b"bad")
    assert await asyncio.gather(*futures) == [b"DKIM-Signature: x\r\nm%d" % i for i in range(40)]
    with pytest.raises(ValueError, match="broken key"):
        await bad
    assert seen == {"mailroom-dkim"} and len(_signers()) == before + 1  # one thread for all
    signer.close()
    wait(lambda: len(_signers()) == before, what="the signing thread to end")
