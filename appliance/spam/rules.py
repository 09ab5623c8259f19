"""The built-in spam checks as pure functions: each finding is a named hit worth some points.

No DNS and no I/O here: the look-ups (blocklists, reverse DNS) are asked in
``appliance.spam.lookups`` and their answers judged here, so every rule can
be tested on its own. The points follow SpamAssassin's scale: 5 is spam.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "GTUBE", "Hit", "auth_hits", "decide", "dnsbl_answer", "dnsbl_name", "gtube_hits",
    "helo_hits", "parse_dnsbl", "rdns_hits", "spam_headers", "strip_spam_headers", "total",
]

# The Generic Test for Unsolicited Bulk Email (SpamAssassin's, rspamd knows it too).
GTUBE = b"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

# Points of each rule. GTUBE is spam at the default threshold (5) but below
# the default reject score (15), so the test mail shows where spam is filed.
POINTS = {
    "GTUBE": 10.0,
    "HELO_NOT_FQDN": 1.5,  # a single label, e.g. "desktop"
    "HELO_BARE_IP": 1.5,  # an address without the brackets RFC 5321 asks for
    "HELO_IP_MISMATCH": 2.0,  # [192.0.2.1] from another address
    "HELO_OURS": 3.0,  # claims to be this server or one of its domains
    "SPF_FAIL": 3.0,
    "SPF_SOFTFAIL": 1.5,
    "DKIM_FAIL": 1.0,  # a signature that does not verify, and none that does
    "DMARC_FAIL": 3.0,
    "DMARC_PASS": -1.0,
    "AUTHCHECK_JUNK": 3.0,  # authcheck's own policy said junk (e.g. DMARC p=quarantine)
    "RDNS_NONE": 1.5,  # the client address has no PTR record
    "RDNS_MISMATCH": 1.0,  # the PTR name does not lead back to the address
}
DNSBL_POINTS = 5


@dataclass(frozen=True)
class Hit:
    name: str  # e.g. HELO_NOT_FQDN, DNSBL_ZEN_SPAMHAUS_ORG, RSPAMD
    points: float
    text: str = ""  # what was found, for the log

    def __str__(self) -> str:
        return f"{self.name}={self.points:g}"


def _hit(name: str, text: str = "") -> Hit:
    return Hit(name, POINTS[name], text)


def gtube_hits(body: bytes) -> list[Hit]:
    return [_hit("GTUBE")] if GTUBE in body else []


def helo_hits(helo: str, ip: str, is_ours: Callable[[str], bool]) -> list[Hit]:
    """HELO/EHLO name checks: not a domain, an address literal that lies, our own name."""
    name = helo.strip()
    if name.startswith("[") and name.endswith("]"):
        literal = name[1:-1]
        if literal.lower().startswith("ipv6:"):
            literal = literal[5:]
        try:
            claimed = ipaddress.ip_address(literal)
            actual = ipaddress.ip_address(ip)
        except ValueError:
            return [_hit("HELO_NOT_FQDN", name)]
        mapped = getattr(actual, "ipv4_mapped", None) or actual
        return [] if claimed in (actual, mapped) else [_hit("HELO_IP_MISMATCH", name)]
    try:
        ipaddress.ip_address(name)
        return [_hit("HELO_BARE_IP", name)]
    except ValueError:
        pass
    host = name.rstrip(".").lower()
    if "." not in host:
        return [_hit("HELO_NOT_FQDN", name or "(none)")]
    if is_ours(host):
        return [_hit("HELO_OURS", name)]
    return []


def auth_hits(checks: Mapping[str, Any] | None) -> list[Hit]:
    """Points from what appliance.authcheck found (the queue envelope's ``checks``)."""
    if not checks:
        return []
    hits = []
    spf = checks.get("spf")
    if spf == "fail":
        hits.append(_hit("SPF_FAIL"))
    elif spf == "softfail":
        hits.append(_hit("SPF_SOFTFAIL"))
    dkim = [str(r[0]) for r in checks.get("dkim") or []]
    if "fail" in dkim and "pass" not in dkim:
        hits.append(_hit("DKIM_FAIL"))
    dmarc = checks.get("dmarc")
    if dmarc == "fail":
        hits.append(_hit("DMARC_FAIL", str(checks.get("from_domain", ""))))
    elif dmarc == "pass":
        hits.append(_hit("DMARC_PASS", str(checks.get("from_domain", ""))))
    if checks.get("action") == "junk":
        hits.append(_hit("AUTHCHECK_JUNK", str(checks.get("reason", ""))))
    return hits


def rdns_hits(names: list[str] | None, confirmed: bool) -> list[Hit]:
    """``names``: the PTR names of the client (None: the look-up failed, so no verdict)."""
    if names is None:
        return []
    if not names:
        return [_hit("RDNS_NONE")]
    return [] if confirmed else [_hit("RDNS_MISMATCH", names[0])]


def parse_dnsbl(entries: Iterable[str]) -> list[tuple[str, int]]:
    """The ``spam.dnsbl`` setting's ZONE or ZONE=POINTS entries."""
    out = []
    for entry in entries:
        zone, _, points = entry.partition("=")
        out.append((zone.strip().lower().rstrip("."), int(points) if points else DNSBL_POINTS))
    return out


def dnsbl_name(ip: str, zone: str) -> str | None:
    """The name to look up for ``ip`` in ``zone`` (IPv6: nibbles); None for no public address."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    mapped = getattr(addr, "ipv4_mapped", None)
    if mapped is not None:
        addr = mapped
    if addr.version == 4:
        return ".".join(reversed(str(addr).split("."))) + "." + zone
    return ".".join(reversed(addr.exploded.replace(":", ""))) + "." + zone


@dataclass(frozen=True)
class DnsblAnswer:
    listed: bool
    refused: str = ""  # the blocklist refused to answer this resolver: why, for a warning


# Spamhaus's (and others') error answers, which are never a listing.
_REFUSALS = {
    "127.255.255.252": "the query was malformed (a typo in the zone name?)",
    "127.255.255.254": "it refuses queries through public or shared resolvers",
    "127.255.255.255": "this resolver sent too many queries",
}


def dnsbl_answer(addresses: Iterable[str]) -> DnsblAnswer:
    """Judge a blocklist's A records: 127.0.0.0/8 is a listing, 127.255.255.x an error."""
    listed = False
    refused = ""
    for text in addresses:
        if text.startswith("127.255.255."):
            refused = _REFUSALS.get(text, f"it answered {text}, an error code")
        elif text.startswith("127."):
            listed = True
    return DnsblAnswer(listed and not refused, refused)


def total(hits: Iterable[Hit]) -> float:
    return round(sum(h.points for h in hits), 1)


def decide(score: float, junk_score: float, reject_score: float) -> str:
    """reject, junk or accept; the reject score wins over a lower junk one, never below it."""
    if score >= max(reject_score, junk_score):
        return "reject"
    if score >= junk_score:
        return "junk"
    return "accept"


_SPAM_FIELD = re.compile(rb"(?im)^x-spam-[^:\r\n]*:.*(?:\r?\n[ \t].*)*\r?\n")


def strip_spam_headers(head: bytes) -> bytes:
    """Remove incoming X-Spam-* fields: a sender must not vouch for his own mail."""
    if b"x-spam-" not in head.lower():
        return head
    return _SPAM_FIELD.sub(b"", head)


def spam_headers(score: float, junk: bool, hits: Iterable[Hit], junk_score: float) -> bytes:
    """The fields we add: X-Spam-Flag (only on spam), X-Spam-Score, X-Spam-Status."""
    tests = ",".join(h.name for h in hits) or "none"
    lines = []
    if junk:
        lines.append("X-Spam-Flag: YES")
    lines.append(f"X-Spam-Score: {score:.1f}")
    status = (f"X-Spam-Status: {'Yes' if junk else 'No'}, score={score:.1f} "
              f"required={junk_score:g} tests={tests}")
    # Fold a long tests= list: header lines stay under 998 octets (RFC 5322).
    lines.append(status if len(status) < 900 else status[:896] + "...")
    return ("\r\n".join(lines) + "\r\n").encode("ascii", "replace")
