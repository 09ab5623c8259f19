"""mailroom logs -q QUEUE_ID: every line about one message, from the rotated logs too."""

from __future__ import annotations

from pathlib import Path

from appliance.control.client import ControlClient
from appliance.home import Home
from tests.support.daemon import Mailroom


def test_logs_for_one_queue_id_and_a_clear_error(tmp_path: Path) -> None:
    m = Mailroom(tmp_path / "home")
    ControlClient(Home(m.home)).call("setup.init", hostname="mail.example.test",
                                     domain="example.test")
    logs = m.home / "logs"
    head = "Nov 29 22:00:00 mail mailroom/"
    (logs / "mailroom.log.1").write_text(head + "smtpd[1]: AB12CD34EF56: client=x\n"
                                         + head + "smtpd[1]: 0000FFFF1111: client=y\n")
    (logs / "mailroom.log").write_text(head + "qmgr[1]: AB12CD34EF56: removed\n")
    done = m.cli("logs", "--data-dir", str(m.home), "-q", "ab12cd34ef56")
    assert done.stdout.splitlines() == [head + "smtpd[1]: AB12CD34EF56: client=x",
                                        head + "qmgr[1]: AB12CD34EF56: removed"]
    bad = m.cli("logs", "--data-dir", str(m.home), "-q", "../etc", check=False)
    assert bad.returncode != 0 and "not a queue ID" in bad.stderr
