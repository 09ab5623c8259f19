"""The exact commands that open or close a port, per firewall, and reading their status.

Pure functions of the ports: the commands are shown to the admin before
anything runs (``--dry-run``, the GUI's confirmation), and tested as command
lines where ufw and firewalld are not installed.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass

from appliance.firewall import nft
from appliance.firewall.ports import ServicePort

__all__ = ["Step", "plan", "ufw_verdict", "firewalld_verdict", "show"]


@dataclass(frozen=True)
class Step:
    argv: tuple[str, ...]
    stdin: str | None = None  # nft reads its JSON here

    def shell(self) -> str:
        """How an admin would type it (a here-document for the JSON)."""
        text = shlex.join(self.argv)
        if self.stdin is None:
            return text
        return f"{text} <<'EOF'\n{self.stdin}\nEOF"


def show(steps: Iterable[Step]) -> str:
    return "\n".join(s.shell() for s in steps)


def plan(backend: str, action: str, ports: list[ServicePort]) -> list[Step]:
    """The commands that ``action`` (open/close) ``ports`` on ``backend``."""
    if action not in ("open", "close"):
        raise ValueError(f"unknown firewall action {action!r} (open or close)")
    if not ports:
        return []
    if backend == "nftables":
        build = nft.open_ports if action == "open" else nft.close_ports
        return [Step(("nft", "-j", "-f", "-"), nft.document(build(p.port for p in ports)))]
    if backend == "ufw":
        verb = ("allow",) if action == "open" else ("delete", "allow")
        return [Step(("ufw", *verb, str(p))) for p in ports]
    if backend == "firewalld":
        steps = []
        for p in ports:
            what = (f"--{'add' if action == 'open' else 'remove'}-service={p.firewalld_service}"
                    if p.firewalld_service else
                    f"--{'add' if action == 'open' else 'remove'}-port={p}")
            # Runtime and permanent: in force now and after the next reload/boot.
            steps += [Step(("firewall-cmd", what)), Step(("firewall-cmd", "--permanent", what))]
        return steps
    raise ValueError("no firewall found on this box (nft, ufw or firewalld): nothing to "
                     f"{action}; every listening port is reachable unless a router blocks it")


# -- ufw ----------------------------------------------------------------------

_UFW_RULE = re.compile(r"^(?P<to>.+?)\s{2,}(?P<action>ALLOW|DENY|REJECT|LIMIT)(?: IN)?\s+"
                       r"(?P<from>.+?)\s*$")


def _ufw_port_matches(to: str, port: int) -> bool:
    to = to.replace(" (v6)", "").strip()
    spec, _, proto = to.partition("/")
    if proto and proto not in ("tcp",):
        return False
    if " on " in spec:
        spec = spec.split(" on ")[0]
    for part in spec.split(","):
        low, _, high = part.partition(":")
        if (low.isdigit() and (high.isdigit() or not high)
                and int(low) <= port <= int(high or low)):
            return True
    return False


def ufw_verdict(status_verbose: str, port: int) -> tuple[str, str]:
    """(open/closed/limited, why) from ``ufw status verbose``."""
    if "Status: inactive" in status_verbose:
        return "open", "ufw is inactive: it filters nothing"
    m = re.search(r"Default:\s*(\w+) \(incoming\)", status_verbose)
    default = m.group(1) if m else "deny"
    for line in status_verbose.splitlines():
        rule = _UFW_RULE.match(line.strip())
        if not rule or not _ufw_port_matches(rule["to"], port):
            continue
        action, source = rule["action"], rule["from"].replace(" (v6)", "").strip()
        if action in ("ALLOW", "LIMIT"):
            if source == "Anywhere":
                return "open", f"ufw rule: {line.strip()}"
            return "limited", f"ufw allows it only from {source}"
        return "closed", f"ufw rule: {line.strip()}"
    if default == "allow":
        return "open", "ufw's default for incoming is allow"
    return "closed", f"no ufw rule allows {port}/tcp (default incoming: {default})"


# -- firewalld --------------------------------------------------------------------


def firewalld_verdict(services: str, ports: str, port: ServicePort) -> tuple[str, str]:
    """(open/closed, why) from ``firewall-cmd --list-services`` and ``--list-ports``."""
    names = services.split()
    if port.firewalld_service and port.firewalld_service in names:
        return "open", f"firewalld service {port.firewalld_service} is allowed"
    for item in ports.split():
        spec, _, proto = item.partition("/")
        low, _, high = spec.partition("-")
        if proto == "tcp" and low.isdigit() and int(low) <= port.port <= int(high or low):
            return "open", f"firewalld port {item} is allowed"
    return "closed", f"firewalld's zone allows neither the service nor {port}"
