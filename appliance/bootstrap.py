"""Run under the project's own environment when started with a bare Python.

``make run``/``make test`` install everything into ``.venv``; a later
``python main.py ...`` or ``python -m ui.screenshots ...`` with the system
interpreter would fail on the first third-party import. This re-executes the
very same command line with ``.venv/bin/python`` instead. Standard library
only, so it works before anything is installed.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

__all__ = ["use_project_venv"]

ROOT = Path(__file__).resolve().parent.parent


def use_project_venv() -> None:
    if importlib.util.find_spec("aiosmtpd") is not None:
        return  # this interpreter has what we need
    venv_python = ROOT / ".venv" / "bin" / "python"
    if not venv_python.exists() or os.environ.get("MAILROOM_VENV_REEXEC"):
        return  # nothing better to run; the import error will say what is missing
    os.environ["MAILROOM_VENV_REEXEC"] = "1"
    os.execv(venv_python, [str(venv_python), *sys.orig_argv[1:]])
