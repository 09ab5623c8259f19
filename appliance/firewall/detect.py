"""Which firewall this box uses: pure logic over what is installed and running."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Probe", "Backend", "choose"]


@dataclass(frozen=True)
class Probe:
    """What was found: each tool on the PATH, and whether ufw/firewalld are switched on."""

    nft: bool = False
    ufw: bool = False
    firewalld: bool = False
    ufw_active: bool = False
    firewalld_running: bool = False


@dataclass(frozen=True)
class Backend:
    name: str  # nftables, ufw, firewalld, none
    active: bool  # False: installed but filtering nothing (ufw disabled, firewalld stopped)

    def describe(self) -> str:
        if self.name == "none":
            return ("no firewall found (no nft, ufw or firewalld): nothing on this box "
                    "filters incoming connections")
        if not self.active:
            return f"{self.name} is installed but not active: it filters nothing"
        return {"nftables": "nftables (rules read with nft list ruleset; Mailroom's own "
                            "rules live in table inet mailroom)",
                "ufw": "ufw (active)", "firewalld": "firewalld (running)"}[self.name]


def choose(probe: Probe) -> Backend:
    """The firewall that decides: a running front end (firewalld, ufw) over plain nftables.

    firewalld and ufw write their own nftables/iptables rules and rewrite
    them on reload, so where one is on, ports are opened through it. An
    installed but switched-off front end filters nothing: plain nftables
    (when present) is what counts then.
    """
    if probe.firewalld and probe.firewalld_running:
        return Backend("firewalld", True)
    if probe.ufw and probe.ufw_active:
        return Backend("ufw", True)
    if probe.nft:
        return Backend("nftables", True)
    if probe.ufw:
        return Backend("ufw", False)
    if probe.firewalld:
        return Backend("firewalld", False)
    return Backend("none", False)
