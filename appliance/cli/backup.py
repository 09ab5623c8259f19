"""``mailroom backup now|list|verify|restore|schedule|key``.

``now``, ``list``, ``schedule`` and ``key`` go through the control API (the
daemon's when it runs, in-process otherwise). ``verify`` and ``restore`` read
an archive the admin holds and need no data directory: they run here, so
they work on a fresh box. ``restore --replace`` over a live data directory
stops the daemon, keeps the old directory aside, starts the restored one and
puts the old one back if the restored one does not start.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.backup import RestoreError, restore_archive, verify_archive
from appliance.backup.archive import is_encrypted
from appliance.backup.check import Report, describe_bad
from appliance.control.client import ControlClient
from appliance.home import Home
from appliance.state import StateError

__all__ = ["add_commands", "cmd_backup"]


class _Fail(StateError):
    pass


def _human(size: float) -> str:
    for unit in ("B", "K", "M", "G", "T"):
        if size < 1024 or unit == "T":
            return f"{size:.0f}{unit}" if unit == "B" else f"{size:.1f}{unit}"
        size /= 1024
    return str(size)


def _age(seconds: float) -> str:
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


class _Meter:
    """Progress on stderr: one updating line on a terminal, a line per 10% otherwise."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self.step = -1

    def __call__(self, done: int, total: int, path: str = "") -> None:
        pct = done * 100 // total if total else 0
        text = f"{self.label}: {pct:3d}% ({_human(done)} of {_human(total)})"
        if self.tty:
            print(f"\r{text} {path[-40:]:<40}", end="", file=sys.stderr, flush=True)
        elif pct // 10 > self.step:
            self.step = pct // 10
            print(text, file=sys.stderr, flush=True)

    def end(self) -> None:
        if self.tty:
            print(file=sys.stderr)


def _identity(args: argparse.Namespace, archive: Path) -> str:
    source = getattr(args, "identity", None)
    if not source:
        if archive.is_file() and is_encrypted(archive):
            raise _Fail(f"{archive.name} is encrypted: give its key with --identity FILE "
                        "(or --identity - to read it from standard input)")
        return ""
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).expanduser().read_text()
    except OSError as exc:
        raise _Fail(f"cannot read the key file {source}: {exc.strerror}") from exc


def _wait_job(client: ControlClient, meter: _Meter) -> dict[str, Any]:
    while True:
        job = client.call("backup.status")
        if job.get("total"):
            meter(job["done"], job["total"], job.get("path", ""))
        if job.get("state") != "running":
            meter.end()
            return job
        time.sleep(0.3)


def _now(client: ControlClient, args: argparse.Namespace) -> int:
    client.call("backup.now")
    job = _wait_job(client, _Meter("backing up"))
    if job["state"] != "done":
        raise _Fail(f"backup failed: {job.get('error') or 'unknown error'}")
    result = job["result"]
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for gone in result.get("removed") or []:
        print(f"rotated out {gone}", file=sys.stderr)
    print(f"{result['files']} files, {_human(result['data_bytes'])} of data, "
          f"{_human(result['size'])} written in {result['seconds']:.1f} s", file=sys.stderr)
    print(result["archive"])
    return 0


