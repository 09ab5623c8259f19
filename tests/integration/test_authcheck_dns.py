"""The inbound checks (appliance.authcheck) against the local DNS server.

Real dkimpy signatures (RSA and Ed25519), real pyspf and DMARC evaluation;
only the SMTP session is left out (test_inbound_auth drives the daemon).
"""

from __future__ import annotations

from collections.abc import Iterator

import dkim
import pytest

from appliance.authcheck import CheckConfig, InboundChecker, Outcome, Policy
from tests.support.dnsserver import DnsServer
from tests.support.mailauth import FarDomain, message

OUR_ID = "mail.example.test"
OUTSIDE_IP = "127.0.0.2"


@pytest.fixture(scope="module")
def far() -> FarDomain:
    return FarDomain(extra={
        # A subdomain with its own SPF; its DMARC comes from the org domain (sp=).
        "news.far.test": {"TXT": ["v=spf1 ip4:127.0.0.2 -all"]},
        "soft.test": {"TXT": ["v=spf1 ip4:192.0.2.1 ~all"]},
        "broken.test": {"TXT": ["v=spf1 include:gone.broken.test -all"]},
        "quar.test": {"TXT": ["v=spf1 -all"]},
        "_dmarc.quar.test": {"TXT": ["v=DMARC1; p=quarantine"]},
        "sub.test": {"TXT": ["v=spf1 -all"]},
        "_dmarc.sub.test": {"TXT": ["v=DMARC1; p=none; sp=reject"]},
        "strict.test": {"TXT": ["v=spf1 -all"]},
        "bounce.strict.test": {"TXT": ["v=spf1 ip4:127.0.0.2 -all"]},
        "_dmarc.strict.test": {"TXT": ["v=DMARC1; p=reject; aspf=s; adkim=s"]},
        "relaxed.test": {"TXT": ["v=spf1 -all"]},
        "bounce.relaxed.test": {"TXT": ["v=spf1 ip4:127.0.0.2 -all"]},
        "_dmarc.relaxed.test": {"TXT": ["v=DMARC1; p=reject"]},
        "slow.test": {"TXT": ["v=spf1 ip4:127.0.0.2 -all"]},
    })


@pytest.fixture(scope="module")
def dns_server(far: FarDomain) -> Iterator[DnsServer]:
    with DnsServer(far.zone(), servfail=["gone.broken.test"],
                   drop=["_dmarc.slow.test"]) as server:
        yield server


@pytest.fixture
def check(dns_server: DnsServer) -> Iterator[object]:
    checker = InboundChecker(lambda domain: domain == "example.test")
    config = CheckConfig(OUR_ID, (dns_server.nameserver,), timeout=1.0, policy=Policy())

    def run(msg: bytes, sender: str = "carol@far.test", ip: str = OUTSIDE_IP,
            helo: str = "mx.far.test", policy: Policy | None = None) -> Outcome:
        cfg = config if policy is None else CheckConfig(OUR_ID, config.nameservers, 1.0, policy)
        head_end = msg.index(b"\r\n\r\n") + 2
        return checker.check(cfg, msg, head_end, ip=ip, helo=helo, sender=sender)

    yield run


def ar(outcome: Outcome) -> str:
    head = outcome.head.decode()
    return head[: head.index("\r\n", head.index("dmarc="))]


def test_signed_mail_passing_spf_passes_dkim_both_keys_and_dmarc(check, far) -> None:
    outcome = check(far.sign(message()))
    assert outcome.decision.action == "accept"
    results = outcome.results
    assert results.spf.result == "pass"
    assert [(d.result, d.algorithm) for d in results.dkim] == [
        ("pass", "ed25519-sha256"), ("pass", "rsa-sha256")]
    assert results.dmarc is not None and results.dmarc.result == "pass"
    text = ar(outcome)
    assert text.startswith("Authentication-Results: mail.example.test;\r\n\tspf=pass")
    assert "dkim=pass header.d=far.test header.s=e1 header.a=ed25519-sha256" in text
    assert "dkim=pass header.d=far.test header.s=r1 header.a=rsa-sha256" in text
    assert "dmarc=pass policy.dmarc=reject header.from=far.test" in text
    assert outcome.summary()["dmarc"] == "pass"


