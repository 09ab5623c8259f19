"""Small widgets shared by the pages: the hourly chart, usage bars, error labels."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QFontDatabase, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QLabel,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

__all__ = ["HourChart", "UsageBarDelegate", "ErrorLabel", "Card", "Banner", "monospace"]


def row_table(model: Any) -> QTableView:
    """A table that selects one whole row at a time, without row numbers."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    return table


def monospace(widget: QWidget) -> QWidget:
    """Give a text widget a fixed-pitch font (zone-file lines, messages)."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    widget.setFont(font)
    return widget


class HourChart(QWidget):
    """Messages per hour over the last day: received and delivered, drawn with QPainter."""

    SERIES = ((QT_TRANSLATE_NOOP("HourChart", "received"), QColor("#3d7ab8")),
              (QT_TRANSLATE_NOOP("HourChart", "delivered"), QColor("#2e9d4f")),
              (QT_TRANSLATE_NOOP("HourChart", "bounced"), QColor("#d0312d")))

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hours: list[dict[str, Any]] = []  # 24 slots: {"label": "13", "received": n, ...}
        self.setMinimumHeight(150)
        self.setAccessibleName(self.tr("Messages per hour, last 24 hours"))

    def sizeHint(self) -> QSize:
        return QSize(520, 170)

    def set_hours(self, hours: list[dict[str, Any]]) -> None:
        self.hours = hours
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: ARG002
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        p.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        fm = p.fontMetrics()
        left, bottom, top, right = fm.horizontalAdvance("0000") + 8, fm.height() + 6, \
            fm.height() + 6, 8
        area = QRectF(left, top, max(10, self.width() - left - right),
                      max(10, self.height() - top - bottom))
        peak = max([1] + [h.get(k, 0) for h in self.hours for k, _ in self.SERIES])
        step = max(1, round(peak / 4))
        grid = QPen(pal.color(QPalette.ColorRole.Mid))
        grid.setStyle(Qt.PenStyle.DotLine)
        text = pal.color(QPalette.ColorRole.Text)
        for v in range(0, peak + 1, step):
            y = area.bottom() - area.height() * v / peak
            p.setPen(grid)
            p.drawLine(int(area.left()), int(y), int(area.right()), int(y))
            p.setPen(text)
            p.drawText(QRect(0, int(y - fm.height() / 2), left - 4, fm.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(v))
        n = max(1, len(self.hours))
        slot = area.width() / n
        bar = max(1.0, slot / (len(self.SERIES) + 1))
        for i, hour in enumerate(self.hours):
            x0 = area.left() + i * slot + bar / 2
            for j, (key, colour) in enumerate(self.SERIES):
                v = hour.get(key, 0)
                if v:
                    h = area.height() * v / peak
                    p.fillRect(QRectF(x0 + j * bar, area.bottom() - h, bar * 0.9, h), colour)
            if i % 3 == 0 or i == n - 1:
                p.setPen(text)
                p.drawText(QRectF(area.left() + i * slot, area.bottom() + 2, slot * 3,
                                  fm.height()), Qt.AlignmentFlag.AlignLeft, hour.get("label", ""))
        # Legend
        x = area.left()
        for key, colour in self.SERIES:
            p.fillRect(QRectF(x, 4, 10, 10), colour)
            p.setPen(text)
            word = self.tr(key)  # received, delivered, bounced (QT_TRANSLATE_NOOP in SERIES)
            p.drawText(int(x + 14), 4 + fm.ascent() - 1, word)
            x += 24 + fm.horizontalAdvance(word)
        p.end()


class UsageBarDelegate(QStyledItemDelegate):
    """Paints a mailbox usage bar (used / quota) in a table cell."""

    def __init__(self, fraction_of: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fraction_of = fraction_of

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        row = index.data(Qt.ItemDataRole.UserRole)
        fraction = self.fraction_of(row) if row else None
        if fraction is None:
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 3, -2, -3)  # type: ignore[attr-defined]
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = int(fraction * 1000)
        bar.text = f"{index.data()} ({fraction:.0%})"
        bar.textVisible = True
        bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
        QApplication.style().drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


class ErrorLabel(QLabel):
    """A red message shown beside (under) a form field; hidden when empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet("color: #b00020;")
        self.setWordWrap(True)
        self.hide()

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))


class Card(QFrame):
    """A titled box on the dashboard."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.layout_ = QVBoxLayout(self)
        heading = QLabel(f"<b>{title}</b>")
        self.layout_.addWidget(heading)


class Banner(QLabel):
    """A coloured message across the top of a page."""

    STYLES = {"error": "background:#fbe3e4;color:#8a1f11;border:1px solid #e5a0a0;",
              "warning": "background:#fff4d6;color:#6b4e00;border:1px solid #e8cf87;",
              "info": "background:#e6f0fa;color:#1f4e79;border:1px solid #a9c6e6;"}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_message(self, text: str, kind: str = "info") -> None:
        self.setStyleSheet(self.STYLES.get(kind, "") + "padding:6px;border-radius:4px;")
        self.setText(text)
        self.setVisible(bool(text))
