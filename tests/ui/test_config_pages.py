"""The relay page against a real daemon: the server's refusal and warnings, shown in place."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from appliance.state import StateError
from tests.support.daemon import free_offset
from tests.ui.conftest import Gui, answer_first_steps, make_context, teardown, wait
from ui.pages.domains import DomainsPage
from ui.pages.relay import RelayPage
from ui.wizard import SetupWizard


def open_relay(gui: Gui) -> RelayPage:
    assert gui.window.show_page("relay")
    page = gui.window.page("relay")
    assert isinstance(page, RelayPage)
    wait(lambda: page.loaded and page.idle)
    return page


def test_relay_page_refuses_an_open_relay_with_the_servers_words(gui: Gui) -> None:
    client = gui.client
    with pytest.raises(StateError) as info:
        client.call("relay.add", network="0.0.0.0/0")
    server_says = info.value.message
    before = client.call("relay.list")

    relay = open_relay(gui)
    relay.add_network("0.0.0.0/0")
    wait(lambda: relay.idle and relay.field_error("network") != "")
    assert relay.field_error("network") == server_says  # refused as soon as it is added
    relay.save_button.click()
    wait(lambda: relay.idle)
    assert relay.field_error("network") == server_says
    assert "Not saved" in relay.banner.text()
    assert client.call("relay.list") == before

    # Take it out again: the error goes; a public network brings the op's warning.
    relay.networks.setCurrentItem(
        relay.networks.findItems("0.0.0.0/0", Qt.MatchFlag.MatchExactly)[0])
    relay.remove_button.click()
    relay.add_network("100.64.0.0/10")
    relay.add_network("!127.0.0.1")
    wait(lambda: relay.idle and "public network" in relay.warning.text())
    assert relay.field_error("network") == ""
    relay.save_button.click()
    wait(lambda: relay.idle and not relay.is_dirty())
    assert client.call("relay.list") == ["100.64.0.0/10", "127.0.0.1/32", "!127.0.0.1/32",
                                         "::1/128"]
    shown = client.call("relay.show")
    assert shown["warnings"], "the page shows what the operation returns"
    assert relay.warning.text() == "\n".join(f"⚠ {w}" for w in shown["warnings"])
    client.close()


def select(page: DomainsPage, text: str) -> None:
    page.domains.setCurrentItem(page.domains.findItems(text, Qt.MatchFlag.MatchExactly)[0])


def test_domains_page_shows_and_edits_domain_aliases(gui: Gui) -> None:
    client = gui.client
    client.call("domain.add", name="mail.example.test", alias_of="example.test")
    client.call("domain.add", name="example.org")
    client.call("domain.add", name="www.example.org", alias_of="example.org")
    assert gui.window.show_page("domains")
    page = gui.window.page("domains")
    assert isinstance(page, DomainsPage)
    wait(lambda: page.loaded and page.idle)
    shown = [page.domains.item(i).text() for i in range(page.domains.count())]
    assert shown == ["example.org", "www.example.org  (alias of example.org)",
                     "example.test", "mail.example.test  (alias of example.test)"]
    assert "mail.example.test." in page.records.toPlainText()  # its MX record too

    # Add another name of example.test, and take the first one away.
    page.new_domain.setText("smtp.example.test")
    page.kind.setCurrentIndex(page.kind.findData("example.test"))
    page.add_button.click()
    select(page, "mail.example.test  (alias of example.test)")
    page.remove_button.click()
    page.save_button.click()
    wait(lambda: page.idle and not page.is_dirty())
    assert client.call("domain.show") == [
        {"name": "example.org", "alias_of": None},
        {"name": "www.example.org", "alias_of": "example.org"},
        {"name": "example.test", "alias_of": None},
        {"name": "smtp.example.test", "alias_of": "example.test"}]

    # A domain cannot go while a name still points at it: the server says so, nothing changes.
    select(page, "example.org")
    page.remove_button.click()
    page.save_button.click()
    wait(lambda: page.idle)
    assert "www.example.org" in page.field_error("domain")
    assert client.call("domain.list") == ["example.org", "example.test"]
    client.close()


def test_wizard_relay_step_refuses_an_open_relay_in_place(tmp_path: Path, qtbot: object) -> None:
    home = tmp_path / "fresh"
    ctx = make_context(home, free_offset(), tmp_path)
    wizard = SetupWizard(ctx)
    qtbot.addWidget(wizard)  # type: ignore[attr-defined]
    wizard.show()
    try:
        answer_first_steps(wizard)
        assert wizard.currentPage() is wizard.relay
        wizard.relay.extra.setText("0.0.0.0/0")  # the words show while typing
        assert "whole Internet" in wizard.relay.errors["network"].text()
        wizard.next()
        assert wizard.currentPage() is wizard.relay
        wizard.relay.extra.setText("10.20.0.0/16, !10.20.0.1")
        assert wizard.relay.errors["network"].text() == ""
        wizard.next()
        assert wizard.currentPage() is wizard.smarthost
        assert wizard.answers["networks"][-2:] == ["10.20.0.0/16", "!10.20.0.1/32"]
        assert not home.exists()  # nothing is written before the last step
    finally:
        wizard.close()
        teardown(ctx)
