"""What the inbound checks found, the header that says so, and what to do about it.

Pure functions only: no DNS, no I/O. ``decide`` turns the results and the
admin's policy settings into accept / junk / reject / defer; ``header``
writes the one ``Authentication-Results:`` field (RFC 8601);
``strip_ours`` removes incoming fields that claim to be ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

# The result types come with their checkers (dkimpy, pyspf, dmarc); this module is
# imported at daemon start, the checkers by the first message checked.
if TYPE_CHECKING:
    from appliance.authcheck.dmarcpolicy import DmarcResult
    from appliance.authcheck.signatures import ArcResult, DkimResult
    from appliance.authcheck.spf import SpfResult

__all__ = [
    "AuthResults", "Decision", "Policy", "decide", "header", "strip_ours", "JUNK_HEADER",
]

JUNK_HEADER = "X-Mailroom-Junk"
ACTIONS = ("reject", "junk", "off")


@dataclass
class AuthResults:
    spf: SpfResult
    dkim: list[DkimResult] = field(default_factory=list)
    dmarc: DmarcResult | None = None  # None: the From: header named no single domain
    arc: ArcResult = field(default_factory=lambda: _no_arc())
    from_domain: str = ""
    # A check whose DNS failed: its result is unknown, not a failure.
    temperror: str = ""

    def summary(self) -> dict[str, Any]:
        """The compact form kept in the queue envelope for spam scoring."""
        return {
            "spf": self.spf.result,
            "dkim": [[d.result, d.domain] for d in self.dkim],
            "dmarc": self.dmarc.result if self.dmarc else "none",
            "dmarc_policy": self.dmarc.policy if self.dmarc else "",
            "arc": self.arc.result,
            "from_domain": self.from_domain,
        }


@dataclass(frozen=True)
class Policy:
    """The admin's settings: each one reject, junk or off."""

    dmarc_reject: str = "reject"  # DMARC fails and the domain says p=reject
    spf_fail: str = "reject"  # SPF says fail (-all) and DMARC does not pass
    own_domain: str = "reject"  # From: one of our domains, neither SPF nor DKIM aligned


@dataclass(frozen=True)
class Decision:
    action: str  # accept, junk, reject, defer
    reply: str = ""  # the SMTP reply for reject and defer
    reason: str = ""  # for the log and the junk marker


def _no_arc() -> ArcResult:
    from appliance.authcheck.signatures import ArcResult

    return ArcResult("none")


def _dkim_aligned(results: AuthResults) -> bool:
    from appliance.authcheck.dmarcpolicy import aligned

    return any(d.result == "pass" and aligned(results.from_domain, d.domain)
               for d in results.dkim)


def _spf_aligned(results: AuthResults) -> bool:
    from appliance.authcheck.dmarcpolicy import aligned

    return (results.spf.result == "pass" and results.spf.scope == "mailfrom"
            and aligned(results.from_domain, results.spf.domain))


def _act(setting: str, reply: str, reason: str) -> Decision:
    if setting == "reject":
        return Decision("reject", reply, reason)
    if setting == "junk":
        return Decision("junk", "", reason)
    return Decision("accept", "", reason)


def decide(results: AuthResults, policy: Policy, *, own_domain: bool) -> Decision:
    """What to do with a message from outside, given what the checks found.

    ``own_domain``: the From: domain is one of ours. A DNS failure defers
    (451) whenever its answer could have changed the outcome; it never
    turns into a refusal.
    """
    dmarc = results.dmarc
    if dmarc is not None and dmarc.result == "pass":
        return Decision("accept")
    if results.temperror:
        # DMARC could still pass, or its policy is unknown: ask again later.
        code = "4.7.24" if results.temperror == "spf" else "4.7.5"
        return Decision("defer", f"451 {code} Temporary DNS failure checking "
                        f"{results.temperror.upper()}; try again later",
                        f"{results.temperror}=temperror")
    if own_domain and not _spf_aligned(results) and not _dkim_aligned(results):
        found = _act(policy.own_domain,
                     f"550 5.7.1 Message claims to be from {results.from_domain} "
                     "but fails SPF and DKIM", f"forged {results.from_domain}")
        if found.action != "accept":
            return found
    if dmarc is not None and dmarc.result == "fail":
        if dmarc.policy == "reject":
            found = _act(policy.dmarc_reject,
                         f"550 5.7.1 Message rejected by the DMARC policy of {dmarc.domain}",
                         f"dmarc=fail p=reject ({dmarc.domain})")
            if found.action != "accept":
                return found
        elif dmarc.policy == "quarantine" and policy.dmarc_reject != "off":
            return Decision("junk", "", f"dmarc=fail p=quarantine ({dmarc.domain})")
    if results.spf.result == "fail" and results.spf.scope == "mailfrom":
        found = _act(policy.spf_fail,
                     f"550 5.7.1 SPF of {results.spf.domain} does not allow this sender",
                     f"spf=fail ({results.spf.domain})")
        if found.action != "accept":
            return found
    return Decision("accept")


