"""A bare Maildir for tests that drive the store's parts without an account."""

from __future__ import annotations

from pathlib import Path


def make_maildir(path: Path) -> Path:
    for sub in ("new", "cur", "tmp"):
        (path / sub).mkdir(parents=True)
    return path
