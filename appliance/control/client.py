"""The control API client, shared by the CLI and the GUI.

``ControlClient.call(name, **args)`` runs an operation in the running daemon,
or in-process on the data directory when no daemon runs (except operations
that need the daemon). Errors come back as ``StateError`` with the field at
fault, ready to show beside a form field.

A few operations (``setup.*``, ``smarthost.test``: the first-run wizard's)
work before a data directory exists: with no daemon they run in-process
without the state store (``appliance.control.setup_operations``).

"No daemon runs" means no control endpoint, a refused connection, or an
endpoint whose process is gone. A daemon that is there but slow (a time-out,
a connection reset after the request went out) is an error: running the
operation locally as well could do it twice, and ``message.submit`` run that
way would leave mail where the running daemon never looks.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import secrets
from collections.abc import Iterator
from typing import Any

from appliance.control.types import ControlError, Endpoint
from appliance.home import Home
from appliance.state import State, StateError

__all__ = ["ControlClient", "ControlError", "DaemonNotAnswering", "DaemonUnavailable",
           "NotPermitted", "ensure_secret", "find_endpoint"]


class DaemonUnavailable(StateError):
    """No daemon runs: the operation may safely run in-process instead."""


class DaemonNotAnswering(StateError):
    """A daemon runs but did not answer: the operation may or may not have run."""


class NotPermitted(StateError):
    """This user may not read the control secret: not one of the daemon's administrators."""


def _refused(home: Home, path: os.PathLike[str]) -> NotPermitted:
    """Name the group that would let this user in, when the daemon shares with one."""
    from appliance.home.service import (
        SERVICE_DATA_DIR,
        group_gid,
        not_member_message,
        service_group,
    )

    group = service_group()
    try:
        shared = os.stat(path).st_gid == group_gid(group)
    except OSError:
        shared = home.root == SERVICE_DATA_DIR
    if shared:
        return NotPermitted(not_member_message(group))
    return NotPermitted(f"cannot read {path}: permission denied (the Mailroom daemon on "
                        f"{home.root} belongs to another user; run as that user or root)")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def ensure_secret(home: Home) -> str:
    path = home.control_secret
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def find_endpoint(home: Home) -> Endpoint | None:
    """The running daemon's control endpoint (``run/control.json`` + the secret), or None.

    The one reader of those files: the client, the GUI's event stream and its
    supervisor all ask here. ``NotPermitted`` when this user may not read them.
    """
    try:
        info = json.loads((home.run / "control.json").read_text())
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return None
    except PermissionError as exc:
        raise _refused(home, home.run) from exc
    try:
        secret = home.control_secret.read_text().strip()
    except FileNotFoundError:
        return None
    except PermissionError as exc:
        # Not "no daemon": running the operation in-process would fail
        # on the database just the same, with a less helpful message.
        raise _refused(home, home.control_secret) from exc
    try:
        pid = info.get("pid")
        return Endpoint(str(info["host"]), int(info["port"]), secret, int(pid) if pid else None)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _default_timeout() -> float:
    try:
        return float(os.environ.get("MAILROOM_CONTROL_TIMEOUT", "") or 60.0)
    except ValueError:
        return 60.0


class ControlClient:
    def __init__(self, home: Home, *, timeout: float | None = None,
                 local_fallback: bool = True) -> None:
        self.home = home
        # MAILROOM_CONTROL_TIMEOUT: for scripts that would rather fail fast.
        self.timeout = timeout if timeout is not None else _default_timeout()
        self.local_fallback = local_fallback
        self._local: Any = None

    # -- transport --------------------------------------------------------

    def _endpoint(self) -> Endpoint | None:
        return find_endpoint(self.home)

    def daemon_running(self) -> bool:
        try:
            self._remote("ping", {})
            return True
        except DaemonNotAnswering:
            return True  # there, only slow: certainly not a reason to start another
        except StateError:
            return False

    def _remote(self, name: str, args: dict[str, Any]) -> Any:
        endpoint = self._endpoint()
        if endpoint is None:
            raise DaemonUnavailable("the Mailroom daemon is not running")
        host, port, secret, pid = endpoint.host, endpoint.port, endpoint.secret, endpoint.pid
        if pid is not None and not _process_alive(pid):
            # A daemon killed without cleaning up: its endpoint file is stale.
            raise DaemonUnavailable("the Mailroom daemon is not running (stale control.json)")
        conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
        try:
            try:
                conn.connect()
            except ConnectionRefusedError as exc:
                raise DaemonUnavailable("the Mailroom daemon is not running") from exc
            except OSError as exc:
                raise DaemonNotAnswering(
                    f"cannot reach the Mailroom daemon on {host}:{port} ({exc})") from exc
            try:
                body = json.dumps(args).encode()
                conn.request("POST", f"/api/{name}", body=body, headers={
                    "Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
                resp = conn.getresponse()
                payload = json.loads(resp.read() or b"{}")
            except (OSError, http.client.HTTPException) as exc:
                what = ("did not answer within "
                        f"{self.timeout:g} s" if isinstance(exc, TimeoutError)
                        else f"dropped the connection ({exc or type(exc).__name__})")
                raise DaemonNotAnswering(
                    f"the Mailroom daemon {what}; '{name}' may or may not have been done "
                    "(check with: mailroom status, mailroom mailq)") from exc
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
            if self.local_fallback and self.home.initialized():
                return self._call_local(op, args)
            from appliance.control.setup_operations import may_run_bare, run_bare

            if may_run_bare(op, self.local_fallback):
                return run_bare(self.home, op, args)
            if not self.local_fallback:
                raise
        return self._call_local(op, args)

    def apply_setup(self, answers: dict[str, Any], smarthost_password: str = "",
                    init: Any = None) -> None:
        """Write the first-run wizard's answers through the operations.

        ``init(home, hostname, domain)`` makes a new data directory; by
        default the ``setup.init`` operation (in-process); the system
        service's wizard passes its own (``pkexec ... mailroom init``).
        """
        from appliance.control.setup import apply_answers

        def made_here(_home: Home, hostname: str, domain: str) -> None:
            self.call("setup.init", hostname=hostname, domain=domain)

        apply_answers(self, self.home, answers, smarthost_password, init or made_here)

    def events(self) -> Iterator[dict[str, Any]]:
        """Stream events from the daemon until it goes away."""
        endpoint = self._endpoint()
        if endpoint is None:
            raise DaemonUnavailable("the Mailroom daemon is not running")
        conn = http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=60)
        try:
            conn.request("GET", "/api/events",
                         headers={"Authorization": f"Bearer {endpoint.secret}"})
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
