"""A consistent copy of the state database, taken before an upgrade migrates it.

SQLite's online backup API copies a consistent state even while a writer is
active (copying the file could catch a half-written page or miss the WAL).
The copy appears under its final name only once complete, owner-only, since
the database holds password hashes.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

__all__ = ["snapshot_database"]


def snapshot_database(db: Path, dest: Path) -> Path:
    if not db.exists():
        raise FileNotFoundError(f"no state database at {db}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    source = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()
    with open(partial, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, dest)
    return dest
