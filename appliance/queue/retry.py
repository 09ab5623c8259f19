"""When to try a deferred message again, and when to give up or warn.

Pure arithmetic on timestamps (seconds, e.g. ``time.time()``), so the queue
manager can persist ``arrival`` and ``attempts`` and recompute everything
after a restart.
"""

from __future__ import annotations

# Far beyond any sane cap; stops 2**attempts from growing without bound.
_MAX_DOUBLINGS = 60


def next_retry_delay(attempts: int, *, base: float = 300, cap: float = 3600) -> float:
    """Seconds to wait after ``attempts`` failed delivery attempts.

    1 → base, 2 → 2·base, 3 → 4·base … never more than ``cap``
    (defaults: 5 min, 10, 20, 40, then 60 min for good).
    """
    if base <= 0:
        return 0.0
    doublings = min(max(attempts - 1, 0), _MAX_DOUBLINGS)
    return float(min(base * (2**doublings), max(cap, base)))


def expired(arrival: float, now: float, *, lifetime: float = 5 * 86400) -> bool:
    """True once a message has been queued for ``lifetime`` seconds: bounce it."""
    return now - arrival >= lifetime


def delay_warning_due(
    arrival: float, now: float, *, after: float = 4 * 3600, already_warned: bool
) -> bool:
    """True when the sender should get its one "still trying" notice.

    ``after <= 0`` turns warnings off, as Postfix's delay_warning_time=0 does.
    """
    if already_warned or after <= 0:
        return False
    return now - arrival >= after
