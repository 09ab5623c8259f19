"""The edge where the firewall tools run: probing, reading rules, applying steps.

Commands run as argument lists (never through a shell), each with a
time-out. ``run`` is a parameter so that the tests can run the same code
inside a network namespace of their own.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from appliance.firewall import nft
from appliance.firewall.commands import Step, firewalld_verdict, plan, ufw_verdict
from appliance.firewall.detect import Backend, Probe, choose
from appliance.firewall.ports import ServicePort

__all__ = ["Firewall", "FirewallError", "Runner", "run_command"]

log = logging.getLogger("mailroom.firewall")

Runner = Callable[[Sequence[str], "str | None"], tuple[int, str, str]]
# Firewall tools live in sbin, which an ordinary user's PATH often lacks.
_SBIN = ("/usr/local/sbin", "/usr/sbin", "/sbin")


class FirewallError(Exception):
    """A firewall command failed; the message says which and why."""


def run_command(argv: Sequence[str], stdin: str | None = None,
                timeout: float = 20.0) -> tuple[int, str, str]:
    try:
        done = subprocess.run(list(argv), input=stdin, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except FileNotFoundError:
        return 127, "", f"{argv[0]}: command not found"
    except subprocess.TimeoutExpired:
        return 124, "", f"{argv[0]} did not answer within {timeout:.0f} s"
    return done.returncode, done.stdout, done.stderr


def _which(name: str) -> str | None:
    path = os.pathsep.join([os.environ.get("PATH", ""), *_SBIN])
    return shutil.which(name, path=path)


def _needs_root(err: str) -> str:
    if "not permitted" in err.lower() or "permission denied" in err.lower():
        return " (reading the firewall needs root: sudo mailroom firewall status)"
    return ""


class Firewall:
    def __init__(self, run: Runner | None = None,
                 which: Callable[[str], str | None] = _which) -> None:
        self.run = run or run_command
        self.which = which

    def probe(self) -> Probe:
        ufw, firewalld = bool(self.which("ufw")), bool(self.which("firewall-cmd"))
        return Probe(
            nft=bool(self.which("nft")), ufw=ufw, firewalld=firewalld,
            ufw_active=ufw and "Status: active" in self.run(["ufw", "status"], None)[1],
            firewalld_running=firewalld and self.run(["firewall-cmd", "--state"], None)[0] == 0,
        )

    def backend(self) -> Backend:
        return choose(self.probe())

    # -- reading ------------------------------------------------------------

    def ruleset(self) -> dict[str, Any]:
        rc, out, err = self.run(["nft", "-j", "list", "ruleset"], None)
        if rc != 0:
            raise FirewallError(f"nft list ruleset failed: {err.strip()}{_needs_root(err)}")
        try:
            return dict(json.loads(out or '{"nftables": []}'))
        except ValueError as exc:
            raise FirewallError(f"nft list ruleset gave no JSON: {exc}") from exc

    def table_exists(self) -> bool:
        return self.run(["nft", "-j", "list", "table", nft.FAMILY, nft.TABLE], None)[0] == 0

    def status(self, ports: list[ServicePort]) -> dict[str, Any]:
        """For each port: open/closed/limited/unknown and why, read-only."""
        backend = self.backend()
        rows: list[dict[str, Any]] = []
        note = ""

        def row(p: ServicePort, state: str, why: str) -> None:
            rows.append({"service": p.name, "port": p.port, "protocol": p.protocol,
                         "state": state, "why": why})

        table = False
        if backend.name == "none" or not backend.active:
            for p in ports:
                row(p, "open", "nothing filters it" if backend.name == "none"
                    else f"{backend.name} is not active")
        elif backend.name == "nftables":
            try:
                rules = self.ruleset()
            except FirewallError as exc:
                note = str(exc)
                for p in ports:
                    row(p, "unknown", note)
            else:
                table = nft.has_table(rules)
                opened = {e if isinstance(e, int) else None
                          for e in nft.set_elements(rules, nft.OPEN_SET)}
                for p in ports:
                    verdict = nft.port_verdict(rules, p.port)
                    why = verdict.why
                    if verdict.state != "open" and p.port in opened:
                        why += (" (Mailroom's table accepts it, but a drop in any table wins: "
                                f"allow tcp dport {p.port} in that chain too)")
                    row(p, verdict.state, why)
        elif backend.name == "ufw":
            rc, out, err = self.run(["ufw", "status", "verbose"], None)
            for p in ports:
                row(p, *(ufw_verdict(out, p.port) if rc == 0 else
                         ("unknown", f"ufw status failed: {err.strip()}{_needs_root(err)}")))
        else:
            rc1, services, err1 = self.run(["firewall-cmd", "--list-services"], None)
            rc2, listed, err2 = self.run(["firewall-cmd", "--list-ports"], None)
            for p in ports:
                row(p, *(firewalld_verdict(services, listed, p) if rc1 == rc2 == 0 else
                         ("unknown", f"firewall-cmd failed: {(err1 or err2).strip()}")))
        return {"backend": backend.name, "active": backend.active,
                "description": backend.describe(), "note": note, "table": table,
                "ports": rows}

    # -- changing --------------------------------------------------------------

    def plan(self, action: str, ports: list[ServicePort]) -> tuple[Backend, list[Step]]:
        backend = self.backend()
        if backend.name != "none" and not backend.active:
            raise ValueError(f"{backend.name} is installed but not active: it filters "
                             f"nothing, so there is nothing to {action}")
        return backend, plan(backend.name, action, ports)

    def apply(self, steps: Iterable[Step]) -> list[str]:
        """Run each step in order; stop at the first that fails. Returns what ran."""
        done = []
        for step in steps:
            rc, _, err = self.run(step.argv, step.stdin)
            if rc != 0:
                hint = "" if os.geteuid() == 0 else " (changing the firewall needs root)"
                raise FirewallError(f"{step.argv[0]} failed (exit {rc}): {err.strip()}{hint}"
                                    + (f"; already done: {', '.join(done)}" if done else ""))
            done.append(" ".join(step.argv))
            log.info("firewall: ran %s", " ".join(step.argv))
        return done

    def _nft(self, commands: list[dict[str, Any]]) -> None:
        rc, _, err = self.run(["nft", "-j", "-f", "-"], nft.document(commands))
        if rc != 0:
            raise FirewallError(f"nft failed: {err.strip()}")

    def sync_bans(self, bans: Iterable[tuple[str, float]], now: float | None = None) -> int:
        """Put bans in force ({key: until}) into Mailroom's sets; the table must exist."""
        now = time.time() if now is None else now
        commands = [c for key, until in bans if until > now
                    for c in nft.ban(key, until - now)]
        if commands:
            self._nft(commands)
        return len(commands) // 3

    def ban_changed(self, key: str, until: float | None) -> bool:
        """Follow one ban or unban in the sets, when Mailroom's table exists."""
        if not self.which("nft") or not self.table_exists():
            return False
        if until is None:
            self._nft(nft.unban(key))
        else:
            self._nft(nft.ban(key, until - time.time()))
        return True
