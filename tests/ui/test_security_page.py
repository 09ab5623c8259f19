"""The Security page against a real daemon: bans and failed logins, Unban, Ban by hand."""

from __future__ import annotations

import socket

from tests.ui.conftest import Gui, wait
from ui.pages.security import SecurityPage

GUESSER = "127.0.0.31"


def greeting(gui: Gui, source: str) -> bytes:
    with socket.create_connection(("127.0.0.1", gui.mailroom.port("pop3")), 10,
                                  source_address=(source, 0)) as s:
        return s.recv(4096)


def fail_pop3_login(gui: Gui, source: str, user: str) -> None:
    with socket.create_connection(("127.0.0.1", gui.mailroom.port("pop3")), 10,
                                  source_address=(source, 0)) as s:
        s.sendall(f"USER {user}\r\nPASS wrong-password\r\nQUIT\r\n".encode())
        while s.recv(4096):  # until the server hangs up after QUIT
            pass


def test_security_page_lists_bans_and_failures_and_unbans(gui: Gui) -> None:
    c = gui.client
    try:
        c.call("settings.set_many", values={"auth.failure_delay_ms": 0, "auth.max_failures": 2})
    finally:
        c.close()
    fail_pop3_login(gui, "127.0.0.32", "alice@example.test")  # once: not banned
    fail_pop3_login(gui, GUESSER, "bob@example.test")
    fail_pop3_login(gui, GUESSER, "carol@example.test")
    assert greeting(gui, GUESSER).startswith(b"-ERR ")

    assert gui.window.show_page("security")
    page: SecurityPage = gui.window.page("security")  # type: ignore[assignment]
    wait(lambda: page.loaded and page.idle and len(page.failures) == 3)
    assert [b["key"] for b in page.bans] == [GUESSER]
    assert page.ban_table.item(0, 0).text() == GUESSER
    assert "pop3 as carol@example.test" in page.ban_table.item(0, 3).text()
    assert [(f["address"], f["account"], f["service"]) for f in page.failures] == [
        (GUESSER, "carol@example.test", "pop3"), (GUESSER, "bob@example.test", "pop3"),
        ("127.0.0.32", "alice@example.test", "pop3")]
    assert page.failure_table.rowCount() == 3

    assert not page.unban_button.isEnabled()
    assert page.select_ban(GUESSER)
    page.unban_button.click()
    wait(lambda: page.idle and not page.bans)
    assert greeting(gui, GUESSER).startswith(b"+OK ")

    page.new_address.setText("127.0.0.1")  # a relay network: refused beside the field
    page.ban_button.click()
    wait(lambda: page.idle and bool(page.field_error("address")))
    assert "relay networks" in page.field_error("address")
    page.new_address.setText("127.0.0.33")
    page.duration.setCurrentIndex(page.duration.findData("1d"))
    page.ban_button.click()
    wait(lambda: page.idle and len(page.bans) == 1)
    ban = page.bans[0]
    assert ban["key"] == "127.0.0.33" and round(ban["until"] - ban["since"]) == 86400
    assert greeting(gui, "127.0.0.33").startswith(b"-ERR ")
