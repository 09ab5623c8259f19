"""Ports & services: each listener's port and on/off, applied with a reload."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from appliance.control.client import ControlClient
from ui.context import AppContext
from ui.pages.base import Page

__all__ = ["PortsPage", "SERVICES"]

SERVICES = [
    ("smtp", "SMTP (incoming mail, MX)", "STARTTLS"),
    ("submission", "Submission (mail programs send)", "STARTTLS, login required"),
    ("smtps", "SMTPS (mail programs send)", "implicit TLS, login required"),
    ("pop3", "POP3", "STLS"),
    ("pop3s", "POP3S", "implicit TLS"),
    ("imap", "IMAP", "STARTTLS"),
    ("imaps", "IMAPS", "implicit TLS"),
]


class PortsPage(Page):
    title = "Ports & services"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.original: dict[str, Any] = {}
        box = QGroupBox("Services")
        grid = QGridLayout(box)
        for col, head in enumerate(("On", "Service", "Port", "Security", "Now")):
            grid.addWidget(QLabel(f"<b>{head}</b>"), 0, col)
        self.enabled: dict[str, QCheckBox] = {}
        self.ports: dict[str, QSpinBox] = {}
        self.now: dict[str, QLabel] = {}
        for row, (name, label, tls) in enumerate(SERVICES, start=1):
            check = QCheckBox()
            check.setAccessibleName(f"{label} enabled")
            port = QSpinBox()
            port.setRange(1, 65535)
            port.setAccessibleName(f"{label} port")
            text = QLabel(f"&{label}" if row <= 9 else label)
            text.setBuddy(check)
            now = QLabel("–")
            grid.addWidget(check, row * 2 - 1, 0)
            grid.addWidget(text, row * 2 - 1, 1)
            grid.addWidget(port, row * 2 - 1, 2)
            grid.addWidget(QLabel(tls), row * 2 - 1, 3)
            grid.addWidget(now, row * 2 - 1, 4)
            grid.addWidget(self.error_label(f"{name}.port", f"{name}.enabled"), row * 2, 1, 1, 4)
            check.toggled.connect(self.mark_dirty)
            port.valueChanged.connect(self.mark_dirty)
            self.enabled[name], self.ports[name], self.now[name] = check, port, now
        grid.setColumnStretch(4, 1)
        self.outer.addWidget(box)
        listen_box = QGroupBox("Addresses")
        ll = QVBoxLayout(listen_box)
        self.listen = QLineEdit()
        self.listen.setPlaceholderText("0.0.0.0, ::")
        label = QLabel("&Listen on (IP addresses, comma separated):")
        label.setBuddy(self.listen)
        ll.addWidget(label)
        ll.addWidget(self.listen)
        ll.addWidget(self.error_label("listen"))
        self.listen.textEdited.connect(self.mark_dirty)
        self.outer.addWidget(listen_box)
        note = QLabel("Changes are applied at once by a reload of the running daemon: only "
                      "listeners whose port or address changed restart; mail in progress is "
                      "not dropped. Remember to open the new ports in the firewall.")
        note.setWordWrap(True)
        self.outer.addWidget(note)
        self.outer.addStretch(1)
        self.outer.addLayout(self.save_buttons())

    def keys(self) -> list[str]:
        return [f"{n}.{k}" for n, _, _ in SERVICES for k in ("enabled", "port")] + ["listen"]

    def load(self) -> None:
        wanted = set(self.keys())

        def fetch(c: ControlClient) -> dict[str, Any]:
            return {i["key"]: i["value"] for i in c.call("settings.show") if i["key"] in wanted}

        self.job(fetch, self._fill)
        self.on_daemon(self.ctx.supervisor.state)

    def _fill(self, values: dict[str, Any]) -> None:
        self._filling = True
        self.original = values
        for name, _, _ in SERVICES:
            self.enabled[name].setChecked(bool(values[f"{name}.enabled"]))
            self.ports[name].setValue(int(values[f"{name}.port"]))
        self.listen.setText(", ".join(values["listen"]))
        self._filling = False
        self.loaded = True
        self.set_dirty(False)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, _, _ in SERVICES:
            out[f"{name}.enabled"] = self.enabled[name].isChecked()
            out[f"{name}.port"] = self.ports[name].value()
        out["listen"] = self.listen.text()
        return out

    def save(self) -> None:
        self.clear_errors()
        values = self.values()
        changed = {k: v for k, v in values.items() if v != self.original.get(k)}
        if isinstance(changed.get("listen"), str):
            parts = [p.strip() for p in changed["listen"].replace(" ", ",").split(",")]
            if [p for p in parts if p] == self.original.get("listen"):
                changed.pop("listen")

        def done(_: Any) -> None:
            self.banner.show_message("Saved" + (" and applied." if
                                                self.ctx.supervisor.state == "up" else "."),
                                     "info")
            self.saved.emit()
            self.load()

        self.call("settings.set_many", {"values": changed}, done)

    def on_daemon(self, state: str) -> None:
        status = self.ctx.supervisor.status if state == "up" else None
        running = {s["name"]: s for s in (status or {}).get("services", [])}
        for name, label in self.now.items():
            svc = running.get(name)
            if svc is None:
                label.setText("not running" if state == "up" else "daemon " + state)
            else:
                where = ", ".join(svc["sockets"]) or str(svc["port"])
                label.setText(f"{svc['state']} on {where}" if svc["state"] == "running"
                              else f"{svc['state']}: {svc['error']}")
