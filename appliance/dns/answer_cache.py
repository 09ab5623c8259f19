"""The DNS answer cache shared by outbound MX look-ups and the inbound checks.

Its own module because it subclasses dnspython's cache: importing it loads
dnspython (7 MB resident), which the daemon should only pay once it looks
something up (``appliance.dns.mx`` imports this where it makes a resolver).
"""

from __future__ import annotations

import time

import dns.name
import dns.rcode
import dns.resolver

from appliance.dns.mx import CACHE_SIZE, MAX_NEGATIVE_TTL, MAX_TTL

__all__ = ["AnswerCache"]


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
