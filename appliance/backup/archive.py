"""The archive format: a tar stream, compressed with zstd, encrypted with age when a
recipient is set. Written and read as streams: an archive is never held in memory.

Restorable by hand with the ordinary tools::

    age -d -i key.txt mailroom-....tar.zst.age | zstd -d | tar -x
    zstd -d < mailroom-....tar.zst | tar -x

The members are ``data/<path in the data directory>`` and, last,
``manifest.json`` (each file's size and SHA-256).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import struct
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO

# pyrage and zstandard are imported inside the functions that use them: the daemon
# loads them when a backup runs, not at start.

__all__ = ["ArchiveError", "AGE_MAGIC", "open_writer", "open_reader", "make_identity",
           "is_encrypted", "public_key", "manifest_trailer", "read_trailer"]

AGE_MAGIC = b"age-encryption.org/v1"
_CHUNK = 1 << 20


class ArchiveError(Exception):
    pass


def make_identity() -> tuple[str, str]:
    """A new age key pair: (secret identity ``AGE-SECRET-KEY-1...``, recipient ``age1...``)."""
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def public_key(identity: str) -> str:
    import pyrage

    try:
        return str(pyrage.x25519.Identity.from_str(identity.strip()).to_public())
    except Exception as exc:  # pyrage raises its own IdentityError (and ValueError)
        raise ArchiveError("not an age secret key (AGE-SECRET-KEY-1...)") from exc


def parse_identity(text: str) -> Any:
    """The identity in ``text``: the key itself or an age key file (comments allowed)."""
    import pyrage

    for line in text.splitlines():
        line = line.strip()
        if line.startswith("AGE-SECRET-KEY-"):
            try:
                return pyrage.x25519.Identity.from_str(line)
            except Exception as exc:
                raise ArchiveError("the age secret key is damaged") from exc
    raise ArchiveError("no age secret key (AGE-SECRET-KEY-1...) given")


def is_encrypted(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(AGE_MAGIC)) == AGE_MAGIC


# A zstd skippable frame (decoders pass over it) at the very end of an unencrypted
# archive holds a copy of the manifest: verify reads it first, so that damage early in
# the compressed data still names every file it makes unreadable.
_SKIPPABLE = 0x184D2A5B


def manifest_trailer(body: bytes) -> bytes:
    payload = body + struct.pack("<Q", len(body))
    return struct.pack("<II", _SKIPPABLE, len(payload)) + payload


def read_trailer(path: Path) -> dict[str, Any] | None:
    """The manifest copy at the end of ``path``; None when there is none (or it is damaged)."""
    try:
        with open(path, "rb") as fh:
            end = fh.seek(0, os.SEEK_END)
            if end < 16:
                return None
            fh.seek(end - 8)
            (size,) = struct.unpack("<Q", fh.read(8))
            if size > end - 16:
                return None
            fh.seek(end - 16 - size)
            magic, length = struct.unpack("<II", fh.read(8))
            if magic != _SKIPPABLE or length != size + 8:
                return None
            data = json.loads(fh.read(size))
    except (OSError, ValueError, struct.error):
        return None
    return data if isinstance(data, dict) else None


class _Pump:
    """Runs pyrage over one end of a pipe in a thread, so the tar side can stream."""

    def __init__(self, target: Any, *args: Any) -> None:
        self.error: BaseException | None = None

        def run() -> None:
            try:
                target(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                self.error = exc

        self.thread = threading.Thread(target=run, name="mailroom-age", daemon=True)
        self.thread.start()

    def join(self) -> None:
        self.thread.join()


class _Counted:
    """Write-only, with the ``tell`` tarfile asks for."""

    def __init__(self, out: Any) -> None:
        self.out = out
        self.position = 0

    def write(self, data: bytes) -> int:
        self.out.write(data)
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position


@contextlib.contextmanager
def open_writer(out: BinaryIO, recipient: str = "", level: int = 3) -> Iterator[tarfile.TarFile]:
    """A streaming tar writer whose bytes go through zstd (and age) into ``out``."""
    import pyrage
    import zstandard

    pump: _Pump | None = None
    sink: BinaryIO = out
    pipe_w: IO[bytes] | None = None
    if recipient:
        try:
            rcpt = pyrage.x25519.Recipient.from_str(recipient)
        except Exception as exc:
            raise ArchiveError(f"not an age public key: {recipient!r}") from exc
        r, w = os.pipe()
        pipe_r = os.fdopen(r, "rb")
        pipe_w = os.fdopen(w, "wb")
        pump = _Pump(_encrypt, pipe_r, out, rcpt)
        sink = pipe_w
    # No zstd checksum: every file's SHA-256 is in the manifest, which names a damaged
    # file, where a frame checksum would only say "somewhere in the archive".
    cctx = zstandard.ZstdCompressor(level=level, threads=-1, write_checksum=False)
    zout = cctx.stream_writer(sink, closefd=False)
    # Mode "w" on a counting writer, not the stream mode "w|": tarfile's stream
    # buffer grows by concatenation and costs more than zstd does.
    tar = tarfile.TarFile(fileobj=_Counted(zout), mode="w",  # type: ignore[arg-type]
                          format=tarfile.PAX_FORMAT, copybufsize=_CHUNK)
    ok = False
    try:
        yield tar
        ok = True
    finally:
        try:
            tar.close()
            zout.close()
        finally:
            if pipe_w is not None:
                with contextlib.suppress(OSError):
                    pipe_w.close()
            if pump is not None:
                pump.join()
                if pump.error is not None and ok:
                    raise ArchiveError(f"cannot encrypt: {pump.error}") from pump.error


def _encrypt(src: IO[bytes], out: BinaryIO, rcpt: Any) -> None:
    import pyrage

    with src:
        pyrage.encrypt_io(src, out, [rcpt])


def _decrypt(src: BinaryIO, dst: IO[bytes], identity: Any) -> None:
    import pyrage

    with dst:
        pyrage.decrypt_io(src, dst, [identity])


class Counting:
    """A file's reads, counted: how far into the archive a stream has got (for progress)."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.count += len(data)
        return data

    def seek(self, offset: int) -> None:
        self.fh.seek(offset)
        self.count = offset

    def close(self) -> None:
        self.fh.close()


