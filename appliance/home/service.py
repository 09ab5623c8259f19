"""The installed system service: is it there, may this user manage it, is it running.

The .deb installs ``mailroom.service``: the daemon runs as the user
``mailroom`` on ``/var/lib/mailroom``. Members of the group ``mailroom``
are its administrators: the daemon makes its control endpoint and secret
readable by that group, and a polkit rule lets them start, stop and restart
the unit. Where no unit is installed (running from source) each user has
their own data directory and the desktop program supervises its own daemon.

``Machine`` is what the machine says (``probe`` reads it); ``deployment``
decides from it, so the decision is tested without touching the machine.
``Systemctl`` runs ``systemctl`` through an injected runner: tests never
reach the real systemd.

First run: the unit waits for the state database (``mailroom.path``); the
desktop user cannot write ``/var/lib/mailroom``, so ``ServiceInit`` runs
``mailroom init`` as the service's user through ``pkexec`` (the polkit rule
lets the group do just that), then waits for the daemon that the database's
appearance starts. Everything else the wizard asks goes through the
control API, as for any running daemon.
"""

from __future__ import annotations

import grp
import os
import pwd
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "SERVICE_DATA_DIR", "SERVICE_UNIT", "SERVICE_USER", "Deployment", "Machine", "Runner",
    "ServiceInit", "Systemctl", "deployment", "group_gid", "not_member_message", "probe",
    "run_command", "service_group", "this_program", "unit_installed",
]

SERVICE_UNIT = "mailroom.service"
SERVICE_USER = "mailroom"
SERVICE_DATA_DIR = Path("/var/lib/mailroom")
UNIT_DIRS = (Path("/etc/systemd/system"), Path("/lib/systemd/system"),
             Path("/usr/lib/systemd/system"))
# sd_booted(): systemd is the init system running now (not in a plain container).
SYSTEMD_RUN_DIR = Path("/run/systemd/system")


def service_group() -> str:
    """The administrators' group: ``mailroom``, or ``$MAILROOM_GROUP`` (a name or a gid)."""
    return os.environ.get("MAILROOM_GROUP") or "mailroom"


def group_gid(name: str) -> int | None:
    if name.isdigit():
        return int(name)
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        return None


def not_member_message(group: str | None = None) -> str:
    group = group or service_group()
    return (f"you are not in the {group} group: sudo adduser $USER {group}, "
            "then log in again")


def unit_installed(dirs: Sequence[Path] = UNIT_DIRS) -> bool:
    return any((d / SERVICE_UNIT).exists() for d in dirs)


@dataclass(frozen=True)
class Machine:
    unit_installed: bool
    systemd_running: bool
    euid: int
    groups: frozenset[int]  # this process's effective and supplementary groups
    group: str  # the administrators' group name
    group_gid: int | None  # None: no such group
    listed: bool  # the user is listed in that group (maybe since after this login)


@dataclass(frozen=True)
class Deployment:
    service: bool  # the installed system service is the daemon to talk to
    data_dir: Path | None  # the service's data directory; None: the user's own choice
    systemd: bool = False  # start/stop/restart go through systemctl
    problem: str = ""  # why this user cannot talk to the service, for the GUI

    @property
    def member(self) -> bool:
        return not self.problem


def probe(unit_dirs: Sequence[Path] = UNIT_DIRS,
          systemd_dir: Path = SYSTEMD_RUN_DIR) -> Machine:
    group = service_group()
    gid = group_gid(group)
    listed = False
    if gid is not None:
        try:
            user = pwd.getpwuid(os.getuid()).pw_name
            listed = user in grp.getgrgid(gid).gr_mem or pwd.getpwuid(os.getuid()).pw_gid == gid
        except KeyError:
            pass
    return Machine(
        unit_installed=unit_installed(unit_dirs), systemd_running=systemd_dir.is_dir(),
        euid=os.geteuid(), groups=frozenset([os.getegid(), *os.getgroups()]),
        group=group, group_gid=gid, listed=listed,
    )


def deployment(machine: Machine, explicit: str | os.PathLike[str] | None = None) -> Deployment:
    """Where the desktop program finds its daemon, and how it may start and stop it.

    An explicit data directory (``--data-dir``, ``$MAILROOM_HOME``) other than
    the service's is the user's own: supervised by the GUI as from source.
    """
    if not machine.unit_installed:
        return Deployment(False, None)
    if explicit is not None and Path(explicit).expanduser().resolve() != SERVICE_DATA_DIR:
        return Deployment(False, None)
    problem = ""
    in_group = machine.group_gid is not None and machine.group_gid in machine.groups
    if machine.euid != 0 and not in_group:
        problem = not_member_message(machine.group)
        if machine.listed:  # added, but this session started before
            problem = (f"you were added to the {machine.group} group after this session "
                       "began: log out and in again")
    return Deployment(True, SERVICE_DATA_DIR, systemd=machine.systemd_running, problem=problem)