def test_a_changed_body_fails_dkim_and_dmarc_reject_refuses_it(check, far) -> None:
    signed = far.sign(message()).replace(b"Hello from outside.", b"Send money now.")
    outcome = check(signed, ip="127.0.0.7")  # SPF fails too: nothing aligned passes
    assert [d.result for d in outcome.results.dkim] == ["fail", "fail"]
    assert outcome.decision.action == "reject"
    assert outcome.decision.reply.startswith("550 5.7.1 ")
    assert "DMARC" in outcome.decision.reply


def test_dkim_alone_passes_dmarc_when_spf_fails(check, far) -> None:
    # Forwarded mail: the forwarder's address fails SPF, the aligned signature carries it.
    outcome = check(far.sign(message()), ip="127.0.0.7")
    assert outcome.results.spf.result == "fail"
    assert outcome.results.dmarc is not None and outcome.results.dmarc.result == "pass"
    assert outcome.decision.action == "accept"


def test_spf_fail_softfail_and_temperror(check) -> None:
    plain = message(sender="x@other.test")
    failed = check(plain, sender="carol@far.test", ip="127.0.0.7")
    assert failed.results.spf.result == "fail"
    assert failed.decision.action == "reject"

    soft = check(message(sender="x@soft.test"), sender="x@soft.test")
    assert soft.results.spf.result == "softfail"
    assert soft.decision.action == "accept"
    assert "spf=softfail" in ar(soft)

    temp = check(message(sender="x@broken.test"), sender="x@broken.test")
    assert temp.results.spf.result == "temperror"
    assert temp.decision.action == "defer"
    assert temp.decision.reply.startswith("451 4.7.")


def test_spf_fail_setting_junk_or_off(check) -> None:
    junk = check(message(), ip="127.0.0.7", policy=Policy(spf_fail="junk", dmarc_reject="off"))
    assert junk.decision.action == "junk"
    assert b"X-Mailroom-Junk: yes" in junk.head
    off = check(message(), ip="127.0.0.7", policy=Policy(spf_fail="off", dmarc_reject="off"))
    assert off.decision.action == "accept"


def test_dmarc_quarantine_goes_to_junk(check) -> None:
    outcome = check(message(sender="x@quar.test"), sender="x@quar.test")
    assert outcome.results.dmarc is not None
    assert (outcome.results.dmarc.result, outcome.results.dmarc.policy) == ("fail", "quarantine")
    assert outcome.decision.action == "junk"
    assert outcome.summary()["action"] == "junk"


def test_subdomain_policy_comes_from_sp(check) -> None:
    sub = check(message(sender="x@a.sub.test"), sender="x@a.sub.test")
    assert sub.results.dmarc is not None
    assert (sub.results.dmarc.result, sub.results.dmarc.policy) == ("fail", "reject")
    assert sub.decision.action == "reject"
    top = check(message(sender="x@sub.test"), sender="x@sub.test")
    assert top.results.dmarc is not None and top.results.dmarc.policy == "none"
    # p=none: DMARC fails but asks for nothing; the SPF -all still refuses.
    assert top.decision.reason.startswith("spf=fail")


def test_relaxed_alignment_takes_a_subdomain_of_the_org_domain(check, far) -> None:
    # MAIL FROM bounce.relaxed.test passes SPF and is aligned with From: relaxed.test.
    outcome = check(message(sender="x@relaxed.test"), sender="b@bounce.relaxed.test")
    assert outcome.results.spf.result == "pass"
    assert outcome.results.dmarc is not None and outcome.results.dmarc.result == "pass"
    # A signature by the org domain is aligned with a From: in a subdomain.
    signed = far.sign(message(sender="carol@news.far.test"))
    sub = check(signed, sender="carol@news.far.test", ip="127.0.0.7")
    assert sub.results.dmarc is not None and sub.results.dmarc.result == "pass"


