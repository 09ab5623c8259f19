"""The daemon's event stream, read on a background thread and re-emitted as Qt signals.

The stream is ``GET /api/events`` of the control API (the same endpoint and
secret as ``ControlClient.events``); it is read here with its own connection
so that ``drop()`` can close it at once: a daemon that is asked to stop
must not wait for the GUI's stream to end.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from appliance.control.client import ControlError, find_endpoint

if TYPE_CHECKING:
    from appliance.control.desktop import Home

__all__ = ["EventStream"]


class EventStream(QObject):
    """Follows the event stream; reconnects while the GUI runs, unless held."""

    event = Signal(object)
    connected = Signal(bool)

    def __init__(self, home: Home, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.home = home
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()
        self.held = False
        self.is_connected = False

    def start(self) -> None:
        if self._thread is not None:
            return
        # A daemon thread: it blocks on the socket and must not keep the GUI alive.
        self._thread = threading.Thread(target=self._run, name="mailroom-events", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.drop()

    def hold(self, held: bool) -> None:
        """While held (the daemon is stopping), do not reconnect."""
        self.held = held
        if held:
            self.drop()

    def drop(self) -> None:
        """Close the current connection now (it reconnects unless held or stopped)."""
        with self._lock:
            conn = self._conn
        if conn is not None and conn.sock is not None:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)

    def _endpoint(self) -> tuple[str, int, str] | None:
        try:
            found = find_endpoint(self.home)
        except (OSError, ControlError):  # not ours to read: the status poll says why
            return None
        return None if found is None else (found.host, found.port, found.secret)

    def _emit(self, signal: Any, value: Any) -> bool:
        try:
            signal.emit(value)
            return True
        except RuntimeError:  # the Qt side is gone
            self._stop.set()
            return False

    def _set_connected(self, value: bool) -> None:
        if value != self.is_connected:
            self.is_connected = value
            self._emit(self.connected, value)

    def _run(self) -> None:
        while not self._stop.is_set():
            endpoint = None if self.held else self._endpoint()
            if endpoint is not None:
                with contextlib.suppress(OSError, ValueError, http.client.HTTPException):
                    self._follow(*endpoint)
            self._set_connected(False)
            self._stop.wait(0.5)

    def _follow(self, host: str, port: int, secret: str) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        with self._lock:
            self._conn = conn
        try:
            conn.request("GET", "/api/events", headers={"Authorization": f"Bearer {secret}"})
            resp = conn.getresponse()
            if resp.status != 200:
                return
            self._set_connected(True)
            while not self._stop.is_set() and not self.held:
                line = resp.readline()
                if not line:
                    return
                event = json.loads(line)
                if event.get("type") != "keepalive" and not self._emit(self.event, event):
                    return
        finally:
            with self._lock:
                self._conn = None
            conn.close()
