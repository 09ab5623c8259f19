"""Backup schedule, rotation and warnings: pure functions of times and names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from appliance.backup.policy import (
    Archive,
    archive_name,
    is_due,
    keep,
    last_slot,
    next_slot,
    parse_archive_name,
    warnings,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def archives(*stamps: str) -> list[Archive]:
    out = []
    for stamp in stamps:
        parsed = parse_archive_name(archive_name(at(stamp), False))
        assert parsed is not None
        out.append(parsed)
    return out


def test_names_round_trip_and_strangers_are_ignored() -> None:
    made = at("2026-11-30 02:30:05")
    name = archive_name(made, True)
    assert name == "mailroom-20261130-023005.tar.zst.age"
    parsed = parse_archive_name(name)
    assert parsed == Archive(name, made, True)
    for other in ("mailroom-20261130-023005.tar", ".mailroom-20261130-023005.tar.zst.x.partial",
                  "notes.txt", "mailroom-20261399-023005.tar.zst", "last.json"):
        assert parse_archive_name(other) is None


def test_rotation_keeps_newest_per_day_and_per_week() -> None:
    # Three a day for 20 days (Nov 1 .. Nov 20, 2026).
    stamps = [f"2026-11-{d:02d} {h:02d}:00:00" for d in range(1, 21) for h in (1, 9, 17)]
    kept = keep(archives(*stamps), daily=7, weekly=4)
    daily = {archive_name(at(f"2026-11-{d:02d} 17:00:00"), False) for d in range(14, 21)}
    assert daily <= kept
    # ISO weeks: Nov 16-22 (newest: 20th, already a daily), 9-15, 2-8, Oct 26-Nov 1.
    weekly = {archive_name(at(t), False) for t in (
        "2026-11-15 17:00:00", "2026-11-08 17:00:00", "2026-11-01 17:00:00")}
    assert weekly <= kept
    assert len(kept) == len(daily | weekly)


def test_rotation_never_removes_the_only_or_newest_backup() -> None:
    one = archives("2026-11-01 02:00:00")
    assert keep(one, daily=0, weekly=0) == {one[0].name}
    assert keep([], 7, 4) == set()
    same_day = archives("2026-11-01 02:00:00", "2026-11-01 03:00:00")
    assert keep(same_day, 1, 0) == {same_day[1].name}


def test_schedule_slots() -> None:
    now = at("2026-11-30 10:00:00")
    assert last_slot("02:30", now) == at("2026-11-30 02:30:00")
    assert last_slot("23:00", now) == at("2026-11-29 23:00:00")
    assert next_slot("02:30", now) == at("2026-12-01 02:30:00")


def test_due_after_a_slot_passes_and_a_missed_run_runs_at_start() -> None:
    now = at("2026-11-30 10:00:00")
    assert not is_due("", None, now)  # no schedule
    assert is_due("02:30", None, now)  # never backed up: now
    assert not is_due("02:30", at("2026-11-30 02:31:00"), now)  # today's done
    # The box was off at 02:30 (last run yesterday): due at the next start.
    assert is_due("02:30", at("2026-11-29 02:30:10"), now)
    # Down for a week: one run, not seven.
    assert is_due("02:30", at("2026-11-23 02:30:00"), now)
    assert not is_due("02:30", now, now + timedelta(hours=5))
    assert is_due("02:30", now, now + timedelta(hours=17))


def test_warnings() -> None:
    now = at("2026-11-30 10:00:00")
    assert warnings(None, None, scheduled=False, now=now) == []
    assert warnings(now - timedelta(days=1), None, True, now) == []
    assert warnings(None, None, True, now) == ["no backup has been made yet"]
    old = warnings(now - timedelta(days=3, hours=1), None, True, now)
    assert len(old) == 1 and "3 days old" in old[0]
    failed = warnings(now - timedelta(days=1), (now - timedelta(hours=1), "disk full"), False,
                      now)
    assert len(failed) == 1 and "failed" in failed[0] and "disk full" in failed[0]
    # A failure followed by a good backup is history, not a warning.
    assert warnings(now, (now - timedelta(hours=1), "disk full"), True, now) == []
