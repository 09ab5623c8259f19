"""Icons drawn with QPainter: the application envelope and the tray's health dot."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from ui.tray_state import HEALTH_COLOURS

__all__ = ["app_icon", "health_icon", "envelope_pixmap"]


def envelope_pixmap(size: int = 64, badge: str | None = None) -> QPixmap:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 64.0
    body = QRectF(4 * s, 14 * s, 56 * s, 38 * s)
    p.setPen(QPen(QColor("#1f4e79"), 3 * s))
    p.setBrush(QColor("#e8f0fa"))
    p.drawRoundedRect(body, 5 * s, 5 * s)
    flap = QPainterPath(QPointF(body.left() + 2 * s, body.top() + 2 * s))
    flap.lineTo(QPointF(body.center().x(), body.top() + 24 * s))
    flap.lineTo(QPointF(body.right() - 2 * s, body.top() + 2 * s))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(flap)
    if badge:
        r = 13 * s
        c = QPointF(size - r - 1 * s, size - r - 1 * s)
        p.setPen(QPen(QColor("white"), 2.5 * s))
        p.setBrush(QColor(badge))
        p.drawEllipse(c, r, r)
    p.end()
    return pix


def app_icon() -> QIcon:
    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128):
        icon.addPixmap(envelope_pixmap(size))
    return icon


def health_icon(health: str) -> QIcon:
    colour = HEALTH_COLOURS.get(health, HEALTH_COLOURS["unknown"])
    icon = QIcon()
    for size in (16, 22, 32, 64):
        icon.addPixmap(envelope_pixmap(size, colour))
    return icon
