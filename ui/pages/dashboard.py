"""Dashboard: listeners, today's counters, queue size, warnings, mail per hour."""

from __future__ import annotations

import html
import time
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from ui.context import AppContext
from ui.models import service_label, tls_words
from ui.pages.base import Page
from ui.service_words import SERVICE_TLS, SERVICE_WORDS
from ui.widgets import Card, HourChart

__all__ = ["DashboardPage", "last_day", "daemon_text", "daemon_where", "configured_listeners",
           "sending_text"]

COUNTERS = ("received", "delivered", "deferred", "bounced", "rejected")
CAPTIONS = {"received": QT_TRANSLATE_NOOP("DashboardPage", "received"),
            "delivered": QT_TRANSLATE_NOOP("DashboardPage", "delivered"),
            "deferred": QT_TRANSLATE_NOOP("DashboardPage", "deferred"),
            "bounced": QT_TRANSLATE_NOOP("DashboardPage", "bounced"),
            "rejected": QT_TRANSLATE_NOOP("DashboardPage", "rejected"),
            "queue": QT_TRANSLATE_NOOP("DashboardPage", "in queue")}


def last_day(hours: list[dict[str, Any]], now: float | None = None) -> list[dict[str, Any]]:
    """24 hourly slots ending with the current hour, zeros where nothing happened."""
    now = time.time() if now is None else now
    by_hour = {h["hour"]: h for h in hours}
    slots = []
    for back in range(23, -1, -1):
        t = time.localtime(now - back * 3600)
        key = time.strftime("%Y-%m-%d %H", t)
        slots.append({"label": time.strftime("%H", t), **dict.fromkeys(COUNTERS, 0),
                      **{k: v for k, v in by_hour.get(key, {}).items() if k in COUNTERS}})
    return slots


def sending_text(proc: dict[str, Any] | None) -> str:
    """Who sends outside mail, from the status field ``delivery_process``."""
    def tr(text: str) -> str:
        return QCoreApplication.translate("DashboardPage", text)

    if not proc:
        return ""
    if not proc.get("enabled"):
        return tr("Sending: in the daemon's own process")
    restarts = proc.get("restarts") or 0
    tail = tr(" (restarted {0} times)").format(restarts) if restarts else ""
    if proc.get("pid") is None:
        return tr("Sending: delivery process idle, starts with the next outside message") + tail
    return tr("Sending: delivery process {0}, {1} in flight").format(
        proc["pid"], proc.get("in_flight", 0)) + tail


