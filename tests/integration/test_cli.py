"""The admin CLI, run as real subprocesses on a data directory with no daemon running.

Every refused change must exit 1 with exactly one ``mailroom: ...`` line on
stderr and leave the state as it was (checked with a follow-up list/get).
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

from appliance.auth import verify_password
from appliance.state import State
from tests.support.daemon import Mailroom

DATA = Path(__file__).resolve().parents[1] / "data" / "sendmail"
SAMPLE_ACCOUNTS = ("std01", "std02", "std03", "std04", "lin", "chen.pk", "admin", "office",
                   "localuser2", "localuser3")


def refuse(m: Mailroom, *args: str, input: str | None = None, match: str = "") -> str:
    """Run a command that must be refused: exit 1, one ``mailroom:`` line on stderr."""
    r = m.cli(*args, input=input, check=False)
    assert r.returncode == 1, f"{args}: exit {r.returncode}\n{r.stdout}{r.stderr}"
    lines = r.stderr.splitlines()
    assert len(lines) == 1, f"{args}: stderr is not one line:\n{r.stderr}"
    assert lines[0].startswith("mailroom: "), lines[0]
    assert match.lower() in lines[0].lower(), lines[0]
    assert r.stdout == "", r.stdout
    return lines[0]


def usage_error(m: Mailroom, *args: str, input: str | None = None) -> None:
    """Run a command argparse must reject: exit 2 with a usage message."""
    r = m.cli(*args, input=input, check=False)
    assert r.returncode == 2, f"{args}: exit {r.returncode}\n{r.stderr}"
    assert "usage:" in r.stderr


def out(m: Mailroom, *args: str, input: str | None = None) -> str:
    """Run a command that must succeed; its stdout."""
    return m.cli(*args, input=input).stdout


def accounts_json(m: Mailroom) -> dict[str, dict[str, Any]]:
    """``account list --json`` keyed by address."""
    return {row["address"]: row for row in json.loads(out(m, "account", "list", "--json"))}


# -- init and the data directory ---------------------------------------------


def test_init_refusals_and_twice(tmp_path: Path) -> None:
    """Bad names create no database; a good init sets everything up; a second one is refused."""
    m = Mailroom(tmp_path / "home")
    db = m.home / "mailroom.db"
    refuse(m, "domain", "list", match="mailroom init")
    refuse(m, "init", "--hostname", "bad..host", "--domain", "example.test", match="host name")
    assert not db.exists()
    refuse(m, "init", "--hostname", "mail.example.test", "--domain", "bad_domain.test",
           match="domain")
    assert not db.exists()
    refuse(m, "init", "--hostname", "mail.example.test", "--domain", "nodots", match="domain")
    assert not db.exists()
    usage_error(m, "init", "--domain", "example.test")
    assert not db.exists()

    text = out(m, "init", "--hostname", "Mail.Example.Test", "--domain", "example.test")
    assert "example.test" in text
    assert db.exists()
    for sub in ("mail", "queue", "tls", "logs", "backups"):
        assert (m.home / sub).is_dir(), sub
    assert stat.S_IMODE(m.home.stat().st_mode) == 0o700
    assert stat.S_IMODE((m.home / "control.secret").stat().st_mode) == 0o600
    assert any((m.home / "tls").iterdir()), "no self-signed certificate made at init"

    before = db.read_bytes()
    refuse(m, "init", "--hostname", "other.example.test", "--domain", "other.test",
           match="already")
    assert db.read_bytes() == before
    assert out(m, "settings", "get", "hostname").strip() == "mail.example.test"
    assert out(m, "domain", "list").split() == ["example.test"]


def test_data_dir_option_overrides_mailroom_home(home: Mailroom, tmp_path: Path) -> None:
    """``--data-dir`` (before or after the command) wins over MAILROOM_HOME."""
    other = tmp_path / "other"
    out(home, "--data-dir", str(other), "init", "--hostname", "mx.other.test",
        "--domain", "other.test")
    assert (other / "mailroom.db").exists()
    assert out(home, "domain", "list", "--data-dir", str(other)).split() == ["other.test"]
    assert out(home, "--data-dir", str(other), "account", "list", "--json").strip() == "[]"
    assert out(home, "domain", "list").split() == ["example.test"]
    assert set(accounts_json(home)) == {"alice@example.test", "bob@example.test"}
    # Without MAILROOM_HOME, --data-dir alone is enough.
    env_less = Mailroom(other)
    env_less.env.pop("MAILROOM_HOME")
    assert out(env_less, "--data-dir", str(other), "settings", "get",
               "hostname").strip() == "mx.other.test"
    # A --data-dir that was never initialised is refused, not created.
    empty = tmp_path / "empty"
    refuse(home, "--data-dir", str(empty), "domain", "list", match="mailroom init")
    assert not (empty / "mailroom.db").exists()


# -- settings -----------------------------------------------------------------


def test_settings_show_get_set_and_refusals(home: Mailroom) -> None:
    """show lists every key; set/get round-trip typed values; bad input changes nothing."""
    shown = out(home, "settings", "show")
    assert "hostname = mail.example.test" in shown.splitlines()
    assert "smtp.port = 25" in shown.splitlines()
    assert "smtp.enabled = yes" in shown.splitlines()

    assert out(home, "settings", "set", "smtp.port", "2525").strip() == "smtp.port = 2525"
    assert out(home, "settings", "set", "smtp.enabled", "off").strip() == "smtp.enabled = no"
    assert out(home, "settings", "set", "listen", "127.0.0.1,::1").strip() == (
        "listen = 127.0.0.1,::1")
    assert out(home, "settings", "get", "smtp.port").strip() == "2525"
    before = out(home, "settings", "show")

    refuse(home, "settings", "get", "no.such.key", match="unknown setting")
    refuse(home, "settings", "set", "no.such.key", "1", match="unknown setting")
    refuse(home, "settings", "set", "smtp.port", "abc", match="number")
    refuse(home, "settings", "set", "smtp.port", "70000", match="port")
    refuse(home, "settings", "set", "smtp.port", "0", match="port")
    refuse(home, "settings", "set", "smtp.enabled", "maybe", match="yes or no")
    refuse(home, "settings", "set", "smtp.max_message_size", "10M", match="number")
    refuse(home, "settings", "set", "hostname", "bad..host", match="host name")
    refuse(home, "settings", "set", "listen", "0.0.0.0,banana", match="banana")
    usage_error(home, "settings", "set", "smtp.port")

    assert out(home, "settings", "show") == before
    assert out(home, "settings", "get", "smtp.enabled").strip() == "no"


# -- domains ------------------------------------------------------------------


def test_domain_add_del_list_and_refusals(home: Mailroom) -> None:
    """Add, list, delete; bad names, duplicates and domains in use are refused."""
    assert out(home, "domain", "add", "Example.ORG").strip() == "added domain example.org"
    assert out(home, "domain", "list").split() == ["example.org", "example.test"]
    refuse(home, "domain", "add", "bad_domain.test", match="bad_domain.test")
    refuse(home, "domain", "add", "nodots", match="nodots")
    refuse(home, "domain", "add", "example.org", match="already")
    refuse(home, "domain", "add", "EXAMPLE.TEST.", match="already")
    refuse(home, "domain", "del", "example.test", match="account")
    refuse(home, "domain", "del", "nosuch.test", match="nosuch.test")
    assert out(home, "domain", "list").split() == ["example.org", "example.test"]
    out(home, "domain", "del", "example.org")
    assert out(home, "domain", "list").split() == ["example.test"]


# -- accounts -----------------------------------------------------------------


def test_account_lifecycle(home: Mailroom) -> None:
    """add with --quota, list (text and JSON), passwd, disable/enable, quota, del."""
    assert out(home, "account", "add", "Carol@Example.Test", "--password-stdin", "--quota",
               "2G", input="pw-carol-1\n").strip() == "added account carol@example.test"
    listing = {line.split()[0]: line for line in out(home, "account", "list").splitlines()}
    assert set(listing) == {"alice@example.test", "bob@example.test", "carol@example.test"}
    assert "2.0G" in listing["carol@example.test"]
    assert "unlimited" in listing["alice@example.test"]

    out(home, "account", "disable", "bob@example.test")
    out(home, "account", "quota", "alice@example.test", "500M")
    out(home, "account", "passwd", "alice@example.test", "--password-stdin",
        input="new-pass-alice\n")
    rows = accounts_json(home)
    for row in rows.values():
        assert {"address", "used_bytes", "messages", "quota_bytes", "enabled"} <= set(row)
        assert row["used_bytes"] == 0 and row["messages"] == 0
    assert rows["carol@example.test"]["quota_bytes"] == 2 * 1024**3
    assert rows["alice@example.test"]["quota_bytes"] == 500 * 1024**2
    assert rows["bob@example.test"]["enabled"] is False
    assert rows["carol@example.test"]["enabled"] is True
    assert "DISABLED" in out(home, "account", "list")

    state = State(home.home / "mailroom.db")
    try:
        alice = state.account("alice@example.test")
        assert alice is not None and verify_password(alice.password_hash, "new-pass-alice")
    finally:
        state.close()

    out(home, "account", "enable", "bob@example.test")
    out(home, "account", "quota", "alice@example.test", "0")
    out(home, "account", "del", "carol@example.test")
    rows = accounts_json(home)
    assert set(rows) == {"alice@example.test", "bob@example.test"}
    assert rows["bob@example.test"]["enabled"] is True
    assert rows["alice@example.test"]["quota_bytes"] == 0
    assert (home.home / "mail" / "example.test" / "alice").is_dir()


def test_account_refusals(home: Mailroom) -> None:
    """Malformed, unknown domain, duplicate, short password, unknown account: no change."""
    before = accounts_json(home)
    pw = "pw-carol-1\n"
    refuse(home, "account", "add", "carol", "--password-stdin", input=pw, match="malformed")
    refuse(home, "account", "add", "carol@", "--password-stdin", input=pw, match="malformed")
    refuse(home, "account", "add", "ca rol@example.test", "--password-stdin", input=pw)
    refuse(home, "account", "add", "carol%x@example.test", "--password-stdin", input=pw,
           match="routing")
    refuse(home, "account", "add", "carol@nosuch.test", "--password-stdin", input=pw,
           match="nosuch.test")
    refuse(home, "account", "add", "alice@example.test", "--password-stdin", input=pw,
           match="already exists")
    refuse(home, "account", "add", "ALICE@example.test", "--password-stdin", input=pw,
           match="already exists")
    refuse(home, "account", "add", "staff@example.test", "--password-stdin", input=pw,
           match="alias")
    refuse(home, "account", "add", "carol@example.test", "--password-stdin", input="short\n",
           match="too short")
    refuse(home, "account", "add", "carol@example.test", "--password-stdin", input="",
           match="password")
    refuse(home, "account", "add", "carol@example.test", input=pw, match="--password-stdin")
    refuse(home, "account", "passwd", "alice@example.test", "--password-stdin",
           input="short\n", match="too short")
    refuse(home, "account", "passwd", "nobody@example.test", "--password-stdin", input=pw,
           match="no such account")
    for action in ("del", "disable", "enable"):
        refuse(home, "account", action, "nobody@example.test", match="no such account")
    refuse(home, "account", "enable", "garbage", match="malformed")
    refuse(home, "account", "quota", "nobody@example.test", "1G", match="no such account")
    usage_error(home, "account", "add", "carol@example.test", "--password-stdin", "--quota",
                "banana", input=pw)
    usage_error(home, "account", "quota", "alice@example.test", "-5")
    assert accounts_json(home) == before


# -- aliases ------------------------------------------------------------------


def test_alias_add_del_list_and_refusals(home: Mailroom) -> None:
    """Nesting and outside targets work; unknown targets, loops and clashes are refused."""
    assert out(home, "alias", "list").strip() == (
        "staff@example.test: alice@example.test, bob@example.test")
    out(home, "alias", "add", "a@example.test", "alice@example.test")
    out(home, "alias", "add", "b@example.test", "a@example.test")
    assert out(home, "alias", "add", "out@example.test", "Someone@Outside.Test").strip() == (
        "out@example.test: someone@outside.test")
    before = out(home, "alias", "list")

    refuse(home, "alias", "add", "x@example.test", "nobody@example.test",
           match="nobody@example.test")
    refuse(home, "alias", "add", "a@example.test", "b@example.test", match="loop")
    refuse(home, "alias", "add", "self@example.test", "self@example.test", match="loop")
    refuse(home, "alias", "add", "alice@example.test", "bob@example.test", match="account")
    refuse(home, "alias", "add", "x@nosuch.test", "alice@example.test", match="nosuch.test")
    refuse(home, "alias", "add", "garbage", "alice@example.test", match="malformed")
    refuse(home, "alias", "add", "x@example.test", "x%y@example.test", match="routing")
    refuse(home, "alias", "del", "staff@example.test", "nobody@example.test",
           match="not a member")
    refuse(home, "alias", "del", "nosuch@example.test", match="no such alias")
    assert out(home, "alias", "list") == before

    out(home, "alias", "del", "staff@example.test", "bob@example.test")
    out(home, "alias", "del", "out@example.test")
    aliases = dict(line.split(": ", 1) for line in out(home, "alias", "list").splitlines())
    assert aliases == {
        "a@example.test": "alice@example.test",
        "b@example.test": "a@example.test",
        "staff@example.test": "alice@example.test",
    }


# -- forwards -----------------------------------------------------------------


def test_forward_set_clear_and_refusals(home: Mailroom) -> None:
    """With and without --keep, shown in the account list; bad input changes nothing."""
    out(home, "forward", "set", "alice@example.test", "x@outside.test")
    out(home, "forward", "set", "bob@example.test", "alice@example.test", "y@outside.test",
        "--keep")
    rows = accounts_json(home)
    assert rows["alice@example.test"]["forward"] == ["x@outside.test"]
    assert rows["alice@example.test"]["keep_copy"] is False
    assert rows["bob@example.test"]["forward"] == ["alice@example.test", "y@outside.test"]
    assert rows["bob@example.test"]["keep_copy"] is True
    text = out(home, "account", "list")
    assert "x@outside.test" in text and "(+copy)" in text

    refuse(home, "forward", "set", "nobody@example.test", "x@outside.test",
           match="no such account")
    refuse(home, "forward", "set", "staff@example.test", "x@outside.test",
           match="no such account")
    refuse(home, "forward", "set", "alice@example.test", "nobody@example.test",
           match="nobody@example.test")
    refuse(home, "forward", "set", "alice@example.test", "garbage", match="malformed")
    refuse(home, "forward", "set", "alice@example.test", ":error:550 gone", match="address")
    refuse(home, "forward", "set", "alice@example.test", "u%v@outside.test", match="routing")
    refuse(home, "forward", "clear", "nobody@example.test", match="no such account")
    usage_error(home, "forward", "set", "alice@example.test")
    assert accounts_json(home) == rows

    out(home, "forward", "clear", "alice@example.test")
    rows = accounts_json(home)
    assert rows["alice@example.test"]["forward"] == []
    assert rows["bob@example.test"]["forward"] == ["alice@example.test", "y@outside.test"]


# -- relay networks -----------------------------------------------------------


def test_relay_add_del_list_and_refusals(home: Mailroom) -> None:
    """Loopback by default; bad and duplicate CIDRs refused; a default can be deleted."""
    assert out(home, "relay", "list").split() == ["127.0.0.1/32", "::1/128"]
    for bad in ("192.168.1.300/24", "banana", "10.0.0.0/33"):
        refuse(home, "relay", "add", bad, match=bad)
    assert out(home, "relay", "list").split() == ["127.0.0.1/32", "::1/128"]

    assert out(home, "relay", "add", "192.168.1.0/24").strip().endswith("192.168.1.0/24")
    refuse(home, "relay", "add", "192.168.1.0/24", match="already")
    refuse(home, "relay", "add", "192.168.1.9/24", match="already")
    refuse(home, "relay", "del", "10.9.9.0/24", match="not a relay network")
    refuse(home, "relay", "del", "banana", match="banana")
    assert out(home, "relay", "list").split() == ["127.0.0.1/32", "192.168.1.0/24", "::1/128"]

    out(home, "relay", "del", "127.0.0.1/32")
    refuse(home, "relay", "del", "127.0.0.1/32", match="not a relay network")
    assert out(home, "relay", "list").split() == ["192.168.1.0/24", "::1/128"]


# -- newaliases ---------------------------------------------------------------


def _create_sample_accounts(m: Mailroom) -> None:
    """The accounts tests/data/sendmail/README.md names, written straight to the store.

    (Ten ``account add`` subprocesses would only re-test what test_account_lifecycle does.)
    """
    state = State(m.home / "mailroom.db")
    try:
        for local in SAMPLE_ACCOUNTS:
            state.add_account(f"{local}@example.test", "pw-sample-1")
    finally:
        state.close()


def _line_of(path: Path, needle: str) -> int:
    """1-based number of the first line of ``path`` containing ``needle``."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def test_newaliases_realistic_file(home: Mailroom, tmp_path: Path) -> None:
    """The sample /etc/aliases imports; pipe and file targets are skipped with their line."""
    _create_sample_accounts(home)
    sample = DATA / "aliases"
    r = home.cli("newaliases", str(sample))
    assert "aliases imported into example.test" in r.stdout
    pipe_line = _line_of(sample, '"|/usr/local/bin/archive-mail"')
    file_line = _line_of(sample, "/var/mail/oldbox.mbox")
    warnings = r.stderr.splitlines()
    assert all(w.startswith("warning: ") for w in warnings), warnings
    assert any(f"aliases:{pipe_line}:" in w and "archive-mail" in w for w in warnings), warnings
    assert any(f"aliases:{file_line}:" in w and "oldbox.mbox" in w for w in warnings), warnings

    aliases = dict(line.split(": ", 1) for line in out(home, "alias", "list").splitlines())
    imported = int(r.stdout.split(": ", 1)[1].split()[0])
    assert imported == len(aliases)
    assert aliases["postmaster@example.test"] == "root@example.test"
    assert aliases["mailer-daemon@example.test"] == "postmaster@example.test"
    assert aliases["root@example.test"] == "admin@example.test"
    assert aliases["student@example.test"] == (
        "std01@example.test, std02@example.test, std03@example.test, std04@example.test")
    assert aliases["teachers@example.test"] == "chen.pk@example.test, lin@example.test"
    assert aliases["staff@example.test"] == (
        "teachers@example.test, student@example.test, office@example.test")
    assert aliases["committee@example.test"] == (
        "std01@example.test, lin@example.test, external.member@outside.test")
    assert aliases["alumni@example.test"] == "alumni-list@lists.outside.test"
    assert aliases["gone@example.test"] == ":error:550 5.1.1 This user has left"
    assert "archive@example.test" not in aliases
    assert "oldbox@example.test" not in aliases
    before = out(home, "alias", "list")

    missing = tmp_path / "no-such-aliases"
    refuse(home, "newaliases", str(missing), match=str(missing))
    looped = tmp_path / "looped"
    looped.write_text("# a loop\nfirst: second\nsecond: first\nadmins: admin\n")
    refuse(home, "newaliases", str(looped), match="loop")
    refuse(home, "newaliases", str(sample), "--domain", "nosuch.test", match="nosuch.test")
    assert out(home, "alias", "list") == before


# -- queue and daemon commands without a daemon --------------------------------


def test_queue_and_status_without_daemon(home: Mailroom) -> None:
    """mailq on an empty queue; status and queue actions need or name what is missing."""
    assert out(home, "mailq").strip() == "Mail queue is empty"
    assert json.loads(out(home, "mailq", "--json")) == []
    assert json.loads(out(home, "queue", "list", "--json")) == []

    r = home.cli("status", check=False)
    assert r.returncode != 0
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mailroom: "), r.stderr
    assert "not running" in lines[0]
    assert r.stdout == ""

    refuse(home, "queue", "show", "NOSUCHID", match="NOSUCHID")
    refuse(home, "queue", "delete", "NOSUCHID", match="NOSUCHID")
    assert not (home.home / "run" / "control.json").exists()
