"""Which queue files are being worked on: one owner at a time per queue ID.

The local delivery thread and the event loop's workers both take queue
files; a file taken by both at once would be delivered twice. ``claim`` is
an atomic test-and-set under a lock, so exactly one of them gets it.
"""

from __future__ import annotations

import threading

__all__ = ["Claims"]


class Claims:
    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    def claim(self, qid: str) -> bool:
        """Take ``qid``; False when someone else has it."""
        with self._lock:
            if qid in self._ids:
                return False
            self._ids.add(qid)
            return True

    def release(self, qid: str) -> None:
        with self._lock:
            self._ids.discard(qid)

    def __contains__(self, qid: object) -> bool:
        with self._lock:
            return qid in self._ids

    def __len__(self) -> int:
        with self._lock:
            return len(self._ids)
