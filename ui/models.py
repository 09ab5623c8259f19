"""Qt item models, kept apart from the widgets that show them.

``LogModel`` holds up to 100,000 log lines in a ring buffer, takes new lines
in batches (one ``beginInsertRows`` per flush, driven by a timer) and keeps
a filtered view (text, service, queue ID) without copying lines.
"""

from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractListModel,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont

from ui import service_words as words

__all__ = ["LogModel", "LogLine", "QueueModel", "AccountModel", "AliasModel", "human_size",
           "service_label", "tls_words"]

Index = QModelIndex | QPersistentModelIndex
DISPLAY = Qt.ItemDataRole.DisplayRole

_SERVICE = re.compile(r" mailroom/([\w.-]+)\[")
_QID = re.compile(r"\]: ([0-9B-DF-HJ-NP-TV-Z]{10,16}):")


def service_label(name: str, port: int | None = None) -> str:
    """ "SMTP (port 25)", "IMAP over TLS (port 993)", in the admin's language."""
    return words.service_label(name, port, QCoreApplication.translate)


def tls_words(tls: str) -> str:
    return words.tls_words(tls, QCoreApplication.translate)


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} bytes" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


@dataclass(frozen=True, slots=True)
class LogLine:
    seq: int
    text: str
    service: str
    qid: str

    @classmethod
    def parse(cls, seq: int, text: str) -> LogLine:
        svc = _SERVICE.search(text)
        qid = _QID.search(text)
        return cls(seq, text, svc.group(1) if svc else "", qid.group(1) if qid else "")


