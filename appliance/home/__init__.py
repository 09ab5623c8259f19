"""The data directory: one directory holds everything Mailroom keeps.

Resolution order: an explicit ``--data-dir``, then ``$MAILROOM_HOME``, then a
per-platform default: ``/var/lib/mailroom`` for root on POSIX and for
everyone where the system service is installed (``appliance.home.service``:
its administrators and local ``sendmail`` users reach that daemon), the
user's data directory otherwise. A backup of this directory is a complete
backup.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Home", "default_home", "resolve_home"]


def default_home() -> Path:
    from appliance.home.service import SERVICE_DATA_DIR, unit_installed

    if sys.platform != "win32" and (os.geteuid() == 0 or unit_installed()):
        return SERVICE_DATA_DIR
    import platformdirs  # only without --data-dir/MAILROOM_HOME: 28 modules the daemon rarely needs

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

    def control_group(self) -> int | None:
        """The group this daemon shares its control endpoint with, if any.

        Only a daemon running with the administrators' group as its own
        (the system service, ``User=mailroom``) shares: one a user runs from
        source keeps its secret to itself.
        """
        from appliance.home.service import group_gid, service_group

        gid = group_gid(service_group())
        return gid if gid is not None and gid == os.getegid() else None

    def share_control(self, gid: int, extra: list[Path] | None = None) -> None:
        """Let group ``gid`` reach ``run/`` and read the control endpoint and secret.

        Nothing else: the data directory stays closed to the group (0711,
        passing through only), like the database and the mail.
        """
        os.chmod(self.root, stat.S_IMODE(self.root.stat().st_mode) | 0o010)
        for path, mode in ((self.run, 0o750), (self.control_secret, 0o640),
                           *((p, 0o640) for p in extra or [])):
            os.chown(path, -1, gid)
            os.chmod(path, mode)

    def initialized(self) -> bool:
        return self.db.exists()

    def create(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        # The data directory holds password hashes, keys and everyone's mail.
        os.chmod(self.root, 0o700)
        for sub in (self.mail, self.queue, self.tls, self.logs, self.backups, self.run):
            sub.mkdir(exist_ok=True)
