"""The pure parts of the inbound checks: the decision, the header, forged-header removal."""

from __future__ import annotations

import pytest

from appliance.authcheck import (
    AuthResults,
    Policy,
    decide,
    from_domain,
    from_domains,
    header,
    strip_ours,
)
from appliance.authcheck.dmarcpolicy import DmarcResult, aligned, org_domain
from appliance.authcheck.signatures import ArcResult, DkimResult
from appliance.authcheck.spf import SpfResult


def results(spf: str = "none", dkim: list[tuple[str, str]] | None = None,
            dmarc: tuple[str, str] | None = ("none", ""), from_domain: str = "far.test",
            sender: str = "a@far.test", temperror: str = "") -> AuthResults:
    return AuthResults(
        spf=SpfResult(spf, sender, "mailfrom"),
        dkim=[DkimResult(r, d, "s1", "rsa-sha256") for r, d in (dkim or [])],
        dmarc=None if dmarc is None else DmarcResult(dmarc[0], from_domain, dmarc[1]),
        from_domain=from_domain, temperror=temperror)


@pytest.mark.parametrize(("found", "own", "policy", "action"), [
    (results(spf="pass", dmarc=("pass", "reject")), False, Policy(), "accept"),
    (results(dmarc=("fail", "reject")), False, Policy(), "reject"),
    (results(dmarc=("fail", "reject")), False, Policy(dmarc_reject="junk"), "junk"),
    (results(dmarc=("fail", "reject")), False, Policy(dmarc_reject="off"), "accept"),
    (results(dmarc=("fail", "quarantine")), False, Policy(), "junk"),
    (results(dmarc=("fail", "quarantine")), False, Policy(dmarc_reject="off"), "accept"),
    (results(dmarc=("fail", "none")), False, Policy(), "accept"),
    (results(spf="fail"), False, Policy(), "reject"),
    (results(spf="fail"), False, Policy(spf_fail="junk"), "junk"),
    (results(spf="softfail"), False, Policy(), "accept"),
    (results(spf="temperror", temperror="spf"), False, Policy(), "defer"),
    # DMARC passed through DKIM: an SPF failure (a forwarder) does not refuse it.
    (results(spf="fail", dkim=[("pass", "far.test")], dmarc=("pass", "reject")), False,
     Policy(), "accept"),
    # One of our own domains, neither SPF nor DKIM aligned.
    (results(spf="pass", sender="a@other.test", from_domain="example.test", dmarc=None),
     True, Policy(), "reject"),
    (results(spf="pass", sender="a@example.test", from_domain="example.test", dmarc=None),
     True, Policy(), "accept"),
    (results(dkim=[("pass", "example.test")], from_domain="example.test", dmarc=None),
     True, Policy(), "accept"),
    (results(from_domain="example.test", dmarc=None), True, Policy(own_domain="junk"), "junk"),
])
def test_decide(found: AuthResults, own: bool, policy: Policy, action: str) -> None:
    decision = decide(found, policy, own_domain=own)
    assert decision.action == action
    if action == "reject":
        assert decision.reply.startswith("550 5.7.1 ")
    if action == "defer":
        assert decision.reply.startswith("451 4.7.")


def test_a_dns_failure_never_rejects() -> None:
    found = results(spf="fail", dmarc=("temperror", ""), temperror="dmarc")
    assert decide(found, Policy(), own_domain=True).action == "defer"


def test_alignment_and_organizational_domain() -> None:
    assert org_domain("a.b.far.test") == "far.test"
    assert org_domain("mail.example.co.uk") == "example.co.uk"
    assert aligned("far.test", "mail.far.test")
    assert aligned("news.far.test", "far.test")
    assert aligned("a.far.test", "b.far.test")
    assert not aligned("a.far.test", "b.far.test", strict=True)
    assert aligned("far.test", "FAR.test", strict=True)
    assert not aligned("far.test", "far.test.evil.test")
    assert not aligned("example.co.uk", "other.co.uk")


def test_header_is_one_field_with_every_method() -> None:
    found = results(spf="pass", dkim=[("pass", "far.test"), ("fail", "x.test")],
                    dmarc=("pass", "reject"))
    found.arc = ArcResult("pass")
    text = header("mail.example.test", found, "192.0.2.7")
    assert text.count("Authentication-Results:") == 1
    assert text.startswith("Authentication-Results: mail.example.test;\r\n\tspf=pass")
    assert "smtp.mailfrom=a@far.test" in text
    assert "dkim=pass header.d=far.test" in text and "dkim=fail header.d=x.test" in text
    assert "dmarc=pass policy.dmarc=reject header.from=far.test" in text
    assert text.endswith("arc=pass\r\n")


def test_header_quotes_what_is_not_a_token() -> None:
    found = results(sender='"odd user"@far.test')
    assert 'smtp.mailfrom="\\"odd user\\"@far.test"' in header("mx.test", found, "192.0.2.7")


def test_strip_ours_removes_our_id_in_any_case_and_folding() -> None:
    head = (b"Received: from x\r\n"
            b"Authentication-Results: mail.example.test; spf=pass\r\n"
            b"authentication-results:\r\n\t(comment) Mail.Example.Test;\r\n dkim=pass\r\n"
            b"Authentication-Results: mail.example.test.evil; spf=fail\r\n"
            b"X-Mailroom-Junk: no\r\n"
            b"Subject: hi\r\n")
    assert strip_ours(head, "mail.example.test") == (
        b"Received: from x\r\n"
        b"Authentication-Results: mail.example.test.evil; spf=fail\r\n"
        b"Subject: hi\r\n")


def test_from_domain_needs_exactly_one_address() -> None:
    assert from_domain(b"From: Carol <carol@Far.Test>\r\n") == "far.test"
    assert from_domain(b"From: a@one.test, b@two.test\r\n") is None
    assert from_domain(b"Subject: none\r\n") is None


def test_from_domains_lists_each_author_domain_once() -> None:
    assert from_domains(b"From: a@One.test, b@two.test,\r\n c@one.test\r\n") == [
        "one.test", "two.test"]