class LogModel(QAbstractListModel):
    """A ring buffer of log lines with a live filter; appends are batched."""

    servicesChanged = Signal(list)
    countsChanged = Signal(int, int)  # shown, total

    def __init__(self, capacity: int = 100_000, flush_ms: int = 100,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.capacity = capacity
        self._lines: deque[LogLine] = deque()
        self._visible: list[LogLine] = []
        self._pending: deque[str] = deque(maxlen=capacity)
        self._seq = 0
        self._text = ""
        self._service = ""
        self._qid = ""
        self.services: set[str] = set()
        self.paused = False
        self.timer = QTimer(self)
        self.timer.setInterval(flush_ms)
        self.timer.timeout.connect(self.flush)
        self.timer.start()

    # -- model ------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._visible)

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or index.row() >= len(self._visible):
            return None
        line = self._visible[index.row()]
        if role == DISPLAY:
            return line.text
        if role == Qt.ItemDataRole.ForegroundRole:
            if "fatal:" in line.text or "error" in line.text:
                return QBrush(QColor("#b00020"))
            if "warning:" in line.text or "status=deferred" in line.text:
                return QBrush(QColor("#8a5a00"))
            if "status=bounced" in line.text:
                return QBrush(QColor("#b00020"))
        if role == Qt.ItemDataRole.FontRole:
            font = QFont("monospace")
            font.setStyleHint(QFont.StyleHint.Monospace)
            return font
        return None

    # -- feeding ----------------------------------------------------------

    def append(self, line: str) -> None:
        """Queue one line; it shows on the next flush (cheap, any rate)."""
        self._pending.append(line)

    def extend(self, lines: list[str]) -> None:
        self._pending.extend(lines)

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if not paused:
            self.flush()

    def load_history(self, lines: list[str]) -> None:
        """Put older lines before what is already there, skipping the overlap."""
        self.flush()
        head = [line.text for line in list(self._lines)[: len(lines)]]
        overlap = 0
        for k in range(min(len(lines), len(head)), 0, -1):
            if lines[-k:] == head[:k]:
                overlap = k
                break
        older = lines[: len(lines) - overlap]
        if not older:
            return
        room = self.capacity - len(self._lines)
        older = older[-room:] if room > 0 else []
        if not older:
            return
        self.beginResetModel()
        first = self._lines[0].seq if self._lines else self._seq
        parsed = [LogLine.parse(first - len(older) + i, t) for i, t in enumerate(older)]
        self._lines.extendleft(reversed(parsed))
        for line in parsed:
            self.services.add(line.service)
        self._visible = [line for line in self._lines if self._matches(line)]
        self.endResetModel()
        self.servicesChanged.emit(sorted(s for s in self.services if s))
        self.countsChanged.emit(len(self._visible), len(self._lines))

    def flush(self) -> None:
        if self.paused or not self._pending:
            return
        batch = list(self._pending)
        self._pending.clear()
        if len(batch) > self.capacity:
            batch = batch[-self.capacity:]
        new: list[LogLine] = []
        known = len(self.services)
        for text in batch:
            self._seq += 1
            line = LogLine.parse(self._seq, text)
            self.services.add(line.service)
            new.append(line)
        # Drop the oldest lines first, so the buffer never exceeds its capacity
        # (len(new) <= capacity, so only old lines are ever dropped).
        overflow = len(self._lines) + len(new) - self.capacity
        if overflow > 0:
            dropped_until = self._lines[overflow - 1].seq
            for _ in range(overflow):
                self._lines.popleft()
            gone = 0
            while gone < len(self._visible) and self._visible[gone].seq <= dropped_until:
                gone += 1
            if gone:
                self.beginRemoveRows(QModelIndex(), 0, gone - 1)
                del self._visible[:gone]
                self.endRemoveRows()
        self._lines.extend(new)
        shown = [line for line in new if self._matches(line)]
        if shown:
            start = len(self._visible)
            self.beginInsertRows(QModelIndex(), start, start + len(shown) - 1)
            self._visible.extend(shown)
            self.endInsertRows()
        if len(self.services) != known:
            self.servicesChanged.emit(sorted(s for s in self.services if s))
        self.countsChanged.emit(len(self._visible), len(self._lines))

    # -- filtering --------------------------------------------------------

    def set_filter(self, text: str = "", service: str = "", qid: str = "") -> None:
        self._text, self._service, self._qid = text.lower(), service, qid.strip().upper()
        started = time.perf_counter()
        self.beginResetModel()
        self._visible = [line for line in self._lines if self._matches(line)]
        self.endResetModel()
        self.filter_seconds = time.perf_counter() - started
        self.countsChanged.emit(len(self._visible), len(self._lines))

    def _matches(self, line: LogLine) -> bool:
        if self._service and line.service != self._service:
            return False
        if self._qid and self._qid not in line.text:
            return False
        return not self._text or self._text in line.text.lower()

    @property
    def total(self) -> int:
        return len(self._lines)

    def lines(self) -> list[str]:
        """The lines shown now (for tests and copying)."""
        return [line.text for line in self._visible]

    def clear(self) -> None:
        self.beginResetModel()
        self._lines.clear()
        self._visible.clear()
        self._pending.clear()
        self.endResetModel()
        self.countsChanged.emit(0, 0)


class _TableModel(QAbstractTableModel):
    headers: tuple[str, ...] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY:
            # The class name is the translation context (QT_TRANSLATE_NOOP below).
            return QCoreApplication.translate(type(self).__name__, self.headers[section])
        return None

    def row(self, index: int) -> dict[str, Any]:
        return self.rows[index]

    def cell(self, row: dict[str, Any], column: int) -> Any:
        raise NotImplementedError

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == DISPLAY:
            return self.cell(row, index.column())
        if role == Qt.ItemDataRole.UserRole:
            return row
        return self.extra(row, index.column(), role)

    def extra(self, row: dict[str, Any], column: int, role: int) -> Any:
        return None


def _when(ts: float | None) -> str:
    if not ts:
        return "now"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


class QueueModel(_TableModel):
    headers = (QT_TRANSLATE_NOOP("QueueModel", "Queue ID"),
               QT_TRANSLATE_NOOP("QueueModel", "Arrival"),
               QT_TRANSLATE_NOOP("QueueModel", "Sender"),
               QT_TRANSLATE_NOOP("QueueModel", "Recipients"),
               QT_TRANSLATE_NOOP("QueueModel", "Size"),
               QT_TRANSLATE_NOOP("QueueModel", "Attempts"),
               QT_TRANSLATE_NOOP("QueueModel", "Next try"),
               QT_TRANSLATE_NOOP("QueueModel", "Last error"))

    def cell(self, row: dict[str, Any], column: int) -> Any:
        rcpts = row.get("recipients", [])
        if column == 0:
            return row["id"] + {"hold": " (held)", "active": " *"}.get(row.get("queue", ""), "")
        if column == 1:
            return _when(row.get("arrival"))
        if column == 2:
            return row.get("sender") or "<>"
        if column == 3:
            return ", ".join(r["address"] for r in rcpts)
        if column == 4:
            return human_size(row.get("size", 0))
        if column == 5:
            return str(row.get("attempts", 0))
        if column == 6:
            return "on hold" if row.get("queue") == "hold" else _when(row.get("next_try"))
        if column == 7:
            return next((r["reply"] for r in rcpts if r.get("reply")), "")
        return None

    def extra(self, row: dict[str, Any], column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and row.get("queue") == "hold":
            return QBrush(QColor("#777777"))
        if role == Qt.ItemDataRole.ToolTipRole and column == 7:
            return self.cell(row, 7)
        return None

    def ids(self) -> list[str]:
        return [r["id"] for r in self.rows]


class AccountModel(_TableModel):
    headers = (QT_TRANSLATE_NOOP("AccountModel", "Address"),
               QT_TRANSLATE_NOOP("AccountModel", "State"),
               QT_TRANSLATE_NOOP("AccountModel", "Usage"),
               QT_TRANSLATE_NOOP("AccountModel", "Quota"),
               QT_TRANSLATE_NOOP("AccountModel", "Messages"),
               QT_TRANSLATE_NOOP("AccountModel", "Forwarding"))
    USAGE_COLUMN = 2

    def cell(self, row: dict[str, Any], column: int) -> Any:
        if column == 0:
            return row["address"]
        if column == 1:
            return (QCoreApplication.translate("AccountModel", "enabled")
                    if row.get("enabled", True)
                    else QCoreApplication.translate("AccountModel", "disabled"))
        if column == 2:
            return human_size(row.get("used_bytes", 0))
        if column == 3:
            return (human_size(row["quota_bytes"]) if row.get("quota_bytes")
                    else QCoreApplication.translate("AccountModel", "unlimited"))
        if column == 4:
            return str(row.get("messages", 0))
        if column == 5:
            fwd = ", ".join(row.get("forward", []))
            return f"{fwd} (+copy)" if fwd and row.get("keep_copy") else fwd
        return None

    def extra(self, row: dict[str, Any], column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and not row.get("enabled", True):
            return QBrush(QColor("#888888"))
        if role == Qt.ItemDataRole.ToolTipRole and column == 5 and row.get("forward"):
            # The whole list, however narrow the column.
            return "\n".join(row["forward"]) + ("\n(+ a copy kept)" if row.get("keep_copy")
                                                else "")
        return None

    @staticmethod
    def usage_fraction(row: dict[str, Any]) -> float | None:
        quota = row.get("quota_bytes") or 0
        return min(1.0, row.get("used_bytes", 0) / quota) if quota else None


class AliasModel(_TableModel):
    headers = (QT_TRANSLATE_NOOP("AliasModel", "Alias"),
               QT_TRANSLATE_NOOP("AliasModel", "Members"))

    def cell(self, row: dict[str, Any], column: int) -> Any:
        return row["address"] if column == 0 else ", ".join(row["targets"])
