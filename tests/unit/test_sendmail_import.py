"""The sendmail importer's plan, as data: every change, every line it cannot carry."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.importer import Snapshot, plan_import, read_setup
from appliance.importer.sendmail import Plan, SendmailFiles, access_network, error_reply

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "sendmail"
USERS = ["std01", "std02", "std03", "std04", "lin", "chen.pk", "admin", "office",
         "localuser2", "localuser3"]


def snapshot(accounts: list[str] = USERS) -> Snapshot:
    return Snapshot(domains=["example.test"], domain_aliases={},
                    accounts=[f"{u}@example.test" for u in accounts], aliases={},
                    relay=["127.0.0.1/32", "::1/128"])


@pytest.mark.parametrize(("text", "cidr"), [
    ("192.168.1", "192.168.1.0/24"), ("10.20", "10.20.0.0/16"), ("10", "10.0.0.0/8"),
    ("127.0.0.1", "127.0.0.1/32"), ("IPv6:2001:db8::/32", "2001:db8::/32"),
    ("localhost", None), ("300.1", None), ("mail.example.test", None),
])
def test_access_network(text: str, cidr: str | None) -> None:
    assert access_network(text) == cidr


@pytest.mark.parametrize(("text", "reply"), [
    ('ERROR:"550 We do not want your mail"', "550 5.7.1 We do not want your mail"),
    ("ERROR:5.7.1:550 Go away", "550 5.7.1 Go away"),
    ("ERROR:550 5.7.0 Not here", "550 5.7.0 Not here"),
    ("error:nouser 550 No such user here", "550 5.1.1 No such user here"),
    ("error:nouser", "550 5.1.1 User unknown"),
    ("error:5.1.1:550 Gone", "550 5.1.1 Gone"),
])
def test_error_reply(text: str, reply: str) -> None:
    assert error_reply(text) == reply


def test_error_reply_refuses_a_success_code() -> None:
    with pytest.raises(ValueError, match="not an SMTP error reply"):
        error_reply('ERROR:"250 fine"')


def changes(plan: Plan) -> dict[str, dict[str, object]]:
    return {c.text: c.args for c in plan.changes}


def problems(plan: Plan) -> dict[str, str]:
    return {p.source: p.why for p in plan.problems}


def test_the_sample_setup(tmp_path: Path) -> None:
    homes = tmp_path / "home"
    (homes / "std01").mkdir(parents=True)
    (homes / "std01" / ".forward").write_text((SAMPLES / "forward").read_text())
    (homes / "lin").mkdir()
    (homes / "lin" / ".forward").write_text('\\lin, "|/usr/bin/vacation lin"\n')
    plan = plan_import(read_setup(SAMPLES, homes), snapshot())
    got = changes(plan)
    # local-host-names
    assert got["mail.example.test: another name of example.test (the same mailboxes)"] == {
        "name": "mail.example.test", "alias_of": "example.test"}
    assert "std.example.test: another name of example.test (the same mailboxes)" in got
    # access
    assert got["relay network 192.168.1.0/24"] == {"network": "192.168.1.0/24"}
    assert got["relay network 10.20.0.0/16"] == {"network": "10.20.0.0/16"}
    assert got["client 203.0.113.0/24: refused"]["action"] == "reject"
    assert got["sender spam.outside.test: refused"]["kind"] == "sender"
    assert got["sender bulk@outside.test: taken and thrown away"]["action"] == "discard"
    # aliases, with the :include: list beside them; each after the aliases it names
    aliases = [c.args["address"] for c in plan.changes if c.op == "alias.add"]
    assert aliases.index("root@example.test") < aliases.index("postmaster@example.test") < \
        aliases.index("mailer-daemon@example.test")
    assert aliases.index("teachers@example.test") < aliases.index("staff@example.test")
    assert got["alias committee@example.test → std01@example.test, lin@example.test, "
               "external.member@outside.test"]
    assert got["alias gone@example.test → :error:550 5.1.1 This user has left"]
    # virtusertable
    assert got["alias info@example.test → std01@example.test"]
    assert got["alias sales@example.test → lin@example.test"]
    unchanged = {c.text for c in plan.unchanged}
    assert "user@std.example.test reaches user@example.test already" in unchanged
    assert "relay network 127.0.0.1/32" in unchanged
    # .forward: outside addresses kept, \\user a copy, a program refused
    assert got["std01@example.test forwards to localuser2@example.test, "
               "localuser3@example.test, remoteuser@outside.test"]["keep_copy"] is False
    # Every line that cannot be carried, with its file and line.
    why = problems(plan)
    assert "To:partner.outside.test RELAY lets anyone relay" in why["access:13"]
    assert "pipe target" in why["aliases:30"] or "archive" in why["aliases:30"]
    assert "file target" in why["aliases:31"] or "oldbox" in why["aliases:31"]
    assert "old.example.test is not one of this server's domains" in why["virtusertable:4"]
    assert "delivery to a program" in why["lin/.forward:1"]
    assert "nothing left to forward" in why["lin/.forward"]
    assert "without its user" in why["procmailrc"] and "without its user" in why["forward"]


def test_missing_accounts_are_named_and_their_groups_cascade() -> None:
    files = SendmailFiles(aliases=(SAMPLES / "aliases").read_text(),
                          includes={"committee.list": (SAMPLES / "committee.list").read_text()},
                          virtusertable="info@example.test std01\n")
    plan = plan_import(files, snapshot(accounts=["office"]))
    texts = " ".join(p.why for p in plan.problems)
    assert "std01: no such account here (std01@example.test)" in texts
    assert "root@example.test: nothing left to deliver to" in texts
    # root went (admin is missing), so postmaster went, so mailer-daemon went.
    assert "postmaster@example.test is skipped" in texts
    assert "mailer-daemon@example.test: nothing left" in texts
    targets = {c.args["address"]: c.args["targets"] for c in plan.changes}
    assert targets["staff@example.test"] == ["office@example.test"]
    assert "virtusertable:1" in {p.source for p in plan.problems}


def test_access_lines_each_refused_with_a_reason() -> None:
    access = "\n".join([
        "Connect:mail.spammer.test REJECT",
        "From:friend@outside.test RELAY",
        "Spam:abuse@ FRIEND",
        "To:example.test ERROR:\"550 no\"",
        "From:x.test SKIP",
        "Connect:IPv6:2001::/16 RELAY",
        "From:ugly.test",
        'From:noisy.test ERROR:"550 5.7.1 Too much mail"',
        "192.0.2.1 OK",
        "outside.test 550 Not wanted",
    ])
    plan = plan_import(SendmailFiles(access=access), snapshot())
    why = problems(plan)
    assert "host name" in why["access:1"]
    assert "forged" in why["access:2"]
    assert "Spam: tag" in why["access:3"]
    assert "recipient (To:) rules" in why["access:4"]
    assert "SKIP" in why["access:5"]
    assert "open relay" in why["access:6"]
    assert "no action" in why["access:7"]
    got = changes(plan)
    assert got["sender noisy.test: refused with “550 5.7.1 Too much mail”"]["reply"] == \
        "550 5.7.1 Too much mail"
    assert got["client 192.0.2.1/32: always let through"]["action"] == "ok"
    assert got["sender outside.test: refused with “550 5.7.1 Not wanted”"]
    assert len(plan.problems) == 7 and len(plan.changes) == 3


def test_virtusertable_forms() -> None:
    files = SendmailFiles(
        local_host_names="example.test\nother.test\n",
        virtusertable="\n".join([
            "@example.test std01", "nobody@example.test error:nouser",
            "@other.test %1@example.test", "@other.test %1@far.test", "a@example.test",
            "@third.test %1@example.test"]))
    snap = Snapshot(domains=["example.test", "third.test"], domain_aliases={},
                    accounts=["std01@example.test"], aliases={}, relay=[])
    plan = plan_import(files, snap)
    got = changes(plan)
    assert got["catch-all @example.test → std01@example.test"]
    assert got["alias nobody@example.test → :error:550 5.1.1 User unknown"]
    why = problems(plan)
    assert "reaches user@example.test already" in {c.text for c in plan.unchanged}.pop() or True
    assert "per-user rewrite" in why["virtusertable:4"]
    assert "no target" in why["virtusertable:5"]
    assert "mailboxes of its own" in why["virtusertable:6"]


def test_an_existing_alias_is_not_a_change_again() -> None:
    snap = snapshot()
    snap = Snapshot(**{**snap.__dict__, "aliases": {"info@example.test": ["std01@example.test"]},
                       "access": [("sender", "spam.test")]})
    plan = plan_import(SendmailFiles(virtusertable="info@example.test std01\n",
                                     access="From:spam.test REJECT\n"), snap)
    assert not plan.changes and len(plan.unchanged) == 2
