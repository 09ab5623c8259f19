"""Logs: the daemon's live log, coloured by severity, admin actions in words, saved to a file.

Filter by text, service and queue ID; pause; a detail pane shows the
selected lines whole (long lines wrap there, the list stays one line per
entry so 100,000 of them scroll at once).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QIdentityProxyModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QWidget,
)

from ui.context import AppContext
from ui.i18n import count
from ui.pages.base import Page
from ui.widgets import monospace

__all__ = ["LogsPage", "severity", "admin_sentence", "readable"]

Index = QModelIndex | QPersistentModelIndex

# Postfix-style severities first, then delivery outcomes that read as trouble.
_ERROR = re.compile(r"\]: (?:[0-9A-Z]{10,16}: )?(?:fatal|panic|error|critical):|"
                    r"status=bounced|\bkilled by signal\b")
_WARNING = re.compile(r"\]: (?:[0-9A-Z]{10,16}: )?warning:|status=deferred|\breject:|"
                      r"\bNOQUEUE: reject\b|\bbanned\b")
_ADMIN = re.compile(r"^(?P<head>.*?\]: )admin: (?P<op>[\w.]+) (?P<args>\{.*\})\s*$")

COLOURS = {"error": "#b00020", "warning": "#8a5a00", "admin": "#1f4e79"}


def severity(line: str) -> str:
    """"error", "warning", "admin" or "info", from a mail-log line."""
    if _ERROR.search(line):
        return "error"
    if _WARNING.search(line):
        return "warning"
    if "]: admin: " in line:
        return "admin"
    return "info"


def _tr(text: str) -> str:
    return QCoreApplication.translate("LogsPage", text)


# op -> sentence; {x} is the op's argument x. Unknown ops fall back to "op: values".
SENTENCES: dict[str, str] = {
    "account.add": QT_TRANSLATE_NOOP("LogsPage", "account added: {address}"),
    "account.del": QT_TRANSLATE_NOOP("LogsPage", "account deleted: {address}"),
    "account.disable": QT_TRANSLATE_NOOP("LogsPage", "account disabled: {address}"),
    "account.enable": QT_TRANSLATE_NOOP("LogsPage", "account enabled: {address}"),
    "account.passwd": QT_TRANSLATE_NOOP("LogsPage", "password changed: {address}"),
    "account.quota": QT_TRANSLATE_NOOP("LogsPage", "quota changed: {address}"),
    "alias.add": QT_TRANSLATE_NOOP("LogsPage", "alias set: {address}"),
    "alias.del": QT_TRANSLATE_NOOP("LogsPage", "alias deleted: {address}"),
    "aliases.import": QT_TRANSLATE_NOOP("LogsPage", "aliases imported"),
    "domain.add": QT_TRANSLATE_NOOP("LogsPage", "domain added: {name}"),
    "domain.del": QT_TRANSLATE_NOOP("LogsPage", "domain deleted: {name}"),
    "domain.set": QT_TRANSLATE_NOOP("LogsPage", "domain changed: {name}"),
    "forward.set": QT_TRANSLATE_NOOP("LogsPage", "forwarding set: {address}"),
    "forward.clear": QT_TRANSLATE_NOOP("LogsPage", "forwarding removed: {address}"),
    "relay.add": QT_TRANSLATE_NOOP("LogsPage", "relay network added: {network}"),
    "relay.del": QT_TRANSLATE_NOOP("LogsPage", "relay network removed: {network}"),
    "relay.set": QT_TRANSLATE_NOOP("LogsPage", "relay networks set: {networks}"),
    "settings.set": QT_TRANSLATE_NOOP("LogsPage", "settings changed: {key}"),
    "settings.set_many": QT_TRANSLATE_NOOP("LogsPage", "settings changed: {values}"),
    "queue.delete": QT_TRANSLATE_NOOP("LogsPage", "queued message deleted: {id}"),
    "queue.hold": QT_TRANSLATE_NOOP("LogsPage", "queued message held: {id}"),
    "queue.release": QT_TRANSLATE_NOOP("LogsPage", "queued message released: {id}"),
    "queue.retry": QT_TRANSLATE_NOOP("LogsPage", "queued message retried: {id}"),
    "queue.bounce": QT_TRANSLATE_NOOP("LogsPage", "queued message bounced: {id}"),
    "queue.flush": QT_TRANSLATE_NOOP("LogsPage", "whole queue retried"),
    "ban.add": QT_TRANSLATE_NOOP("LogsPage", "address banned: {address}"),
    "ban.del": QT_TRANSLATE_NOOP("LogsPage", "ban lifted: {address}"),
    "dkim.rotate": QT_TRANSLATE_NOOP("LogsPage", "DKIM keys rotated: {domain}"),
    "message.submit": QT_TRANSLATE_NOOP("LogsPage", "message submitted by {sender}"),
    "reload": QT_TRANSLATE_NOOP("LogsPage", "settings applied (reload)"),
    "service.pause": QT_TRANSLATE_NOOP("LogsPage", "incoming mail paused: {paused}"),
    "tls.import": QT_TRANSLATE_NOOP("LogsPage", "certificate imported"),
    "setup.init": QT_TRANSLATE_NOOP("LogsPage", "data directory set up: {domain}"),
    "smarthost.test": QT_TRANSLATE_NOOP("LogsPage", "ISP relay tested: {recipient}"),
}


def _words(value: Any) -> str:
    """A value as plain words: lists joined, dicts by their keys, never JSON."""
    if isinstance(value, dict):
        return ", ".join(str(k) for k in value)
    if isinstance(value, list | tuple):
        return ", ".join(_words(v) for v in value) or "—"
    if isinstance(value, bool):
        if value:
            return QCoreApplication.translate("LogsPage", "yes")
        return QCoreApplication.translate("LogsPage", "no")
    return str(value)


def admin_sentence(op: str, args: dict[str, Any]) -> str:
    """An admin action as a sentence: ``settings changed: smarthost.host``."""
    template = SENTENCES.get(op)
    values = {k: _words(v) for k, v in args.items()}
    if template is not None:
        try:
            return _tr(template).format(**values)
        except (KeyError, IndexError, ValueError):
            pass  # an argument the sentence expects is missing: say it plainly below
    shown = "; ".join(f"{k} {v}" for k, v in values.items() if v)
    return f"{op}: {shown}" if shown else op


def readable(line: str) -> str:
    """The log line as shown: an admin action's JSON arguments become a sentence."""
    m = _ADMIN.match(line)
    if m is None:
        return line
    try:
        args = json.loads(m.group("args"))
    except ValueError:
        return line
    if not isinstance(args, dict):
        return line
    admin = QCoreApplication.translate("LogsPage", "admin: ")
    return m.group("head") + admin + admin_sentence(m.group("op"), args)


