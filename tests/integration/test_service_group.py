"""The system service shares its control endpoint with its group, and with nobody else.

A daemon running with the administrators' group as its own (as the system
service does) makes ``run/``, ``run/control.json`` and ``control.secret``
readable by that group. Children forked with setgroups/setgid/setuid play a
desktop user in the group (who can call operations) and one outside it (who
gets the message to join the group). Needs root to change ids.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.control.client import ControlClient
from appliance.home import Home
from tests.support.daemon import MAIN, ROOT, Mailroom, free_offset
from tests.support.waiting import wait

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="changing user and group ids needs root")


def unused_id(taken: set[int], start: int) -> int:
    n = start
    while n in taken:
        n += 1
    return n


@pytest.fixture
def ids() -> dict[str, int]:
    gids = {g.gr_gid for g in grp.getgrall()}
    uids = {p.pw_uid for p in pwd.getpwall()}
    admins = unused_id(gids, 47000)
    other = unused_id(gids | {admins}, admins + 1)
    member = unused_id(uids, 47100)
    stranger = unused_id(uids | {member}, member + 1)
    return {"admins": admins, "other": other, "member": member, "stranger": stranger}


@pytest.fixture
def service(ids: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailroom]:
    base = Path(tempfile.mkdtemp(prefix="mailroom-group-", dir="/tmp"))
    base.chmod(0o711)  # others pass through to the data directory, as /var/lib
    monkeypatch.setenv("MAILROOM_GROUP", str(ids["admins"]))
    m = Mailroom(base / "home", offset=free_offset())
    m.cli("init", "--hostname", "mail.example.test", "--domain", "example.test")
    log = open(base / "serve.out", "ab")  # noqa: SIM115
    # The service's daemon: its own group is the administrators' group.
    m.proc = subprocess.Popen(
        [sys.executable, str(MAIN), "serve", "--listen", "127.0.0.1", "--port-offset",
         str(m.offset)], env=m.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        group=ids["admins"], extra_groups=[])
    log.close()
    proc = m.proc

    def ready() -> bool:
        assert proc.poll() is None, (base / "serve.out").read_text()[-2000:]
        try:
            return bool(json.loads((m.home / "run" / "control.json").read_text())["pid"]
                        == proc.pid)
        except (OSError, ValueError, KeyError):
            return False

    wait(ready, 20, "the daemon's control endpoint")
    try:
        yield m
    finally:
        m.stop()
        shutil.rmtree(base, ignore_errors=True)


def as_user(uid: int, gid: int, groups: list[int], home: Path, *calls: tuple[str, dict[str, Any]]
            ) -> list[Any]:
    """Run control calls in a forked child with these ids; each result or error message."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 0
        try:
            os.close(read)
            os.setgroups(groups)
            os.setgid(gid)
            os.setuid(uid)
            client = ControlClient(Home(home), timeout=10)
            out: list[Any] = []
            for op, args in calls:
                try:
                    out.append({"ok": client.call(op, **args)})
                except Exception as exc:
                    out.append({"error": str(exc), "type": type(exc).__name__})
            os.write(write, json.dumps(out).encode())
        except BaseException as exc:
            os.write(write, json.dumps([{"error": repr(exc), "type": "setup"}]).encode())
            code = 1
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    return list(json.loads(data))


def test_group_members_call_operations_others_are_told_to_join(
        service: Mailroom, ids: dict[str, int]) -> None:
    home = service.home
    admins = ids["admins"]
    for path, mode in ((home / "run", 0o750), (home / "run" / "control.json", 0o640),
                       (home / "control.secret", 0o640)):
        st = path.stat()
        assert (stat.S_IMODE(st.st_mode), st.st_gid) == (mode, admins), path
    # Only the endpoint is shared: the database (password hashes) and the mail are not.
    assert stat.S_IMODE((home / "mailroom.db").stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE((home / "mail").stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE(home.stat().st_mode) == 0o711

    member = as_user(ids["member"], ids["other"], [admins], home,
                     ("status", {}),
                     ("account.add", {"address": "carol@example.test",
                                      "password": "pw-carol-123"}),
                     ("account.list", {}))
    assert all("ok" in r for r in member), member
    assert member[0]["ok"]["pid"] == service.proc.pid  # type: ignore[union-attr]
    assert "carol@example.test" in {a["address"] for a in member[2]["ok"]}

    stranger = as_user(ids["stranger"], ids["other"], [], home, ("status", {}))
    assert stranger[0]["type"] == "NotPermitted", stranger
    assert stranger[0]["error"] == (f"you are not in the {admins} group: sudo adduser $USER "
                                    f"{admins}, then log in again")


def test_a_daemon_run_from_source_keeps_its_secret_to_itself(mailroom: Mailroom) -> None:
    for path in (mailroom.home / "run", mailroom.home / "control.secret"):
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
