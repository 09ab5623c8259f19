"""Parts that need no daemon: tray decisions, secrets fallback, the log model at 100,000 lines."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ui.models import LogModel
from ui.secrets import SecretStore
from ui.tray_state import TrayState

UP = {"paused": False, "queue": {"active": 0, "deferred": 2, "hold": 0},
      "services": [{"name": "smtp", "state": "running"}, {"name": "imap", "state": "running"}]}


def test_tray_health_and_notifications() -> None:
    t = TrayState(queue_threshold=10)
    assert t.health == "unknown"
    assert t.update_status(UP) == []
    assert t.health == "up"
    assert "Queue: 2 messages" in t.tooltip()
    failed = {**UP, "services": [{"name": "smtp", "state": "failed"},
                                 {"name": "imap", "state": "running"}]}
    notes = t.update_status(failed)
    assert t.health == "degraded" and [n.title for n in notes] == ["SMTP is not running"]
    t.update_status(UP)
    notes = t.update_status(None)
    assert t.health == "down" and t.colour == "#d0312d"
    assert notes and notes[0].level == "critical"
    assert "Mailroom is stopped" in t.tooltip()
    t.update_status(UP)
    big = {**UP, "queue": {"active": 0, "deferred": 12, "hold": 0}}
    assert [n.title for n in t.update_status(big)] == ["Mail queue is growing"]
    assert t.update_status(big) == []  # once, until it drops below again
    notes = t.on_event({"type": "message.bounced", "id": "Q1", "to": "x@y.test",
                        "reply": "550 no"})
    assert notes[0].title == "Mail bounced" and "x@y.test" in notes[0].text
    assert "bounced: x@y.test" in t.tooltip()
    t.on_event({"type": "service", "name": "incoming", "state": "paused"})
    assert t.health == "degraded"


def test_secrets_fallback_file_is_private(tmp_path: Path) -> None:
    # Asked for the file explicitly: whether this machine has a keyring is not
    # what this test is about.
    store = SecretStore(tmp_path / "cfg" / "secrets.json", use_keyring=False)
    assert not store.use_keyring
    store.set("smarthost", "s3cret")
    store.set("other", "x")
    assert store.get("smarthost") == "s3cret"
    mode = stat.S_IMODE(os.stat(tmp_path / "cfg" / "secrets.json").st_mode)
    assert mode == 0o600
    store.delete("smarthost")
    assert SecretStore(tmp_path / "cfg" / "secrets.json").get("smarthost") is None
    assert store.get("other") == "x"


def test_log_model_copes_with_100k_lines(qtbot: object) -> None:
    model = LogModel(capacity=100_000)
    model.timer.stop()
    lines = [f"Nov 27 10:00:{i % 60:02d} mail.example.test mailroom/"
             f"{'smtpd' if i % 3 else 'qmgr'}[1]: K2DF{i:08d}: to=<u{i}@example.test>, "
             f"status=sent" for i in range(120_000)]
    # No wall-clock limits here: under `-n 2` on a busy machine they fail for
    # the wrong reason. Speed is the benchmarks' business.
    for chunk in range(0, len(lines), 1000):
        model.extend(lines[chunk:chunk + 1000])
        model.flush()
    assert model.total == 100_000 and model.rowCount() == 100_000
    assert model.lines()[0] == lines[20_000]
    model.set_filter(service="qmgr")
    assert model.rowCount() == sum(1 for i in range(20_000, 120_000) if i % 3 == 0)
    model.set_filter(qid="K2DF00119999")
    assert model.lines() == [lines[-1]]
    model.set_filter(text="u119998@")
    assert model.rowCount() == 1
    model.set_filter()
    model.set_paused(True)
    model.append("new line")
    model.flush()
    assert model.total == 100_000 and model.lines()[-1] == lines[-1]
    model.set_paused(False)
    assert model.lines()[-1] == "new line"
    model.load_history(["older", lines[20_001]])  # full: history is dropped, not duplicated
    assert model.total == 100_000
