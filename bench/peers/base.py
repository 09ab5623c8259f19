"""What every SMTP server under benchmark offers, and small helpers they share.

A server is started fresh in its own temporary directory for every run, so
each run starts from an empty Maildir and its peak memory belongs to that
run alone.  `stop()` must be safe to call more than once and after a failed
`start()`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType
from typing import Self

HOST = "127.0.0.1"
DOMAIN = "example.test"
RECIPIENT = f"bench@{DOMAIN}"

# Ports that no benchmark may ever bind (the product and its tests need them).
STANDARD_MAIL_PORTS = frozenset({25, 110, 143, 465, 587, 993, 995})


class ServerError(RuntimeError):
    """A server could not be set up or started; the message says why."""


class Workspace(ABC):
    """Something run from its own temporary directory, which `cleanup()` removes.

    A context manager: leaving it stops everything and removes the
    directory, also on exceptions and Ctrl-C.
    """

    def __init__(self, prefix: str) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix=prefix))

    @abstractmethod
    def stop(self) -> None:
        """Stop every process this started."""

    def cleanup(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()


class ChildProcess:
    """Memory and stopping for something that is one child process (``self.proc``)."""

    proc: subprocess.Popen[bytes] | None = None

    def pids(self) -> list[int]:
        return with_descendants(self.proc.pid) if self.proc else []

    def peak_rss_kb(self) -> int | None:
        return proc_status_kb(self.proc.pid, "VmHWM") if self.proc else None

    def stop(self) -> None:
        terminate_process(self.proc)
        self.proc = None


class Server(Workspace):
    """One SMTP server that delivers to Maildirs under `mail_root`."""

    name: str = "?"
    rss_kind: str = "?"  # how peak_rss_kb() is measured, for the report

    def __init__(self) -> None:
        super().__init__(f"bench-{self.name}-")
        # Peers drop privileges (Postfix runs as `postfix` and delivers as a
        # numeric uid), so they must be able to traverse the work directory.
        self.workdir.chmod(0o755)
        self.port = 0
        self._peak_rss_sum_kb = 0
        self._peak_pss_kb = 0

    @property
    def host(self) -> str:
        return HOST

    @property
    @abstractmethod
    def mail_root(self) -> Path:
        """Directory under which every recipient's Maildir lives."""

    @abstractmethod
    def start(self) -> None:
        """Start the server; return once its SMTP port greets clients."""

    def pids(self) -> list[int]:
        """Every live process of the server (for memory sampling)."""
        return []

    def sample_rss(self) -> None:
        """Called about every 100 ms during a run: track peak summed RSS and PSS.

        Summed RSS counts shared pages (libraries, forked copies) once per
        process, so for many-process servers it overstates memory; summed
        PSS splits shared pages between their users and is comparable
        across servers.
        """
        rss = pss = 0
        for pid in self.pids():
            rss += proc_status_kb(pid, "VmRSS") or 0
            pss += proc_pss_kb(pid) or 0
        self._peak_rss_sum_kb = max(self._peak_rss_sum_kb, rss)
        self._peak_pss_kb = max(self._peak_pss_kb, pss)

    @abstractmethod
    def peak_rss_kb(self) -> int | None:
        """Peak resident memory of the server in KiB, read before `stop()`."""

    def peak_pss_kb(self) -> int | None:
        """Peak of the sampled PSS summed over all the server's processes."""
        self.sample_rss()
        return self._peak_pss_kb or None


# --------------------------------------------------------------- helpers


