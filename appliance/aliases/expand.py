"""Recipient expansion: aliases, groups, forwards, catch-all.

Pure logic over a small directory interface so that tests can call it with
plain dictionaries; the daemon passes the state store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["Directory", "Expansion", "expand", "ERROR_PREFIX", "MAX_DEPTH"]

ERROR_PREFIX = ":error:"
MAX_DEPTH = 20


class _Forward(Protocol):
    targets: tuple[str, ...]
    keep_copy: bool


class _Account(Protocol):
    address: str
    enabled: bool
    quota_bytes: int

    @property
    def forward(self) -> _Forward | None: ...


class Directory(Protocol):
    def is_local_domain(self, domain: str) -> bool: ...
    def account(self, address: str) -> _Account | None: ...
    def alias_targets(self, address: str) -> list[str] | None: ...


@dataclass
class Expansion:
    """Where one envelope recipient's mail goes."""

    mailboxes: list[str] = field(default_factory=list)  # local account addresses
    remote: list[str] = field(default_factory=list)  # outside addresses
    errors: list[tuple[str, str]] = field(default_factory=list)  # (address, SMTP reply)

    def add(self, other: Expansion) -> None:
        for mbox in other.mailboxes:
            if mbox not in self.mailboxes:
                self.mailboxes.append(mbox)
        for addr in other.remote:
            if addr not in self.remote:
                self.remote.append(addr)
        self.errors.extend(other.errors)


def expand(address: str, directory: Directory) -> Expansion:
    """Expand ``address`` to the mailboxes and outside addresses it reaches.

    Aliases nest; a loop (an alias reached again on the same path) is cut
    there. An account whose forward leads back to itself keeps the mail in
    its own mailbox, so a forwarding loop never loses a message.
    """
    result = Expansion()
    _expand(address.lower(), directory, result, (), 0)
    return result


def _expand(
    address: str, d: Directory, out: Expansion, path: tuple[str, ...], depth: int
) -> None:
    if depth > MAX_DEPTH:
        out.errors.append((address, "554 5.4.6 Too many levels of aliases"))
        return
    local, _, domain = address.rpartition("@")
    if not d.is_local_domain(domain):
        if address not in out.remote:
            out.remote.append(address)
        return
    account = d.account(address)
    if account is not None:
        if not account.enabled:
            out.errors.append((address, "550 5.2.1 Mailbox disabled"))
            return
        # The directory answers for every name of the domain (domain aliases):
        # the mailbox, and the loop check, go by the account's own address.
        mailbox = account.address.lower()
        fwd = account.forward
        if fwd is None or mailbox in path:
            if mailbox not in out.mailboxes:
                out.mailboxes.append(mailbox)
            return
        if fwd.keep_copy and mailbox not in out.mailboxes:
            out.mailboxes.append(mailbox)
        for target in fwd.targets:
            _expand(target, d, out, (*path, mailbox), depth + 1)
        return
    targets = d.alias_targets(address)
    if targets is None:
        targets = d.alias_targets(f"@{domain}")  # catch-all
    if targets is None:
        out.errors.append((address, "550 5.1.1 Recipient address rejected: User unknown"))
        return
    if address in path:
        return  # alias loop: this branch adds nothing new
    for target in targets:
        if target.startswith(ERROR_PREFIX):
            out.errors.append((address, target[len(ERROR_PREFIX):].strip()))
        else:
            _expand(target, d, out, (*path, address), depth + 1)
