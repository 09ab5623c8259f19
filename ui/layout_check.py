"""Finds text cut off by its widget and widgets laid over each other, in a shown window.

Used by tests/ui/test_layout_clipping.py on every page at 1280×800. Only
what the admin sees is judged: visible widgets, their own text, siblings in
the same parent. Qt's internal helpers (``qt_*`` names, scroll bars) and
widgets that elide by design (tables, combo boxes, line edits) are left
out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import QRect
from PySide6.QtGui import (
    Qt,  # QtGui's Qt has mightBeRichText
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QCheckBox,
    QGroupBox,
    QLabel,
    QMenu,
    QPushButton,
    QRadioButton,
    QScrollBar,
    QSizeGrip,
    QSplitterHandle,
    QStackedWidget,
    QTabBar,
    QToolButton,
    QWidget,
)

__all__ = ["Problem", "problems", "describe"]

SLACK = 2  # pixels of rounding a style may leave
_MNEMONIC = re.compile(r"&(.)")


@dataclass(frozen=True)
class Problem:
    kind: str  # "clipped" or "overlap"
    widget: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.widget}: {self.detail}"


def describe(widget: QWidget) -> str:
    """A name a developer can find: class, object name or accessible name, text, and parent."""
    parts = [type(widget).__name__]
    name = widget.objectName() or widget.accessibleName()
    if name:
        parts.append(repr(name))
    text = _text(widget)
    if text:
        parts.append(repr(text[:50]))
    owner = widget.parentWidget()
    while owner is not None and type(owner).__module__.startswith("PySide6"):
        owner = owner.parentWidget()
    if owner is not None:
        parts.append(f"in {type(owner).__name__}")
    return " ".join(parts)


def _text(widget: QWidget) -> str:
    if isinstance(widget, QLabel | QAbstractButton):
        return widget.text()
    if isinstance(widget, QGroupBox):
        return widget.title()
    return ""


def _internal(widget: QWidget) -> bool:
    return (widget.objectName().startswith("qt_") or widget.isWindow()
            or isinstance(widget, QScrollBar | QSizeGrip | QSplitterHandle | QMenu))


def _label_clipped(label: QLabel) -> str:
    text = label.text()
    if not text or label.pixmap() is not None and not label.pixmap().isNull():
        return ""
    rect = label.contentsRect()
    margin = label.margin() * 2 + (label.indent() if label.indent() > 0 else 0)
    width, height = rect.width() - margin, rect.height() - label.margin() * 2
    if label.wordWrap():
        needed = label.heightForWidth(label.width())
        if needed > label.height() + SLACK:
            return f"needs {needed} px of height, has {label.height()}"
        return ""
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and Qt.mightBeRichText(text))
    if rich:
        doc = QTextDocument()
        doc.setDefaultFont(label.font())
        doc.setHtml(text)
        doc.setDocumentMargin(0)
        need_w, need_h = doc.idealWidth(), doc.size().height()
    else:
        if label.buddy() is not None:  # "&Host" shows as "Host" with H underlined
            text = _MNEMONIC.sub(r"\1", text)
        fm = label.fontMetrics()
        lines = text.split("\n")
        need_w = max(fm.horizontalAdvance(line) for line in lines)
        need_h = fm.height() * len(lines)
    if need_w > width + SLACK:
        return f"text needs {need_w:.0f} px, has {width}"
    if need_h > height + SLACK + 1:
        return f"text needs {need_h:.0f} px of height, has {height}"
    return ""


def _button_clipped(button: QAbstractButton) -> str:
    if not button.text() or isinstance(button, QToolButton):
        return ""
    hint = button.sizeHint()
    if isinstance(button, QPushButton | QCheckBox | QRadioButton):
        if button.width() + SLACK < hint.width():
            return f"needs {hint.width()} px, has {button.width()}"
        if button.height() + SLACK < hint.height() - 4:
            return f"needs {hint.height()} px of height, has {button.height()}"
    return ""


def _visible_children(parent: QWidget) -> list[QWidget]:
    direct = Qt.FindChildOption.FindDirectChildrenOnly
    return [c for c in parent.findChildren(QWidget, options=direct)
            if c.isVisible() and not _internal(c)]


def _overlaps(parent: QWidget) -> list[Problem]:
    if isinstance(parent, QStackedWidget | QAbstractScrollArea | QTabBar):
        return []  # their children share the space by design
    found = []
    kids = _visible_children(parent)
    for i, a in enumerate(kids):
        ra: QRect = a.geometry()
        for b in kids[i + 1:]:
            common = ra.intersected(b.geometry())
            if common.width() > SLACK and common.height() > SLACK:
                found.append(Problem("overlap", describe(a),
                                     f"overlaps {describe(b)} by {common.width()}×"
                                     f"{common.height()} px"))
    return found


def problems(root: QWidget) -> list[Problem]:
    """Every clipped text and overlap among the visible widgets under ``root``."""
    out: list[Problem] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible() or _internal(widget) and widget is not root:
            continue
        detail = ""
        if isinstance(widget, QLabel):
            detail = _label_clipped(widget)
        elif isinstance(widget, QAbstractButton):
            detail = _button_clipped(widget)
        elif isinstance(widget, QGroupBox) and widget.title():
            need = widget.fontMetrics().horizontalAdvance(widget.title()) + 16
            if need > widget.width():
                detail = f"title needs {need} px, has {widget.width()}"
        if detail:
            out.append(Problem("clipped", describe(widget), detail))
        out += _overlaps(widget)
    return out
