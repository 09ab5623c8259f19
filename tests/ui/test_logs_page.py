"""The Logs page: severity colours, admin actions as sentences, detail pane, save to file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from appliance.home import Home
from tests.ui.conftest import wait
from ui.context import AppContext
from ui.pages.logs import LogsPage, admin_sentence, readable, severity
from ui.secrets import SecretStore

HEAD = "Nov 29 22:00:00 mail mailroom/"
LINES = [
    HEAD + "smtpd[7]: 4F2A1B3C9D0E: client=[127.0.0.1], size=312",
    HEAD + "smtp[7]: 4F2A1B3C9D0E: to=<a@far.test>, status=deferred (connection refused)",
    HEAD + "smtp[7]: 5B2A1B3C9D0E: to=<b@far.test>, status=bounced (550 no such user)",
    HEAD + "control[7]: admin: settings.set_many "
           '{"values": {"smarthost.host": "smtp.isp.test", "smarthost.password": "***"}}',
    HEAD + "control[7]: admin: account.add {\"address\": \"carol@example.test\"}",
    HEAD + "service[7]: error: IMAP on port 143: another program uses this port",
    HEAD + "smtpd[7]: " + "a very long line " * 60,
]


def test_severity_and_sentences() -> None:
    assert [severity(x) for x in LINES] == ["info", "warning", "error", "admin", "admin",
                                            "error", "info"]
    assert readable(LINES[3]).endswith(
        "control[7]: admin: settings changed: smarthost.host, smarthost.password")
    assert readable(LINES[4]).endswith("admin: account added: carol@example.test")
    assert admin_sentence("settings.set", {"key": "smarthost.host", "value": "x"}) == \
        "settings changed: smarthost.host"
    # An operation without a sentence of its own still reads as words, never JSON.
    assert admin_sentence("thing.frob", {"name": "x", "items": ["a", "b"]}) == \
        "thing.frob: name x; items a, b"
    assert readable(LINES[0]) == LINES[0]


@pytest.fixture
def page(tmp_path: Path, qtbot: object) -> Iterator[LogsPage]:
    ctx = AppContext(Home(tmp_path / "home"),
                     secrets=SecretStore(tmp_path / "s.json", use_keyring=False))
    p = LogsPage(ctx)
    qtbot.addWidget(p)  # type: ignore[attr-defined]
    p.resize(1000, 600)
    p.show()
    ctx.logs.extend(LINES)
    ctx.logs.flush()
    p.load()
    yield p
    ctx.shutdown()


def shown(page: LogsPage, row: int) -> tuple[str, str]:
    """The text and colour the list shows for a row."""
    index = page.shown.index(row, 0)
    brush = page.shown.data(index, Qt.ItemDataRole.ForegroundRole)
    return page.shown.data(index), brush.color().name() if brush is not None else ""


def test_the_list_colours_and_words_and_the_detail_pane(page: LogsPage) -> None:
    assert shown(page, 2)[1] == "#b00020"
    assert shown(page, 1)[1] == "#8a5a00"
    assert shown(page, 0) == (LINES[0], "")
    assert "{" not in shown(page, 3)[0] and "settings changed" in shown(page, 3)[0]
    page.view.setCurrentIndex(page.model.index(6, 0))
    wait(lambda: page.detail.toPlainText() == LINES[6])
    page.view.setCurrentIndex(page.model.index(3, 0))
    wait(lambda: "settings changed: smarthost.host" in page.detail.toPlainText()
         and LINES[3] in page.detail.toPlainText())


def test_save_to_file_writes_the_lines_shown(page: LogsPage, tmp_path: Path) -> None:
    page.filter_queue_id("4F2A1B3C9D0E")
    target = page.save_to_file(str(tmp_path / "out.log"))
    assert target is not None
    assert target.read_text().splitlines() == LINES[:2]
    assert "2 lines saved" in page.banner.text()
    assert page.save_to_file(str(tmp_path / "no-such-dir" / "x.log")) is None
    assert "Not saved" in page.banner.text()
