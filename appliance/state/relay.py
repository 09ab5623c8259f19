"""Relay networks: which entries may be stored, and what to warn about.

An entry is a network in CIDR notation (``192.168.1.0/24``, a bare address
is a /32 or /128), or an exclusion of one (``!192.168.1.1``), as in
Postfix's ``mynetworks``. Exclusions are checked first: an excluded
address never relays by network, whatever broader network lists it.

Pure functions, so that the state store, the wizard and the tests all ask
the same question and get the same words back.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "RelayEntry",
    "RelayNetworkError",
    "parse_relay",
    "normalize_relay",
    "too_broad",
    "relay_warnings",
    "entry_order",
]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

EXCLUDE = "!"
# The shortest prefixes a relay network may have: anything wider is a large
# part of the Internet (a /7 is 33 million addresses), i.e. an open relay.
MIN_PREFIX = {4: 8, 6: 32}
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


class RelayNetworkError(ValueError):
    """An entry that cannot be stored; the message says why, in the user's words."""


@dataclass(frozen=True)
class RelayEntry:
    network: Network
    excluded: bool = False

    def __str__(self) -> str:
        return f"{EXCLUDE if self.excluded else ''}{self.network}"


def parse_relay(text: str) -> RelayEntry:
    """Parse and normalise one entry; refuse a network that would make an open relay.

    An exclusion is never refused for its size: it can only take the right
    to relay away, so even ``!0.0.0.0/0`` is safe (``relay_warnings`` says
    what it does).
    """
    entry = _parse(text, refuse=True)
    if not entry.excluded:
        _refuse_if_too_broad(entry.network)
    return entry


def normalize_relay(text: str) -> RelayEntry:
    """Parse and normalise one entry without judging it (to find a stored one)."""
    return _parse(text, refuse=False)


def _parse(text: str, refuse: bool) -> RelayEntry:
    raw = text.strip()
    excluded = raw.startswith(EXCLUDE)
    cidr = raw[1:].strip() if excluded else raw
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError as exc:
        raise RelayNetworkError(f"not a network (CIDR): {text!r}") from exc
    if refuse and not excluded:
        _refuse_if_too_broad(net)  # in the user's own notation, before it is unmapped
    if isinstance(net, ipaddress.IPv6Network) and net.subnet_of(_MAPPED):
        # Clients reach the policy as IPv4 (an IPv4-mapped peer is unmapped
        # first), so an IPv4-mapped entry is stored as the IPv4 it means.
        first = net.network_address.ipv4_mapped
        assert first is not None
        net = ipaddress.IPv4Network((first, net.prefixlen - 96))
    return RelayEntry(net, excluded)


def _refuse_if_too_broad(net: Network) -> None:
    reason = too_broad(net)
    if reason:
        raise RelayNetworkError(reason)


def too_broad(net: Network) -> str | None:
    """Why ``net`` must never be a relay network, or None when it may be."""
    shortest = MIN_PREFIX[net.version]
    relay = "every host could send mail anywhere through this server (an open relay)"
    if net.prefixlen == 0:
        return f"refused: {net} is the whole Internet: {relay}"
    if net.version == 6 and net.supernet_of(_MAPPED):
        return f"refused: {net} contains every IPv4 address (::ffff:0:0/96): {relay}"
    if net.prefixlen < shortest:
        return (f"refused: {net} is a large part of the Internet: {relay}; a relay network "
                f"must be /{shortest} or narrower")
    return None


def _public(net: Network) -> bool:
    return not (net.is_private or net.is_loopback or net.is_link_local
                or net.is_reserved or net.is_multicast)


def relay_warnings(entries: Iterable[str], gateways: Iterable[str] = (),
                   only: Iterable[str] | None = None) -> list[str]:
    """What an admin should know about these (already stored or checked) entries.

    ``only``: judge just these entries (e.g. the one being added), with the
    whole list still in view for exclusions.
    """
    judged = None if only is None else {str(_parse(t, refuse=False)) for t in only}
    parsed: list[RelayEntry] = []
    for text in entries:
        try:
            parsed.append(_parse(text, refuse=False))
        except RelayNetworkError:
            continue
    allowed = [e.network for e in parsed if not e.excluded]
    excluded_nets = [e.network for e in parsed if e.excluded]
    warnings = []
    for entry in parsed:
        if judged is not None and str(entry) not in judged:
            continue
        net = entry.network
        if entry.excluded:
            if not any(net.version == a.version and net.overlaps(a) for a in allowed):
                warnings.append(f"exclusion {entry} is not inside any relay network: it "
                                f"changes nothing")
            continue
        if too_broad(net):  # stored before the state store refused it
            warnings.append(f"relay network {net} makes this server an open relay: remove it")
            continue
        for gw in gateways:
            addr = ipaddress.ip_address(gw)
            if addr.version != net.version or addr not in net:
                continue
            if any(addr.version == x.version and addr in x for x in excluded_nets):
                continue
            warnings.append(
                f"relay network {net} contains the gateway {gw}: behind NAT or port "
                f"forwarding, outside connections may appear to come from it and could "
                f"relay through this server (exclude it with !{gw})")
        if _public(net):
            warnings.append(
                f"relay network {net} is a public network, not a private one: every host in "
                f"it may send mail anywhere through this server without logging in")
    return warnings


def entry_order(text: str) -> tuple[int, int, int, int]:
    """Sort key: by address, an exclusion right after the network that holds it."""
    raw = text.strip()
    excluded = raw.startswith(EXCLUDE)
    net = ipaddress.ip_network(raw[1:] if excluded else raw, strict=False)
    return net.version, int(net.network_address), int(excluded), net.prefixlen
