"""Control operations for the webmail: webmail.status/enable/disable.

Registered into :data:`appliance.control.operations.OPERATIONS` when that
module is imported. With a daemon running, the daemon runs the web stack
(on its listen addresses and port offset, see ``Daemon.webmail_sync``);
without one, the operation starts or stops it on its own, on the standard
ports.
"""

from __future__ import annotations

import asyncio
from typing import Any

from appliance.control.operations import Operations, op
from appliance.state import StateError
from appliance.state.settings import SettingError, parse_setting
from appliance.webmail import Webmail, WebmailError
from appliance.webmail.packages import install_command, missing

__all__: list[str] = []


def _webmail(ops: Operations) -> Webmail:
    own = getattr(ops.daemon, "webmail", None)
    return own if isinstance(own, Webmail) else Webmail(ops.home.root, ops.state)


def _offset(ops: Operations) -> int:
    options = getattr(ops.daemon, "options", None)
    return int(getattr(options, "port_offset", 0) or 0)


@op("webmail.status")
def webmail_status(ops: Operations) -> dict[str, Any]:
    """Enabled or not, serving or not, its URL, the packages still missing."""
    status = _webmail(ops).status(_offset(ops))
    status["error"] = getattr(ops.daemon, "webmail_error", "")
    status["daemon"] = ops.daemon is not None
    status["offset"] = _offset(ops)  # "port" is the setting plus the daemon's port offset
    if status["missing"]:
        status["install"] = install_command(status["missing"])
    return status


async def _apply(ops: Operations) -> None:
    """Start or stop the stack as the settings now say; StateError on failure."""
    if ops.daemon is not None:
        await ops.daemon.reload()  # → Daemon.webmail_sync
        error = getattr(ops.daemon, "webmail_error", "")
        if error:
            raise StateError(error)
        return
    webmail = _webmail(ops)
    try:
        if ops.state.get_setting("webmail.enabled"):
            await asyncio.to_thread(webmail.start)
        else:
            await asyncio.to_thread(webmail.stop)
    except WebmailError as exc:
        raise StateError(f"webmail: {exc}") from exc


@op("webmail.enable")
async def webmail_enable(ops: Operations, port: int | None = None) -> dict[str, Any]:
    """Serve Roundcube at https://HOST:PORT/webmail/ (the packages must be installed)."""
    absent = await asyncio.to_thread(missing)
    if absent:
        raise StateError(f"webmail needs these packages: {' '.join(absent)}; as root run: "
                         f"{install_command(absent)} (mailroom webmail enable does it when "
                         "run as root)")
    if port is not None:
        try:
            parse_setting("webmail.port", port)
        except SettingError as exc:
            raise StateError(str(exc), "webmail.port") from exc
    before = {key: ops.state.get_setting(key) for key in ("webmail.enabled", "webmail.port")}
    if port is not None:
        ops.state.set_setting("webmail.port", port)
    ops.state.set_setting("webmail.enabled", True)
    try:
        await _apply(ops)
    except StateError:
        for key, value in before.items():  # what did not start is not left "enabled"
            ops.state.set_setting(key, value)
        if ops.daemon is not None:
            await ops.daemon.reload()
        raise
    return webmail_status(ops)


@op("webmail.disable")
async def webmail_disable(ops: Operations) -> dict[str, Any]:
    """Stop serving; the users' Roundcube settings (its database) are kept."""
    ops.state.set_setting("webmail.enabled", False)
    await _apply(ops)
    return webmail_status(ops)
