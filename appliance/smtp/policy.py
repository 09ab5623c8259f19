"""Recipient and sender policy: the decisions behind MAIL FROM and RCPT TO.

Plain functions over plain inputs, so every relay trick can be tested
without a socket. The rule is Postfix's ``reject_unauth_destination``:
mail is accepted for this server's own domains, and for anywhere else only
from a listed network or an authenticated client.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from appliance.addresses import Address, AddressError, parse_path
from appliance.aliases import Directory, expand
from appliance.state.relay import RelayEntry, normalize_relay

__all__ = ["Verdict", "check_recipient", "check_sender", "in_networks"]


@dataclass(frozen=True)
class Verdict:
    reply: str  # the full SMTP reply to send
    address: str | None = None  # normalised recipient when accepted

    @property
    def accepted(self) -> bool:
        return self.reply.startswith("250")


def in_networks(ip: str, networks: Iterable[str]) -> bool:
    """Is ``ip`` in a relay network? An exclusion (``!net``) that holds it wins over any."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    inside = False
    for text in networks:
        entry = _entry(text)
        if entry is not None and addr in entry.network:
            if entry.excluded:
                return False
            inside = True
    return inside


@functools.lru_cache(maxsize=1024)
def _entry(text: str) -> RelayEntry | None:
    try:
        return normalize_relay(text)
    except ValueError:
        return None  # a bad entry grants nothing; it must not stop the check


def check_sender(path: str) -> tuple[str, str | None]:
    """(reply, normalised sender); "" is the null sender."""
    try:
        addr = parse_path(path)
    except AddressError as exc:
        return f"501 5.1.7 Bad sender address syntax ({exc})", None
    if addr is None:
        return "250 2.1.0 Ok", ""
    return "250 2.1.0 Ok", _plain(addr)


def check_recipient(
    path: str,
    *,
    directory: Directory,
    may_relay: bool,
    usage_of: Callable[[str], int] | None = None,
) -> Verdict:
    """Decide RCPT TO. ``may_relay``: the client is in a relay network or authenticated."""
    try:
        addr = parse_path(path)
    except AddressError as exc:
        return Verdict(f"501 5.1.3 Bad recipient address syntax ({exc})")
    if addr is None:
        return Verdict("501 5.1.3 Bad recipient address syntax")
    shown = f"<{path.strip().strip('<>')}>"
    local_domain = not addr.literal and directory.is_local_domain(addr.domain)
    if addr.has_relay_trick:
        if may_relay and not local_domain and not _hides_route(addr):
            return Verdict("250 2.1.5 Ok", _plain(addr))
        if local_domain and may_relay:
            return Verdict(f"550 5.1.1 {shown}: Recipient address rejected: User unknown")
        return Verdict(f"554 5.7.1 {shown}: Relay access denied")
    if not local_domain:
        if may_relay:
            return Verdict("250 2.1.5 Ok", _plain(addr))
        return Verdict(f"554 5.7.1 {shown}: Relay access denied")
    address = _plain(addr).lower()
    exp = expand(address, directory)
    if not exp.mailboxes and not exp.remote:
        reply = exp.errors[0][1] if exp.errors else "550 5.1.1 User unknown"
        code, _, text = reply.partition(" ")
        return Verdict(f"{code} {_with_address(text, shown)}")
    account = directory.account(address)
    if account is not None and account.quota_bytes and usage_of is not None:
        used = usage_of(address)
        if used >= account.quota_bytes:
            return Verdict(f"452 4.2.2 {shown}: Mailbox full")
    return Verdict("250 2.1.5 Ok", address)


def _plain(addr: Address) -> str:
    if addr.quoted:
        local = addr.local.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{local}"@{addr.domain}'
    return f"{addr.local}@{addr.domain}"


def _hides_route(addr: Address) -> bool:
    # A source route to a remote domain names yet another hop: refuse it
    # even from trusted clients, nothing legitimate sends these any more.
    return bool(addr.route)


def _with_address(text: str, shown: str) -> str:
    # "5.1.1 Recipient address rejected: User unknown" -> "5.1.1 <a@b>: Recipient ..."
    code, sep, rest = text.partition(" ")
    if code.count(".") == 2 and code[0].isdigit():
        return f"{code} {shown}: {rest}"
    return f"{shown}: {text}"
