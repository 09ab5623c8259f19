"""Control operation ``doctor.run``: every check of :mod:`appliance.doctor`, with its fix.

Registered into :data:`appliance.control.operations.OPERATIONS` when that
module is imported.
"""

from __future__ import annotations

import asyncio
from typing import Any

from appliance.control.operations import Operations, op

__all__: list[str] = []


@op("doctor.run")
async def doctor_run(ops: Operations) -> dict[str, Any]:
    """Run the checks off the event loop (network probes wait a few seconds at most)."""
    from appliance.control.tls_operations import certificate_path
    from appliance.doctor import diagnose, summarize

    settings = ops.state.settings()

    def entries() -> list[tuple[str, float]]:
        return [(queue, env.arrival) for queue, env, _ in ops.spool.entries()]

    loop = asyncio.get_running_loop()
    findings = await loop.run_in_executor(
        None, diagnose, settings, ops.home.root, certificate_path(ops), ops.home.tls, entries)
    return summarize(findings)
