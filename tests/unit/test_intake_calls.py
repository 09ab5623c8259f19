"""Queue work on the intake's thread (Intake.call): after the writes handed over before it."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from appliance.queue.intake import Intake
from appliance.queue.spool import Envelope, Spool, new_queue_id


def _envelope() -> Envelope:
    return Envelope(id=new_queue_id(), sender="a@b.test", recipients=["c@d.test"],
                    arrival=time.time())


async def test_work_runs_on_the_intake_thread_after_earlier_writes(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    intake = Intake(spool)
    assert not intake.call(lambda: None)  # not running: the caller does it itself
    intake.start()
    seen: list[tuple[bool, str]] = []
    done = threading.Event()
    envs = [_envelope() for _ in range(20)]
    written = [intake.enqueue(e, [b"Subject: x\r\n\r\nx\r\n"], lambda: None) for e in envs]

    def work() -> None:
        seen.append((all((tmp_path / "active" / e.id).exists() for e in envs),
                     threading.current_thread().name))
        done.set()

    def broken() -> None:
        raise RuntimeError("a bug in the work")

    assert intake.call(broken)  # logged; the thread goes on
    assert intake.call(work)
    await asyncio.wait_for(asyncio.gather(*written), 10)
    await asyncio.get_running_loop().run_in_executor(None, done.wait, 10)
    assert seen == [(True, "mailroom-intake")]
    last = threading.Event()
    assert intake.call(last.set)
    await intake.stop()  # work handed over before the stop is still done
    assert last.is_set()
    assert not intake.call(lambda: None)
