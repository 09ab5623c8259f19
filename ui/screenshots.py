"""Screenshots of every page and wizard step, against a throw-away daemon with demo data.

    QT_QPA_PLATFORM=offscreen python -m ui.screenshots OUTDIR
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

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QWidget

from appliance.control.client import ControlClient
from appliance.control.setup import initialize
from appliance.home import Home

__all__ = ["main", "free_offset", "demo_data", "wait_until"]

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
    initialize(home, "mail.example.test", "example.test")
    c = ControlClient(home)
    try:
        c.call("domain.add", name="example.org")
        c.call("domain.add", name="www.example.org", alias_of="example.org")
        for addr, quota in (("alice@example.test", 200), ("bob@example.test", 0),
                            ("carol@example.test", 50), ("dave@example.org", 0)):
            c.call("account.add", address=addr, password="demo-password-1",
                   quota_bytes=quota * 1024 * 1024)
        c.call("account.disable", address="dave@example.org")
        c.call("forward.set", address="bob@example.test", targets=["bob@home.example.net"],
               keep_copy=True)
        c.call("alias.add", address="staff@example.test",
               targets=["alice@example.test", "bob@example.test", "carol@example.test"])
        c.call("alias.add", address="sales@example.test", targets=["carol@example.test"])
        c.call("alias.add", address="info@example.org", targets=["staff@example.test"])
        c.call("relay.add", network="192.168.1.0/24")
        c.call("ban.add", address="203.0.113.45", reason="12 failed logins in 600s "
               "(last: smtp as admin@example.test)")
        c.call("ban.add", address="2001:db8:bad:1::17", duration="1w", reason="banned by hand")
        c.call("settings.set", key="auth.failure_delay_ms", value=0)
        c.call("settings.set_many", values={"dns.nameservers": "127.0.0.1:9",
                                            "delivery.connect_timeout": 2,
                                            "dns.public_ipv4": "203.0.113.10",
                                            "dns.timeout": 1})
    finally:
        c.close()


def send_demo_mail(client: ControlClient, smtp_port: int) -> None:
    for i in range(3):
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as s:
            s.sendmail("partner@outside.example", ["alice@example.test"],
                       f"Subject: hello {i}\r\n\r\nDemo message {i}.\r\n")
    msg = b"Subject: quarterly figures\r\nFrom: alice@example.test\r\n\r\nSee attached.\r\n"
    client.call("message.submit", sender="alice@example.test",
                recipients=["someone@customer.test"], message=base64.b64encode(msg).decode())


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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m ui.screenshots OUTDIR", file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication(["mailroom-screenshots"])
    from ui.context import AppContext
    from ui.pages.dns import DnsPage
    from ui.pages.queue import QueuePage
    from ui.secrets import SecretStore
    from ui.window import MainWindow
    from ui.wizard import SetupWizard

    tmp = Path(tempfile.mkdtemp(prefix="mailroom-shots-"))
    contexts: list[AppContext] = []
    stack_servers: list[Any] = []
    try:
        home = Home(tmp / "demo")
        demo_data(home)
        offset = free_offset()
        secrets = SecretStore(tmp / "secrets.json", use_keyring=False)
        ctx = AppContext(home, ["--listen", "127.0.0.1", "--port-offset", str(offset)],
                         secrets=secrets, poll_ms=500)
        contexts.append(ctx)
        window = MainWindow(ctx)
        window.resize(1180, 760)
        window.show()
        ctx.start()
        if not wait_until(lambda: ctx.supervisor.state == "down", 10):
            raise RuntimeError("daemon state not known")
        ctx.supervisor.start()
        if not wait_until(lambda: ctx.supervisor.state == "up", 30):
            raise RuntimeError(f"daemon did not start: {ctx.supervisor.last_exit}")
        client = ControlClient(home)
        send_demo_mail(client, 25 + offset)
        fail_demo_logins(110 + offset, 143 + offset)
        wait_until(lambda: any(r.get("attempts", 0) for r in client.call("queue.list")), 15)
        wait_until(lambda: ctx.logs.total > 10, 5)
        client.close()
        for i, key in enumerate(window.pages):
            window.show_page(key)
            page = window.page(key)
            page.load()
            wait_until(lambda p=page: p.idle and p.loaded, 15)  # type: ignore[misc]
            if isinstance(page, QueuePage) and page.model.rows:
                page.select(page.model.rows[0]["id"])
                page.show_selected()
                wait_until(lambda p=page: bool(p.detail.toPlainText()), 5)  # type: ignore[misc]
            if isinstance(page, DnsPage):
                _check_against_demo_zone(page, home, stack_servers)
            grab(window, out / f"page-{i + 1:02d}-{key}.png")

        # The wizard, on an empty data directory, run to the end.
        fresh = Home(tmp / "fresh")
        wctx = AppContext(fresh, ["--listen", "127.0.0.1", "--port-offset",
                                  str(free_offset())], secrets=secrets, poll_ms=500)
        contexts.append(wctx)
        wizard = SetupWizard(wctx)
        wizard.show()
        wizard.names.hostname.setText("mail.office.test")
        wizard.names.domain.setText("office.test")
        grab(wizard, out / "wizard-1-names.png")
        wizard.next()
        wizard.account.password.setText("a-good-password")
        wizard.account.again.setText("a-good-password")
        grab(wizard, out / "wizard-2-account.png")
        wizard.next()
        wizard.relay.extra.setText("10.20.0.0/16")
        grab(wizard, out / "wizard-3-relay.png")
        wizard.next()
        wizard.smarthost.host.setText("smtp.provider.test")
        wizard.smarthost.username.setText("office")
        grab(wizard, out / "wizard-4-smarthost.png")
        wizard.next()
        if not wait_until(lambda: wizard.finish.done or bool(wizard.finish.error.text()), 40):
            raise RuntimeError("the wizard did not finish")
        grab(wizard, out / "wizard-5-finish.png")
        wizard.close()
        window.close()
    finally:
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
        for server in stack_servers:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
