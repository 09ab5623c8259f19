"""Is each record of ``dns records`` published as it should be? ok / missing / different.

:func:`judge` compares one expected record with what DNS answered (pure);
:func:`check_records` runs it over a list with a lookup function, which
:func:`make_lookup` builds on dnspython with the configured name servers
and time-out. :class:`DnsWatch` is the daemon's periodic re-check: it
remembers which records passed and warns when one of them starts failing.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from appliance.dns.mx import parse_nameserver
from appliance.dns.records import Record

__all__ = [
    "CheckResult", "DnsWatch", "LookupFailed", "check_records", "judge", "make_lookup",
    "summarize",
]

FAILING = ("missing", "different", "error")


class LookupFailed(Exception):
    """DNS did not answer (time-out, SERVFAIL): nothing can be said about the record."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


@dataclass
class CheckResult:
    record: Record
    state: str  # ok, missing, different, error, optional (not published, and need not be)
    found: list[str] = field(default_factory=list)
    fix: str = ""

    @property
    def failing(self) -> bool:
        return self.state in FAILING

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "record": self.record.to_dict()}


Lookup = Callable[[str, str], list[str]]


def _norm(text: str) -> str:
    return " ".join(text.split()).lower().rstrip(";")


def _tags(text: str) -> dict[str, str]:
    out = {}
    for part in text.split(";"):
        key, eq, value = part.partition("=")
        if eq:
            out[key.strip().lower()] = re.sub(r"\s+", "", value)
    return out


def _publish(r: Record) -> str:
    return f"publish `{r.name} IN {r.type} {r.value}`"


def judge(r: Record, found: list[str]) -> tuple[str, str]:
    """(state, the fix in one sentence) for record ``r`` given the answers ``found``."""
    if r.kind in ("spf", "dmarc", "mta-sts", "tls-rpt"):
        prefix = {"spf": "v=spf1", "dmarc": "v=dmarc1", "mta-sts": "v=stsv1",
                  "tls-rpt": "v=tlsrptv1"}[r.kind]
        found = [f for f in found if _norm(f).startswith(prefix)]
    if not found:
        if r.optional:
            return "optional", ""
        return "missing", f"Not published: {_publish(r)}."
    if r.kind == "mx":
        if any(f.split()[-1].lower() == r.value.split()[-1].lower() for f in found):
            return "ok", ""
        return "different", (f"The MX points elsewhere ({', '.join(found)}): add "
                             f"`{r.name} IN MX {r.value}`, or mail for {r.domain} never reaches "
                             "this server.")
    if r.kind in ("a", "aaaa", "ptr"):
        if not r.known or any(f.lower() == r.value.lower() for f in found):
            return "ok", ""
        return "different", f"Found {', '.join(found)}: change it to {r.value}."
    if r.kind == "spf":
        if len(found) > 1:
            return "different", (f"{len(found)} SPF records make SPF fail: keep one, "
                                 f"{r.value}.")
        if _norm(found[0]) == _norm(r.text):
            return "ok", ""
        return "different", f"The SPF record says {found[0]!r}: replace it with {r.value}."
    if r.kind == "dkim":
        want = _tags(r.text)
        for f in found:
            got = _tags(f)
            if got.get("p") == want["p"] and got.get("k", "rsa") == want["k"]:
                return "ok", ""
        return "different", f"The key published differs from this server's: {_publish(r)}."
    if r.kind == "dmarc":
        if _tags(found[0]).get("p") in ("none", "quarantine", "reject"):
            return "ok", ""
        return "different", f"The DMARC record has no valid policy: {_publish(r)}."
    return "ok", ""


def check_records(records: list[Record], lookup: Lookup) -> list[CheckResult]:
    out = []
    down: LookupFailed | None = None
    for r in records:
        if (r.kind == "dkim" and r.optional) or (r.kind == "ptr" and not r.known):
            continue  # a retired key (its record may go any time), or no address to look up
        try:
            if down is not None:
                raise down  # one time-out is enough to know: do not wait for every record
            found = lookup(r.name, r.type)
        except LookupFailed as exc:
            down = exc if exc.timed_out else None
            if r.optional:  # not knowing about a record nobody needs is no failure
                out.append(CheckResult(r, "optional"))
                continue
            out.append(CheckResult(r, "error", [], f"Could not check: {exc}; check "
                                   "dns.nameservers, or try again later."))
            continue
        state, fix = judge(r, found)
        out.append(CheckResult(r, state, found, fix))
    return out


