"""MX resolution for outbound mail (RFC 5321 section 5.1, RFC 7505 null MX).

Only the lookups remote delivery needs live here; the DNS record checker of
the operations pages is a separate concern.
"""

from appliance.dns.mx import (
    AnswerCache,
    DnsPermanentError,
    DnsTemporaryError,
    MxHost,
    NullMxError,
    flush_cache,
    make_resolver,
    order_mx,
    parse_domain_literal,
    parse_nameserver,
    resolve_addresses,
    resolve_mx,
    shared_resolver,
)

__all__ = [
    "AnswerCache",
    "DnsPermanentError",
    "DnsTemporaryError",
    "MxHost",
    "NullMxError",
    "flush_cache",
    "make_resolver",
    "order_mx",
    "parse_domain_literal",
    "parse_nameserver",
    "resolve_addresses",
    "resolve_mx",
    "shared_resolver",
]
