#!/usr/bin/env python3
"""CPU per message of the remote-delivery SMTP client, this checkout beside another.

What it measures
    appliance.delivery.remote.deliver() alone, as the delivery process runs
    it: N messages (default 4000 x ~4 KB, one recipient each, no DKIM) over
    C concurrent deliveries (default 10, delivery.max_per_destination's
    default) sharing one ConnectionCache, to Postfix's smtp-sink (C, one
    process, cheap) on 127.0.0.4, once offering PIPELINING and once not
    (smtp-sink -p). Each (code, sink) run is a fresh child process; the
    figure is the child's user+system CPU (getrusage) from the first
    delivery to the last, over N: what the client costs per message, which
    a loaded shared machine does not distort as it does throughput. Wall
    time and msg/s are printed too, for what they are worth.

    "before" is another checkout's appliance/ (--before DIR, e.g. made with
    `git archive COMMIT | tar -x -C /tmp/before`), run with this venv: both
    in one run, interleaved, --repeat times; medians are shown.

How to run (from the project root; smtp-sink is in Debian's postfix package)
    .venv/bin/python bench/remote_client_cpu.py --before /tmp/before
    .venv/bin/python bench/remote_client_cpu.py -n 2000 --repeat 5 --before /tmp/before
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HOST = "127.0.0.4"
ROOT = Path(__file__).resolve().parents[1]
SMTP_SINK = "/usr/sbin/smtp-sink"


def _message(n: int) -> bytes:
    head = (
        f"From: alice@example.test\r\nTo: u{n}@far.test\r\nSubject: bench {n}\r\n"
        f"Message-ID: <{n}@example.test>\r\n\r\n"
    ).encode()
    return head + b"A line of text that is the body of this benchmark message.\r\n" * 68


async def _run_client(port: int, count: int, concurrency: int) -> dict[str, float]:
    from appliance.delivery.remote import ConnectionCache, RemoteConfig, Smarthost, deliver

    config = RemoteConfig(
        helo_name="mail.example.test", port=port,
        smarthost=Smarthost(HOST, port=port, tls="none"),
    )
    cache = ConnectionCache()
    messages = [_message(n) for n in range(count)]
    queue = iter(range(count))
    failed = 0

    async def one_lane() -> None:
        nonlocal failed
        for n in queue:
            results = await deliver(
                domain="far.test", sender="alice@example.test", recipients=[f"u{n}@far.test"],
                message=messages[n], config=config, connections=cache,
            )
            failed += sum(r.status != "delivered" for r in results)

    # One message first: imports and the first connection outside the figure.
    await deliver(domain="far.test", sender="a@example.test", recipients=["w@far.test"],
                  message=messages[0], config=config, connections=cache)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter()
    await asyncio.gather(*(one_lane() for _ in range(concurrency)))
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_SELF)
    await cache.close()
    return {
        "user_ms": (after.ru_utime - usage.ru_utime) * 1000 / count,
        "sys_ms": (after.ru_stime - usage.ru_stime) * 1000 / count,
        "wall": wall,
        "failed": failed,
    }


def child(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(Path(args.root).resolve()))
    import appliance.delivery.remote as remote

    assert Path(remote.__file__).resolve().is_relative_to(Path(args.root).resolve())
    print(json.dumps(asyncio.run(_run_client(args.port, args.n, args.concurrency))))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _start_sink(pipelining: bool) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    cmd = [SMTP_SINK, "-u", "nobody", "-h", "sink.far.test"]
    if not pipelining:
        cmd.append("-p")
    proc = subprocess.Popen([*cmd, f"{HOST}:{port}", "256"])
    for _ in range(200):
        try:
            with socket.create_connection((HOST, port), timeout=1) as s:
                if s.recv(100).startswith(b"220"):
                    return proc, port
        except OSError:
            time.sleep(0.02)
    proc.kill()
    raise SystemExit("smtp-sink did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=4000, help="messages per run")
    parser.add_argument("-c", "--concurrency", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", help="another checkout's root, run beside this one")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if not shutil.which(SMTP_SINK):
        raise SystemExit(f"{SMTP_SINK} is missing (apt-get install postfix)")
    codes = {"after": str(ROOT)}
    if args.before:
        codes = {"before": args.before, **codes}
    sinks = {"pipelining": _start_sink(True), "no-pipelining": _start_sink(False)}
    figures: dict[tuple[str, str], list[dict[str, float]]] = {}
    try:
        for _ in range(args.repeat):
            for sink, (_, port) in sinks.items():
                for code, root in codes.items():
                    out = subprocess.run(
                        [sys.executable, __file__, "--child", "--root", root, "--port", str(port),
                         "-n", str(args.n), "-c", str(args.concurrency)],
                        check=True, capture_output=True, text=True, cwd=root,
                    ).stdout
                    figures.setdefault((code, sink), []).append(json.loads(out.splitlines()[-1]))
    finally:
        for proc, _ in sinks.values():
            proc.terminate()
            proc.wait()
    print(f"{args.n} messages x {args.repeat} runs, {args.concurrency} concurrent, "
          f"medians; client CPU per message (user+sys ms)")
    print(f"{'code':8} {'sink':14} {'cpu ms':>7} {'user':>6} {'sys':>6} {'msg/s':>7} {'failed':>6}")
    for (code, sink), runs in sorted(figures.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        cpu = statistics.median(r["user_ms"] + r["sys_ms"] for r in runs)
        user = statistics.median(r["user_ms"] for r in runs)
        system = statistics.median(r["sys_ms"] for r in runs)
        rate = statistics.median(args.n / r["wall"] for r in runs)
        failed = sum(int(r["failed"]) for r in runs)
        print(f"{code:8} {sink:14} {cpu:7.3f} {user:6.3f} {system:6.3f} {rate:7.0f} {failed:6}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
