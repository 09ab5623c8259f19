"""Postfix's smtp-sink(1), a test SMTP server in C, as the far side of a relay run.

    smtp-sink -u nobody -h sink.far.test -D DUMPFILE [-p] 127.0.0.4:PORT 256

One process, one event loop, no fork per connection: it costs a fraction of
the aiosmtpd sink's CPU per message, so a relay run measures the servers
rather than the sink.  It offers PIPELINING unless -p is given (and also
8BITMIME, ENHANCEDSTATUSCODES, DSN, and AUTH/XCLIENT/XFORWARD, which
nothing here uses), no STARTTLS, and accepts every sender and recipient.

How it records (smtp-sink.c, Postfix 3.7): at MAIL it creates a temporary
file DUMPFILE<8 hex digits> and unlinks it at once; it writes its own
header lines (X-Client-Addr first, X-Rcpt-Args per recipient, a 3-line
Received) and then the message as received, CRs dropped, dots unstuffed,
plus one empty line.  Once the final "." has arrived, and before it
answers 250, it opens DUMPFILE with O_APPEND, copies the whole record
there through a stdio-like buffer (so in several write()s) and closes it.
Being one process, records never interleave, but a poll can see the start
of the last one; the counting below only counts records known to be whole:
those followed by the next record's X-Client-Addr line, and the last one
once its body has as many bytes as the message with that X-Bench-Token had
when it was sent.

The per-message temporary file is created and unlinked in the dump file's
directory; on this machine's journal-less ext4 the inode allocator skips
recently freed inodes, which makes creating files dearer, so the dump
directory is on tmpfs (/dev/shm) when there is one (measured with 4000
messages straight from the client: 0.125 ms of the sink's CPU per message
on tmpfs, 0.15 on ext4 under /tmp).

smtp-sink drops root for `nobody` after binding; the dump directory belongs
to nobody.  `python -m peers.smtp_sink DUMPFILE` prints what a dump holds.
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from peers.base import free_port, wait_for_smtp
from peers.relay_sink import SINK_HOST, TOKEN_RE, Sink, signature_count

SMTP_SINK = Path("/usr/sbin/smtp-sink")
USER = "nobody"
SINK_HELO = "sink.far.test"
BACKLOG = 256
TMPFS = Path("/dev/shm")

RECORD_START = b"X-Client-Addr: "
# A record ends with the message's last line and one empty line, so the
# next record begins right after a blank line.
_NEXT_RECORD = b"\n\n" + RECORD_START
_CLOSING = len(b"\n\n")


def available() -> bool:
    return SMTP_SINK.exists()


def dumped_body_size(message: bytes) -> int:
    """Bytes after the header's blank line in the dump record of `message` (CRLF, as sent).

    smtp-sink drops every CR and adds one empty line; the client's dot
    stuffing it undoes, so a sent body keeps its dots.
    """
    _, sep, body = message.partition(b"\r\n\r\n")
    if not sep:
        return 1
    return len(body) - body.count(b"\r") + 1


@dataclass(frozen=True)
class DumpRecord:
    """One message as smtp-sink dumped it."""

    token: str  # its X-Bench-Token, or "-"
    signatures: int  # DKIM-Signature fields in its header
    body_size: int  # bytes after the header's blank line

    @classmethod
    def parse(cls, record: bytes) -> DumpRecord:
        head, _, body = record.partition(b"\n\n")
        match = TOKEN_RE.search(head)
        token = match.group(1).decode("ascii", "replace") if match else "-"
        return cls(token, signature_count(head), len(body))


def split_records(data: bytes) -> tuple[list[bytes], bytes]:
    """(records known to be whole, the rest) of dump text that starts at a record."""
    records: list[bytes] = []
    start = 0
    while (i := data.find(_NEXT_RECORD, start)) >= 0:
        records.append(data[start:i + _CLOSING])
        start = i + _CLOSING
    return records, data[start:]


class DumpCounter:
    """Counts whole records in a dump file that is read piece by piece as it grows.

    `sizes` maps each X-Bench-Token sent to `dumped_body_size()` of its
    message: the last record counts once its body is that long.
    """

    def __init__(self, sizes: Mapping[str, int]) -> None:
        self.sizes = sizes
        self.whole = 0  # records followed by another
        self._rest = b""  # the last record so far, maybe partial

    def feed(self, data: bytes) -> int:
        """Add what was appended since the last call; return the records known whole."""
        records, self._rest = split_records(self._rest + data)
        self.whole += len(records)
        return self.whole + self._last_is_whole()

    def _last_is_whole(self) -> int:
        rest = self._rest
        # The next record may have begun, but not yet as far as split_records sees.
        for k in range(len(RECORD_START) - 1, 0, -1):
            if rest.endswith(b"\n\n" + RECORD_START[:k]):
                rest = rest[:-k]
                break
        if not rest.startswith(RECORD_START) or not rest.endswith(b"\n\n"):
            return 0
        record = DumpRecord.parse(rest)
        return int(self.sizes.get(record.token) == record.body_size)


def _all_records(path: Path) -> list[bytes]:
    records, rest = split_records(path.read_bytes())
    return records + ([rest] if rest else [])


def read_records(path: Path) -> Iterator[DumpRecord]:
    """Every record of a dump file that nothing writes to any more."""
    for record in _all_records(path):
        yield DumpRecord.parse(record)


def message_of(record: bytes) -> bytes:
    """The message of a whole dump record as it was sent (CRLF), without smtp-sink's lines.

    smtp-sink's own lines end with its 3-line Received field, whose second
    line says "(smtp-sink)".
    """
    mark = record.find(b" (smtp-sink) with ")
    if mark < 0:
        raise ValueError("not an smtp-sink dump record")
    start = record.index(b"\n", record.index(b"\n", mark) + 1) + 1
    return record[start:-1].replace(b"\n", b"\r\n")  # its closing empty line dropped


class SmtpSink(Sink):
    """smtp-sink in a child process, dumping to a file; counts what it received.

    `sizes` (token -> dumped_body_size of the message) lets `count()` know
    when the last record in the dump is whole, and `damaged()` find
    messages that arrived cut or altered.
    """

    kind = "smtp-sink"

    def __init__(self, host: str = SINK_HOST, pipelining: bool = True,
                 sizes: Mapping[str, int] | None = None) -> None:
        super().__init__(host, "bench-smtp-sink-")
        self.pipelining = pipelining
        self.sizes = dict(sizes or {})
        self.log = self.workdir / "smtp-sink.log"
        self.workdir.chmod(0o755)  # smtp-sink, as nobody, reaches a dump dir inside it
        # Not under workdir when tmpfs is there: see the module docstring.
        self.dump_dir = Path(tempfile.mkdtemp(prefix="bench-sink-dump-",
                                              dir=TMPFS if TMPFS.is_dir() else self.workdir))
        self.out = self.dump_dir / "dump"
        self._read = 0  # bytes of `out` already fed to the counter
        self._counter = DumpCounter(self.sizes)

    def start(self) -> None:
        self.out.touch()
        argv = [str(SMTP_SINK)]
        if os.geteuid() == 0:  # it refuses to run as root without -u
            pw = pwd.getpwnam(USER)
            os.chown(self.dump_dir, pw.pw_uid, pw.pw_gid)
            os.chown(self.out, pw.pw_uid, pw.pw_gid)
            argv += ["-u", USER]
        self.port = free_port(self.host)
        argv += ["-h", SINK_HELO, "-D", str(self.out)]
        if not self.pipelining:
            argv.append("-p")
        argv += [f"{self.host}:{self.port}", str(BACKLOG)]
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_smtp(self.port, alive=self.proc, host=self.host, timeout=30)

    def count(self) -> int:
        with open(self.out, "rb") as f:
            f.seek(self._read)
            data = f.read()
        self._read += len(data)
        return self._counter.feed(data)

    def tokens(self) -> Counter[str]:
        return Counter(r.token for r in read_records(self.out))

    def signatures(self) -> Counter[int]:
        return Counter(r.signatures for r in read_records(self.out))

    def messages(self, limit: int) -> list[bytes]:
        """The first `limit` messages received, as sent (CRLF), e.g. to verify signatures."""
        return [message_of(r) for r in _all_records(self.out)[:limit]]

    def damaged(self) -> int:
        return sum(
            1 for r in read_records(self.out)
            if r.token in self.sizes and self.sizes[r.token] != r.body_size
        )

    def cleanup(self) -> None:
        try:
            super().cleanup()
        finally:
            shutil.rmtree(self.dump_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="Summarize an smtp-sink -D dump file.")
    parser.add_argument("dump", type=Path)
    args = parser.parse_args()
    records = list(read_records(args.dump))
    tokens = Counter(r.token for r in records)
    print(f"{len(records)} records, {len(tokens)} distinct tokens, "
          f"{sum(c - 1 for c in tokens.values() if c > 1)} duplicates")
    print("DKIM-Signature fields per message:",
          dict(sorted(Counter(r.signatures for r in records).items())))
    print("body sizes:", dict(Counter(r.body_size for r in records).most_common(5)))


if __name__ == "__main__":
    main()
