"""DNS look-ups for the inbound checks: blocking dnspython, run on worker threads.

pyspf and dkimpy ask DNS synchronously from inside their checks, so these
look-ups are blocking on purpose; the SMTP server runs the whole check off
the event loop. Every answer comes from the configured ``dns.nameservers``
(or the system resolver), with one time-out for each question and a shared
answer cache, so a burst of mail from one sender asks once per TTL.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

# dnspython is imported when a Lookup is made (the first checked message), not
# when the daemon starts: 7 MB resident.
if TYPE_CHECKING:
    import dns.rdata

__all__ = ["DnsTempError", "Lookup"]

MAX_TTL = 300  # seconds an answer is believed, whatever its TTL (as appliance.dns.mx)
NEGATIVE_TTL = 60  # "no such record", kept briefly: a freshly published one is seen soon
MEMO_SIZE = 10_000


class DnsTempError(Exception):
    """No answer for now (time-out, SERVFAIL, no server reachable): try the mail later."""


class Lookup:
    """Synchronous TXT/A/AAAA/MX/PTR questions with a time-out and a cache."""

    def __init__(self, nameservers: list[str] | None, timeout: float) -> None:
        import dns.nameserver
        import dns.resolver

        from appliance.dns import AnswerCache, parse_nameserver

        if nameservers:
            resolver = dns.resolver.Resolver(configure=False)
            resolver.nameservers = [
                dns.nameserver.Do53Nameserver(*parse_nameserver(spec)) for spec in nameservers
            ]
        else:
            resolver = dns.resolver.Resolver()
        resolver.lifetime = timeout
        # Several tries fit in the lifetime: one lost UDP packet is not a failure.
        resolver.timeout = max(min(2.0, timeout / 2), 0.1)
        resolver.cache = AnswerCache()
        self.resolver = resolver
        self.timeout = timeout
        # The records themselves, by (name, type): dnspython's cache still
        # costs a fifth of a millisecond a question, and each message asks
        # the same few questions (SPF, two DKIM keys, DMARC).
        self._memo: dict[tuple[str, str], tuple[float, list[dns.rdata.Rdata]]] = {}
        self._memo_lock = threading.Lock()

    def answers(self, name: str, rdtype: str) -> list[dns.rdata.Rdata]:
        """The records of ``rdtype`` at ``name``; [] for NXDOMAIN or no such record."""
        key = (name.lower(), rdtype)
        now = time.monotonic()
        memo = self._memo.get(key)
        if memo is not None and memo[0] > now:
            return memo[1]
        import dns.exception
        import dns.name
        import dns.resolver

        try:
            answer = self.resolver.resolve(name, rdtype, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            self._remember(key, now + NEGATIVE_TTL, [])
            return []
        except (dns.exception.Timeout, dns.resolver.NoNameservers,
                dns.resolver.LifetimeTimeout) as exc:
            raise DnsTempError(f"{name} {rdtype}: {exc.__class__.__name__}") from exc
        except (dns.name.NameTooLong, dns.name.EmptyLabel, dns.name.LabelTooLong):
            return []
        except dns.exception.DNSException as exc:
            raise DnsTempError(f"{name} {rdtype}: {exc}") from exc
        records = list(answer)
        ttl = answer.rrset.ttl if answer.rrset is not None else NEGATIVE_TTL
        self._remember(key, now + min(ttl, MAX_TTL), records)
        return records

    def _remember(self, key: tuple[str, str], until: float,
                  records: list[dns.rdata.Rdata]) -> None:
        with self._memo_lock:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()  # crude, and rare: a flood of different senders
            self._memo[key] = (until, records)

    def txt(self, name: str) -> list[bytes]:
        """Each TXT record at ``name`` with its strings joined (RFC 7208 3.3)."""
        return [b"".join(r.strings) for r in self.answers(name, "TXT")]  # type: ignore[attr-defined]

    def dkim_key(self, name: bytes | str, timeout: float = 0) -> bytes | None:
        """dkimpy's ``dnsfunc``: the key record, or None when there is none."""
        text = name.decode("ascii", "replace") if isinstance(name, bytes) else name
        records = self.txt(text)
        return records[0] if records else None
