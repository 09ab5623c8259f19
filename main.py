#!/usr/bin/env python3
"""Mailroom: a mail server appliance for a small office.

Without arguments this opens the desktop program; with a subcommand it runs
the daemon (``serve``) or an administrative command. Invoked through a link
named ``sendmail``, ``mailq``, ``newaliases`` or ``mailstats`` it behaves as that sendmail command.
"""

from __future__ import annotations

import os
import sqlite3
import sys

from appliance.bootstrap import use_project_venv

if not getattr(sys, "frozen", False):
    # A frozen build carries its own libraries; there is no .venv to look for.
    use_project_venv()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    invoked = os.path.basename(sys.argv[0])
    hidden = argv[:1] if invoked not in ("sendmail", "mailq", "newaliases", "mailstats") else []
    if hidden == ["--version"]:
        # Answered before the CLI is imported: the fastest possible cold start.
        from appliance.version import __version__

        print(f"mailroom {__version__}")
        return 0
    if hidden == ["screenshots"]:
        # Hidden: the frozen program's equivalent of `python -m ui.screenshots DIR`.
        from ui.screenshots import main as screenshots_main

        return screenshots_main(argv[1:])
    if hidden == ["delivery-worker"]:
        # Hidden: the daemon's outbound delivery process (delivery.worker_process).
        from appliance.delivery.worker import main as worker_main

        return worker_main(argv[1:])
    if hidden == ["snapshot-db"]:
        # Hidden: the .deb's postinst keeps the state database before an upgrade.
        return _snapshot_db(argv[1:])
    from appliance.cli import main as cli_main

    if invoked == "sendmail" or (argv and argv[0] == "sendmail"):
        from appliance.cli.sendmail import main as sendmail_main

        return sendmail_main(argv if invoked == "sendmail" else argv[1:])
    if invoked in ("mailq", "newaliases", "mailstats"):
        return cli_main([invoked, *argv], prog=invoked)
    if argv and argv[0] == "gui":
        argv = argv[1:]
    elif not _only_global_options(argv):
        return cli_main(argv)
    try:
        from ui.app import main as gui_main
    except ImportError as exc:
        print(f"mailroom: the desktop program is not available ({exc}); "
              "see 'mailroom --help' for the commands", file=sys.stderr)
        return 1
    if os.environ.get("MAILROOM_STARTUP_PROBE"):
        _quit_once_running()
    return gui_main(argv)


def _quit_once_running() -> None:
    """Quit as soon as the GUI's event loop turns, the main window shown: for
    measuring cold start to the window (``time`` around the whole process)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    run = QApplication.exec

    def run_then_quit(*_: object) -> int:  # exec is static in PySide6
        QTimer.singleShot(0, QApplication.quit)
        return run()

    QApplication.exec = run_then_quit  # type: ignore[method-assign]


def _snapshot_db(argv: list[str]) -> int:
    import argparse
    from pathlib import Path

    from appliance.home import resolve_home
    from appliance.state.snapshot import snapshot_database

    parser = argparse.ArgumentParser(prog="mailroom snapshot-db")
    parser.add_argument("--data-dir", metavar="DIR")
    parser.add_argument("dest", type=Path)
    args = parser.parse_args(argv)
    try:
        snapshot_database(resolve_home(args.data_dir).db, args.dest)
    except (OSError, sqlite3.Error) as exc:
        print(f"mailroom snapshot-db: {exc}", file=sys.stderr)
        return 1
    print(f"state database saved to {args.dest}")
    return 0


def _only_global_options(argv: list[str]) -> bool:
    """True for no arguments or just ``--data-dir DIR``: that still means the GUI."""
    rest = list(argv)
    while rest and (rest[0] == "--data-dir" or rest[0].startswith("--data-dir=")):
        rest = rest[2:] if rest[0] == "--data-dir" else rest[1:]
    return not rest


if __name__ == "__main__":
    sys.exit(main())
