"""Taking a backup into the destination folder, listing and rotating the archives there."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from appliance.backup.archive import ArchiveError, manifest_trailer, open_writer
from appliance.backup.collect import Collector, Manifest, Progress, plan
from appliance.backup.policy import Archive, archive_name, keep, parse_archive_name
from appliance.version import __version__

__all__ = ["BackupError", "Result", "take_backup", "list_archives", "rotate", "destination_of",
           "SPACE_MARGIN"]

# Room left over on the destination beyond the data's own size (file system slack).
SPACE_MARGIN = 16 * 1024 * 1024


class BackupError(Exception):
    pass


@dataclass
class Result:
    archive: Path
    size: int
    files: int
    data_bytes: int
    seconds: float
    missing: list[str]
    removed: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"archive": str(self.archive), "size": self.size, "files": self.files,
                "data_bytes": self.data_bytes, "seconds": round(self.seconds, 3),
                "missing": self.missing, "removed": self.removed}


def destination_of(root: Path, setting: str) -> Path:
    return Path(setting).expanduser() if setting else root / "backups"


def take_backup(root: Path, destination: Path, *, hostname: str = "", recipient: str = "",
                progress: Progress | None = None, keep_daily: int = 0, keep_weekly: int = 0,
                now: datetime | None = None) -> Result:
    """Write one archive of ``root`` into ``destination``; rotate when ``keep_daily`` is set.

    The archive is written under a hidden temporary name, fsynced, and
    renamed into place: a name that looks like an archive is always whole.
    """
    started = time.monotonic()
    inside = _inside(destination, root)
    if inside:
        destination.mkdir(mode=0o700, parents=True, exist_ok=True)  # the default: backups/
    if not destination.is_dir():
        raise BackupError(f"the backup folder {destination} does not exist (is the disk "
                          "mounted?)")
    folders, files, total = plan(root, exclude=destination if inside else None)
    free = shutil.disk_usage(destination).free
    # The compressed size is unknown until written: ask for room for all of it.
    if free < total + SPACE_MARGIN:
        raise BackupError(f"not enough space in {destination}: {free // 2**20} MiB free, "
                          f"the data is {total // 2**20} MiB")
    created = now or datetime.now(UTC)
    name = archive_name(created, bool(recipient))
    final = destination / name
    if final.exists():
        raise BackupError(f"{final} already exists")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".partial", dir=destination)
    tmp = Path(tmp_name)
    manifest = Manifest(created=created.timestamp(), hostname=hostname, version=__version__)
    try:
        with os.fdopen(fd, "wb") as out, tempfile.TemporaryDirectory(
                prefix=".scratch-", dir=destination) as scratch:
            with open_writer(out, recipient) as tar:
                collector = Collector(root, tar, Path(scratch), progress, total)
                collector.copy_all(folders, files)
                manifest.files = collector.files
                body = json.dumps(manifest.to_json(), indent=1).encode()
                info = tarfile.TarInfo("manifest.json")
                info.size = len(body)
                info.mtime = int(created.timestamp())
                info.mode = 0o600
                tar.addfile(info, BytesIO(body))
            if not recipient:
                out.write(manifest_trailer(body))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)  # everyone's mail and the secrets: the admin's eyes only
        os.rename(tmp, final)
        _fsync_dir(destination)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC:
            raise BackupError(f"the backup folder {destination} ran out of space") from exc
        raise BackupError(f"cannot write the backup into {destination}: {exc}") from exc
    except ArchiveError as exc:
        tmp.unlink(missing_ok=True)
        raise BackupError(str(exc)) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    removed = (rotate(destination, keep_daily, keep_weekly, written=final.name)
               if keep_daily > 0 else [])
    return Result(final, final.stat().st_size, len(manifest.files),
                  sum(f["size"] for f in manifest.files), time.monotonic() - started,
                  collector.missing, removed)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def list_archives(destination: Path) -> list[dict[str, Any]]:
    """The archives in ``destination``, newest first, with size and age."""
    out = []
    now = time.time()
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(destination):
            parsed = parse_archive_name(entry.name)
            if parsed is None or not entry.is_file():
                continue
            created = parsed.created.timestamp()
            out.append({"name": entry.name, "path": entry.path, "size": entry.stat().st_size,
                        "created": created, "age": max(0.0, now - created),
                        "encrypted": parsed.encrypted})
    out.sort(key=lambda a: a["created"], reverse=True)
    return out


def rotate(destination: Path, keep_daily: int, keep_weekly: int,
           written: str = "") -> list[str]:
    """Remove the archives the rotation no longer keeps, never ``written``: two
    backups in one second tie on their time, and the one just made must stay."""
    archives: list[Archive] = []
    for entry in list_archives(destination):
        parsed = parse_archive_name(entry["name"])
        if parsed is not None:
            archives.append(parsed)
    kept = keep(archives, keep_daily, keep_weekly)
    removed = []
    for archive in archives:
        if archive.name not in kept and archive.name != written:
            with contextlib.suppress(FileNotFoundError):
                (destination / archive.name).unlink()
                removed.append(archive.name)
    return removed
