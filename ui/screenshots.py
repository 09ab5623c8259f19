"""Screenshots of every page, dialog and wizard step, against a throw-away daemon with demo data.

    QT_QPA_PLATFORM=offscreen python -m ui.screenshots OUTDIR
    LANG=zh_CN.UTF-8 QT_QPA_PLATFORM=offscreen python -m ui.screenshots OUTDIR   # in Chinese

The demo box has a few dozen accounts, aliases, a queue with deferred and
held mail, failed logins and one listener that could not start (its port
is taken), so the dashboard shows Degraded; at the end the daemon is
stopped for the Stopped dashboard. Every page registered in the main
window is shot, whoever added it. The language follows LANG (not the
choice remembered in the menu).
"""

from __future__ import annotations

import base64
import os
import shutil
import smtplib
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from appliance.control.client import ControlClient
from appliance.control.desktop import Home

__all__ = ["main", "free_offset", "demo_data", "wait_until", "grab_modal", "WINDOW_SIZE"]

WINDOW_SIZE = (1280, 800)
PEOPLE = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter",
    "xavier", "yolanda", "zoe", "li.wei", "wang.fang", "zhang.min", "chen.jie", "liu.yang",
    "huang.lei", "zhao.xin", "wu.hao",
]


OUTSIDE_MAIL = (("alice@example.test", "someone@customer.test", "quarterly figures"),
                ("bob@example.test", "orders@supplier.test", "order 4711"),
                ("carol@example.test", "press@newspaper.test", "press release"),
                ("li.wei@example.test", "wang@partner.test", "meeting notes"),
                ("erin@example.test", "support@vendor.test", "licence renewal"))
