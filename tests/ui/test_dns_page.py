"""The DNS page (states in colour, Copy, Check now) and the DKIM keys on the Domains page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QGuiApplication

from tests.support.dnsserver import DnsServer, zone_of
from tests.ui.conftest import ZONE, Gui, wait
from ui.pages.dns import STATE_COLOURS, DnsPage
from ui.pages.domains import DomainsPage


@pytest.fixture
def dns_page(gui: Gui, dns: DnsServer) -> Iterator[DnsPage]:
    gui.client.call("settings.set_many", values={"dns.public_ipv4": "203.0.113.10",
                                                 "dns.timeout": 2})
    assert gui.window.show_page("dns")
    page = gui.window.page("dns")
    assert isinstance(page, DnsPage)
    wait(lambda: page.loaded and page.idle)
    try:
        yield page
    finally:
        dns.set_zone(ZONE)  # the server is shared by the session


def state_of(page: DnsPage, kind: str) -> tuple[str, str]:
    row = next(i for i, r in enumerate(page.records) if r["kind"] == kind)
    item = page.table.item(row, 0)
    return item.text(), item.foreground().color().name()


def test_check_now_colours_each_record(gui: Gui, dns: DnsServer, dns_page: DnsPage) -> None:
    page = dns_page
    kinds = [r["kind"] for r in page.records]
    assert kinds.count("dkim") == 2 and {"mx", "spf", "dmarc", "ptr", "a"} <= set(kinds)
    assert state_of(page, "mx")[0] == "not checked"

    page.check_button.click()
    wait(lambda: not page.checking, 20)
    assert state_of(page, "mx") == ("✗ missing", STATE_COLOURS["missing"])
    assert "to fix" in page.summary.text()

    dns.set_zone({**ZONE, **zone_of(page.records)})
    page.check_button.click()
    wait(lambda: not page.checking, 20)
    assert state_of(page, "dkim") == ("✓ ok", STATE_COLOURS["ok"])
    assert page.summary.text() == "Every record is published as it should be."

    mx_row = next(i for i, r in enumerate(page.records) if r["kind"] == "mx")
    page.table.cellWidget(mx_row, 5).click()
    assert QGuiApplication.clipboard().text() == (
        "example.test.  IN  MX  10 mail.example.test.")
    page.copy_all.click()
    assert QGuiApplication.clipboard().text() == page.text
    assert "_dmarc.example.test." in page.text


def test_domains_page_shows_and_rotates_dkim_keys(gui: Gui) -> None:
    assert gui.window.show_page("domains")
    page = gui.window.page("domains")
    assert isinstance(page, DomainsPage)
    wait(lambda: page.loaded and page.idle)
    assert page.keys.rowCount() == 2
    assert {page.keys.item(i, 2).text() for i in range(2)} == {"RSA-2048", "Ed25519"}
    page.keys.selectRow(0)
    page.rotate_now.setChecked(True)
    page.rotate_button.click()
    wait(lambda: page.idle and page.keys.rowCount() == 4)
    states = sorted(page.keys.item(i, 3).text() for i in range(4))
    assert states == ["retired (kept a week)"] * 2 + ["signs"] * 2
    assert "they sign now" in page.banner.text()
