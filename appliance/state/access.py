"""The client/sender access list: who is refused (or waved through) whatever else holds.

Like sendmail's ``access`` map and Postfix's ``check_client_access`` /
``check_sender_access``: a rule names a client network, or a sender
address / ``user@`` / domain, and an action: reject, discard, ok, or an
error with its own reply text. Pure functions: the state store, the
importer and the SMTP policy all parse and judge the same way.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from appliance.addresses import is_valid_domain, normalize_domain

__all__ = ["AccessRule", "AccessError", "AccessIndex", "CachedRules", "ACTIONS", "KINDS",
           "parse_rule", "parse_reply"]

KINDS = ("client", "sender")
ACTIONS = ("reject", "discard", "ok", "error")
_REPLY = re.compile(r"^([45]\d\d)(?:[ -]([45]\.\d{1,3}\.\d{1,3}))?(?:\s+(.*))?$", re.S)


class AccessError(ValueError):
    """A rule that cannot be stored; the message says why."""


@dataclass(frozen=True)
class AccessRule:
    kind: str  # client (a network) or sender (address, user@ or domain)
    key: str
    action: str  # reject, discard, ok, error
    reply: str = ""  # for error: the whole SMTP reply, "550 5.7.1 text"
    note: str = ""  # where it came from (an import names the file and line)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_reply(text: str) -> str:
    """``550 5.7.1 text`` (or ``550 text``) checked; an enhanced code is added when missing."""
    m = _REPLY.match(" ".join(text.split()))
    if not m:
        raise AccessError(f"not an SMTP error reply: {text!r} (e.g. 550 5.7.1 Go away)")
    code, enhanced, words = m.group(1), m.group(2), (m.group(3) or "").strip()
    if enhanced and enhanced[0] != code[0]:
        raise AccessError(f"{enhanced} does not go with {code} (4xx takes 4.x.x, 5xx 5.x.x)")
    enhanced = enhanced or f"{code[0]}.7.1"
    return f"{code} {enhanced} {words or 'Access denied'}"


def _client_key(text: str) -> str:
    try:
        net = ipaddress.ip_network(text.strip().strip("[]"), strict=False)
    except ValueError as exc:
        raise AccessError(f"a client rule takes an address or network (CIDR), not {text!r}: "
                          "Mailroom matches clients by address") from exc
    if isinstance(net, ipaddress.IPv6Network) and net.network_address.ipv4_mapped is not None:
        first = net.network_address.ipv4_mapped
        net = ipaddress.IPv4Network((first, max(net.prefixlen - 96, 0)))
    return str(net)


def _sender_key(text: str) -> str:
    raw = text.strip().strip("<>").lower().removeprefix("@")
    local, at, domain = raw.rpartition("@")
    if not at:
        domain, local = raw, ""
    if domain:
        domain = normalize_domain(domain)
        if not is_valid_domain(domain):
            raise AccessError(f"not a domain: {domain!r}")
    if not (local or domain) or (at and not local) or any(c in local for c in ' <>,;:"\\'):
        raise AccessError(f"a sender rule takes an address, user@ or a domain, not {text!r}")
    return f"{local}@{domain}" if at else domain


def parse_rule(kind: str, key: str, action: str, reply: str = "", note: str = "") -> AccessRule:
    kind, action = kind.strip().lower(), action.strip().lower()
    if kind not in KINDS:
        raise AccessError(f"unknown kind {kind!r}: client or sender")
    if action not in ACTIONS:
        raise AccessError(f"unknown action {action!r}: {', '.join(ACTIONS)}")
    if action == "error":
        reply = parse_reply(reply)
    elif reply.strip():
        raise AccessError("only the error action takes a reply text")
    normal = _client_key(key) if kind == "client" else _sender_key(key)
    return AccessRule(kind, normal, action, reply if action == "error" else "", note.strip())


class AccessIndex:
    """Rules arranged for lookups: networks by prefix length, senders by key.

    A client lookup costs one set probe per distinct prefix length, a sender
    one dict probe per candidate key, however long the list is (imported
    block lists run to thousands of lines).
    """

    def __init__(self, rules: list[AccessRule]) -> None:
        self.rules = rules
        self.senders = {r.key: r for r in rules if r.kind == "sender"}
        by_len: dict[tuple[int, int], dict[int, AccessRule]] = {}
        for r in rules:
            if r.kind == "client":
                net = ipaddress.ip_network(r.key, strict=False)
                by_len.setdefault((net.version, net.prefixlen), {})[
                    int(net.network_address)] = r
        # Longest prefix first: the most specific network wins.
        self.networks = sorted(by_len.items(), key=lambda item: -item[0][1])

    def __iter__(self) -> Iterator[AccessRule]:
        return iter(self.rules)

    def client(self, addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> AccessRule | None:
        bits = 32 if addr.version == 4 else 128
        value = int(addr)
        for (version, prefix), table in self.networks:
            if version == addr.version:
                found = table.get(value >> (bits - prefix) << (bits - prefix) if prefix else 0)
                if found is not None:
                    return found
        return None


class CachedRules:
    """The rules for the mail path: ``load()`` at most once per ``ttl`` seconds.

    MAIL and RCPT are hot; a change made through the control API shows up
    within a second.
    """

    def __init__(self, load: Callable[[], list[AccessRule]], ttl: float = 1.0) -> None:
        self._load = load
        self._ttl = ttl
        self._at = -ttl
        self._rules = AccessIndex([])

    def __call__(self) -> AccessIndex:
        now = time.monotonic()
        if now - self._at >= self._ttl:
            self._rules, self._at = AccessIndex(self._load()), now
        return self._rules
