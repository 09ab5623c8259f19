"""Durable writes in batches: the queue's intake thread and the helpers under it."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest

from appliance.durable import DirectorySync, write_file, write_files
from appliance.queue.intake import Intake
from appliance.queue.spool import Envelope, Spool


class CountingSync(DirectorySync):
    def __init__(self) -> None:
        super().__init__()
        self.synced: list[str] = []

    def sync(self, directory: Path | str) -> None:
        self.synced.append(os.fspath(directory))
        super().sync(directory)


def test_write_files_writes_all_and_syncs_each_directory_once(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    (tmp_path / "out").mkdir()
    sync = CountingSync()
    files = [(tmp_path / "tmp" / f"f{i}", tmp_path / "out" / f"f{i}", [b"head ", b"%d" % i])
             for i in range(5)]
    assert write_files(files, dirsync=sync) == [None] * 5
    assert sorted(os.listdir(tmp_path / "out")) == [f"f{i}" for i in range(5)]
    assert (tmp_path / "out" / "f3").read_bytes() == b"head 3"
    assert not os.listdir(tmp_path / "tmp")
    assert sync.synced == [str(tmp_path / "out")]


def test_one_failure_leaves_the_others_written(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "tmp" / "taken").write_bytes(b"someone else's")  # O_EXCL refuses it
    files = [
        (tmp_path / "tmp" / "a", tmp_path / "out" / "a", [b"a"]),
        (tmp_path / "tmp" / "taken", tmp_path / "out" / "taken", [b"x"]),
        (tmp_path / "tmp" / "b", tmp_path / "missing" / "b", [b"b"]),  # rename fails
        (tmp_path / "tmp" / "c", tmp_path / "out" / "c", [b"c"]),
    ]
    results = write_files(files)
    assert results[0] is None and results[3] is None
    assert isinstance(results[1], FileExistsError) and isinstance(results[2], FileNotFoundError)
    assert sorted(os.listdir(tmp_path / "out")) == ["a", "c"]
    # The failed rename's temporary file is gone; the one we never owned is untouched.
    assert sorted(os.listdir(tmp_path / "tmp")) == ["taken"]
    with pytest.raises(FileExistsError):
        write_file(tmp_path / "tmp" / "taken", tmp_path / "out" / "z", [b"z"])
    assert write_file(tmp_path / "tmp" / "d", tmp_path / "out" / "d", [b"12", b"345"]) == 5


def test_parallel_fsyncs_keep_each_files_result(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    (tmp_path / "tmp").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "tmp" / "taken").write_bytes(b"someone else's")
    files = [
        (tmp_path / "tmp" / "a", tmp_path / "out" / "a", [b"a"]),
        (tmp_path / "tmp" / "taken", tmp_path / "out" / "taken", [b"x"]),
        (tmp_path / "tmp" / "b", tmp_path / "missing" / "b", [b"b"]),
        (tmp_path / "tmp" / "c", tmp_path / "out" / "c", [b"c"]),
    ]
    with ThreadPoolExecutor(4) as pool:
        results = write_files(files, executor=pool)
    assert results[0] is None and results[3] is None
    assert isinstance(results[1], FileExistsError) and isinstance(results[2], FileNotFoundError)
    assert sorted(os.listdir(tmp_path / "out")) == ["a", "c"]
    assert sorted(os.listdir(tmp_path / "tmp")) == ["taken"]


def test_spool_fsyncs_a_batch_in_parallel_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(threading.current_thread().name)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    spool = Spool(tmp_path)
    spool.enqueue(_envelope(), b"Subject: one\r\n\r\n")  # a single file: this thread
    assert synced and all(name == threading.current_thread().name for name in synced)
    synced.clear()
    envs = [_envelope() for _ in range(6)]
    assert spool.enqueue_many([(e, [b"Subject: x\r\n\r\n"]) for e in envs]) == [None] * 6
    files = [n for n in synced if n.startswith("mailroom-fsync")]
    assert len(files) == 6  # one per file, in the pool; the directory's own fsync aside
    assert len(spool.ids("active")) == 7


def _envelope(rcpt: str = "bob@example.test") -> Envelope:
    return Envelope(id="", sender="a@b.test", recipients=[rcpt], arrival=0.0)


def test_spool_enqueue_many_gives_ids_sizes_and_one_result_each(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    envs = [_envelope() for _ in range(3)]
    results = spool.enqueue_many([(e, [b"Subject: x\r\n\r\n", b"body %d\r\n" % i])
                                  for i, e in enumerate(envs)])
    assert results == [None, None, None]
    assert len({e.id for e in envs}) == 3 and all(e.size == 22 for e in envs)
    assert spool.ids("active") == sorted(e.id for e in envs)
    env, data = spool.read(tmp_path / "active" / envs[1].id)
    assert env.recipients == ["bob@example.test"] and data == b"Subject: x\r\n\r\nbody 1\r\n"


async def test_intake_answers_after_the_write_and_hands_over_in_order(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    intake = Intake(spool)
    intake.start()
    handed: list[tuple[str, bool, str]] = []

    def then(env: Envelope) -> None:
        on_disk = (tmp_path / "active" / env.id).exists()
        handed.append((env.id, on_disk, threading.current_thread().name))

    envs = [_envelope() for _ in range(40)]
    written = [intake.enqueue(e, [b"Subject: %d\r\n\r\nx\r\n" % i], lambda e=e: then(e))
               for i, e in enumerate(envs)]
    await asyncio.wait_for(asyncio.gather(*written), 10)
    await intake.stop()
    assert [h[0] for h in handed] == [e.id for e in envs]
    assert all(on_disk and thread == "mailroom-intake" for _, on_disk, thread in handed)
    assert len(spool.ids("active")) == 40


async def test_intake_failure_reaches_the_session_and_skips_the_hand_over(
    tmp_path: Path,
) -> None:
    spool = Spool(tmp_path)
    intake = Intake(spool)
    intake.start()
    handed: list[str] = []
    good = _envelope()
    bad = _envelope()
    bad.id = "TAKEN"
    (tmp_path / "tmp" / "TAKEN").write_bytes(b"")  # its temporary name is taken
    first = intake.enqueue(bad, [b"x"], lambda: handed.append("bad"))
    second = intake.enqueue(good, [b"y"], lambda: handed.append("good"))
    with pytest.raises(FileExistsError):
        await asyncio.wait_for(first, 10)
    await asyncio.wait_for(second, 10)
    await intake.stop()
    assert handed == ["good"] and spool.ids("active") == [good.id]


async def test_intake_stop_writes_what_was_handed_over(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    intake = Intake(spool)
    intake.start()
    written = [intake.enqueue(_envelope(), [b"m"], lambda: None) for _ in range(10)]
    await intake.stop()
    await asyncio.wait_for(asyncio.gather(*written), 10)
    assert len(spool.ids("active")) == 10
