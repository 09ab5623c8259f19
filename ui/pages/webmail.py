"""Webmail: Roundcube in the browser, switched on and off, its address and port."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ui.context import AppContext
from ui.pages.base import Page

__all__ = ["WebmailPage"]


class WebmailPage(Page):
    title = QT_TRANSLATE_NOOP("WebmailPage", "Webmail")
    settings_keys = ("webmail.*",)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.status: dict[str, Any] = {}
        intro = QLabel(self.tr(
            "Read and send mail from a web browser with Roundcube. Users log in with their "
            "mail account; their filters (the Filters tab) are the same Sieve rules as on the "
            "Filters page. Roundcube, PHP and the web server come from Debian; Mailroom "
            "writes their configuration and runs them."))
        intro.setWordWrap(True)
        self.outer.addWidget(intro)

        box = QGroupBox(self.tr("Now"))
        form = QFormLayout(box)
        self.state = QLabel("–")
        self.state.setWordWrap(True)
        self.state.setAccessibleName(self.tr("Webmail state"))
        form.addRow(self.tr("State:"), self.state)
        self.link = QLabel("–")
        self.link.setTextFormat(Qt.TextFormat.RichText)
        self.link.setOpenExternalLinks(True)
        self.link.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.link.setAccessibleName(self.tr("Webmail address"))
        form.addRow(self.tr("Address:"), self.link)
        self.packages = QLabel("")
        self.packages.setWordWrap(True)
        self.packages.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.tr("Packages:"), self.packages)
        self.database = QLabel("")
        self.database.setWordWrap(True)
        form.addRow(self.tr("Users' settings:"), self.database)
        self.outer.addWidget(box)

        setup = QGroupBox(self.tr("Serving"))
        rows = QFormLayout(setup)
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setAccessibleName(self.tr("HTTPS port"))
        self.port.setMaximumWidth(120)
        self.port.valueChanged.connect(self.mark_dirty)
        port_label = QLabel(self.tr("HTTPS &port:"))
        port_label.setBuddy(self.port)
        rows.addRow(port_label, self.port)
        rows.addRow("", self.error_label("webmail.port"))
        note = QLabel(self.tr("Served at /webmail with Mailroom's TLS certificate. Port 443 "
                              "is the browser's default; remember to open the port in the "
                              "firewall (Ports page)."))
        note.setWordWrap(True)
        rows.addRow(note)
        buttons = QHBoxLayout()
        self.enable_button = QPushButton(self.tr("&Enable webmail"))
        self.enable_button.setToolTip(self.tr("Configure Roundcube and start serving it"))
        self.enable_button.clicked.connect(self.enable)
        self.disable_button = QPushButton(self.tr("D&isable webmail"))
        self.disable_button.setToolTip(self.tr("Stop serving; the users' settings are kept"))
        self.disable_button.clicked.connect(self.disable)
        buttons.addWidget(self.enable_button)
        buttons.addWidget(self.disable_button)
        buttons.addStretch(1)
        rows.addRow(buttons)
        self.outer.addWidget(setup)
        self.outer.addStretch(1)
        self.outer.addLayout(self.save_buttons())

    # -- data ---------------------------------------------------------------

    def load(self) -> None:
        self.call("webmail.status", {}, self._fill)

    def _fill(self, status: dict[str, Any]) -> None:
        self._filling = True
        self.status = status
        self.port.setValue(int(status["port"]) - int(status.get("offset", 0)))
        self._filling = False
        if status.get("serving"):
            text = self.tr("Serving")
        elif status.get("enabled"):
            text = self.tr("Enabled but not serving: {0}").format(
                status.get("error") or self.tr("the web server is not running"))
        else:
            text = self.tr("Disabled")
        self.state.setText(text)
        url = str(status.get("url", ""))
        self.link.setText(f'<a href="{url}">{url}</a>' if status.get("serving") else url)
        missing = status.get("missing") or []
        if missing:
            self.packages.setText(self.tr("Missing: {0}. As root: {1}").format(
                " ".join(missing), status.get("install", "")))
        else:
            self.packages.setText(self.tr("Roundcube, PHP and nginx are installed"))
        self.database.setText(
            self.tr("kept in {0}").format(status["database"]) if status.get("keeps_settings")
            else self.tr("none yet (made at the first login)"))
        self.enable_button.setText(self.tr("&Apply port") if status.get("enabled")
                                   else self.tr("&Enable webmail"))
        self.disable_button.setEnabled(bool(status.get("enabled")))
        self.loaded = True
        self.set_dirty(False)

    # -- actions ------------------------------------------------------------

    def _done(self, status: dict[str, Any]) -> None:
        self.clear_errors()
        self._fill(status)
        self.banner.show_message(
            self.tr("Serving on {0}").format(status["url"]) if status.get("serving")
            else self.tr("Webmail is off."), "info")

    def enable(self) -> None:
        self.clear_errors()
        self.banner.show_message(self.tr("Starting the webmail…"), "info")
        self.call("webmail.enable", {"port": self.port.value()}, self._done)

    def disable(self) -> None:
        self.clear_errors()
        self.call("webmail.disable", {}, self._done)

    def save(self) -> None:
        """The port: applied at once while serving, else kept for the next Enable."""
        self.clear_errors()
        if self.status.get("enabled"):
            self.enable()
            return
        self.call("settings.set", {"key": "webmail.port", "value": self.port.value()},
                  lambda _: self.load())
