"""Find the hosts that accept mail for a domain, in the order to try them."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import dns.asyncresolver
import dns.exception
import dns.name
import dns.nameserver
import dns.rcode
import dns.resolver

# Answers are kept no longer than this, whatever their TTL says: a changed MX
# shows up within minutes (Postfix relies on the local resolver, whose
# max-cache-ttl plays this part).
MAX_TTL = 300.0
# NXDOMAIN and "no such record" answers (RFC 2308), kept briefly: a typo'd
# domain costs one lookup a minute, and a freshly fixed zone is seen soon.
MAX_NEGATIVE_TTL = 60.0
CACHE_SIZE = 10_000  # answers per nameserver configuration


@dataclass
class MxHost:
    preference: int
    name: str
    addresses: list[str] = field(default_factory=list)


class DnsTemporaryError(Exception):
    """The answer may be different later (timeout, SERVFAIL): defer the mail."""


class DnsPermanentError(Exception):
    """The domain cannot receive mail (NXDOMAIN, null MX): bounce the mail."""


class NullMxError(DnsPermanentError):
    """The domain publishes a null MX (RFC 7505): it says it takes no mail at all."""


def parse_nameserver(spec: str) -> tuple[str, int]:
    """Split "IP", "IP:PORT", "[IPv6]:PORT" or a bare IPv6 address into (ip, port)."""
    spec = spec.strip()
    if spec.startswith("["):
        host, sep, rest = spec[1:].partition("]")
        if not sep:
            raise ValueError(f"bad nameserver {spec!r}: missing ']'")
        port = int(rest[1:]) if rest.startswith(":") else 53
    elif spec.count(":") == 1:
        host, _, port_text = spec.partition(":")
        port = int(port_text)
    else:
        # Zero colons is IPv4; two or more is an IPv6 address without a port.
        host, port = spec, 53
    ipaddress.ip_address(host)  # a name here would need DNS to find DNS
    if not 0 < port < 65536:
        raise ValueError(f"bad nameserver port in {spec!r}")
    return host, port


def parse_domain_literal(domain: str) -> str | None:
    """Return the address of an address literal like "[1.2.3.4]" or "[IPv6:::1]"."""
    if not (domain.startswith("[") and domain.endswith("]")):
        return None
    inner = domain[1:-1]
    if inner[:5].lower() == "ipv6:":
        inner = inner[5:]
    try:
        return str(ipaddress.ip_address(inner))
    except ValueError as exc:
        raise DnsPermanentError(f"{domain}: malformed address literal") from exc


class AnswerCache(dns.resolver.LRUCache):
    """dnspython's bounded LRU answer cache, with TTLs capped.

    dnspython caches what a name server answered (positive answers, NODATA
    and NXDOMAIN, for their TTL or the SOA minimum) and never a timeout or
    SERVFAIL, which is the RFC 2308 behaviour wanted here; this only caps
    how long an answer is believed.
    """

    def __init__(
        self,
        max_size: int = CACHE_SIZE,
        *,
        max_ttl: float = MAX_TTL,
        max_negative_ttl: float = MAX_NEGATIVE_TTL,
    ) -> None:
        super().__init__(max_size)
        self.max_ttl = max_ttl
        self.max_negative_ttl = max_negative_ttl

    def put(self, key: tuple[dns.name.Name, int, int], value: dns.resolver.Answer) -> None:
        now = time.time()
        negative = value.rrset is None or value.response.rcode() == dns.rcode.NXDOMAIN
        cap = self.max_negative_ttl if negative else self.max_ttl
        value.expiration = min(value.expiration, now + cap)
        if value.expiration > now:  # TTL 0 means "do not cache"
            super().put(key, value)


def make_resolver(nameservers: list[str] | None, timeout: float) -> dns.asyncresolver.Resolver:
    """A new resolver without a cache; :func:`shared_resolver` is the one to use."""
    if nameservers is None:
        resolver = dns.asyncresolver.Resolver()
    else:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(*parse_nameserver(spec)) for spec in nameservers
        ]
    resolver.lifetime = timeout
    # Several tries fit inside the lifetime, so one lost UDP packet is not a failure.
    resolver.timeout = max(min(2.0, timeout / 2), 0.1)
    return resolver


_RESOLV_CONF = "/etc/resolv.conf"
_lock = threading.Lock()
_caches: dict[object, AnswerCache] = {}
_resolvers: dict[tuple[object, float], dns.asyncresolver.Resolver] = {}


def _system_stamp() -> object:
    # The system configuration is re-read when resolv.conf changes (DHCP,
    # a new network), and its answers are forgotten with it.
    try:
        st = os.stat(_RESOLV_CONF)
    except OSError:
        return ("system", None)
    return ("system", st.st_mtime_ns, st.st_ino, st.st_size)


def _is_system(config: object) -> bool:
    return isinstance(config, tuple) and config[:1] == ("system",)


def shared_resolver(nameservers: list[str] | None, timeout: float) -> dns.asyncresolver.Resolver:
    """The resolver for this nameserver configuration, with its answer cache.

    One resolver (and one cache) per configuration for the life of the
    process, so repeated deliveries to a domain cost no DNS queries until the
    answers expire. A different ``nameservers`` list gets its own cache.
    """
    config: object = _system_stamp() if nameservers is None else tuple(nameservers)
    key = (config, timeout)
    resolver = _resolvers.get(key)
    if resolver is not None:
        return resolver
    with _lock:
        resolver = _resolvers.get(key)
        if resolver is None:
            if nameservers is None:
                # resolv.conf changed: forget the old configuration and its answers.
                for k in [k for k in _caches if _is_system(k) and k != config]:
                    del _caches[k]
                for rk in [rk for rk in _resolvers if _is_system(rk[0]) and rk[0] != config]:
                    del _resolvers[rk]
            resolver = make_resolver(nameservers, timeout)
            cache = _caches.get(config)
            if cache is None:
                cache = _caches[config] = AnswerCache()
            resolver.cache = cache
            _resolvers[key] = resolver
    return resolver


def flush_cache() -> None:
    """Forget every cached answer (for tests, and after the admin fixes DNS)."""
    with _lock:
        for cache in _caches.values():
            cache.flush()


def order_mx(records: Iterable[tuple[int, str]], rng: random.Random) -> list[tuple[int, str]]:
    """Sort by preference; shuffle equal preferences to spread load (RFC 5321 5.1)."""
    groups: dict[int, list[str]] = {}
    for preference, name in records:
        groups.setdefault(preference, []).append(name)
    ordered: list[tuple[int, str]] = []
    for preference in sorted(groups):
        names = sorted(groups[preference])  # sort first so a seeded rng is reproducible
        rng.shuffle(names)
        ordered.extend((preference, name) for name in names)
    return ordered


def _to_name(domain: str) -> dns.name.Name:
    try:
        return dns.name.from_text(domain.rstrip(".") + ".")
    except (dns.exception.DNSException, UnicodeError) as exc:
        raise DnsPermanentError(f"{domain}: invalid domain name ({exc})") from exc


async def _addresses(
    resolver: dns.asyncresolver.Resolver, name: dns.name.Name
) -> tuple[list[str], bool]:
    """Return (addresses, temporary_failure); IPv4 first since IPv6 is often unrouted."""
    addresses: list[str] = []
    temporary = False
    results = await asyncio.gather(
        *(resolver.resolve(name, rdtype, search=False) for rdtype in ("A", "AAAA")),
        return_exceptions=True,
    )
    for result in results:
        if isinstance(result, dns.resolver.NXDOMAIN | dns.resolver.NoAnswer):
            continue
        if isinstance(result, BaseException):
            if not isinstance(result, Exception):
                raise result
            temporary = True
            continue
        addresses.extend(rdata.address for rdata in result)
    return addresses, temporary


async def _root_exists(resolver: dns.asyncresolver.Resolver) -> bool:
    """Whether the resolver admits that the root zone exists.

    Offline boxes, captive portals and broken forwarders answer NXDOMAIN for
    every name. Postfix would bounce all outside mail then; an office box
    must rather keep it queued until DNS works again.
    """
    try:
        await resolver.resolve(dns.name.root, "NS", search=False)
    except dns.exception.DNSException:
        return False
    return True


async def resolve_addresses(
    name: str, *, nameservers: list[str] | None = None, timeout: float = 10.0
) -> list[str]:
    """A and AAAA addresses of ``name`` (IPv4 first); an IP address is returned as is."""
    try:
        return [str(ipaddress.ip_address(name))]
    except ValueError:
        pass
    resolver = shared_resolver(nameservers, timeout)
    addresses, temporary = await _addresses(resolver, _to_name(name))
    if addresses:
        return addresses
    if temporary:
        raise DnsTemporaryError(f"{name}: address lookup failed")
    raise DnsPermanentError(f"{name}: Host or domain name not found")


async def resolve_mx(
    domain: str,
    *,
    nameservers: list[str] | None = None,
    timeout: float = 10.0,
    rng: random.Random | None = None,
) -> list[MxHost]:
    """Return the hosts to try for ``domain``, best first, each with its addresses.

    Raises DnsPermanentError when the domain cannot take mail and
    DnsTemporaryError when the answer might change on a later try.
    """
    literal = parse_domain_literal(domain)
    if literal is not None:
        return [MxHost(0, literal, [literal])]
    rng = rng or random.Random()
    resolver = shared_resolver(nameservers, timeout)
    qname = _to_name(domain)

    try:
        answer = await resolver.resolve(qname, "MX", search=False)
        records = [(int(r.preference), r.exchange) for r in answer]
    except dns.resolver.NXDOMAIN as exc:
        if not await _root_exists(resolver):
            raise DnsTemporaryError(
                f"{domain}: the DNS server denies even the root zone; "
                "DNS is not working here, will retry"
            ) from exc
        raise DnsPermanentError(f"{domain}: Host or domain name not found (NXDOMAIN)") from exc
    except dns.resolver.NoAnswer:
        records = []
    except dns.exception.Timeout as exc:
        raise DnsTemporaryError(f"{domain}: timeout looking up MX") from exc
    except dns.resolver.NoNameservers as exc:
        raise DnsTemporaryError(f"{domain}: name servers failed (SERVFAIL) for MX") from exc
    except dns.exception.DNSException as exc:
        raise DnsTemporaryError(f"{domain}: MX lookup failed ({exc})") from exc

    if not records:
        return await _implicit_mx(resolver, domain, qname)

    real = [(pref, name) for pref, name in records if name != dns.name.root]
    if not real:
        raise NullMxError(f"{domain} does not accept mail (null MX)")

    ordered = order_mx(((pref, name.to_text(omit_final_dot=True)) for pref, name in real), rng)
    lookups = await asyncio.gather(*(_addresses(resolver, _to_name(n)) for _, n in ordered))
    hosts = [
        MxHost(pref, name, addrs)
        for (pref, name), (addrs, _) in zip(ordered, lookups, strict=True)
        if addrs
    ]
    if not hosts:
        raise DnsTemporaryError(f"{domain}: no MX host has an address")
    return hosts


async def _implicit_mx(
    resolver: dns.asyncresolver.Resolver, domain: str, qname: dns.name.Name
) -> list[MxHost]:
    addresses, temporary = await _addresses(resolver, qname)
    if addresses:
        return [MxHost(0, domain.rstrip("."), addresses)]
    if temporary:
        raise DnsTemporaryError(f"{domain}: address lookup failed")
    # The name exists but has neither MX nor an address: nothing will change
    # on retry short of an admin fixing DNS, which is how Postfix sees it too.
    raise DnsPermanentError(f"{domain}: no MX and no A/AAAA record")
