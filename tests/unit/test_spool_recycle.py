"""The spool's pool of free queue files: removed files are recycled, new ones written into them."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from appliance.durable import write_files
from appliance.queue.spool import QUEUES, Envelope, Spool


def _env(qid: str = "") -> Envelope:
    return Envelope(id=qid, sender="a@example.org", recipients=["b@example.net"],
                    arrival=time.time())


def _files(spool: Spool, sub: str) -> list[str]:
    return sorted(os.listdir(spool.root / sub))


def _inode(path: Path) -> int:
    return os.stat(path).st_ino


def test_a_removed_file_is_emptied_into_the_pool_and_the_next_message_reuses_it(
        tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    first = spool.enqueue(_env(), b"Subject: one\r\n\r\n" + b"x" * 10_000)
    inode = _inode(tmp_path / "active" / first.id)
    spool.remove(first.id, queue="active", status=False)
    assert _files(spool, "active") == []
    assert _files(spool, "free") == [first.id]
    # Truncated: the delivered message's bytes do not stay on disk.
    assert (tmp_path / "free" / first.id).stat().st_size == 0

    second = spool.enqueue(_env(), b"Subject: two\r\n\r\nshort\r\n")
    path = tmp_path / "active" / second.id
    assert _inode(path) == inode
    assert _files(spool, "free") == [] and _files(spool, "tmp") == []
    env, data = spool.read(path)
    # Exactly the new bytes: nothing of the longer file it replaced.
    assert env.id == second.id and data == b"Subject: two\r\n\r\nshort\r\n"
    assert path.stat().st_size == len(env.to_line()) + len(data)


def test_a_recycled_file_holds_exactly_the_new_bytes_after_garbage(tmp_path: Path) -> None:
    """A crash can leave anything in free/ (a removal between rename and truncate)."""
    spool = Spool(tmp_path)
    (tmp_path / "free" / "OLD").write_bytes(b'{"id": "OLD", "sender": ""}\n' + b"g" * 50_000)
    restarted = Spool(tmp_path)
    env = restarted.enqueue(_env(), b"new\r\n")
    assert _files(spool, "free") == []
    assert restarted.read(tmp_path / "active" / env.id) == (env, b"new\r\n")


def test_free_files_are_never_queued_mail(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    kept = spool.enqueue(_env(), b"kept\r\n")
    gone = spool.enqueue(_env(), b"gone\r\n")
    spool.remove(gone.id)
    # A crash between the rename and the truncation leaves a whole message in free/.
    (tmp_path / "free" / "CRASHED").write_bytes(_env("CRASHED").to_line() + b"body\r\n")
    assert "free" not in QUEUES
    assert [env.id for _, env, _ in spool.entries()] == [kept.id]
    assert spool.locate(gone.id) is None and spool.locate("CRASHED") is None
    assert spool.ids("active") == [kept.id]
    # Start-up keeps the pool (never delivered, never counted) and empties tmp/.
    assert Spool(tmp_path).clean_tmp() == 0
    assert sorted(_files(spool, "free")) == sorted(["CRASHED", gone.id])


def test_half_written_files_in_tmp_go_into_the_pool_at_start_up(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    (tmp_path / "tmp" / "HALF").write_bytes(b'{"id": "HALF"')
    assert spool.clean_tmp() == 1
    assert _files(spool, "tmp") == [] and _files(spool, "free") == ["HALF"]
    assert spool.ids("active") == []
    env = spool.enqueue(_env(), b"m\r\n")
    assert _files(spool, "free") == []
    assert spool.read(tmp_path / "active" / env.id)[1] == b"m\r\n"


def test_the_pool_is_bounded_and_then_removal_unlinks(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.FREE_POOL = 3
    envs = [spool.enqueue(_env(), b"m%d\r\n" % i) for i in range(5)]
    for env in envs:
        spool.remove(env.id, queue="active", status=False)
    assert len(_files(spool, "free")) == 3
    assert _files(spool, "active") == []


def test_with_the_pool_off_files_are_created_and_unlinked(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.FREE_POOL = 0
    env = spool.enqueue(_env(), b"m\r\n")
    spool.remove(env.id)
    assert _files(spool, "free") == [] and _files(spool, "active") == []


def test_an_empty_pool_falls_back_to_new_files(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    envs = [spool.enqueue(_env(), b"m%d\r\n" % i) for i in range(3)]
    assert len({_inode(tmp_path / "active" / e.id) for e in envs}) == 3
    spool.remove(envs[0].id)
    more = spool.enqueue_many([(_env(), [b"a\r\n"]), (_env(), [b"b\r\n"])])
    assert more == [None, None]
    assert len(spool.ids("active")) == 4 and _files(spool, "free") == []


def test_removal_still_reports_a_missing_file(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    with pytest.raises(FileNotFoundError):
        spool.remove("NOSUCH", queue="active", status=False)
    spool.remove("NOSUCH")  # by look-up: nothing to do
    assert _files(spool, "free") == []


def test_status_files_go_with_the_queue_file(tmp_path: Path) -> None:
    from appliance.queue.spool import QueueStatus
    spool = Spool(tmp_path)
    env = spool.enqueue(_env(), b"m\r\n")
    spool.write_status(env.id, QueueStatus())
    spool.move(env.id, "deferred")
    spool.remove(env.id)
    assert _files(spool, "status") == [] and _files(spool, "deferred") == []
    assert _files(spool, "free") == [env.id]


def test_files_freed_by_another_process_are_found(tmp_path: Path) -> None:
    daemon = Spool(tmp_path)
    daemon.FREE_RESCAN = 0.0
    assert daemon.enqueue(_env(), b"first\r\n")  # the pool was empty: looked, found none
    cli = Spool(tmp_path)
    env = cli.enqueue(_env(), b"m\r\n")
    inode = _inode(tmp_path / "active" / env.id)
    cli.remove(env.id)
    new = daemon.enqueue(_env(), b"n\r\n")
    assert _inode(tmp_path / "active" / new.id) == inode


def test_a_free_file_still_linked_in_a_queue_is_not_overwritten(tmp_path: Path) -> None:
    """After a crash fsck can keep both names of a half-done rename."""
    spool = Spool(tmp_path)
    queued = spool.enqueue(_env(), b"precious\r\n")
    os.link(tmp_path / "active" / queued.id, tmp_path / "free" / queued.id)
    spool = Spool(tmp_path)  # restarted
    new = spool.enqueue(_env(), b"new\r\n")
    assert spool.read(tmp_path / "active" / queued.id)[1] == b"precious\r\n"
    assert spool.read(tmp_path / "active" / new.id)[1] == b"new\r\n"
    assert _files(spool, "free") == [] and _files(spool, "tmp") == []


def test_concurrent_writers_and_removers_never_share_a_file(tmp_path: Path) -> None:
    """The intake writes while the remover frees: every message keeps its own bytes."""
    spool = Spool(tmp_path)
    second = Spool(tmp_path)  # another taker of the same pool, as another process would be
    errors: list[BaseException] = []
    written: dict[str, bytes] = {}
    lock = threading.Lock()

    def writer(sp: Spool, tag: int) -> None:
        try:
            for i in range(60):
                body = b"%d-%d\r\n" % (tag, i) * (1 + i % 7)
                env = sp.enqueue(_env(), body)
                with lock:
                    written[env.id] = body
                if i % 2:
                    with lock:
                        qid = next(iter(written))
                        body = written.pop(qid)
                    assert sp.read(tmp_path / "active" / qid)[1] == body
                    sp.remove(qid, queue="active", status=False)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(sp, n))
               for n, sp in enumerate([spool, spool, second, second])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(spool.ids("active")) == sorted(written)
    for qid, body in written.items():
        assert spool.read(tmp_path / "active" / qid)[1] == body
    assert _files(spool, "tmp") == []


def test_a_failed_recycled_write_leaves_nothing_in_active(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    (tmp_path / "out").mkdir()
    # "existing" files are ours to overwrite; one that is not there is an error, never created.
    results = write_files([(tmp_path / "tmp" / "gone", tmp_path / "out" / "gone", [b"x"])],
                          existing={tmp_path / "tmp" / "gone"})
    assert isinstance(results[0], FileNotFoundError)
    assert os.listdir(tmp_path / "out") == [] and os.listdir(tmp_path / "tmp") == []


def test_reading_a_file_recycled_meanwhile_is_reading_a_removed_one(tmp_path: Path) -> None:
    """An administrator's delete while the queue manager reads: gone, never another message."""
    spool = Spool(tmp_path)
    old = spool.enqueue(_env(), b"old\r\n")
    path = tmp_path / "active" / old.id
    spool.remove(old.id)
    new = spool.enqueue(_env(), b"new, somewhat longer\r\n")
    os.link(tmp_path / "active" / new.id, path)  # the reader's view: the old name, reused inode
    with pytest.raises(FileNotFoundError):
        spool.read(path)
    with pytest.raises(FileNotFoundError):
        spool.read_envelope(path)
    os.unlink(path)
    # Emptied while the body is read: as if unlinked, not a short message.
    env = spool.enqueue(_env(), b"body\r\n")
    with open(tmp_path / "active" / env.id, "r+b") as fh:
        fh.truncate(len(env.to_line()) + 2)
    with pytest.raises(FileNotFoundError):
        spool.read(tmp_path / "active" / env.id)


def test_a_pool_it_cannot_use_is_no_pool(tmp_path: Path) -> None:
    """free/ missing (or not the daemon's to write): files are created and unlinked as before."""
    spool = Spool(tmp_path)
    (tmp_path / "free").rmdir()
    env = spool.enqueue(_env(), b"m\r\n")
    spool.remove(env.id, queue="active", status=False)
    assert _files(spool, "active") == [] and not (tmp_path / "free").exists()
    with pytest.raises(FileNotFoundError):
        spool.remove(env.id, queue="active", status=False)
