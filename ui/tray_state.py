"""What the tray icon shows and when it notifies: plain Python, no widgets.

Feed it ``update_status(status_or_None)`` from each daemon poll and
``on_event(event)`` for each event of the stream; read ``health``
("unknown", "up", "degraded", "down") and ``tooltip()``. Both feeding
methods return the notifications to show now.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication

from ui.service_words import service_label

translate = QCoreApplication.translate  # works with no QApplication: then it gives the source

__all__ = ["TrayState", "Notification", "HEALTH_COLOURS"]

HEALTH_COLOURS = {"up": "#2e9d4f", "degraded": "#e0a100", "down": "#d0312d",
                  "unknown": "#8a8a8a"}


@dataclass(frozen=True)
class Notification:
    title: str
    text: str
    level: str = "info"  # info, warning, critical


class TrayState:
    def __init__(self, queue_threshold: int = 50) -> None:
        self.queue_threshold = queue_threshold
        self.status: dict[str, Any] | None = None
        self.known = False
        self.services: dict[str, str] = {}
        self.errors: dict[str, str] = {}  # name -> why it is not running, in plain words
        self.ports: dict[str, int] = {}
        self.crash = ""  # the last crash of a daemon this GUI started, until it is up again
        self.paused = False
        self.storage_low = False
        self.queue_size = 0
        self.last_event = ""
        self._queue_alarm = False
        self.warnings: list[str] = []  # e.g. a DNS record that stopped passing its check

    # -- what is shown ----------------------------------------------------

    @property
    def health(self) -> str:
        if not self.known:
            return "unknown"
        if self.status is None:
            return "down"
        if self.paused or self.storage_low or any(
                s != "running" for s in self.services.values()):
            return "degraded"
        return "up"

    @property
    def colour(self) -> str:
        return HEALTH_COLOURS[self.health]

    def summary(self) -> str:
        health = self.health
        if health == "down":
            stopped = translate("TrayState", "Mailroom is stopped")
            return stopped + (f": {self.crash}" if self.crash else "")
        if health == "unknown":
            return translate("TrayState", "Mailroom: checking…")
        if health == "degraded":
            parts = [self.why(n) for n, s in sorted(self.services.items()) if s != "running"]
            if self.paused:
                parts.append(translate("TrayState", "incoming mail paused"))
            if self.storage_low:
                parts.append(translate("TrayState", "disk space low: new mail refused"))
            return translate("TrayState", "Mailroom degraded: {0}").format("; ".join(parts))
        return translate("TrayState", "Mailroom: all services up")

    def why(self, name: str) -> str:
        """ "IMAP on port 143: another program uses this port", or what is known of it."""
        label = service_label(name, self.ports.get(name))
        return self.errors.get(name) or translate("TrayState", "{0} is not running").format(label)

    def on_crash(self, lines: list[str]) -> list[Notification]:
        """The desktop program's daemon died: its crash line and last output, said once."""
        if not lines:
            return []
        head = lines[0].split("]: ", 1)[-1].removeprefix("error: ")
        output = [ln.split("daemon output: ", 1)[-1] for ln in lines[1:]]
        self.crash = head
        self.last_event = translate("TrayState", "daemon crashed")
        last = translate("TrayState", "Last output: {0}")
        text = head + ("\n" + last.format(output[-1]) if output else "")
        return [Notification(translate("TrayState", "Mailroom daemon stopped unexpectedly"), text,
                             "critical")]

    def tooltip(self) -> str:
        lines = [self.summary()]
        if self.status is not None:
            queue = (translate("TrayState", "Queue: {0} message") if self.queue_size == 1
                     else translate("TrayState", "Queue: {0} messages"))
            lines.append(queue.format(self.queue_size))
        if self.warnings:
            more = translate("TrayState", " (+{0} more)").format(len(self.warnings) - 1)
            lines.append(f"⚠ {self.warnings[0]}" + (more if len(self.warnings) > 1 else ""))
        if self.last_event:
            lines.append(translate("TrayState", "Last: {0}").format(self.last_event))
        return "\n".join(lines)

    # -- what comes in ----------------------------------------------------

    def update_status(self, status: dict[str, Any] | None) -> list[Notification]:
        notes: list[Notification] = []
        was_up = self.known and self.status is not None
        self.known = True
        if status is None:
            if was_up and not self.crash:  # a crash has said so already, and why
                notes.append(Notification(
                    translate("TrayState", "Mailroom stopped"),
                    translate("TrayState", "The mail server daemon is not running."), "critical"))
                self.last_event = translate("TrayState", "daemon stopped")
            self.status = None
            self.services = {}
            return notes
        before = dict(self.services)
        self.status = status
        self.crash = ""
        self.paused = bool(status.get("paused"))
        notes += self._set_storage(bool((status.get("storage") or {}).get("low")))
        self.services = {s["name"]: s["state"] for s in status.get("services", [])}
        self.errors = {s["name"]: s["error"] for s in status.get("services", [])
                       if s.get("error")}
        self.ports = {s["name"]: int(s["port"]) for s in status.get("services", [])
                      if s.get("port")}
        if was_up:
            for name, state in self.services.items():
                if state != "running" and before.get(name, "running") == "running":
                    notes.append(self._service_down(name, state))
        elif any(s != "running" for s in self.services.values()):
            bad = "\n".join(self.why(n) for n, s in self.services.items() if s != "running")
            notes.append(Notification(translate("TrayState", "Mailroom degraded"), bad, "warning"))
        queue = status.get("queue", {})
        notes += self._set_queue(sum(int(v) for v in queue.values()))
        notes += self._set_warnings([str(w) for w in status.get("warnings") or []])
        return notes

    def on_event(self, event: dict[str, Any]) -> list[Notification]:
        kind = event.get("type", "")
        notes: list[Notification] = []
        if kind == "service":
            name, state = str(event.get("name", "")), str(event.get("state", ""))
            if name == "incoming":
                self.paused = state == "paused"
                self.last_event = (translate("TrayState", "incoming mail paused") if self.paused
                                   else translate("TrayState", "incoming mail resumed"))
                return notes
            before = self.services.get(name)
            self.services[name] = state
            if event.get("error"):
                self.errors[name] = str(event["error"])
            elif state == "running":
                self.errors.pop(name, None)
            words = {"running": translate("TrayState", "running"),
                     "failed": translate("TrayState", "failed"),
                     "stopped": translate("TrayState", "stopped")}
            self.last_event = translate("TrayState", "{0} {1}").format(
                service_label(name, self.ports.get(name)), words.get(state, state))
            if state != "running" and before in ("running", None) and self.status is not None:
                notes.append(self._service_down(name, state, str(event.get("error", ""))))
        elif kind == "storage":
            notes += self._set_storage(bool(event.get("low")))
        elif kind == "message.delivered":
            self.last_event = translate("TrayState", "delivered to {0}").format(event.get("to", ""))
        elif kind == "message.deferred":
            self.last_event = translate("TrayState", "deferred for {0}").format(event.get("to", ""))
        elif kind == "message.bounced":
            self.last_event = translate("TrayState", "bounced: {0}").format(event.get("to", ""))
            reply = str(event.get("reply", "")).strip()
            notes.append(Notification(
                translate("TrayState", "Mail bounced"),
                translate("TrayState", "{0}: to {1}").format(event.get("id", ""),
                                                             event.get("to", ""))
                + (f"\n{reply}" if reply else ""), "warning"))
        elif kind == "queue" and "size" in event:
            notes += self._set_queue(int(event["size"]))
        elif kind == "dns":
            notes += self._set_warnings([str(w) for w in event.get("warnings") or []])
        return notes

    def _set_warnings(self, warnings: list[str]) -> list[Notification]:
        """Say each warning once, when it appears; it stays in the tooltip while it lasts."""
        new = [w for w in warnings if w not in self.warnings]
        self.warnings = warnings
        if new:
            self.last_event = translate("TrayState", "DNS check failing")
        title = translate("TrayState", "DNS records need attention")
        return [Notification(title, w, "warning") for w in new]

    def _service_down(self, name: str, state: str, error: str = "") -> Notification:
        label = service_label(name, self.ports.get(name))
        return Notification(translate("TrayState", "{0} is not running").format(label),
                            error or self.why(name), "critical")

    def _set_storage(self, low: bool) -> list[Notification]:
        was, self.storage_low = self.storage_low, low
        if low and not was:
            self.last_event = translate("TrayState", "disk space low")
            return [Notification(translate("TrayState", "Disk space low"),
                                 translate("TrayState", "The data directory is nearly full: "
                                           "new mail is refused until there is room "
                                           "(queue.minfree)."), "critical")]
        if was and not low:
            self.last_event = translate("TrayState", "disk space back")
        return []

    def _set_queue(self, size: int) -> list[Notification]:
        self.queue_size = size
        if size >= self.queue_threshold and not self._queue_alarm:
            self._queue_alarm = True
            return [Notification(translate("TrayState", "Mail queue is growing"),
                                 translate("TrayState", "{0} messages are waiting in the "
                                           "queue.").format(size),
                                 "warning")]
        if size < self.queue_threshold:
            self._queue_alarm = False
        return []
