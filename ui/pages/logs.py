"""Logs: follows the daemon's live log; filter by text, service and queue ID; pause."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QWidget,
)

from ui.context import AppContext
from ui.pages.base import Page

__all__ = ["LogsPage"]


class LogsPage(Page):
    title = "Logs"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = ctx.logs
        row = QHBoxLayout()
        self.text = QLineEdit()
        self.text.setPlaceholderText("text")
        self.text.setClearButtonEnabled(True)
        self.service = QComboBox()
        self.service.addItem("all services", "")
        self.qid = QLineEdit()
        self.qid.setPlaceholderText("queue ID")
        self.qid.setMaximumWidth(160)
        for text, widget in (("&Filter:", self.text), ("S&ervice:", self.service),
                             ("&Queue ID:", self.qid)):
            label = QLabel(text)
            label.setBuddy(widget)
            row.addWidget(label)
            row.addWidget(widget, 2 if widget is self.text else 0)
        self.pause = QCheckBox("&Pause")
        self.follow = QCheckBox("F&ollow")
        self.follow.setChecked(True)
        self.copy_button = QPushButton("&Copy shown")
        row.addWidget(self.pause)
        row.addWidget(self.follow)
        row.addWidget(self.copy_button)
        self.outer.addLayout(row)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setUniformItemSizes(True)  # constant-time layout for 100,000 rows
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setAccessibleName("Log lines")
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.outer.addWidget(self.view, 1)
        self.counts = QLabel()
        self.outer.addWidget(self.counts)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self._debounce.timeout.connect(self.apply_filter)
        self.text.textChanged.connect(lambda _: self._debounce.start())
        self.qid.textChanged.connect(lambda _: self._debounce.start())
        self.service.currentIndexChanged.connect(lambda _: self.apply_filter())
        self.pause.toggled.connect(self.model.set_paused)
        self.copy_button.clicked.connect(self.copy_shown)
        self.model.servicesChanged.connect(self._services)
        self.model.countsChanged.connect(self._counts)
        self.model.rowsInserted.connect(self._scroll)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.text.setFocus)
        self._services(sorted(s for s in self.model.services if s))

    def load(self) -> None:
        self.loaded = True
        self._counts(len(self.model.lines()), self.model.total)

    def apply_filter(self) -> None:
        self.model.set_filter(self.text.text(), self.service.currentData() or "",
                              self.qid.text())
        self._scroll()

    def filter_queue_id(self, qid: str) -> None:
        self.qid.setText(qid)
        self.apply_filter()

    def _services(self, names: list[str]) -> None:
        current = self.service.currentData()
        self.service.blockSignals(True)
        self.service.clear()
        self.service.addItem("all services", "")
        for n in names:
            self.service.addItem(n, n)
        index = self.service.findData(current)
        self.service.setCurrentIndex(max(0, index))
        self.service.blockSignals(False)

    def _counts(self, shown: int, total: int) -> None:
        paused = "  (paused: new lines wait)" if self.model.paused else ""
        self.counts.setText(f"{shown:,} of {total:,} lines shown{paused}")

    def _scroll(self, *_: Any) -> None:
        if self.follow.isChecked() and not self.model.paused:
            self.view.scrollToBottom()

    def copy_shown(self) -> None:
        rows = sorted(i.row() for i in self.view.selectionModel().selectedRows())
        lines = self.model.lines()
        text = "\n".join(lines[r] for r in rows) if rows else "\n".join(lines[-5000:])
        QGuiApplication.clipboard().setText(text)
