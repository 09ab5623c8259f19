"""The control API client, shared by the CLI and the GUI.

``ControlClient.call(name, **args)`` runs an operation in the running daemon
when one answers, or in-process on the data directory when none does
(except operations that need the daemon). Errors come back as
``StateError`` with the field at fault, ready to show beside a form field.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import secrets
from collections.abc import Iterator
from typing import Any

from appliance.home import Home
from appliance.state import State, StateError

__all__ = ["ControlClient", "DaemonUnavailable", "ensure_secret"]


class DaemonUnavailable(StateError):
    pass


def ensure_secret(home: Home) -> str:
    path = home.control_secret
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


class ControlClient:
    def __init__(self, home: Home, *, timeout: float = 60.0, local_fallback: bool = True) -> None:
        self.home = home
        self.timeout = timeout
        self.local_fallback = local_fallback
        self._local: Any = None

    # -- transport --------------------------------------------------------

    def _endpoint(self) -> tuple[str, int, str] | None:
        try:
            info = json.loads((self.home.run / "control.json").read_text())
            secret = self.home.control_secret.read_text().strip()
        except (FileNotFoundError, ValueError, PermissionError):
            return None
        return info["host"], int(info["port"]), secret

    def daemon_running(self) -> bool:
        try:
            self._remote("ping", {})
            return True
        except (DaemonUnavailable, StateError):
            return False

    def _remote(self, name: str, args: dict[str, Any]) -> Any:
        endpoint = self._endpoint()
        if endpoint is None:
            raise DaemonUnavailable("the Mailroom daemon is not running")
        host, port, secret = endpoint
        conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
        try:
            body = json.dumps(args).encode()
            conn.request("POST", f"/api/{name}", body=body, headers={
                "Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
            resp = conn.getresponse()
            payload = json.loads(resp.read() or b"{}")
        except (ConnectionError, OSError, TimeoutError) as exc:
            raise DaemonUnavailable(f"the Mailroom daemon is not answering ({exc})") from exc
        except ValueError as exc:
            raise StateError(f"bad reply from the daemon: {exc}") from exc
        finally:
            conn.close()
        if not payload.get("ok"):
            err = payload.get("error") or {}
            raise StateError(err.get("message", "unknown error"), err.get("field"))
        return payload.get("result")

    def _call_local(self, name: str, args: dict[str, Any]) -> Any:
        from appliance.control.operations import Operations

        if not self.home.initialized():
            raise StateError(
                f"no Mailroom data in {self.home.root} (run: mailroom init)"
            )
        if self._local is None:
            self._local = Operations(self.home, State(self.home.db))
        return asyncio.run(self._local.call(name, args))

    def call(self, op: str, /, **args: Any) -> Any:
        try:
            return self._remote(op, args)
        except DaemonUnavailable:
            if not self.local_fallback:
                raise
        return self._call_local(op, args)

    def events(self) -> Iterator[dict[str, Any]]:
        """Stream events from the daemon until it goes away."""
        endpoint = self._endpoint()
        if endpoint is None:
            raise DaemonUnavailable("the Mailroom daemon is not running")
        host, port, secret = endpoint
        conn = http.client.HTTPConnection(host, port, timeout=60)
        try:
            conn.request("GET", "/api/events", headers={"Authorization": f"Bearer {secret}"})
            resp = conn.getresponse()
            if resp.status != 200:
                raise StateError(f"event stream refused ({resp.status})")
            while True:
                line = resp.readline()
                if not line:
                    return
                event = json.loads(line)
                if event.get("type") != "keepalive":
                    yield event
        except (ConnectionError, OSError) as exc:
            raise DaemonUnavailable(f"lost the daemon ({exc})") from exc
        finally:
            conn.close()

    def close(self) -> None:
        if self._local is not None:
            self._local.state.close()
            self._local = None
