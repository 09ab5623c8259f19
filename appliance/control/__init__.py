"""The control API: operations, the server in the daemon, the shared client."""

from __future__ import annotations

from typing import Any

__all__ = ["ControlClient", "DaemonUnavailable", "ensure_secret"]


def __getattr__(name: str) -> Any:
    # Lazy: the state store imports control.types, and the client imports the state store.
    if name in __all__:
        from appliance.control import client

        return getattr(client, name)
    raise AttributeError(name)
