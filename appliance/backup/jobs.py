"""Backups as jobs: one at a time, in a thread, with progress anyone can ask for.

The daemon owns one ``BackupJobs`` (its scheduler and the control API start
jobs there); without a daemon the control client's in-process operations
own one. The outcome of the last scheduled or manual backup is kept in
``backups/last.json`` so that a failure is still reported after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from appliance.backup import policy
from appliance.backup.check import RestoreError, describe_bad, restore_archive, verify_archive
from appliance.backup.take import BackupError, destination_of, list_archives, take_backup

__all__ = ["BackupJobs", "JobBusy"]

log = logging.getLogger("mailroom.backup")
_ids = itertools.count(1)
LAST_FILE = "last.json"


class JobBusy(Exception):
    pass


class BackupJobs:
    def __init__(self, root: Path, settings: Callable[[], dict[str, Any]],
                 on_event: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.root = root
        self.settings = settings
        self.on_event = on_event
        self._lock = threading.Lock()
        self._job: dict[str, Any] | None = None
        self._thread: threading.Thread | None = None
        self._stale_logged = False

    # -- where and what ---------------------------------------------------

    def destination(self) -> Path:
        return destination_of(self.root, str(self.settings().get("backup.destination", "")))

    def last(self) -> dict[str, Any]:
        try:
            data = json.loads((self.root / "backups" / LAST_FILE).read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _record(self, outcome: dict[str, Any]) -> None:
        folder = self.root / "backups"
        folder.mkdir(exist_ok=True)
        tmp = folder / (LAST_FILE + ".tmp")
        tmp.write_text(json.dumps(outcome))
        os.replace(tmp, folder / LAST_FILE)

    def newest(self) -> datetime | None:
        archives = list_archives(self.destination())
        if not archives:
            return None
        return datetime.fromtimestamp(archives[0]["created"], UTC)

    def warnings(self, now: datetime | None = None) -> list[str]:
        now = now or datetime.now(UTC)
        last = self.last()
        failure = None
        if last.get("ok") is False:
            failure = (datetime.fromtimestamp(last["at"], UTC), last.get("error", ""))
        try:
            newest = self.newest()
        except OSError:
            newest = None
        found = policy.warnings(newest, failure, bool(self.settings().get("backup.time")), now)
        stale = any("days old" in w for w in found)
        if stale and not self._stale_logged:
            log.warning("backup: %s", "; ".join(w for w in found if "days old" in w))
        self._stale_logged = stale
        return found

    # -- jobs ---------------------------------------------------------------

    def current(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._job) if self._job else {"state": "idle"}

    def _start(self, kind: str, work: Callable[[Callable[[int, int, str], None]], Any]
               ) -> dict[str, Any]:
        with self._lock:
            if self._job is not None and self._job["state"] == "running":
                raise JobBusy(f"a {self._job['kind']} is already running "
                              f"({self._job['done'] * 100 // max(1, self._job['total'])}%)")
            job = {"id": next(_ids), "kind": kind, "state": "running", "done": 0, "total": 0,
                   "path": "", "started": time.time(), "result": None, "error": ""}
            self._job = job

        def progress(done: int, total: int, path: str) -> None:
            with self._lock:
                job.update(done=done, total=total, path=path)
            self._publish(job)

        def run() -> None:
            try:
                result = work(progress)
            except Exception as exc:  # noqa: BLE001 - reported to whoever asks
                with self._lock:
                    job.update(state="failed", error=str(exc))
                if kind == "backup":
                    log.error("backup failed: %s", exc)
                    self._record({"at": time.time(), "ok": False, "error": str(exc)})
                if not isinstance(exc, BackupError | RestoreError | OSError):
                    log.exception("%s crashed", kind)
            else:
                with self._lock:
                    job.update(state="done", result=result)
            self._publish(job)

        self._thread = threading.Thread(target=run, name=f"mailroom-{kind}", daemon=True)
        self._thread.start()
        return dict(job)

    def _publish(self, job: dict[str, Any]) -> None:
        if self.on_event is not None:
            with self._lock:
                snapshot = {k: v for k, v in job.items() if k != "result"}
                snapshot["result"] = job["result"] if job["state"] != "running" else None
            self.on_event(snapshot)

    def wait(self, timeout: float | None = None) -> dict[str, Any]:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.current()

    def start_backup(self) -> dict[str, Any]:
        settings = self.settings()
        destination = self.destination()

        def work(progress: Callable[[int, int, str], None]) -> dict[str, Any]:
            result = take_backup(
                self.root, destination, hostname=str(settings.get("hostname", "")),
                recipient=str(settings.get("backup.recipient", "")), progress=progress,
                keep_daily=int(settings.get("backup.keep_daily", 7)),
                keep_weekly=int(settings.get("backup.keep_weekly", 4)))
            outcome = result.to_dict()
            log.info("backup: %s (%d files, %d bytes of data, %.1f MiB written in %.1f s)%s",
                     result.archive, result.files, result.data_bytes, result.size / 2**20,
                     result.seconds,
                     f"; rotated out {', '.join(result.removed)}" if result.removed else "")
            self._record({"at": time.time(), "ok": True, "archive": str(result.archive)})
            return outcome

        return self._start("backup", work)

    def start_verify(self, archive: str, identity: str = "") -> dict[str, Any]:
        path = self._archive_path(archive)

        def work(progress: Callable[[int, int, str], None]) -> dict[str, Any]:
            report = verify_archive(path, identity, progress=progress)
            if report.ok:
                log.info("backup verify: %s is whole (%d files)", path, report.files)
            else:
                log.error("backup verify: %s", describe_bad(report).replace("\n", " "))
            return report.to_dict()

        return self._start("verify", work)

    def start_restore(self, archive: str, data_dir: str, identity: str = "") -> dict[str, Any]:
        path = self._archive_path(archive)
        target = Path(data_dir).expanduser()
        if not target.is_absolute():
            raise RestoreError("give the new data directory as an absolute path")
        with contextlib.suppress(ValueError):
            target.resolve().relative_to(self.root.resolve())
            raise RestoreError("restore into a new folder outside this data directory")

        def work(progress: Callable[[int, int, str], None]) -> dict[str, Any]:
            report = restore_archive(path, target, identity, progress=progress)
            log.info("backup restore: %s into %s (%d files)", path, target, report.files)
            return {**report.to_dict(), "data_dir": str(target)}

        return self._start("restore", work)

    def _archive_path(self, archive: str) -> Path:
        path = Path(archive).expanduser()
        if not path.is_absolute():
            path = self.destination() / path
        if not path.is_file():
            raise RestoreError(f"no such archive: {path}")
        return path

    # -- the daemon's schedule --------------------------------------------

    def last_run(self) -> datetime | None:
        """The later of the last attempt and the newest archive: a failed run waits for
        the next slot instead of failing again every tick."""
        times = []
        last = self.last()
        if "at" in last:
            times.append(datetime.fromtimestamp(last["at"], UTC))
        with contextlib.suppress(OSError):
            newest = self.newest()
            if newest is not None:
                times.append(newest)
        return max(times) if times else None

    async def run_schedule(self, tick: float = 30.0) -> None:
        while True:
            try:
                clock = str(self.settings().get("backup.time", ""))
                now = datetime.now().astimezone()
                if clock and self.current()["state"] != "running" and policy.is_due(
                        clock, self.last_run(), now):
                    log.info("backup: scheduled run (daily at %s)", clock)
                    self.start_backup()
            except Exception:  # noqa: BLE001 - the schedule must survive one bad tick
                log.exception("backup schedule")
            await asyncio.sleep(tick)
