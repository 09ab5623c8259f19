"""Every page at 1280×800 against a real daemon: no text cut off by its widget, no widgets
laid over each other, and the window fits (no page forces it wider or taller)."""

from __future__ import annotations

import base64
import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from appliance.home import Home
from tests.support.daemon import Mailroom, free_offset
from tests.support.dnsserver import DnsServer
from tests.ui.conftest import Gui, make_context, seed, teardown, wait
from ui import i18n
from ui.context import AppContext
from ui.layout_check import problems
from ui.screenshots import PEOPLE, WINDOW_SIZE
from ui.window import MainWindow


@pytest.fixture
def busy_gui(tmp_path: Path, qtbot: object, dns: DnsServer) -> Iterator[Gui]:
    """A box with a few dozen accounts, deferred mail and a listener whose port is taken."""
    m = Mailroom(tmp_path / "home")
    seed(m.home, dns.nameserver)
    m.offset = free_offset()
    client = Gui(m, None, None).client  # type: ignore[arg-type]
    for name in PEOPLE[2:]:  # alice and bob are there
        client.call("account.add", address=f"{name}@example.test", password="demo-password-1")
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 995 + m.offset))
    blocker.listen(1)
    ctx = make_context(m.home, m.offset, tmp_path)
    window = MainWindow(ctx)
    window.ask_unsaved = lambda page: "discard"  # type: ignore[method-assign]
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    window.resize(*WINDOW_SIZE)
    window.show()
    ctx.start()
    try:
        wait(lambda: ctx.supervisor.state == "down")
        assert ctx.supervisor.start()
        wait(lambda: ctx.supervisor.state == "up", 30)
        for i in range(3):
            msg = f"Subject: {i}\r\n\r\nbody\r\n".encode()
            client.call("message.submit", sender="alice@example.test",
                        recipients=[f"user{i}@far-away.test"],
                        message=base64.b64encode(msg).decode())
        wait(lambda: (ctx.supervisor.status or {}).get("health") == "degraded", 15)
        yield Gui(m, ctx, window)
    finally:
        blocker.close()
        teardown(ctx)
        with contextlib.suppress(Exception):
            m.stop()


def walk(window: MainWindow, qtbot: object) -> dict[str, list[str]]:
    """Every page shown in turn at 1280×800: what is clipped, overlaps or does not fit."""
    window.resize(*WINDOW_SIZE)
    found: dict[str, list[str]] = {}
    for key in window.pages:
        assert window.show_page(key)
        page = window.page(key)
        wait(lambda p=page: p.loaded and p.idle, 15)  # type: ignore[misc]
        qtbot.wait(50)  # type: ignore[attr-defined]  # one layout pass after the data came
        size = (window.width(), window.height())
        issues = [str(p) for p in problems(page)]
        # The page stack is as wide as its widest page: name the page that is too wide.
        room_w = WINDOW_SIZE[0] - (size[0] - window.stack.width())
        room_h = WINDOW_SIZE[1] - (size[1] - window.stack.height())
        need = page.minimumSizeHint()
        if need.width() > room_w or need.height() > room_h:
            issues.append(f"needs {need.width()}×{need.height()} px, has {room_w}×{room_h} "
                          f"in a {WINDOW_SIZE[0]}×{WINDOW_SIZE[1]} window")
        if issues:
            found[key] = issues
    # The page list: each page's name whole in the navigation column.
    room = window.nav.viewport().width()
    fm = window.nav.fontMetrics()
    for i in range(window.nav.count()):
        text = window.nav.item(i).text()
        if fm.horizontalAdvance(text) + 8 > room:
            found.setdefault("navigation", []).append(
                f"{text!r} needs {fm.horizontalAdvance(text) + 8} px, has {room}")
    return found


def test_every_page_fits_1280x800_without_clipping_or_overlap(busy_gui: Gui, qtbot: object,
                                                              qapp: QApplication) -> None:
    found = walk(busy_gui.window, qtbot)
    # The same pages in Chinese (other words, another font): a second window on the same box.
    assert i18n.install(qapp, "zh_CN") == "zh_CN"
    try:
        chinese = MainWindow(busy_gui.ctx)
        qtbot.addWidget(chinese)  # type: ignore[attr-defined]
        chinese.show()
        found.update({f"{k} (中文)": v for k, v in walk(chinese, qtbot).items()})
        chinese.close()
    finally:
        i18n.install(qapp, "en")
    assert not found, "\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in found.items())


def test_wizard_steps_without_clipping_or_overlap(tmp_path: Path, qtbot: object) -> None:
    from ui.secrets import SecretStore
    from ui.wizard import SetupWizard

    ctx = AppContext(Home(tmp_path / "fresh"),
                     secrets=SecretStore(tmp_path / "s.json", use_keyring=False))
    wizard = SetupWizard(ctx)
    qtbot.addWidget(wizard)  # type: ignore[attr-defined]
    wizard.defaults["networks"] = ["192.168.1.0/24"]
    wizard.relay.gateways = ["192.168.1.1"]  # the router warning shows on step 3
    wizard.show()
    found = []

    def check(name: str) -> None:
        qtbot.wait(50)  # type: ignore[attr-defined]
        found.extend(f"{name}: {p}" for p in problems(wizard.currentPage()))

    try:
        check("names")
        wizard.names.hostname.setText("mail.office.test")
        wizard.names.domain.setText("office.test")
        wizard.next()
        check("account")
        wizard.account.password.setText("a-good-password")
        wizard.account.again.setText("a-good-password")
        wizard.next()
        assert wizard.currentPage() is wizard.relay
        check("relay")
        wizard.next()
        assert wizard.currentPage() is wizard.smarthost
        check("ISP relay")
    finally:
        ctx.shutdown()
    assert not found, "\n".join(found)


def test_the_check_finds_clipped_text_and_overlaps(qtbot: object) -> None:
    from PySide6.QtWidgets import QLabel, QPushButton, QWidget

    root = QWidget()
    qtbot.addWidget(root)  # type: ignore[attr-defined]
    root.resize(400, 200)
    label = QLabel("a label far too long for the room it has", root)
    label.setGeometry(0, 0, 60, 20)
    button = QPushButton("Save everything now", root)
    button.setGeometry(30, 5, 40, 30)
    fine = QLabel("ok", root)
    fine.setGeometry(200, 100, 60, 30)
    root.show()
    qtbot.wait(10)  # type: ignore[attr-defined]
    found = [str(p) for p in problems(root)]
    assert any(p.startswith("clipped: QLabel 'a label far") for p in found), found
    assert any(p.startswith("clipped: QPushButton 'Save everything") for p in found), found
    assert any(p.startswith("overlap:") for p in found), found
    assert not any("'ok'" in p for p in found), found