def configured_listeners(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """The listeners the settings ask for, shaped like the daemon's status (state "stopped"):
    what the table lists while no daemon runs."""
    rows = []
    for name in SERVICE_WORDS:
        if settings.get(f"{name}.enabled") and f"{name}.port" in settings:
            rows.append({"name": name, "port": int(settings[f"{name}.port"]),
                         "hosts": list(settings.get("listen") or []), "sockets": [],
                         "tls": SERVICE_TLS.get(name, "starttls"), "state": "stopped",
                         "error": ""})
    return rows


_STATES = {
    "up": ("#2e9d4f", QT_TRANSLATE_NOOP("DashboardPage", "Running"), ""),
    "down": ("#d0312d", QT_TRANSLATE_NOOP("DashboardPage", "Stopped"),
             QT_TRANSLATE_NOOP("DashboardPage", "no mail is received or sent")),
    "starting": ("#e0a100", QT_TRANSLATE_NOOP("DashboardPage", "Starting…"), ""),
    "stopping": ("#e0a100", QT_TRANSLATE_NOOP("DashboardPage", "Stopping…"), ""),
    "degraded": ("#e0a100", QT_TRANSLATE_NOOP("DashboardPage", "Degraded"), ""),
}


def _t(text: str) -> str:
    return QCoreApplication.translate("DashboardPage", text)


def _headline(state: str, why: str = "") -> str:
    if state not in _STATES:
        return html.escape(_t("Checking the daemon…"))
    colour, word, note = _STATES[state]
    text = f"<b style='color:{colour}'>● {html.escape(_t(word))}</b>"
    why = why or (_t(note) if note else "")
    return text + (f" — {html.escape(why)}" if why else "")


def daemon_where(status: dict[str, Any] | None) -> str:
    """Which daemon: its process, host name and data directory (the state line's tooltip)."""
    if not status:
        return ""
    return _t("pid {0} on {1}, data {2}").format(status["pid"], status["hostname"],
                                                 status["data_dir"])


def daemon_text(state: str, status: dict[str, Any] | None) -> str:
    """The line at the top: Running, Degraded (and why, in plain words), Stopped..."""
    if state != "up" or not status:
        return _headline(state)
    if status.get("health") == "degraded":
        # A listener down or a full disk: a green "Running" would hide it.
        problems = status.get("problems") or [_t("a service is not running")]
        return _headline("degraded", "; ".join(problems))
    return _headline("up")


class DashboardPage(Page):
    title = QT_TRANSLATE_NOOP("DashboardPage", "Dashboard")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data: dict[str, Any] = {}
        # Daemon state and supervision buttons
        row = QHBoxLayout()
        self.state_label = QLabel(self.tr("Checking the daemon…"))
        self.state_label.setTextFormat(Qt.TextFormat.RichText)
        self.state_label.setWordWrap(True)  # a long reason wraps instead of widening the window
        row.addWidget(self.state_label, 1)
        # The system service is started and stopped through systemd (and polkit).
        service = ctx.supervisor.service
        self.start_button = QPushButton(self.tr("S&tart service") if service
                                        else self.tr("S&tart daemon"))
        self.stop_button = QPushButton(self.tr("St&op service") if service
                                       else self.tr("St&op daemon"))
        self.restart_button = QPushButton(self.tr("Rest&art service") if service
                                          else self.tr("Rest&art daemon"))
        self.pause_button = QPushButton(self.tr("&Pause incoming"))
        self.pause_button.setCheckable(True)
        for b in (self.start_button, self.stop_button, self.restart_button, self.pause_button):
            row.addWidget(b)
        self.outer.addLayout(row)
        self.start_button.clicked.connect(self.start_daemon)
        self.stop_button.clicked.connect(self.stop_daemon)
        self.restart_button.clicked.connect(self.restart_daemon)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.died = QPlainTextEdit()
        self.died.setReadOnly(True)
        self.died.setMaximumHeight(110)
        self.died.hide()
        self.outer.addWidget(self.died)

        grid = QGridLayout()
        self.outer.addLayout(grid, 1)
        # Counters
        counters = Card(self.tr("Today"))
        box = QGridLayout()
        self.counter_labels: dict[str, QLabel] = {}
        for i, name in enumerate((*COUNTERS, "queue")):
            value = QLabel("–")
            value.setAlignment(Qt.AlignmentFlag.AlignCenter)
            value.setStyleSheet("font-size: 20pt; font-weight: bold;")
            value.setAccessibleName(self.tr("{0} today").format(self.tr(CAPTIONS[name])))
            caption = QLabel(self.tr(CAPTIONS[name]))
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            box.addWidget(value, 0, i)
            box.addWidget(caption, 1, i)
            self.counter_labels[name] = value
        counters.layout_.addLayout(box)
        grid.addWidget(counters, 0, 0, 1, 2)
        # Listeners
        services = Card(self.tr("Listeners"))
        self.services = QTableWidget(0, 4)
        self.services.setHorizontalHeaderLabels([self.tr("Service"), self.tr("Address"), "TLS",
                                                 self.tr("State")])
        self.services.verticalHeader().hide()
        self.services.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.services.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        services.layout_.addWidget(self.services)
        self.sending = QLabel()
        self.sending.setWordWrap(True)
        self.sending.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        services.layout_.addWidget(self.sending)
        grid.addWidget(services, 1, 0)
        # Warnings
        warnings = Card(self.tr("Warnings"))
        self.warnings = QListWidget()
        self.warnings.setWordWrap(True)
        warnings.layout_.addWidget(self.warnings)
        grid.addWidget(warnings, 1, 1)
        # Chart
        chart = Card(self.tr("Messages per hour (last 24 hours)"))
        self.chart = HourChart()
        chart.layout_.addWidget(self.chart)
        grid.addWidget(chart, 2, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(1, 1)

        self.refresh_timer = QTimer(self)
        self.refresh_timer.setInterval(5000)
        self.refresh_timer.timeout.connect(self.load)
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(400)
        self._soon.timeout.connect(self.load)
        ctx.supervisor.stateChanged.connect(self.on_daemon)
        ctx.supervisor.statusChanged.connect(self.on_status)
        ctx.supervisor.crashLogged.connect(self.on_crash)
        ctx.supervisor.serviceStateChanged.connect(
            lambda _s: self.on_daemon(self.ctx.supervisor.state))
        self.on_daemon(ctx.supervisor.state)

    # -- loading ----------------------------------------------------------

    def load(self) -> None:
        if not self.idle:
            return

        def fetch(c: Any) -> dict[str, Any]:
            data = dict(c.call("status.dashboard"))
            if not data.get("daemon"):
                values = {r["key"]: r["value"] for r in c.call("settings.show")}
                data["configured"] = configured_listeners(values)
            return data

        self.job(fetch, self.show_data)

    def show_data(self, data: dict[str, Any]) -> None:
        self.loaded = True
        self.data = data
        if self.banner.text().startswith("Not saved") or not data.get("daemon"):
            self.banner.show_message(self.tr(""))
        for name in COUNTERS:
            self.counter_labels[name].setText(str(data["today"].get(name, 0)))
        self.counter_labels["queue"].setText(str(data.get("queue_total", 0)))
        status = data.get("status") or {}
        if status:
            self.show_state(self.ctx.supervisor.state, status)
        # While stopped, the listeners the settings ask for (state "stopped").
        rows = status.get("services", []) if status else data.get("configured", [])
        self.services.setRowCount(len(rows))
        for i, svc in enumerate(rows):
            # The port is in the service's name; while stopped, the addresses it would use.
            where = ", ".join(svc["sockets"]) or ", ".join(svc["hosts"])
            up = svc["state"] == "running"
            state = {"running": self.tr("● running"), "stopped": self.tr("● stopped"),
                     "failed": self.tr("● failed")}.get(svc["state"], f"● {svc['state']}")
            cells = [service_label(svc["name"], svc.get("port")), where,
                     tls_words(svc["tls"]), state]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, svc["name"])
                if j == 3:
                    colour = (Qt.GlobalColor.darkGreen if up else Qt.GlobalColor.darkGray
                              if svc["state"] == "stopped" else Qt.GlobalColor.red)
                    item.setForeground(colour)
                if svc.get("error"):
                    item.setToolTip(svc["error"])
                self.services.setItem(i, j, item)
        self.sending.setText(sending_text(status.get("delivery_process")) if status else "")
        self.sending.setVisible(bool(self.sending.text()))
        self.warnings.clear()
        if not data.get("daemon"):
            self.warnings.addItem(
                self.tr("⚠ the daemon is not running: no mail is received or sent"))
        for w in data.get("warnings", []):
            self.warnings.addItem(f"⚠ {w}")
        if not self.warnings.count():
            self.warnings.addItem(self.tr("✓ nothing to worry about"))
        self.chart.set_hours(last_day(data.get("hours", [])))
        self.pause_button.setChecked(bool(status.get("paused")))
        self.pause_button.setText(self.tr("Resume &incoming") if status.get("paused")
                                  else self.tr("&Pause incoming"))

    def on_event(self, event: dict[str, Any]) -> None:
        if event.get("type", "").startswith(("message.", "queue", "service")) \
                and not self._soon.isActive():
            self._soon.start()

    # -- supervision ------------------------------------------------------

    def on_status(self, status: dict[str, Any] | None) -> None:
        self.show_state(self.ctx.supervisor.state, status)

    def show_state(self, state: str, status: dict[str, Any] | None) -> None:
        self.state_label.setText(self.state_text(state, status))
        self.state_label.setToolTip(daemon_where(status) if state == "up" else "")

    def state_text(self, state: str, status: dict[str, Any] | None) -> str:
        text = daemon_text(state, status)
        if state == "down" and self.ctx.supervisor.service_state:
            text += f" (systemd: {html.escape(self.ctx.supervisor.service_state)})"
        return text

    def on_daemon(self, state: str) -> None:
        status = self.ctx.supervisor.status
        if state == "up" and status:
            self.died.hide()
        self.show_state(state, status)
        self.start_button.setEnabled(state == "down")
        self.stop_button.setEnabled(state == "up")
        self.restart_button.setEnabled(state == "up")  # nothing to restart while stopped
        self.pause_button.setEnabled(state == "up")
        if state in ("up", "down"):
            self.load()
        if state == "up":
            self.refresh_timer.start()
        else:
            self.refresh_timer.stop()

    def on_crash(self, lines: list[str]) -> None:
        """The mail-log lines of a crash (exit status, restart or not, last output)."""
        self.died.setPlainText("\n".join(lines))
        self.died.show()

    def start_daemon(self) -> None:
        self.ctx.supervisor.start()

    def stop_daemon(self) -> None:
        sup = self.ctx.supervisor
        if sup.service:
            question = self.tr("Stop the Mailroom service? No mail is received or sent until it "
                               "is started again (at the latest at the next boot).")
        elif sup.owns_daemon():
            question = self.tr("Stop the mail server? No mail is received or sent until it "
                               "runs again.")
        else:
            question = self.tr("This daemon was not started by this window. Stop it anyway? "
                               "No mail is received or sent until it runs again.")
        if self.ctx.confirm(self, self.tr("Stop Mailroom"), question):
            sup.stop(foreign=True)

    def restart_daemon(self) -> None:
        self.ctx.supervisor.restart()

    def toggle_pause(self) -> None:
        paused = self.pause_button.isChecked()
        self.call("service.pause", {"paused": paused}, lambda _: self.load())