# -- the header ---------------------------------------------------------------

_SAFE = re.compile(r"[^\x21-\x7e]")


def _value(text: str) -> str:
    """A property value: a plain token, else a quoted string (RFC 8601 2.2)."""
    text = re.sub(r"[^\x20-\x7e]", "?", text)[:200]
    if text and re.fullmatch(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.@]+", text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _comment(text: str) -> str:
    return "(" + re.sub(r"[()\\\r\n]", " ", _SAFE.sub("?", text))[:120] + ")"


def header(authserv_id: str, results: AuthResults, ip: str) -> str:
    """The ``Authentication-Results:`` field, folded, ending with CRLF."""
    spf = results.spf
    parts = [f"spf={spf.result} {_comment(f'{ip}')} "
             f"smtp.{spf.scope}={_value(spf.identity if spf.scope == 'mailfrom' else spf.domain)}"]
    if results.dkim:
        for d in results.dkim:
            reason = f" reason={_value(d.reason)}" if d.reason else ""
            parts.append(f"dkim={d.result}{reason} header.d={_value(d.domain or 'unknown')} "
                         f"header.s={_value(d.selector or 'unknown')} "
                         f"header.a={_value(d.algorithm or 'unknown')}")
    else:
        parts.append("dkim=none")
    if results.dmarc is not None:
        dm = results.dmarc
        policy = f" policy.dmarc={dm.policy}" if dm.policy else ""
        parts.append(f"dmarc={dm.result}{policy} header.from={_value(dm.domain)}")
    else:
        parts.append("dmarc=none")
    if results.arc.result != "none":
        parts.append(f"arc={results.arc.result}")
    return f"Authentication-Results: {authserv_id};\r\n\t" + ";\r\n\t".join(parts) + "\r\n"


_AR_FIELD = re.compile(rb"(?im)^authentication-results[ \t]*:[ \t]*(?:\r?\n[ \t]+)?"
                       rb"(?:\([^)]*\)[ \t]*)?([^;\s]+)")
_JUNK_FIELD = re.compile(rb"(?im)^" + JUNK_HEADER.lower().encode() + rb"[ \t]*:")


def strip_ours(head: bytes, authserv_id: str) -> bytes:
    """``head`` (the header section) without fields only we may write.

    An ``Authentication-Results`` whose authserv-id is ours (RFC 8601 5:
    forged, or left by an earlier hop that was us) and any junk marker.
    """
    ours = authserv_id.lower().encode()
    lines = head.splitlines(keepends=True)
    out: list[bytes] = []
    dropping = False
    for i, line in enumerate(lines):
        if line[:1] in (b" ", b"\t"):
            if not dropping:
                out.append(line)
            continue
        dropping = False
        if line[:1] in (b"a", b"A", b"x", b"X"):
            if _JUNK_FIELD.match(line):
                dropping = True
            elif line[:22].lower() == b"authentication-results":
                # The id may sit on a continuation line: look at the whole field.
                found = _AR_FIELD.match(line + b"".join(_continuation(lines, i)))
                dropping = found is not None and found.group(1).lower() == ours
        if not dropping:
            out.append(line)
    return b"".join(out)


def _continuation(lines: list[bytes], start: int) -> list[bytes]:
    out = []
    for line in lines[start + 1:]:
        if line[:1] not in (b" ", b"\t"):
            break
        out.append(line)
    return out
