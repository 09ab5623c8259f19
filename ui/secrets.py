"""The GUI's own secrets: the system keyring, or a 0600 file where there is none.

``SecretStore(fallback)`` uses ``keyring`` when a real backend exists (not
the "fail" or "null" backends of headless machines); otherwise it keeps the
secrets in a JSON file readable only by the user, written atomically.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import platformdirs

__all__ = ["SecretStore", "keyring_available", "default_fallback"]

SERVICE = "mailroom"


def default_fallback() -> Path:
    return Path(platformdirs.user_config_dir("mailroom", appauthor=False)) / "secrets.json"


def keyring_available() -> bool:
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return False
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return False
    with contextlib.suppress(Exception):
        from keyring.backends import null

        if isinstance(backend, null.Keyring):
            return False
    return float(getattr(backend, "priority", 0)) > 0


class SecretStore:
    def __init__(self, fallback: Path | None = None, use_keyring: bool | None = None) -> None:
        self.fallback = fallback or default_fallback()
        self.use_keyring = keyring_available() if use_keyring is None else use_keyring

    @property
    def backend(self) -> str:
        return "keyring" if self.use_keyring else f"file {self.fallback}"

    def get(self, name: str) -> str | None:
        if self.use_keyring:
            import keyring

            return keyring.get_password(SERVICE, name)
        return self._read().get(name)

    def set(self, name: str, value: str) -> None:
        if self.use_keyring:
            import keyring

            keyring.set_password(SERVICE, name, value)
            return
        data = self._read()
        data[name] = value
        self._write(data)

    def delete(self, name: str) -> None:
        if self.use_keyring:
            import keyring
            import keyring.errors

            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                keyring.delete_password(SERVICE, name)
            return
        data = self._read()
        if data.pop(name, None) is not None:
            self._write(data)

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.fallback.read_text())
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write(self, data: dict[str, str]) -> None:
        self.fallback.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.fallback.with_name(self.fallback.name + ".tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.fallback)
        os.chmod(self.fallback, 0o600)
