"""A tiny in-memory directory (domains, accounts, aliases) for policy and expansion tests.

It has the shape of ``appliance.aliases.expand.Directory``, which the state
store implements for the daemon.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Acct", "Dir", "Fwd"]


@dataclass(frozen=True)
class Fwd:
    """A forward as the Directory protocol describes it."""

    targets: tuple[str, ...]
    keep_copy: bool = False


@dataclass(frozen=True)
class Acct:
    """An account as the Directory protocol describes it."""

    address: str
    enabled: bool = True
    quota_bytes: int = 0
    forward: Fwd | None = None


@dataclass
class Dir:
    """A tiny in-memory Directory with helpers to fill it."""

    domains: set[str] = field(default_factory=lambda: {"example.test"})
    accounts: dict[str, Acct] = field(default_factory=dict)
    aliases: dict[str, list[str]] = field(default_factory=dict)
    # Other names of a domain ({alias: domain}), answered for as the state store does.
    domain_aliases: dict[str, str] = field(default_factory=dict)

    def is_local_domain(self, domain: str) -> bool:
        return domain.lower() in self.domains or domain.lower() in self.domain_aliases

    def _canonical(self, address: str) -> str:
        local, _, domain = address.lower().rpartition("@")
        return f"{local}@{self.domain_aliases.get(domain, domain)}"

    def account(self, address: str) -> Acct | None:
        return self.accounts.get(self._canonical(address))

    def alias_targets(self, address: str) -> list[str] | None:
        return self.aliases.get(self._canonical(address))

    def users(self, *locals_: str, domain: str = "example.test") -> None:
        for local in locals_:
            address = f"{local}@{domain}"
            self.accounts[address] = Acct(address)

    def forward(self, local: str, *targets: str, keep: bool = False) -> None:
        address = f"{local}@example.test"
        self.accounts[address] = Acct(address, forward=Fwd(tuple(targets), keep))
