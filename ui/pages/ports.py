"""Ports & services: each listener's port and on/off, applied with a reload; and whether
the firewall lets each one in, with Open/Close that show the exact commands first."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from appliance.control.client import ControlClient
from ui.context import AppContext
from ui.pages.base import Page
from ui.widgets import monospace

__all__ = ["PortsPage", "SERVICES"]

SERVICES = [
    ("smtp", QT_TRANSLATE_NOOP("PortsPage", "SMTP (incoming mail, MX)"),
     QT_TRANSLATE_NOOP("PortsPage", "STARTTLS")),
    ("submission", QT_TRANSLATE_NOOP("PortsPage", "Submission (mail programs send)"),
     QT_TRANSLATE_NOOP("PortsPage", "STARTTLS, login required")),
    ("smtps", QT_TRANSLATE_NOOP("PortsPage", "SMTPS (mail programs send)"),
     QT_TRANSLATE_NOOP("PortsPage", "implicit TLS, login required")),
    ("pop3", QT_TRANSLATE_NOOP("PortsPage", "POP3"),
     QT_TRANSLATE_NOOP("PortsPage", "STARTTLS")),  # POP3 says STLS; the same thing
    ("pop3s", QT_TRANSLATE_NOOP("PortsPage", "POP3S"),
     QT_TRANSLATE_NOOP("PortsPage", "implicit TLS")),
    ("imap", QT_TRANSLATE_NOOP("PortsPage", "IMAP"), QT_TRANSLATE_NOOP("PortsPage", "STARTTLS")),
    ("imaps", QT_TRANSLATE_NOOP("PortsPage", "IMAPS"),
     QT_TRANSLATE_NOOP("PortsPage", "implicit TLS")),
    ("managesieve", QT_TRANSLATE_NOOP("PortsPage", "ManageSieve (filter editors)"),
     QT_TRANSLATE_NOOP("PortsPage", "STARTTLS, login required")),
]

# What each firewall state is called on screen (the why goes in the tooltip).
FIREWALL_STATES = {
    "open": QT_TRANSLATE_NOOP("PortsPage", "open"),
    "closed": QT_TRANSLATE_NOOP("PortsPage", "closed"),
    "limited": QT_TRANSLATE_NOOP("PortsPage", "only some addresses"),
    "unknown": QT_TRANSLATE_NOOP("PortsPage", "unknown"),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("PortsPage", text)


class CommandsDialog(QDialog):
    """The exact commands, shown before they run: Run or Cancel."""

    def __init__(self, title: str, intro: str, commands: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        text = QLabel(intro)
        text.setWordWrap(True)
        layout.addWidget(text)
        self.commands = QPlainTextEdit(commands)
        self.commands.setReadOnly(True)
        self.commands.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.commands.setAccessibleName(self.tr("Commands to run"))
        monospace(self.commands)
        layout.addWidget(self.commands)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        run = buttons.addButton(self.tr("&Run these commands"),
                                QDialogButtonBox.ButtonRole.AcceptRole)
        run.setDefault(False)  # Enter must not change the firewall by accident
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(760, 420)


class PortsPage(Page):
    title = QT_TRANSLATE_NOOP("PortsPage", "Ports & services")
    settings_keys = (*(f"{n}.{k}" for n, _, _ in SERVICES for k in ("enabled", "port")),
                     "listen")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.original: dict[str, Any] = {}
        self.firewall: dict[str, Any] | None = None
        box = QGroupBox(self.tr("Services"))
        grid = QGridLayout(box)
        heads = (self.tr("On"), self.tr("Service"), self.tr("Port"), self.tr("Security"),
                 self.tr("Now"), self.tr("Firewall"))
        for col, head in enumerate(heads):
            grid.addWidget(QLabel(f"<b>{head}</b>"), 0, col)
        self.enabled: dict[str, QCheckBox] = {}
        self.ports: dict[str, QSpinBox] = {}
        self.now: dict[str, QLabel] = {}
        self.fw_state: dict[str, QLabel] = {}
        self.open_buttons: dict[str, QPushButton] = {}
        self.close_buttons: dict[str, QPushButton] = {}
        for row, (name, label_en, tls_en) in enumerate(SERVICES, start=1):
            label, tls = _tr(label_en), _tr(tls_en)
            check = QCheckBox()
            check.setAccessibleName(self.tr("%s enabled") % label)
            port = QSpinBox()
            port.setRange(1, 65535)
            port.setAccessibleName(self.tr("%s port") % label)
            text = QLabel(label)  # no mnemonic: SMTP/SMTPS, POP3/POP3S... would share letters
            text.setBuddy(check)
            now = QLabel("–")
            now.setWordWrap(True)  # "running on 127.0.0.1, ::1" must not widen the window
            fw = QLabel("–")
            fw.setWordWrap(True)
            fw.setAccessibleName(self.tr("%s in the firewall") % label)
            opener = QPushButton(self.tr("Open"))
            opener.setToolTip(self.tr("Let %s in through the firewall (shows the commands "
                                      "first)") % label)
            closer = QPushButton(self.tr("Close"))
            closer.setToolTip(self.tr("Shut %s in the firewall (shows the commands first)")
                              % label)
            opener.clicked.connect(lambda _=False, n=name: self.firewall_action("open", n))
            closer.clicked.connect(lambda _=False, n=name: self.firewall_action("close", n))
            r = row * 2 - 1
            grid.addWidget(check, r, 0)
            grid.addWidget(text, r, 1)
            grid.addWidget(port, r, 2)
            grid.addWidget(QLabel(tls), r, 3)
            grid.addWidget(now, r, 4)
            grid.addWidget(fw, r, 5)
            grid.addWidget(opener, r, 6)
            grid.addWidget(closer, r, 7)
            grid.addWidget(self.error_label(f"{name}.port", f"{name}.enabled"), row * 2, 1, 1, 4)
            check.toggled.connect(self.mark_dirty)
            port.valueChanged.connect(self.mark_dirty)
            self.enabled[name], self.ports[name], self.now[name] = check, port, now
            self.fw_state[name] = fw
            self.open_buttons[name], self.close_buttons[name] = opener, closer
        grid.setColumnStretch(4, 1)
        grid.setColumnStretch(5, 1)
        self.outer.addWidget(box)
        self.firewall_label = QLabel(self.tr("Firewall: checking…"))
        self.firewall_label.setWordWrap(True)
        self.outer.addWidget(self.firewall_label)
        listen_box = QGroupBox(self.tr("Addresses"))
        ll = QVBoxLayout(listen_box)
        self.listen = QLineEdit()
        self.listen.setPlaceholderText("0.0.0.0, ::")
        label = QLabel(self.tr("Listen o&n (IP addresses, comma separated):"))
        label.setBuddy(self.listen)
        ll.addWidget(label)
        ll.addWidget(self.listen)
        ll.addWidget(self.error_label("listen"))
        self.listen.textEdited.connect(self.mark_dirty)
        self.outer.addWidget(listen_box)
        note = QLabel(self.tr(
            "Changes are applied at once by a reload of the running daemon: only listeners "
            "whose port or address changed restart; mail in progress is not dropped. After "
            "changing a port, open the new one in the firewall."))
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
        self.load_firewall()
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

        touched = {k.split(".")[0] for k in changed}

        def applied(status: dict[str, Any]) -> None:
            # What the daemon runs now, not the last poll: a new port that could not be
            # opened shows as failed, not as the old port still running.
            failed = [s["error"] or f"{s['name']} is {s['state']}" for s in status["services"]
                      if s["state"] != "running" and (s["name"] in touched or "listen" in touched)]
            if failed:
                self.banner.show_message(self.tr("Saved, but not applied: %s")
                                         % "; ".join(failed), "error")
            else:
                self.banner.show_message(self.tr("Saved and applied."), "info")
            self.show_status("up", status)
            self.ctx.supervisor.poll()

        def done(_: Any) -> None:
            self.saved.emit()
            self.load()
            if self.ctx.supervisor.state == "up":
                self.call("status", {}, applied)
            else:
                self.banner.show_message(self.tr("Saved."), "info")

        self.call("settings.set_many", {"values": changed}, done)

    def on_daemon(self, state: str) -> None:
        self.show_status(state, self.ctx.supervisor.status if state == "up" else None)

    def show_status(self, state: str, status: dict[str, Any] | None) -> None:
        running = {s["name"]: s for s in (status or {}).get("services", [])}
        for name, label in self.now.items():
            svc = running.get(name)
            if svc is None:
                label.setText(self.tr("not running") if state == "up"
                              else self.tr("stopped") if state == "down"
                              else self.tr("daemon %s") % state)
            else:
                where = ", ".join(svc["sockets"]) or str(svc["port"])
                label.setText(self.tr("%s on %s") % (svc["state"], where)
                              if svc["state"] == "running"
                              else f"{svc['state']}: {svc['error']}")

    # -- firewall -------------------------------------------------------------

    def load_firewall(self) -> None:
        self.call("firewall.status", None, self._fill_firewall,
                  lambda exc: self.firewall_label.setText(
                      self.tr("Firewall: cannot tell (%s)") % exc.message))

    def _fill_firewall(self, info: dict[str, Any]) -> None:
        self.firewall = info
        text = self.tr("Firewall: %s") % info["description"]
        if info.get("note"):
            text += f"\n{info['note']}"
        self.firewall_label.setText(text)
        rows = {r["service"]: r for r in info["ports"]}
        changeable = info["backend"] != "none" and info["active"]
        for name, label in self.fw_state.items():
            row = rows.get(name)
            if row is None:
                label.setText(self.tr("(service off)"))
                label.setToolTip("")
            else:
                shown = _tr(FIREWALL_STATES.get(row["state"], row["state"]))
                if row["port"] != self.ports[name].value():
                    shown += " " + self.tr("(port %d)") % row["port"]
                label.setText(shown)
                label.setToolTip(row["why"])
            for button in (self.open_buttons[name], self.close_buttons[name]):
                button.setEnabled(changeable and row is not None)

    def confirm_commands(self, title: str, intro: str, commands: str) -> bool:
        """Show the commands; True when the admin chose to run them (tests replace this)."""
        dialog = CommandsDialog(title, intro, commands, self)
        return dialog.exec() == QDialog.DialogCode.Accepted

    def firewall_action(self, action: str, service: str) -> None:
        """Open/Close: ask for the plan, show its commands, run them only when confirmed."""
        self.banner.show_message("")

        def planned(plan: dict[str, Any]) -> None:
            ports = ", ".join(f"{p['port']}/tcp" for p in plan["ports"])
            title = (self.tr("Open %s in the firewall") if action == "open"
                     else self.tr("Close %s in the firewall")) % service
            intro = self.tr("Mailroom will run these commands on %s (%s):") % (
                plan["backend"], ports)
            if not self.confirm_commands(title, intro, "\n".join(plan["commands"])):
                self.banner.show_message(self.tr("Nothing changed."), "info")
                return
            self.call("firewall.apply", {"action": action, "service": service}, applied)

        def applied(result: dict[str, Any]) -> None:
            self._fill_firewall(result["status"])
            done = (self.tr("Opened %s in the firewall.") if action == "open"
                    else self.tr("Closed %s in the firewall.")) % service
            self.banner.show_message(done, "info")

        self.call("firewall.plan", {"action": action, "service": service}, planned)
