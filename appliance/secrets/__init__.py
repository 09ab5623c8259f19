"""The secrets store: one file in the data directory that only the daemon's user can read.

It holds what must never sit in the database, a log line or an API answer:
the smarthost password today, DKIM and backup keys next. A small API by
name (``get``/``set``/``delete``/``names``) over a JSON object in
``secrets.json``, mode 0600. Every change replaces the whole file
atomically (a 0600 temporary file, fsync, rename, fsync of the directory),
so a crash leaves the old or the new secrets, never a torn file or a moment
where the file is readable by others. Writers in several processes (the
daemon, a CLI run while it is down) are serialised by a lock on the
directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: one process at a time is all we promise there
    fcntl = None  # type: ignore[assignment]

__all__ = ["SecretStore", "SecretsError", "SECRETS_FILE"]

SECRETS_FILE = "secrets.json"


class SecretsError(OSError):
    """The secrets file exists but cannot be used (unreadable, not JSON)."""


class SecretStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._cache: tuple[tuple[int, int, int], dict[str, str]] | None = None

    @classmethod
    def in_data_dir(cls, root: Path) -> SecretStore:
        return cls(root / SECRETS_FILE)

    # -- reading ----------------------------------------------------------

    def get(self, name: str) -> str | None:
        return self._read().get(name)

    def names(self) -> list[str]:
        return sorted(self._read())

    def _read(self) -> dict[str, str]:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return {}
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        cached = self._cache
        if cached is not None and cached[0] == key:
            return cached[1]
        if stat.S_IMODE(st.st_mode) & 0o077:
            # Copied in by hand or restored with a loose umask: tighten it
            # before anyone else gets another chance to read it.
            os.chmod(self.path, 0o600)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SecretsError(f"cannot read the secrets file {self.path}: {exc}") from exc
        if not isinstance(data, dict):
            raise SecretsError(f"the secrets file {self.path} is not a JSON object")
        secrets = {str(k): str(v) for k, v in data.items()}
        self._cache = (key, secrets)
        return secrets

    # -- writing ----------------------------------------------------------

    def set(self, name: str, value: str) -> None:
        if not name:
            raise ValueError("a secret needs a name")
        with self._locked():
            data = dict(self._read())
            if data.get(name) == value:
                return
            data[name] = value
            self._write(data)

    def delete(self, name: str) -> bool:
        """Forget ``name``; False when there was nothing to forget."""
        with self._locked():
            data = dict(self._read())
            if data.pop(name, None) is None:
                return False
            self._write(data)
            return True

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            if fcntl is None:
                yield
                return
            fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                self._cache = None  # another process may have written since
                yield
            finally:
                os.close(fd)  # closing releases the lock

    def _write(self, data: dict[str, str]) -> None:
        directory = self.path.parent
        # mkstemp creates the file 0600 whatever the umask: no moment where
        # the new secrets are readable by anyone else.
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1, sort_keys=True)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(OSError):  # not every platform can fsync a directory
            dfd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        self._cache = None
