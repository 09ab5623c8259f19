"""A private Dovecot instance (IMAP + POP3) on loopback high ports, for read benchmarks.

Set up as ``../shared/PEERS.md`` describes: its own config file, base and
state directories inside one work directory, a passwd-file (``scheme``:
PLAIN by default, any scheme ``doveadm pw`` knows, or ARGON2ID-MAILROOM:
argon2id with Mailroom's parameters, so a LOGIN costs both the same hash),
a static userdb (mail owned by ``nobody``), ``ssl = no``. Process and
per-user+IP limits are raised so that hundreds of sessions from one user
can be held open. Never on a standard port.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from bench.peers.base import HOST, ServerError, free_port, proc_status_kb, with_descendants

OWNER = (65534, 65534)  # files given to Dovecot must belong to the mail user

__all__ = ["Dovecot", "dovecot_available"]

_UID, _GID = OWNER  # nobody/nogroup: Dovecot refuses to serve mail as root


def dovecot_available() -> bool:
    return shutil.which("dovecot") is not None or Path("/usr/sbin/dovecot").exists()


class Dovecot:
    name = "dovecot"

    def __init__(self, workdir: Path, user: str, password: str, scheme: str = "PLAIN") -> None:
        self.workdir = workdir
        self.user = user
        self.password = password
        self.scheme = scheme.upper()
        self.imap_port = free_port()
        self.pop3_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.peak_kb = 0

    @property
    def maildir(self) -> Path:
        return self.workdir / "home" / self.user / "Maildir"

    def start(self) -> None:
        w = self.workdir
        for sub in ("run", "state", "home"):
            (w / sub).mkdir(parents=True, exist_ok=True)
        w.chmod(0o755)
        (w / "passwd").write_text(f"{self.user}:{self._hashed()}::::::\n")
        conf = w / "dovecot.conf"
        conf.write_text(
            f"""
base_dir = {w}/run
state_dir = {w}/state
log_path = {w}/dovecot.log
listen = 127.0.0.1
protocols = imap pop3
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = 1
mail_location = maildir:{w}/home/%u/Maildir
pop3_uidl_format = %08Xu%08Xv
default_process_limit = 1500
default_client_limit = 4000
mail_max_userip_connections = 1000
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {w}/passwd
}}
userdb {{
  driver = static
  args = uid={_UID} gid={_GID} home={w}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {self.pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"""
        )
        for root, dirs, files in os.walk(w / "home"):
            for name in dirs + files:
                os.chown(os.path.join(root, name), _UID, _GID)
        os.chown(w / "home", _UID, _GID)
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        self.proc = subprocess.Popen([binary, "-F", "-c", str(conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise ServerError(f"dovecot exited: {err}")
            with contextlib.suppress(OSError), socket.create_connection(
                (HOST, self.imap_port), timeout=2
            ) as s:
                if s.recv(100).startswith(b"* OK"):
                    return
            time.sleep(0.1)
        raise ServerError("dovecot did not start")

    def _hashed(self) -> str:
        if self.scheme == "PLAIN":
            return "{PLAIN}" + self.password
        if self.scheme == "ARGON2ID-MAILROOM":
            # Mailroom's own argon2id parameters (appliance/auth), so that a LOGIN
            # costs both servers the same hash; libsodium reads them from the string.
            from argon2 import PasswordHasher

            hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
            return "{ARGON2ID}" + hasher.hash(self.password)
        doveadm = shutil.which("doveadm") or "/usr/bin/doveadm"
        out = subprocess.run([doveadm, "pw", "-s", self.scheme, "-p", self.password],
                             capture_output=True, text=True, check=False)
        if out.returncode != 0 or not out.stdout.startswith("{"):
            raise ServerError(f"doveadm pw -s {self.scheme}: {out.stderr.strip()}")
        return out.stdout.strip()

    def pids(self) -> list[int]:
        return with_descendants(self.proc.pid) if self.proc else []

    def sample_rss(self) -> None:
        if self.proc is None:
            return
        total = sum(proc_status_kb(pid, "VmRSS") or 0 for pid in with_descendants(self.proc.pid))
        self.peak_kb = max(self.peak_kb, total)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
