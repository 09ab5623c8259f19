"""When the GUI restarts a daemon it started that died: pure logic, no Qt.

The rules are systemd's ``Restart=on-failure`` with a back-off: a daemon
that exits 0 or is ended by a "clean" signal (SIGTERM, SIGINT, SIGHUP,
SIGPIPE: someone asked it to stop) stays down; any other exit is a crash
and is restarted after 1 s, then 2 s, 4 s ... up to ``cap``. A daemon that
ran ``stable`` seconds before crashing starts the series again at 1 s, so
one crash a day never waits a minute, while a daemon that dies at every
start does not spin. After ``limit`` crashes in a row (none of them after a
stable run) it gives up: something is wrong that a restart does not fix (a
broken setting, a full disk), and the admin must be told why instead.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass, field

__all__ = ["CLEAN_SIGNALS", "RestartPolicy", "describe_exit", "is_failure"]

CLEAN_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE})


def is_failure(code: int) -> bool:
    """A Popen return code (negative: killed by that signal) that calls for a restart."""
    if code == 0:
        return False
    if code < 0:
        return -code not in CLEAN_SIGNALS
    return True


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by signal {-code} ({name})"
    return f"exited with code {code}"


@dataclass
class RestartPolicy:
    first: float = 1.0
    cap: float = 60.0
    stable: float = 60.0
    limit: int = 10  # crashes in a row: 1+2+4+...+60 s, about 5 minutes of trying
    failures: int = 0
    gave_up: bool = False  # the last crash was one too many: not restarted
    started_at: float | None = field(default=None)

    def started(self, now: float) -> None:
        self.started_at = now

    def stopped(self) -> None:
        """The user stopped (or started) it by hand: the next crash starts again at ``first``."""
        self.failures = 0
        self.gave_up = False
        self.started_at = None

    def died(self, code: int, now: float) -> float | None:
        """Seconds to wait before restarting, or None when it should stay down."""
        ran = None if self.started_at is None else now - self.started_at
        self.started_at = None
        if not is_failure(code):
            self.failures = 0
            self.gave_up = False
            return None
        if ran is not None and ran >= self.stable:
            self.failures = 0
        self.gave_up = self.failures >= self.limit
        if self.gave_up:
            return None
        delay = min(self.cap, self.first * (2 ** min(self.failures, 32)))
        self.failures += 1
        return delay
