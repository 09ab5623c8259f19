"""No lost edits: every trigger (another row, New, another page, F5, closing the window)
asks Save / Discard / Cancel on an editing page, and each answer does what it says."""

from __future__ import annotations

from PySide6.QtWidgets import QSpinBox

from tests.ui.conftest import Offline, wait
from ui.pages.accounts import AccountsPage
from ui.pages.aliases import AliasesPage
from ui.pages.settings_form import SettingsPage


def _quota(off: Offline, address: str) -> int:
    rows = off.client.call("account.list")
    return int(next(r for r in rows if r["address"] == address)["quota_bytes"])


def _click_row(page: AccountsPage | AliasesPage, address: str) -> None:
    row = next(i for i, r in enumerate(page.model.rows) if r["address"] == address)
    page.table.setCurrentIndex(page.model.index(row, 0))  # what a click does


def _selected(page: AccountsPage | AliasesPage) -> str:
    return page.model.row(page.table.currentIndex().row())["address"]


def test_accounts_row_change_cancel_discard_save(offline: Offline) -> None:
    page: AccountsPage = offline.open("accounts")
    page.select_address("alice@example.test")
    page.quota.setValue(7)
    assert page.is_dirty()

    offline.answer("cancel")
    _click_row(page, "bob@example.test")
    assert offline.asked == ["Accounts"]
    assert _selected(page) == "alice@example.test" and page.quota.value() == 7
    assert page.is_dirty()

    offline.answer("discard")
    _click_row(page, "bob@example.test")
    assert _selected(page) == "bob@example.test" and page.address.text() == "bob@example.test"
    assert not page.is_dirty() and _quota(offline, "alice@example.test") == 0

    page.quota.setValue(9)  # bob, now
    offline.answer("save")
    _click_row(page, "alice@example.test")
    wait(lambda: page.idle and page.address.text() == "alice@example.test")
    assert _quota(offline, "bob@example.test") == 9 * 1024 * 1024
    assert _selected(page) == "alice@example.test" and not page.is_dirty()

    # New asks too; a refused save keeps the edits and the row.
    page.password.setText("short")
    page.again.setText("short")
    page.mark_dirty()  # what typing does
    offline.answer("save")
    page.new_button.click()
    wait(lambda: page.idle)
    assert "password" in page.field_error("password")
    assert page.address.text() == "alice@example.test" and page.is_dirty()


def test_passwords_must_match(offline: Offline) -> None:
    page: AccountsPage = offline.open("accounts")
    page.select_address("alice@example.test")
    page.password.setText("a-new-password-1")
    page.again.setText("a-new-password-2")
    page.mark_dirty()  # what typing does
    page.save()
    assert "differ" in page.field_error("again") and page.is_dirty()


def test_aliases_row_change_saves_then_moves(offline: Offline) -> None:
    page: AliasesPage = offline.open("aliases")
    page.select_address("staff@example.test")
    page.add_member("bob@example.test")
    offline.answer("save")
    _click_row(page, "team@example.test")
    wait(lambda: page.idle and page.address.text() == "team@example.test")
    assert offline.client.call("alias.list")["staff@example.test"] == [
        "alice@example.test", "bob@example.test"]
    assert not page.is_dirty()


def test_catch_all_is_a_choice_of_domain(offline: Offline) -> None:
    page: AliasesPage = offline.open("aliases")
    page.new_button.click()
    page.catch_all.setChecked(True)
    assert not page.address.isEnabled() and page.catch_domain.currentText() == "example.test"
    page.add_member("alice@example.test")
    page.save()
    wait(lambda: page.idle and not page.is_dirty())
    assert offline.client.call("alias.list")["@example.test"] == ["alice@example.test"]
    page.select_address("@example.test")
    assert page.catch_all.isChecked() and not page.catch_all.isEnabled()


def _limits(offline: Offline) -> tuple[SettingsPage, QSpinBox]:
    page: SettingsPage = offline.open("limits")
    assert page.form is not None
    spin = page.form.fields["smtp.max_recipients"].widget
    assert isinstance(spin, QSpinBox)
    return page, spin


def test_page_change_cancel_stays_save_moves(offline: Offline) -> None:
    page, spin = _limits(offline)
    spin.setValue(42)
    offline.answer("cancel")
    assert not offline.window.show_page("logging")
    assert offline.window.current_page() is page and spin.value() == 42
    assert offline.window.nav.currentRow() == list(offline.window.pages).index("limits")
    offline.answer("save")
    offline.window.show_page("logging")
    wait(lambda: offline.window.current_page() is offline.window.page("logging"))
    assert offline.client.call("settings.get", key="smtp.max_recipients") == 42
    assert offline.asked == ["Limits", "Limits"]


def test_f5_asks_and_discard_reloads(offline: Offline) -> None:
    page, spin = _limits(offline)
    spin.setValue(43)
    offline.answer("cancel")
    offline.window.reload_action.trigger()
    assert spin.value() == 43 and page.is_dirty()
    offline.answer("discard")
    offline.window.reload_action.trigger()
    wait(lambda: page.idle)
    assert spin.value() == 100 and not page.is_dirty()
    # Clean: F5 just reloads, no question.
    offline.client.call("settings.set", key="smtp.max_recipients", value=55)
    offline.window.reload_action.trigger()
    wait(lambda: page.idle and spin.value() == 55)
    assert offline.asked == ["Limits", "Limits"]


def test_closing_the_window_asks(offline: Offline) -> None:
    page, spin = _limits(offline)
    spin.setValue(44)
    offline.answer("cancel")
    assert not offline.window.close()
    assert offline.window.isVisible()
    offline.answer("save")
    offline.window.close()
    wait(lambda: not offline.window.isVisible())
    assert offline.client.call("settings.get", key="smtp.max_recipients") == 44


def test_closing_with_discard_saves_nothing(offline: Offline) -> None:
    accounts: AccountsPage = offline.open("accounts")
    accounts.quota.setValue(3)
    offline.answer("discard")
    offline.window.close()
    wait(lambda: not offline.window.isVisible())
    assert offline.asked == ["Accounts"]
    assert _quota(offline, "alice@example.test") == 0
