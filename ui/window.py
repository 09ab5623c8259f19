"""The main window: a navigation list, one page per area, supervision in the status bar."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from ui.context import AppContext
from ui.icons import app_icon
from ui.pages.base import Page

__all__ = ["MainWindow", "PAGE_CLASSES"]


def _page_classes() -> list[tuple[str, type[Page]]]:
    """Every page in navigation order: append one line for a new page."""
    from ui.pages.accounts import AccountsPage
    from ui.pages.aliases import AliasesPage
    from ui.pages.backups import BackupsPage
    from ui.pages.certificates import CertificatesPage
    from ui.pages.dashboard import DashboardPage
    from ui.pages.dns import DnsPage
    from ui.pages.doctor import DoctorPage
    from ui.pages.domains import DomainsPage
    from ui.pages.filters import FiltersPage
    from ui.pages.importer import ImportPage
    from ui.pages.logs import LogsPage
    from ui.pages.ports import PortsPage
    from ui.pages.queue import QueuePage
    from ui.pages.relay import RelayPage
    from ui.pages.security import SecurityPage
    from ui.pages.settings_checks import SenderChecksPage
    from ui.pages.settings_dns import DnsSettingsPage
    from ui.pages.settings_limits import LimitsPage
    from ui.pages.settings_logging import LoggingPage
    from ui.pages.settings_login import LoginProtectionPage
    from ui.pages.settings_queue import QueueTimersPage
    from ui.pages.settings_smarthost import SmarthostPage
    from ui.pages.spam import SpamPage
    from ui.pages.webmail import WebmailPage

    return [
        ("dashboard", DashboardPage),
        ("domains", DomainsPage),
        ("accounts", AccountsPage),
        ("aliases", AliasesPage),
        ("relay", RelayPage),
        ("smarthost", SmarthostPage),
        ("dns", DnsPage),
        ("ports", PortsPage),
        ("certificates", CertificatesPage),
        ("queue", QueuePage),
        ("logs", LogsPage),
        ("security", SecurityPage),
        ("filters", FiltersPage),
        ("spam", SpamPage),
        ("webmail", WebmailPage),
        ("doctor", DoctorPage),
        ("limits", LimitsPage),
        ("queue-timers", QueueTimersPage),
        ("sender-checks", SenderChecksPage),
        ("login-protection", LoginProtectionPage),
        ("dns-settings", DnsSettingsPage),
        ("logging", LoggingPage),
        ("import", ImportPage),
        ("backups", BackupsPage),
    ]


PAGE_CLASSES = _page_classes


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.quitting = False
        self.hide_on_close = False
        self.setWindowTitle(f"Mailroom — {ctx.home.root}")
        self.setWindowIcon(app_icon())
        self.resize(1100, 720)
        self.nav = QListWidget()
        self.nav.setMaximumWidth(210)
        self.nav.setMinimumWidth(160)  # page names stay readable when a page is wide
        self.nav.setAccessibleName(self.tr("Pages"))
        self.stack = QStackedWidget()
        self.pages: dict[str, Page] = {}
        for i, (key, cls) in enumerate(_page_classes()):
            page = cls(ctx)
            self.pages[key] = page
            self.stack.addWidget(page)
            item = QListWidgetItem(page.display_title())
            item.setToolTip(f"{page.display_title()} (Ctrl+{i + 1})" if i < 9
                            else page.display_title())
            self.nav.addItem(item)
            page.dirtyChanged.connect(lambda dirty, k=key: self._mark(k, dirty))
        splitter = QSplitter()
        splitter.addWidget(self.nav)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        self.setCentralWidget(splitter)
        self._current = 0
        self.nav.currentRowChanged.connect(self._navigate)
        ctx.events.event.connect(self._on_event)
        self._build_actions()
        self._build_status_bar()
        ctx.supervisor.stateChanged.connect(self._daemon_state)
        ctx.supervisor.statusChanged.connect(lambda _status: self._daemon_label())
        ctx.supervisor.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        ctx.api.busyChanged.connect(self._busy)
        ctx.ask_unsaved = lambda page: self.ask_unsaved(page)
        self.nav.setCurrentRow(0)
        self.pages["dashboard"].activate()

    # -- navigation with the unsaved-changes guard -------------------------

    def page(self, key: str) -> Page:
        return self.pages[key]

    def current_page(self) -> Page:
        return self.stack.currentWidget()  # type: ignore[return-value]

    def show_page(self, key: str) -> bool:
        row = list(self.pages).index(key)
        self.nav.setCurrentRow(row)
        return self.nav.currentRow() == row

    def _navigate(self, row: int) -> None:
        if row == self._current or row < 0:
            return
        old = self.stack.widget(self._current)
        if isinstance(old, Page) and old.is_dirty():
            # Stay on the list entry until the edits are saved or thrown away.
            self._select_nav(self._current)
            old.leave(lambda: self._go(row))
            return
        self._go(row)

    def _select_nav(self, row: int) -> None:
        self.nav.blockSignals(True)
        self.nav.setCurrentRow(row)
        self.nav.blockSignals(False)

    def _go(self, row: int) -> None:
        self._select_nav(row)
        self._current = row
        self.stack.setCurrentIndex(row)
        page = self.stack.widget(row)
        if isinstance(page, Page):
            page.activate()

    def ask_unsaved(self, page: Page) -> str:
        """"save", "discard" or "cancel" (tests replace this)."""
        box = QMessageBox(self)
        box.setWindowTitle(self.tr("Unsaved changes"))
        box.setText(self.tr("The page “{0}” has changes that are not saved.").format(
            page.display_title()))
        box.setInformativeText(self.tr("Save them, throw them away, or stay on the page?"))
        box.setStandardButtons(QMessageBox.StandardButton.Save
                               | QMessageBox.StandardButton.Discard
                               | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(
            QMessageBox.StandardButton(answer), "cancel")

    def _mark(self, key: str, dirty: bool) -> None:
        row = list(self.pages).index(key)
        item = self.nav.item(row)
        item.setText(self.pages[key].display_title() + (" •" if dirty else ""))

    # -- actions and status -------------------------------------------------

    def _build_actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu(self.tr("&File"))
        self.save_action = QAction(self.tr("&Save page"), self,
                                   shortcut=QKeySequence.StandardKey.Save,
                                   triggered=lambda: self.current_page().save())
        self.reload_action = QAction(self.tr("&Reload page"), self, shortcut=QKeySequence("F5"),
                                     triggered=lambda: self.current_page().refresh())
        self.setup_action = QAction(self.tr("First-run &wizard…"), self, triggered=self.open_wizard)
        self.quit_action = QAction(self.tr("&Quit (mail keeps flowing)"), self,
                                   shortcut=QKeySequence.StandardKey.Quit, triggered=self.quit)
        for a in (self.save_action, self.reload_action, self.setup_action, self.quit_action):
            file_menu.addAction(a)
        daemon = menu.addMenu(self.tr("&Daemon"))
        self.start_action = QAction(self.tr("&Start"), self, triggered=self.ctx.supervisor.start)
        self.stop_action = QAction(self.tr("S&top…"), self,
                                   triggered=lambda: self.pages["dashboard"].stop_daemon())
        self.restart_action = QAction(self.tr("&Restart"), self,
                                      shortcut=QKeySequence("Ctrl+Shift+R"),
                                      triggered=self.ctx.supervisor.restart)
        for a in (self.start_action, self.stop_action, self.restart_action):
            daemon.addAction(a)
        from ui.i18n import add_language_menu

        add_language_menu(self)
        go = menu.addMenu(self.tr("&Go"))
        for i, page in enumerate(self.pages.values()):
            act = QAction(page.display_title(), self)
            if i < 9:  # Ctrl+1 ... Ctrl+9; the rest through the list or this menu
                act.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            act.triggered.connect(lambda _=False, r=i: self.nav.setCurrentRow(r))
            go.addAction(act)

    def _build_status_bar(self) -> None:
        self.daemon_label = QLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(120)
        self.progress.setMaximumHeight(14)
        self.progress.hide()
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.daemon_label)
        self._daemon_state(self.ctx.supervisor.state)

    def _busy(self, count: int) -> None:
        self.progress.setVisible(count > 0)

    def _daemon_label(self) -> None:
        state, status = self.ctx.supervisor.state, self.ctx.supervisor.status
        if state == "up" and (status or {}).get("health") == "degraded":
            state = "degraded"  # up, but a listener is down or the disk is full
        colour = {"up": "#2e9d4f", "down": "#d0312d"}.get(state, "#e0a100")
        words = {"up": self.tr("Running"), "degraded": self.tr("Degraded"),
                 "down": self.tr("Stopped"), "starting": self.tr("Starting…"),
                 "stopping": self.tr("Stopping…")}.get(state, self.tr("Checking…"))
        self.daemon_label.setText(f"<span style='color:{colour}'>●</span> {words}")
        self.daemon_label.setToolTip("; ".join((status or {}).get("problems") or []))

    def _daemon_state(self, state: str) -> None:
        self._daemon_label()
        self.start_action.setEnabled(state == "down")
        self.stop_action.setEnabled(state == "up")
        self.restart_action.setEnabled(state == "up")
        for page in self.pages.values():
            if page is not self.pages["dashboard"]:
                page.on_daemon(state)

    def _on_event(self, event: dict[str, Any]) -> None:
        for page in self.pages.values():
            page.on_event(event)

    def open_wizard(self) -> None:
        from ui.wizard import SetupWizard

        wizard = SetupWizard(self.ctx, self)
        wizard.setWindowModality(Qt.WindowModality.ApplicationModal)
        wizard.show()

    # -- closing --------------------------------------------------------------

    def dirty_pages(self) -> list[Page]:
        return [p for p in self.pages.values() if p.is_dirty()]

    def quit(self) -> None:
        self.quitting = True
        if self.close():
            from PySide6.QtWidgets import QApplication

            QApplication.quit()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.hide_on_close and not self.quitting:
            # The tray keeps watching; mail keeps flowing (and the edits stay on the page).
            self.hide()
            event.ignore()
            return
        # The page on screen first: its question comes before the others'.
        dirty = sorted(self.dirty_pages(), key=lambda p: p is not self.current_page())
        if not dirty:
            event.accept()
            return
        event.ignore()
        page = dirty[0]
        self.show_page(next(k for k, p in self.pages.items() if p is page))
        again = self.quit if self.quitting else self.close
        # Saved or discarded: close again (asking about the next dirty page, if any).
        if page.leave(lambda: QTimer.singleShot(0, again)) == "cancel":
            self.quitting = False
