"""The naive Python baseline: a bare aiosmtpd handler that writes Maildir files.

`handle_DATA` writes the message into the Maildir's tmp/, fsyncs the file,
renames it into new/, fsyncs new/, and only then answers 250 - the same
durability promise Mailroom makes - all inline on the event loop, as a
first attempt would.  It accepts any recipient and delivers every message
to MAIL_ROOT/bench/Maildir/.

The server runs in its own process (aiosmtpd's Controller thread in a child
Python), so it does not share the load client's interpreter.  Run by hand:

    python -m peers.bare_aiosmtpd --port 2600 --maildir /tmp/x/Maildir   # from bench/
"""

from __future__ import annotations

import argparse
import itertools
import os
import socket
import time
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

from peers.base import (
    HOST,
    ProcessServer,
    free_port,
    serve_controller,
    spawn_peer,
)


class MaildirHandler:
    """aiosmtpd handler: durable Maildir delivery, then 250."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        for sub in ("tmp", "new", "cur"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)
        self.tmp = maildir / "tmp"
        self.new = maildir / "new"
        self.hostname = socket.gethostname().replace("/", "\\057").replace(":", "\\072")
        self.pid = os.getpid()
        self.counter = itertools.count()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        body = content.replace(b"\r\n", b"\n")
        header = f"Return-Path: <{envelope.mail_from}>\n".encode()
        now = time.time()
        name = (
            f"{int(now)}.M{int(now % 1 * 1e6)}P{self.pid}Q{next(self.counter)}"
            f".{self.hostname},S={len(header) + len(body)}"
        )
        tmp_path = self.tmp / name
        fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, header)
            view = memoryview(body)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp_path, self.new / name)
        dir_fd = os.open(self.new, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return "250 2.0.0 Ok: delivered"


def serve(port: int, maildir: Path) -> None:
    """Run the Controller until SIGTERM or SIGINT."""
    serve_controller(MaildirHandler(maildir), HOST, port, "bare-aiosmtpd.example.test",
                     f"ready on {HOST}:{port}")


class BareAiosmtpd(ProcessServer):
    """Starts `serve()` above in a child Python process."""

    name = "bare"
    rss_kind = "VmHWM"

    def __init__(self) -> None:
        super().__init__()
        self.log = self.workdir / "server.log"

    @property
    def mail_root(self) -> Path:
        return self.workdir / "mail"

    def start(self) -> None:
        self.port = free_port()
        maildir = self.mail_root / "bench" / "Maildir"
        args = ["--port", str(self.port), "--maildir", str(maildir)]
        self.proc = spawn_peer("bare_aiosmtpd", args, self.log, port=self.port,
                               what="bare aiosmtpd")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", type=Path, required=True)
    args = parser.parse_args()
    serve(args.port, args.maildir)


if __name__ == "__main__":
    main()
