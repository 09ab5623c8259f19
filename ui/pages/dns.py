"""DNS: every record to publish with its state in colour, Copy per record and for all, Check now."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtGui import QBrush, QColor, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from appliance.control.client import ControlClient
from ui.context import AppContext
from ui.pages.base import Page

__all__ = ["DnsPage", "STATE_COLOURS"]

STATE_COLOURS = {
    "ok": "#2e9d4f", "missing": "#d0312d", "different": "#e07000", "error": "#a0522d",
    "optional": "#8a8a8a", "not checked": "#8a8a8a",
}
STATE_WORDS = {"ok": "✓ ok", "missing": "✗ missing", "different": "≠ different",
               "error": "? no answer", "optional": "optional", "not checked": "not checked"}
COLUMNS = (QT_TRANSLATE_NOOP("DnsPage", "State"), QT_TRANSLATE_NOOP("DnsPage", "Name"),
           QT_TRANSLATE_NOOP("DnsPage", "Type"), QT_TRANSLATE_NOOP("DnsPage", "Value"),
           QT_TRANSLATE_NOOP("DnsPage", "What to do"), "")


def _key(record: dict[str, Any]) -> tuple[str, str, str]:
    return (record["name"], record["type"], record["kind"])


class DnsPage(Page):
    title = QT_TRANSLATE_NOOP("DnsPage", "DNS records")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        intro = QLabel(self.tr("Publish these records at your DNS provider so that other mail "
                       "servers find this one and trust its mail (SPF, DKIM, DMARC). "
                       "“Check now” looks each one up."))
        intro.setWordWrap(True)
        self.outer.addWidget(intro)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName(self.tr("DNS records"))
        self.table.setHorizontalHeaderLabels([self.tr(c) if c else "" for c in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for col in (0, 1, 2, 5):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(4, 260)
        self.outer.addWidget(self.table, 1)
        self.hints = QLabel()
        self.hints.setWordWrap(True)
        self.outer.addWidget(self.hints)
        row = QHBoxLayout()
        self.summary = QLabel()
        row.addWidget(self.summary, 1)
        self.copy_all = QPushButton(self.tr("Copy &all"))
        self.copy_all.setToolTip(self.tr("Copy every record, in zone-file form"))
        self.copy_all.clicked.connect(self._copy_all)
        self.check_button = QPushButton(self.tr("&Check now"))
        self.check_button.setToolTip(self.tr("Look every record up in DNS (takes a few seconds)"))
        self.check_button.clicked.connect(self.check_now)
        row.addWidget(self.copy_all)
        row.addWidget(self.check_button)
        self.outer.addLayout(row)
        self.records: list[dict[str, Any]] = []
        self.text = ""
        self.states: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.checking = False

    # -- loading ----------------------------------------------------------

    def load(self) -> None:
        def fetch(c: ControlClient) -> dict[str, Any]:
            records = c.call("dns.records")
            try:
                last = c.call("dns.status")
            except Exception:  # no daemon: nothing checked yet
                last = None
            return {"records": records, "last": last}

        self.job(fetch, self._fill)

    def _fill(self, data: dict[str, Any]) -> None:
        info = data["records"]
        self.records = info["records"]
        self.text = info["text"]
        self.hints.setText("\n".join(f"ⓘ {h}" for h in info.get("hints", [])))
        if data.get("last"):
            self._learn(data["last"])
        self._render()
        self.loaded = True

    def _learn(self, summary: dict[str, Any]) -> None:
        self.states = {_key(r["record"]): r for r in summary["results"]}
        bad = summary.get("failing", 0)
        self.summary.setText(self.tr("Every record is published as it should be.") if not bad
                             else self.tr("Records to fix: {0}").format(bad))

    def _render(self) -> None:
        self.table.setRowCount(len(self.records))
        for row, record in enumerate(self.records):
            result = self.states.get(_key(record))
            state = result["state"] if result else ("optional" if record["optional"]
                                                    else "not checked")
            item = QTableWidgetItem(STATE_WORDS[state])
            item.setForeground(QBrush(QColor(STATE_COLOURS[state])))
            font = item.font()
            font.setBold(True)
            item.setFont(font)
            self.table.setItem(row, 0, item)
            self.table.setItem(row, 1, QTableWidgetItem(record["name"]))
            self.table.setItem(row, 2, QTableWidgetItem(record["type"]))
            value = QTableWidgetItem(record["value"])
            value.setToolTip(record["value"])
            self.table.setItem(row, 3, value)
            fix = (result or {}).get("fix") or record["note"]
            what = QTableWidgetItem(fix)
            what.setToolTip(fix)
            self.table.setItem(row, 4, what)
            copy = QPushButton(self.tr("Copy"))
            copy.setToolTip(self.tr("Copy the {0} record").format(record["kind"].upper()))
            copy.clicked.connect(lambda _=False, r=record: self._copy(r))
            self.table.setCellWidget(row, 5, copy)

    # -- actions ----------------------------------------------------------

    def _line(self, record: dict[str, Any]) -> str:
        return f"{record['name']}  IN  {record['type']}  {record['value']}"

    def _copy(self, record: dict[str, Any]) -> None:
        QGuiApplication.clipboard().setText(self._line(record))
        self.banner.show_message(self.tr("Copied the {0} record of {1}.").format(
            record["kind"].upper(), record["name"]), "info")

    def _copy_all(self) -> None:
        QGuiApplication.clipboard().setText(self.text)
        self.banner.show_message(self.tr("Copied every record."), "info")

    def check_now(self) -> None:
        """Run ``dns.check`` off the GUI thread; the table colours in when it answers."""
        if self.checking:
            return
        self.checking = True
        self.check_button.setEnabled(False)
        self.summary.setText(self.tr("Checking…"))

        def done(summary: dict[str, Any]) -> None:
            self.checking = False
            self.check_button.setEnabled(True)
            self._learn(summary)
            self._render()

        def failed(exc: Any) -> None:
            self.checking = False
            self.check_button.setEnabled(True)
            self.summary.setText("")
            self.show_error(exc)

        self.call("dns.check", {}, done, failed)
