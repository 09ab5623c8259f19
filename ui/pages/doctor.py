"""Diagnostics: what would break this mail server (doctor), each with how to fix it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext
from ui.pages.settings_form import SettingsPage

__all__ = ["DoctorPage", "STATUS_COLOURS"]

STATUS_COLOURS = {"ok": "#2e9d4f", "warn": "#e07000", "fail": "#d0312d", "skip": "#8a8a8a"}
STATUS_WORDS = {"ok": QT_TRANSLATE_NOOP("DoctorPage", "✓ ok"),
                "warn": QT_TRANSLATE_NOOP("DoctorPage", "! warning"),
                "fail": QT_TRANSLATE_NOOP("DoctorPage", "✗ failing"),
                "skip": QT_TRANSLATE_NOOP("DoctorPage", "– not checked")}
# The checks' names as the server sends them, for translation.
CHECK_NAMES = {"outbound mail": QT_TRANSLATE_NOOP("DoctorPage", "Outbound mail"),
               "reverse DNS": QT_TRANSLATE_NOOP("DoctorPage", "Reverse DNS"),
               "TLS certificate": QT_TRANSLATE_NOOP("DoctorPage", "TLS certificate"),
               "disk space": QT_TRANSLATE_NOOP("DoctorPage", "Disk space"),
               "mail queue": QT_TRANSLATE_NOOP("DoctorPage", "Mail queue"),
               "backups": QT_TRANSLATE_NOOP("DoctorPage", "Backups"),
               "clock": QT_TRANSLATE_NOOP("DoctorPage", "Clock")}


def _tr(text: str) -> str:
    return QCoreApplication.translate("DoctorPage", text)


class DoctorPage(SettingsPage):
    title = QT_TRANSLATE_NOOP("DoctorPage", "Diagnostics")
    settings_keys = ("doctor.*",)
    sections = ((QT_TRANSLATE_NOOP("DoctorPage", "Outbound test"), ("doctor.probe_domain",)),)
    labels = {"doctor.probe_domain": QT_TRANSLATE_NOOP("DoctorPage",
                                                       "Try port 25 to the mail server of")}

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        box = QGroupBox(self.tr("Checks"))
        column = QVBoxLayout(box)
        intro = QLabel(self.tr("What most often stops a small office's mail: a blocked port "
                               "25, reverse DNS, an expiring certificate, a full disk, mail "
                               "stuck in the queue, old backups, a wrong clock."))
        intro.setWordWrap(True)
        column.addWidget(intro)
        heads = (self.tr("Check"), self.tr("Result"), self.tr("What was found"),
                 self.tr("How to fix"))
        self.table = QTableWidget(0, len(heads))
        self.table.setAccessibleName(self.tr("Diagnostics"))
        self.table.setHorizontalHeaderLabels(list(heads))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        for col in (0, 1):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        column.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.summary = QLabel(self.tr("Not run yet."))
        row.addWidget(self.summary, 1)
        self.run_button = QPushButton(self.tr("&Run checks"))
        self.run_button.setToolTip(self.tr("Run every check now (takes a few seconds)"))
        self.run_button.clicked.connect(self.run_checks)
        row.addWidget(self.run_button)
        column.addLayout(row)
        # The table first; its one setting below.
        self.outer.insertWidget(2, box, 3)
        self.running = False
        self.result: dict[str, Any] | None = None

    def load(self) -> None:
        super().load()
        if self.result is None and not self.running:
            self.run_checks()

    def run_checks(self) -> None:
        if self.running:
            return
        self.running = True
        self.run_button.setEnabled(False)
        self.summary.setText(self.tr("Checking…"))

        def done(result: dict[str, Any]) -> None:
            self.running = False
            self.run_button.setEnabled(True)
            self.result = result
            self._render(result)

        def failed(exc: Any) -> None:
            self.running = False
            self.run_button.setEnabled(True)
            self.summary.setText("")
            self.show_error(exc)

        self.call("doctor.run", {}, done, failed)

    def _render(self, result: dict[str, Any]) -> None:
        findings = result["findings"]
        self.table.setRowCount(len(findings))
        for row, f in enumerate(findings):
            self.table.setItem(row, 0, QTableWidgetItem(_tr(CHECK_NAMES.get(f["check"],
                                                                            f["check"]))))
            status = QTableWidgetItem(_tr(STATUS_WORDS[f["status"]]))
            status.setForeground(QBrush(QColor(STATUS_COLOURS[f["status"]])))
            font = status.font()
            font.setBold(True)
            status.setFont(font)
            self.table.setItem(row, 1, status)
            found = QTableWidgetItem(f["summary"])
            found.setToolTip(f["summary"])
            self.table.setItem(row, 2, found)
            fix = QTableWidgetItem(f["fix"] if f["status"] != "ok" else "")
            fix.setToolTip(f["fix"])
            self.table.setItem(row, 3, fix)
        self.table.resizeRowsToContents()
        c = result["counts"]
        self.summary.setText(self.tr("%1 ok, %2 warnings, %3 failing, %4 not checked")
                             .replace("%1", str(c["ok"])).replace("%2", str(c["warn"]))
                             .replace("%3", str(c["fail"])).replace("%4", str(c["skip"])))
