"""Logging: how big the mail log grows and how many old logs are kept."""

from __future__ import annotations

from ui.pages.settings_form import SettingsPage

__all__ = ["LoggingPage"]


class LoggingPage(SettingsPage):
    title = "Logging"
    intro = ("The mail log (logs/mailroom.log) is started afresh when it reaches its size; "
             "the old ones are kept as mailroom.log.1, .2 …")
    settings_keys = ("log.*",)
    labels = {"log.max_bytes": "Start a new log at", "log.keep": "Old logs kept"}