def _list(client: ControlClient, args: argparse.Namespace) -> int:
    info = client.call("backup.show")
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    schedule = f"daily at {info['time']}" if info["time"] else "no schedule"
    crypt = "encrypted" if info["recipient"] else "not encrypted"
    print(f"{info['destination']}  ({schedule}; keep {info['keep_daily']} daily, "
          f"{info['keep_weekly']} weekly; {crypt})")
    for a in info["archives"]:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(a["created"]))
        print(f"{a['name']:<44} {when}  {_age(a['age']) + ' ago':>14} {_human(a['size']):>9}")
    if not info["archives"]:
        print("no backups yet (make one with: mailroom backup now)")
    for warning in info["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _print_report(report: Report) -> int:
    if report.ok:
        made = time.strftime("%Y-%m-%d %H:%M", time.localtime(report.created or 0))
        print(f"{report.archive}: ok, {report.files} files ({_human(report.data_bytes)}) match "
              f"the manifest, databases pass the integrity check (made {made})")
        return 0
    print(describe_bad(report), file=sys.stderr)
    return 1


def _verify(client: ControlClient, args: argparse.Namespace) -> int:
    archive = Path(args.archive).expanduser()
    meter = _Meter("verifying")
    try:
        report = verify_archive(archive, _identity(args, archive),
                                Path(args.scratch) if args.scratch else None, meter)
    except RestoreError as exc:
        raise _Fail(str(exc)) from exc
    finally:
        meter.end()
    return _print_report(report)


def _restore(client: ControlClient, args: argparse.Namespace) -> int:
    archive = Path(args.archive).expanduser()
    if not archive.is_file():
        raise _Fail(f"no such archive: {archive}")
    identity = _identity(args, archive)
    home = client.home
    if home.initialized() or (home.root.exists() and any(home.root.iterdir())):
        if not args.replace:
            raise _Fail(f"{home.root} holds a data directory: restore into a new one with "
                        "--data-dir NEW, or over this one with --replace")
        return _replace(client, archive, identity)
    meter = _Meter("restoring")
    try:
        report = restore_archive(archive, home.root, identity, meter)
    except RestoreError as exc:
        raise _Fail(str(exc)) from exc
    finally:
        meter.end()
    print(f"restored {report.files} files ({_human(report.data_bytes)}) into {home.root}")
    print(f"start it with: mailroom --data-dir {home.root} serve")
    return 0


def _daemon_pid(home: Home) -> int | None:
    try:
        pid = int((home.run / "mailroom.pid").read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def _wait(check: Callable[[], bool], seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.2)
    return check()


def _replace(client: ControlClient, archive: Path, identity: str) -> int:
    """Restore over the live data directory, keeping the old one aside."""
    from appliance.home.service import Systemctl, this_program, unit_installed

    home = client.home
    root = home.root
    stamp = time.strftime("%Y%m%d-%H%M%S")
    staged = root.with_name(f"{root.name}.restored-{stamp}")
    meter = _Meter("restoring")
    try:
        restore_archive(archive, staged, identity, meter)  # checked before anything stops
    except RestoreError as exc:
        raise _Fail(str(exc)) from exc
    finally:
        meter.end()
    status: dict[str, Any] | None = None
    pid = _daemon_pid(home)
    systemd = pid is not None and unit_installed() and Systemctl().is_active() == "active"
    if pid is not None:
        try:
            status = client.call("status")
        except StateError:
            status = None
        print(f"stopping the daemon (pid {pid})", file=sys.stderr)
        if systemd:
            Systemctl().run("stop")
        else:
            os.kill(pid, signal.SIGTERM)
        if not _wait(lambda: _daemon_pid(home) is None, 60):
            raise _Fail(f"the daemon (pid {pid}) did not stop; nothing was changed "
                        f"(the restored copy is in {staged})")
    aside = root.with_name(f"{root.name}.before-restore-{stamp}")
    os.rename(root, aside)
    os.rename(staged, root)
    back = (f"to go back: stop the daemon, then: mv {root} {root}.failed-restore && "
            f"mv {aside} {root}")
    if pid is None:
        print(f"restored into {root}; the previous data directory is kept at {aside}")
        print(back)
        return 0

    def start() -> None:
        if systemd:
            Systemctl().run("start")
            return
        argv = [*this_program(), "--data-dir", str(root), "serve"]
        services = (status or {}).get("services") or []
        smtp = next((s for s in services if s["name"] == "smtp"), None)
        if smtp is not None:
            from appliance.state import State

            state = State(root / "mailroom.db")
            try:
                offset = smtp["port"] - int(state.get_setting("smtp.port"))
            finally:
                state.close()
            argv += ["--port-offset", str(offset)]
            for host in smtp["hosts"]:
                argv += ["--listen", host]
        subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)

    start()
    if _wait(lambda: ControlClient(home, local_fallback=False).daemon_running(), 60):
        print(f"restored into {root} and started; the previous data directory is kept at "
              f"{aside} (delete it once all is well)")
        print(back)
        return 0
    # The restored copy does not start: the old directory goes back in its place.
    failed = root.with_name(f"{root.name}.failed-restore-{stamp}")
    other = _daemon_pid(home)
    if other is not None:
        os.kill(other, signal.SIGTERM)
        _wait(lambda: _daemon_pid(home) is None, 30)
    os.rename(root, failed)
    os.rename(aside, root)
    start()
    raise _Fail(f"the restored data directory did not start; the previous one is back in "
                f"place and started again (the restored copy is kept at {failed})")


def _schedule(client: ControlClient, args: argparse.Namespace) -> int:
    when = None if args.time is None else ("" if args.time in ("off", "none") else args.time)
    info = client.call("backup.schedule", time=when, keep_daily=args.keep_daily,
                       keep_weekly=args.keep_weekly, destination=args.destination)
    schedule = f"daily at {info['time']}" if info["time"] else "no scheduled backups"
    print(f"{schedule}, into {info['destination']}; keep {info['keep_daily']} daily and "
          f"{info['keep_weekly']} weekly")
    if not info["destination_exists"]:
        print(f"warning: {info['destination']} does not exist (is the disk mounted?)",
              file=sys.stderr)
    if not info["recipient"]:
        print("backups are not encrypted: make a key with: mailroom backup key",
              file=sys.stderr)
    return 0


def _key(client: ControlClient, args: argparse.Namespace) -> int:
    if args.save and Path(args.save).expanduser().exists():
        raise _Fail(f"{args.save} exists; choose a new file for the key")
    info = client.call("backup.key", replace=args.replace)
    text = (f"# Mailroom backup key, made {time.strftime('%Y-%m-%d %H:%M')}\n"
            f"# public key: {info['recipient']}\n{info['identity']}\n")
    if args.save:
        path = Path(args.save).expanduser()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        print(f"key saved to {path}: keep it OFF this box (a USB stick in a drawer); it "
              "is the only way to read the backups", file=sys.stderr)
    else:
        print(text, end="")
        print("This key is shown once and is not kept on this box. Print it or save it "
              "to a USB stick: it is the only way to read the backups.", file=sys.stderr)
    if info["replaced"]:
        print(f"backups made before now still need the previous key ({info['replaced']})",
              file=sys.stderr)
    return 0


def cmd_backup(client: ControlClient, args: argparse.Namespace) -> int:
    handler = {"now": _now, "list": _list, "verify": _verify, "restore": _restore,
               "schedule": _schedule, "key": _key}[args.action]
    return handler(client, args)


def add_commands(add: Callable[..., argparse.ArgumentParser], actions: Callable[..., Any],
                 common: argparse.ArgumentParser) -> None:
    p = add("backup", cmd_backup, "back up the whole data directory, check and restore backups")
    a = actions(p)
    a.add_parser("now", parents=[common], help="make a backup now (progress, then the archive "
                 "path)").add_argument("--json", action="store_true")
    a.add_parser("list", parents=[common], help="the backups, newest first, with age and "
                 "size").add_argument("--json", action="store_true")
    v = a.add_parser("verify", parents=[common], help="unpack into a scratch folder, re-hash "
                     "every file, check every database; exit 1 naming a damaged file")
    v.add_argument("archive")
    v.add_argument("--identity", metavar="FILE", help="the age key of an encrypted backup "
                   "(- : read it from standard input)")
    v.add_argument("--scratch", metavar="DIR", help="where to unpack (default: the system's "
                   "temporary folder)")
    r = a.add_parser("restore", parents=[common],
                     help="build a working data directory from a backup: --data-dir NEW "
                          "(a new folder), or --replace the one in use")
    r.add_argument("archive")
    r.add_argument("--identity", metavar="FILE", help="the age key of an encrypted backup "
                   "(- : read it from standard input)")
    r.add_argument("--replace", action="store_true",
                   help="restore over the data directory in use: stops the daemon, keeps the "
                        "old directory aside, starts the restored one")
    s = a.add_parser("schedule", parents=[common], help="daily backups at a time, rotation, "
                     "destination folder")
    s.add_argument("time", nargs="?", help="HH:MM local time, or off")
    s.add_argument("--keep-daily", type=int, metavar="N")
    s.add_argument("--keep-weekly", type=int, metavar="M")
    s.add_argument("--destination", metavar="DIR", help="a folder: a USB disk or a NAS mount")
    k = a.add_parser("key", parents=[common], help="make the key backups are encrypted to; "
                     "its secret half is shown once")
    k.add_argument("--save", metavar="FILE", help="write the key to FILE (a USB stick) "
                   "instead of the screen")
    k.add_argument("--replace", action="store_true", help="replace the current key")