def test_strict_alignment_refuses_a_subdomain(check, far) -> None:
    outcome = check(message(sender="x@strict.test"), sender="b@bounce.strict.test")
    assert outcome.results.spf.result == "pass"
    assert outcome.results.dmarc is not None and outcome.results.dmarc.result == "fail"
    assert outcome.decision.action == "reject"


def test_null_sender_spf_is_helo_and_never_aligns(check) -> None:
    outcome = check(message(sender="x@relaxed.test"), sender="", helo="bounce.relaxed.test")
    assert (outcome.results.spf.result, outcome.results.spf.scope) == ("pass", "helo")
    assert outcome.results.dmarc is not None and outcome.results.dmarc.result == "fail"
    assert outcome.decision.action == "reject"


def test_forged_results_for_our_id_are_removed_others_kept(check, far) -> None:
    extra = ("Authentication-Results: mail.example.test; dkim=pass header.d=bank.test\r\n"
             "Authentication-Results:\r\n MAIL.EXAMPLE.TEST;\r\n\tspf=pass\r\n"
             "Authentication-Results: mx.elsewhere.test; spf=fail\r\n"
             "X-Mailroom-Junk: no\r\n")
    outcome = check(far.sign(message(extra=extra)))
    head = outcome.head.decode()
    assert head.count("Authentication-Results:") == 2  # ours and elsewhere's
    assert head.startswith("Authentication-Results: mail.example.test;")
    assert "header.d=bank.test" not in head and "MAIL.EXAMPLE.TEST" not in head
    assert "Authentication-Results: mx.elsewhere.test; spf=fail" in head
    assert "X-Mailroom-Junk" not in head


def test_dns_timeout_is_a_temporary_failure(check) -> None:
    outcome = check(message(sender="x@slow.test"), sender="x@slow.test")
    assert outcome.results.dmarc is not None and outcome.results.dmarc.result == "temperror"
    assert outcome.decision.action == "defer"
    assert outcome.decision.reply.startswith("451 4.7.")


def test_own_domain_in_from_failing_spf_and_dkim_is_refused(check) -> None:
    outcome = check(message(sender="boss@example.test"), sender="x@soft.test")
    assert outcome.decision.action == "reject"
    assert "example.test" in outcome.decision.reply
    allowed = check(message(sender="boss@example.test"), sender="x@soft.test",
                    policy=Policy(own_domain="off"))
    assert allowed.decision.action == "accept"


def test_arc_chain_is_verified(check, far) -> None:
    signed = far.sign(message())
    ar_line = b"Authentication-Results: mx.far.test; spf=pass smtp.mailfrom=far.test\r\n"
    sealed = dkim.arc_sign(ar_line + signed, far.rsa_selector.encode(), b"far.test",
                           far.rsa_private, b"mx.far.test")
    outcome = check(b"".join(sealed) + ar_line + signed)
    assert outcome.results.arc.result == "pass"
    assert "arc=pass" in outcome.head.decode()


def test_a_changed_signed_header_fails_both_signatures(check, far) -> None:
    # The header hash is what RSA (through cryptography) and Ed25519 sign: both must say fail.
    signed = far.sign(message()).replace(b"Subject: hello", b"Subject: HELLO")
    outcome = check(signed)
    assert [(d.result, d.algorithm) for d in outcome.results.dkim] == [
        ("fail", "ed25519-sha256"), ("fail", "rsa-sha256")]
    # SPF passes and is aligned: DMARC still passes.
    assert outcome.results.dmarc is not None and outcome.results.dmarc.result == "pass"


def test_a_second_author_does_not_dodge_the_policy(check) -> None:
    # far.test asks p=reject; adding an address of the forger's own beside it changes nothing.
    two = message().replace(b"From: Carol <carol@far.test>",
                            b"From: Carol <carol@far.test>, x@soft.test")
    outcome = check(two, sender="x@soft.test")
    assert outcome.results.dmarc is not None
    assert (outcome.results.dmarc.domain, outcome.results.dmarc.result) == ("far.test", "fail")
    assert outcome.decision.action == "reject"
