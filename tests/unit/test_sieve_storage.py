"""Sieve storage (Pigeonhole layout), procmail conversion, rule rows and out-of-office scripts."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from appliance.sieve import SieveError, check
from appliance.sieve.absence import Absence, load, remove, save, to_script
from appliance.sieve.filter import MailFilter
from appliance.sieve.interpret import Result, run
from appliance.sieve.message import MailView
from appliance.sieve.procmail import convert, merge
from appliance.sieve.rules import Rule, from_sieve, to_sieve
from appliance.sieve.script import parse
from appliance.sieve.storage import (
    ScriptActive,
    ScriptExists,
    ScriptNotFound,
    ScriptStore,
    account_home,
)
from appliance.sieve.vacation import VacationMemory, compose_reply, why_not_reply
from appliance.store import Mailstore

GOOD = 'require "fileinto";\nif header :contains "subject" "x" { fileinto "X"; }\n'
# The sample procmailrc as copied into the tests (test_aliases_parse checks the copy).
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sendmail" / "procmailrc"
HANDOUT = """## Drop mail in the mainland-China encoding
:0
* .*GB18030
/dev/null

## File mail already marked as SPAM
:0
* ^Subject:.*SPAM
spam-mail
"""


def test_pigeonhole_layout(tmp_path: Path) -> None:
    home = account_home(tmp_path, "Bob@Example.test")
    assert home == tmp_path / "mail" / "example.test" / "bob"
    store = ScriptStore(home)
    assert store.list() == [] and store.active() is None
    store.put("main", GOOD)
    store.activate("main")
    assert os.readlink(home / ".dovecot.sieve") == "sieve/main.sieve"
    assert (home / "sieve" / "main.sieve").read_text() == GOOD
    assert store.list() == [("main", True)]
    with pytest.raises(ScriptActive):
        store.delete("main")
    store.put("other", "keep;\n")
    with pytest.raises(ScriptExists):
        store.rename("main", "other")
    store.rename("main", "renamed")
    assert store.active() == "renamed" and store.get("renamed") == GOOD
    store.activate(None)
    store.delete("renamed")
    with pytest.raises(ScriptNotFound):
        store.get("renamed")
    for bad in ("", "../x", ".hidden", "a/b", "x\n"):
        with pytest.raises(SieveError):
            store.put(bad, GOOD)
    with pytest.raises(SieveError) as info:
        store.put("broken", 'require "fileinto";\n\nif true { fileinto "x" }\n')
    assert info.value.line == 3 and not store.exists("broken")


def test_sieve_files_do_not_disturb_the_maildir(tmp_path: Path) -> None:
    mail = Mailstore(tmp_path / "mail", "host.test")
    mail.deliver("bob@example.test", b"Subject: a\r\n\r\nx\r\n", return_path="a@b.test")
    home = mail.maildir("bob@example.test")
    assert home == account_home(tmp_path, "bob@example.test")
    store = ScriptStore(home)
    store.put("main", GOOD)
    store.activate("main")
    save(home, Absence("away"))
    (home / "maildirsize").unlink()  # usage is recounted from the folders
    account = mail.account("bob@example.test")
    assert account.usage()[1] == 1
    assert "dovecot.sieve" not in " ".join(account.folders())


def test_procmail_sample_and_handout_convert() -> None:
    script, problems = convert(SAMPLE.read_text())
    assert problems == []
    check(script)
    assert 'fileinto "spam-mail";' in script and 'fileinto :copy "boss";' in script
    assert 'redirect "accounting@example.test";' in script
    assert 'header :contains "Subject" "invoice"' in script  # [Ii]nvoice, case-insensitive
    handout, problems = convert(HANDOUT)
    assert problems == [] and "discard;" in handout
    check(handout)


def test_procmail_refuses_pipes_by_line_and_converts_the_rest() -> None:
    text = (":0:\n* ^From:.*bank\n$MAILDIR/.Finance/\n\n:0\n| /usr/bin/formail -r\n\n"
            ":0\n* ^Subject: (a|b)\nx/\n\n:0 c\n* ^TO_team@example.test\n.Team.News/\n")
    script, problems = convert(text)
    check(script)
    assert any(p.startswith("line 6:") and "pipe" in p for p in problems)
    assert any(p.startswith("line 8:") for p in problems)
    assert 'fileinto "Finance";' in script and 'fileinto :copy "Team/News";' in script
    view = MailView(b"From: My Bank <info@bank.example>\r\n\r\nx", "a@b", "bob@example.test")
    assert run(parse(script), view, Result()).deliveries() == [("Finance", ())]


def test_procmail_merge_keeps_the_users_rules_first_and_replaces_itself() -> None:
    converted, _ = convert(SAMPLE.read_text())
    mine = 'require ["fileinto"];\nif header :contains "subject" "invoice" ' \
           '{ fileinto "Finance"; stop; }\n'
    merged = merge(mine, converted)
    check(merged)
    assert merge(merged, converted) == merged
    view = MailView(b"Subject: Invoice 42\r\n\r\nx", "a@b", "bob@example.test")
    result = run(parse(merged), view, Result())
    assert result.deliveries() == [("Finance", ())] and result.redirects == []


def test_rule_rows_round_trip() -> None:
    rules = [Rule("subject", "invoice", "contains", "move", "Finance"),
             Rule("from", "bank", "contains", "mark_read"),
             Rule("header", "yes", "is", "discard", header="X-Junk")]
    script = to_sieve(rules)
    check(script)
    assert from_sieve(script) == rules
    assert from_sieve(script + "discard;\n") is None  # edited by hand
    with pytest.raises(SieveError, match="rule 1"):
        to_sieve([Rule("subject", "x", "contains", "move", "")])
    view = MailView(b"Subject: Invoice\r\nFrom: bank@x\r\n\r\nx", "a@b", "bob@example.test")
    assert run(parse(script), view, Result()).deliveries() == [("Finance", ())]


def test_absence_script_dates(tmp_path: Path) -> None:
    with pytest.raises(SieveError, match="before it starts"):
        to_script(Absence("away", start="2026-12-10", until="2026-12-01"))
    with pytest.raises(SieveError, match="YYYY-MM-DD"):
        to_script(Absence("away", until="next week"))
    home = tmp_path / "home"
    save(home, Absence("away\n.\nreally", subject='Out "now"', start="2026-12-01",
                       until="2026-12-24"))
    assert load(home) == Absence("away\n.\nreally", 'Out "now"', "2026-12-01", "2026-12-24")
    view = MailView(b"To: bob@example.test\r\nSubject: hi\r\n\r\nx", "x@far.test",
                    "bob@example.test")
    during = datetime(2026, 12, 5, 12).astimezone()
    script = parse((home / ".mailroom-vacation.sieve").read_text())
    vac = run(script, view, Result(), during).vacation
    assert vac is not None and vac.reason == "away\n.\nreally\n" and vac.subject == 'Out "now"'
    assert run(script, view, Result(), during + timedelta(days=30)).vacation is None
    # The user's own script is separate: rewriting it keeps the absence.
    decision = MailFilter(tmp_path).decide(view, home)
    assert decision.deliveries == [("INBOX", ())]
    remove(home)
    assert load(home) is None


def test_vacation_rules(tmp_path: Path) -> None:
    request = run(parse('require "vacation"; vacation :days 3 "gone";'),
                  MailView(b"", "", ""), Result()).vacation
    assert request is not None
    own = ["bob@example.test"]

    def why(head: bytes, sender: str = "x@far.test") -> str | None:
        return why_not_reply(MailView(head + b"\r\nbody", sender, "bob@example.test"),
                             request, own)

    to_bob = b"To: Bob <bob@example.test>\r\nSubject: Hi\r\nMessage-ID: <1@far>\r\n"
    assert why(to_bob) is None
    assert why(to_bob, sender="") is not None
    assert why(to_bob, sender="MAILER-DAEMON@far.test") is not None
    assert why(to_bob, sender="bob@example.test") is not None
    assert why(to_bob + b"Auto-Submitted: auto-generated\r\n") is not None
    assert why(to_bob + b"Auto-Submitted: no\r\n") is None
    assert why(to_bob + b"Precedence: bulk\r\n") is not None
    assert why(to_bob + b"List-Id: <a.b>\r\n") is not None
    assert why(b"To: someone@else.test\r\n") is not None  # a Bcc or a list: not to us
    reply = compose_reply(MailView(to_bob + b"\r\nx", "x@far.test", "bob@example.test"),
                          request, "bob@example.test", "mail.example.test")
    assert b"Subject: Auto: Hi" in reply and b"In-Reply-To: <1@far>" in reply
    assert b"Auto-Submitted: auto-replied" in reply
    memory = VacationMemory(tmp_path)
    assert not memory.recently_answered(request.handle, "x@far.test")
    memory.remember(request.handle, "X@far.test", 3, now=1000.0)
    assert memory.recently_answered(request.handle, "x@far.test", now=1000.0 + 2 * 86400)
    assert not memory.recently_answered(request.handle, "x@far.test", now=1000.0 + 4 * 86400)
