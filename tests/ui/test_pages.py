"""The pages against a real daemon: what they save changes what the daemon accepts."""

from __future__ import annotations

import base64
import smtplib

from PySide6.QtCore import Qt

from tests.ui.conftest import Gui, wait
from ui.pages.accounts import AccountsPage
from ui.pages.aliases import AliasesPage
from ui.pages.dashboard import DashboardPage
from ui.pages.logs import LogsPage
from ui.pages.queue import QueuePage
from ui.pages.relay import RelayPage


def rcpt(gui: Gui, address: str) -> int:
    with smtplib.SMTP("127.0.0.1", gui.mailroom.port("smtp"), timeout=10) as s:
        s.ehlo("client.test")
        # An outside sender: once 127.0.0.1 leaves the relay networks, our own
        # domains are refused as sender at MAIL (smtp.local_sender_check).
        s.mail("someone@outside.test")
        code, _ = s.rcpt(address)
        return code


def open_page(gui: Gui, key: str):  # type: ignore[no-untyped-def]
    assert gui.window.show_page(key)
    page = gui.window.page(key)
    wait(lambda: page.loaded and page.idle)
    return page


def test_account_alias_and_relay_pages_change_what_the_daemon_accepts(gui: Gui) -> None:
    assert rcpt(gui, "carol@example.test") == 550
    accounts: AccountsPage = open_page(gui, "accounts")
    accounts.new_button.click()
    accounts.address.setText("carol@example.test")
    accounts.password.setText("pw-carol-12")
    accounts.again.setText("pw-carol-12")
    accounts.quota.setValue(10)
    accounts.mark_dirty()
    assert accounts.is_dirty()
    accounts.save_button.click()
    wait(lambda: accounts.idle and not accounts.is_dirty())
    assert any(r["address"] == "carol@example.test" and r["quota_bytes"] == 10 * 1024 * 1024
               for r in accounts.model.rows)
    assert rcpt(gui, "carol@example.test") == 250

    assert rcpt(gui, "team@example.test") == 550
    aliases: AliasesPage = open_page(gui, "aliases")
    aliases.new_button.click()
    aliases.address.setText("team@example.test")
    aliases.add_member("alice@example.test")
    aliases.add_member("carol@example.test")
    aliases.save_button.click()
    wait(lambda: aliases.idle and not aliases.is_dirty())
    assert rcpt(gui, "team@example.test") == 250
    assert gui.client.call("alias.list")["team@example.test"] == [
        "alice@example.test", "carol@example.test"]

    # Relay: 127.0.0.1 may relay by default; take it away in the page.
    assert rcpt(gui, "far@outside.test") == 250
    relay: RelayPage = open_page(gui, "relay")
    items = relay.networks.findItems("127.0.0.1/32", Qt.MatchFlag.MatchExactly)
    relay.networks.setCurrentItem(items[0])
    relay.remove_button.click()
    relay.add_network("10.9.0.0/16")
    relay.save_button.click()
    wait(lambda: relay.idle and not relay.is_dirty())
    assert gui.client.call("relay.list") == ["10.9.0.0/16", "::1/128"]
    # The daemon re-reads relay networks once a second.
    wait(lambda: rcpt(gui, "far@outside.test") == 554)
    assert rcpt(gui, "alice@example.test") == 250


def test_bad_values_show_an_error_and_save_nothing(gui: Gui) -> None:
    accounts: AccountsPage = open_page(gui, "accounts")
    before = [r["address"] for r in accounts.model.rows]
    accounts.new_button.click()
    accounts.address.setText("not an address@@example.test")
    accounts.password.setText("long-enough-1")
    accounts.again.setText("long-enough-1")
    accounts.mark_dirty()
    accounts.save_button.click()
    wait(lambda: accounts.idle)
    assert "malformed address" in accounts.field_error("address")
    assert accounts.is_dirty()
    assert [r["address"] for r in gui.client.call("account.list")] == before

    relay: RelayPage = open_page(gui, "relay")
    assert relay.ctx is gui.ctx
    before_nets = gui.client.call("relay.list")
    relay.add_network("192.168.7.0/24")
    relay.add_network("10.0.0.0/33")
    relay.save_button.click()
    wait(lambda: relay.idle)
    assert "not a network" in relay.field_error("network")
    assert gui.client.call("relay.list") == before_nets  # not even the good one

    # The unsaved-changes guard: leaving a dirty page asks; "cancel" stays.
    asked = []
    gui.window.ask_unsaved = lambda page: asked.append(page.title) or "cancel"  # type: ignore
    assert not gui.window.show_page("dashboard")
    assert asked == ["Relay networks"] and gui.window.current_page() is relay
    gui.window.ask_unsaved = lambda page: "discard"  # type: ignore[method-assign]
    assert gui.window.show_page("dashboard")
    assert not relay.is_dirty()


