"""The first-run wizard: asked names, the router warning and its fix, the ISP relay's words
and Test button, Close only at the end, and a re-run that starts from the current values."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel, QWizard

from appliance.control.client import ControlClient
from appliance.home import Home
from tests.support.daemon import free_offset
from tests.support.sink import SinkHandler, port_free_on, sink
from tests.ui.conftest import answer_first_steps, teardown, wait
from ui.context import AppContext
from ui.secrets import SecretStore
from ui.wizard import SetupWizard, routers_inside


def test_routers_inside() -> None:
    assert routers_inside(["192.168.1.0/24"], ["192.168.1.1"]) == ["192.168.1.1"]
    assert routers_inside(["192.168.1.0/24", "!192.168.1.1/32"], ["192.168.1.1"]) == []
    assert routers_inside(["10.0.0.0/8"], ["192.168.1.1"]) == []
    # The router listed alone is a deliberate choice, not a LAN that happens to hold it.
    assert routers_inside(["192.168.1.1/32"], ["192.168.1.1"]) == []
    assert routers_inside(["fd00::/64", "bad"], ["fd00::1", "nonsense"]) == ["fd00::1"]


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    c = AppContext(Home(tmp_path / "home"), ["--listen", "127.0.0.1", "--port-offset",
                                             str(free_offset())],
                   secrets=SecretStore(tmp_path / "s.json", use_keyring=False), poll_ms=300)
    c.confirm = lambda *a: True  # type: ignore[method-assign]
    yield c
    teardown(c)


def open_wizard(ctx: AppContext, qtbot: object) -> SetupWizard:
    wizard = SetupWizard(ctx)
    qtbot.addWidget(wizard)  # type: ignore[attr-defined]
    wizard.show()
    return wizard


def visible_texts(wizard: SetupWizard) -> list[str]:
    texts = [wizard.currentPage().title(), wizard.currentPage().subTitle()]
    texts += [w.text() for w in wizard.findChildren(QLabel) if w.isVisible()]
    return [t for t in texts if t]


def test_no_made_up_host_name_and_no_paths(ctx: AppContext, qtbot: object,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import appliance.control.setup_operations as ops

    monkeypatch.setattr(ops.socket, "getfqdn", lambda *a: "officebox")  # no full name
    wizard = open_wizard(ctx, qtbot)
    assert wizard.names.hostname.text() == ""
    assert "mail.example.com" in wizard.names.hostname.placeholderText()
    assert wizard.names.domain.text() == ""
    wizard.next()
    assert wizard.currentPage() is wizard.names  # asked, not guessed
    assert wizard.names.errors["hostname"].text()
    seen = []
    while True:  # names, relay, ISP relay; never the last step, which sets the box up
        seen.append(wizard.currentPage())
        for text in visible_texts(wizard):
            assert not re.search(r"(^|[\s(])/\w", text), text
            assert str(ctx.home.root) not in text
        if wizard.currentPage() is wizard.smarthost:
            break
        if wizard.currentPage() is wizard.names:
            answer_first_steps(wizard)
        else:
            wizard.next()
    assert seen == [wizard.names, wizard.relay, wizard.smarthost]
    assert not ctx.home.initialized()


def test_router_warning_only_when_the_lan_holds_it_with_the_fix(ctx: AppContext,
                                                                 qtbot: object) -> None:
    wizard = open_wizard(ctx, qtbot)
    wizard.defaults["networks"] = ["192.168.1.0/24"]
    wizard.relay.gateways = ["192.168.1.1"]
    answer_first_steps(wizard)
    relay = wizard.relay
    assert wizard.currentPage() is relay
    text = relay.warning.text()
    assert "192.168.1.1" in text and "router" in text
    assert text.count(". ") + text.count(".\n") + text.endswith(".") == 2  # two sentences
    assert relay.fix.isVisible() and "!192.168.1.1" in relay.fix.text()
    relay.fix.click()
    assert "!192.168.1.1" in relay.extra.text()
    assert relay.warning.text() == "" and not relay.fix.isVisible()
    wizard.next()
    assert wizard.answers["networks"][-2:] == ["192.168.1.0/24", "!192.168.1.1/32"]
    # A router outside every relay network: nothing to warn about.
    wizard.back()
    relay.extra.clear()
    relay.gateways = ["10.9.9.9"]
    relay.extra.setText("10.20.0.0/16")
    assert relay.warning.text() == "" and not relay.fix.isVisible()


def test_isp_relay_words_and_test_button(ctx: AppContext, qtbot: object) -> None:
    wizard = open_wizard(ctx, qtbot)
    page = wizard.smarthost
    words = [page.tls.itemText(i) for i in range(page.tls.count())]
    assert words[:2] == ["STARTTLS on 587", "TLS on 465"]
    page.tls.setCurrentIndex(1)
    assert page.port.value() == 465
    page.tls.setCurrentIndex(2)  # no encryption: to the loopback sink below
    port = port_free_on(["127.0.0.1"])
    handler = SinkHandler()
    with sink("127.0.0.1", port, handler):
        page.host.setText("localhost")
        page.port.setValue(port)
        page.recipient.setText("me@isp.test")
        page.test_button.click()
        wait(lambda: not page.testing, 30)
        assert "took the test message: 250" in page.result.text(), [
            e.text() for e in page.errors.values()]
        assert handler.received and handler.received[0].recipients == ["me@isp.test"]
    page.test_button.click()  # the sink is gone now: a plain-words failure
    wait(lambda: not page.testing, 30)
    assert "The test failed" in page.result.text() and "refuses" in page.result.text()


def test_close_only_after_finishing_and_a_rerun_shows_the_current_values(
        ctx: AppContext, qtbot: object) -> None:
    wizard = open_wizard(ctx, qtbot)
    answer_first_steps(wizard)
    wizard.relay.extra.setText("10.20.0.0/16")
    wizard.next()
    wizard.smarthost.host.setText("smtp.provider.test")
    wizard.smarthost.username.setText("office")
    wizard.next()
    wait(lambda: wizard.finish.done or bool(wizard.finish.error.text()), 60)
    assert wizard.finish.done, wizard.finish.error.text()
    shown = {b: wizard.button(b).isVisible() for b in (
        QWizard.WizardButton.BackButton, QWizard.WizardButton.CancelButton,
        QWizard.WizardButton.FinishButton)}
    assert shown == {QWizard.WizardButton.BackButton: False,
                     QWizard.WizardButton.CancelButton: False,
                     QWizard.WizardButton.FinishButton: True}
    close: QAbstractButton = wizard.button(QWizard.WizardButton.FinishButton)
    assert close.text().replace("&", "") == "Close"
    wizard.close()

    again = open_wizard(ctx, qtbot)
    assert again.names.hostname.text() == "mail.office.test"
    assert again.names.domain.text() == "office.test"
    again.next()
    assert again.account.address.text() == "admin@office.test"
    again.next()  # the password left empty: kept
    assert again.currentPage() is again.relay
    assert "10.20.0.0/16" in again.relay.networks()
    again.next()
    assert again.smarthost.host.text() == "smtp.provider.test"
    assert again.smarthost.username.text() == "office"
    again.smarthost.host.clear()  # back to direct delivery
    again.next()
    wait(lambda: again.finish.done or bool(again.finish.error.text()), 60)
    assert again.finish.done, again.finish.error.text()
    client = ControlClient(ctx.home)
    assert client.call("settings.get", key="smarthost.host") == ""
    assert [a["address"] for a in client.call("account.list")
            if a["address"].startswith("admin@")] == ["admin@office.test"]
    again.close()


def test_each_step_has_its_own_alt_letters(ctx: AppContext, qtbot: object) -> None:
    import re

    wizard = open_wizard(ctx, qtbot)
    wizard.relay.initializePage()
    wizard.relay.fix.show()  # the router fix, as when it is offered
    buttons = [wizard.button(b).text() for b in (QWizard.WizardButton.BackButton,
                                                 QWizard.WizardButton.NextButton,
                                                 QWizard.WizardButton.FinishButton)]
    clashes = []
    for page_id in wizard.pageIds():
        page = wizard.page(page_id)
        texts = [w.text() for w in page.findChildren(QLabel) if w.buddy() is not None]
        texts += [w.text() for w in page.findChildren(QAbstractButton)]
        letters: dict[str, list[str]] = {}
        for text in texts + buttons:
            m = re.search(r"&(\w)", text)
            if m:
                letters.setdefault(m.group(1).lower(), []).append(text)
        clashes += [f"{page.title()}: {v}" for v in letters.values() if len(v) > 1]
    assert not clashes, clashes
