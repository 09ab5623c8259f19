#!/usr/bin/env python3
"""The delivery process alone, fed as the daemon feeds it: its msg/s and CPU per message.

What it measures
    `main.py delivery-worker` (appliance.delivery.worker) of this checkout
    and, with --before DIR, of another, driven over its stdin/stdout frames
    the way the daemon's DeliveryProcess drives it: a config frame, then N
    "deliver" jobs (default 4000 x ~4 KB, one recipient each, From: a
    domain with DKIM keys, so it signs rsa-sha256 + ed25519 as in the relay
    bench) with at most --in-flight jobs outstanding (default 50, the
    queue.delivery_workers default), a new job for each answer, frames
    gathered for FLUSH_DELAY as the daemon does; "keys?" is answered with
    one key pair made at start. The far side is Postfix's smtp-sink (C,
    cheap) on 127.0.0.4, offering PIPELINING and not (-p).
    Figures: messages a second from the first job to the last answer, and
    the worker's user+system CPU (/proc/PID/stat) over the same span per
    message. No daemon, no intake, no load client: what the worker does
    once intake is done. On a shared machine msg/s drifts; CPU per message
    is the steadier figure; runs are interleaved, medians shown.

How to run (from the project root)
    .venv/bin/python bench/delivery_worker_drive.py --before /tmp/before
    .venv/bin/python bench/delivery_worker_drive.py -n 2000 --repeat 5 --no-dkim
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from remote_client_cpu import HOST, _message, _start_sink  # noqa: E402

from appliance.delivery.remote import RemoteConfig, Smarthost  # noqa: E402
from appliance.delivery.worker import FLUSH_DELAY, WorkerConfig, encode, read_frame  # noqa: E402
from appliance.dkim.keys import make_pair  # noqa: E402
from appliance.queue.spool import Envelope  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


async def drive(root: str, port: int, count: int, in_flight: int, dkim: bool,
                keys: list) -> tuple[float, float, int]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(Path(root) / "main.py"), "delivery-worker",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**20,
        cwd=root, start_new_session=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    loop = asyncio.get_running_loop()
    out: list[bytes] = []

    def send(frame: tuple) -> None:
        out.append(encode(frame))
        if len(out) == 1:
            loop.call_later(FLUSH_DELAY, flush)

    def flush() -> None:
        data = b"".join(out)
        out.clear()
        if data:
            proc.stdin.write(data)

    config = RemoteConfig(helo_name="mail.example.test", port=port,
                          smarthost=Smarthost(HOST, port=port, tls="none"))
    send(("config", WorkerConfig(config, "mail.example.test", dkim, 50, 10)))
    messages = [_message(n) for n in range(count)]
    failed = 0
    next_job = 0
    done = 0

    def submit() -> None:
        nonlocal next_job
        n = next_job
        next_job += 1
        env = Envelope(f"Q{n:011d}", "alice@example.test", [f"u{n}@far.test"], time.time())
        send(("deliver", n, env, messages[n], [f"u{n}@far.test"]))

    # One message first, outside the figures: imports, keys, the first connection.
    warm = Envelope("WARM", "alice@example.test", ["w@far.test"], time.time())
    send(("deliver", -1, warm, messages[0], ["w@far.test"]))
    while True:
        frame = await read_frame(proc.stdout)
        assert frame is not None, "worker died"
        if frame[0] == "keys?":
            send(("keys", frame[1], keys))
        elif frame[0] in ("done", "failed"):
            break
    cpu0, wall0 = _cpu(proc.pid), time.perf_counter()
    for _ in range(min(in_flight, count)):
        submit()
    while done < count:
        frame = await read_frame(proc.stdout)
        assert frame is not None, "worker died"
        kind = frame[0]
        if kind == "keys?":
            send(("keys", frame[1], keys))
        elif kind in ("done", "failed"):
            done += 1
            if kind == "failed" or any(r.status != "delivered" for r in frame[2]):
                failed += 1
            if next_job < count:
                submit()
    wall = time.perf_counter() - wall0
    cpu = _cpu(proc.pid) - cpu0
    send(("stop",))
    flush()
    await proc.wait()
    return count / wall, cpu * 1000 / count, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=4000)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", help="another checkout's root (its main.py), beside this one")
    parser.add_argument("--code", action="append", default=[], metavar="NAME=DIR",
                        help="more checkouts to run beside, each under its own name")
    parser.add_argument("--no-dkim", action="store_true")
    args = parser.parse_args()
    codes = {"after": str(ROOT)}
    if args.before:
        codes = {"before": args.before, **codes}
    for named in args.code:
        name, _, root = named.partition("=")
        codes[name] = root
    keys = list(make_pair(time.time()))
    sinks = {"pipelining": _start_sink(True), "no-pipelining": _start_sink(False)}
    figures: dict[tuple[str, str], list[tuple[float, float, int]]] = {}
    try:
        for _ in range(args.repeat):
            for sink, (_, port) in sinks.items():
                for code, root in codes.items():
                    figures.setdefault((code, sink), []).append(asyncio.run(
                        drive(root, port, args.n, args.in_flight, not args.no_dkim, keys)))
    finally:
        for proc, _ in sinks.values():
            proc.terminate()
            proc.wait()
    print(f"delivery process alone: {args.n} messages x {args.repeat} runs, {args.in_flight} in "
          f"flight, DKIM {'off' if args.no_dkim else 'on'}; medians; load {os.getloadavg()[0]:.1f}")
    print(f"{'code':8} {'sink':14} {'msg/s':>7} {'worker cpu ms/msg':>18} {'failed':>6}")
    for (code, sink), runs in sorted(figures.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        rate = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        print(f"{code:8} {sink:14} {rate:7.0f} {cpu:18.3f} {sum(r[2] for r in runs):6}")


if __name__ == "__main__":
    main()
