"""Control operations for backups: backup.show/list/now/verify/restore/job/schedule/key.

A backup, a verify and a restore run as a job in a thread (the daemon's
when it runs, else the in-process operations' own); callers poll
``backup.status`` for progress, and the daemon also publishes ``backup`` events.
"""

from __future__ import annotations

from typing import Any

from appliance.backup import (
    ArchiveError,
    BackupJobs,
    JobBusy,
    RestoreError,
    list_archives,
    make_identity,
)
from appliance.control.operations import Operations, op
from appliance.state import StateError

__all__ = ["jobs_of"]


def jobs_of(ops: Operations) -> BackupJobs:
    jobs = getattr(ops.daemon, "backups", None)
    if isinstance(jobs, BackupJobs):
        return jobs
    own = ops.__dict__.get("_backup_jobs")
    if own is None:
        own = ops.__dict__["_backup_jobs"] = BackupJobs(ops.home.root, ops.state.settings)
    return own


def _guard(fn: Any, *args: Any) -> dict[str, Any]:
    try:
        result: dict[str, Any] = fn(*args)
    except (JobBusy, RestoreError, ArchiveError, OSError) as exc:
        raise StateError(str(exc)) from exc
    return result


@op("backup.show")
def backup_show(ops: Operations) -> dict[str, Any]:
    """Destination, schedule, encryption, the archives, the last outcome, warnings, the job."""
    jobs = jobs_of(ops)
    s = ops.state.settings()
    destination = jobs.destination()
    return {
        "destination": str(destination),
        "destination_setting": s["backup.destination"],
        "destination_exists": destination.is_dir(),
        "time": s["backup.time"],
        "keep_daily": s["backup.keep_daily"],
        "keep_weekly": s["backup.keep_weekly"],
        "recipient": s["backup.recipient"],
        "archives": list_archives(destination),
        "last": jobs.last(),
        "warnings": jobs.warnings(),
        "job": jobs.current(),
    }


@op("backup.list")
def backup_list(ops: Operations) -> list[dict[str, Any]]:
    return list_archives(jobs_of(ops).destination())


@op("backup.now")
def backup_now(ops: Operations) -> dict[str, Any]:
    """Start a backup; poll backup.status for its progress and archive."""
    return _guard(jobs_of(ops).start_backup)


@op("backup.verify")
def backup_verify(ops: Operations, archive: str, identity: str = "") -> dict[str, Any]:
    """Start checking ``archive`` (a path, or a name in the destination)."""
    return _guard(jobs_of(ops).start_verify, archive, identity)


@op("backup.restore")
def backup_restore(ops: Operations, archive: str, data_dir: str,
                   identity: str = "") -> dict[str, Any]:
    """Start restoring ``archive`` into the new, empty data directory ``data_dir``."""
    return _guard(jobs_of(ops).start_restore, archive, data_dir, identity)


@op("backup.status")
def backup_status(ops: Operations) -> dict[str, Any]:
    """The running or last job: kind, state (running, done, failed), done/total bytes,
    result or error."""
    return jobs_of(ops).current()


@op("backup.schedule")
async def backup_schedule(ops: Operations, time: str | None = None,
                          keep_daily: int | None = None, keep_weekly: int | None = None,
                          destination: str | None = None) -> dict[str, Any]:
    """Change what is given (all checked before any is stored); returns backup.show."""
    values: dict[str, Any] = {}
    for key, value in (("backup.time", time), ("backup.keep_daily", keep_daily),
                       ("backup.keep_weekly", keep_weekly),
                       ("backup.destination", destination)):
        if value is not None:
            values[key] = value
    if values:
        await ops.settings_set_many(values)
    return backup_show(ops)


@op("backup.key")
async def backup_key(ops: Operations, replace: bool = False) -> dict[str, Any]:
    """Make a new age key pair: backups are encrypted to its public half from now on.

    The secret half is returned once and kept nowhere on this box: whoever
    holds it (on paper, on a USB stick) can read every backup made with it.
    """
    current = ops.state.get_setting("backup.recipient")
    if current and not replace:
        raise StateError("backups are already encrypted to a key; making a new one means "
                         "keeping both (old backups need the old key): mailroom backup key "
                         "--replace",
                         "replace")
    identity, recipient = make_identity()
    await ops.settings_set("backup.recipient", recipient)  # a running daemon takes it now
    return {"identity": identity, "recipient": recipient, "replaced": current or ""}
