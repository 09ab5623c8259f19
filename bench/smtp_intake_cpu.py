#!/usr/bin/env python3
"""The SMTP intake alone: CPU (or instructions) per message of Mailroom's listener side.

    .venv/bin/python bench/smtp_intake_cpu.py [--callgrind] [-n N] CHECKOUT...

For each checkout (a directory holding ``appliance/``, e.g. this one and a
``git archive`` of an older commit) a server process runs that checkout's
SMTP listener with its policy and screening (default settings, relay
network 127.0.0.0/8) but no disk: a message is "queued" as soon as DATA
ends. A client in another process sends N messages of 4 KB for
user{i}@far.test over 20 persistent sessions with RSET between messages,
as bench/smtp_relay.py does. Printed per checkout: the server's CPU time
per message (all its threads, from /proc schedstat), or with
``--callgrind`` its instruction count per message under valgrind, which
does not change with the machine's load (a loaded machine makes CPU times
vary by a third). The checkouts alternate between repeats; medians last.

What it leaves out: the queue file write (appliance/queue/intake.py,
Spool) and the queue manager, measured by bench/smtp_relay.py.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def serve(tree: str, portfile: str) -> None:
    """The server process: ``tree``'s listener on a free port, written to ``portfile``."""
    sys.path.insert(0, tree)
    os.chdir(tree)
    from concurrent.futures import ThreadPoolExecutor

    import uvloop

    from appliance.screening import Screening
    from appliance.smtp.server import ListenerConfig, SmtpContext, SmtpLimits, SmtpListener
    from appliance.state.access import CachedRules
    from appliance.state.settings import SETTINGS
    from tests.support.directory import Dir

    settings = {k: s.default for k, s in SETTINGS.items()}
    d = Dir(domains={"example.test"})
    d.users("bench")
    nets = ["127.0.0.0/8", "::1/128"]
    executor = ThreadPoolExecutor(4)
    screening = Screening(lambda: settings, d.is_local_domain, executor)
    count = [0]

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def enqueue(env, chunks, then):  # type: ignore[no-untyped-def]
            written = loop.create_future()
            written.set_result(None)
            then()
            return written

        async def authenticate(user: str, password: str, ip: str) -> None:
            return None

        def accepted(env, data):  # type: ignore[no-untyped-def]
            count[0] += 1

        ctx = SmtpContext(hostname="mail.example.test", directory=d, enqueue=enqueue,
                          relay_networks=lambda: nets, authenticate=authenticate,
                          accepted=accepted, access_rules=CachedRules(lambda: []),
                          screen=screening.check)
        listener = SmtpListener(ctx, ListenerConfig("smtp"), SmtpLimits(), None)
        await listener.start("127.0.0.1", 0)
        Path(portfile).write_text(str(listener.sockets[0][1]))
        await asyncio.Event().wait()

    import logging
    logging.getLogger("mailroom").setLevel(logging.INFO)
    logging.getLogger("mailroom").addHandler(logging.NullHandler())
    logging.getLogger("mailroom").propagate = False
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    uvloop.run(main())


def load(port: int, n: int, conc: int) -> None:
    """N messages over ``conc`` persistent sessions (aiosmtplib, RSET between messages)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import aiosmtplib
    from smtp_ingest import build_messages
    msgs, _ = build_messages(n, 4096, "bench@example.test", "x")

    async def session(it) -> None:  # type: ignore[no-untyped-def]
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, local_hostname="client.test",
                               use_tls=False, start_tls=False, timeout=600)
        await smtp.connect()
        used = False
        for i in it:
            if used:
                await smtp.rset()
            used = True
            await smtp.sendmail("bench@example.test", [f"user{i}@far.test"], msgs[i])
        await smtp.quit()

    async def main() -> None:
        it = iter(range(n))
        await asyncio.gather(*(session(it) for _ in range(conc)))

    asyncio.run(main())


def cpu_ns(pid: int) -> int:
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            total += int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[0])
    return total


def run_one(tree: str, n: int, warm: int, conc: int, callgrind: bool) -> float:
    portfile = os.path.join(tempfile.gettempdir(), f"intake-cpu-port.{os.getpid()}")
    if os.path.exists(portfile):
        os.unlink(portfile)
    cmd = [sys.executable, __file__, "serve", tree, portfile]
    work = Path(tempfile.mkdtemp(prefix="intake-cpu-"))
    out = str(work / "callgrind.out")
    errors = work / "serve.err"
    if callgrind:
        cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
               f"--callgrind-out-file={out}", *cmd]
    with open(errors, "w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.time() + 300
        while not os.path.exists(portfile) or not Path(portfile).read_text():
            if time.time() > deadline or proc.poll() is not None:
                raise SystemExit(f"server did not start: {errors.read_text()}")
            time.sleep(0.1)
        port = int(Path(portfile).read_text())
        load(port, warm, conc)
        if callgrind:
            subprocess.run(["callgrind_control", "-i", "on", str(proc.pid)], check=True,
                           capture_output=True)
        before = cpu_ns(proc.pid)
        load(port, n, conc)
        after = cpu_ns(proc.pid)
        if callgrind:
            subprocess.run(["callgrind_control", "-d", str(proc.pid)], check=True,
                           capture_output=True)
            time.sleep(1)
            dumps = sorted(work.glob("callgrind.out*"),
                           key=lambda p: p.stat().st_mtime)
            text = dumps[-1].read_text(errors="replace")
            total = next(int(line.split()[1]) for line in text.splitlines()
                         if line.startswith("summary:") or line.startswith("totals:"))
            return total / n
        return (after - before) / 1e6 / n
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
        return
    p = argparse.ArgumentParser()
    p.add_argument("trees", nargs="*", default=[str(Path(__file__).resolve().parent.parent)],
                   metavar="CHECKOUT")
    p.add_argument("-n", type=int, default=3000)
    p.add_argument("--warm", type=int, default=300)
    p.add_argument("-c", type=int, default=20)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--callgrind", action="store_true")
    a = p.parse_args()
    got: dict[str, list[float]] = {t: [] for t in a.trees}
    for rep in range(a.repeat):
        for t in a.trees if rep % 2 == 0 else a.trees[::-1]:
            v = run_one(t, a.n, a.warm, a.c, a.callgrind)
            got[t].append(v)
            print(f"[{rep}] {t}: {v:.4f}" if not a.callgrind else f"[{rep}] {t}: {v:,.0f} Ir/msg",
                  flush=True)
    for t, vs in got.items():
        vs.sort()
        unit = "Ir/msg" if a.callgrind else "ms CPU/msg"
        every = ", ".join(f"{v:.4f}" for v in vs)
        print(f"{t}: median {vs[len(vs) // 2]:,.4f} {unit}  (all {every})")


if __name__ == "__main__":
    main()
