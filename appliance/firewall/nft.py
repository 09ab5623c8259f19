"""Mailroom's own nftables table, as JSON for ``nft -j -f -``, and reading rulesets back.

Pure functions: the commands are built and a ruleset (``nft -j list
ruleset``) is judged without running anything, so both are tested as data.

The table ``inet mailroom`` holds one input chain (policy accept: it never
shuts anything by itself) with four rules: drop what is in the banned
sets, accept the TCP ports in ``open_tcp``, drop those in ``closed_tcp``
(except on loopback, where local programs such as webmail connect).
Opening a port moves it into ``open_tcp``, closing it into ``closed_tcp``;
a ban is an element with its own time-out, which the kernel removes when it
runs out.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FAMILY", "TABLE", "CHAIN", "OPEN_SET", "CLOSED_SET", "BANNED4", "BANNED6",
    "Verdict", "ensure_table", "open_ports", "close_ports", "ban", "unban",
    "document", "port_verdict", "has_table", "set_elements",
]

FAMILY, TABLE, CHAIN = "inet", "mailroom", "input"
OPEN_SET, CLOSED_SET, BANNED4, BANNED6 = "open_tcp", "closed_tcp", "banned4", "banned6"
# Before the usual "filter" chains (priority 0): a banned address is dropped
# here whatever another table would accept.
PRIORITY = -10

Command = dict[str, Any]


def _where(**kw: Any) -> dict[str, Any]:
    return {"family": FAMILY, "table": TABLE, **kw}


def ensure_table() -> list[Command]:
    """Create the table, its sets and chain, and (re)write the chain's rules.

    Idempotent: ``add`` of an existing table/set/chain changes nothing, the
    chain is flushed and refilled in the same transaction, and the sets
    keep their elements (opened ports, bans in force).
    """
    sets = [
        {"add": {"set": _where(name=OPEN_SET, type="inet_service")}},
        {"add": {"set": _where(name=CLOSED_SET, type="inet_service")}},
        {"add": {"set": _where(name=BANNED4, type="ipv4_addr", flags=["interval", "timeout"])}},
        {"add": {"set": _where(name=BANNED6, type="ipv6_addr", flags=["interval", "timeout"])}},
    ]
    rules = [
        _rule({"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                         "right": f"@{BANNED4}"}}, {"drop": None}),
        _rule({"match": {"op": "==", "left": {"payload": {"protocol": "ip6", "field": "saddr"}},
                         "right": f"@{BANNED6}"}}, {"drop": None}),
        _rule({"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}},
                         "right": f"@{OPEN_SET}"}}, {"accept": None}),
        _rule({"match": {"op": "!=", "left": {"meta": {"key": "iifname"}}, "right": "lo"}},
              {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}},
                         "right": f"@{CLOSED_SET}"}}, {"drop": None}),
    ]
    return [
        {"add": {"table": {"family": FAMILY, "name": TABLE}}},
        *sets,
        {"add": {"chain": _where(name=CHAIN, type="filter", hook="input", prio=PRIORITY,
                                 policy="accept")}},
        {"flush": {"chain": _where(name=CHAIN)}},
        *rules,
    ]


def _rule(*expr: dict[str, Any]) -> Command:
    return {"add": {"rule": _where(chain=CHAIN, expr=list(expr))}}


def open_ports(ports: Iterable[int]) -> list[Command]:
    return [*ensure_table(), *_move([int(p) for p in ports], CLOSED_SET, OPEN_SET)]


def close_ports(ports: Iterable[int]) -> list[Command]:
    return [*ensure_table(), *_move([int(p) for p in ports], OPEN_SET, CLOSED_SET)]


def _move(values: list[int], source: str, target: str) -> list[Command]:
    # "delete" of a missing element fails the whole batch, so the element is
    # added first: closing a port that is not open is then not an error.
    return [_elements("add", source, values), _elements("delete", source, values),
            _elements("add", target, values)]


def _elements(verb: str, name: str, elems: list[Any]) -> Command:
    return {verb: {"element": _where(name=name, elem=elems)}}


def _ban_element(key: str) -> tuple[str, Any]:
    """Which set and which element a ban key (an IPv4 address, an IPv6 /64) is."""
    net = ipaddress.ip_network(key, strict=False)
    if net.version == 4:
        return BANNED4, str(net.network_address) if net.prefixlen == 32 else \
            {"prefix": {"addr": str(net.network_address), "len": net.prefixlen}}
    return BANNED6, {"prefix": {"addr": str(net.network_address), "len": net.prefixlen}}


def ban(key: str, seconds: float) -> list[Command]:
    """Drop ``key`` for ``seconds`` (whole seconds, at least one); replaces an older entry."""
    name, value = _ban_element(key)
    timeout = max(1, int(round(seconds)))
    return [_elements("add", name, [value]), _elements("delete", name, [value]),
            _elements("add", name, [{"elem": {"val": value, "timeout": timeout}}])]


def unban(key: str) -> list[Command]:
    name, value = _ban_element(key)
    return [_elements("add", name, [value]), _elements("delete", name, [value])]


def document(commands: list[Command]) -> str:
    """The text ``nft -j -f -`` reads: one command a line, for a reader checking it."""
    lines = ",\n ".join(json.dumps(c) for c in commands)
    return f'{{"nftables": [\n {lines}\n]}}'



# -- reading a ruleset back --------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    state: str  # open, closed, limited (only from some addresses), unknown
    why: str


def _objects(ruleset: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    return [item[kind] for item in ruleset.get("nftables", []) if kind in item]


def has_table(ruleset: Mapping[str, Any]) -> bool:
    return any(t.get("family") == FAMILY and t.get("name") == TABLE
               for t in _objects(ruleset, "table"))


def set_elements(ruleset: Mapping[str, Any], name: str) -> list[Any]:
    """The elements of Mailroom's set ``name`` as listed (plain values or {"elem": ...})."""
    for s in _objects(ruleset, "set"):
        if s.get("family") == FAMILY and s.get("table") == TABLE and s.get("name") == name:
            return list(s.get("elem", []))
    return []


