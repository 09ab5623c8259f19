"""Control operations for Sieve filters and out-of-office replies.

``filter.*``: an account's scripts (show, get, set, check, import-procmail,
the rule editor's rows) and the global before script; ``vacation.*``: the
out-of-office reply. They work on the data directory, so they run the same
in the daemon and in-process when none runs (the daemon reads the scripts
from disk at each delivery, by mtime).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from appliance.control.operations import Operations, op
from appliance.sieve import SieveError, check
from appliance.sieve import absence as absences
from appliance.sieve.filter import (
    BEFORE_SCRIPT,
    before_script_path,
    ensure_before_script,
)
from appliance.sieve.procmail import convert, merge
from appliance.sieve.rules import Rule, from_sieve, to_sieve
from appliance.sieve.storage import ScriptStore
from appliance.state import StateError

__all__: list[str] = []

DEFAULT_NAME = "main"
PROCMAIL_NAME = "procmail"


def _account(ops: Operations, address: str) -> tuple[str, Path]:
    """The account's own address and its home; StateError for no such account."""
    wanted = address.strip().lower()
    account = ops.state.account(wanted)
    # Through a domain alias is the same mailbox; a postmaster stand-in is not an account.
    if account is None or account.local != wanted.rpartition("@")[0]:
        raise StateError(f"no account {wanted}", "address")
    return account.address, ops.store.maildir(account.address)


def _refused(exc: SieveError, field: str = "script") -> StateError:
    return StateError(str(exc), field)


@op("filter.show")
def filter_show(ops: Operations, address: str) -> dict[str, Any]:
    """The account's scripts, the active one's text, its rule rows, and the absence."""
    addr, home = _account(ops, address)
    store = ScriptStore(home)
    active = store.active()
    text = store.get(active) if active else ""
    rules = from_sieve(text) if active else []
    vacation = absences.load(home)
    return {
        "address": addr,
        "scripts": [{"name": n, "active": a} for n, a in store.list()],
        "active": active,
        "script": text,
        "rules": None if rules is None else [asdict(r) for r in rules],
        "vacation": None if vacation is None else asdict(vacation),
    }


@op("filter.get")
def filter_get(ops: Operations, address: str, name: str) -> str:
    _, home = _account(ops, address)
    try:
        return ScriptStore(home).get(name)
    except SieveError as exc:
        raise _refused(exc, "name") from None


@op("filter.check")
def filter_check(ops: Operations, script: str) -> dict[str, Any]:
    """Whether ``script`` can be saved: {ok, line, message} (line None where unknown)."""
    try:
        check(script)
    except SieveError as exc:
        return {"ok": False, "line": exc.line, "message": exc.message}
    return {"ok": True, "line": None, "message": ""}


@op("filter.set")
def filter_set(ops: Operations, address: str, script: str, name: str = DEFAULT_NAME,
               activate: bool = True) -> dict[str, Any]:
    """Store ``script`` as the account's script ``name`` (and make it the active one).
    A script that does not parse is refused with its line and reason."""
    addr, home = _account(ops, address)
    store = ScriptStore(home)
    try:
        store.put(name, script)
        if activate:
            store.activate(name)
    except SieveError as exc:
        raise _refused(exc) from None
    return {"address": addr, "name": name, "active": store.active()}


@op("filter.rules.set")
def filter_rules_set(ops: Operations, address: str, rules: list[dict[str, Any]],
                     name: str = DEFAULT_NAME) -> dict[str, Any]:
    """The rule editor's rows as the account's active script; returns the script too."""
    try:
        script = to_sieve([Rule(**{k: str(v) for k, v in row.items()
                                   if k in Rule.__dataclass_fields__}) for row in rules])
    except SieveError as exc:
        raise _refused(exc, "rules") from None
    result = filter_set(ops, address, script, name)
    result["script"] = script
    return result


@op("filter.rules.preview")
def filter_rules_preview(ops: Operations, rules: list[dict[str, Any]]) -> dict[str, Any]:
    """The script the rows would make, without storing it: {ok, script, message}."""
    try:
        script = to_sieve([Rule(**{k: str(v) for k, v in row.items()
                                   if k in Rule.__dataclass_fields__}) for row in rules])
    except SieveError as exc:
        return {"ok": False, "script": "", "message": exc.message}
    return {"ok": True, "script": script, "message": ""}


@op("filter.import_procmail")
def filter_import_procmail(ops: Operations, address: str, text: str,
                           source: str = ".procmailrc") -> dict[str, Any]:
    """Convert ``.procmailrc`` recipes and put them into the account's filters.

    With no active script they become the active script ``procmail``; with
    one, they are added after its own rules (a second import replaces the
    first one's block), so the user's rules still come first. Recipes that
    cannot be converted (pipes and the like) are listed in ``problems``;
    nothing is stored when no recipe converted.
    """
    addr, home = _account(ops, address)
    converted, problems = convert(text)
    rules = sum(1 for line in converted.splitlines() if line.startswith("# procmail recipe"))
    store = ScriptStore(home)
    active = store.active()
    result: dict[str, Any] = {"address": addr, "converted": converted, "problems": problems,
                              "recipes": rules, "stored_as": None, "merged": False}
    if rules == 0:
        return result
    try:
        if active is None:
            store.put(PROCMAIL_NAME, converted)
            store.activate(PROCMAIL_NAME)
            result["stored_as"] = PROCMAIL_NAME
        else:
            store.put(active, merge(store.get(active), converted, source))
            result["stored_as"], result["merged"] = active, True
    except SieveError as exc:
        raise _refused(exc) from None
    result["script"] = store.get(result["stored_as"])
    return result


@op("filter.global.show")
def filter_global_show(ops: Operations) -> dict[str, Any]:
    """The global before script (runs before every account's filters)."""
    path = before_script_path(ops.home.root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = BEFORE_SCRIPT
    return {"path": str(path), "script": text}


@op("filter.global.set")
def filter_global_set(ops: Operations, script: str) -> dict[str, Any]:
    try:
        check(script)
    except SieveError as exc:
        raise _refused(exc) from None
    path = ensure_before_script(ops.home.root)
    tmp = path.with_name(".before.set.tmp")
    tmp.write_text(script, encoding="utf-8")
    tmp.replace(path)
    return {"path": str(path), "script": script}


@op("vacation.show")
def vacation_show(ops: Operations, address: str) -> dict[str, Any]:
    addr, home = _account(ops, address)
    current = absences.load(home)
    script = (home / ".mailroom-vacation.sieve")
    return {"address": addr, "on": current is not None,
            "vacation": None if current is None else asdict(current),
            "script": script.read_text(encoding="utf-8") if script.exists() else ""}


@op("vacation.on")
def vacation_on(ops: Operations, address: str, text: str, subject: str | None = None,
                start: str | None = None, until: str | None = None, days: int = 7,
                addresses: list[str] | None = None) -> dict[str, Any]:
    """Switch the out-of-office reply on (between ``start`` and ``until``, if given)."""
    addr, home = _account(ops, address)
    absence = absences.Absence(text, subject or None, start or None, until or None, int(days),
                               list(addresses or []))
    try:
        absences.save(home, absence)
    except SieveError as exc:
        raise _refused(exc, "text") from None
    return vacation_show(ops, addr)


@op("vacation.off")
def vacation_off(ops: Operations, address: str) -> dict[str, Any]:
    addr, home = _account(ops, address)
    absences.remove(home)
    return vacation_show(ops, addr)
