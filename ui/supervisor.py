"""Supervision of the daemon: is it answering, start it, stop it, restart it.

A daemon the GUI starts runs in its own session (``start_new_session``) so
it outlives the GUI; its output goes to ``run/gui-serve.out``, whose last
lines are shown with the exit code if it dies. A daemon the GUI did not
start is stopped only when the user asks (``stop(foreign=True)``).

A daemon the GUI started that crashes is started again after a back-off
(``ui.restart_policy``); the crash and the daemon's last output go into the
mail log (written from the GUI: the daemon is gone), so the Logs page and
``mailroom logs`` show why mail stopped for a moment.

Where the daemon is the installed system service (``service=True``), the
GUI never starts one itself: start, stop and restart are ``systemctl``
(``appliance.home.service.Systemctl``, through the desktop's polkit
prompt), and systemd restarts it after a crash.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from appliance.control.client import ControlClient, ControlError, find_endpoint
from ui.api import Api
from ui.restart_policy import RestartPolicy, describe_exit, is_failure

__all__ = ["Supervisor", "crash_lines", "log_crash", "serve_command"]

MAIN = Path(__file__).resolve().parents[1] / "main.py"


def serve_command(data_dir: Path, serve_args: list[str]) -> list[str]:
    base = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, str(MAIN)]
    return [*base, "serve", "--data-dir", str(data_dir), *serve_args]


def tail_file(path: Path, lines: int = 15) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 16384))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def crash_lines(code: int, output: str, pid: int, hostname: str,
                delay: float | None, now: float | None = None,
                gave_up: int = 0) -> list[str]:
    """Mail-log lines (Postfix style, service ``gui``) for a daemon that died.

    ``gave_up``: the number of crashes in a row after which it is not restarted."""
    when = time.strftime("%b %d %H:%M:%S", time.localtime(now))
    head = f"{when} {hostname} mailroom/gui[{os.getpid()}]:"
    then = (f"; starting it again in {delay:g} s" if delay is not None
            else f"; not restarting it: it crashed {gave_up} times in a row, see its "
                 "output below; start it by hand once that is fixed" if gave_up
            else "; not restarting it")
    label = " error:" if is_failure(code) else ""  # a clean exit was asked for: no error
    lines = [f"{head}{label} the daemon (pid {pid}) {describe_exit(code)}{then}"]
    lines += [f"{head} daemon output: {line}" for line in output.splitlines() if line.strip()]
    return lines


def log_crash(client: ControlClient, lines: list[str]) -> None:
    """Append to the mail log through the control API (the daemon is gone: in-process)."""
    client.call("logs.append", lines=lines)


class Supervisor(QObject):
    """States: "unknown", "up", "down", "starting", "stopping"."""

    stateChanged = Signal(str)
    statusChanged = Signal(object)  # the status dict, or None when down
    childDied = Signal(int, str)  # exit code, last output lines
    crashLogged = Signal(list)  # the lines written to the mail log
    serviceStateChanged = Signal(str)  # systemd's word for the unit: active, failed...
    message = Signal(str)

    def __init__(self, api: Api, serve_args: list[str] | None = None,
                 poll_ms: int = 2000, parent: QObject | None = None, *,
                 service: bool = False, systemctl: Any = None) -> None:
        super().__init__(parent)
        # The system service: started by systemd, never by this process.
        self.service = service
        self.systemctl = systemctl if service else None
        self.service_state = ""
        self._acting = False  # a systemctl start/stop/restart is under way
        self.api = api
        self.home = api.home
        self.serve_args = list(serve_args or [])
        self.state = "unknown"
        self.status: dict[str, Any] | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.last_exit: tuple[int, str] | None = None
        self.last_error = ""  # the last refused service action, for the dashboard
        self._deadline = 0.0
        self._restart = False
        self._polling = False
        self.poll_ms = poll_ms
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.poll)
        self.policy = RestartPolicy()
        self.restart_timer = QTimer(self)
        self.restart_timer.setSingleShot(True)
        self.restart_timer.timeout.connect(self._restart_after_crash)
        self.restarts = 0  # crashes recovered from, for the tests and the status bar

    @property
    def output_file(self) -> Path:
        return self.home.run / "gui-serve.out"

    def begin(self) -> None:
        self.timer.start(self.poll_ms)
        self.poll()

    def owns_daemon(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _set(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)
            if state == "down" and self.systemctl is not None and not self._acting:
                self._ask_systemd()
        fast = state in ("starting", "stopping")
        self.timer.setInterval(250 if fast else self.poll_ms)

    # -- polling ----------------------------------------------------------

    def poll(self) -> None:
        self._check_child()
        if self._polling:
            return
        self._polling = True
        self.api.run("status", on_done=self._up, on_error=self._down, remote_only=True)

    def _check_child(self) -> None:
        if self.proc is None or self.proc.poll() is None:
            return
        code, pid = self.proc.returncode, self.proc.pid
        expected = self.state == "stopping"
        self.proc = None
        if not expected:
            self.last_exit = (code, tail_file(self.output_file))
            delay = self.policy.died(code, time.monotonic())
            self._record_crash(code, pid, delay)
            self.childDied.emit(code, self.last_exit[1])
            gave_up = self.policy.gave_up and is_failure(code)
            self.message.emit(f"the Mailroom daemon {describe_exit(code)}"
                              + (f"; starting it again in {delay:g} s" if delay
                                 else f"; it crashed {self.policy.failures} times in a row, "
                                      "so it is not started again" if gave_up else ""))
            self._set("down")
            if delay is not None:
                self.restart_timer.start(int(delay * 1000))
        else:
            self.policy.stopped()

    def _record_crash(self, code: int, pid: int, delay: float | None) -> None:
        assert self.last_exit is not None
        hostname = str((self.status or {}).get("hostname") or socket.gethostname())
        gave_up = self.policy.failures if self.policy.gave_up and is_failure(code) else 0
        lines = crash_lines(code, self.last_exit[1], pid, hostname, delay, gave_up=gave_up)
        try:
            client = ControlClient(self.home, timeout=5.0)
            try:
                log_crash(client, lines)
            finally:
                client.close()
        except (OSError, ControlError) as exc:
            self.message.emit(f"cannot write the mail log: {exc}")
        self.crashLogged.emit(lines)

    def _restart_after_crash(self) -> None:
        if self.state != "down" or self.owns_daemon():
            return  # the user (or a daemon from elsewhere) got there first
        if self.start(by_hand=False):
            self.restarts += 1

    def _up(self, status: dict[str, Any]) -> None:
        self._polling = False
        self.status = status
        if self.state == "stopping":
            self.statusChanged.emit(status)
            self._check_timeout()
            return
        self.last_exit = None
        self._set("up")
        self.statusChanged.emit(status)

    def _down(self, _exc: ControlError) -> None:
        self._polling = False
        self.status = None
        if self.state == "starting" and time.monotonic() < self._deadline:
            self._check_child()
            return
        if self.state == "stopping" and self._restart:
            self._restart = False
            self._set("down")
            self.statusChanged.emit(None)
            self.start()
            return
        self._set("down")
        self.statusChanged.emit(None)

    def _check_timeout(self) -> None:
        if time.monotonic() > self._deadline and self.proc is not None:
            self.proc.kill()

    # -- actions ----------------------------------------------------------

    def start(self, by_hand: bool = True) -> bool:
        if self.state in ("up", "starting") or self.owns_daemon():
            return False
        if self.service:
            return self._service_action("start")
        if by_hand:
            self.restart_timer.stop()
            self.policy.stopped()
        if not self.home.initialized():
            self.message.emit("set up the data directory first (the first-run wizard)")
            return False
        self.home.run.mkdir(parents=True, exist_ok=True)
        out = open(self.output_file, "ab")  # noqa: SIM115
        try:
            self.proc = subprocess.Popen(
                serve_command(self.home.root, self.serve_args), stdout=out,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                cwd=str(MAIN.parent), env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        except OSError as exc:
            self.message.emit(f"cannot start the daemon: {exc}")
            return False
        finally:
            out.close()
        self._deadline = time.monotonic() + 30
        self.policy.started(time.monotonic())
        self._set("starting")
        self.message.emit(f"starting the Mailroom daemon (pid {self.proc.pid})")
        self.poll()
        return True

    def foreign_pid(self) -> int | None:
        try:
            found = find_endpoint(self.home)
        except (OSError, ControlError):
            return None
        return None if found is None else found.pid

    def stop(self, foreign: bool = False) -> bool:
        """Stop the daemon: always one we started; another only when ``foreign``."""
        self.restart_timer.stop()
        if self.service:
            return self.state != "stopping" and self._service_action("stop")
        if self.owns_daemon():
            assert self.proc is not None
            self.proc.terminate()
        else:
            pid = self.foreign_pid()
            if pid is None or not foreign or self.state != "up":
                return False
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError as exc:
                self.message.emit(f"cannot stop the daemon (pid {pid}): {exc}")
                return False
        self._deadline = time.monotonic() + 20
        self._set("stopping")
        self.message.emit("stopping the Mailroom daemon")
        return True

    def restart(self, foreign: bool = True) -> bool:
        if self.service:
            return self.state not in ("starting", "stopping") and self._service_action("restart")
        if self.state != "up":
            return self.start()
        self._restart = True
        if not self.stop(foreign=foreign):
            self._restart = False
            return False
        return True

    # -- the system service ------------------------------------------------

    def _service_action(self, verb: str) -> bool:
        ctl = self.systemctl
        if ctl is None:
            self.message.emit(
                "systemd is not running here, so the GUI cannot start or stop the Mailroom "
                "service: as root, run 'mailroom serve' as the mailroom user")
            return False

        def run(_client: object) -> str:
            try:
                return ctl.run(verb)
            except RuntimeError as exc:
                raise ControlError(str(exc)) from exc

        # systemctl waits while the desktop's polkit agent asks for a password.
        self._deadline = time.monotonic() + 600
        self._acting = True
        self._set("starting" if verb == "start" else "stopping")
        self.message.emit(f"{verb}: systemctl {verb} {ctl.unit}")
        self.api.job(run, lambda _out: self._service_done(verb), self._service_failed)
        return True

    def _service_done(self, verb: str) -> None:
        self._acting = False
        self._deadline = time.monotonic() + 30
        if verb != "stop":
            self._set("starting")
        elif self.state == "down":
            self._ask_systemd()  # what systemd says now that the stop is done
        self.poll()

    def _service_failed(self, exc: ControlError) -> None:
        self._acting = False
        self.message.emit(str(exc))
        self.last_error = str(exc)
        self._deadline = 0.0
        self._set("unknown")
        self.poll()

    def _ask_systemd(self) -> None:
        ctl = self.systemctl
        assert ctl is not None
        self.api.job(lambda _c: ctl.is_active(), self._service_state, lambda _e: None)

    def _service_state(self, state: str) -> None:
        if state != self.service_state:
            self.service_state = state
            self.serviceStateChanged.emit(state)

    def close(self) -> None:
        """The GUI is going away: no more polls, no restart (a running daemon stays)."""
        self.timer.stop()
        self.restart_timer.stop()

    def wait_for(self, state: str, timeout: float = 30.0) -> bool:
        """Block (processing events) until the state is reached; for scripts and tests."""
        from PySide6.QtCore import QCoreApplication

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state == state:
                return True
            QCoreApplication.processEvents()
            time.sleep(0.02)
        return self.state == state
