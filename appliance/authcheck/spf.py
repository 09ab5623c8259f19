"""SPF (RFC 7208) through pyspf, asking DNS through our own look-up.

pyspf reads DNS through its module-level ``DNSLookup`` function (it swaps
that function itself between pydns and dnspython). We set it once to a
function that uses the :class:`Lookup` of the check running on this thread,
so the configured name servers and time-out apply, and a DNS failure comes
back as pyspf's ``temperror``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import spf as pyspf

from appliance.authcheck.lookup import DnsTempError, Lookup

__all__ = ["SpfResult", "check_spf"]

_current = threading.local()


def _dns_lookup(name: str, qtype: str, strict: Any = True,
                timeout: float = 20) -> list[tuple[tuple[str, str], Any]]:
    lookup: Lookup | None = getattr(_current, "lookup", None)
    if lookup is None:  # a pyspf caller outside our checks: pyspf's own way
        return _pyspf_lookup(name, qtype, strict, timeout)
    try:
        records = lookup.answers(name, qtype)
    except DnsTempError as exc:
        raise pyspf.TempError(f"DNS {exc}") from exc
    out: list[tuple[tuple[str, str], Any]] = []
    for rdata in records:
        if qtype in ("A", "AAAA"):
            out.append(((name, qtype), rdata.address))  # type: ignore[attr-defined]
        elif qtype == "MX":
            out.append(((name, qtype), (rdata.preference, rdata.exchange)))  # type: ignore[attr-defined]
        elif qtype == "PTR":
            out.append(((name, qtype), rdata.target.to_text(True)))  # type: ignore[attr-defined]
        elif qtype in ("TXT", "SPF"):
            out.append(((name, qtype), rdata.strings))  # type: ignore[attr-defined]
    return out


_pyspf_lookup = pyspf.DNSLookup
pyspf.DNSLookup = _dns_lookup


@contextmanager
def _using(lookup: Lookup) -> Iterator[None]:
    _current.lookup = lookup
    try:
        yield
    finally:
        _current.lookup = None


@dataclass(frozen=True)
class SpfResult:
    result: str  # pass, fail, softfail, neutral, none, temperror, permerror
    identity: str  # the MAIL FROM address, or postmaster@HELO for the null sender
    scope: str  # "mailfrom" or "helo"
    explanation: str = ""

    @property
    def domain(self) -> str:
        return self.identity.rpartition("@")[2].lower()


def check_spf(lookup: Lookup, ip: str, sender: str, helo: str) -> SpfResult:
    """SPF for the MAIL FROM domain; for the null sender, the HELO name (RFC 7208 2.4)."""
    if sender:
        identity, scope = sender, "mailfrom"
    else:
        identity, scope = f"postmaster@{helo}", "helo"
    domain = identity.rpartition("@")[2]
    if not domain or "." not in domain:
        return SpfResult("none", identity, scope, "no domain to check")
    with _using(lookup):
        query = pyspf.query(i=ip, s=identity, h=helo or domain, timeout=lookup.timeout,
                            querytime=lookup.timeout * 4)
        result, _code, explanation = query.check()
    return SpfResult(str(result), identity, scope, str(explanation))
