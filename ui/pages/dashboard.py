"""Dashboard: listeners, today's counters, queue size, warnings, mail per hour."""

from __future__ import annotations

import html
import time
from typing import Any

from PySide6.QtCore import Qt, QTimer
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
from ui.pages.base import Page
from ui.widgets import Card, HourChart

__all__ = ["DashboardPage", "last_day", "daemon_text"]

COUNTERS = ("received", "delivered", "deferred", "bounced", "rejected")


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


_STATES = {
    "up": "<b style='color:#2e9d4f'>● Running</b>",
    "down": "<b style='color:#d0312d'>● Not running</b> — no mail is received or sent",
    "starting": "<b style='color:#e0a100'>● Starting…</b>",
    "stopping": "<b style='color:#e0a100'>● Stopping…</b>",
    "unknown": "Checking the daemon…",
}


def daemon_text(state: str, status: dict[str, Any] | None) -> str:
    """The line at the top: running, degraded (and why), not running..."""
    if state != "up" or not status:
        return _STATES[state]
    where = (f" &nbsp; pid {status['pid']} on {html.escape(str(status['hostname']))}, "
             f"data {html.escape(str(status['data_dir']))}")
    if status.get("health") == "degraded":
        # A listener down or a full disk: a green "Running" would hide it.
        problems = status.get("problems") or ["a service is not running"]
        return ("<b style='color:#e0a100'>● Degraded</b> — "
                + html.escape("; ".join(problems)) + where)
    return _STATES["up"] + where


