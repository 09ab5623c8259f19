"""glibc malloc settings for a long-running daemon with a big thread pool.

Left alone, glibc raises its mmap threshold to the size of the largest
block freed so far (up to 32 MiB). After the first login, each argon2
verification's 19 MiB working area then comes from the calling thread's
malloc arena instead of its own mapping, and a freed arena keeps it: 20
logins at once across the pool left about 470 MB resident for good
(measured: 23 MB → 490 MB; ``malloc_trim`` got back only 100 MB of it).
A fixed threshold keeps such blocks in mappings of their own, returned
to the system the moment they are freed, and stops the trim threshold
from growing with it.

Freed blocks below the threshold stay in the heap too: after 500 IMAP
sessions log out, Python has freed their state but glibc still holds it
(measured 91 MB resident, 46 MB after ``malloc_trim``). ``release_soon``
trims once after a burst of ended sessions.

Elsewhere than glibc (musl, macOS) these are no-ops.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import weakref
from collections.abc import Callable

__all__ = ["MMAP_THRESHOLD", "Releaser", "release_free_memory", "release_soon",
           "tune_for_daemon"]

_M_MMAP_THRESHOLD = -3  # glibc <malloc.h>
# Blocks this big or bigger get a mapping of their own. Message files above
# it are rare; every argon2 working area (19 MiB) is far above it.
MMAP_THRESHOLD = 1 << 20


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None)  # the process's own symbols: libc's malloc is among them
    except OSError:
        return None
    if not hasattr(libc, "mallopt") or not hasattr(libc, "malloc_trim"):
        return None
    return libc


def tune_for_daemon() -> bool:
    """Fix the mmap threshold (see the module's doc); False where that is not glibc."""
    libc = _libc()
    return libc is not None and libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1


def release_free_memory() -> bool:
    """Hand free heap pages back to the system (glibc ``malloc_trim(0)``)."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


class Releaser:
    """One ``release`` (off the event loop) ``delay`` seconds after the first of a burst
    of calls to ``soon``: a burst of 500 logouts costs one trim (~20 ms), not 500."""

    def __init__(self, delay: float = 1.0,
                 release: Callable[[], object] = release_free_memory) -> None:
        self.delay = delay
        self.release = release
        self._due: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()

    def soon(self) -> None:
        """Ask for a release; a no-op outside an event loop or while one is due."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if loop in self._due:
            return
        self._due.add(loop)
        loop.call_later(self.delay, self._run, loop)

    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        self._due.discard(loop)
        # malloc_trim walks the heap holding its lock: not on the loop's thread.
        with contextlib.suppress(RuntimeError):  # the executor shut down: the daemon is ending
            loop.run_in_executor(None, self.release)


_after_sessions = Releaser()


def release_soon() -> None:
    """A session ended: give its memory back to the system once the burst is over."""
    _after_sessions.soon()
