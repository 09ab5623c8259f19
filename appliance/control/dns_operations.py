"""Control operations for DKIM keys and the DNS records: dkim.show/rotate, dns.records/check.

Registered into :data:`appliance.control.operations.OPERATIONS` when that
module is imported; each takes the :class:`Operations` instance first.
"""

from __future__ import annotations

import asyncio
from typing import Any

from appliance.control.operations import Operations, op
from appliance.dkim import DkimStore
from appliance.state import StateError

__all__: list[str] = []


def _dkim(ops: Operations) -> DkimStore:
    # The daemon's own store when it runs: one lock for key making and rotation.
    store = getattr(ops.daemon, "dkim", None)
    return store if isinstance(store, DkimStore) else DkimStore(ops.state.secrets)


def _real_domain(ops: Operations, domain: str) -> str:
    canonical = ops.state.canonical_domain(domain.strip())
    if canonical is None:
        raise StateError(f"{domain.strip().lower()} is not one of this server's domains",
                         "domain")
    return canonical


@op("dkim.show")
def dkim_show(ops: Operations, domain: str) -> dict[str, Any]:
    """The domain's keys (selectors, states, public records); never a private key."""
    real = _real_domain(ops, domain)
    name = domain.strip().lower().rstrip(".")
    ring = _dkim(ops).ensure(real)
    return {"domain": name, "keys_of": real,
            "keys": [k.public_view(name) for k in sorted(
                ring.keys, key=lambda k: (k.created, k.algorithm != "rsa"))]}


@op("dkim.rotate")
def dkim_rotate(ops: Operations, domain: str, now: bool = False) -> dict[str, Any]:
    """New keys: they sign once their record is seen in DNS (dns check), or at once."""
    real = _real_domain(ops, domain)
    _dkim(ops).rotate(real, now=now)
    return dkim_show(ops, domain)


@op("dns.records")
def dns_records(ops: Operations, domain: str = "") -> dict[str, Any]:
    from appliance.dns.records import records_for

    return records_for(ops.state, _dkim(ops), domain)


@op("dns.check")
async def dns_check(ops: Operations, domain: str = "") -> dict[str, Any]:
    """Look every record up (off the event loop); the daemon's watch learns the result."""
    from appliance.dns.check import check_published

    loop = asyncio.get_running_loop()
    summary = await loop.run_in_executor(None, check_published, ops.state, _dkim(ops), domain)
    watch = getattr(ops.daemon, "dns_watch", None)
    if watch is not None and not domain:
        watch.update(summary)
    return summary


@op("dns.status")
def dns_status(ops: Operations) -> dict[str, Any] | None:
    """The daemon's last periodic check (None before the first), with its warnings."""
    watch = getattr(ops.daemon, "dns_watch", None)
    if watch is None or watch.last is None:
        return None
    return {**watch.last, "warnings": list(watch.warnings)}
