"""The DNS questions of the built-in spam checks: blocklists and reverse DNS (blocking).

They go through the inbound checks' :class:`Lookup` (the configured
``dns.nameservers``, one time-out per question, an answer cache), on a
worker thread. A DNS failure is never held against the mail: that check
just adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from appliance.authcheck.lookup import DnsTempError, Lookup
from appliance.spam.rules import Hit, dnsbl_answer, dnsbl_name, rdns_hits

__all__ = ["DnsblResult", "blocklist_hits", "reverse_dns_hits"]


@dataclass
class DnsblResult:
    hits: list[Hit] = field(default_factory=list)
    # zone -> why that blocklist refused to answer (a warning for the admin)
    refused: dict[str, str] = field(default_factory=dict)
    answered: list[str] = field(default_factory=list)  # zones that gave a real answer


def blocklist_hits(lookup: Lookup, ip: str, zones: list[tuple[str, int]]) -> DnsblResult:
    result = DnsblResult()
    for zone, points in zones:
        name = dnsbl_name(ip, zone)
        if name is None:
            continue
        try:
            records = lookup.answers(name, "A")
        except DnsTempError:
            continue
        answer = dnsbl_answer(r.to_text() for r in records)
        if answer.refused:
            result.refused[zone] = answer.refused
            continue
        result.answered.append(zone)
        if answer.listed:
            tag = "DNSBL_" + zone.upper().replace(".", "_").replace("-", "_")
            result.hits.append(Hit(tag, float(points), f"{ip} listed in {zone}"))
    return result


def reverse_dns_hits(lookup: Lookup, ip: str) -> list[Hit]:
    """No PTR, or a PTR whose name does not resolve back to ``ip`` (forward-confirmed rDNS)."""
    import dns.reversename  # here: the idle daemon does not load dnspython

    try:
        names = [r.to_text().rstrip(".").lower()
                 for r in lookup.answers(dns.reversename.from_address(ip).to_text(), "PTR")]
    except (DnsTempError, ValueError):
        return rdns_hits(None, False)
    confirmed = False
    for name in names[:3]:  # a client with more names than this is not worth more questions
        try:
            found = {r.to_text() for rdtype in ("A", "AAAA")
                     for r in lookup.answers(name, rdtype)}
        except DnsTempError:
            return rdns_hits(None, False)
        if ip in found or ip.removeprefix("::ffff:") in found:
            confirmed = True
            break
    return rdns_hits(names, confirmed)
