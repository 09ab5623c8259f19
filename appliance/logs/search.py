"""The log lines about one queued message, from the log file and its rotated copies."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["lines_about", "QUEUE_ID"]

# Queue IDs are upper-case letters and digits (appliance.queue.spool.new_queue_id);
# anything else is refused rather than searched for.
QUEUE_ID = re.compile(r"[0-9A-Z]{6,20}")


def _files(path: Path, keep: int) -> list[Path]:
    """Oldest first: mailroom.log.N ... mailroom.log.1, mailroom.log."""
    rotated = [path.with_name(f"{path.name}.{n}") for n in range(keep, 0, -1)]
    return [p for p in (*rotated, path) if p.exists()]


def lines_about(path: Path, qid: str, limit: int = 500, keep: int = 9) -> list[str]:
    """Every line naming ``qid`` (the last ``limit`` of them), oldest first.

    Reads each file whole: the log rotates at 10 MB, and a bytes search
    through that takes milliseconds.
    """
    if not QUEUE_ID.fullmatch(qid):
        raise ValueError(f"not a queue ID: {qid!r}")
    needle = qid.encode()
    found: list[str] = []
    for file in _files(path, keep):
        try:
            data = file.read_bytes()
        except OSError:  # rotated away between listing and reading
            continue
        start = data.find(needle)
        while start >= 0:
            begin = data.rfind(b"\n", 0, start) + 1
            end = data.find(b"\n", start)
            end = len(data) if end < 0 else end
            found.append(data[begin:end].decode("utf-8", "replace"))
            start = data.find(needle, end)
    return found[-limit:] if limit > 0 else []