def free_port(host: str = HOST) -> int:
    """A currently free TCP port on a loopback address (never a mail port)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port not in STANDARD_MAIL_PORTS and port > 1024:
            return port


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def wait_for_smtp(
    port: int,
    timeout: float = 60.0,
    alive: subprocess.Popen[bytes] | None = None,
    host: str = HOST,
) -> None:
    """Wait until `host`:`port` (default 127.0.0.1) sends an SMTP 220 greeting.

    `alive`, when given, is a process that must not exit in the meantime.
    """
    deadline = time.monotonic() + timeout
    last_error = "no attempt"
    while time.monotonic() < deadline:
        if alive is not None and alive.poll() is not None:
            raise ServerError(f"process exited with status {alive.returncode} before listening")
        try:
            with socket.create_connection((host, port), timeout=5) as s:
                greeting = s.recv(512)
                if greeting.startswith(b"220"):
                    with contextlib.suppress(OSError):
                        s.sendall(b"QUIT\r\n")
                        s.recv(512)
                    return
                last_error = f"greeting {greeting[:80]!r}"
        except OSError as e:
            last_error = str(e)
        time.sleep(0.05)
    raise ServerError(f"SMTP port {port} not ready after {timeout:.0f} s ({last_error})")


def proc_status_kb(pid: int, field: str) -> int | None:
    """A `kB` field (VmHWM, VmRSS) of /proc/PID/status, or None if gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def proc_pss_kb(pid: int) -> int | None:
    """Proportional set size of a process (/proc/PID/smaps_rollup), or None."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def with_descendants(pid: int) -> list[int]:
    """`pid` and all its live descendants, found by one scan of /proc."""
    parent: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may contain spaces; state and ppid follow the last ')'.
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 1 and fields[0] != "Z":
            parent[int(entry.name)] = int(fields[1])
    if pid not in parent:
        return []
    found = [pid]
    frontier = {pid}
    while frontier:
        frontier = {child for child, ppid in parent.items() if ppid in frontier}
        found.extend(frontier)
    return found


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def wait_pids_gone(pids: list[int], timeout: float) -> list[int]:
    """Wait for `pids` to exit; return those still alive after `timeout`."""
    deadline = time.monotonic() + timeout
    alive = [p for p in pids if pid_alive(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [p for p in alive if pid_alive(p)]
    return alive


def terminate_process(proc: subprocess.Popen[bytes] | None, timeout: float = 15.0) -> None:
    """SIGTERM a process we started (in its own session), SIGKILL its group if needed."""
    if proc is None:
        return
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout)
    # The process was started with start_new_session=True, so its process
    # group holds only it and what it started: leave nothing of it behind.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except (ProcessLookupError, PermissionError):
            break
        time.sleep(0.05)
    else:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def unwind_on_signals() -> None:
    """Ctrl-C, kill and hangup all raise KeyboardInterrupt, so every cleanup runs.

    (Even when started from a shell that had SIGINT ignored.)
    """

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)


def serve_controller(handler: object, host: str, port: int, server_hostname: str,
                     banner: str) -> None:
    """Run an aiosmtpd Controller in this process until SIGTERM or SIGINT."""
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname=host, port=port,
                            server_hostname=server_hostname, ready_timeout=30)
    stop = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    controller.start()
    print(banner, flush=True)
    try:
        while not stop:
            signal.pause()
    finally:
        controller.stop()


class ProcessServer(ChildProcess, Server):
    """A peer that is one child process (``self.proc``)."""


def spawn_server(argv: list[str], log: Path, *, port: int, what: str, host: str = HOST,
                 env: dict[str, str] | None = None, cwd: Path | None = None,
                 timeout: float = 30.0) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own session (output to ``log``); return once it greets on ``port``."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_smtp(port, timeout=timeout, alive=proc, host=host)
    except ServerError as e:
        terminate_process(proc)
        raise ServerError(f"{what}: {e}\n{tail(log, 30)}") from None
    return proc


def spawn_peer(module: str, args: list[str], log: Path, *, port: int, what: str,
               host: str = HOST) -> subprocess.Popen[bytes]:
    """``python -m peers.<module> ARGS`` through ``spawn_server``."""
    bench_dir = Path(__file__).resolve().parent.parent
    return spawn_server([sys.executable, "-m", f"peers.{module}", *args], log, port=port,
                        what=what, host=host, env=dict(os.environ, PYTHONPATH=str(bench_dir)))