def make_lookup(nameservers: list[str] | None, timeout: float) -> Lookup:
    # Here, not at the top: the daemon checks DNS every few hours at most (dnspython: 7 MB).
    import dns.exception
    import dns.nameserver
    import dns.resolver

    resolver = dns.resolver.Resolver(configure=not nameservers)
    if nameservers:
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(*parse_nameserver(spec)) for spec in nameservers]
    resolver.lifetime = timeout
    resolver.timeout = timeout

    def lookup(name: str, rdtype: str) -> list[str]:
        try:
            answer = resolver.resolve(name, rdtype, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.Timeout as exc:
            raise LookupFailed(f"no answer for {name} within {timeout:g} s", True) from exc
        except (dns.exception.DNSException, OSError) as exc:
            raise LookupFailed(f"lookup of {name} {rdtype} failed ({exc})") from exc
        if rdtype == "TXT":
            return [b"".join(rd.strings).decode("utf-8", "replace") for rd in answer]
        return [rd.to_text() for rd in answer]

    return lookup


def summarize(results: list[CheckResult]) -> dict[str, Any]:
    failing = [r for r in results if r.failing]
    return {"ok": not failing, "checked": time.time(),
            "results": [r.to_dict() for r in results],
            "failing": len(failing)}


def _key(result: dict[str, Any]) -> tuple[str, str, str]:
    r = result["record"]
    return (r["name"], r["type"], r["kind"])


class DnsWatch:
    """The daemon's re-check every ``interval()`` seconds (0: never).

    ``check()`` runs in ``executor`` and returns :func:`summarize`'s dict.
    A record that passed once and now fails is a warning (in ``warnings``,
    shown by status, the dashboard and the tray) until it passes again.
    """

    def __init__(self, check: Callable[[], dict[str, Any]], interval: Callable[[], float],
                 on_change: Callable[[list[str]], None] | None = None) -> None:
        self.check = check
        self.interval = interval
        self.on_change = on_change
        self.last: dict[str, Any] | None = None
        self.passed: set[tuple[str, str, str]] = set()
        self.warnings: list[str] = []

    def update(self, summary: dict[str, Any]) -> None:
        warnings = []
        for result in summary["results"]:
            key = _key(result)
            if result["state"] == "ok":
                self.passed.add(key)
            elif result["state"] in FAILING and key in self.passed:
                r = result["record"]
                warnings.append(f"DNS: the {r['kind'].upper()} record {r['name']} passed an "
                                f"earlier check and is now {result['state']}: {result['fix']}")
        self.last = summary
        changed = warnings != self.warnings
        self.warnings = warnings
        if changed and self.on_change is not None:
            self.on_change(warnings)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        # Its own thread: a check against a dead resolver may take a while and
        # must not hold up the daemon's pool, nor its stop.
        executor = ThreadPoolExecutor(1, thread_name_prefix="mailroom-dnscheck")
        try:
            await self._loop(loop, executor)
        finally:
            executor.shutdown(wait=False, cancel_futures=True)

    async def _loop(self, loop: asyncio.AbstractEventLoop, executor: ThreadPoolExecutor) -> None:
        while True:
            interval = self.interval()
            if interval <= 0:  # off: look at the setting again in a minute
                await asyncio.sleep(60)
                continue
            await asyncio.sleep(interval)
            try:
                summary = await loop.run_in_executor(executor, self.check)
            except Exception as exc:  # the watch must outlive a bad check
                from appliance.logs import get_logger

                get_logger("master").error("DNS record check failed: %s", exc)
                continue
            self.update(summary)


def check_published(state: Any, dkim: Any, domain: str = "", *,
                    detect: Callable[[], tuple[str | None, str | None]] | None = None,
                    ) -> dict[str, Any]:
    """Look up every record of ``dns records [domain]`` (blocking: run it off the loop).

    A pending DKIM key whose record is seen starts signing (the key it
    replaces retires); keys retired over a week ago are dropped.
    """
    from appliance.dns.records import detect_addresses, records_for

    info = records_for(state, dkim, domain, detect=detect or detect_addresses)
    records = [Record(**r) for r in info["records"]]
    settings = state.settings()
    lookup = make_lookup(settings["dns.nameservers"] or None, float(settings["dns.timeout"]))
    results = check_records(records, lookup)
    real = set(state.domains())
    for name in real:
        seen = [r.record.name.split(".", 1)[0] for r in results
                if r.record.kind == "dkim" and r.record.domain == name and r.state == "ok"]
        pending = {k.selector for k in dkim.ring(name).pending()}
        if pending & set(seen):
            dkim.promote(name, sorted(pending & set(seen)))
        dkim.prune(name)
    return {**summarize(results), "hints": info["hints"], "domain": domain}
