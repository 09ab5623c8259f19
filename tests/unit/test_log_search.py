"""The log lines about one queued message, across the log and its rotated copies."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.logs.search import lines_about


def test_lines_oldest_first_across_rotated_files(tmp_path: Path) -> None:
    log = tmp_path / "mailroom.log"
    log.with_name("mailroom.log.2").write_text("a smtpd: 4F2A1B3C9D: from=<a@b>\nother\n")
    log.with_name("mailroom.log.1").write_text("b qmgr: 4F2A1B3C9D: deferred\n")
    log.write_text("c smtp: 77AA1B3C9D: sent\nd smtp: 4F2A1B3C9D: to=<x@y>, status=sent")
    assert lines_about(log, "4F2A1B3C9D") == [
        "a smtpd: 4F2A1B3C9D: from=<a@b>", "b qmgr: 4F2A1B3C9D: deferred",
        "d smtp: 4F2A1B3C9D: to=<x@y>, status=sent"]
    assert lines_about(log, "4F2A1B3C9D", limit=1) == ["d smtp: 4F2A1B3C9D: to=<x@y>, status=sent"]
    assert lines_about(tmp_path / "none.log", "4F2A1B3C9D") == []


@pytest.mark.parametrize("bad", ["", "abc", "4F2A.*", "4F2A1B3C9D\n"])
def test_refuses_what_is_not_a_queue_id(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        lines_about(tmp_path / "mailroom.log", bad)
