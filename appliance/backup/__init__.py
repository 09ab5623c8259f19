"""Backups of the whole data directory: consistent while the server runs, streamed as
tar + zstd (+ age), checked against a SHA-256 manifest, rotated, scheduled, restorable.

- ``take``: write one archive into the destination folder; list and rotate archives.
- ``check``: ``verify`` an archive in a scratch folder; ``restore`` it into a new data dir.
- ``policy``: the schedule, rotation and warnings as pure functions.
- ``jobs``: one backup/verify/restore at a time in a thread, with progress; the schedule.
"""

from __future__ import annotations

from appliance.backup.archive import ArchiveError, make_identity, public_key
from appliance.backup.check import Report, RestoreError, restore_archive, verify_archive
from appliance.backup.jobs import BackupJobs, JobBusy
from appliance.backup.take import BackupError, list_archives, take_backup

__all__ = [
    "ArchiveError", "BackupError", "BackupJobs", "JobBusy", "Report", "RestoreError",
    "list_archives", "make_identity", "public_key", "restore_archive", "take_backup",
    "verify_archive",
]