def test_queue_actions_act_on_a_really_queued_message(gui: Gui) -> None:
    c = gui.client

    def submit(subject: str) -> str:
        msg = f"Subject: {subject}\r\nFrom: alice@example.test\r\n\r\nbody\r\n".encode()
        return str(c.call("message.submit", sender="alice@example.test",
                          recipients=["someone@far-away.test"],
                          message=base64.b64encode(msg).decode()))

    first, second = submit("first one"), submit("second one")
    queue: QueuePage = open_page(gui, "queue")

    def entry(qid: str) -> dict | None:  # type: ignore[type-arg]
        return next((e for e in c.call("queue.list") if e["id"] == qid), None)

    wait(lambda: all((entry(q) or {}).get("attempts", 0) >= 1 for q in (first, second)), 20)
    wait(lambda: {first, second} <= set(queue.model.ids()), 10)
    assert queue.select(first)
    queue.show_selected()
    wait(lambda: "first one" in queue.detail.toPlainText())

    queue.buttons["hold"].click()
    wait(lambda: (entry(first) or {}).get("queue") == "hold")
    wait(lambda: queue.select(first) and queue.buttons["release"].isEnabled())
    queue.buttons["release"].click()
    wait(lambda: (entry(first) or {}).get("queue") == "deferred")

    attempts = entry(first)["attempts"]  # type: ignore[index]
    wait(lambda: queue.select(first) and queue.buttons["retry"].isEnabled())
    queue.buttons["retry"].click()
    wait(lambda: (entry(first) or {}).get("attempts", 0) > attempts, 20)

    queue.select(second)
    queue.buttons["delete"].click()
    wait(lambda: entry(second) is None)
    wait(lambda: second not in queue.model.ids())

    queue.select(first)
    queue.buttons["bounce"].click()
    wait(lambda: entry(first) is None, 20)
    # The bounce goes back to alice, a local account.
    gui.mailroom.wait_for_mail("alice@example.test")
    dashboard: DashboardPage = open_page(gui, "dashboard")
    dashboard.load()
    wait(lambda: dashboard.idle and int(dashboard.counter_labels["deferred"].text()) >= 2
         and dashboard.counter_labels["queue"].text() == "0", 10)


def test_logs_page_filters_the_live_stream(gui: Gui) -> None:
    logs: LogsPage = open_page(gui, "logs")
    with smtplib.SMTP("127.0.0.1", gui.mailroom.port("smtp"), timeout=10) as s:
        s.sendmail("x@outside.test", ["bob@example.test"], "Subject: hi\r\n\r\nhi\r\n")
    wait(lambda: any("to=<bob@example.test>" in line for line in logs.model.lines()))
    line = next(line for line in logs.model.lines() if "to=<bob@example.test>" in line)
    qid = line.split("]: ", 1)[1].split(":", 1)[0]
    logs.filter_queue_id(qid)
    assert logs.model.lines() and all(qid in x for x in logs.model.lines())
    logs.qid.clear()
    logs.text.setText("no such text anywhere")
    logs.apply_filter()
    assert logs.model.rowCount() == 0


def test_ports_page_turns_a_service_off_and_aliases_import(gui: Gui) -> None:
    import socket

    from ui.pages.ports import PortsPage

    port = gui.mailroom.port("pop3s")
    socket.create_connection(("127.0.0.1", port), 2).close()
    ports: PortsPage = open_page(gui, "ports")
    ports.enabled["pop3s"].setChecked(False)
    assert ports.is_dirty()
    ports.save_button.click()
    wait(lambda: ports.idle and not ports.is_dirty())
    assert gui.client.call("settings.get", key="pop3s.enabled") is False

    def refused() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
        except OSError:
            return True
        return False

    wait(refused, 10)
    ports.ports["imap"].setValue(0)  # clamps to 1: still valid; a bad listen address is not
    ports.listen.setText("127.0.0.1, not-an-ip")
    ports.mark_dirty()
    ports.save_button.click()
    wait(lambda: ports.idle)
    assert "not an IP address" in ports.field_error("listen")
    assert gui.client.call("settings.get", key="imap.port") == 143  # nothing saved

    aliases: AliasesPage = open_page(gui, "aliases")
    aliases.import_text("# office\nsales: alice, bob\nold: nobody-here\n", "aliases")
    wait(lambda: aliases.idle and aliases.import_report.isVisible())
    assert "1 aliases imported" in aliases.import_report.toPlainText()
    assert "nobody-here" in aliases.import_report.toPlainText()
    wait(lambda: "sales@example.test" in [r["address"] for r in aliases.model.rows])
    assert rcpt(gui, "sales@example.test") == 250
