"""The client/sender access list: rules checked when stored, the most specific one decides."""

from __future__ import annotations

import pytest

from appliance.smtp.policy import access_check, access_match
from appliance.state.access import AccessError, AccessRule, parse_reply, parse_rule


def test_parse_rule_normalises_keys() -> None:
    assert parse_rule("client", "192.168.1.7/24", "reject").key == "192.168.1.0/24"
    assert parse_rule("client", "::ffff:10.0.0.0/104", "ok").key == "10.0.0.0/8"
    assert parse_rule("sender", "<Bulk@Outside.TEST>", "discard").key == "bulk@outside.test"
    assert parse_rule("sender", "@Spam.Test", "reject").key == "spam.test"
    assert parse_rule("sender", "postmaster@", "ok").key == "postmaster@"
    rule = parse_rule("sender", "x.test", "error", "550 Go away")
    assert rule.reply == "550 5.7.1 Go away"


@pytest.mark.parametrize(("args", "message"), [
    (("client", "mail.example.test", "reject"), "matches clients by address"),
    (("sender", "not a domain!", "reject"), "not a domain"),
    (("hello", "x.test", "reject"), "unknown kind"),
    (("sender", "x.test", "relay"), "unknown action"),
    (("sender", "x.test", "reject", "550 no"), "only the error action"),
    (("sender", "x.test", "error", "250 fine"), "not an SMTP error reply"),
    (("sender", "x.test", "error", "550 4.7.1 mixed"), "does not go with"),
])
def test_bad_rules_are_refused_with_reasons(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(AccessError, match=message):
        parse_rule(*args)


def test_parse_reply() -> None:
    assert parse_reply("550 5.7.1 No spam here") == "550 5.7.1 No spam here"
    assert parse_reply("451  Try later") == "451 4.7.1 Try later"
    assert parse_reply("554") == "554 5.7.1 Access denied"


RULES = [
    AccessRule("client", "203.0.113.0/24", "reject"),
    AccessRule("client", "203.0.113.5/32", "ok"),
    AccessRule("client", "2001:db8::/32", "error", "550 5.7.1 Not from there"),
    AccessRule("sender", "outside.test", "reject"),
    AccessRule("sender", "friend@outside.test", "ok"),
    AccessRule("sender", "bulk@", "discard"),
]


def test_the_most_specific_rule_wins() -> None:
    assert access_match(RULES, ip="203.0.113.9").action == "reject"  # type: ignore[union-attr]
    assert access_match(RULES, ip="203.0.113.5").action == "ok"  # type: ignore[union-attr]
    assert access_match(RULES, ip="::ffff:203.0.113.9").action == "reject"  # type: ignore[union-attr]
    assert access_match(RULES, ip="198.51.100.1") is None
    assert access_match(RULES, sender="friend@outside.test").action == "ok"  # type: ignore[union-attr]
    assert access_match(RULES, sender="x@mx.outside.test").action == "reject"  # type: ignore[union-attr]
    assert access_match(RULES, sender="bulk@anywhere.test").action == "discard"  # type: ignore[union-attr]
    assert access_match(RULES, sender="x@notoutside.test") is None
    assert access_match(RULES, sender="") is None


def test_access_check_replies() -> None:
    assert access_check(RULES, ip="203.0.113.9") == (
        "refuse", "554 5.7.1 <[203.0.113.9]>: Client host rejected: Access denied")
    assert access_check(RULES, ip="2001:db8::1") == ("refuse", "550 5.7.1 Not from there")
    assert access_check(RULES, sender="a@outside.test") == (
        "refuse", "554 5.7.1 <a@outside.test>: Sender address rejected: Access denied")
    assert access_check(RULES, sender="bulk@x.test") == ("discard", "")
    assert access_check(RULES, ip="203.0.113.5") == ("ok", "")
    assert access_check(RULES, ip="192.0.2.1") is None


def test_an_index_of_many_rules_finds_the_longest_network() -> None:
    from appliance.state.access import AccessIndex

    rules = [AccessRule("client", f"10.{i // 256}.{i % 256}.0/24", "reject") for i in range(600)]
    rules += [AccessRule("client", "10.0.0.0/8", "ok"), AccessRule("client", "10.0.7.7/32", "ok"),
              AccessRule("client", "2001:db8:1::/48", "discard"),
              AccessRule("client", "::/0", "reject")]
    index = AccessIndex(rules)
    assert access_match(index, ip="10.0.7.8").key == "10.0.7.0/24"  # type: ignore[union-attr]
    assert access_match(index, ip="10.0.7.7").key == "10.0.7.7/32"  # type: ignore[union-attr]
    assert access_match(index, ip="10.9.9.9").key == "10.0.0.0/8"  # type: ignore[union-attr]
    assert access_match(index, ip="2001:db8:1:5::1").action == "discard"  # type: ignore[union-attr]
    assert access_match(index, ip="2001:db9::1").key == "::/0"  # type: ignore[union-attr]
    assert access_match(index, ip="192.0.2.1") is None
    assert len(list(index)) == len(rules)
