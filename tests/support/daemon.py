"""Run the real Mailroom daemon and CLI as subprocesses, for tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from appliance.service import free_port_offset

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "main.py"
STANDARD_PORTS = {"smtp": 25, "submission": 587, "smtps": 465, "pop3": 110, "pop3s": 995,
                  "imap": 143, "imaps": 993}


def free_offset() -> int:
    """A port offset under which every standard mail port is free on 127.0.0.1."""
    return free_port_offset()


@dataclass
class Mailroom:
    home: Path
    offset: int = 0
    proc: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)
    # How to run Mailroom: from source by default, or a frozen build's executable.
    program: list[str] = field(default_factory=lambda: [sys.executable, str(MAIN)])

    def __post_init__(self) -> None:
        self.env = {**os.environ, "MAILROOM_HOME": str(self.home), "PYTHONUNBUFFERED": "1"}

    def cli(self, *args: str, input: str | None = None, check: bool = True,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self.program, *args], input=input, capture_output=True, text=True,
            env=self.env, timeout=timeout, cwd=ROOT,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"mailroom {' '.join(args)} exited {result.returncode}: {result.stderr}"
            )
        return result

    def port(self, service: str) -> int:
        return STANDARD_PORTS[service] + self.offset

    def start(self, timeout: float = 20.0) -> None:
        if not self.offset:
            self.offset = free_offset()
        log = open(self.home / "serve.out", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [*self.program, "serve", "--listen", "127.0.0.1",
             "--port-offset", str(self.offset)],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"daemon exited {self.proc.returncode}: "
                    f"{(self.home / 'serve.out').read_text()[-2000:]}"
                )
            if (self.home / "run" / "control.json").exists():
                try:
                    info = json.loads((self.home / "run" / "control.json").read_text())
                except ValueError:
                    info = {}
                if info.get("pid") == self.proc.pid:
                    with socket.create_connection(("127.0.0.1", self.port("smtp")), 2):
                        return
            time.sleep(0.05)
        raise AssertionError("daemon did not start in time")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def maildir_files(self, address: str, sub: str = "new") -> list[Path]:
        local, _, domain = address.partition("@")
        d = self.home / "mail" / domain / local / sub
        return sorted(d.iterdir()) if d.is_dir() else []

    def wait_for_mail(self, address: str, count: int = 1, timeout: float = 10.0) -> list[Path]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            files = self.maildir_files(address)
            if len(files) >= count:
                return files
            time.sleep(0.05)
        raise AssertionError(
            f"{address}: expected {count} message(s), found {len(self.maildir_files(address))}"
        )

    def mailq(self) -> list[dict[str, object]]:
        return json.loads(self.cli("mailq", "--json").stdout)

    def log_text(self) -> str:
        path = self.home / "logs" / "mailroom.log"
        return path.read_text() if path.exists() else ""


def make_mailroom(tmp: Path) -> Mailroom:
    """A data directory like the acceptance contract's: example.test, alice, bob, staff."""
    m = Mailroom(tmp / "home")
    m.cli("init", "--hostname", "mail.example.test", "--domain", "example.test")
    m.cli("account", "add", "alice@example.test", "--password-stdin", input="pw-alice-1\n")
    m.cli("account", "add", "bob@example.test", "--password-stdin", input="pw-bob-1\n")
    m.cli("alias", "add", "staff@example.test", "alice@example.test", "bob@example.test")
    return m
