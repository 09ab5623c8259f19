"""The data directory: one directory holds everything Mailroom keeps.

Resolution order: an explicit ``--data-dir``, then ``$MAILROOM_HOME``, then a
per-platform default (``/var/lib/mailroom`` for root on POSIX, the user's
data directory otherwise). A backup of this directory is a complete backup.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

__all__ = ["Home", "default_home", "resolve_home"]


def default_home() -> Path:
    if sys.platform != "win32" and os.geteuid() == 0:
        return Path("/var/lib/mailroom")
    return Path(platformdirs.user_data_dir("mailroom", appauthor=False))


def resolve_home(data_dir: str | os.PathLike[str] | None = None) -> Home:
    if data_dir:
        return Home(Path(data_dir).expanduser().resolve())
    env = os.environ.get("MAILROOM_HOME")
    if env:
        return Home(Path(env).expanduser().resolve())
    return Home(default_home())


@dataclass(frozen=True)
class Home:
    root: Path

    @property
    def db(self) -> Path:
        return self.root / "mailroom.db"

    @property
    def mail(self) -> Path:
        return self.root / "mail"

    @property
    def queue(self) -> Path:
        return self.root / "queue"

    @property
    def tls(self) -> Path:
        return self.root / "tls"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def run(self) -> Path:
        """Files that describe the running daemon (control endpoint, pid)."""
        return self.root / "run"

    @property
    def control_secret(self) -> Path:
        return self.root / "control.secret"

    @property
    def log_file(self) -> Path:
        return self.logs / "mailroom.log"

    def initialized(self) -> bool:
        return self.db.exists()

    def create(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        # The data directory holds password hashes, keys and everyone's mail.
        os.chmod(self.root, 0o700)
        for sub in (self.mail, self.queue, self.tls, self.logs, self.backups, self.run):
            sub.mkdir(exist_ok=True)
