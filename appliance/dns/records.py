"""The DNS records a Mailroom domain needs published, in zone-file form.

Pure builders (:func:`build_records`, :func:`format_zone`, :func:`txt_strings`,
:func:`ptr_name`) and, at the edge, :func:`records_for` which reads the state
store, the DKIM keys and the box's own addresses.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from appliance.dkim.keys import DkimKey, txt_value

__all__ = [
    "Record", "build_records", "detect_addresses", "format_zone", "ip_hints", "ptr_name",
    "records_for", "spf_value", "dmarc_value", "txt_strings",
]

TXT_CHUNK = 255  # RFC 1035: one character-string holds at most 255 bytes


@dataclass(frozen=True)
class Record:
    name: str  # absolute, with the trailing dot
    type: str  # MX, A, AAAA, TXT, PTR
    value: str  # presentation form, as it goes in the zone file
    kind: str  # mx, a, aaaa, spf, dkim, dmarc, ptr, mta-sts, tls-rpt
    domain: str  # the mail domain it is for ("" for the host's own records)
    note: str
    text: str = ""  # for TXT: the text before quoting and splitting; else the value
    optional: bool = False
    known: bool = True  # False: the value is a placeholder (public IP not known)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        return f"{self.name}  IN  {self.type:<4} {self.value}"


def txt_strings(text: str) -> str:
    """``text`` as one or more quoted strings of at most 255 characters each."""
    chunks = [text[i:i + TXT_CHUNK] for i in range(0, len(text), TXT_CHUNK)] or [""]
    return " ".join('"' + c.replace("\\", "\\\\").replace('"', '\\"') + '"' for c in chunks)


def ptr_name(address: str) -> str:
    """``203.0.113.10`` → ``10.113.0.203.in-addr.arpa.`` (ip6.arpa for IPv6)."""
    return ipaddress.ip_address(address).reverse_pointer + "."


def spf_value(smarthost: str = "") -> str:
    # An ISP relay sends our mail from its own addresses: they must be allowed too.
    relay = f" a:{smarthost}" if smarthost else ""
    return f"v=spf1 mx{relay} -all"


def dmarc_value(domain: str) -> str:
    return f"v=DMARC1; p=quarantine; rua=mailto:postmaster@{domain}"


def _txt(name: str, text: str, kind: str, domain: str, note: str,
         optional: bool = False) -> Record:
    return Record(name, "TXT", txt_strings(text), kind, domain, note, text, optional)


def build_records(
    hostname: str,
    domains: list[str],
    keys: Mapping[str, list[DkimKey]],
    *,
    ipv4: str | None = None,
    ipv6: str | None = None,
    smarthost: str = "",
) -> list[Record]:
    """Every record to publish: the host's A/AAAA and PTR, then per domain MX, SPF,
    DKIM (one per key in ``keys[domain]``), DMARC and the optional MTA-STS/TLS-RPT."""
    host = f"{hostname}."
    out: list[Record] = []
    if ipv4:
        out.append(Record(host, "A", ipv4, "a", "", "the mail server's address", ipv4))
    else:
        out.append(Record(host, "A", "PUBLIC-IPV4", "a", "",
                          "the mail server's public address (set dns.public_ipv4)",
                          known=False))
    if ipv6:
        out.append(Record(host, "AAAA", ipv6, "aaaa", "", "the mail server's IPv6 address",
                          ipv6))
    for domain in domains:
        out.append(Record(f"{domain}.", "MX", f"10 {host}", "mx", domain,
                          f"mail for {domain} goes to {hostname}", f"10 {host}"))
        out.append(_txt(f"{domain}.", spf_value(smarthost), "spf", domain,
                        "SPF: only the MX" + (" and the ISP relay" if smarthost else "")
                        + " may send for this domain"))
        for key in keys.get(domain, []):
            kind = "RSA" if key.algorithm == "rsa" else "Ed25519"
            when = {"active": "signs now", "pending": "publish it: it signs once seen in DNS",
                    "retired": "old key: keep it a week after rotation, then remove"}[key.state]
            out.append(_txt(key.record_name(domain), txt_value(key), "dkim", domain,
                            f"DKIM {kind} key {key.selector} ({when})",
                            optional=key.state == "retired"))
        out.append(_txt(f"_dmarc.{domain}.", dmarc_value(domain), "dmarc", domain,
                        "DMARC: receivers junk mail that fails SPF and DKIM; reports go to "
                        "postmaster"))
        out.append(_txt(f"_smtp._tls.{domain}.", f"v=TLSRPTv1; rua=mailto:postmaster@{domain}",
                        "tls-rpt", domain, "optional TLS-RPT: reports of TLS failures",
                        optional=True))
        out.append(_txt(f"_mta-sts.{domain}.", "v=STSv1; id=1", "mta-sts", domain,
                        f"optional MTA-STS: needs a policy at https://mta-sts.{domain}"
                        "/.well-known/mta-sts.txt", optional=True))
    for address in (ipv4, ipv6):
        if address:
            out.append(Record(ptr_name(address), "PTR", host, "ptr", "",
                              "reverse DNS: set by whoever owns the address (your ISP)", host))
    if not ipv4:
        # Still shown, so the admin knows to ask for it once the address is known.
        out.append(Record("PUBLIC-IPV4-REVERSED.in-addr.arpa.", "PTR", host, "ptr", "",
                          "reverse DNS of the public address: ask your ISP (set "
                          "dns.public_ipv4 to see its real name)", host, known=False))
    return out


def format_zone(records: list[Record]) -> str:
    """Zone-file lines ready to paste; optional records are commented out."""
    width = max((len(r.name) for r in records), default=0)
    lines = []
    for r in records:
        line = f"{r.name:<{width}}  IN  {r.type:<4} {r.value}"
        lines.append(f"; optional: {line}" if r.optional else line)
    return "\n".join(lines)


def _local_address(family: int, probe: str) -> str | None:
    """The address this box would send from to the Internet (no packet is sent)."""
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.connect((probe, 9))
            return str(s.getsockname()[0])
    except OSError:
        return None


def detect_addresses() -> tuple[str | None, str | None]:
    return (_local_address(socket.AF_INET, "192.0.2.1"),
            _local_address(socket.AF_INET6, "2001:db8::1"))


def ip_hints(ipv4: str | None, ipv6: str | None, *, configured: bool) -> list[str]:
    """Plain words about the addresses used (or not) in the records."""
    hints = []
    if ipv4 is None:
        hints.append("this server's public IPv4 address is not known: set it with "
                     "`mailroom settings set dns.public_ipv4 ADDRESS`")
    elif not configured and not ipaddress.ip_address(ipv4).is_global:
        hints.append(f"{ipv4} is a private address: this box is behind NAT. Set the address "
                     f"the Internet sees (your router's) with `mailroom settings set "
                     f"dns.public_ipv4 ADDRESS`, and forward port 25 to this box")
    return hints


def records_for(state: Any, dkim: Any, domain: str = "", *,
                detect: Any = detect_addresses) -> dict[str, Any]:
    """The records of one domain (or all), with the hints, from the state and the DKIM store.

    ``state`` is an :class:`appliance.state.State`, ``dkim`` a
    :class:`appliance.dkim.DkimStore`. Domains without keys get them now.
    """
    settings = state.settings()
    aliases: dict[str, str] = state.domain_aliases()
    names = state.domains() + list(aliases)
    if domain:
        wanted = domain.strip().lower().rstrip(".")
        if wanted not in names:
            from appliance.state import StateError

            raise StateError(f"{wanted} is not one of this server's domains", "domain")
        names = [wanted]
    keys: dict[str, list[DkimKey]] = {}
    for name in names:
        ring = dkim.ensure(aliases.get(name, name))
        keys[name] = list(ring.keys)
    ipv4 = settings["dns.public_ipv4"] or None
    ipv6 = settings["dns.public_ipv6"] or None
    configured = bool(ipv4)
    if ipv4 is None or ipv6 is None:
        found4, found6 = detect()
        ipv4 = ipv4 or found4
        # Only a global IPv6 address is worth an AAAA record; a private one helps nobody.
        if ipv6 is None and found6 and ipaddress.ip_address(found6).is_global:
            ipv6 = found6
    hints = ip_hints(ipv4, ipv6, configured=configured)
    usable4 = ipv4 if ipv4 and (configured or ipaddress.ip_address(ipv4).is_global) else None
    records = build_records(settings["hostname"], names, keys, ipv4=usable4, ipv6=ipv6,
                            smarthost=settings["smarthost.host"])
    return {"records": [r.to_dict() for r in records], "text": format_zone(records),
            "hints": hints}
