"""Mail queue: every waiting message, with show, retry, hold/release, bounce, delete, flush."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QWidget,
)

from ui.context import AppContext
from ui.models import QueueModel
from ui.pages.base import Page
from ui.widgets import monospace, row_table

__all__ = ["QueuePage"]


class QueuePage(Page):
    title = "Mail queue"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = QueueModel(self)
        row = QHBoxLayout()
        self.summary = QLabel("")
        row.addWidget(self.summary, 1)
        self.buttons: dict[str, QPushButton] = {}
        for key, text, tip in (
            ("show", "S&how", "Show the message (Enter)"),
            ("retry", "&Retry now", "Try to deliver it now"),
            ("hold", "H&old", "Keep it in the queue without trying"),
            ("release", "Re&lease", "Put a held message back in the queue"),
            ("bounce", "&Bounce…", "Give up and tell the sender"),
            ("delete", "&Delete…", "Delete it without telling anyone (Del)"),
            ("flush", "&Flush all", "Retry every deferred message now"),
            ("refresh", "Re&fresh", "Read the queue again (F5)"),
        ):
            b = QPushButton(text)
            b.setToolTip(tip)
            row.addWidget(b)
            self.buttons[key] = b
        self.outer.addLayout(row)
        split = QSplitter(Qt.Orientation.Vertical)
        self.table = row_table(self.model)
        self.table.horizontalHeader().setSectionResizeMode(7, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName("Queued messages")
        self.table.doubleClicked.connect(lambda _: self.show_selected())
        self.table.activated.connect(lambda _: self.show_selected())
        split.addWidget(self.table)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        monospace(self.detail)
        self.detail.setPlaceholderText("Select a message and press Show to see it here.")
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.outer.addWidget(split, 1)
        self.buttons["show"].clicked.connect(self.show_selected)
        for action in ("retry", "hold", "release", "bounce", "delete"):
            self.buttons[action].clicked.connect(lambda _=False, a=action: self.act(a))
        self.buttons["flush"].clicked.connect(self.flush)
        self.buttons["refresh"].clicked.connect(self.load)
        self.buttons["delete"].setShortcut(QKeySequence.StandardKey.Delete)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
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
        keep = self.selected_id()
        self.model.set_rows(rows)
        self.loaded = True
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(7, QHeaderView.ResizeMode.Stretch)
        if keep:
            self.select(keep)
        held = sum(1 for r in rows if r.get("queue") == "hold")
        size = sum(r.get("size", 0) for r in rows)
        self.summary.setText(f"{len(rows)} message{'s' if len(rows) != 1 else ''} "
                             f"({held} held), {(size + 1023) // 1024} KB")
        self._update_buttons()

    def selected_row(self) -> dict[str, Any] | None:
        index = self.table.selectionModel().currentIndex()
        if not index.isValid() or index.row() >= len(self.model.rows):
            return None
        return self.model.row(index.row())

    def selected_id(self) -> str | None:
        row = self.selected_row()
        return row["id"] if row else None

    def select(self, qid: str) -> bool:
        for i, r in enumerate(self.model.rows):
            if r["id"] == qid:
                self.table.selectionModel().setCurrentIndex(
                    self.model.index(i, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows)
                self._update_buttons()
                return True
        return False

    def _update_buttons(self) -> None:
        row = self.selected_row()
        held = bool(row and row.get("queue") == "hold")
        up = self.ctx.supervisor.state == "up"
        self.buttons["show"].setEnabled(row is not None)
        self.buttons["delete"].setEnabled(row is not None)
        self.buttons["hold"].setEnabled(row is not None and not held)
        self.buttons["release"].setEnabled(held)
        self.buttons["retry"].setEnabled(row is not None and not held and up)
        self.buttons["bounce"].setEnabled(row is not None and up)
        self.buttons["flush"].setEnabled(up and bool(self.model.rows))

    def show_selected(self) -> None:
        qid = self.selected_id()
        if not qid:
            return

        def shown(info: dict[str, Any]) -> None:
            head = [f"Queue ID: {info['id']} ({info.get('queue', '')})",
                    f"Sender: <{info.get('sender', '')}>"]
            head += [f"Recipient: <{r['address']}> {r['state']} {r['reply']}".rstrip()
                     for r in info.get("recipients", [])]
            self.detail.setPlainText("\n".join(head) + "\n\n" + info["message"])

        self.call("queue.show", {"id": qid}, shown)

    def act(self, action: str, qid: str | None = None) -> None:
        qid = qid or self.selected_id()
        if not qid:
            return
        if action in ("bounce", "delete"):
            what = ("Return it to the sender as undeliverable" if action == "bounce"
                    else "Delete it; nobody is told")
            if not self.ctx.confirm(self, f"{action.title()} message", f"{what}: {qid}?"):
                return

        def done(_: Any) -> None:
            self.banner.show_message(f"{qid}: {action} done.", "info")
            self.load()

        self.call(f"queue.{action}", {"id": qid}, done)

    def flush(self) -> None:
        self.call("queue.flush", {}, lambda _: (
            self.banner.show_message("Every deferred message will be retried now.", "info"),
            self.load()))

    def on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type", "")
        if (kind == "queue" or kind.startswith("message.")) and not self._soon.isActive():
            self._soon.start()

    def on_daemon(self, state: str) -> None:
        self._update_buttons()
