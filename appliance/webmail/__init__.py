"""Webmail: Debian's Roundcube, wired to Mailroom and served by a web stack Mailroom runs.

Mailroom owns only configuration and processes; Roundcube, php-fpm and
nginx come from Debian (``packages``) and are upgraded by apt. Everything
Mailroom writes lives in ``DATA/webmail/`` (``config``): the files are
rewritten from the settings at every start, the users' Roundcube settings
and address books stay in ``db/roundcube.sqlite`` across ``disable`` and
``enable``.

Processes: one nginx master (one worker) and one php-fpm master (workers
on demand), started with their own configuration files and pid files in
``DATA/webmail/run/``, never as the system's ``nginx``/``php-fpm`` services
and never through ``/etc/nginx/sites-*``. The daemon starts them at its
start when ``webmail.enabled`` (on its own listen addresses and port offset,
so tests and trial runs stay on high ports) and stops them when it stops;
``webmail enable`` with no daemon running starts them on their own.

As root (running from source), the stack runs as the data directory's
owner; for the system service that is the ``mailroom`` user, the daemon's
own, so nothing runs as root.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from appliance.logs import get_logger
from appliance.webmail.config import (
    ROUNDCUBE_ROOT,
    Layout,
    Plan,
    nginx_conf,
    php_fpm_conf,
    prepend_php,
    roundcube_conf,
)
from appliance.webmail.packages import binaries, install_command, missing
from appliance.webmail.proxy import PLUGIN_PHP, TOKEN_SECRET

__all__ = ["DES_KEY_SECRET", "Webmail", "WebmailError", "url_for"]

log = get_logger("webmail")

DES_KEY_SECRET = "webmail.des_key"
_STANDARD = {"imap": 143, "submission": 587, "managesieve": 4190}


class WebmailError(RuntimeError):
    pass


def url_for(hostname: str, port: int) -> str:
    return f"https://{hostname}{'' if port == 443 else f':{port}'}/webmail/"


def _backend(listen: list[str]) -> str:
    """Where Roundcube reaches the daemon's listeners: loopback when they bind it."""
    if not listen or any(h in ("0.0.0.0", "127.0.0.1") for h in listen):
        return "127.0.0.1"
    if any(h in ("::", "::1") for h in listen):
        return "::1"
    return listen[0]


def _alive(pid_file: Path, program: str) -> int | None:
    """The pid in ``pid_file`` if that process runs and is ``program``."""
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if program.encode() in cmdline and not _gone(pid) else None


