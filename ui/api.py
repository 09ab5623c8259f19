"""Control API calls off the GUI thread.

``Api.run(op, args, on_done, on_error)`` runs one operation on a worker of a
``QThreadPool`` and calls back on the GUI thread; ``Api.job(fn, ...)`` does
the same for a function of a ``ControlClient`` (a sequence of calls).
``busyChanged`` drives the progress indicator.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

from appliance.control.client import ControlClient
from appliance.control.types import ControlError

if TYPE_CHECKING:
    from appliance.control.desktop import Home

__all__ = ["Api", "ControlError"]

Done = Callable[[Any], None]
Failed = Callable[[ControlError], None]


class _Job(QRunnable):
    def __init__(self, api: Api, job_id: int, fn: Callable[[ControlClient], Any],
                 remote_only: bool) -> None:
        super().__init__()
        self.api, self.job_id, self.fn, self.remote_only = api, job_id, fn, remote_only

    def run(self) -> None:
        try:
            client = self.api.client(remote_only=self.remote_only)
            result: Any = self.fn(client)
            ok = True
        except ControlError as exc:
            result, ok = exc, False
        except Exception as exc:  # a bug must show up, not freeze the page
            traceback.print_exc()
            result, ok = ControlError(f"internal error: {exc}"), False
        with contextlib.suppress(RuntimeError):  # the GUI may be gone
            self.api.finished.emit((self.job_id, ok, result))


class Api(QObject):
    finished = Signal(object)
    busyChanged = Signal(int)

    def __init__(self, home: Home, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.home = home
        # Run operations in-process when no daemon runs; never for the system
        # service, whose database only the service's user may open.
        self.local = True
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(4)
        self.pool.setExpiryTimeout(-1)
        self._local = threading.local()
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Done | None, Failed | None]] = {}
        self.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def client(self, remote_only: bool = False) -> ControlClient:
        """One client per worker thread (the in-process fallback keeps a database handle)."""
        attr = "remote" if remote_only else "any"
        client = getattr(self._local, attr, None)
        if client is None or client.home != self.home:
            client = ControlClient(self.home, timeout=30.0 if not remote_only else 5.0,
                                   local_fallback=self.local and not remote_only)
            setattr(self._local, attr, client)
        return client

    @property
    def busy(self) -> int:
        return len(self._callbacks)

    def run(self, op: str, args: dict[str, Any] | None = None, on_done: Done | None = None,
            on_error: Failed | None = None, *, remote_only: bool = False) -> int:
        params = dict(args or {})
        return self.job(lambda c: c.call(op, **params), on_done, on_error,
                        remote_only=remote_only)

    def job(self, fn: Callable[[ControlClient], Any], on_done: Done | None = None,
            on_error: Failed | None = None, *, remote_only: bool = False) -> int:
        job_id = next(self._ids)
        self._callbacks[job_id] = (on_done, on_error)
        self.busyChanged.emit(self.busy)
        self.pool.start(_Job(self, job_id, fn, remote_only))
        return job_id

    @Slot(object)
    def _deliver(self, payload: tuple[int, bool, Any]) -> None:
        job_id, ok, result = payload
        on_done, on_error = self._callbacks.pop(job_id, (None, None))
        self.busyChanged.emit(self.busy)
        try:
            if ok and on_done is not None:
                on_done(result)
            elif not ok and on_error is not None:
                on_error(result)
        except RuntimeError as exc:  # the widget the callback belongs to was deleted
            if "already deleted" not in str(exc):
                raise

    def wait_idle(self, msecs: int = 30000) -> bool:
        return self.pool.waitForDone(msecs)
