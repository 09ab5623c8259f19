"""Reading an archive back: ``verify`` (into a scratch folder) and ``restore`` (into a new
data directory). Both re-hash every file against the manifest and run SQLite's
integrity check on every database; a damaged file is named."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from appliance.backup.archive import (
    ArchiveError,
    Counting,
    is_encrypted,
    open_reader,
    read_trailer,
)
from appliance.backup.collect import SQLITE_MAGIC

__all__ = ["Report", "verify_archive", "restore_archive", "RestoreError"]

_CHUNK = 1 << 20
_THREADED_HASH = 256 * 1024

Progress = Callable[[int, int, str], None]


class RestoreError(Exception):
    pass


@dataclass
class Report:
    archive: str
    files: int = 0
    data_bytes: int = 0
    bad: list[dict[str, str]] = field(default_factory=list)
    created: float | None = None
    hostname: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.bad

    def to_dict(self) -> dict[str, Any]:
        return {"archive": self.archive, "ok": self.ok, "files": self.files,
                "data_bytes": self.data_bytes, "bad": self.bad, "created": self.created,
                "hostname": self.hostname, "seconds": round(self.seconds, 3)}


def _safe_path(name: str) -> PurePosixPath | None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or len(path.parts) < 2 or path.parts[0] != "data":
        return None
    return PurePosixPath(*path.parts[1:])


def _extract(archive: Path, identity: str, target: Path, report: Report,
             progress: Progress | None) -> dict[str, str]:
    """Write every data file under ``target``; returns {path: sha256} of what was written."""
    import zstandard  # here: the daemon loads it only when a backup is checked or restored

    if not identity and is_encrypted(archive):
        raise RestoreError(f"{archive.name} is encrypted: give its key (the age secret key "
                           "shown when it was made)")
    written: dict[str, str] = {}
    manifest: dict[str, Any] | None = None
    trailer = read_trailer(archive)
    made: set[Path] = set()
    total = archive.stat().st_size
    current = ""
    last = 0.0
    counter = Counting(open(archive, "rb"))  # noqa: SIM115 - open_reader closes it
    hasher = ThreadPoolExecutor(1, thread_name_prefix="mailroom-sha256")
    try:
        with open_reader(archive, identity, counter) as tar:
            for member in tar:
                current = member.name
                if member.name == "manifest.json" and member.isfile():
                    fh = tar.extractfile(member)
                    assert fh is not None
                    manifest = json.loads(fh.read())
                    continue
                rel = _safe_path(member.name)
                if rel is not None and member.isdir():
                    (target / rel).mkdir(parents=True, exist_ok=True)
                    os.chmod(target / rel, member.mode & 0o777 or 0o700)
                    continue
                if rel is None or not member.isfile():
                    report.bad.append({"path": member.name,
                                       "problem": "not a data file of a Mailroom backup"})
                    continue
                dest = target / rel
                if dest.parent not in made:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    made.add(dest.parent)
                sha = hashlib.sha256()
                src = tar.extractfile(member)
                assert src is not None
                with open(dest, "wb") as out:
                    pending = None
                    while chunk := src.read(_CHUNK):
                        # Hashing beside writing: both let go of the GIL.
                        if pending is not None:
                            pending.result()
                            pending = None
                        if len(chunk) >= _THREADED_HASH:
                            pending = hasher.submit(sha.update, chunk)
                        else:
                            sha.update(chunk)  # a hand-off costs more than a small hash
                        out.write(chunk)
                    if pending is not None:
                        pending.result()
                        if progress is not None and time.monotonic() - last > 0.2:
                            last = time.monotonic()
                            # The data's size is in the manifest, at the end: progress
                            # goes by how far into the archive the stream has got.
                            progress(counter.count, max(counter.count, total), str(rel))
                os.chmod(dest, member.mode & 0o777 or 0o600)
                os.utime(dest, (member.mtime, member.mtime))
                written[str(rel)] = sha.hexdigest()
    except (ArchiveError, tarfile.TarError, zstandard.ZstdError, OSError, EOFError,
            ValueError) as exc:
        hasher.shutdown()
        where = current.removeprefix("data/")
        problem = (f"the archive is damaged {f'at {where}' if where else 'before the first file'}"
                   f": {exc}")
        failed, cut_in = True, where  # the file being read when it broke is suspect
    else:
        hasher.shutdown()
        # tarfile takes a damaged header after the first for the end of the archive.
        where = current.removeprefix("data/")
        problem = f"the archive is damaged after {where or 'its start'}"
        failed, cut_in = manifest is None and trailer is not None, ""
    if failed:
        if trailer is None:
            report.bad.append({"path": where or "(the start of the archive)",
                               "problem": problem})
            return written
        # The manifest's copy at the end says what could not be read back; what was
        # read back is checked against it below.
        unread = [e["path"] for e in trailer.get("files", []) if e["path"] not in written]
        if cut_in in written:
            unread.insert(0, cut_in)
        for path in unread or [where or "manifest.json"]:
            report.bad.append({"path": path, "problem": problem})
        written = {p: h for p, h in written.items() if p not in unread}
        manifest = {**trailer, "files": [e for e in trailer.get("files", [])
                                         if e["path"] not in unread]}
    else:
        if progress is not None:
            progress(total, total, "")
        if manifest is None:
            report.bad.append({"path": "manifest.json",
                               "problem": "no manifest: the archive is cut short"})
            return written
        if trailer is None and not is_encrypted(archive):
            report.bad.append({"path": "manifest.json", "problem": "the manifest's copy at the "
                               "end of the archive is missing: the archive is cut short"})
        elif trailer is not None and trailer != manifest:
            report.bad.append({"path": "manifest.json",
                               "problem": "the manifest's copy at the end of the archive "
                                          "differs"})
    report.created = manifest.get("created")
    report.hostname = manifest.get("hostname", "")
    listed = {f["path"]: f for f in manifest.get("files", [])}
    for path, entry in listed.items():
        got = written.get(path)
        if got is None:
            report.bad.append({"path": path, "problem": "in the manifest but not in the archive"})
        elif got != entry.get("sha256"):
            report.bad.append({"path": path, "problem": "SHA-256 differs from the manifest"})
        else:
            report.files += 1
            report.data_bytes += int(entry.get("size", 0))
    for path in written.keys() - listed.keys():
        report.bad.append({"path": path, "problem": "in the archive but not in the manifest"})
    for path, entry in listed.items():
        if entry.get("sqlite") and written.get(path) == entry.get("sha256"):
            problem = _integrity(target / path)
            if problem:
                report.bad.append({"path": path, "problem": problem})
    return written


def _integrity(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
                return ""  # a .db that is not SQLite was copied as it is
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = [r[0] for r in db.execute("PRAGMA integrity_check")]
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        return f"SQLite integrity check failed: {exc}"
    if rows != ["ok"]:
        return "SQLite integrity check failed: " + "; ".join(rows[:3])
    return ""


def verify_archive(archive: Path, identity: str = "", scratch: Path | None = None,
                   progress: Progress | None = None) -> Report:
    """Unpack into a scratch folder (removed afterwards) and check every file."""
    started = time.monotonic()
    report = Report(str(archive))
    if not archive.is_file():
        raise RestoreError(f"no such archive: {archive}")
    with tempfile.TemporaryDirectory(prefix="mailroom-verify-", dir=scratch) as tmp:
        _extract(archive, identity, Path(tmp), report, progress)
    report.seconds = time.monotonic() - started
    return report


def restore_archive(archive: Path, data_dir: Path, identity: str = "",
                    progress: Progress | None = None) -> Report:
    """Build a working data directory at ``data_dir`` (absent or empty) from ``archive``.

    Unpacked beside it under a temporary name and renamed into place only
    when every file checked out: a failed restore leaves nothing half-made.
    """
    started = time.monotonic()
    if not archive.is_file():
        raise RestoreError(f"no such archive: {archive}")
    data_dir = data_dir.expanduser().absolute()
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise RestoreError(f"{data_dir} is not empty: restore into a new folder "
                           "(or use --replace to restore over this data directory)")
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{data_dir.name}.restoring-", dir=data_dir.parent))
    report = Report(str(archive))
    try:
        _extract(archive, identity, work, report, progress)
        if not report.ok:
            raise RestoreError(describe_bad(report))
        if not (work / "mailroom.db").is_file():
            raise RestoreError(f"{archive.name} holds no Mailroom database (mailroom.db)")
        for sub in ("mail", "queue", "queue/active", "queue/deferred", "queue/hold",
                    "queue/status", "queue/tmp", "tls", "logs", "backups", "run"):
            (work / sub).mkdir(exist_ok=True)
        os.chmod(work, 0o700)
        if data_dir.exists():
            data_dir.rmdir()
        os.rename(work, data_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    report.seconds = time.monotonic() - started
    return report


def describe_bad(report: Report) -> str:
    lines = [f"{b['path']}: {b['problem']}" for b in report.bad[:10]]
    more = len(report.bad) - 10
    if more > 0:
        lines.append(f"... and {more} more")
    return f"{report.archive} is damaged:\n  " + "\n  ".join(lines)
