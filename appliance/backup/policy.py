"""When to back up, which archives to keep, when to warn: pure functions of times and names.

The daemon asks ``is_due`` every tick; ``keep`` decides rotation after each
backup; ``warnings`` feeds the status (dashboard, tray) and the log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = [
    "ARCHIVE_PATTERN", "Archive", "archive_name", "parse_archive_name", "keep", "last_slot",
    "next_slot", "is_due", "warnings", "STALE_AFTER",
]

# mailroom-20261130-023000.tar.zst[.age]: UTC, so names sort by time on any box.
ARCHIVE_PATTERN = re.compile(r"^mailroom-(\d{8})-(\d{6})\.tar\.zst(\.age)?$")
STALE_AFTER = timedelta(days=2)


@dataclass(frozen=True)
class Archive:
    name: str
    created: datetime  # aware, UTC
    encrypted: bool


def archive_name(created: datetime, encrypted: bool) -> str:
    stamp = created.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    return f"mailroom-{stamp}.tar.zst" + (".age" if encrypted else "")


def parse_archive_name(name: str) -> Archive | None:
    m = ARCHIVE_PATTERN.match(name)
    if not m:
        return None
    try:
        created = datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return Archive(name, created.replace(tzinfo=UTC), bool(m.group(3)))


def keep(archives: list[Archive], daily: int, weekly: int) -> set[str]:
    """The names rotation keeps: the newest of each of the last ``daily`` days that have
    a backup, the newest of each of the last ``weekly`` ISO weeks, and always the newest."""
    ordered = sorted(archives, key=lambda a: a.created, reverse=True)
    kept: set[str] = set()
    if ordered:
        kept.add(ordered[0].name)
    for count, key in ((daily, lambda d: d.date()),
                       (weekly, lambda d: tuple(d.isocalendar())[:2])):
        seen: list[object] = []
        for archive in ordered:
            period = key(archive.created)  # UTC days and weeks, as in the names
            if period in seen:
                continue
            if len(seen) >= count:
                break
            seen.append(period)
            kept.add(archive.name)
    return kept


def _at(day: datetime, clock: str) -> datetime:
    hours, minutes = (int(x) for x in clock.split(":"))
    return day.replace(hour=hours, minute=minutes, second=0, microsecond=0)


def last_slot(clock: str, now: datetime) -> datetime:
    """The latest scheduled time at or before ``now`` (``now`` in local time, aware)."""
    today = _at(now, clock)
    return today if today <= now else _at(now - timedelta(days=1), clock)


def next_slot(clock: str, now: datetime) -> datetime:
    return last_slot(clock, now) + timedelta(days=1)


def is_due(clock: str, last_run: datetime | None, now: datetime) -> bool:
    """A backup is due when the schedule has passed a slot since the last run.

    A slot missed while the daemon was down (or the box was off) makes the
    backup due at the next start; a box that never made one makes it now.
    """
    if not clock:
        return False
    return last_run is None or last_run < last_slot(clock, now)


def warnings(newest: datetime | None, failure: tuple[datetime, str] | None,
             scheduled: bool, now: datetime) -> list[str]:
    """What the admin must hear: a failed last run, or backups that stopped coming."""
    out = []
    if failure is not None and (newest is None or failure[0] > newest):
        out.append(f"the last backup failed ({failure[0].astimezone():%Y-%m-%d %H:%M}): "
                   f"{failure[1]}")
    if scheduled:
        if newest is None:
            if failure is None:
                out.append("no backup has been made yet")
        elif now - newest > STALE_AFTER:
            days = (now - newest).days
            out.append(f"the newest backup is {days} days old "
                       f"({newest.astimezone():%Y-%m-%d %H:%M})")
    return out
