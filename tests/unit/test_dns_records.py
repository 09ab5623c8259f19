"""Building the DNS records to publish, and judging what DNS answered."""

from __future__ import annotations

import calendar

import pytest

from appliance.dkim import KeyRing
from appliance.dns.check import LookupFailed, check_records, judge
from appliance.dns.records import (
    Record,
    build_records,
    format_zone,
    ip_hints,
    ptr_name,
    spf_value,
    txt_strings,
)

NOV = calendar.timegm((2026, 11, 29, 12, 0, 0))


@pytest.fixture(scope="module")
def keys() -> dict[str, list]:
    return {"example.test": list(KeyRing().rotate(NOV, now=True).keys)}


def by_kind(records: list[Record]) -> dict[str, list[Record]]:
    out: dict[str, list[Record]] = {}
    for r in records:
        out.setdefault(r.kind, []).append(r)
    return out


def test_ptr_in_its_real_form() -> None:
    assert ptr_name("203.0.113.10") == "10.113.0.203.in-addr.arpa."
    assert ptr_name("2001:db8::1").endswith(".8.b.d.0.1.0.0.2.ip6.arpa.")


def test_long_txt_is_split_into_255_character_strings() -> None:
    assert txt_strings("short") == '"short"'
    text = "x" * 300 + '"'
    assert txt_strings(text) == '"' + "x" * 255 + '" "' + "x" * 45 + '\\""'


def test_spf_allows_the_smarthost() -> None:
    assert spf_value() == "v=spf1 mx -all"
    assert spf_value("smtp.isp.test") == "v=spf1 mx a:smtp.isp.test -all"


def test_every_record_of_a_domain(keys: dict[str, list]) -> None:
    records = build_records("mail.example.test", ["example.test"], keys,
                            ipv4="203.0.113.10", ipv6="2001:db8::25")
    kinds = by_kind(records)
    assert [r.value for r in kinds["a"]] == ["203.0.113.10"]
    assert [r.value for r in kinds["aaaa"]] == ["2001:db8::25"]
    assert kinds["mx"][0].line() == "example.test.  IN  MX   10 mail.example.test."
    assert [r.name for r in kinds["dkim"]] == ["mr202611r._domainkey.example.test.",
                                               "mr202611e._domainkey.example.test."]
    rsa = kinds["dkim"][0]
    assert rsa.value.count('" "') == 1  # 2048-bit key: two strings
    assert kinds["dmarc"][0].text == ("v=DMARC1; p=quarantine; "
                                      "rua=mailto:postmaster@example.test")
    assert [r.line() for r in kinds["ptr"]][0] == (
        "10.113.0.203.in-addr.arpa.  IN  PTR  mail.example.test.")
    assert kinds["tls-rpt"][0].optional and kinds["mta-sts"][0].optional
    zone = format_zone(records)
    assert "; optional: _mta-sts.example.test." in zone
    assert zone.count("\n") == len(records) - 1


def test_unknown_address_is_a_placeholder_with_a_hint() -> None:
    records = build_records("mail.example.test", ["example.test"], {})
    a = by_kind(records)["a"][0]
    assert not a.known and [r.known for r in by_kind(records)["ptr"]] == [False]
    assert by_kind(records)["ptr"][0].name == "PUBLIC-IPV4-REVERSED.in-addr.arpa."
    assert "dns.public_ipv4" in ip_hints(None, None, configured=False)[0]
    assert "behind NAT" in ip_hints("192.168.1.5", None, configured=False)[0]
    assert ip_hints("203.0.113.10", None, configured=True) == []


def test_judge(keys: dict[str, list]) -> None:
    records = build_records("mail.example.test", ["example.test"], keys, ipv4="203.0.113.10")
    k = by_kind(records)
    assert judge(k["mx"][0], ["10 mail.example.test."]) == ("ok", "")
    assert judge(k["mx"][0], ["10 mx.other.test."])[0] == "different"
    assert judge(k["mx"][0], [])[0] == "missing"
    spf = k["spf"][0]
    assert judge(spf, ["v=spf1  MX -all", "google-site-verification=x"])[0] == "ok"
    state, fix = judge(spf, ["v=spf1 a -all"])
    assert state == "different" and '"v=spf1 mx -all"' in fix
    assert judge(spf, ["v=spf1 mx -all", "v=spf1 a -all"])[0] == "different"
    dkim_rsa = k["dkim"][0]
    assert judge(dkim_rsa, [dkim_rsa.text.replace("; ", ";")])[0] == "ok"
    assert judge(dkim_rsa, ["v=DKIM1; k=rsa; p=AAAA"])[0] == "different"
    assert judge(k["dmarc"][0], ["v=DMARC1; p=reject"])[0] == "ok"
    assert judge(k["dmarc"][0], ["v=DMARC1; rua=x"])[0] == "different"
    assert judge(k["a"][0], ["198.51.100.1"]) == ("different",
                                                  "Found 198.51.100.1: change it to "
                                                  "203.0.113.10.")
    assert judge(k["tls-rpt"][0], []) == ("optional", "")


def test_one_timeout_ends_the_lookups() -> None:
    records = build_records("mail.example.test", ["example.test"], {}, ipv4="203.0.113.10")
    asked = []

    def lookup(name: str, rdtype: str) -> list[str]:
        asked.append(name)
        raise LookupFailed("no answer", timed_out=True)

    results = check_records(records, lookup)
    assert len(asked) == 1
    assert {r.state for r in results if not r.record.optional} == {"error"}
    assert {r.state for r in results if r.record.optional} == {"optional"}


def test_watch_warns_only_about_records_that_passed_before() -> None:
    from appliance.dns.check import CheckResult, DnsWatch, summarize

    records = build_records("mail.example.test", ["example.test"], {}, ipv4="203.0.113.10")
    mx, spf = by_kind(records)["mx"][0], by_kind(records)["spf"][0]
    said: list[list[str]] = []
    watch = DnsWatch(lambda: {}, lambda: 0, on_change=said.append)
    watch.update(summarize([CheckResult(mx, "ok"), CheckResult(spf, "missing", [], "fix")]))
    assert watch.warnings == [] and said == []  # SPF never passed: a to-do, not an alarm
    watch.update(summarize([CheckResult(mx, "missing", [], "publish it"),
                            CheckResult(spf, "missing", [], "fix")]))
    assert len(watch.warnings) == 1 and "MX record example.test." in watch.warnings[0]
    assert said == [watch.warnings]
    watch.update(summarize([CheckResult(mx, "ok"), CheckResult(spf, "ok")]))
    assert watch.warnings == [] and said[-1] == []
