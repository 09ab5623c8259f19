"""DMARC (RFC 7489): find the From: domain's policy and judge the message against it.

The ``dmarc`` package parses the record and does the evaluation (alignment,
``p``/``sp``); this module adds what it leaves to the caller: finding the
record in DNS (the From: domain first, then its organizational domain) and
the organizational domain itself, from the Public Suffix List that
``publicsuffixlist`` ships inside the package (nothing is fetched at run time).

Alignment is against the MAIL FROM domain (SPF) and the DKIM ``d=`` domains,
never the HELO name: a null sender gives DMARC no SPF identity.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import dmarc
from publicsuffixlist import PublicSuffixList

from appliance.authcheck.lookup import Lookup

__all__ = ["DmarcResult", "aligned", "check_dmarc", "org_domain"]


@functools.cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def org_domain(domain: str) -> str:
    """The organizational domain: one label under the public suffix (RFC 7489 3.2)."""
    domain = domain.lower().rstrip(".")
    return _psl().privatesuffix(domain) or domain


class _OrgDomains:
    """What the ``dmarc`` package asks of a public suffix list (publicsuffix2's API)."""

    @staticmethod
    def get_public_suffix(domain: str) -> str:
        return org_domain(domain)


_EVALUATOR = dmarc.DMARC(publicsuffix=_OrgDomains())


def aligned(from_domain: str, auth_domain: str, *, strict: bool = False) -> bool:
    """Whether an authenticated domain is aligned with the From: domain."""
    if not from_domain or not auth_domain:
        return False
    mode = dmarc.DMARCAlignment.STRICT if strict else dmarc.DMARCAlignment.RELAXED
    return bool(_EVALUATOR.check_alignment(from_domain.lower(), auth_domain.lower(), mode,
                                           _EVALUATOR.publicsuffix))


@dataclass(frozen=True)
class DmarcResult:
    result: str  # pass, fail, none (no policy), permerror (bad record), temperror
    domain: str  # the From: domain
    policy: str = ""  # the policy that applies (p= or sp=): none, quarantine, reject
    reason: str = ""


def _find_record(lookup: Lookup, domain: str) -> tuple[str | None, bool]:
    """The DMARC record for ``domain`` and whether it came from the organizational domain."""
    for name, from_org in ((domain, False), (org_domain(domain), True)):
        if from_org and name == domain:
            break
        records = [r for r in lookup.txt(f"_dmarc.{name}")
                   if r[:8].lower() == b"v=dmarc1" and (len(r) == 8 or r[8:9] in b"; \t")]
        if len(records) == 1:
            return records[0].decode("utf-8", "replace"), from_org
        if len(records) > 1:
            return None, from_org  # RFC 7489 6.6.3: several records are no record
    return None, False


def check_dmarc(lookup: Lookup, from_domain: str, spf_domain: str | None, spf_result: str,
                dkim_passed: list[str]) -> DmarcResult:
    """Evaluate ``from_domain``'s policy against the SPF and DKIM results.

    ``spf_domain`` is the MAIL FROM domain (None for the null sender);
    ``dkim_passed`` the ``d=`` domains of the signatures that verified.
    DNS failures raise ``DnsTempError``.
    """
    record, from_org = _find_record(lookup, from_domain)
    if record is None:
        return DmarcResult("none", from_domain)
    org = org_domain(from_domain)
    try:
        policy = _EVALUATOR.parse_record(record, domain=from_domain,
                                         org_domain=org if from_org else None)
    except dmarc.Error as exc:
        return DmarcResult("permerror", from_domain, reason=str(exc)[:80])
    spf = None
    if spf_domain:
        try:
            spf = dmarc.SPF(spf_domain, dmarc.SPFResult(spf_result))
        except ValueError:
            spf = None
    dkims = [dmarc.DKIM(d, dmarc.DKIMResult.PASS) for d in dkim_passed]
    outcome = _EVALUATOR.get_result(policy, auth_results=dmarc.AuthResults(spf=spf, dkim=dkims))
    applied = outcome.disposition.value if outcome.result is dmarc.DMARCResult.FAIL else (
        (policy.sp if from_org and policy.sp.value else policy.p).value)
    return DmarcResult(outcome.result.value, from_domain, str(applied or "none"))
