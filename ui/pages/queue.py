"""Mail queue: search, sort, act on many messages at once, and read each one's log lines."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QWidget,
)

from ui.context import AppContext
from ui.i18n import count
from ui.models import QueueModel
from ui.pages.base import Page
from ui.widgets import monospace, row_table

__all__ = ["QueuePage", "QueueView", "matches"]

Index = QModelIndex | QPersistentModelIndex

# The source model's column titles, translated here (QueueModel keeps plain data).
HEADERS = (
    QT_TRANSLATE_NOOP("QueuePage", "Queue ID"), QT_TRANSLATE_NOOP("QueuePage", "Arrival"),
    QT_TRANSLATE_NOOP("QueuePage", "Sender"), QT_TRANSLATE_NOOP("QueuePage", "Recipients"),
    QT_TRANSLATE_NOOP("QueuePage", "Size"), QT_TRANSLATE_NOOP("QueuePage", "Attempts"),
    QT_TRANSLATE_NOOP("QueuePage", "Next try"), QT_TRANSLATE_NOOP("QueuePage", "Last error"),
)
ERROR_COLUMN = 7


def _tr(text: str) -> str:
    return QCoreApplication.translate("QueuePage", text)


def matches(row: dict[str, Any], needle: str) -> bool:
    """Whether a queue entry's ID, sender or a recipient contains ``needle`` (any case)."""
    if not needle:
        return True
    needle = needle.strip().lower()
    fields = [row.get("id", ""), row.get("sender") or "<>"]
    fields += [r.get("address", "") for r in row.get("recipients", [])]
    return any(needle in str(f).lower() for f in fields)


def sort_key(row: dict[str, Any], column: int) -> Any:
    """What a column sorts by: times, sizes and counts as numbers, the rest as text."""
    if column == 1:
        return row.get("arrival") or 0.0
    if column == 4:
        return row.get("size", 0)
    if column == 5:
        return row.get("attempts", 0)
    if column == 6:  # held messages last: they wait for the admin, not for a time
        return float("inf") if row.get("queue") == "hold" else (row.get("next_try") or 0.0)
    if column == 2:
        return (row.get("sender") or "").lower()
    if column == 3:
        return ", ".join(r["address"] for r in row.get("recipients", [])).lower()
    if column == 7:
        return next((r["reply"] for r in row.get("recipients", []) if r.get("reply")), "")
    return row.get("id", "")


def human_size(size: int) -> str:
    """Sizes under 1 KB in bytes, then KB, MB, GB."""
    if size < 1024:
        return QCoreApplication.translate("QueuePage", "{n} bytes").format(n=size)
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            return f"{value:.1f} {unit}"
    return str(size)


def _when(ts: float | None) -> str:
    if not ts:
        return QCoreApplication.translate("QueuePage", "now")
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


class QueueView(QAbstractTableModel):
    """The queue as shown: searched and sorted, in the admin's language.

    Its own model over the queue model's rows rather than a
    QSortFilterProxyModel: the proxy calls a Python lessThan n·log n times
    (2.5 s for 10,000 messages); here Python's sort does it at once.
    """

    def __init__(self, source: QueueModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.needle = ""
        self.sort_column = 1
        self.order = Qt.SortOrder.AscendingOrder
        self.shown: list[int] = []  # indexes into source.rows, in display order
        source.modelReset.connect(self.refresh)

    def _sorted(self, shown: list[int]) -> list[int]:
        rows, column = self.source.rows, self.sort_column
        return sorted(shown, key=lambda i: sort_key(rows[i], column),
                      reverse=self.order == Qt.SortOrder.DescendingOrder)

    def refresh(self) -> None:
        self.beginResetModel()
        self.shown = self._sorted([i for i, r in enumerate(self.source.rows)
                                   if matches(r, self.needle)])
        self.endResetModel()

    def set_search(self, text: str) -> None:
        self.needle = text.strip()
        self.refresh()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """A header click: the same rows in another order; the selection stays on them."""
        self.sort_column, self.order = column, order
        self.layoutAboutToBeChanged.emit()
        old = self.shown
        self.shown = self._sorted(old)
        where = {src: i for i, src in enumerate(self.shown)}
        before = self.persistentIndexList()
        after = [self.index(where[old[ix.row()]], ix.column()) for ix in before]
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.shown)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(HEADERS)):
            return _tr(HEADERS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.shown):
            return None
        row = self.row(index.row())
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                held = QCoreApplication.translate("QueuePage", "(held)")
                suffix = {"hold": " " + held, "active": " *"}.get(row.get("queue", ""), "")
                return row["id"] + suffix
            if column == 1:
                return _when(row.get("arrival"))
            if column == 6:
                if row.get("queue") == "hold":
                    return QCoreApplication.translate("QueuePage", "on hold")
                return _when(row.get("next_try"))
            if column == 4:
                return human_size(row.get("size", 0))
            return self.source.cell(row, column)
        if role == Qt.ItemDataRole.UserRole:
            return row
        return self.source.extra(row, column, role)

    def row(self, shown_row: int) -> dict[str, Any]:
        return self.source.rows[self.shown[shown_row]]


