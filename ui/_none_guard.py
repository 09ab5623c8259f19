"""Keeps Python 3.11 alive under PySide6 6.12.0, which loses a reference to None.

Every call of a PySide6 6.12.0 method that returns nothing (``setText``,
``setValue``, ``setObjectName``...) drops one reference to ``None`` without
having taken it (measured: ``setObjectName`` 1,000 times lowers
``sys.getrefcount(None)`` by 1,000; 6.11.3 does not). An idle main window
with the daemon up loses about 20 a second, and Python aborts with "Fatal
Python error: none_dealloc: deallocating None" when the count reaches zero:
after about half an hour, sooner on a busy Logs page. Python 3.12 made
``None`` immortal (PEP 683); here its count is raised far out of reach once,
at import, which is the same thing for this process.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["guard_none"]

_HEADROOM = 1 << 60  # decades of leaks at any rate a GUI can make


def guard_none() -> None:
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return  # None is immortal there
    # ob_refcnt is the first field of every object in CPython 3.11 (not a debug build).
    refcnt = ctypes.c_ssize_t.from_address(id(None))
    if refcnt.value < _HEADROOM:
        refcnt.value += _HEADROOM
