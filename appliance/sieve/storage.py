"""Per-account Sieve scripts, stored the way Dovecot Pigeonhole stores them.

An account's home is its Maildir root, ``<data>/mail/<domain>/<local>/``
(Dovecot: ``mail_home = <data>/mail/%d/%n`` with ``mail_location =
maildir:~``). In it, Pigeonhole's defaults: the scripts in ``sieve/NAME.sieve``
and the active one named by the symlink ``.dovecot.sieve`` →
``sieve/NAME.sieve`` (``sieve = file:~/sieve;active=~/.dovecot.sieve``). A
Maildir++ folder is a *directory* whose name starts with a dot, so neither
``sieve/`` nor the ``.dovecot.sieve`` link is ever taken for a mail folder,
by us or by Dovecot.

The out-of-office script Mailroom generates lives beside them as
``.mailroom-vacation.sieve`` and runs before the user's script (Dovecot:
``sieve_before = ~/.mailroom-vacation.sieve``), so the user may rewrite
their own script freely.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

from appliance.sieve.script import SieveError, check

__all__ = [
    "ACTIVE_LINK",
    "MAX_SCRIPTS",
    "ScriptActive",
    "ScriptExists",
    "ScriptNotFound",
    "ScriptStore",
    "account_home",
    "check_name",
    "write_private",
]

ACTIVE_LINK = ".dovecot.sieve"
SCRIPT_DIR = "sieve"
SUFFIX = ".sieve"
MAX_SCRIPTS = 64
MAX_NAME = 128


class ScriptNotFound(SieveError):
    """No script of that name (ManageSieve: NONEXISTENT)."""


class ScriptActive(SieveError):
    """The active script cannot be deleted (ManageSieve: ACTIVE)."""


class ScriptExists(SieveError):
    """A script of the new name exists already (ManageSieve: ALREADYEXISTS)."""


def account_home(data_dir: Path, address: str) -> Path:
    """The home of ``address`` under the data directory: its Maildir root.

    Same rule as ``appliance.store.Mailstore.maildir``: the lower-cased
    address, ``mail/<domain>/<local>``.
    """
    local, _, domain = address.lower().rpartition("@")
    for part in (local, domain):
        if not part or "/" in part or "\\" in part or part.startswith(".") or "\0" in part:
            raise ValueError(f"unsafe mailbox name {address!r}")
    return Path(data_dir) / "mail" / domain / local


def check_name(name: str) -> None:
    """Refuse a script name that could escape ``sieve/`` or confuse a client."""
    if not name or len(name) > MAX_NAME:
        raise SieveError(f"a script name must have 1 to {MAX_NAME} characters")
    if name.startswith(".") or any(ch in name for ch in "/\\") or any(
        ord(ch) < 32 or ord(ch) == 127 for ch in name
    ):
        raise SieveError(f"bad script name {name!r}: no '/', '\\', control "
                         "characters or leading dot")


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (mode 0600) durably: a reader sees the old or the new file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ScriptStore:
    """The Sieve scripts of one account; safe to use from several threads."""

    _locks: dict[Path, threading.Lock] = {}
    _locks_guard = threading.Lock()

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.dir = self.home / SCRIPT_DIR
        self.link = self.home / ACTIVE_LINK
        with self._locks_guard:
            self._lock = self._locks.setdefault(self.home, threading.Lock())

    def _path(self, name: str) -> Path:
        check_name(name)
        return self.dir / f"{name}{SUFFIX}"

    def list(self) -> list[tuple[str, bool]]:
        """(name, active) of every script, sorted by name."""
        active = self.active()
        try:
            names = sorted(
                entry.name[: -len(SUFFIX)]
                for entry in os.scandir(self.dir)
                if entry.name.endswith(SUFFIX) and entry.is_file()
                and not entry.name.startswith(".")
            )
        except FileNotFoundError:
            return []
        return [(name, name == active) for name in names]

    def get(self, name: str) -> str:
        try:
            return self._path(name).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ScriptNotFound(f"no script named {name!r}") from None

    def path(self, name: str) -> Path:
        """Where script ``name`` is stored (it may not exist)."""
        return self._path(name)

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def put(self, name: str, text: str) -> None:
        """Check ``text`` and store it as ``name`` (replacing one of that name)."""
        path = self._path(name)
        check(text)
        with self._lock:
            if not path.exists() and len(self.list()) >= MAX_SCRIPTS:
                raise SieveError(f"at most {MAX_SCRIPTS} scripts per account")
            self._write(path, text)

    def _write(self, path: Path, text: str) -> None:
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private(path, text)
        _fsync_dir(self.dir)

    def delete(self, name: str) -> None:
        path = self._path(name)
        with self._lock:
            if self.active() == name:
                raise ScriptActive(f"script {name!r} is active; deactivate it first")
            try:
                path.unlink()
            except FileNotFoundError:
                raise ScriptNotFound(f"no script named {name!r}") from None

    def active(self) -> str | None:
        """The active script's name, or None (no link, or a dangling one)."""
        try:
            target = os.readlink(self.link)
        except OSError:
            return None
        base = os.path.basename(target)
        if not base.endswith(SUFFIX) or not (self.home / target).is_file():
            return None
        return base[: -len(SUFFIX)]

    def active_path(self) -> Path | None:
        name = self.active()
        return None if name is None else self._path(name)

    def activate(self, name: str | None) -> None:
        """Make ``name`` the active script; None: no script is active."""
        with self._lock:
            if name is None:
                with contextlib.suppress(FileNotFoundError):
                    self.link.unlink()
                return
            if not self._path(name).is_file():
                raise ScriptNotFound(f"no script named {name!r}")
            self._link(name)

    def _link(self, name: str) -> None:
        # Relative, as Pigeonhole writes it, so the home can move.
        tmp = self.home / f"{ACTIVE_LINK}.{os.getpid()}.{threading.get_ident()}.tmp"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.symlink(f"{SCRIPT_DIR}/{name}{SUFFIX}", tmp)
        os.replace(tmp, self.link)
        _fsync_dir(self.home)

    def rename(self, old: str, new: str) -> None:
        src, dst = self._path(old), self._path(new)
        with self._lock:
            if not src.is_file():
                raise ScriptNotFound(f"no script named {old!r}")
            if dst.exists():
                raise ScriptExists(f"a script named {new!r} exists already")
            was_active = self.active() == old
            os.rename(src, dst)
            if was_active:
                self._link(new)
            _fsync_dir(self.dir)
