"""Checks on mail from outside: SPF, DKIM, DMARC and ARC, and what to do with the answers.

The SMTP server calls :meth:`InboundChecker.check` at the end of DATA, on
a worker thread, for mail from clients that are neither logged in nor in
a relay network. The check verifies every DKIM signature (RSA and
Ed25519), SPF for the MAIL FROM domain, the From: domain's DMARC policy
with alignment against MAIL FROM and the DKIM domains (never HELO), and
an ARC chain where there is one. The answer is a :class:`Decision` (accept,
junk, reject with 550 5.7.1, or defer with 451 4.7.x when DNS failed) and
the message's new header section: incoming ``Authentication-Results``
fields claiming our id removed, ours (one field, RFC 8601) on top.

Parts: ``lookup`` (DNS), ``spf`` (pyspf), ``signatures`` (dkimpy),
``dmarcpolicy`` (the ``dmarc`` package and the Public Suffix List),
``results`` (the pure decision and header logic).
"""

from __future__ import annotations

import asyncio
import functools
import re
import threading
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from email.utils import getaddresses
from typing import TYPE_CHECKING, Any

from appliance.authcheck.lookup import DnsTempError, Lookup
from appliance.authcheck.results import (
    ACTIONS,
    JUNK_HEADER,
    AuthResults,
    Decision,
    Policy,
    decide,
    header,
    strip_ours,
)

# The checkers (dkimpy, pyspf, dmarc, cryptography: 15 MB resident) are imported by
# the first message checked, not when the daemon starts.
if TYPE_CHECKING:
    from appliance.authcheck.dmarcpolicy import DmarcResult

__all__ = [
    "ACTIONS", "AuthResults", "CheckConfig", "Decision", "InboundChecker", "JUNK_HEADER",
    "Outcome", "Policy", "decide", "from_domain", "from_domains", "header", "smtp_hook",
    "strip_ours",
]


@dataclass(frozen=True)
class CheckConfig:
    authserv_id: str  # our host name
    nameservers: tuple[str, ...] = ()  # empty: the system resolver
    timeout: float = 5.0  # seconds for each DNS question
    policy: Policy = Policy()


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    results: AuthResults
    head: bytes  # the new header section: our field on top, forged ones gone

    def log_text(self) -> str:
        """One line for the mail log: each method's result and what was done."""
        r = self.results
        dkim = ",".join(f"{d.result}({d.domain})" for d in r.dkim) or "none"
        dmarc = r.dmarc.result if r.dmarc else "none"
        reason = f" ({self.decision.reason})" if self.decision.reason else ""
        return (f"authcheck: spf={r.spf.result} dkim={dkim} dmarc={dmarc} arc={r.arc.result}, "
                f"{self.decision.action}{reason}")

    def summary(self) -> dict[str, Any]:
        """What is kept in the queue envelope, for the filters and spam scoring."""
        return {**self.results.summary(), "action": self.decision.action,
                "reason": self.decision.reason}


_FROM = re.compile(rb"(?im)^from[ \t]*:(.*(?:\r?\n[ \t].*)*)")


def from_domains(head: bytes) -> list[str]:
    """The distinct domains of the From: addresses, in order."""
    fields = [m.group(1).decode("utf-8", "replace") for m in _FROM.finditer(head)]
    domains: list[str] = []
    for _, address in getaddresses(fields):
        domain = address.rpartition("@")[2].strip().rstrip(".").lower() if "@" in address else ""
        if domain and domain not in domains:
            domains.append(domain)
    return domains


def from_domain(head: bytes) -> str | None:
    """The From: domain, or None when there is not exactly one."""
    domains = from_domains(head)
    return domains[0] if len(domains) == 1 else None


def _strictest(results: list[DmarcResult]) -> DmarcResult | None:
    """With several author domains, the result that weighs most (RFC 7489 6.6.1).

    Otherwise a forger would add a second address of his own to the From:
    of a domain that asks for p=reject.
    """
    def weight(r: DmarcResult) -> int:
        if r.result == "fail":
            return {"reject": 0, "quarantine": 2}.get(r.policy, 3)
        return {"temperror": 1, "permerror": 4, "pass": 5}.get(r.result, 6)

    return min(results, key=weight) if results else None


