"""The Spam & virus page: its settings saved through the control API, and the Test button
against a real private clamd (and an rspamd address where nothing answers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLineEdit, QSpinBox

from tests.support.engines import SIGNATURE, Clamd, free_port, start_clamd
from tests.ui.conftest import Offline, wait
from ui.pages.spam import BAD, GOOD, SpamPage


@pytest.fixture(scope="module")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    engine = start_clamd(tmp_path_factory.mktemp("clamd"))
    yield engine
    engine.stop()


def test_thresholds_and_blocklists_are_saved(offline: Offline) -> None:
    page: SpamPage = offline.open("spam")
    assert page.form is not None
    junk = page.form.fields["spam.junk_score"].widget
    assert isinstance(junk, QSpinBox) and junk.value() == 5
    junk.setValue(6)
    lists = page.form.fields["spam.dnsbl"].widget
    assert isinstance(lists, QLineEdit) and lists.text() == "zen.spamhaus.org"
    lists.setText("zen.spamhaus.org, bl.example.test=3")
    page.save()
    wait(lambda: page.idle and not page.is_dirty())
    assert offline.client.call("settings.get", key="spam.junk_score") == 6
    assert offline.client.call("settings.get", key="spam.dnsbl") == [
        "zen.spamhaus.org", "bl.example.test=3"]
    # A bad entry is refused beside its field, with the server's words.
    lists.setText("not a zone!")
    page.mark_dirty()
    page.save()
    wait(lambda: page.idle)
    assert "not a DNS blocklist zone" in page.field_error("spam.dnsbl")


def test_test_button_shows_each_engine(offline: Offline, clamd: Clamd, tmp_path: Path) -> None:
    offline.client.call("settings.set_many", values={
        "virus.enabled": True, "virus.clamd": clamd.address,
        "spam.rspamd_url": f"http://127.0.0.1:{free_port()}"})
    page: SpamPage = offline.open("spam")
    page.test()
    wait(lambda: page.status is not None and page.idle)
    assert page.clamd_state.text().startswith(f"clamd: answers at {clamd.address} (ClamAV")
    assert GOOD in page.clamd_state.styleSheet()
    assert page.rspamd_state.text().startswith("rspamd: does not answer at http://127.0.0.1:")
    assert BAD in page.rspamd_state.styleSheet()
    assert page.test_result.text() == f"The EICAR test file was found: {SIGNATURE}.UNOFFICIAL."
    page.resize(1000, 900)
    page.grab().save(str(tmp_path / "spam-page.png"))