OUTSIDE = sorted({rcpt.split("@")[1] for _, rcpt, _ in OUTSIDE_MAIL})


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_offset() -> int:
    from appliance.service import free_port_offset

    return free_port_offset()


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        QCoreApplication.processEvents()
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def settle(seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QCoreApplication.processEvents()
        time.sleep(0.01)


def demo_data(home: Home) -> None:
    c = ControlClient(home)
    try:
        c.call("setup.init", hostname="mail.example.test", domain="example.test")
        c.call("domain.add", name="example.org")
        c.call("domain.add", name="www.example.org", alias_of="example.org")
        for i, name in enumerate(PEOPLE):
            domain = "example.org" if i % 7 == 6 else "example.test"
            c.call("account.add", address=f"{name}@{domain}", password="demo-password-1",
                   quota_bytes=(0, 200, 50, 1024)[i % 4] * 1024 * 1024)
        c.call("account.disable", address="dave@example.test")
        c.call("forward.set", address="bob@example.test", targets=["bob@home.example.net"],
               keep_copy=True)
        c.call("alias.add", address="staff@example.test",
               targets=["alice@example.test", "bob@example.test", "carol@example.test"])
        c.call("alias.add", address="sales@example.test", targets=["carol@example.test"])
        c.call("alias.add", address="info@example.org", targets=["staff@example.test"])
        c.call("relay.add", network="192.168.1.0/24")
        c.call("relay.add", network="!192.168.1.1")
        c.call("ban.add", address="203.0.113.45", reason="12 failed logins in 600s "
               "(last: smtp as admin@example.test)")
        c.call("ban.add", address="2001:db8:bad:1::17", duration="1w", reason="banned by hand")
        c.call("settings.set", key="auth.failure_delay_ms", value=0)
        c.call("settings.set_many", values={"dns.nameservers": "127.0.0.1:9",
                                            "delivery.connect_timeout": 2,
                                            "delivery.remote_port": _closed_port(),
                                            "dns.public_ipv4": "203.0.113.10",
                                            "dns.timeout": 1})
    finally:
        c.close()


def send_demo_mail(client: ControlClient, smtp_port: int) -> None:
    for i in range(3):
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as s:
            s.sendmail("partner@outside.example", ["alice@example.test"],
                       f"Subject: hello {i}\r\n\r\nDemo message {i}.\r\n")
    # Outside mail: the demo's DNS answers nothing, so it stays deferred.
    for sender, rcpt, subject in OUTSIDE_MAIL:
        msg = f"Subject: {subject}\r\nFrom: {sender}\r\n\r\nSee attached.\r\n".encode()
        client.call("message.submit", sender=sender, recipients=[rcpt],
                    message=base64.b64encode(msg).decode())


def fail_demo_logins(pop3_port: int, imap_port: int) -> None:
    """A few wrong passwords from loopback addresses outside the relay networks."""
    tries = [(pop3_port, "127.0.0.23", b"USER admin\r\nPASS letmein\r\nQUIT\r\n"),
             (imap_port, "127.0.0.24",
              b"a LOGIN carol@example.test password1\r\na LOGOUT\r\n"),
             (pop3_port, "127.0.0.23", b"USER root\r\nPASS toor\r\nQUIT\r\n")]
    for port, source, commands in tries:
        with socket.create_connection(("127.0.0.1", port), 10, source_address=(source, 0)) as s:
            s.sendall(commands)
            while s.recv(4096):  # until the server hangs up after QUIT/LOGOUT
                pass


def _check_against_demo_zone(page: Any, home: Home, servers: list[Any]) -> None:
    """The DNS page with its colours: most records published, DMARC and one SPF not.

    Uses the loopback DNS server of the test suite when the source tree has it.
    """
    try:
        from tests.support.dnsserver import DnsServer
    except ImportError:
        return
    zone: dict[str, dict[str, list[Any]]] = {}
    for r in page.records:
        if r["optional"] or r["kind"] == "dmarc":
            continue
        value: Any = r["value"]
        if r["type"] == "MX":
            pref, host = value.split()
            value = (int(pref), host)
        if r["kind"] == "spf" and r["domain"] == "example.org":
            value = '"v=spf1 a mx ~all"'
        zone.setdefault(r["name"].rstrip("."), {}).setdefault(r["type"], []).append(value)
    # The demo's outside mail keeps waiting: its MX is a closed port on loopback.
    for domain in OUTSIDE:
        zone[domain] = {"MX": [(10, "mx.outside.test")]}
    zone["mx.outside.test"] = {"A": ["127.0.0.1"]}
    server = DnsServer(zone).start_thread()
    servers.append(server)
    client = ControlClient(home)
    try:
        client.call("settings.set_many", values={"dns.nameservers": server.nameserver})
    finally:
        client.close()
    page.check_now()
    wait_until(lambda: not page.checking, 20)


def grab(widget: QWidget, path: Path) -> None:
    settle(0.2)
    pixmap = widget.grab()
    if not pixmap.save(str(path)) or path.stat().st_size == 0:
        raise RuntimeError(f"could not save {path}")
    print(path)


def grab_modal(trigger: Callable[[], Any], path: Path, timeout: float = 10.0) -> bool:
    """Run ``trigger`` (which opens a modal dialog and waits), shoot the dialog, cancel it."""
    shot: list[bool] = []
    deadline = time.monotonic() + timeout

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            if time.monotonic() < deadline:
                QTimer.singleShot(50, look)
            return
        grab(dialog, path)
        shot.append(True)
        if isinstance(dialog, QMessageBox):
            cancel = (dialog.button(QMessageBox.StandardButton.Cancel)
                      or dialog.button(QMessageBox.StandardButton.No))
            if cancel is not None:
                cancel.click()
                return
        if isinstance(dialog, QDialog):
            dialog.reject()
        else:
            dialog.close()

    QTimer.singleShot(50, look)
    trigger()
    return bool(shot)


class _Daemon:
    """The demo daemon, started by the GUI's own supervisor."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx

    def start(self) -> None:
        ctx = self.ctx
        ctx.start()
        if not wait_until(lambda: ctx.supervisor.state == "down", 10):
            raise RuntimeError("daemon state not known")
        ctx.supervisor.start()
        if not wait_until(lambda: ctx.supervisor.state == "up", 30):
            raise RuntimeError(f"daemon did not start: {ctx.supervisor.last_exit}")


def _stop(contexts: list[Any]) -> None:
    for c in contexts:
        if c.supervisor.owns_daemon():
            c.supervisor.stop()
            proc = c.supervisor.proc
            if proc is not None:
                try:
                    proc.wait(15)
                except Exception:
                    proc.kill()
        c.shutdown()


def shoot_pages(window: Any, out: Path, home: Home, servers: list[Any]) -> None:
    from ui.pages.dns import DnsPage
    from ui.pages.logs import LogsPage
    from ui.pages.queue import QueuePage

    for i, key in enumerate(window.pages):
        window.show_page(key)
        page = window.page(key)
        page.load()
        wait_until(lambda p=page: p.idle and p.loaded, 15)  # type: ignore[misc]
        if isinstance(page, QueuePage) and page.model.rows:
            deferred = [r["id"] for r in page.model.rows if r.get("attempts")]
            page.select(deferred[0] if deferred else page.model.rows[0]["id"])
            wait_until(lambda p=page: bool(p.log.toPlainText()), 5)  # type: ignore[misc]
        if isinstance(page, LogsPage):  # a long line, read whole in the detail pane
            lines = page.model.lines()
            long = max(range(len(lines)), key=lambda i: len(lines[i]), default=None)
            if long is not None:
                page.view.setCurrentIndex(page.shown.index(long, 0))
        if isinstance(page, DnsPage):
            _check_against_demo_zone(page, home, servers)
        grab(window, out / f"page-{i + 1:02d}-{key}.png")
        room = WINDOW_SIZE[0] - (window.width() - window.stack.width())
        hint = page.minimumSizeHint()
        if hint.width() > room:  # the stack, so the window, is as wide as its widest page
            print(f"warning: page {key} needs {hint.width()} px, has {room} at "
                  f"{WINDOW_SIZE[0]}×{WINDOW_SIZE[1]}", file=sys.stderr)


def shoot_dialogs(window: Any, ctx: Any, out: Path) -> None:
    from ui.pages.queue import QueuePage

    # The unsaved-changes prompt, as leaving an edited page asks it.
    accounts = window.pages.get("accounts")
    if accounts is not None:
        window.show_page("accounts")
        settle(0.2)
        accounts.set_dirty(True)  # as after an edit: the window asks before leaving
        grab_modal(lambda: window.ask_unsaved(accounts), out / "dialog-unsaved-changes.png")
        rows = getattr(getattr(accounts, "model", None), "rows", None)
        if rows and hasattr(accounts, "ask_delete"):
            grab_modal(lambda: accounts.ask_delete(rows[0]), out / "dialog-account-delete.png")
        accounts.set_dirty(False)
    ports = window.pages.get("ports")
    if ports is not None and hasattr(ports, "confirm_commands"):
        window.show_page("ports")
        grab_modal(lambda: ports.confirm_commands(
            QCoreApplication.translate("PortsPage", "Open %s in the firewall") % "SMTP",
            QCoreApplication.translate("PortsPage", "Mailroom will run these commands on %s (%s):")
            % ("nftables", "nft"),
            "nft -j -f - <<'EOF'\n{\"nftables\": [{\"add\": {\"element\": {\"family\": "
            "\"inet\", \"table\": \"mailroom\", \"name\": \"open_tcp\", \"elem\": [25]}}}]}\n"
            "EOF"), out / "dialog-firewall-commands.png")
    queue = window.pages.get("queue")
    if isinstance(queue, QueuePage) and queue.model.rows:
        window.show_page("queue")
        queue.select(*[r["id"] for r in queue.model.rows[:2]])
        saved = ctx.confirm
        ctx.confirm = ctx._ask  # the real question box
        try:
            grab_modal(lambda: queue.act("delete"), out / "dialog-queue-delete.png")
        finally:
            ctx.confirm = saved


def shoot_wizard(tmp: Path, secrets: Any, out: Path, contexts: list[Any]) -> None:
    from ui.context import AppContext
    from ui.wizard import SetupWizard

    fresh = Home(tmp / "fresh")
    wctx = AppContext(fresh, ["--listen", "127.0.0.1", "--port-offset", str(free_offset())],
                      secrets=secrets, poll_ms=500)
    contexts.append(wctx)
    wizard = SetupWizard(wctx)
    # The office LAN as most offices have it: the router inside it.
    wizard.defaults["networks"] = ["192.168.1.0/24"]
    wizard.relay.gateways = ["192.168.1.1"]
    wizard.show()
    wizard.names.hostname.setText("mail.office.test")
    wizard.names.domain.setText("office.test")
    grab(wizard, out / "wizard-1-names.png")
    wizard.next()
    wizard.account.password.setText("a-good-password")
    wizard.account.again.setText("a-good-password")
    grab(wizard, out / "wizard-2-account.png")
    wizard.next()
    grab(wizard, out / "wizard-3-relay.png")
    wizard.relay.fix.click()
    grab(wizard, out / "wizard-3-relay-fixed.png")
    wizard.next()
    wizard.smarthost.host.setText("smtp.provider.test")
    wizard.smarthost.username.setText("office")
    wizard.smarthost.recipient.setText("me@provider.test")
    grab(wizard, out / "wizard-4-smarthost.png")
    wizard.next()
    if not wait_until(lambda: wizard.finish.done or bool(wizard.finish.error.text()), 60):
        raise RuntimeError("the wizard did not finish")
    grab(wizard, out / "wizard-5-finish.png")
    wizard.close()
    again = SetupWizard(wctx)  # run again on the box it just set up
    again.show()
    grab(again, out / "wizard-6-rerun.png")
    again.close()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m ui.screenshots OUTDIR", file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication(["mailroom-screenshots"])
    from ui import i18n

    i18n.install(app, i18n.system_language())
    from ui.context import AppContext
    from ui.secrets import SecretStore
    from ui.window import MainWindow

    tmp = Path(tempfile.mkdtemp(prefix="mailroom-shots-"))
    contexts: list[AppContext] = []
    servers: list[Any] = []
    blocker: socket.socket | None = None
    try:
        home = Home(tmp / "demo")
        demo_data(home)
        offset = free_offset()
        # Another program on the POP3-over-TLS port: that listener fails (Degraded).
        blocker = socket.socket()
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.1", 995 + offset))
        blocker.listen(1)
        secrets = SecretStore(tmp / "secrets.json", use_keyring=False)
        ctx = AppContext(home, ["--listen", "127.0.0.1", "--port-offset", str(offset)],
                         secrets=secrets, poll_ms=500)
        ctx.confirm = lambda *a: True  # type: ignore[method-assign]
        contexts.append(ctx)
        window = MainWindow(ctx)
        window.resize(*WINDOW_SIZE)
        window.show()
        _Daemon(ctx).start()
        client = ControlClient(home)
        send_demo_mail(client, 25 + offset)
        fail_demo_logins(110 + offset, 143 + offset)
        wait_until(lambda: sum(1 for r in client.call("queue.list") if r.get("attempts")) >= 3,
                   20)
        held = [r["id"] for r in client.call("queue.list") if r.get("attempts")][-1:]
        for qid in held:
            client.call("queue.hold", id=qid)
        wait_until(lambda: ctx.logs.total > 10, 5)
        wait_until(lambda: (ctx.supervisor.status or {}).get("health") == "degraded", 10)
        client.close()
        shoot_pages(window, out, home, servers)
        window.show_page("dashboard")
        window.page("dashboard").load()
        wait_until(lambda: window.page("dashboard").idle, 10)
        grab(window, out / "dashboard-degraded.png")
        shoot_dialogs(window, ctx, out)
        # Stopped: the listeners table still lists the configured ports.
        ctx.supervisor.stop()
        wait_until(lambda: ctx.supervisor.state == "down", 20)
        window.show_page("dashboard")
        window.page("dashboard").load()
        wait_until(lambda: window.page("dashboard").idle, 10)
        grab(window, out / "dashboard-stopped.png")
        shoot_wizard(tmp, secrets, out, contexts)
        window.close()
    finally:
        if blocker is not None:
            blocker.close()
        _stop(contexts)
        for server in servers:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