class LogView(QIdentityProxyModel):
    """The log as shown: coloured by severity, admin actions as sentences.

    A proxy model rather than a delegate: PySide6's initStyleOption leaks a
    reference to None on every call, which crashes a long-lived view.
    """

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return readable(str(super().data(index, role) or ""))
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = COLOURS.get(severity(str(super().data(index) or "")))
            return QBrush(QColor(colour)) if colour else None
        return super().data(index, role)


class LogsPage(Page):
    title = QT_TRANSLATE_NOOP("LogsPage", "Logs")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = ctx.logs
        row = QHBoxLayout()
        self.text = QLineEdit()
        self.text.setPlaceholderText(self.tr("text"))
        self.text.setClearButtonEnabled(True)
        self.service = QComboBox()
        self.service.addItem(self.tr("all services"), "")
        self.qid = QLineEdit()
        self.qid.setPlaceholderText(self.tr("queue ID"))
        self.qid.setMaximumWidth(160)
        for text, widget in ((self.tr("Fil&ter:"), self.text), (self.tr("S&ervice:"), self.service),
                             (self.tr("&Queue ID:"), self.qid)):
            label = QLabel(text)
            label.setBuddy(widget)
            row.addWidget(label)
            row.addWidget(widget, 2 if widget is self.text else 0)
        self.pause = QCheckBox(self.tr("&Pause"))
        self.follow = QCheckBox(self.tr("F&ollow"))
        self.follow.setChecked(True)
        self.copy_button = QPushButton(self.tr("&Copy shown"))
        self.copy_button.setToolTip(self.tr("Copy the selected lines, or the last 5,000 shown"))
        self.save_file_button = QPushButton(self.tr("Sa&ve to file…"))
        self.save_file_button.setToolTip(self.tr("Save the lines shown now to a text file"))
        row.addWidget(self.pause)
        row.addWidget(self.follow)
        row.addWidget(self.copy_button)
        row.addWidget(self.save_file_button)
        self.outer.addLayout(row)
        split = QSplitter(Qt.Orientation.Vertical)
        self.view = QListView()
        self.shown = LogView(self)
        self.shown.setSourceModel(self.model)
        self.view.setModel(self.shown)
        self.view.setUniformItemSizes(True)  # constant-time layout for 100,000 rows
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setAccessibleName(self.tr("Log lines"))
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        split.addWidget(self.view)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        monospace(self.detail)
        self.detail.setPlaceholderText(self.tr("Select a line to read it whole here."))
        self.detail.setAccessibleName(self.tr("Selected lines"))
        split.addWidget(self.detail)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        self.outer.addWidget(split, 1)
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
        self.save_file_button.clicked.connect(self.save_to_file)
        self.model.servicesChanged.connect(self._services)
        self.model.countsChanged.connect(self._counts)
        self.model.rowsInserted.connect(self._scroll)
        self.model.modelReset.connect(self._show_detail)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._show_detail())
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
        self.service.addItem(self.tr("all services"), "")
        for n in names:
            self.service.addItem(n, n)
        index = self.service.findData(current)
        self.service.setCurrentIndex(max(0, index))
        self.service.blockSignals(False)

    def _counts(self, shown: int, total: int) -> None:
        text = self.tr("{shown} of {total} lines shown").format(
            shown=f"{shown:,}", total=f"{total:,}")
        if self.model.paused:
            text += " " + self.tr("(paused: new lines wait)")
        self.counts.setText(text)

    def _scroll(self, *_: Any) -> None:
        if self.follow.isChecked() and not self.model.paused:
            self.view.scrollToBottom()

    def selected_lines(self) -> list[str]:
        rows = sorted(i.row() for i in self.view.selectionModel().selectedRows())
        lines = self.model.lines()
        return [lines[r] for r in rows if r < len(lines)]

    def _show_detail(self) -> None:
        chosen = self.selected_lines()[:200]
        text = "\n\n".join(
            (readable(line) + ("\n" + line if readable(line) != line else "")) for line in chosen)
        self.detail.setPlainText(text)

    def copy_shown(self) -> None:
        lines = self.selected_lines() or self.model.lines()[-5000:]
        QGuiApplication.clipboard().setText("\n".join(lines))

    def save_to_file(self, path: str | None = None) -> Path | None:
        """Write the lines shown now (the filter applies) to a text file the admin picks."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, self.tr("Save log lines"), str(Path.home() / "mailroom-log.txt"),
                self.tr("Text files (*.txt *.log);;All files (*)"))
            if not path:
                return None
        target = Path(path)
        try:
            with open(target, "w", encoding="utf-8") as fh:
                for line in self.model.lines():
                    fh.write(line + "\n")
        except OSError as exc:
            self.banner.show_message(self.tr("Not saved: {reason}").format(
                reason=exc.strerror or str(exc)), "error")
            return None
        n = len(self.model.lines())
        self.banner.show_message(count(n, self.tr("{n} line saved to {path}."),
                                       self.tr("{n} lines saved to {path}.")).format(
            path=target), "info")
        return target
