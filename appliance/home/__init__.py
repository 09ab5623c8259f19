"""The data directory: one directory holds everything Mailroom keeps.

Resolution order: an explicit ``--data-dir``, then ``$MAILROOM_HOME``, then a
per-platform default (``/var/lib/mailroom`` for root on POSIX, the user's
data directory otherwise). A backup of this directory is a complete backup.
"""

from __future__ import annotations

import os
import stat
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

    @property
    def maildrop(self) -> Path:
        """Where any local user's ``sendmail`` drops mail for pickup (Postfix's postdrop)."""
        return self.root / "maildrop"

    def open_maildrop(self) -> None:
        """Let every local user reach ``maildrop/`` and nothing else (at daemon start).

        The data directory becomes 0711: others may pass through it to
        ``maildrop/`` but not list it, so everything else in it is first
        made owner-only (the database holds password hashes). ``maildrop/``
        itself is 1733, like Postfix's: anyone may add a file, nobody but
        the owner may list it, and the sticky bit keeps users from
        removing or renaming each other's files.
        """
        self.maildrop.mkdir(exist_ok=True)
        (self.maildrop / "bad").mkdir(mode=0o700, exist_ok=True)
        for entry in os.scandir(self.root):
            if entry.name == self.maildrop.name or entry.is_symlink():
                continue
            mode = stat.S_IMODE(entry.stat().st_mode)
            if mode & 0o077:
                os.chmod(entry.path, mode & 0o700)
        os.chmod(self.maildrop / "bad", 0o700)
        os.chmod(self.maildrop, 0o1733)
        os.chmod(self.root, 0o711)

    def initialized(self) -> bool:
        return self.db.exists()

    def create(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        # The data directory holds password hashes, keys and everyone's mail.
        os.chmod(self.root, 0o700)
        for sub in (self.mail, self.queue, self.tls, self.logs, self.backups, self.run):
            sub.mkdir(exist_ok=True)
