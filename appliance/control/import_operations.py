"""Control operations for the access list (access.*) and the sendmail import (import.sendmail.*).

Registered into :data:`appliance.control.operations.OPERATIONS` when that
module is imported. The import applies its plan as ordinary operations, one
after another, so the state store stays the one writer and each change is
checked as if typed at the command line.
"""

from __future__ import annotations

from typing import Any

from appliance.control.operations import OPERATIONS, Operations, op
from appliance.importer import Snapshot, plan_import, read_setup
from appliance.importer.sendmail import Plan
from appliance.state import StateError

__all__: list[str] = []


@op("access.list")
def access_list(ops: Operations) -> list[dict[str, Any]]:
    return [r.as_dict() for r in ops.state.access_rules()]


@op("access.add")
def access_add(ops: Operations, kind: str, key: str, action: str, reply: str = "",
               note: str = "") -> dict[str, Any]:
    """One rule: a client network or a sender (address, user@, domain) and reject /
    discard / ok / error (with ``reply``, e.g. "550 5.7.1 No thanks")."""
    return ops.state.add_access(kind, key, action, reply, note).as_dict()


@op("access.del")
def access_del(ops: Operations, kind: str, key: str) -> None:
    ops.state.delete_access(kind, key)


def _snapshot(ops: Operations) -> Snapshot:
    s = ops.state
    return Snapshot(domains=s.domains(), domain_aliases=s.domain_aliases(),
                    accounts=[a.address for a in s.accounts()], aliases=s.aliases(),
                    relay=s.relay_networks(),
                    access=[(r.kind, r.key) for r in s.access_rules()])


def _converter() -> Any:
    try:
        from appliance.sieve.procmail import convert  # engineer S's converter, when it is there
    except ImportError:
        return None
    return convert


def _plan(ops: Operations, directory: str, home_root: str | None) -> Plan:
    try:
        files = read_setup(directory, home_root or None)
    except OSError as exc:
        raise StateError(f"cannot read the sendmail setup: {exc}", "directory") from exc
    return plan_import(files, _snapshot(ops), _converter())


@op("import.sendmail.plan")
def import_sendmail_plan(ops: Operations, directory: str,
                         home_root: str | None = None) -> dict[str, Any]:
    """What ``import.sendmail.apply`` would change, and each line it cannot carry (a dry run)."""
    return _plan(ops, directory, home_root).as_dict()


@op("import.sendmail.apply")
async def import_sendmail_apply(ops: Operations, directory: str,
                                home_root: str | None = None) -> dict[str, Any]:
    """Make the plan's changes, each through its own operation; a refused one is reported
    and the others still made."""
    plan = _plan(ops, directory, home_root)
    applied: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    warnings: list[str] = []
    for change in plan.changes:
        if change.op not in OPERATIONS:
            failed.append({"text": change.text, "source": change.source,
                           "error": f"this Mailroom has no {change.op} operation"})
            continue
        try:
            result = await ops.call(change.op, dict(change.args))
        except StateError as exc:
            failed.append({"text": change.text, "source": change.source, "error": exc.message})
            continue
        applied.append({"text": change.text, "source": change.source})
        if isinstance(result, dict):  # e.g. relay.add: a public network, a NAT gateway
            warnings += [f"{change.source}: {w}" for w in result.get("warnings") or []]
    out = plan.as_dict()
    out.update(applied=applied, failed=failed, warnings=warnings)
    return out
