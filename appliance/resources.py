"""Finds the files under ``resources/`` the same way from source and frozen.

From a source checkout they sit beside ``appliance/``; in a PyInstaller build
they are unpacked under ``sys._MEIPASS`` (the one-folder build's
``_internal/``, the one-file build's temporary directory). Nothing else in the
program should know which of the two it is running as.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

__all__ = ["resource_dir", "resource_path", "read_template"]


def resource_dir() -> Path:
    frozen_base = getattr(sys, "_MEIPASS", None)
    if frozen_base:
        return Path(frozen_base) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """A file under resources/; FileNotFoundError names it when it is missing."""
    path = resource_dir().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"missing resource {'/'.join(parts)} (looked in {path})")
    return path


@functools.cache
def read_template(name: str) -> str:
    """A message template from resources/templates, read once per process."""
    return resource_path("templates", name).read_text(encoding="utf-8")
