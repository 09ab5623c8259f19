"""First run against the installed service: init as the service's user, the rest through the API.

The data directory stands in for an empty /var/lib/mailroom. A fake runner
plays pkexec (it runs the real ``mailroom init`` it is given) and systemd's
mailroom.path (it starts the real daemon once the database is there);
nothing reaches this machine's polkit or systemd.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from appliance.control.client import ControlClient
from appliance.home import Home
from appliance.home.service import Deployment
from tests.support.daemon import Mailroom, free_offset
from tests.ui.conftest import answer_first_steps, teardown, wait
from ui.context import AppContext
from ui.secrets import SecretStore
from ui.wizard import SetupWizard


def _service_wizard(home: Path, tmp_path: Path, qtbot: object,
                    runner: Callable[[list[str]], tuple[int, str]]
                    ) -> tuple[AppContext, SetupWizard]:
    """The first-run wizard of a desktop program that finds the system service (systemd)."""
    ctx = AppContext(Home(home), [], secrets=SecretStore(tmp_path / "s.json", use_keyring=False),
                     poll_ms=300, deployment=Deployment(True, home, systemd=True), runner=runner)
    wizard = SetupWizard(ctx)
    qtbot.addWidget(wizard)  # type: ignore[attr-defined]
    wizard.show()
    return ctx, wizard

def test_wizard_sets_up_the_service_through_pkexec_then_the_control_api(
        tmp_path: Path, qtbot: object) -> None:
    home = tmp_path / "service-data"
    m = Mailroom(home, offset=free_offset())
    calls: list[list[str]] = []

    def runner(argv: list[str]) -> tuple[int, str]:
        calls.append(argv)
        if argv[0] == "pkexec":
            done = m.cli(*argv[argv.index("init"):], check=False)
            if done.returncode:
                return done.returncode, done.stderr
            m.start()  # mailroom.path: the database appeared
        elif argv[1] == "is-active":
            return (0, "active") if m.proc else (3, "inactive")
        return 0, ""

    ctx, wizard = _service_wizard(home, tmp_path, qtbot, runner)
    try:
        answer_first_steps(wizard)
        wizard.next()  # the relay networks as guessed
        wizard.next()  # no ISP relay
        wait(lambda: wizard.finish.done or bool(wizard.finish.error.text()), 60)
        assert wizard.finish.done, wizard.finish.error.text()
        assert "MX   10 mail.office.test." in wizard.finish.records.toPlainText()

        pkexec = calls[0]
        assert pkexec[:3] == ["pkexec", "--user", "mailroom"]
        assert pkexec[pkexec.index("init"):] == [
            "init", "--data-dir", str(home), "--hostname", "mail.office.test",
            "--domain", "office.test"]
        # The password never goes on a command line.
        assert not any("a-good-password" in arg for c in calls for arg in c)
        assert [c for c in calls if c[0] == "systemctl" and c[1] != "is-active"] == []
        assert ctx.supervisor.proc is None  # the GUI started no daemon of its own
        client = ControlClient(Home(home), local_fallback=False)
        assert client.call("status")["pid"] == m.proc.pid  # type: ignore[union-attr]
        assert [a["address"] for a in client.call("account.list")] == ["admin@office.test"]
    finally:
        teardown(ctx)
        with contextlib.suppress(Exception):
            m.stop()


def test_a_dismissed_password_prompt_is_a_clear_error(tmp_path: Path, qtbot: object) -> None:
    home = tmp_path / "service-data"

    def runner(argv: list[str]) -> tuple[int, str]:
        if argv[0] == "pkexec":
            return 126, "Error executing command as another user: Request dismissed"
        return 3, "inactive"

    ctx, wizard = _service_wizard(home, tmp_path, qtbot, runner)
    try:
        answer_first_steps(wizard)
        for _ in range(2):
            wizard.next()
        wait(lambda: bool(wizard.finish.error.text()), 30)
        assert "needs your password" in wizard.finish.error.text()
        assert "Request dismissed" in wizard.finish.error.text()
        assert not (home / "mailroom.db").exists()
    finally:
        teardown(ctx)
