#!/usr/bin/env python3
"""Cold start of the three ways to run Mailroom, side by side (for the release notes).

    .venv/bin/python packaging/measure_startup.py [RUNS]

Times (best and median of RUNS, wall clock) to ``--version``, to ``status``
against a running daemon, and to the main window (offscreen, the process
quits once the window's event loop turns: MAILROOM_STARTUP_PROBE). Needs
``make package`` first. Page cache is not dropped: "cold" is a new process.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.daemon import Mailroom  # noqa: E402

VARIANTS = {
    "source": [sys.executable, str(ROOT / "main.py")],
    "one-folder": [str(ROOT / "dist" / "mailroom" / "mailroom")],
    "one-file": [str(ROOT / "dist" / "mailroom-onefile")],
}


def timed(cmd: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.monotonic()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=120)
        times.append(time.monotonic() - start)
    return min(times), statistics.median(times)


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    tmp = Path(tempfile.mkdtemp(prefix="mailroom-startup-"))
    daemon = Mailroom(tmp / "home")
    try:
        daemon.cli("init", "--hostname", "mail.example.test", "--domain", "example.test")
        daemon.start()
        env = {**daemon.env, "QT_QPA_PLATFORM": "offscreen", "MAILROOM_STARTUP_PROBE": "1"}
        print(f"{'':12} {'--version':>16} {'status':>16} {'main window':>16}   (best / median s)")
        for name, program in VARIANTS.items():
            if not Path(program[-1]).exists():
                print(f"{name:12} not built")
                continue
            cells = [timed([*program, *args], env, runs)
                     for args in (["--version"], ["status"], ["gui", "--no-start"])]
            print(f"{name:12} " + " ".join(f"{b:7.2f} / {m:5.2f}  " for b, m in cells))
    finally:
        daemon.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.exit(main())
