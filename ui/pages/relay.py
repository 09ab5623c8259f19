"""Relay networks: which networks may send mail out through this server."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QWidget,
)

from appliance.control.types import ControlError
from ui.context import AppContext
from ui.pages.base import Page

__all__ = ["RelayPage"]


class RelayPage(Page):
    title = QT_TRANSLATE_NOOP("RelayPage", "Relay networks")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.original: list[str] = []
        self.gateways: list[str] = []
        self.guessed: list[str] = []
        intro = QLabel(
            self.tr("Computers on these networks may send mail to any address through this server "
            "without logging in (like sendmail's <tt>Connect:192.168.1 RELAY</tt>). Everyone "
            "else must log in (submission, port 587) or can only send to this server's own "
            "domains. The server refuses the whole Internet; beware of networks that contain "
            "your router: behind NAT every outside connection may appear to come from it. "
            "Exclude an address with <tt>!</tt> (<tt>!192.168.1.1</tt>): exclusions are "
            "checked first."))
        intro.setWordWrap(True)
        self.outer.addWidget(intro)
        self.networks = QListWidget()
        self.networks.setAccessibleName(self.tr("Relay networks"))
        self.outer.addWidget(self.networks, 1)
        row = QHBoxLayout()
        self.new_network = QLineEdit()
        self.new_network.setPlaceholderText(self.tr("192.168.1.0/24 or !192.168.1.1"))
        label = QLabel(self.tr("&Network (CIDR):"))
        label.setBuddy(self.new_network)
        self.add_button = QPushButton(self.tr("&Add"))
        self.lan_button = QPushButton(self.tr("Add this mac&hine's LAN"))
        self.remove_button = QPushButton(self.tr("&Remove"))
        for w in (label, self.new_network, self.add_button, self.lan_button, self.remove_button):
            row.addWidget(w, 1 if w is self.new_network else 0)
        self.outer.addLayout(row)
        self.outer.addWidget(self.error_label("network"))
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color:#8a5a00;")
        self.outer.addWidget(self.warning)
        self.outer.addLayout(self.save_buttons())
        self.add_button.clicked.connect(self.add_network)
        self.new_network.returnPressed.connect(self.add_network)
        self.lan_button.clicked.connect(self.add_lan)
        self.remove_button.clicked.connect(self.remove_network)

    def load(self) -> None:
        self.call("relay.show", {}, self._fill)
        if not self.guessed:
            self.call("network.show", {}, self._guess, lambda e: None)

    def _guess(self, data: dict[str, Any]) -> None:
        self.gateways = data["gateways"]
        self.guessed = data["networks"]
        self.lan_button.setToolTip(self.tr("Add {0}").format(", ".join(self.guessed))
                                   if self.guessed else self.tr("No LAN found"))

    def _fill(self, shown: dict[str, Any]) -> None:
        self.original = list(shown["networks"])
        self.networks.clear()
        self.networks.addItems(self.original)
        self.loaded = True
        self.set_dirty(False)
        self._show_warnings(shown["warnings"])

    def _show_warnings(self, warnings: list[str]) -> None:
        self.warning.setText("\n".join(f"⚠ {w}" for w in warnings))

    def network_list(self) -> list[str]:
        return [self.networks.item(i).text() for i in range(self.networks.count())]

    def add_network(self, text: str | None = None) -> None:
        value = (text if isinstance(text, str) else self.new_network.text()).strip()
        if not value:
            return
        if value not in self.network_list():
            self.networks.addItem(value)
            self.set_dirty(True)
        self.new_network.clear()
        self.update_warning()

    def add_lan(self) -> None:
        for net in self.guessed:
            self.add_network(net)

    def remove_network(self) -> None:
        row = self.networks.currentRow()
        if row >= 0:
            self.networks.takeItem(row)
            self.set_dirty(True)
            self.update_warning()

    def update_warning(self) -> None:
        """Ask the server about the list as edited: its refusal or warnings show at once."""
        networks = self.network_list()

        def checked(shown: dict[str, Any]) -> None:
            if networks == self.network_list():  # an answer about an older list is stale
                self.errors["network"].show_message(self.tr(""))
                self._show_warnings(shown["warnings"])

        def refused(exc: ControlError) -> None:
            if networks == self.network_list():
                self.errors["network"].show_message(exc.message)
                self._show_warnings([])

        self.call("relay.show", {"networks": networks}, checked, refused)

    def save(self) -> None:
        self.clear_errors()
        networks = self.network_list()

        def done(result: dict[str, Any]) -> None:
            self.banner.show_message(self.tr("Saved."), "info")
            self._fill(result)
            self.saved.emit()

        self.call("relay.set", {"networks": networks}, done)
