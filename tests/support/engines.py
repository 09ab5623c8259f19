"""Private, real rspamd and clamd for tests (Debian's rspamd and clamav-daemon packages).

Each runs from a temporary directory with its own configuration, ports and
files: never the system's daemons, never freshclam. clamd gets a tiny
signature database that knows one test signature (the EICAR string), so it
starts in a moment with a few MB of memory. rspamd runs only a scanner and
a controller, with Bayes in SQLite (no redis) and DNS pointed at the test's
own server.

When CI=true a missing engine is a failure, elsewhere a skip that says why.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from appliance.virus import EICAR

__all__ = ["Clamd", "Rspamd", "free_port", "start_clamd", "start_rspamd", "SIGNATURE"]

SIGNATURE = "Mailroom.Test.EICAR"  # clamd reports it as Mailroom.Test.EICAR.UNOFFICIAL


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _need(program: str, package: str) -> str:
    found = shutil.which(program) or shutil.which(program, path="/usr/sbin:/sbin")
    if found:
        return found
    message = f"{program} not installed (apt-get install {package}; bash packaging/deps.sh test)"
    if _in_ci():
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_until(ready: Callable[[], bool], proc: subprocess.Popen[bytes], what: str,
                log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise AssertionError(f"{what} exited {proc.returncode}: {text}")
        if ready():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not start in time")


@dataclass
class Clamd:
    proc: subprocess.Popen[bytes]
    port: int
    socket_path: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        _stop(self.proc)


def start_clamd(root: Path) -> Clamd:
    program = _need("clamd", "clamav-daemon")
    db = root / "db"
    db.mkdir(parents=True)
    # A body signature (any file type, anywhere): clamd finds it in a decoded
    # MIME part of a mail as well as in a bare stream.
    (db / "mailroom-test.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.hex()}\n")
    port = free_port()
    sock = root / "clamd.sock"
    conf = root / "clamd.conf"
    conf.write_text(
        f"DatabaseDirectory {db}\nTCPSocket {port}\nTCPAddr 127.0.0.1\nLocalSocket {sock}\n"
        f"Foreground yes\nLogFile {root / 'clamd.log'}\nPidFile {root / 'clamd.pid'}\n"
        # As root clamd would switch to the clamav user, who cannot read this directory.
        + ("User root\n" if os.geteuid() == 0 else "")
        + "MaxThreads 4\nStreamMaxLength 30M\nSelfCheck 0\n")
    out = root / "clamd.out"
    with out.open("wb") as log:
        proc = subprocess.Popen([program, "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT)

    def ready() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), 1) as s:
                s.sendall(b"nPING\n")
                return s.recv(16).startswith(b"PONG")
        except OSError:
            return False

    _wait_until(ready, proc, "clamd", out)
    return Clamd(proc, port, sock)


@dataclass
class Rspamd:
    proc: subprocess.Popen[bytes]
    port: int  # the scanner (/checkv2)
    controller_port: int  # /learnspam, /learnham, /stat

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def controller_url(self) -> str:
        return f"http://127.0.0.1:{self.controller_port}"

    def learned(self) -> dict[str, int]:
        """Messages learned per Bayes class: {"BAYES_SPAM": n, "BAYES_HAM": n}."""
        import json

        with urllib.request.urlopen(self.controller_url + "/stat", timeout=5) as answer:
            stat = json.loads(answer.read())
        # A just-started rspamd may answer /stat before its Bayes back end lists
        # its statfiles: none learned yet.
        counts = {"BAYES_SPAM": 0, "BAYES_HAM": 0}
        counts.update({s["symbol"]: int(s["revision"]) for s in stat.get("statfiles", [])})
        return counts

    def stop(self) -> None:
        _stop(self.proc)


def start_rspamd(root: Path, nameserver: str = "127.0.0.1:9") -> Rspamd:
    program = _need("rspamd", "rspamd")
    root.mkdir(parents=True, exist_ok=True)
    port, controller = free_port(), free_port()
    # Two TLDs instead of the public suffix list: compiling the whole list costs
    # rspamd ten seconds at every start.
    (root / "tld.dat").write_text("com\ntest\n")
    user = "" if os.geteuid() != 0 else "-u root -g root"
    (root / "rspamd.conf").write_text(f"""
options {{
  pidfile = "{root}/rspamd.pid";
  dns {{ nameserver = ["{nameserver}"]; timeout = 1s; retransmits = 1; }}
  hs_cache_dir = "{root}";
  cache_file = "{root}/symbols.cache";
  url_tld = "{root}/tld.dat";
  local_addrs = [];
}}
logging {{ type = "file"; filename = "{root}/rspamd.log"; level = "info"; }}
actions {{ reject = 15; add_header = 6; greylist = 4; }}
worker "normal" {{ bind_socket = "127.0.0.1:{port}"; count = 1; task_timeout = 8s; }}
worker "controller" {{
  bind_socket = "127.0.0.1:{controller}"; count = 1; secure_ip = ["127.0.0.1"];
}}
classifier "bayes" {{
  tokenizer {{ name = "osb"; }}
  cache {{ backend = "sqlite3"; path = "{root}/learn_cache.sqlite"; }}
  backend = "sqlite3";
  min_tokens = 1;
  min_learns = 1;
  statfile {{ symbol = "BAYES_HAM"; spam = false; path = "{root}/bayes.ham.sqlite"; }}
  statfile {{ symbol = "BAYES_SPAM"; spam = true; path = "{root}/bayes.spam.sqlite"; }}
}}
""")
    out = root / "rspamd.out"
    with out.open("wb") as log:
        proc = subprocess.Popen(
            [program, "-c", str(root / "rspamd.conf"), *user.split(), "--insecure", "-f",
             # Its databases in the temporary directory too, not in /var/lib/rspamd.
             f"--var=DBDIR={root}", f"--var=RUNDIR={root}", f"--var=LOGDIR={root}"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def ready() -> bool:
        for p in (port, controller):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{p}/ping", timeout=1) as answer:
                    if not answer.read().startswith(b"pong"):
                        return False
            except OSError:
                return False
        return True

    _wait_until(ready, proc, "rspamd", out)
    return Rspamd(proc, port, controller)
