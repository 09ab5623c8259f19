"""Control operations for firewall ports: firewall.status, firewall.plan, firewall.apply.

Registered into :data:`appliance.control.operations.OPERATIONS` when that
module is imported. The firewall tools run in a worker thread: the daemon's
loop never waits on a subprocess.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from appliance.control.operations import Operations, op
from appliance.firewall import Firewall, FirewallError, ServicePort, select, service_ports
from appliance.state import StateError

__all__: list[str] = []

T = TypeVar("T")


def _firewall(ops: Operations) -> Firewall:
    # A test (or a daemon in a namespace) may hand its own runner to the daemon.
    fw = getattr(ops.daemon, "firewall", None)
    return fw if isinstance(fw, Firewall) else Firewall()


def _ports(ops: Operations) -> list[ServicePort]:
    running = ops.daemon.status()["services"] if ops.daemon is not None else None
    return service_ports(ops.state.settings(), running=running)


async def _off_loop(fn: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(None, fn)


def _chosen(ports: list[ServicePort], service: str) -> list[ServicePort]:
    try:
        return select(ports, service)
    except ValueError as exc:
        raise StateError(str(exc), "service") from exc


@op("firewall.status")
async def firewall_status(ops: Operations) -> dict[str, Any]:
    """Which firewall, and for every enabled listener whether it lets new connections in."""
    ports = _ports(ops)
    fw = _firewall(ops)
    return await _off_loop(lambda: fw.status(ports))


def _plan(ports: list[ServicePort], fw: Firewall, action: str, service: str
          ) -> dict[str, Any]:
    ports = _chosen(ports, service)
    try:
        backend, steps = fw.plan(action, ports)
    except ValueError as exc:
        raise StateError(str(exc), "service") from exc
    return {"backend": backend.name, "action": action,
            "ports": [{"service": p.name, "port": p.port} for p in ports],
            "commands": [s.shell() for s in steps], "steps": steps}


@op("firewall.plan")
async def firewall_plan(ops: Operations, action: str, service: str) -> dict[str, Any]:
    """The exact commands ``firewall.apply`` would run; nothing is changed."""
    fw, ports = _firewall(ops), _ports(ops)  # the daemon's status is read on its loop
    out = await _off_loop(lambda: _plan(ports, fw, action, service))
    out.pop("steps")
    return out


@op("firewall.apply")
async def firewall_apply(ops: Operations, action: str, service: str) -> dict[str, Any]:
    """Open or close the service's port; returns the commands run and the status after."""
    fw, ports = _firewall(ops), _ports(ops)
    bans = [(b.key, b.until) for b in ops._bans().active()]

    def run() -> dict[str, Any]:
        out = _plan(ports, fw, action, service)
        try:
            fw.apply(out.pop("steps"))
            if out["backend"] == "nftables" and action == "open":
                fw.sync_bans(bans)  # a new table starts with the bans in force
        except FirewallError as exc:
            raise StateError(str(exc), "service") from exc
        out["status"] = fw.status(ports)
        return out

    return await _off_loop(run)