class _Prefetch:
    """Decompresses ahead in a thread (zstd lets go of the GIL), so that unpacking,
    hashing and writing files overlap with it."""

    _END = b""

    def __init__(self, source: Any, chunk: int = _CHUNK, depth: int = 8) -> None:
        self.source = source
        self.queue: queue.Queue[bytes | BaseException] = queue.Queue(depth)
        self.buf = b""
        self.pos = 0
        self.done = False
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(chunk,), daemon=True,
                                       name="mailroom-unzstd")
        self.thread.start()

    def _put(self, item: bytes | BaseException) -> bool:
        while not self.closed.is_set():
            try:
                self.queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, chunk: int) -> None:
        try:
            while data := self.source.read(chunk):
                if not self._put(data):
                    return
        except BaseException as exc:  # noqa: BLE001 - raised in the reader's thread
            self._put(exc)
            return
        self._put(self._END)

    def read(self, size: int = -1) -> bytes:
        out = []
        want = size if size >= 0 else 1 << 62
        while want > 0:
            if self.pos >= len(self.buf):
                if self.done:
                    break
                item = self.queue.get()
                if isinstance(item, BaseException):
                    self.done = True
                    raise item
                if item == self._END:
                    self.done = True
                    break
                self.buf, self.pos = item, 0
            piece = self.buf[self.pos:self.pos + want]
            self.pos += len(piece)
            want -= len(piece)
            out.append(piece)
        return b"".join(out)

    def close(self) -> None:
        self.closed.set()
        self.thread.join()


@contextlib.contextmanager
def open_reader(path: Path, identity: str = "",
                counter: Counting | None = None) -> Iterator[tarfile.TarFile]:
    """A streaming tar reader over ``path`` (decrypted with ``identity`` when it is age);
    ``counter``, when given, wraps the archive file and counts the bytes read."""
    import zstandard

    fh: Any = counter or Counting(open(path, "rb"))  # noqa: SIM115 - closed after the pump
    pump: _Pump | None = None
    pipe_r: IO[bytes] | None = None
    failure: BaseException | None = None
    try:
        source: BinaryIO = fh
        if fh.read(len(AGE_MAGIC)) == AGE_MAGIC:
            if not identity:
                raise ArchiveError(f"{path.name} is encrypted: give its key "
                                   "(--identity FILE, or - for standard input)")
            ident = parse_identity(identity)
            fh.seek(0)
            r, w = os.pipe()
            pipe_r = os.fdopen(r, "rb")
            pump = _Pump(_decrypt, fh, os.fdopen(w, "wb"), ident)
            source = pipe_r
        else:
            fh.seek(0)
        zin = zstandard.ZstdDecompressor().stream_reader(source, read_across_frames=True,
                                                        closefd=False)
        ahead = _Prefetch(zin)
        try:
            # A small stream buffer: tarfile copies what is left of it on every read.
            tar = tarfile.open(fileobj=ahead, mode="r|", bufsize=64 * 1024)  # noqa: SIM115
            try:
                yield tar
            finally:
                tar.close()
        finally:
            ahead.close()
    except BaseException as exc:
        failure = exc
    finally:
        if pipe_r is not None:
            pipe_r.close()  # a reader that stopped early must not leave the pump blocked
        if pump is not None:
            pump.join()
        fh.close()
    if pump is not None and pump.error is not None and not isinstance(
            pump.error, BrokenPipeError):
        # A wrong key or a damaged encrypted chunk: that, not the tar error it caused.
        raise ArchiveError(f"cannot decrypt {path.name}: {pump.error}") from failure
    if failure is not None:
        raise failure