class QueuePage(Page):
    title = QT_TRANSLATE_NOOP("QueuePage", "Mail queue")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = QueueModel(self)
        self.view = QueueView(self.model, self)
        top = QHBoxLayout()
        search_label = QLabel(self.tr("&Search:"))
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("sender, recipient or queue ID"))
        self.search.setClearButtonEnabled(True)
        search_label.setBuddy(self.search)
        top.addWidget(search_label)
        top.addWidget(self.search, 1)
        self.summary = QLabel("")
        top.addWidget(self.summary)
        self.outer.addLayout(top)
        row = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, text, tip in (
            ("show", self.tr("S&how"), self.tr("Show the message (Enter)")),
            ("retry", self.tr("Retry &now"), self.tr("Try to deliver the selected messages now")),
            ("hold", self.tr("H&old"), self.tr("Keep the selected messages without trying")),
            ("release", self.tr("Rel&ease"), self.tr("Put held messages back in the queue")),
            ("bounce", self.tr("&Bounce…"), self.tr("Give up and tell each sender")),
            ("delete", self.tr("Dele&te…"), self.tr("Delete without telling anyone (Del)")),
            ("flush", self.tr("Retry &all"), self.tr("Retry every deferred message now")),
            ("refresh", self.tr("&Refresh"), self.tr("Read the queue again (F5)")),
        ):
            b = QPushButton(text)
            b.setToolTip(tip)
            row.addWidget(b)
            self.buttons[key] = b
        row.addStretch(1)
        self.outer.addLayout(row)
        split = QSplitter(Qt.Orientation.Vertical)
        self.table = row_table(self.view)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # Column widths from the first 200 rows, not 1,000: a full queue fills in half the time.
        self.table.horizontalHeader().setResizeContentsPrecision(200)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        self.table.horizontalHeader().setSectionResizeMode(
            ERROR_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName(self.tr("Queued messages"))
        self.table.doubleClicked.connect(lambda _: self.show_selected())
        self.table.activated.connect(lambda _: self.show_selected())
        split.addWidget(self.table)
        self.tabs = QTabWidget()
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        monospace(self.detail)
        self.detail.setPlaceholderText(self.tr("Select a message and press Show to see it here."))
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        monospace(self.log)
        self.log.setPlaceholderText(self.tr("The log lines about the selected message."))
        self.tabs.addTab(self.log, self.tr("Log lines"))
        self.tabs.addTab(self.detail, self.tr("Message"))
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.outer.addWidget(split, 1)
        self.buttons["show"].clicked.connect(self.show_selected)
        for action in ("retry", "hold", "release", "bounce", "delete"):
            self.buttons[action].clicked.connect(lambda _=False, a=action: self.act(a))
        self.buttons["flush"].clicked.connect(self.flush)
        self.buttons["refresh"].clicked.connect(self.load)
        self.buttons["delete"].setShortcut(QKeySequence.StandardKey.Delete)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.search.setFocus)
        self.search.textChanged.connect(self._search)
        selection = self.table.selectionModel()
        selection.selectionChanged.connect(self._selection_changed)
        self._log_for = ""
        self.timer = QTimer(self)
        self.timer.setInterval(5000)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(300)
        self._soon.timeout.connect(self.load)
        self._update_buttons()

    def _tick(self) -> None:
        if self.isVisible() and self.idle:
            self.load()

    def load(self) -> None:
        self.call("queue.list", {}, self._fill)

    def _fill(self, rows: list[dict[str, Any]]) -> None:
        keep = self.selected_ids()
        current = self.selected_id()
        self.model.set_rows(rows)
        self.loaded = True
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(
            ERROR_COLUMN, QHeaderView.ResizeMode.Stretch)
        if keep:
            self.select(*keep, current=current)
        self._summarise()
        self._update_buttons()

    def _summarise(self) -> None:
        rows = self.model.rows
        held = sum(1 for r in rows if r.get("queue") == "hold")
        size = sum(r.get("size", 0) for r in rows)
        size_text = human_size(size)
        text = count(len(rows), self.tr("{n} message, {held} held, {size}"),
                     self.tr("{n} messages, {held} held, {size}")).format(
            held=held, size=size_text)
        if self.view.needle:
            text = self.tr("{shown} shown of {text}").format(
                shown=self.view.rowCount(), text=text)
        self.summary.setText(text)

    def _search(self, text: str) -> None:
        self.view.set_search(text)
        self._summarise()
        self._update_buttons()

    # -- selection ------------------------------------------------------

    def selected_rows(self) -> list[dict[str, Any]]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.view.row(r) for r in rows if r < self.view.rowCount()]

    def selected_ids(self) -> list[str]:
        return [r["id"] for r in self.selected_rows()]

    def selected_row(self) -> dict[str, Any] | None:
        """The current message (the one Show and the log lines are about)."""
        index = self.table.selectionModel().currentIndex()
        if index.isValid() and index.row() < self.view.rowCount():
            row = self.view.row(index.row())
            if row["id"] in self.selected_ids():
                return row
        rows = self.selected_rows()
        return rows[0] if rows else None

    def selected_id(self) -> str | None:
        row = self.selected_row()
        return row["id"] if row else None

    def select(self, *qids: str, current: str | None = None) -> bool:
        """Select these messages (and no others); False when one of them is not shown."""
        wanted = set(qids)
        selection = QItemSelection()
        first: QModelIndex | None = None
        found = set()
        for i in range(self.view.rowCount()):
            qid = self.view.row(i)["id"]
            if qid in wanted:
                index = self.view.index(i, 0)
                selection.select(index, self.view.index(i, self.view.columnCount() - 1))
                found.add(qid)
                if first is None or qid == current:
                    first = index
        model = self.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag
        model.select(selection, flags.ClearAndSelect | flags.Rows)
        if first is not None:
            model.setCurrentIndex(first, flags.NoUpdate)
        self._update_buttons()
        return found == wanted

    def _selection_changed(self, *_: Any) -> None:
        self._update_buttons()
        qid = self.selected_id()
        if qid and qid != self._log_for:
            self.show_log(qid)
        elif not qid:
            self._log_for = ""
            self.log.clear()

    def _update_buttons(self) -> None:
        rows = self.selected_rows()
        held = [r for r in rows if r.get("queue") == "hold"]
        up = self.ctx.supervisor.state == "up"
        some = bool(rows)
        self.buttons["show"].setEnabled(some)
        self.buttons["delete"].setEnabled(some)
        self.buttons["hold"].setEnabled(some and len(held) < len(rows))
        self.buttons["release"].setEnabled(bool(held))
        self.buttons["retry"].setEnabled(some and len(held) < len(rows) and up)
        self.buttons["bounce"].setEnabled(some and up)
        self.buttons["flush"].setEnabled(up and bool(self.model.rows))

    # -- showing --------------------------------------------------------

    def show_selected(self) -> None:
        qid = self.selected_id()
        if not qid:
            return

        def shown(info: dict[str, Any]) -> None:
            head = [self.tr("Queue ID: {id} ({queue})").format(
                        id=info["id"], queue=info.get("queue", "")),
                    self.tr("Sender: <{sender}>").format(sender=info.get("sender", ""))]
            head += [self.tr("Recipient: <{address}> {state} {reply}").format(
                         address=r["address"], state=r["state"], reply=r["reply"]).rstrip()
                     for r in info.get("recipients", [])]
            self.detail.setPlainText("\n".join(head) + "\n\n" + info["message"])
            self.tabs.setCurrentWidget(self.detail)

        self.call("queue.show", {"id": qid}, shown)

    def show_log(self, qid: str) -> None:
        self._log_for = qid

        def shown(lines: list[str]) -> None:
            if self._log_for != qid:
                return  # another message was selected meanwhile
            self.log.setPlainText("\n".join(lines) if lines else
                                  self.tr("No log lines name {id}.").format(id=qid))

        self.call("logs.queue_id", {"id": qid}, shown,
                  lambda exc: self.log.setPlainText(exc.message))

    # -- acting ---------------------------------------------------------

    def act(self, action: str, qids: list[str] | None = None) -> None:
        """One action on every selected message (or on ``qids``)."""
        ids = list(qids) if qids else self.selected_ids()
        if action == "release":
            held = {r["id"] for r in self.model.rows if r.get("queue") == "hold"}
            ids = [q for q in ids if q in held]
        elif action in ("retry", "hold"):
            held = {r["id"] for r in self.model.rows if r.get("queue") == "hold"}
            ids = [q for q in ids if q not in held]
        if not ids:
            return
        if action in ("bounce", "delete"):
            names = ", ".join(ids[:5]) + (" …" if len(ids) > 5 else "")
            if action == "bounce":
                title = self.tr("Bounce messages")
                question = count(
                    len(ids), self.tr("Return {n} message to the sender as undeliverable: {ids}?"),
                    self.tr("Return {n} messages to their senders as undeliverable: {ids}?"),
                ).format(ids=names)
            else:
                title = self.tr("Delete messages")
                question = count(
                    len(ids), self.tr("Delete {n} message; nobody is told: {ids}?"),
                    self.tr("Delete {n} messages; nobody is told: {ids}?")).format(ids=names)
            if not self.ctx.confirm(self, title, question):
                return

        def run_all(client: Any) -> list[tuple[str, str]]:
            failed = []
            for qid in ids:
                try:
                    client.call(f"queue.{action}", id=qid)
                except Exception as exc:  # one gone message must not stop the rest
                    failed.append((qid, getattr(exc, "message", str(exc))))
            return failed

        def done(failed: list[tuple[str, str]]) -> None:
            ok = len(ids) - len(failed)
            words = {
                "retry": count(ok, self.tr("{n} message will be retried now."),
                               self.tr("{n} messages will be retried now.")),
                "hold": count(ok, self.tr("{n} message held."), self.tr("{n} messages held.")),
                "release": count(ok, self.tr("{n} message released."),
                                 self.tr("{n} messages released.")),
                "bounce": count(ok, self.tr("{n} message returned to the sender."),
                                self.tr("{n} messages returned to their senders.")),
                "delete": count(ok, self.tr("{n} message deleted."),
                                self.tr("{n} messages deleted.")),
            }[action]
            if failed:
                self.banner.show_message(
                    words + " " + self.tr("Not done: {list}").format(
                        list="; ".join(f"{q}: {m}" for q, m in failed)), "error")
            else:
                self.banner.show_message(words, "info")
            self.load()

        self.job(run_all, done)

    def flush(self) -> None:
        self.call("queue.flush", {}, lambda _: (
            self.banner.show_message(self.tr("Every deferred message will be retried now."),
                                     "info"),
            self.load()))

    def on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type", "")
        if (kind == "queue" or kind.startswith("message.")) and not self._soon.isActive():
            self._soon.start()

    def on_daemon(self, state: str) -> None:
        self._update_buttons()
