"""Run ``main.py`` (the daemon) and write down what it imported once it has started.

Usage: ``python tests/support/startup_probe.py OUT.json serve ...``. A watcher
thread waits for ``run/mailroom.pid`` (the daemon writes it at the end of its
start-up, every listener on) and writes ``{"modules": [...], "vmrss_kb": N}``
to OUT.json; the daemon runs on until it is stopped.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _vmrss_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _watch(out: Path, pid_file: Path) -> None:
    while not pid_file.exists():
        time.sleep(0.05)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps({"modules": sorted(sys.modules), "vmrss_kb": _vmrss_kb()}))
    os.replace(tmp, out)


def main() -> None:
    out = Path(sys.argv[1])
    pid_file = Path(os.environ["MAILROOM_HOME"]) / "run" / "mailroom.pid"
    pid_file.unlink(missing_ok=True)
    threading.Thread(target=_watch, args=(out, pid_file), daemon=True).start()
    sys.argv = [str(ROOT / "main.py"), *sys.argv[2:]]
    sys.path.insert(0, str(ROOT))
    runpy.run_path(str(ROOT / "main.py"), run_name="__main__")


if __name__ == "__main__":
    main()
