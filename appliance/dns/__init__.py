"""MX resolution for outbound mail (RFC 5321 section 5.1, RFC 7505 null MX).

Only the lookups remote delivery needs live here; the DNS record checker of
the operations pages is a separate concern.
"""

from typing import Any

from appliance.dns.mx import (
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


def __getattr__(name: str) -> Any:
    # Imported on first use: AnswerCache loads dnspython (see appliance.dns.answer_cache).
    if name == "AnswerCache":
        from appliance.dns.answer_cache import AnswerCache

        return AnswerCache
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
