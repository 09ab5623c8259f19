"""Backups and the spool's recycled queue files: free/ is not copied, nor a recycled file."""

from __future__ import annotations

import os
import time
from pathlib import Path

from appliance.backup.collect import _read_queue_file, plan
from appliance.queue.spool import Envelope, Spool


def _env() -> Envelope:
    return Envelope(id="", sender="a@example.org", recipients=["b@example.net"],
                    arrival=time.time())


def test_the_free_pool_is_not_backed_up(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "queue")
    kept = spool.enqueue(_env(), b"kept\r\n")
    gone = spool.enqueue(_env(), b"gone\r\n")
    spool.remove(gone.id)
    (tmp_path / "queue" / "free" / "CRASHED").write_bytes(b"a whole message left by a crash")
    _, files, _ = plan(tmp_path)
    assert [f.as_posix() for f in files] == [f"queue/active/{kept.id}"]


def test_a_queue_file_recycled_under_the_reader_is_not_taken_for_it(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    old = spool.enqueue(_env(), b"old message\r\n")
    path = tmp_path / "active" / old.id
    with open(path, "rb") as fh:
        data, st = _read_queue_file(fh, old.id) or (b"", None)
        assert data.endswith(b"old message\r\n") and st is not None and st.st_size == len(data)
    with open(path, "rb") as fh:
        # Delivered and its file reused for the next message while the backup holds it open.
        spool.remove(old.id)
        new = spool.enqueue(_env(), b"new message\r\n")
        assert os.stat(tmp_path / "active" / new.id).st_ino == os.fstat(fh.fileno()).st_ino
        assert _read_queue_file(fh, old.id) is None
    with open(tmp_path / "active" / new.id, "rb") as fh:
        fh.seek(0)
        assert _read_queue_file(fh, new.id) is not None
