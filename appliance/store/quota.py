"""Quota usage of an account: Maildir++ ``maildirsize``, as Dovecot keeps it.

The file's first line is the quota definition (``0S``: none here, the limit
lives in the state database); every later line is "<bytes> <messages>", a
change or a full count. Deliveries append a line (one short ``O_APPEND`` write
is atomic against other appenders); once the file passes 5,120 bytes, or is
missing or unreadable, it is recalculated from the folders, with sizes from
the ``,S=`` name field where there is one (no ``stat``).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from appliance.store import maildir as md

__all__ = [
    "MAILDIRSIZE_MAX",
    "QuotaExceeded",
    "QuotaMixin",
    "add_usage",
    "dir_usage",
    "read_maildirsize",
    "recalculate",
]

MAILDIRSIZE_MAX = 5120  # Maildir++: recalculate once the file grows past this


class QuotaExceeded(Exception):
    pass


def read_maildirsize(home: Path) -> tuple[int, int] | None:
    """(bytes, messages) summed from ``maildirsize``, or None when it must be
    recalculated (missing, unreadable, or grown past ``MAILDIRSIZE_MAX``)."""
    try:
        with open(home / "maildirsize", encoding="ascii") as f:
            text = f.read()
        total = count = 0
        for line in text.splitlines()[1:]:
            parts = line.split()
            if len(parts) == 2:
                total += int(parts[0])
                count += int(parts[1])
    except (FileNotFoundError, ValueError):
        return None
    return (total, count) if len(text) <= MAILDIRSIZE_MAX else None


def dir_usage(folder_dir: Path) -> tuple[int, int]:
    """(bytes, messages) in one folder's new/ and cur/."""
    total = count = 0
    for sub in ("new", "cur"):
        try:
            entries = os.scandir(folder_dir / sub)
        except FileNotFoundError:
            continue
        with entries:
            for entry in entries:
                size = md.size_from_name(entry.name)
                if size is None:
                    try:
                        size = entry.stat().st_size
                    except FileNotFoundError:
                        continue
                total += size
                count += 1
    return total, count


def recalculate(home: Path, known: dict[Path, tuple[int, int]] | None = None) -> tuple[int, int]:
    """Rewrite ``maildirsize`` from the folders (``known``: usage already counted)."""
    total = count = 0
    if home.is_dir():
        # Only directories: the home also holds dot-files (Sieve's .dovecot.sieve link).
        for folder in [home, *(p for p in home.iterdir()
                               if p.name.startswith(".") and p.is_dir())]:
            if known and folder in known:
                t, c = known[folder]
            else:
                t, c = dir_usage(folder)
            total += t
            count += c
        tmp = home / f"maildirsize.{os.getpid()}.{threading.get_ident()}"
        tmp.write_text(f"0S\n{total} {count}\n")
        os.replace(tmp, home / "maildirsize")
    return total, count


def add_usage(home: Path, size: int, count: int) -> None:
    """Record a change in usage (negative when messages leave)."""
    path = home / "maildirsize"
    if not path.exists():
        recalculate(home)
        return
    # One short O_APPEND write is atomic against other appenders.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, f"{size} {count}\n".encode())
    finally:
        os.close(fd)


class QuotaMixin:
    """The account's side of quota: its Maildir home is ``self.path``."""

    path: Path

    def usage(self) -> tuple[int, int]:
        """(bytes, messages) in the account, from ``maildirsize`` (recomputed if missing)."""
        found = read_maildirsize(self.path)
        return found if found is not None else recalculate(self.path)

    def _dir_usage(self, folder_dir: Path) -> tuple[int, int]:
        return dir_usage(folder_dir)

    def _recalculate(self, known: dict[Path, tuple[int, int]] | None = None) -> tuple[int, int]:
        return recalculate(self.path, known)

    def _add_usage(self, size: int, count: int) -> None:
        add_usage(self.path, size, count)