_UNKNOWN = None  # a match that depends on what we cannot know (the client's address)


class _Packet:
    """A new TCP connection to ``port`` from somewhere outside, judged rule by rule."""

    def __init__(self, ruleset: Mapping[str, Any], port: int) -> None:
        self.port = port
        self.sets = {(s.get("family"), s.get("table"), s.get("name")): s.get("elem", [])
                     for s in _objects(ruleset, "set")}
        self.rules: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for r in _objects(ruleset, "rule"):
            self.rules.setdefault((r["family"], r["table"], r["chain"]), []).append(r)

    def _port_in(self, right: Any, table: tuple[str, str]) -> bool | None:
        if isinstance(right, int):
            return right == self.port
        if isinstance(right, str):
            if right.startswith("@"):
                elems = self.sets.get((table[0], table[1], right[1:]))
                return None if elems is None else self._port_in({"set": elems}, table)
            return {"smtp": 25, "submission": 587, "submissions": 465, "smtps": 465,
                    "pop3": 110, "pop3s": 995, "imap": 143, "imap2": 143,
                    "imaps": 993}.get(right) == self.port
        if isinstance(right, dict):
            if "range" in right:
                low, high = right["range"]
                return isinstance(low, int) and isinstance(high, int) and low <= self.port <= high
            if "set" in right:
                items = right["set"] if isinstance(right["set"], list) else [right["set"]]
                return any(self._port_in(i.get("elem", {}).get("val") if isinstance(i, dict)
                                         and "elem" in i else i, table) for i in items)
            if "elem" in right:
                return self._port_in(right["elem"].get("val"), table)
        return None

    def match(self, m: dict[str, Any], table: tuple[str, str]) -> bool | None:
        left, right, op = m.get("left"), m.get("right"), m.get("op", "==")
        result = self._match(left, right, table)
        if result is None:
            return None
        return (not result) if op == "!=" else result if op in ("==", "in") else None

    def _match(self, left: Any, right: Any, table: tuple[str, str]) -> bool | None:
        if not isinstance(left, dict):
            return None
        payload, meta, ct = left.get("payload"), left.get("meta"), left.get("ct")
        values = right if isinstance(right, list) else \
            right.get("set") if isinstance(right, dict) and "set" in right else [right]
        if payload:
            proto, fld = payload.get("protocol"), payload.get("field")
            if fld == "dport" and proto in ("tcp", "th"):
                return self._port_in(right, table)
            if fld == "dport":  # udp dport ...: never this TCP packet
                return False
            if proto == "ip" and fld == "protocol" or proto == "ip6" and fld == "nexthdr":
                return "tcp" in values or 6 in values
            return None  # saddr, daddr ...: depends on the client
        if meta:
            key = meta.get("key")
            if key == "l4proto":
                return "tcp" in values or 6 in values
            if key in ("iif", "iifname"):
                return False if "lo" in values else None
            if key == "nfproto":
                return None
            return None
        if ct and ct.get("key") == "state":
            return "new" in values
        return None

    def chain(self, table: tuple[str, str], name: str, depth: int = 0
              ) -> tuple[str | None, str, bool]:
        """(accept/drop/None when it falls through, why, some rule depended on the source)."""
        unsure = False
        for rule in self.rules.get((table[0], table[1], name), []):
            outcome: bool | None = True
            verdict: tuple[str, Any] | None = None
            for stmt in rule.get("expr", []):
                if "match" in stmt:
                    got = self.match(stmt["match"], table)
                    if got is False:
                        outcome = False
                        break
                    if got is None:
                        outcome = None
                for v in ("accept", "drop", "reject", "jump", "goto", "return"):
                    if v in stmt:
                        verdict = (v, stmt[v])
            if outcome is False or verdict is None:
                continue
            kind = verdict[0]
            where = f"table {table[0]} {table[1]} chain {name}"
            if outcome is None:
                # "ip saddr 192.168.1.0/24 tcp dport 25 accept" lets some in; a drop
                # that depends on the address (a block list, the ban sets) leaves
                # the port open to the rest.
                unsure = unsure or kind == "accept"
                continue
            if kind == "accept":
                return "accept", f"accepted by {where}", unsure
            if kind in ("drop", "reject"):
                return "drop", f"dropped by {where}", unsure
            if kind == "return":
                return None, "", unsure
            if kind in ("jump", "goto") and depth < 16:
                got, why, more = self.chain(table, verdict[1]["target"], depth + 1)
                unsure = unsure or more
                if got is not None or kind == "goto":
                    return got, why, unsure
        return None, "", unsure


