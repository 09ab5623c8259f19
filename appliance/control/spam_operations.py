"""Control operations for spam scoring and virus scanning: spam.show, spam.status, virus.test.

Registered into :data:`appliance.control.operations.OPERATIONS` when that
module is imported. The settings themselves change through settings.set /
settings.set_many like every other setting.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from appliance import virus
from appliance.control.operations import Operations, op
from appliance.state import StateError
from appliance.state.settings import SETTINGS, mask

__all__ = ["SPAM_KEYS"]

SPAM_KEYS = [k for k in SETTINGS if k.startswith(("spam.", "virus."))]
MAX_TEST_FILE = 64 * 1024 * 1024


def _warnings(ops: Operations) -> list[str]:
    screening = getattr(ops.daemon, "screening", None)
    return screening.current_warnings() if screening is not None else []


@op("spam.show")
def spam_show(ops: Operations) -> dict[str, Any]:
    """The spam and virus settings (secrets masked) and the daemon's current warnings."""
    values = ops.state.settings()
    return {
        "settings": [{"key": k, "value": mask(k, values[k]), "default": SETTINGS[k].default,
                      "help": SETTINGS[k].help} for k in SPAM_KEYS],
        "warnings": _warnings(ops),
    }


@op("spam.status")
async def spam_status(ops: Operations) -> dict[str, Any]:
    """Whether rspamd and clamd answer (each asked even while switched off, for the Test button)."""
    from appliance.spam import rspamd  # aiohttp: half a second every CLI command would pay

    s = ops.state.settings()
    config = virus.config_from_settings(s)
    timeout = min(float(s["spam.rspamd_timeout"]), 5.0)
    scanner = {"url": s["spam.rspamd_url"], "configured": bool(s["spam.rspamd_url"]),
               "reachable": False, "error": "not configured (spam.rspamd_url is empty)"}
    learning = {"url": s["spam.rspamd_controller_url"], "reachable": False, "error": ""}
    clamd = virus.ping(virus.ClamdConfig(config.address, min(config.timeout, 5.0)))
    if scanner["configured"]:
        pings = await asyncio.gather(rspamd.ping(s["spam.rspamd_url"], timeout),
                                     rspamd.ping(s["spam.rspamd_controller_url"], timeout),
                                     clamd)
        scanner.update(pings[0])
        learning.update(pings[1])
        clamd_state = pings[2]
    else:
        clamd_state = await clamd
    return {
        "spam_enabled": bool(s["spam.enabled"]),
        "rspamd": scanner,
        "rspamd_controller": learning,
        "clamd": {"address": config.address, "enabled": bool(s["virus.enabled"]),
                  **clamd_state},
        "warnings": _warnings(ops),
    }


@op("virus.test")
async def virus_test(ops: Operations, data: str = "") -> dict[str, Any]:
    """Scan ``data`` (base64; the caller reads its own file) or the EICAR test string."""
    if data:
        try:
            raw = base64.b64decode(data, validate=True)
        except ValueError as exc:
            raise StateError("data is not base64", "data") from exc
        if len(raw) > MAX_TEST_FILE:
            raise StateError(f"larger than {MAX_TEST_FILE // 1024 // 1024} MB", "data")
        what = f"{len(raw)} bytes"
    else:
        raw, what = virus.EICAR, "the EICAR test string"
    s = ops.state.settings()
    config = virus.config_from_settings(s)
    # A test file may be larger than mail: scan it whole.
    result = await virus.scan(virus.ClamdConfig(config.address, config.timeout, MAX_TEST_FILE),
                              raw)
    return {"scanned": what, "clamd": config.address, "enabled": bool(s["virus.enabled"]),
            "status": result.status, "signature": result.signature, "error": result.error}
