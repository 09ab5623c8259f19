"""Limits: message sizes, connection caps and time-outs of every listener and of delivery."""

from __future__ import annotations

from ui.pages.settings_form import SettingsPage

__all__ = ["LimitsPage"]


class LimitsPage(SettingsPage):
    title = "Limits"
    intro = ("How much the server takes on at once. The defaults suit a small office; lower "
             "them on a small machine, raise them only when the logs show refusals.")
    sections = (
        ("Messages", ("smtp.max_message_size", "smtp.max_recipients", "queue.minfree")),
        ("SMTP sessions", ("smtp.max_connections", "smtp.max_connections_per_ip",
                           "smtp.timeout", "smtp.max_errors")),
        ("IMAP and POP3 sessions", ("imap.max_connections", "imap.max_connections_per_ip",
                                    "pop3.max_connections", "pop3.max_connections_per_ip")),
        ("Sending out", ("delivery.max_connections", "delivery.max_per_destination",
                         "delivery.connect_timeout")),
    )
    settings_keys = tuple(k for _, keys in sections for k in keys)
    labels = {
        "smtp.max_message_size": "Largest message", "smtp.max_recipients":
        "Recipients per message", "queue.minfree": "Free disk space to keep",
        "smtp.max_connections": "SMTP sessions at once",
        "smtp.max_connections_per_ip": "SMTP sessions per address",
        "smtp.timeout": "Idle time-out", "smtp.max_errors": "Errors before hanging up",
        "imap.max_connections": "IMAP sessions at once",
        "imap.max_connections_per_ip": "IMAP sessions per address",
        "pop3.max_connections": "POP3 sessions at once",
        "pop3.max_connections_per_ip": "POP3 sessions per address",
        "delivery.max_connections": "Outgoing connections",
        "delivery.max_per_destination": "Connections per domain",
        "delivery.connect_timeout": "Connect time-out",
    }