def port_verdict(ruleset: Mapping[str, Any], port: int) -> Verdict:
    """Does this ruleset let a new TCP connection to ``port`` in from outside?

    Every base chain on the input hook must let it pass: an accept in one
    table does not stop another table's chain from dropping it. Matches on
    the client's address make the answer "limited" (some clients only).
    """
    packet = _Packet(ruleset, port)
    base = [c for c in _objects(ruleset, "chain") if c.get("hook") == "input"
            and c.get("family") in ("inet", "ip", "ip6")]
    if not base:
        return Verdict("open", "no input filter in the nftables ruleset: nothing is filtered")
    reasons = []
    for c in sorted(base, key=lambda c: c.get("prio", 0)):
        table = (c["family"], c["table"])
        got, why, unsure = packet.chain(table, c["name"])
        if got is None:
            policy = c.get("policy", "accept")
            where = f"table {c['family']} {c['table']} chain {c['name']}"
            got, why = ("accept", "") if policy == "accept" else (
                "drop", f"dropped by the policy of {where}")
        if got == "drop":
            if unsure:
                return Verdict("limited", f"only from some addresses; others {why}")
            return Verdict("closed", why)
        if why:
            reasons.append(why)
    return Verdict("open", "; ".join(reasons) or "no rule stops it")
