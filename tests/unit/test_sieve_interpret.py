"""The Sieve interpreter against RFC 5228/5230/5231/5232/5173/5260 examples and edge cases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from appliance.sieve import CAPABILITIES, SieveError, check
from appliance.sieve.filter import MailFilter, ensure_before_script
from appliance.sieve.interpret import Result, run
from appliance.sieve.match import glob, matches
from appliance.sieve.message import MailView
from appliance.sieve.script import parse
from appliance.sieve.storage import ScriptStore

MAIL = (
    b"Return-Path: <ignored@x>\r\n"
    b"From: Coyote <coyote@desert.example.org>\r\n"
    b"To: roadrunner@acme.example.com, \"Road Runner\" <rr@acme.example.com>\r\n"
    b"Cc: other@example.net\r\n"
    b"Subject: =?utf-8?q?I_have_a_present_for_you_=E2=9C=93?=\r\n"
    b"X-Caffeine: C8H10N4O2\r\n"
    b"X-Spam-Score: 12\r\n"
    b"Received: from a by b; Tue, 1 Apr 1997 09:06:31 -0800\r\n"
    b"Received: from c by d; Tue, 1 Apr 1997 09:06:00 -0800\r\n"
    b"Date: Tue, 1 Apr 1997 09:06:31 -0800\r\n"
    b"Message-ID: <present@desert.example.org>\r\n"
    b"\r\n"
    b"Look, I'm sorry about the whole anvil thing, and I really\r\n"
    b"didn't mean to try and drop it on you from the top of the\r\n"
    b"cliff.  I want to try to make it up to you.  I've got some\r\n"
    b"great birdseed over here at my place--top of the line\r\n"
    b"stuff--and if you come by, I'll have it all wrapped\r\n"
    b"up for you.\r\n"
)


def outcome(script: str, data: bytes = MAIL, sender: str = "coyote@desert.example.org",
            recipient: str = "roadrunner@acme.example.com", now: datetime | None = None) -> Result:
    return run(parse(script), MailView(data, sender, recipient), Result(), now)


def folders(script: str, data: bytes = MAIL, **kw: object) -> list[str]:
    return [f for f, _ in outcome(script, data, **kw).deliveries()]  # type: ignore[arg-type]


def test_no_actions_is_implicit_keep() -> None:
    assert folders("") == ["INBOX"]
    assert folders("# just a comment\n") == ["INBOX"]


def test_rfc5228_section_9_example() -> None:
    script = '''
    require "fileinto";
    if header :is "from" "boss@example.edu" { fileinto "INBOX/important"; }
    elsif header :contains "X-Caffeine" "C8H10N4O2" { fileinto "INBOX/coffee"; }
    elsif address :domain :is "from" "desert.example.org" { discard; }
    else { keep; }
    '''
    assert folders(script) == ["INBOX/coffee"]


def test_discard_cancels_implicit_keep_and_keep_restores() -> None:
    assert folders("discard;") == []
    assert folders("discard; keep;") == ["INBOX"]


def test_stop_ends_the_script() -> None:
    assert folders('require "fileinto"; fileinto "A"; stop; fileinto "B";') == ["A"]


def test_fileinto_copy_keeps_the_implicit_keep() -> None:
    assert folders('require ["fileinto", "copy"]; fileinto :copy "A";') == ["A", "INBOX"]


def test_header_decodes_encoded_words() -> None:
    assert folders('if header :contains "subject" "present for you ✓" { discard; }') == []


def test_header_missing_never_matches_but_not_does() -> None:
    assert folders('if header :contains "X-Nothing" "" { discard; }') == ["INBOX"]
    assert folders('if not exists "X-Nothing" { discard; }') == []
    assert folders('if exists ["From", "X-Nothing"] { discard; }') == ["INBOX"]


def test_multiple_values_any_matches() -> None:
    # Two Received headers: either may match.
    assert folders('if header :contains "received" "from c" { discard; }') == []
    assert folders('if address :localpart :is "to" "rr" { discard; }') == []


def test_address_parts() -> None:
    assert folders('if address :all :is "from" "coyote@desert.example.org" { discard; }') == []
    assert folders('if address :localpart :is "from" "COYOTE" { discard; }') == []
    assert folders('if address :domain :matches "cc" "*.net" { discard; }') == []
    # The display name is not part of the address.
    assert folders('if address :contains "from" "Coyote " { discard; }') == ["INBOX"]


def test_envelope() -> None:
    script = 'require "envelope"; if envelope :domain :is "from" "desert.example.org" { discard; }'
    assert folders(script) == []
    null = 'require "envelope"; if envelope :all :is "from" "" { discard; }'
    assert folders(null, sender="") == []
    assert folders('require "envelope"; if envelope :localpart :is "to" "roadrunner" '
                   '{ discard; }') == []


def test_matches_wildcards() -> None:
    assert glob("*@example.*", "bob@example.test")
    assert glob("a?c", "abc") and not glob("a?c", "ac")
    assert glob("\\*x", "*x") and not glob("\\*x", "ax")
    assert glob("*", "") and glob("**a*", "ba")
    assert not glob("a*b", "ab c")
    assert folders('if header :matches "subject" "I have*you ?" { discard; }') == []
    assert folders('if header :matches "subject" "have*" { discard; }') == ["INBOX"]


def test_matches_cannot_blow_up() -> None:
    # A backtracking matcher needs ages here; the two-pointer glob is linear-ish.
    assert not glob("*a*a*a*a*a*a*a*a*a*a*b", "a" * 20000)


def test_comparators() -> None:
    assert matches(["Foo"], ["foo"])
    assert not matches(["Foo"], ["foo"], comparator="i;octet")
    # i;ascii-casemap folds only ASCII letters.
    assert not matches(["Ä"], ["ä"])
    script = 'if header :comparator "i;octet" :is "x-caffeine" "c8h10n4o2" { discard; }'
    assert folders(script) == ["INBOX"]


def test_relational_count_and_value() -> None:
    assert folders('require "relational"; if header :count "eq" "received" "2" { discard; }') == []
    assert folders('require "relational"; if address :count "ge" ["to", "cc"] "3" '
                   '{ discard; }') == []
    numeric = ('require ["relational", "comparator-i;ascii-numeric"]; if header :value "gt" '
               ':comparator "i;ascii-numeric" "x-spam-score" "9" { discard; }')
    assert folders(numeric) == []
    # Without the numeric comparator, "12" sorts before "9".
    assert folders('require "relational"; if header :value "gt" "x-spam-score" "9" '
                   '{ discard; }') == ["INBOX"]


def test_size_and_nested_tests() -> None:
    assert folders("if size :over 100 { discard; }") == []
    assert folders("if size :under 1K { discard; }") == []
    assert folders("if size :over 1M { discard; }") == ["INBOX"]
    nested = '''if allof (anyof (false, header :contains "subject" "present"),
                          not size :over 1M, true) { discard; }'''
    assert folders(nested) == []
    assert folders("if anyof (false, not true) { discard; }") == ["INBOX"]


def test_body_text_raw_content() -> None:
    assert folders('require "body"; if body :contains "birdseed" { discard; }') == []
    assert folders('require "body"; if body :raw :contains "wrapped\\r\\n" { discard; }') \
        == ["INBOX"]
    multipart = (
        b"From: a@b\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"aGVsbG8gd29ybGQ=\r\n--XX\r\nContent-Type: application/octet-stream\r\n\r\n"
        b"secret-binary\r\n--XX--\r\n"
    )
    assert folders('require "body"; if body :contains "hello world" { discard; }',
                   multipart) == []
    assert folders('require "body"; if body :text :contains "secret-binary" { discard; }',
                   multipart) == ["INBOX"]
    assert folders('require "body"; if body :content "application" :contains "secret" '
                   '{ discard; }', multipart) == []


def test_imap4flags() -> None:
    result = outcome('require ["imap4flags", "fileinto"]; addflag "\\\\Seen"; '
                     'addflag ["$Label1 \\\\Flagged"]; removeflag "\\\\flagged"; '
                     'fileinto "A"; fileinto :flags "\\\\Answered" "B";')
    assert dict(result.deliveries()) == {"A": ("\\Seen", "$Label1"), "B": ("\\Answered",)}
    assert folders('require "imap4flags"; setflag "x"; if hasflag "X" { discard; }') == []
    kept = outcome('require "imap4flags"; keep :flags "\\\\Seen";').deliveries()
    assert kept == [("INBOX", ("\\Seen",))]


def test_redirect() -> None:
    result = outcome('redirect "boss@example.com"; redirect "boss@example.com";')
    assert result.redirects == ["boss@example.com"] and result.deliveries() == []
    result = outcome('require "copy"; redirect :copy "a@b.example";')
    assert result.redirects == ["a@b.example"] and result.deliveries() == [("INBOX", ())]


def test_vacation_arguments() -> None:
    result = outcome('require "vacation"; vacation :days 0 :subject "Away" '
                     ':addresses ["me@x.example"] "I am away";')
    vac = result.vacation
    assert vac is not None and vac.days == 1 and vac.subject == "Away"
    assert vac.addresses == ["me@x.example"] and vac.reason == "I am away" and vac.handle
    text = outcome('require "vacation"; vacation text:\nline one\n..dotted\n.\n;').vacation
    assert text is not None and text.reason == "line one\n.dotted\n" and text.days == 7


def test_date_and_currentdate() -> None:
    assert folders('require ["date", "relational"]; if date :originalzone :value "ge" "date" '
                   '"date" "1997-04-01" { discard; }') == []
    assert folders('require "date"; if date :zone "+0000" :is "date" "hour" "17" '
                   '{ discard; }') == []
    assert folders('require "date"; if date :originalzone :is "received" "time" "09:06:31" '
                   '{ discard; }') == []
    now = datetime(2026, 12, 24, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    script = ('require ["date", "relational"]; if allof (currentdate :value "ge" "date" '
              '"2026-12-20", currentdate :value "le" "date" "2026-12-31") { discard; }')
    assert folders(script, now=now) == []
    assert folders(script, now=now + timedelta(days=10)) == ["INBOX"]
    assert folders('require "date"; if currentdate :is "weekday" "4" { discard; }',
                   now=now) == []


def test_check_refuses_with_the_line() -> None:
    with pytest.raises(SieveError) as info:
        check('require "fileinto";\n\nif header :contains "a" "b" {\n  fileinto "x"\n}\n')
    assert info.value.line == 5
    with pytest.raises(SieveError) as info:
        check('if true {\n  fileinto "x";\n}\n')
    assert info.value.line == 2 and "fileinto" in info.value.message
    with pytest.raises(SieveError, match="missing ';'") as info:
        check('require "fileinto";\nfileinto "x"\n# the end\n')  # sievelib alone accepts it
    assert info.value.line == 2
    with pytest.raises(SieveError, match="before every other") as info:
        check('keep;\nrequire "fileinto";\n')
    assert info.value.line == 2
    with pytest.raises(SieveError, match="regex"):
        check('require ["fileinto", "regex"];\n')
    with pytest.raises(SieveError, match="reject"):
        check('require "reject";\n')
    for ext in CAPABILITIES:
        check(f'require "{ext}";\n')


def test_runtime_failure_keeps_the_message(tmp_path: Path) -> None:
    home = tmp_path / "mail" / "example.test" / "bob"
    store = ScriptStore(home)
    # A script saved past the check (by hand) that fails: a folder name we refuse.
    store.put("main", 'require "fileinto"; if true { fileinto "bad..name"; }')
    store.activate("main")
    decision = MailFilter(tmp_path).decide(MailView(MAIL, "a@b.example", "bob@example.test"),
                                           home)
    assert decision.deliveries == [("INBOX", ())]
    assert decision.problems and "bad..name" in decision.problems[0]
    # A script that does not even parse any more.
    (home / "sieve" / "main.sieve").write_text("if {")
    decision = MailFilter(tmp_path).decide(MailView(MAIL, "a@b.example", "bob@example.test"),
                                           home)
    assert decision.deliveries == [("INBOX", ())] and "parse" in decision.problems[0]


def test_before_script_files_spam_and_stops(tmp_path: Path) -> None:
    ensure_before_script(tmp_path)
    home = tmp_path / "mail" / "example.test" / "bob"
    store = ScriptStore(home)
    store.put("main", 'require "fileinto"; fileinto "Other";')
    store.activate("main")
    spam = b"X-Spam-Flag: YES\r\nSubject: buy\r\n\r\nbody\r\n"
    view = MailView(spam, "a@b.example", "bob@example.test")
    assert MailFilter(tmp_path).decide(view, home).deliveries == [("Junk", ())]
    ham = MailView(b"Subject: hi\r\n\r\nbody\r\n", "a@b.example", "bob@example.test")
    assert MailFilter(tmp_path).decide(ham, home).deliveries == [("Other", ())]
    assert MailFilter(tmp_path).decide(ham, home, junk=True).deliveries == [("Junk", ())]
