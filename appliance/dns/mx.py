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
from typing import TYPE_CHECKING, Any

# dnspython is imported where a name is looked up: the idle daemon and every
# CLI command would otherwise carry it (7 MB resident, 120 modules).
if TYPE_CHECKING:
    import dns.asyncresolver
    import dns.name

    from appliance.dns.answer_cache import AnswerCache

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


def make_resolver(nameservers: list[str] | None, timeout: float) -> dns.asyncresolver.Resolver:
    """A new resolver without a cache; :func:`shared_resolver` is the one to use."""
    import dns.asyncresolver
    import dns.nameserver

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
                from appliance.dns.answer_cache import AnswerCache

                cache = _caches[config] = AnswerCache()
            resolver.cache = cache
            _resolvers[key] = resolver
    return resolver


def flush_cache() -> None:
    """Forget every cached answer (for tests, and after the admin fixes DNS)."""
    with _lock:
        for cache in _caches.values():
            cache.flush()
        _routes.clear()


# A domain's whole answer (MX hosts and their addresses) is kept this much
# longer on top of the answer cache: answering from that cache still took
# three look-ups and an exception (no AAAA) per message, a tenth of the
# daemon's time when relaying a stream of mail to one domain.
ROUTE_TTL = 1.0
_ROUTES_MAX = 1000
_routes: dict[tuple[object, str], tuple[float, list[MxHost]]] = {}
_rng = random.Random()


def _remember(key: tuple[object, str], hosts: list[MxHost]) -> list[MxHost]:
    if len(_routes) >= _ROUTES_MAX:
        _routes.clear()
    kept = [MxHost(h.preference, h.name, list(h.addresses)) for h in hosts]
    _routes[key] = (time.monotonic() + ROUTE_TTL, kept)
    return hosts


def _recalled(key: tuple[object, str], rng: random.Random) -> list[MxHost] | None:
    hit = _routes.get(key)
    if hit is None or hit[0] <= time.monotonic():
        return None
    # Equal preferences are shuffled afresh for every call, as for a new answer.
    by_name = {h.name: h for h in hit[1]}
    return [MxHost(pref, name, list(by_name[name].addresses))
            for pref, name in order_mx(((h.preference, h.name) for h in hit[1]), rng)]


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
    import dns.exception
    import dns.name

    try:
        return dns.name.from_text(domain.rstrip(".") + ".")
    except (dns.exception.DNSException, UnicodeError) as exc:
        raise DnsPermanentError(f"{domain}: invalid domain name ({exc})") from exc


async def _addresses(
    resolver: dns.asyncresolver.Resolver, name: dns.name.Name
) -> tuple[list[str], bool]:
    """Return (addresses, temporary_failure); IPv4 first since IPv6 is often unrouted."""
    import dns.resolver

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
    import dns.exception
    import dns.name

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
    rng = rng or _rng
    resolver = shared_resolver(nameservers, timeout)
    key = (resolver, domain.lower())
    recalled = _recalled(key, rng)
    if recalled is not None:
        return recalled
    qname = _to_name(domain)
    import dns.exception
    import dns.name
    import dns.resolver

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
        return _remember(key, await _implicit_mx(resolver, domain, qname))

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
    return _remember(key, hosts)


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


def __getattr__(name: str) -> Any:
    # AnswerCache lives in its own module (it loads dnspython); the old name still works.
    if name == "AnswerCache":
        from appliance.dns.answer_cache import AnswerCache

        return AnswerCache
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