def _gone(pid: int) -> bool:
    """Has ``pid`` exited? A zombie has: its parent (init, for a daemon) reaps it later."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")


class Webmail:
    """The web stack of one data directory."""

    def __init__(self, data_dir: Path, state: Any) -> None:
        self.data_dir = Path(data_dir)
        self.state = state
        self.layout = Layout(self.data_dir / "webmail")

    # -- the plan --------------------------------------------------------------

    def _secret(self, name: str, make: int) -> str:
        value = self.state.secrets.get(name)
        if not value:
            value = secrets.token_urlsafe(make)[:make]
            self.state.secrets.set(name, value)
        return str(value)

    def _cert(self) -> tuple[Path, Path]:
        tls = self.data_dir / "tls"
        cert = self.state.get_setting("tls.cert") or str(tls / "cert.pem")
        key = self.state.get_setting("tls.key") or str(tls / "key.pem")
        return Path(cert), Path(key)

    def plan(self, listen: list[str] | None = None, offset: int = 0) -> Plan:
        settings = self.state.settings()
        hosts = list(listen or settings["listen"])
        cert, key = self._cert()
        run_as = None
        if os.geteuid() == 0:
            run_as = pwd.getpwuid(os.stat(self.data_dir).st_uid).pw_name
        domains = self.state.domains()
        return Plan(
            layout=self.layout, listen=hosts, port=settings["webmail.port"] + offset,
            backend=_backend(hosts),
            imap_port=settings["imap.port"] + offset,
            submission_port=settings["submission.port"] + offset,
            managesieve_port=settings["managesieve.port"] + offset,
            hostname=settings["hostname"], domain=domains[0] if domains else "",
            cert=cert, key=key,
            # Roundcube's des_key is 24 bytes; it encrypts the session's password.
            des_key=self._secret(DES_KEY_SECRET, 24),
            proxy_token=self._secret(TOKEN_SECRET, 32),
            run_as=run_as,
        )

    # -- files -----------------------------------------------------------------

    @staticmethod
    def _cert_stamp(plan: Plan) -> str:
        parts = []
        for path in (plan.cert, plan.key):
            st = os.stat(path)
            parts.append(f"{path}:{st.st_ino}:{st.st_mtime_ns}:{st.st_size}")
        return "\n".join(parts) + "\n"

    @staticmethod
    def _read(path: Path) -> str:
        try:
            return path.read_text()
        except OSError:
            return ""

    def _write(self, path: Path, text: str, mode: int = 0o600) -> bool:
        """Write ``path`` if its text changed; True when it did."""
        with contextlib.suppress(FileNotFoundError):
            if path.read_text() == text:
                return False
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
        return True

    def write_files(self, plan: Plan) -> bool:
        """Every configuration file from ``plan``; True when any changed."""
        lay = self.layout
        for d in (lay.root, lay.config, lay.plugins, *lay.writable()):
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (lay.nginx_temp / kind).mkdir(exist_ok=True, mode=0o700)
        changed = False
        readable = 0o640 if plan.run_as else 0o600
        changed |= self._write(lay.config / "config.inc.php", roundcube_conf(plan), readable)
        for name in ("defaults.inc.php", "mimetypes.php"):
            link = lay.config / name
            if not link.is_symlink() and (Path("/etc/roundcube") / name).exists():
                link.symlink_to(Path("/etc/roundcube") / name)
        changed |= self._write(lay.root / "prepend.php", prepend_php(plan), readable)
        changed |= self._write(lay.root / "php-fpm.conf", php_fpm_conf(plan))
        changed |= self._write(lay.root / "nginx.conf", nginx_conf(plan))
        # Roundcube's own plugins as Debian ships them, plus ours.
        system_plugins = ROUNDCUBE_ROOT / "plugins"
        if system_plugins.is_dir():
            for entry in system_plugins.iterdir():
                link = lay.plugins / entry.name
                if not link.is_symlink():
                    link.symlink_to(entry)
        ours = lay.plugins / "mailroom_proxy"
        ours.mkdir(exist_ok=True, mode=0o755)
        changed |= self._write(ours / "mailroom_proxy.php", PLUGIN_PHP, 0o644)
        if plan.run_as:
            self._hand_over(plan.run_as, readable)
        return changed

    def _hand_over(self, user: str, readable: int) -> None:
        """Give the web stack's user what it reads and writes (we run as root here)."""
        entry = pwd.getpwnam(user)
        lay = self.layout
        for path in (lay.root, lay.config, lay.plugins, lay.config / "config.inc.php",
                     lay.root / "prepend.php"):
            os.chown(path, 0 if path.is_file() else entry.pw_uid, entry.pw_gid)
        for d in lay.writable():
            for current, dirs, files in os.walk(d):
                for name in [current, *(os.path.join(current, f) for f in files + dirs)]:
                    os.chown(name, entry.pw_uid, entry.pw_gid)

    # -- processes -------------------------------------------------------------

    def pids(self) -> dict[str, int | None]:
        return {"nginx": _alive(self.layout.nginx_pid, "nginx"),
                "php-fpm": _alive(self.layout.fpm_pid, "php-fpm")}

    def running(self) -> bool:
        return all(self.pids().values())

    def start(self, listen: list[str] | None = None, offset: int = 0) -> Plan:
        """Write the files and run the stack (restarted when a file changed)."""
        plan = self.plan(listen, offset)
        if not plan.cert.exists() or not plan.key.exists():
            raise WebmailError(f"no TLS certificate at {plan.cert}: run mailroom init or "
                               "tls import first")
        changed = self.write_files(plan)
        stamp = self._cert_stamp(plan)
        if self.running() and not changed:
            # Every reload comes here: no package look-up needed. A new
            # certificate (tls import, ACME renewal) is taken by nginx's
            # graceful reload, without dropping a session.
            if stamp != self._read(self.layout.run / "cert.stamp"):
                nginx = self.pids()["nginx"]
                if nginx:
                    os.kill(nginx, signal.SIGHUP)
                    self._write(self.layout.run / "cert.stamp", stamp)
                    log.info("webmail: nginx reloaded for the new certificate")
            return plan
        absent = missing()
        if absent:
            raise WebmailError(f"webmail needs these packages: {' '.join(absent)} "
                               f"(as root: {install_command(absent)})")
        self.stop()
        programs = binaries()
        lay = self.layout
        fpm = [str(programs["php-fpm"]), "--fpm-config", str(lay.root / "php-fpm.conf")]
        if plan.run_as == "root":
            fpm.append("--allow-to-run-as-root")
        self._run(fpm, "php-fpm")
        self._run([str(programs["nginx"]), "-c", str(lay.root / "nginx.conf"),
                   "-p", str(lay.root), "-e", str(lay.logs / "nginx-error.log")], "nginx")
        self._wait_for(plan)
        self._write(self.layout.run / "cert.stamp", stamp)
        log.info("webmail: serving %s (nginx pid %s, php-fpm pid %s)",
                 url_for(plan.hostname, plan.port), *self.pids().values())
        return plan

    def _run(self, argv: list[str], what: str) -> None:
        # Not systemd's notify socket or watchdog: those are the daemon's (php-fpm
        # built for systemd would announce itself on it).
        env = {k: v for k, v in os.environ.items()
               if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS",
                            "LISTEN_PID")}
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL, env=env)
        if done.returncode != 0:
            self.stop()
            text = (done.stderr or done.stdout).strip().splitlines()
            raise WebmailError(f"{what} did not start: {text[-1] if text else done.returncode}")

    def _wait_for(self, plan: Plan, timeout: float = 15.0) -> None:
        host = "127.0.0.1" if _backend(plan.listen) == "127.0.0.1" else plan.listen[0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.running() and self.layout.socket.exists():
                with contextlib.suppress(OSError), socket.create_connection(
                        (host, plan.port), timeout=1):
                    return
            time.sleep(0.05)
        self.stop()
        raise WebmailError(f"the web server did not answer on port {plan.port}; see "
                           f"{self.layout.logs / 'nginx-error.log'}")

    def stop(self) -> bool:
        """Stop nginx and php-fpm; True if something was running."""
        stopped = False
        for name, pid in self.pids().items():
            if pid is None:
                continue
            stopped = True
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not _gone(pid):
                # A child of ours (started in-process) must be reaped to go away.
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
                time.sleep(0.02)
            if not _gone(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            log.info("webmail: %s stopped", name)
        for pid_file in (self.layout.nginx_pid, self.layout.fpm_pid):
            with contextlib.suppress(FileNotFoundError):
                pid_file.unlink()
        return stopped

    def status(self, offset: int = 0) -> dict[str, Any]:
        settings = self.state.settings()
        port = settings["webmail.port"] + offset
        pids = self.pids()
        return {
            "enabled": bool(settings["webmail.enabled"]),
            "serving": all(pids.values()),
            "url": url_for(settings["hostname"], port),
            "port": port,
            "pids": pids,
            "missing": missing(),
            "database": str(self.layout.database),
            "keeps_settings": self.layout.database.exists(),
        }