Runner = Callable[[list[str]], tuple[int, str]]


def run_command(argv: list[str]) -> tuple[int, str]:
    """(exit code, stdout and stderr) of a command; no shell."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=600,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, str(exc)
    return done.returncode, (done.stdout + done.stderr).strip()


class Systemctl:
    """``systemctl VERB mailroom.service``: the desktop's polkit agent asks for a password.

    systemctl asks polkit with interactive authorisation allowed, so a
    desktop session's agent shows the system's password prompt; the rule in
    ``resources/polkit/`` lets the administrators' group manage this one unit.
    """

    VERBS = ("start", "stop", "restart")

    def __init__(self, runner: Runner = run_command, unit: str = SERVICE_UNIT) -> None:
        self.runner = runner
        self.unit = unit

    def is_active(self) -> str:
        """``active``, ``inactive``, ``failed``, ``activating`` ... as systemd says it."""
        _code, out = self.runner(["systemctl", "is-active", self.unit])
        return out.splitlines()[0].strip() if out else "unknown"

    def command(self, verb: str) -> list[str]:
        if verb not in self.VERBS:
            raise ValueError(f"not a service action: {verb!r}")
        return ["systemctl", verb, self.unit]

    def run(self, verb: str) -> str:
        """Do it; a clear ``RuntimeError`` when systemd or polkit said no."""
        code, out = self.runner(self.command(verb))
        if code == 0:
            return out
        lowered = out.lower()
        if "authentication" in lowered or "access denied" in lowered \
                or "not authorized" in lowered:
            raise RuntimeError(
                f"not allowed to {verb} {self.unit}: {out or 'refused'} "
                f"(members of the {service_group()} group may, after a password prompt)")
        raise RuntimeError(f"systemctl {verb} {self.unit} failed: {out or f'exit {code}'}")


def this_program() -> list[str]:
    """How to run this very program again: the frozen executable, or main.py."""
    if getattr(sys, "frozen", False):
        return [os.path.realpath(sys.executable)]
    return [sys.executable, str(Path(__file__).resolve().parents[2] / "main.py")]


class ServiceInit:
    """``pkexec --user mailroom mailroom init ...``, then wait for the service to answer.

    Called with the wizard's host name and domain, off the GUI thread (the
    desktop's polkit agent asks for the user's password meanwhile).
    ``answers`` says whether the daemon answers the control API (for this
    user: also that it shares its secret with the group).
    """

    def __init__(self, answers: Callable[[], bool], runner: Runner = run_command,
                 systemctl: Systemctl | None = None, *, user: str = SERVICE_USER,
                 data_dir: Path = SERVICE_DATA_DIR, program: list[str] | None = None,
                 timeout: float = 30.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.answers = answers
        self.runner = runner
        self.systemctl = systemctl
        self.user = user
        self.data_dir = data_dir
        self.program = program or this_program()
        self.timeout = timeout
        self.clock, self.sleep = clock, sleep

    def command(self, hostname: str, domain: str) -> list[str]:
        return ["pkexec", "--user", self.user, *self.program, "init", "--data-dir",
                str(self.data_dir), "--hostname", hostname, "--domain", domain]

    def __call__(self, _home: object, hostname: str, domain: str) -> None:
        from appliance.state import StateError

        code, out = self.runner(self.command(hostname, domain))
        if code == 126:  # pkexec: the prompt was dismissed, or the password refused
            raise StateError("setting up the Mailroom service needs your password "
                             f"({out or 'not authorised'})", "data_dir")
        if code != 0:
            raise StateError(f"mailroom init failed: {out or f'exit {code}'}", "data_dir")
        # mailroom.path starts the service when the database appears; where
        # it does not (path unit off), ask systemd once.
        if self._wait():
            return
        if self.systemctl is not None:
            try:
                self.systemctl.run("start")
            except RuntimeError as exc:
                raise StateError(str(exc)) from exc
            if self._wait():
                return
        raise StateError(f"the data directory {self.data_dir} is set up, but the Mailroom "
                         f"service does not answer (see: systemctl status {SERVICE_UNIT})")

    def _wait(self) -> bool:
        deadline = self.clock() + self.timeout
        while True:
            if self.answers():
                return True
            if self.clock() >= deadline:
                return False
            self.sleep(0.25)
