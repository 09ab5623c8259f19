"""Queue timers: when a message that could not be delivered is tried again, and given up."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

from ui.pages.settings_form import SettingsPage

__all__ = ["QueueTimersPage"]


class QueueTimersPage(SettingsPage):
    title = QT_TRANSLATE_NOOP("QueueTimersPage", "Queue timers")
    intro = QT_TRANSLATE_NOOP(
        "QueueTimersPage",
        "Mail another server does not take at once stays in the queue and is tried "
        "again, waiting longer each time, until it is delivered or given up (then the "
        "sender gets a bounce).",
    )
    sections = (
        (
            QT_TRANSLATE_NOOP("QueueTimersPage", "Retries"),
            ("queue.retry_base", "queue.retry_cap", "queue.delay_warning", "queue.lifetime"),
        ),
        (QT_TRANSLATE_NOOP("QueueTimersPage", "Work"), ("queue.delivery_workers",)),
    )
    settings_keys = (
        "queue.retry_base",
        "queue.retry_cap",
        "queue.delay_warning",
        "queue.lifetime",
        "queue.delivery_workers",
    )
    labels = {
        "queue.retry_base": QT_TRANSLATE_NOOP("QueueTimersPage", "First retry after"),
        "queue.retry_cap": QT_TRANSLATE_NOOP("QueueTimersPage", "Longest wait"),
        "queue.delay_warning": QT_TRANSLATE_NOOP("QueueTimersPage", "Warn the sender after"),
        "queue.lifetime": QT_TRANSLATE_NOOP("QueueTimersPage", "Give up after"),
        "queue.delivery_workers": QT_TRANSLATE_NOOP("QueueTimersPage", "Messages at once"),
    }
