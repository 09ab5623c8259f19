"""Security: addresses banned for guessing passwords, and the recent failed logins."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from ui.context import AppContext
from ui.pages.base import Page

__all__ = ["SecurityPage"]

# What "Ban by hand" offers; "" is the automatic length (doubling on repeats).
DURATIONS = [(QT_TRANSLATE_NOOP("SecurityPage", "as automatic bans"), ""),
             (QT_TRANSLATE_NOOP("SecurityPage", "1 hour"), "1h"),
             (QT_TRANSLATE_NOOP("SecurityPage", "1 day"), "1d"),
             (QT_TRANSLATE_NOOP("SecurityPage", "1 week"), "1w"),
             (QT_TRANSLATE_NOOP("SecurityPage", "30 days"), "30d")]


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def _table(headers: list[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setAccessibleName(name)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            table.setItem(r, c, item)


class SecurityPage(Page):
    title = QT_TRANSLATE_NOOP("SecurityPage", "Security")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.bans: list[dict[str, Any]] = []
        self.failures: list[dict[str, Any]] = []
        intro = QLabel(
            self.tr("An address that fails to log in too often (SMTP, IMAP or POP3; by default 10 "
            "times in 10 minutes) is banned: its connections are refused for 15 minutes, "
            "twice as long each time it comes back, up to a day. IPv6 addresses are banned "
            "per /64. The relay networks are never banned."))
        intro.setWordWrap(True)
        self.outer.addWidget(intro)

        self.outer.addWidget(QLabel(self.tr("<b>Banned addresses</b>")))
        self.ban_table = _table([self.tr("Address"), self.tr("Until"), self.tr("Ban no."),
                                 self.tr("Reason")], self.tr("Banned addresses"))
        self.outer.addWidget(self.ban_table, 2)
        row = QHBoxLayout()
        self.unban_button = QPushButton(self.tr("&Unban"))
        self.unban_button.setToolTip(self.tr("Lift the selected ban now"))
        self.unban_button.setEnabled(False)
        row.addWidget(self.unban_button)
        row.addSpacing(24)
        label = QLabel(self.tr("&Address:"))
        self.new_address = QLineEdit()
        self.new_address.setPlaceholderText(self.tr("203.0.113.7 or 2001:db8:1:2::/64"))
        label.setBuddy(self.new_address)
        self.duration = QComboBox()
        self.duration.setAccessibleName(self.tr("Ban length"))
        for text, value in DURATIONS:
            self.duration.addItem(self.tr(text), value)
        self.ban_button = QPushButton(self.tr("&Ban by hand"))
        for w in (label, self.new_address, self.duration, self.ban_button):
            row.addWidget(w, 1 if w is self.new_address else 0)
        self.outer.addLayout(row)
        self.outer.addWidget(self.error_label("address"))

        self.outer.addWidget(QLabel(self.tr("<b>Recent failed logins</b>")))
        self.failure_table = _table([self.tr("Time"), self.tr("Address"), self.tr("Account"),
                                     self.tr("Service")], self.tr("Recent failed logins"))
        self.outer.addWidget(self.failure_table, 3)

        self.unban_button.clicked.connect(self.unban_selected)
        self.ban_button.clicked.connect(self.ban_by_hand)
        self.new_address.returnPressed.connect(self.ban_by_hand)
        self.ban_table.itemSelectionChanged.connect(
            lambda: self.unban_button.setEnabled(self.selected_ban() is not None))
        # Failed logins come in bursts: one refresh for a burst of log lines.
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(700)
        self._soon.timeout.connect(self.load)

    def load(self) -> None:
        self.call("ban.list", {}, self._fill_bans)
        self.call("ban.failures", {"limit": 100}, self._fill_failures)

    def _fill_bans(self, bans: list[dict[str, Any]]) -> None:
        self.bans = bans
        _fill(self.ban_table, [[b["key"], _when(b["until"]), str(b["count"]), b["reason"]]
                               for b in bans])
        self.unban_button.setEnabled(self.selected_ban() is not None)
        self.loaded = True

    def _fill_failures(self, failures: list[dict[str, Any]]) -> None:
        self.failures = failures
        _fill(self.failure_table, [[_when(f["time"]), f["address"], f["account"], f["service"]]
                                   for f in failures])

    def on_event(self, event: dict[str, Any]) -> None:
        line = str(event.get("line", "")) if event.get("type") == "log" else ""
        if "mailroom/auth[" in line and self.isVisible() and not self._soon.isActive():
            self._soon.start()

    def selected_ban(self) -> str | None:
        rows = self.ban_table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.bans):
            return None
        return str(self.bans[rows[0].row()]["key"])

    def select_ban(self, key: str) -> bool:
        for i, ban in enumerate(self.bans):
            if ban["key"] == key:
                self.ban_table.selectRow(i)
                return True
        return False

    def unban_selected(self) -> None:
        key = self.selected_ban()
        if key is None:
            return
        self.clear_errors()

        def done(_: Any) -> None:
            self.banner.show_message(self.tr("{0} is no longer banned.").format(key), "info")
            self.load()

        self.call("ban.del", {"address": key}, done)

    def ban_by_hand(self) -> None:
        address = self.new_address.text().strip()
        if not address:
            self.errors["address"].show_message(self.tr("Type the address to ban."))
            return
        self.clear_errors()
        args: dict[str, Any] = {"address": address, "reason": "banned by hand"}
        if self.duration.currentData():
            args["duration"] = self.duration.currentData()

        def done(ban: dict[str, Any]) -> None:
            self.new_address.clear()
            self.banner.show_message(self.tr("{0} is banned until {1}.").format(
                ban["key"], _when(ban["until"])), "info")
            self.load()

        self.call("ban.add", args, done)

