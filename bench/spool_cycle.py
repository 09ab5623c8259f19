"""CPU per queue-file cycle (enqueue, remove as after the remote 250): new files vs the free pool.

Runs both in the same run, interleaved, on the file system of ``--dir``
(default: a scratch directory under /var/tmp, the data directory's file
system here), and prints them side by side. CPU time (user + system of
this process, fsyncs included), not wall time: the figures hold on a
machine that others load.

    .venv/bin/python bench/spool_cycle.py [--cycles 2000] [--rounds 3] [--size 3000] \\
        [--batch 8] [--backlog 1000] [--dir D]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from appliance.queue.spool import Envelope, Spool  # noqa: E402


def _cpu() -> tuple[float, float]:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime, ru.ru_stime


def run(spool: Spool, cycles: int, body: bytes, batch: int, backlog: int) -> tuple[float, float]:
    """CPU seconds (user, system) per cycle of ``cycles`` enqueue + remove cycles.

    ``backlog`` messages stay queued (the oldest is removed), as mail in
    flight does: ext4 hands a file freed within the same second straight
    back, so a queue file that lives for a second or more is what makes
    creating new ones costly.
    """
    queued: deque[str] = deque()
    u0, s0 = _cpu()
    done = 0
    while done < cycles:
        items = [(Envelope(id="", sender="a@example.org", recipients=["b@example.net"],
                           arrival=time.time()), [body]) for _ in range(min(batch, cycles - done))]
        errors = spool.enqueue_many(items)
        assert not any(errors), errors
        queued.extend(env.id for env, _ in items)
        while len(queued) > backlog:
            spool.remove(queued.popleft(), queue="active", status=False)
        done += len(items)
    u1, s1 = _cpu()
    for qid in queued:
        spool.remove(qid, queue="active", status=False)
    return (u1 - u0) / cycles, (s1 - s0) / cycles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=3000, help="message bytes")
    parser.add_argument("--batch", type=int, default=8, help="messages per enqueue_many")
    parser.add_argument("--backlog", type=int, default=1000, help="messages kept queued")
    parser.add_argument("--dir", default="/var/tmp")
    args = parser.parse_args()
    body = (b"x" * 76 + b"\r\n") * (args.size // 78 + 1)
    body = body[: args.size]
    scratch = Path(tempfile.mkdtemp(prefix="spool-cycle-", dir=args.dir))
    try:
        old = Spool(scratch / "old")
        old.FREE_POOL = 0
        pool = Spool(scratch / "pool")
        results: dict[str, list[tuple[float, float]]] = {"new files": [], "free pool": []}
        for _ in range(args.rounds):
            results["new files"].append(run(old, args.cycles, body, args.batch, args.backlog))
            results["free pool"].append(run(pool, args.cycles, body, args.batch, args.backlog))
        print(f"{args.cycles} cycles x {args.rounds} rounds, {args.size}-byte messages, "
              f"batch {args.batch}, backlog {args.backlog}, on {args.dir}")
        print(f"{'':12}{'user ms':>10}{'sys ms':>10}{'total ms':>10}   (per cycle, median round)")
        for name, rows in results.items():
            rows = sorted(rows, key=sum)
            user, system = rows[len(rows) // 2]
            print(f"{name:12}{user * 1e3:10.3f}{system * 1e3:10.3f}{(user + system) * 1e3:10.3f}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
