"""Which ports the firewall must let in: the daemon's enabled listeners, as configured."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ServicePort", "service_ports", "select"]

# firewalld ships a service definition for each of these standard ports.
FIREWALLD_SERVICES = {
    ("smtp", 25): "smtp", ("submission", 587): "smtp-submission", ("smtps", 465): "smtps",
    ("pop3", 110): "pop3", ("pop3s", 995): "pop3s", ("imap", 143): "imap",
    ("imaps", 993): "imaps", ("managesieve", 4190): "managesieve",
}


@dataclass(frozen=True)
class ServicePort:
    name: str  # the service, as in its settings: smtp, submission, imaps ...
    port: int
    protocol: str = "tcp"

    @property
    def firewalld_service(self) -> str | None:
        return FIREWALLD_SERVICES.get((self.name, self.port))

    def __str__(self) -> str:
        return f"{self.port}/{self.protocol}"


def service_ports(settings: Mapping[str, Any], offset: int = 0,
                  running: Iterable[Mapping[str, Any]] | None = None) -> list[ServicePort]:
    """Every enabled listener's port.

    A listener is a setting pair ``NAME.enabled`` + ``NAME.port``. ``running``:
    the daemon's own service list (its ports already carry ``--port-offset``);
    it wins over the settings because those are the ports really bound.
    """
    names = [k[:-8] for k in settings if k.endswith(".enabled") and f"{k[:-8]}.port" in settings]
    live = {str(s["name"]): int(s["port"]) for s in running or ()}
    out = []
    for name in names:
        if not settings[f"{name}.enabled"]:
            continue
        out.append(ServicePort(name, live.get(name, int(settings[f"{name}.port"]) + offset)))
    return out


def select(ports: list[ServicePort], wanted: str) -> list[ServicePort]:
    """The ports ``wanted`` names: a service name, ``all``, or a port number."""
    key = wanted.strip().lower()
    if key == "all":
        return list(ports)
    found = [p for p in ports if p.name == key or str(p.port) == key]
    if not found:
        names = ", ".join(p.name for p in ports) or "none enabled"
        raise ValueError(f"no enabled service {wanted!r} (services: {names}, or all)")
    return found
