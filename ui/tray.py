"""The tray icon: health colour, tooltip, menu and notifications (state in ui.tray_state)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ui.context import AppContext
from ui.icons import health_icon
from ui.tray_state import Notification
from ui.window import MainWindow

__all__ = ["Tray"]


class Tray(QObject):
    def __init__(self, ctx: AppContext, window: MainWindow) -> None:
        super().__init__(window)
        self.ctx = ctx
        self.window = window
        self.icon = QSystemTrayIcon(health_icon("unknown"), self)
        menu = QMenu()
        self.open_action = QAction(self.tr("&Open Mailroom"), self, triggered=self.open)
        self.restart_action = QAction(self.tr("&Restart services"), self,
                                      triggered=ctx.supervisor.restart)
        self.pause_action = QAction(self.tr("&Pause incoming mail"), self, checkable=True,
                                    triggered=self.pause)
        self.quit_action = QAction(self.tr("&Quit (mail keeps flowing)"), self,
                                   triggered=window.quit)
        for a in (self.open_action, self.restart_action, self.pause_action):
            menu.addAction(a)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        self.menu = menu
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._activated)
        ctx.notify.connect(self.show_notification)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(1000)
        self.refresh()
        self.icon.show()

    def refresh(self) -> None:
        state = self.ctx.tray_state
        self.icon.setIcon(health_icon(state.health))
        self.icon.setToolTip(state.tooltip())
        self.pause_action.setChecked(state.paused)
        self.pause_action.setEnabled(state.status is not None)
        self.restart_action.setEnabled(state.status is not None)  # nothing runs to restart

    def open(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def pause(self, paused: bool) -> None:
        self.ctx.api.run("service.pause", {"paused": paused})

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            if self.window.isVisible():
                self.window.hide()
            else:
                self.open()

    def show_notification(self, note: Notification) -> None:
        icon = {"critical": QSystemTrayIcon.MessageIcon.Critical,
                "warning": QSystemTrayIcon.MessageIcon.Warning}.get(
            note.level, QSystemTrayIcon.MessageIcon.Information)
        self.icon.showMessage(note.title, note.text, icon, 8000)
        self.refresh()
