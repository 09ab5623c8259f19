"""Mailroom itself, driven exactly as an admin would, through its CLI.

    export MAILROOM_HOME=$(mktemp -d)
    python main.py init --hostname mail.example.test --domain example.test
    printf 'PASSWORD\\n' | python main.py account add bench@example.test --password-stdin
    python main.py serve --listen 127.0.0.1 --port-offset OFFSET

SMTP listens on 25+OFFSET; OFFSET is chosen so that every standard mail
port plus OFFSET is free on 127.0.0.1.  Mail for bench@example.test lands in
$MAILROOM_HOME/mail/example.test/bench/new/.  Peak memory is the daemon's
VmHWM; the daemon is stopped with SIGTERM.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

from peers.base import (
    DOMAIN,
    HOST,
    RECIPIENT,
    STANDARD_MAIL_PORTS,
    ProcessServer,
    ServerError,
    port_is_free,
    spawn_server,
)

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
MAIN_PY = PROJECT_DIR / "main.py"
PASSWORD = "bench-password-1"  # never used to log in; long enough for the policy


def available() -> bool:
    return MAIN_PY.exists()


def pick_port_offset() -> int:
    """An offset in 30000-40000 for which every standard mail port is free."""
    for _ in range(200):
        offset = random.randrange(30000, 40000)
        if all(port_is_free(p + offset) for p in STANDARD_MAIL_PORTS):
            return offset
    raise ServerError("no port offset in 30000-40000 with all mail ports free")


class Mailroom(ProcessServer):
    name = "mailroom"
    rss_kind = "VmHWM"

    def __init__(
        self, python: str = sys.executable, settings: dict[str, str] | None = None,
        main_py: Path = MAIN_PY,
    ) -> None:
        super().__init__()
        self.python = python
        # Another checkout's main.py (e.g. the commit before a change) runs
        # from its own directory, so it imports its own `appliance`.
        self.main_py = Path(main_py).resolve()
        self.offset = 0
        # `main.py settings set KEY VALUE` for each, after init, before serve.
        self.settings = dict(settings or {})
        self.home = self.workdir / "home"
        self.home.mkdir()
        self.log = self.workdir / "serve.log"
        self.env = dict(os.environ, MAILROOM_HOME=str(self.home))

    @property
    def mail_root(self) -> Path:
        return self.home / "mail"

    def _cli(self, *args: str, stdin: str | None = None) -> None:
        cmd = [self.python, str(self.main_py), *args]
        try:
            result = subprocess.run(
                cmd,
                cwd=self.main_py.parent,
                env=self.env,
                input=stdin if stdin is not None else "",
                capture_output=True,
                text=True,
                timeout=120,
            )
        except subprocess.TimeoutExpired:
            raise ServerError(f"`main.py {' '.join(args)}` took over 120 s") from None
        if result.returncode != 0:
            output = (result.stderr.strip() or result.stdout.strip())[-3000:]
            raise ServerError(f"`main.py {' '.join(args)}` exited {result.returncode}:\n{output}")

    def start(self) -> None:
        self.prepare()
        self.serve()

    def prepare(self) -> None:
        """Set up the box and the account (its Maildir may be filled before `serve`)."""
        if not self.main_py.exists():
            raise ServerError(f"{self.main_py} does not exist")
        self._cli("init", "--hostname", f"mail.{DOMAIN}", "--domain", DOMAIN)
        self._cli("account", "add", RECIPIENT, "--password-stdin", stdin=PASSWORD + "\n")
        for key, value in self.settings.items():
            self._cli("settings", "set", key, value)

    def serve(self) -> None:
        """Start the daemon; return once its SMTP port greets."""
        self.offset = offset = pick_port_offset()
        self.port = 25 + offset
        self.proc = spawn_server(
            [self.python, str(self.main_py), "serve", "--listen", HOST,
             "--port-offset", str(offset)],
            self.log, port=self.port, what="mailroom serve", env=self.env,
            cwd=self.main_py.parent,
            timeout=60,
        )