class InboundChecker:
    """Runs the checks; one instance for the daemon, safe to call from several threads."""

    def __init__(self, is_local_domain: Callable[[str], bool]) -> None:
        self.is_local_domain = is_local_domain
        self._lookups: dict[tuple[tuple[str, ...], float], Lookup] = {}
        self._lock = threading.Lock()

    def _lookup(self, config: CheckConfig) -> Lookup:
        key = (config.nameservers, config.timeout)
        with self._lock:
            lookup = self._lookups.get(key)
            if lookup is None:
                # A changed setting gets a fresh resolver (and cache); drop the old.
                self._lookups.clear()
                lookup = self._lookups[key] = Lookup(list(config.nameservers) or None,
                                                     config.timeout)
            return lookup

    def check(self, config: CheckConfig, message: bytes, head_end: int, *, ip: str, helo: str,
              sender: str) -> Outcome:
        """Check ``message`` (blocking: run it off the event loop)."""
        from appliance.authcheck.dmarcpolicy import DmarcResult, check_dmarc
        from appliance.authcheck.signatures import verify_arc, verify_dkim
        from appliance.authcheck.spf import check_spf

        lookup = self._lookup(config)
        head = message[:head_end]
        spf = check_spf(lookup, ip, sender, helo)
        dkims = verify_dkim(lookup, message) if b"dkim-signature:" in head.lower() else []
        arc = verify_arc(lookup, message, head)
        domains = from_domains(head)
        ours = [d for d in domains if self.is_local_domain(d)]
        own = bool(ours)
        found = []
        for domain in domains[:5]:  # a From: with more authors than this is not mail
            try:
                found.append(check_dmarc(
                    lookup, domain, sender.rpartition("@")[2] or None, spf.result,
                    [d.domain for d in dkims if d.result == "pass"]))
            except DnsTempError as exc:
                found.append(DmarcResult("temperror", domain, reason=str(exc)[:80]))
        dmarc = _strictest(found)
        domain = ours[0] if ours else (dmarc.domain if dmarc is not None else None)
        temperror = ""
        if spf.result == "temperror":
            temperror = "spf"
        elif dmarc is not None and dmarc.result == "temperror":
            temperror = "dmarc"
        elif any(d.result == "temperror" for d in dkims) and (
                own or (dmarc is not None and dmarc.result != "none")):
            # A signature we could not check matters only where a policy asks for one.
            temperror = "dkim"
        results = AuthResults(spf=spf, dkim=dkims, dmarc=dmarc, arc=arc,
                              from_domain=domain or "", temperror=temperror)
        decision = decide(results, config.policy, own_domain=own)
        new_head = header(config.authserv_id, results, ip).encode("utf-8", "replace")
        if decision.action == "junk":
            new_head += f"{JUNK_HEADER}: yes ({decision.reason})\r\n".encode("utf-8", "replace")
        return Outcome(decision, results, new_head + strip_ours(head, config.authserv_id))


InboundCheck = Callable[[bytes, int, str, str, str], Awaitable[Outcome | None]]


def smtp_hook(settings: Callable[[], Mapping[str, Any]], is_local_domain: Callable[[str], bool],
              executor: Executor | None) -> InboundCheck:
    """The SMTP server's end-of-DATA check: None while ``authcheck.enabled`` is off.

    The settings are read for every message, so a reload applies at once;
    the check itself runs on ``executor``, off the event loop.
    """
    checker = InboundChecker(is_local_domain)

    async def check(message: bytes, head_end: int, ip: str, helo: str,
                    sender: str) -> Outcome | None:
        s = settings()
        if not s["authcheck.enabled"]:
            return None
        config = CheckConfig(
            authserv_id=s["hostname"], nameservers=tuple(s["dns.nameservers"]),
            timeout=float(s["authcheck.dns_timeout"]),
            policy=Policy(dmarc_reject=s["authcheck.dmarc_reject"],
                          spf_fail=s["authcheck.spf_fail"], own_domain=s["authcheck.own_domain"]),
        )
        run = functools.partial(checker.check, config, message, head_end, ip=ip, helo=helo,
                                sender=sender)
        return await asyncio.get_running_loop().run_in_executor(executor, run)

    return check