class DashboardPage(Page):
    title = "Dashboard"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data: dict[str, Any] = {}
        # Daemon state and supervision buttons
        row = QHBoxLayout()
        self.state_label = QLabel("Checking the daemon…")
        self.state_label.setTextFormat(Qt.TextFormat.RichText)
        row.addWidget(self.state_label, 1)
        # The system service is started and stopped through systemd (and polkit).
        what = "service" if ctx.supervisor.service else "daemon"
        self.start_button = QPushButton(f"S&tart {what}")
        self.stop_button = QPushButton(f"St&op {what}")
        self.restart_button = QPushButton(f"Rest&art {what}")
        self.pause_button = QPushButton("&Pause incoming")
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
        counters = Card("Today")
        box = QGridLayout()
        self.counter_labels: dict[str, QLabel] = {}
        for i, name in enumerate((*COUNTERS, "queue")):
            value = QLabel("–")
            value.setAlignment(Qt.AlignmentFlag.AlignCenter)
            value.setStyleSheet("font-size: 20pt; font-weight: bold;")
            value.setAccessibleName(f"{name} today")
            caption = QLabel("in queue" if name == "queue" else name)
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            box.addWidget(value, 0, i)
            box.addWidget(caption, 1, i)
            self.counter_labels[name] = value
        counters.layout_.addLayout(box)
        grid.addWidget(counters, 0, 0, 1, 2)
        # Listeners
        services = Card("Listeners")
        self.services = QTableWidget(0, 4)
        self.services.setHorizontalHeaderLabels(["Service", "Address", "TLS", "State"])
        self.services.verticalHeader().hide()
        self.services.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.services.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        services.layout_.addWidget(self.services)
        grid.addWidget(services, 1, 0)
        # Warnings
        warnings = Card("Warnings")
        self.warnings = QListWidget()
        self.warnings.setWordWrap(True)
        warnings.layout_.addWidget(self.warnings)
        grid.addWidget(warnings, 1, 1)
        # Chart
        chart = Card("Messages per hour (last 24 hours)")
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
        ctx.supervisor.childDied.connect(self.on_child_died)
        ctx.supervisor.serviceStateChanged.connect(
            lambda _s: self.on_daemon(self.ctx.supervisor.state))
        self.on_daemon(ctx.supervisor.state)

    # -- loading ----------------------------------------------------------

    def load(self) -> None:
        if not self.idle:
            return
        self.call("status.dashboard", {}, self.show_data)

    def show_data(self, data: dict[str, Any]) -> None:
        self.loaded = True
        self.data = data
        if self.banner.text().startswith("Not saved") or not data.get("daemon"):
            self.banner.show_message("")
        for name in COUNTERS:
            self.counter_labels[name].setText(str(data["today"].get(name, 0)))
        self.counter_labels["queue"].setText(str(data.get("queue_total", 0)))
        status = data.get("status") or {}
        if status:
            self.state_label.setText(daemon_text(self.ctx.supervisor.state, status))
        rows = status.get("services", [])
        self.services.setRowCount(len(rows))
        for i, svc in enumerate(rows):
            where = ", ".join(svc["sockets"]) or f"{','.join(svc['hosts'])}:{svc['port']}"
            tls = "implicit TLS" if svc["tls"] == "implicit" else "STARTTLS"
            up = svc["state"] == "running"
            cells = [svc["name"], where, tls, "● up" if up else f"● {svc['state']}"]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j == 3:
                    item.setForeground(Qt.GlobalColor.darkGreen if up else Qt.GlobalColor.red)
                    if svc.get("error"):
                        item.setToolTip(svc["error"])
                self.services.setItem(i, j, item)
        self.warnings.clear()
        if not data.get("daemon"):
            self.warnings.addItem("⚠ the daemon is not running: no mail is received or sent")
        for w in data.get("warnings", []):
            self.warnings.addItem(f"⚠ {w}")
        if not self.warnings.count():
            self.warnings.addItem("✓ nothing to worry about")
        self.chart.set_hours(last_day(data.get("hours", [])))
        self.pause_button.setChecked(bool(status.get("paused")))
        self.pause_button.setText("Resume &incoming" if status.get("paused")
                                  else "&Pause incoming")

    def on_event(self, event: dict[str, Any]) -> None:
        if event.get("type", "").startswith(("message.", "queue", "service")) \
                and not self._soon.isActive():
            self._soon.start()

    # -- supervision ------------------------------------------------------

    def on_status(self, status: dict[str, Any] | None) -> None:
        self.state_label.setText(self.state_text(self.ctx.supervisor.state, status))

    def state_text(self, state: str, status: dict[str, Any] | None) -> str:
        text = daemon_text(state, status)
        if state == "down" and self.ctx.supervisor.service_state:
            text += f" (systemd: {html.escape(self.ctx.supervisor.service_state)})"
        return text

    def on_daemon(self, state: str) -> None:
        status = self.ctx.supervisor.status
        if state == "up" and status:
            self.died.hide()
        self.state_label.setText(self.state_text(state, status))
        self.start_button.setEnabled(state == "down")
        self.stop_button.setEnabled(state == "up")
        self.restart_button.setEnabled(state in ("up", "down"))
        self.pause_button.setEnabled(state == "up")
        if state in ("up", "down"):
            self.load()
        if state == "up":
            self.refresh_timer.start()
        else:
            self.refresh_timer.stop()

    def on_child_died(self, code: int, output: str) -> None:
        self.died.setPlainText(f"The daemon exited with code {code}. Last output:\n{output}")
        self.died.show()

    def start_daemon(self) -> None:
        self.ctx.supervisor.start()

    def stop_daemon(self) -> None:
        sup = self.ctx.supervisor
        if sup.service:
            question = ("Stop the Mailroom service? No mail is received or sent until it "
                        "is started again (at the latest at the next boot).")
        elif sup.owns_daemon():
            question = "Stop the mail server? No mail is received or sent until it runs again."
        else:
            question = ("This daemon was not started by this window. Stop it anyway? "
                        "No mail is received or sent until it runs again.")
        if self.ctx.confirm(self, "Stop Mailroom", question):
            sup.stop(foreign=True)

    def restart_daemon(self) -> None:
        self.ctx.supervisor.restart()

    def toggle_pause(self) -> None:
        paused = self.pause_button.isChecked()
        self.call("service.pause", {"paused": paused}, lambda _: self.load())
