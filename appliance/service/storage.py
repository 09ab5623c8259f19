"""Free space in the data directory, as Postfix's ``queue_minfree`` watches it.

While free space is under the reserve (``queue.minfree``), SMTP refuses new
mail at MAIL FROM with ``452 4.3.1`` instead of accepting it and failing to
write it. The check (one ``statvfs``) runs once a second off the event loop;
SMTP reads the last answer, a plain attribute.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path

from appliance.logs import get_logger

__all__ = ["FreeSpace"]

log = get_logger("master")


class FreeSpace:
    def __init__(self, path: Path, minfree: Callable[[], int], interval: float = 1.0,
                 on_change: Callable[[bool], None] | None = None) -> None:
        self.path = path
        self.minfree = minfree
        self.interval = interval
        self.on_change = on_change
        self.free: int | None = None
        self.low = False

    def is_low(self) -> bool:
        return self.low

    def check(self) -> bool:
        """Look at the file system now (blocking, but only a system call)."""
        try:
            st = os.statvfs(self.path)
        except OSError as exc:
            log.warning("cannot check free space in %s: %s", self.path, exc)
            return self.low
        self.free = st.f_bavail * st.f_frsize
        reserve = self.minfree()
        low = reserve > 0 and self.free < reserve
        if low != self.low:
            self.low = low
            if low:
                log.warning("disk space low: %d bytes free in %s, under queue.minfree %d: "
                            "refusing new mail until there is room", self.free, self.path,
                            reserve)
            else:
                log.info("disk space back: %d bytes free in %s: accepting mail again",
                         self.free, self.path)
            if self.on_change is not None:
                self.on_change(low)
        return low

    def to_dict(self) -> dict[str, object]:
        return {"free": self.free, "minfree": self.minfree(), "low": self.low}

    async def watch(self, executor: Executor | None = None) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await loop.run_in_executor(executor, self.check)
            await asyncio.sleep(self.interval)
