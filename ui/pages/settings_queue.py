"""Queue timers: when a message that could not be delivered is tried again, and given up."""

from __future__ import annotations

from ui.pages.settings_form import SettingsPage

__all__ = ["QueueTimersPage"]


class QueueTimersPage(SettingsPage):
    title = "Queue timers"
    intro = ("Mail another server does not take at once stays in the queue and is tried "
             "again, waiting longer each time, until it is delivered or given up (then the "
             "sender gets a bounce).")
    sections = (("Retries", ("queue.retry_base", "queue.retry_cap", "queue.delay_warning",
                             "queue.lifetime")),
                ("Work", ("queue.delivery_workers",)))
    settings_keys = ("queue.retry_base", "queue.retry_cap", "queue.delay_warning",
                     "queue.lifetime", "queue.delivery_workers")
    labels = {"queue.retry_base": "First retry after", "queue.retry_cap": "Longest wait",
              "queue.delay_warning": "Warn the sender after", "queue.lifetime": "Give up after",
              "queue.delivery_workers": "Messages at once"}
