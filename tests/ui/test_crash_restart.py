"""A daemon the GUI started that crashes is started again, and the crash is in the mail log."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from tests.support.dnsserver import DnsServer
from tests.ui.conftest import make_context, seed, teardown, wait
from ui.pages.logs import LogsPage
from ui.window import MainWindow


def test_sigkilled_daemon_is_restarted_and_the_crash_logged(
        tmp_path: Path, qtbot: object, dns: DnsServer) -> None:
    from tests.support.daemon import free_offset

    home = tmp_path / "home"
    seed(home, dns.nameserver)
    ctx = make_context(home, free_offset(), tmp_path)
    ctx.supervisor.policy.first = 0.2  # the back-off itself is the unit tests' business
    window = MainWindow(ctx)
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    window.show()
    ctx.start()
    try:
        wait(lambda: ctx.supervisor.state == "down")
        assert ctx.supervisor.start()
        wait(lambda: ctx.supervisor.state == "up", 30)
        proc = ctx.supervisor.proc
        assert proc is not None
        first_pid = proc.pid
        os.kill(first_pid, signal.SIGKILL)

        wait(lambda: ctx.supervisor.restarts == 1, 15)
        # Said on the dashboard and in the tray, with the exit status.
        dashboard = window.page("dashboard")
        assert "killed by signal 9 (SIGKILL); starting it again in 0.2 s" in \
            dashboard.died.toPlainText()  # type: ignore[attr-defined]
        assert any(n.title == "Mailroom daemon stopped unexpectedly" and "SIGKILL" in n.text
                   for n in ctx.notifications)
        wait(lambda: ctx.supervisor.state == "up"
             and (ctx.supervisor.status or {}).get("pid") not in (None, first_pid), 30)
        assert ctx.supervisor.owns_daemon()
        log_file = home / "logs" / "mailroom.log"
        crash = (f"mailroom/gui[{os.getpid()}]: error: the daemon (pid {first_pid}) "
                 "killed by signal 9 (SIGKILL); starting it again in 0.2 s")
        # The restarted daemon logs after the crash line: the order tells the
        # story. Its writer flushes in batches, so the line may follow its "up".
        wait(lambda: crash in (text := log_file.read_text())
             and "daemon started" in text[text.index(crash):], 10)
        assert window.show_page("logs")
        logs: LogsPage = window.page("logs")  # type: ignore[assignment]
        wait(lambda: any(crash in line for line in logs.model.lines()), 10)
        # A stop by hand is not a crash: it stays down.
        assert ctx.supervisor.stop()
        wait(lambda: ctx.supervisor.state == "down", 20)
        assert ctx.supervisor.restarts == 1
        assert not ctx.supervisor.restart_timer.isActive()
    finally:
        teardown(ctx)


def test_a_daemon_that_dies_at_every_start_is_given_up_on(
        tmp_path: Path, qtbot: object, dns: DnsServer) -> None:
    """A real daemon that cannot start (here: an option it does not know) is restarted with
    back-off up to the limit, then left down with the reason on the dashboard and in the tray."""
    home = tmp_path / "home"
    seed(home, dns.nameserver)
    ctx = make_context(home, 0, tmp_path)
    ctx.supervisor.serve_args = ["--no-such-option"]
    ctx.supervisor.policy.first = 0.05
    ctx.supervisor.policy.limit = 2
    window = MainWindow(ctx)
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    window.show()
    ctx.start()
    try:
        wait(lambda: ctx.supervisor.state == "down")
        assert ctx.supervisor.start()
        wait(lambda: ctx.supervisor.policy.gave_up and ctx.supervisor.state == "down", 30)
        assert ctx.supervisor.restarts == 2
        assert not ctx.supervisor.restart_timer.isActive()
        dashboard = window.page("dashboard")
        said = dashboard.died.toPlainText()  # type: ignore[attr-defined]
        assert "exited with code 2; not restarting it: it crashed 2 times in a row" in said
        assert "unrecognized arguments: --no-such-option" in said
        note = ctx.notifications[-1]
        assert note.title == "Mailroom daemon stopped unexpectedly"
        assert "crashed 2 times in a row" in note.text and "--no-such-option" in note.text
        assert "crashed 2 times in a row" in ctx.tray_state.tooltip()
        assert "crashed 2 times" in (home / "logs" / "mailroom.log").read_text()
    finally:
        teardown(ctx)
