"""What every page shares: the API, the supervisor, the event stream and the log buffer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from appliance.control.desktop import (
    Deployment,
    Home,
    Runner,
    ServiceInit,
    Systemctl,
    run_command,
)
from ui.api import Api
from ui.events import EventStream
from ui.models import LogModel
from ui.secrets import SecretStore
from ui.supervisor import Supervisor
from ui.tray_state import TrayState

__all__ = ["AppContext"]


class AppContext(QObject):
    notify = Signal(object)  # a tray_state.Notification

    def __init__(self, home: Home, serve_args: list[str] | None = None,
                 secrets: SecretStore | None = None, poll_ms: int = 2000,
                 parent: QObject | None = None, *, deployment: Deployment | None = None,
                 systemctl: Systemctl | None = None, runner: Runner = run_command) -> None:
        super().__init__(parent)
        self.home = home
        # Where the daemon comes from: the system service, or one this GUI runs.
        self.deployment = deployment or Deployment(False, None)
        service = self.deployment.service
        self.runner = runner  # systemctl and pkexec; tests give a fake
        if service and systemctl is None and self.deployment.systemd:
            systemctl = Systemctl(runner)
        self.api = Api(home, self)
        self.api.local = not service
        self.supervisor = Supervisor(self.api, serve_args, poll_ms=poll_ms, parent=self,
                                     service=service, systemctl=systemctl)
        self.events = EventStream(home, self)
        self.logs = LogModel(parent=self)
        self.tray_state = TrayState()
        self.secrets = secrets or SecretStore()
        self.events.event.connect(self._on_event)
        self.events.connected.connect(self._on_connected)
        self.supervisor.statusChanged.connect(self._on_status)
        self.supervisor.stateChanged.connect(
            lambda state: self.events.hold(state == "stopping"))
        # The crash lines are in the log file too; shown now, while no daemon streams.
        self.supervisor.crashLogged.connect(self.logs.extend)
        self.supervisor.crashLogged.connect(
            lambda lines: self._notify(self.tray_state.on_crash(lines)))
        self.notifications: list[Any] = []
        # Replaced by tests: (parent, title, question) -> bool
        self.confirm: Callable[[QWidget | None, str, str], bool] = self._ask
        # (page) -> "save" | "discard" | "cancel"; the main window puts its dialog here.
        self.ask_unsaved: Callable[[Any], str] = lambda _page: "cancel"

    def _on_event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "log":
            self.logs.append(str(event.get("line", "")))
            return
        self._notify(self.tray_state.on_event(event))

    def _on_connected(self, connected: bool) -> None:
        if connected:  # fill what was missed while no stream ran
            self.api.run("logs.recent", {"lines": 2000}, self.logs.load_history,
                         lambda e: None)

    def _on_status(self, status: dict[str, Any] | None) -> None:
        self._notify(self.tray_state.update_status(status))

    def _notify(self, notes: list[Any]) -> None:
        for note in notes:
            self.notifications.append(note)
            self.notify.emit(note)

    def initializer(self) -> Callable[[Home, str, str], None] | None:
        """What makes a new data directory for the wizard (``ControlClient.apply_setup``'s
        ``init``): None for the setup.init operation, or the system service's way."""
        if not self.deployment.service:
            return None
        from appliance.control.client import ControlClient

        def answers() -> bool:
            client = ControlClient(self.home, timeout=5.0, local_fallback=False)
            return client.daemon_running()

        return ServiceInit(answers, self.runner, self.supervisor.systemctl,
                           data_dir=self.home.root)

    def start(self) -> None:
        self.supervisor.begin()
        self.events.start()
        self.api.run("logs.recent", {"lines": 2000}, self.logs.load_history, lambda e: None)

    def shutdown(self) -> None:
        self.supervisor.close()
        self.logs.timer.stop()
        self.events.stop()
        self.api.wait_idle(5000)

    @staticmethod
    def _ask(parent: QWidget | None, title: str, question: str) -> bool:
        answer = QMessageBox.question(parent, title, question,
                                      QMessageBox.StandardButton.Yes
                                      | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes
