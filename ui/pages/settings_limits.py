"""Limits: message sizes, connection caps and time-outs of every listener and of delivery."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

from ui.pages.settings_form import SettingsPage

__all__ = ["LimitsPage"]


class LimitsPage(SettingsPage):
    title = QT_TRANSLATE_NOOP("LimitsPage", "Limits")
    intro = QT_TRANSLATE_NOOP(
        "LimitsPage",
        "How much the server takes on at once. The defaults suit a small office; lower "
        "them on a small machine, raise them only when the logs show refusals.",
    )
    sections = (
        (
            QT_TRANSLATE_NOOP("LimitsPage", "Messages"),
            ("smtp.max_message_size", "smtp.max_recipients", "queue.minfree"),
        ),
        (
            QT_TRANSLATE_NOOP("LimitsPage", "SMTP sessions"),
            (
                "smtp.max_connections",
                "smtp.max_connections_per_ip",
                "smtp.timeout",
                "smtp.max_errors",
            ),
        ),
        (
            QT_TRANSLATE_NOOP("LimitsPage", "IMAP and POP3 sessions"),
            (
                "imap.max_connections",
                "imap.max_connections_per_ip",
                "pop3.max_connections",
                "pop3.max_connections_per_ip",
            ),
        ),
        (
            QT_TRANSLATE_NOOP("LimitsPage", "Sending out"),
            (
                "delivery.max_connections",
                "delivery.max_per_destination",
                "delivery.connect_timeout",
                "delivery.worker_process",
            ),
        ),
    )
    settings_keys = tuple(k for _, keys in sections for k in keys)
    labels = {
        "smtp.max_message_size": QT_TRANSLATE_NOOP("LimitsPage", "Largest message"),
        "smtp.max_recipients": QT_TRANSLATE_NOOP("LimitsPage", "Recipients per message"),
        "queue.minfree": QT_TRANSLATE_NOOP("LimitsPage", "Free disk space to keep"),
        "smtp.max_connections": QT_TRANSLATE_NOOP("LimitsPage", "SMTP sessions at once"),
        "smtp.max_connections_per_ip": QT_TRANSLATE_NOOP("LimitsPage", "SMTP sessions per address"),
        "smtp.timeout": QT_TRANSLATE_NOOP("LimitsPage", "Idle time-out"),
        "smtp.max_errors": QT_TRANSLATE_NOOP("LimitsPage", "Errors before hanging up"),
        "imap.max_connections": QT_TRANSLATE_NOOP("LimitsPage", "IMAP sessions at once"),
        "imap.max_connections_per_ip": QT_TRANSLATE_NOOP("LimitsPage", "IMAP sessions per address"),
        "pop3.max_connections": QT_TRANSLATE_NOOP("LimitsPage", "POP3 sessions at once"),
        "pop3.max_connections_per_ip": QT_TRANSLATE_NOOP("LimitsPage", "POP3 sessions per address"),
        "delivery.max_connections": QT_TRANSLATE_NOOP("LimitsPage", "Outgoing connections"),
        "delivery.max_per_destination": QT_TRANSLATE_NOOP("LimitsPage", "Connections per domain"),
        "delivery.connect_timeout": QT_TRANSLATE_NOOP("LimitsPage", "Connect time-out"),
        "delivery.worker_process": QT_TRANSLATE_NOOP("LimitsPage",
                                                     "Send from a process of its own"),
    }
