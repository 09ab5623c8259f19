"""The desktop program's entry point: ``main(argv)`` (``python main.py`` or ``main.py gui``)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from appliance.control.desktop import Home, deployment, probe, resolve_home
from ui.context import AppContext
from ui.icons import app_icon

__all__ = ["main", "build_window", "parse_args"]


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="mailroom gui",
                                     description="The Mailroom desktop program")
    parser.add_argument("--data-dir", metavar="DIR", help="data directory")
    parser.add_argument("--listen", action="append", metavar="ADDR",
                        help="passed to 'serve' when the GUI starts the daemon")
    parser.add_argument("--port-offset", type=int, default=0, metavar="N",
                        help="passed to 'serve' when the GUI starts the daemon")
    parser.add_argument("--no-start", action="store_true",
                        help="do not offer to start the daemon")
    parser.add_argument("--minimized", action="store_true", help="start in the tray")
    return parser.parse_args(list(argv))


def serve_args(args: argparse.Namespace) -> list[str]:
    out: list[str] = []
    for addr in args.listen or []:
        out += ["--listen", addr]
    if args.port_offset:
        out += ["--port-offset", str(args.port_offset)]
    return out


def build_window(ctx: AppContext):  # type: ignore[no-untyped-def]
    from ui.window import MainWindow

    return MainWindow(ctx)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Mailroom")
    from ui import i18n

    i18n.install(app)  # before any widget: widgets take their text when made
    app.setWindowIcon(app_icon())
    # The installed system service, when there is one, is the daemon to talk to.
    found = deployment(probe(), args.data_dir or os.environ.get("MAILROOM_HOME") or None)
    if found.problem:
        if args.minimized:  # the tray's autostart, at every login: no dialog for non-admins
            print(f"mailroom: {found.problem}", file=sys.stderr)
            return 1
        QMessageBox.warning(None, "Mailroom", QCoreApplication.translate(
            "App", "The Mailroom service runs on this computer, but {0}.").format(found.problem))
        return 1
    home = Home(found.data_dir) if found.data_dir else resolve_home(args.data_dir)
    ctx = AppContext(home, serve_args(args), deployment=found)
    if not home.initialized():
        from ui.wizard import SetupWizard

        wizard = SetupWizard(ctx)
        if not wizard.exec():
            return 1
    window = build_window(ctx)
    tray = None
    if QSystemTrayIcon.isSystemTrayAvailable():
        from ui.tray import Tray

        tray = Tray(ctx, window)
        window.hide_on_close = True
        app.setQuitOnLastWindowClosed(False)
    if not (args.minimized and tray is not None):
        window.show()
    ctx.start()
    offered = False

    def offer(state: str) -> None:
        nonlocal offered
        if state != "down" or offered or args.no_start:
            return
        offered = True
        if ctx.supervisor.proc is not None or ctx.supervisor.last_exit is not None:
            return
        answer = QMessageBox.question(
            window, QCoreApplication.translate("App", "Start Mailroom?"),
            QCoreApplication.translate(
                "App", "No Mailroom daemon answers for {0}.\n\nStart it now? It keeps running "
                "(and mail keeps flowing) when you close this window.").format(home.root))
        if answer == QMessageBox.StandardButton.Yes:
            ctx.supervisor.start()

    ctx.supervisor.stateChanged.connect(lambda s: QTimer.singleShot(0, lambda: offer(s)))
    code = app.exec()
    ctx.shutdown()
    del tray
    return int(code)
