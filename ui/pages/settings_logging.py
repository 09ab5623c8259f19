"""Logging: how big the mail log grows and how many old logs are kept."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

from ui.pages.settings_form import SettingsPage

__all__ = ["LoggingPage"]


class LoggingPage(SettingsPage):
    title = QT_TRANSLATE_NOOP("LoggingPage", "Logging")
    intro = QT_TRANSLATE_NOOP(
        "LoggingPage",
        "The mail log (logs/mailroom.log) is started afresh when it reaches its size; "
        "the old ones are kept as mailroom.log.1, .2 …",
    )
    settings_keys = ("log.*",)
    labels = {
        "log.max_bytes": QT_TRANSLATE_NOOP("LoggingPage", "Start a new log at"),
        "log.keep": QT_TRANSLATE_NOOP("LoggingPage", "Old logs kept"),
    }
