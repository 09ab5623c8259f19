"""The far side of a relay benchmark: an SMTP sink that accepts everything.

`Sink` is what the benchmark needs of any far side; `RelaySink` is the
aiosmtpd one (bench/peers/smtp_sink.py has Postfix's smtp-sink in C).

An aiosmtpd Controller in a child Python process (so it does not share the
load client's interpreter) listening on SINK_HOST (127.0.0.4) and a high
port.  It accepts every sender and recipient, does not offer STARTTLS nor
PIPELINING (aiosmtpd never advertises it), keeps nothing in memory, and for
every message it accepts appends one line

    TOKEN RCPT[,RCPT...] SIGNATURES\\n

to a file (one unbuffered O_APPEND write, no fsync) before answering 250.
TOKEN is the message's X-Bench-Token header, or `-` if it has none;
SIGNATURES the number of DKIM-Signature fields in its header.  The
benchmark counts lines to know how many messages arrived, and checks the
tokens for loss and duplicates and the signatures afterwards.

Run by hand (from bench/):

    python -m peers.relay_sink --port 2600 --out /tmp/received.txt
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
from abc import abstractmethod
from collections import Counter
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

from peers.base import (
    ChildProcess,
    Workspace,
    free_port,
    serve_controller,
    spawn_peer,
)

SINK_HOST = "127.0.0.4"
TOKEN_RE = re.compile(rb"^X-Bench-Token: *(\S+)", re.MULTILINE)
SIGNATURE_RE = re.compile(rb"^DKIM-Signature:", re.MULTILINE | re.IGNORECASE)


def signature_count(head: bytes) -> int:
    """DKIM-Signature fields in a message header."""
    return len(SIGNATURE_RE.findall(head))


class CountingHandler:
    """aiosmtpd handler: one line per accepted message, then 250."""

    def __init__(self, out: Path) -> None:
        self.fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    async def handle_DATA(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        head = content.split(b"\r\n\r\n", 1)[0]
        match = TOKEN_RE.search(head)
        token = match.group(1).decode("ascii", "replace") if match else "-"
        line = f"{token} {','.join(envelope.rcpt_tos)} {signature_count(head)}\n".encode()
        os.write(self.fd, line)  # one write: a line is never torn or interleaved
        return "250 2.0.0 Ok: received"


def serve(host: str, port: int, out: Path) -> None:
    """Run the Controller until SIGTERM or SIGINT."""
    serve_controller(CountingHandler(out), host, port, "sink.far.test",
                     f"sink ready on {host}:{port}")


class Sink(ChildProcess, Workspace):
    """The far side of a relay run: one child process on `host`:`port`.

    A context manager: leaving it stops the process and removes its
    temporary directory, also on exceptions and Ctrl-C.
    """

    kind = "?"
    pipelining = False  # whether its EHLO reply offers PIPELINING

    def __init__(self, host: str, prefix: str) -> None:
        super().__init__(prefix)
        self.host = host
        self.port = 0

    @abstractmethod
    def start(self) -> None:
        """Start it; return once it greets."""

    @abstractmethod
    def count(self) -> int:
        """Messages completely received so far (cheap: called every 20 ms)."""

    @abstractmethod
    def tokens(self) -> Counter[str]:
        """How often each X-Bench-Token arrived (`-`: a message without one)."""

    @abstractmethod
    def signatures(self) -> Counter[int]:
        """How many messages arrived with 0, 1, 2... DKIM-Signature fields."""

    def damaged(self) -> int:
        """Messages whose body did not arrive as sent (if the sink can tell)."""
        return 0


class RelaySink(Sink):
    """Starts `serve()` above (aiosmtpd) in a child process; counts what it received."""

    kind = "aiosmtpd"

    def __init__(self, host: str = SINK_HOST) -> None:
        super().__init__(host, "bench-sink-")
        self.out = self.workdir / "received.txt"
        self.log = self.workdir / "sink.log"
        self._read = 0  # bytes of `out` already counted
        self._lines = 0

    def start(self) -> None:
        self.port = free_port(self.host)
        self.out.touch()
        self.proc = spawn_peer(
            "relay_sink", ["--host", self.host, "--port", str(self.port), "--out", str(self.out)],
            self.log, port=self.port, host=self.host, what="relay sink",
        )

    def count(self) -> int:
        """Messages received so far (reads only what was appended since last call)."""
        with open(self.out, "rb") as f:
            f.seek(self._read)
            chunk = f.read()
        # Count whole lines only; a write in progress is never half-visible
        # (one write per line), but be safe.
        end = chunk.rfind(b"\n") + 1
        self._lines += chunk.count(b"\n", 0, end)
        self._read += end
        return self._lines

    def tokens(self) -> Counter[str]:
        seen: Counter[str] = Counter()
        with open(self.out, "rb") as f:
            for line in f:
                seen[line.split(b" ", 1)[0].decode("ascii", "replace")] += 1
        return seen

    def signatures(self) -> Counter[int]:
        seen: Counter[int] = Counter()
        with open(self.out, "rb") as f:
            for line in f:
                fields = line.split()
                seen[int(fields[2]) if len(fields) > 2 else 0] += 1
        return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=SINK_HOST)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        serve(args.host, args.port, args.out)


if __name__ == "__main__":
    main()
