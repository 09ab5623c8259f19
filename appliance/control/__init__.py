"""The control API: operations, the server in the daemon, the shared client."""

from appliance.control.client import ControlClient, DaemonUnavailable, ensure_secret

__all__ = ["ControlClient", "DaemonUnavailable", "ensure_secret"]
