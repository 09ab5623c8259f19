"""The Filters page: rule rows that write Sieve, expert mode with the server's line, vacation."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox, QLineEdit

from appliance.control.client import ControlClient
from appliance.control.setup import initialize
from appliance.home import Home
from tests.ui.conftest import make_context, teardown, wait


def test_rules_expert_and_vacation(tmp_path: Path, qtbot: object) -> None:
    from ui.pages.filters import FiltersPage

    home = tmp_path / "home"
    initialize(Home(home), "mail.example.test", "example.test")
    client = ControlClient(Home(home))
    client.call("account.add", address="bob@example.test", password="pw-long-1-x")
    client.call("account.add", address="alice@example.test", password="pw-long-1-x")
    ctx = make_context(home, 0, tmp_path)
    try:
        page = FiltersPage(ctx)
        qtbot.addWidget(page)  # type: ignore[attr-defined]
        page.resize(1100, 700)
        page.show()
        page.load()
        wait(lambda: page.idle and page.loaded)
        assert page.address == "alice@example.test"
        assert page.account.count() == 2
        page.account.setCurrentIndex(page.account.findText("bob@example.test"))
        page.account.activated.emit(page.account.currentIndex())
        wait(lambda: page.idle and page.address == "bob@example.test")

        # A rule row: Subject contains invoice -> move to Finance; the script shows below.
        page.add_button.click()
        value = page.table.cellWidget(0, 3)
        target = page.table.cellWidget(0, 5)
        assert isinstance(value, QLineEdit) and isinstance(target, QLineEdit)
        value.setText("invoice")
        value.textEdited.emit("invoice")
        target.setText("Finance")
        target.textEdited.emit("Finance")
        wait(lambda: page.idle and 'fileinto "Finance";' in page.generated.toPlainText())
        assert page.is_dirty()
        page.save_button.click()
        wait(lambda: page.idle and not page.is_dirty())
        shown = client.call("filter.show", address="bob@example.test")
        assert shown["active"] == "main" and 'fileinto "Finance"' in shown["script"]
        assert shown["rules"][0]["target"] == "Finance"
        page.grab().save(str(tmp_path / "filters-rules.png"))

        # Forward needs an address: the server's refusal shows under the rules.
        action = page.table.cellWidget(0, 4)
        assert isinstance(action, QComboBox)
        action.setCurrentIndex(action.findData("forward"))
        target.setText("")
        target.textEdited.emit("")
        wait(lambda: page.idle and "address" in page.field_error("rules"))

        # Expert mode: a script that does not parse is refused with its line.
        page.revert()
        wait(lambda: page.idle and not page.is_dirty())
        page.tabs.setCurrentIndex(1)
        page.script.setPlainText('require "fileinto";\nif true {\n  fileinto "x"\n}\n')
        page.check_button.click()
        wait(lambda: page.idle and "Line 4" in page.field_error("script"))
        page.save_button.click()
        wait(lambda: page.idle and "Not saved" in page.banner.text())
        assert page.script.textCursor().blockNumber() == 3
        page.grab().save(str(tmp_path / "filters-expert.png"))
        page.script.setPlainText('require "fileinto";\nif true {\n  fileinto "x";\n}\n')
        page.save_button.click()
        wait(lambda: page.idle and not page.is_dirty())
        assert client.call("filter.show", address="bob@example.test")["rules"] is None
        assert not page.hand_written.isHidden()

        # Out of office with dates.
        page.tabs.setCurrentIndex(2)
        page.vacation_on.setChecked(True)
        page.until_on.setChecked(True)
        page.text.setPlainText("Away until Monday.")
        page.save_button.click()
        wait(lambda: page.idle and not page.is_dirty())
        vacation = client.call("vacation.show", address="bob@example.test")
        assert vacation["on"] and vacation["vacation"]["text"] == "Away until Monday."
        assert vacation["vacation"]["until"] and "currentdate" in vacation["script"]
        page.grab().save(str(tmp_path / "filters-vacation.png"))
        page.vacation_on.setChecked(False)
        page.save_button.click()
        wait(lambda: page.idle and not page.is_dirty())
        assert not client.call("vacation.show", address="bob@example.test")["on"]
    finally:
        client.close()
        teardown(ctx)
