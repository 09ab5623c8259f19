"""Mail statistics (``mailstats``): counts per hour, direction and kind.

Counters are kept in memory and written to the state database every few
seconds, so counting never adds a database commit (an fsync) to the mail
path; a crash loses at most those few seconds of statistics, never mail.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

__all__ = ["Stats", "KINDS", "DIRECTIONS", "summarize"]

KINDS = ("received", "delivered", "deferred", "bounced", "rejected")
DIRECTIONS = ("in", "out")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stats (
    hour TEXT NOT NULL, direction TEXT NOT NULL, kind TEXT NOT NULL,
    count INTEGER NOT NULL, PRIMARY KEY (hour, direction, kind)
);
"""


def _hour(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H", time.localtime(ts))


class Stats:
    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._pending: Counter[tuple[str, str, str]] = Counter()
        self._lock = threading.Lock()
        with sqlite3.connect(db_path) as db:
            db.executescript(_SCHEMA)

    def count(self, direction: str, kind: str, n: int = 1, when: float | None = None) -> None:
        """Thread-safe; cheap enough for every SMTP reply."""
        key = (_hour(time.time() if when is None else when), direction, kind)
        with self._lock:
            self._pending[key] += n

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, Counter()
        if not pending:
            return
        db = sqlite3.connect(self.db_path, timeout=10)
        try:
            with db:
                db.executemany(
                    "INSERT INTO stats(hour, direction, kind, count) VALUES(?, ?, ?, ?) "
                    "ON CONFLICT(hour, direction, kind) "
                    "DO UPDATE SET count = count + excluded.count",
                    [(*key, n) for key, n in pending.items()],
                )
        finally:
            db.close()

    def rows(self, since_hour: str = "") -> list[tuple[str, str, str, int]]:
        """(hour, direction, kind, count), counters not yet written included."""
        with sqlite3.connect(self.db_path, timeout=10) as db:
            db.executescript(_SCHEMA)
            stored = db.execute(
                "SELECT hour, direction, kind, count FROM stats WHERE hour >= ?", (since_hour,)
            ).fetchall()
        merged: Counter[tuple[str, str, str]] = Counter(
            {(h, d, k): c for h, d, k, c in stored}
        )
        with self._lock:
            for key, n in self._pending.items():
                if key[0] >= since_hour:
                    merged[key] += n
        return sorted((h, d, k, c) for (h, d, k), c in merged.items())


def summarize(rows: list[tuple[str, str, str, int]], by: str = "day") -> list[dict[str, Any]]:
    """Group stats rows per day (or hour) and direction, one dict per group."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for hour, direction, kind, count in rows:
        period = hour[:10] if by == "day" else hour
        blank = {"period": period, "direction": direction, **dict.fromkeys(KINDS, 0)}
        entry = groups.setdefault((period, direction), blank)
        if kind in KINDS:
            entry[kind] += count
    return [groups[k] for k in sorted(groups)]
