#!/usr/bin/env python3
"""Idle memory of the daemon: this checkout beside another one (e.g. the commit before), in one run.

What it measures
    For each checkout: a fresh data directory (``main.py init``), then
    ``main.py serve --listen 127.0.0.1 --port-offset N`` with every listener
    on and default settings, run by this venv's Python. Once the daemon has
    written run/mailroom.pid (the end of its start-up) and ``--settle``
    seconds have passed, it reads /proc/PID: VmRSS, PSS (smaps_rollup), the
    anonymous memory, the thread count, and the number of modules imported
    (counted inside the daemon by ``-c`` code that runs main.py). Repeated
    ``--repeat`` times, alternating the checkouts; the median is shown.

Run:  .venv/bin/python bench/idle_memory.py --other /tmp/before [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs main.py in the daemon's own process and writes its module count once started.
_PROBE = """
import json, os, runpy, sys, threading, time
out, pid_file = sys.argv[1], os.path.join(os.environ["MAILROOM_HOME"], "run", "mailroom.pid")
def watch():
    while not os.path.exists(pid_file):
        time.sleep(0.05)
    with open(out, "w") as fh:
        json.dump(len(sys.modules), fh)
threading.Thread(target=watch, daemon=True).start()
sys.argv = ["main.py", *sys.argv[2:]]
sys.path.insert(0, os.getcwd())
runpy.run_path("main.py", run_name="__main__")
"""


def _status(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "Threads"):
                out[key] = int(value.split()[0])
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("Pss", "Anonymous"):
                out[key] = int(value.split()[0])
    return out


def measure(root: Path, offset: int, settle: float) -> dict[str, int]:
    with tempfile.TemporaryDirectory(prefix="idle-mem-") as tmp:
        home = Path(tmp) / "home"
        env = {**os.environ, "MAILROOM_HOME": str(home)}
        subprocess.run([sys.executable, "main.py", "init", "--hostname", "mail.example.test",
                        "--domain", "example.test"], cwd=root, env=env, check=True,
                       capture_output=True, timeout=120)
        modules_file = Path(tmp) / "modules.json"
        proc = subprocess.Popen(
            [sys.executable, "-c", _PROBE, str(modules_file), "serve", "--listen", "127.0.0.1",
             "--port-offset", str(offset)],
            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while not modules_file.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"{root}: the daemon did not start")
                time.sleep(0.05)
            time.sleep(settle)  # let start-up's stragglers (first timers) run
            figures = _status(proc.pid)
            figures["modules"] = json.loads(modules_file.read_text())
            return figures
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", type=Path, required=True,
                        help="another checkout to measure beside this one (e.g. /tmp/before)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--port-offset", type=int, default=24100)
    args = parser.parse_args()
    runs: dict[str, list[dict[str, int]]] = {"other": [], "this": []}
    for i in range(args.repeat):
        for n, (name, root) in enumerate((("other", args.other), ("this", ROOT))):
            runs[name].append(measure(root, args.port_offset + 100 * n, args.settle))
            print(f"run {i + 1} {name}: {runs[name][-1]}", file=sys.stderr)
    keys = ("VmRSS", "Pss", "Anonymous", "Threads", "modules")
    print(f"{'figure (median of ' + str(args.repeat) + ')':28s} {str(args.other):>14s} "
          f"{'this checkout':>14s}")
    for key in keys:
        other = statistics.median(r[key] for r in runs["other"])
        this = statistics.median(r[key] for r in runs["this"])
        unit = " kB" if key in ("VmRSS", "Pss", "Anonymous") else ""
        print(f"{key + unit:28s} {other:>14,.0f} {this:>14,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
