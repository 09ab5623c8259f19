"""The GUI survives PySide6 6.12.0's lost references to None (ui/_none_guard.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_many_calls_that_return_nothing_do_not_kill_python() -> None:
    # In a process of its own: without the guard this one aborts (none_dealloc).
    code = ("import ui\n"
            "from PySide6.QtCore import QCoreApplication, QObject\n"
            "app = QCoreApplication([])\n"
            "o = QObject()\n"
            "for _ in range(200_000):\n"
            "    o.setObjectName('x')\n"
            "print('alive')\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and "alive" in done.stdout, done.stderr[-2000:]
