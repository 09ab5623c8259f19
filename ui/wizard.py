"""The first-run wizard: five questions, then everything is written through the control API.

1. host name (the machine's own when it has a full one; else asked, with an
example as placeholder only) and mail domain; 2. the first account; 3. the
networks that may relay (the LAN guessed; a warning when it holds the
router, with the fix); 4. an optional ISP relay, with a Test button; 5.
apply: set up the data directory, add the account, relay networks and ISP
relay, start the daemon, show the DNS records.

Run again on a set-up box, it starts from the current values. Every check
is a ``setup.*`` operation of the control API: they work before a data
directory or a daemon exists.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from appliance.control.types import ControlError
from ui.context import AppContext
from ui.icons import envelope_pixmap
from ui.widgets import ErrorLabel, monospace

__all__ = ["SetupWizard", "routers_inside", "SECURITY_PORTS"]

SMARTHOST_SECRET = "wizard-smarthost-password"
# The ISP relay's security choices and the port each one uses by default.
SECURITY_PORTS = {"starttls": 587, "implicit": 465, "none": 25}


def routers_inside(networks: list[str], gateways: list[str]) -> list[str]:
    """The routers (default gateways) inside a relay network and not excluded with ``!``.

    Behind NAT or port forwarding, outside connections can seem to come from
    the router: a relay network that holds it lets the whole Internet relay.
    """
    allowed, excluded = [], []
    for text in networks:
        raw = text.strip()
        try:
            net = ipaddress.ip_network(raw.lstrip("!"), strict=False)
        except ValueError:
            continue
        (excluded if raw.startswith("!") else allowed).append(net)
    inside = []
    for gw in gateways:
        try:
            addr = ipaddress.ip_address(gw)
        except ValueError:
            continue
        if any(addr.version == n.version and addr in n for n in excluded):
            continue
        if any(addr.version == n.version and addr in n and n.prefixlen < n.max_prefixlen
               for n in allowed):
            inside.append(gw)
    return inside


def _labelled(form: QFormLayout, text: str, widget: QWidget) -> ErrorLabel:
    label = QLabel(text)
    label.setBuddy(widget)
    error = ErrorLabel()
    box = QVBoxLayout()
    box.setSpacing(2)
    box.addWidget(widget)
    box.addWidget(error)
    form.addRow(label, box)
    return error


class _Page(QWizardPage):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__()
        self.w = wizard
        self.errors: dict[str, ErrorLabel] = {}

    def show_error(self, exc: ControlError) -> bool:
        for label in set(self.errors.values()):
            label.show_message("")
        label = self.errors.get(exc.field or "")
        if label is None:
            label = next(iter(self.errors.values()))
        label.show_message(exc.message)
        return False

    def clear(self) -> None:
        for label in set(self.errors.values()):
            label.show_message("")


class NamesPage(_Page):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self.setTitle(self.tr("Your mail server's names"))
        self.setSubTitle(self.tr("The name other servers know this machine by, and the domain "
                                 "your addresses end in (alice@<b>domain</b>)."))
        form = QFormLayout(self)
        d = wizard.defaults
        current = d.get("current") or {}
        self.hostname = QLineEdit(current.get("hostname") or d.get("hostname") or "")
        # Only an example, never a value: a made-up name would be set up for real.
        self.hostname.setPlaceholderText(
            self.tr("e.g. {example}").format(example=d.get("hostname_example",
                                                             "mail.example.com")))
        self.domain = QLineEdit(current.get("domain") or "")
        self.domain.setPlaceholderText(self.tr("e.g. {example}").format(example="example.com"))
        self.errors["hostname"] = _labelled(form, self.tr("&Host name:"), self.hostname)
        self.errors["domain"] = _labelled(form, self.tr("Mail &domain:"), self.domain)
        hint = QLabel(self.tr("The host name needs an A record pointing at this server; the "
                              "domain gets an MX record naming the host. The last page shows "
                              "both."))
        hint.setWordWrap(True)
        form.addRow(hint)
        self.hostname.textEdited.connect(self._guess_domain)

    def _guess_domain(self, text: str) -> None:
        if not self.domain.isModified() and text.count(".") >= 2:
            self.domain.setText(text.split(".", 1)[1])

    def initializePage(self) -> None:
        if not self.domain.text() and self.hostname.text().count(".") >= 2:
            self.domain.setText(self.hostname.text().split(".", 1)[1])

    def validatePage(self) -> bool:
        try:
            names = self.w.call("setup.check_names", hostname=self.hostname.text(),
                                domain=self.domain.text())
        except ControlError as exc:
            return self.show_error(exc)
        self.w.answers["hostname"], self.w.answers["domain"] = names["hostname"], names["domain"]
        self.clear()
        return True


class AccountPage(_Page):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self.setTitle(self.tr("The first account"))
        self.setSubTitle(self.tr("Your own mailbox. It also receives mail for postmaster and "
                                 "abuse."))
        form = QFormLayout(self)
        self.address = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.again = QLineEdit()
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.errors["address"] = _labelled(form, self.tr("&Address:"), self.address)
        self.errors["password"] = _labelled(form, self.tr("&Password:"), self.password)
        self.errors["again"] = _labelled(form, self.tr("&Confirm password:"), self.again)
        self.accounts: list[str] = list((wizard.defaults.get("current") or {}).get("accounts")
                                        or [])
        if self.accounts:
            self.password.setPlaceholderText(self.tr("empty: keep the current password"))

    def initializePage(self) -> None:
        domain = self.w.answers.get("domain", "")
        if not self.address.text():
            mine = [a for a in self.accounts if a.endswith("@" + domain)
                    and not a.startswith(("postmaster@", "abuse@"))]
            self.address.setText(mine[0] if mine else f"admin@{domain}")

    def existing(self) -> bool:
        return self.address.text().strip().lower() in self.accounts

    def validatePage(self) -> bool:
        if self.password.text() != self.again.text():
            return self.show_error(ControlError(self.tr("the passwords differ"), "again"))
        keep = self.existing() and not self.password.text()
        try:
            address = self.w.call(
                "setup.check_account", address=self.address.text(),
                # An existing account keeps its password: check the address alone.
                password="x" * 64 if keep else self.password.text(),
                domain=self.w.answers["domain"])
        except ControlError as exc:
            return self.show_error(exc)
        self.w.answers["address"] = address
        self.w.answers["password"] = "" if keep else self.password.text()
        self.clear()
        return True


class RelayPage(_Page):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self.setTitle(self.tr("Who may send mail out"))
        self.setSubTitle(self.tr("Computers on the ticked networks may send mail to anyone "
                                 "through this server without logging in. Everyone else logs "
                                 "in (port 587)."))
        layout = QVBoxLayout(self)
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Relay networks"))
        layout.addWidget(self.list)
        form = QFormLayout()
        self.extra = QLineEdit()
        self.extra.setPlaceholderText(
            self.tr("more networks, e.g. 10.1.0.0/16, !10.1.0.1 to exclude one"))
        self.errors["network"] = _labelled(form, self.tr("&Other networks:"), self.extra)
        layout.addLayout(form)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color:#8a5a00;")
        layout.addWidget(self.warning)
        self.fix = QPushButton()
        self.fix.hide()
        self.fix.clicked.connect(self.exclude_routers)
        fix_row = QHBoxLayout()
        fix_row.addWidget(self.fix)
        fix_row.addStretch(1)
        layout.addLayout(fix_row)
        d = wizard.defaults
        self.gateways: list[str] = list(d.get("gateways") or [])
        self.routers: list[str] = []
        self.list.itemChanged.connect(lambda _: self._warn())
        self.extra.textChanged.connect(lambda _: self._warn())
        self._filled = False

    def _add(self, net: str, label: str, checked: bool, fixed: bool = False) -> None:
        item = QListWidgetItem(f"{net}  ({label})")
        item.setData(Qt.ItemDataRole.UserRole, net)
        if fixed:
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsUserCheckable)
        else:
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.list.addItem(item)

    def initializePage(self) -> None:
        if self._filled:
            return
        self._filled = True
        d = self.w.defaults
        fixed = list(d.get("default_relay") or ["127.0.0.1/32", "::1/128"])
        current = d.get("current")
        self.list.blockSignals(True)
        for net in fixed:
            self._add(net, self.tr("this machine"), True, fixed=True)
        shown = set(fixed)
        if current is not None:  # run again: what is set now, ticked
            for net in current.get("networks") or []:
                if net not in shown:
                    label = (self.tr("excluded") if net.startswith("!")
                             else self.tr("relays now"))
                    self._add(net, label, True)
                    shown.add(net)
        for net in d.get("networks") or []:
            if net not in shown:  # a LAN guess: ticked on a new box only
                self._add(net, self.tr("local network"), current is None)
        self.list.blockSignals(False)
        self._warn()

    def networks(self) -> list[str]:
        nets = [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.CheckState.Checked]
        nets += [n.strip() for n in self.extra.text().replace(" ", ",").split(",") if n.strip()]
        return nets

    def _check(self) -> dict[str, Any]:
        # The routers are judged here (routers_inside), in the admin's language, with the
        # fix; the server's check adds the rest (public ranges, exclusions outside).
        return self.w.call("setup.check_networks", networks=self.networks(), gateways=[])

    def _warn(self) -> None:
        try:
            checked = self._check()
        except ControlError as exc:
            self.show_error(exc)
            self.warning.setText("")
            self.fix.hide()
            return
        self.clear()
        self.routers = routers_inside(checked["networks"], self.gateways)
        notes = []
        if self.routers:
            routers = ", ".join(self.routers)
            notes.append(self.tr(
                "Your router ({routers}) is inside a network that may relay. Behind the "
                "router's NAT or port forwarding, connections from the Internet can seem to "
                "come from the router, and anyone could then send mail through this server."
            ).format(routers=routers))
            self.fix.setText(self.tr("E&xclude the router ({excluded})").format(
                excluded=", ".join("!" + r for r in self.routers)))
            self.fix.show()
        else:
            self.fix.hide()
        notes += checked.get("warnings") or []
        self.warning.setText("\n".join(f"⚠ {n}" for n in notes))

    def exclude_routers(self) -> None:
        """The fix: keep the LAN, leave the router out (``!192.168.1.1``)."""
        extra = [n.strip() for n in self.extra.text().replace(" ", ",").split(",") if n.strip()]
        extra += ["!" + r for r in self.routers if "!" + r not in extra]
        self.extra.setText(", ".join(extra))

    def validatePage(self) -> bool:
        try:
            self.w.answers["networks"] = self._check()["networks"]
        except ControlError as exc:
            return self.show_error(exc)
        self.clear()
        return True


class SmarthostPage(_Page):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self.setTitle(self.tr("Sending through your provider (optional)"))
        self.setSubTitle(self.tr("Many ISPs block port 25: then send outside mail through "
                                 "their relay. Leave the host empty to deliver directly to "
                                 "each domain's mail server."))
        form = QFormLayout(self)
        self.host = QLineEdit()
        self.host.setPlaceholderText(self.tr("e.g. smtp.provider.example (empty: deliver "
                                             "directly)"))
        self.tls = QComboBox()
        for text, value in ((self.tr("STARTTLS on 587"), "starttls"),
                            (self.tr("TLS on 465"), "implicit"),
                            (self.tr("No encryption (not recommended)"), "none")):
            self.tls.addItem(text, value)
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(587)
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.errors["smarthost.host"] = _labelled(form, self.tr("Relay &host:"), self.host)
        self.errors["smarthost.tls"] = _labelled(form, self.tr("&Security:"), self.tls)
        self.errors["smarthost.port"] = _labelled(form, self.tr("P&ort:"), self.port)
        self.errors["smarthost.username"] = _labelled(form, self.tr("&User name:"),
                                                      self.username)
        self.errors["smarthost.password"] = _labelled(form, self.tr("Pass&word:"),
                                                      self.password)
        note = QLabel(self.tr("The password is kept where only the mail server can read it."))
        note.setWordWrap(True)
        form.addRow(note)
        test_row = QHBoxLayout()
        self.recipient = QLineEdit()
        self.recipient.setPlaceholderText(self.tr("an address outside, e.g. you@provider.example"))
        self.test_button = QPushButton(self.tr("Send a t&est"))
        self.test_button.setToolTip(self.tr("Send a test message through the relay now"))
        test_row.addWidget(self.recipient, 1)
        test_row.addWidget(self.test_button)
        self.errors["recipient"] = ErrorLabel()
        box = QVBoxLayout()
        box.setSpacing(2)
        box.addLayout(test_row)
        box.addWidget(self.errors["recipient"])
        test_label = QLabel(self.tr("Test &to:"))
        test_label.setBuddy(self.recipient)
        form.addRow(test_label, box)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.result)
        self.testing = False
        self.password.textEdited.connect(self._keep_secret)
        self.tls.currentIndexChanged.connect(self._default_port)
        self.test_button.clicked.connect(self.test)
        self._fill(wizard.defaults.get("current") or {})

    def _fill(self, current: dict[str, Any]) -> None:
        values = current.get("smarthost") or {}
        if values.get("smarthost.host"):
            self.host.setText(str(values["smarthost.host"]))
            index = self.tls.findData(values.get("smarthost.tls", "starttls"))
            self.tls.setCurrentIndex(max(0, index))
            self.port.setValue(int(values.get("smarthost.port") or 587))
            self.username.setText(str(values.get("smarthost.username") or ""))
        if current.get("smarthost_password_set"):
            self.password.setPlaceholderText(self.tr("empty: keep the stored password"))

    def _default_port(self) -> None:
        # Follow the choice while the port is still one of the usual ones.
        if self.port.value() in SECURITY_PORTS.values():
            self.port.setValue(SECURITY_PORTS[self.tls.currentData()])

    def _keep_secret(self, text: str) -> None:
        if text:
            self.w.ctx.secrets.set(SMARTHOST_SECRET, text)
        else:
            self.w.ctx.secrets.delete(SMARTHOST_SECRET)

    def test(self) -> None:
        """Send one message through the relay as filled in (nothing is saved)."""
        if self.testing:
            return
        self.clear()
        if not self.host.text().strip():
            self.show_error(ControlError(self.tr("give the relay's host name first"),
                                         "smarthost.host"))
            return
        self.testing = True
        self.test_button.setEnabled(False)
        self.result.setStyleSheet("")
        self.result.setText(self.tr("Sending a test message…"))
        args = {"recipient": self.recipient.text(), "host": self.host.text().strip(),
                "port": self.port.value(), "tls": self.tls.currentData(),
                "username": self.username.text().strip(), "password": self.password.text()}

        def done(result: dict[str, Any]) -> None:
            self.testing = False
            self.test_button.setEnabled(True)
            if result.get("ok"):
                self.result.setStyleSheet("color:#2e7d32;")
                self.result.setText(self.tr("The relay took the test message: {reply}").format(
                    reply=result.get("reply", "")))
            else:
                self.result.setStyleSheet("color:#b00020;")
                self.result.setText(self.tr("The test failed: {reply}").format(
                    reply=result.get("reply", "")))

        def failed(exc: ControlError) -> None:
            self.testing = False
            self.test_button.setEnabled(True)
            self.result.setText("")
            self.show_error(exc)

        self.w.ctx.api.run("smarthost.test", args, done, failed)

    def validatePage(self) -> bool:
        host = self.host.text().strip()
        try:
            self.w.call("setup.check_smarthost", host=host, port=self.port.value())
        except ControlError as exc:
            return self.show_error(exc)
        had = bool(((self.w.defaults.get("current") or {}).get("smarthost") or {})
                   .get("smarthost.host"))
        if host:
            self.w.answers["smarthost"] = {
                "smarthost.host": host, "smarthost.port": self.port.value(),
                "smarthost.tls": self.tls.currentData(),
                "smarthost.username": self.username.text().strip(),
            }
        else:  # emptied on a re-run: deliver directly again
            self.w.answers["smarthost"] = {"smarthost.host": ""} if had else {}
        self.clear()
        return True


class FinishPage(_Page):
    FIELD_PAGES = {"hostname": 0, "domain": 0, "address": 1, "password": 1, "network": 2}

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self.setTitle(self.tr("Setting up Mailroom"))
        self.setSubTitle(self.tr("Writing the configuration and starting the mail server."))
        layout = QVBoxLayout(self)
        self.progress = QProgressBar()
        self.progress.setRange(0, 6)
        layout.addWidget(self.progress)
        self.steps = QLabel()
        self.steps.setWordWrap(True)
        layout.addWidget(self.steps)
        self.error = ErrorLabel()
        self.errors["error"] = self.error
        layout.addWidget(self.error)
        self.records_label = QLabel(self.tr("Publish these DNS records at your DNS provider:"))
        self.records = QPlainTextEdit()
        self.records.setReadOnly(True)
        self.records.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)  # zone-file lines
        monospace(self.records)
        self.copy = QPushButton(self.tr("Co&py records"))
        self.copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(
            self.records.toPlainText()))
        for w in (self.records_label, self.records, self.copy):
            layout.addWidget(w)
            w.hide()
        self.done = False
        self.running = False
        self.log: list[str] = []

    def initializePage(self) -> None:
        self.done = False
        self.error.show_message("")
        self.log = []
        self.progress.setValue(0)
        self.w.apply()

    def step(self, text: str) -> None:
        self.log.append(f"✓ {text}")
        self.steps.setText("\n".join(self.log))
        self.progress.setValue(len(self.log))

    def failed(self, exc: ControlError) -> None:
        self.running = False
        self.error.show_message(self.tr("{problem}\nGo back, correct it and try again.").format(
            problem=exc.message))
        page = self.FIELD_PAGES.get(exc.field or "")
        if page is not None:
            target = self.w.page(self.w.pageIds()[page])
            if isinstance(target, _Page):
                target.show_error(exc)
        self.completeChanged.emit()

    def finished(self, records: str) -> None:
        self.running = False
        self.done = True
        self.progress.setValue(self.progress.maximum())
        self.setSubTitle(self.tr("Mailroom is running. One last thing: DNS."))
        self.records.setPlainText(records)
        for w in (self.records_label, self.records, self.copy):
            w.show()
        self.w.finished_setup()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.done


class SetupWizard(QWizard):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.answers: dict[str, Any] = {}
        self.defaults = self._defaults()
        rerun = self.defaults.get("current") is not None
        self.setWindowTitle(self.tr("Set up Mailroom") if not rerun
                            else self.tr("Mailroom set-up"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setPixmap(QWizard.WizardPixmap.LogoPixmap, envelope_pixmap(48))
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, False)
        self.names = NamesPage(self)
        self.account = AccountPage(self)
        self.relay = RelayPage(self)
        self.smarthost = SmarthostPage(self)
        self.finish = FinishPage(self)
        for page in (self.names, self.account, self.relay, self.smarthost, self.finish):
            self.addPage(page)
        self.resize(720, 560)
        self._waiting_for_daemon = False
        ctx.supervisor.stateChanged.connect(self._daemon_state)

    def call(self, op: str, **args: Any) -> Any:
        """One quick check, answered at once (the client runs it in-process before set-up)."""
        try:
            return self.ctx.api.client().call(op, **args)
        except ControlError:
            raise
        except Exception as exc:  # unreachable service and the like: words, not a trace
            raise ControlError(str(exc)) from exc

    def _defaults(self) -> dict[str, Any]:
        try:
            return dict(self.call("setup.defaults"))
        except ControlError:
            return {"hostname": "", "hostname_example": "mail.example.com", "networks": [],
                    "gateways": [], "default_relay": ["127.0.0.1/32", "::1/128"],
                    "current": None}

    def finished_setup(self) -> None:
        """Done: nothing to go back to or cancel; Close only."""
        self.setButtonText(QWizard.WizardButton.FinishButton, self.tr("&Close"))
        self.setButtonLayout([QWizard.WizardButton.Stretch, QWizard.WizardButton.FinishButton])
        self.setOption(QWizard.WizardOption.NoCancelButton, True)

    def apply(self) -> None:
        """Write everything (off the GUI thread), then start the daemon."""
        if self.finish.running:
            return
        self.finish.running = True
        a = dict(self.answers)
        secret = self.ctx.secrets.get(SMARTHOST_SECRET) or ""
        step = self.finish.step
        init = self.ctx.initializer()

        def written(_: Any) -> None:
            self.ctx.secrets.delete(SMARTHOST_SECRET)
            host = (a.get("smarthost") or {}).get("smarthost.host")
            for text in (self.tr("data directory set up"),
                         self.tr("domain {domain}").format(domain=a["domain"]),
                         self.tr("account {address}").format(address=a["address"]),
                         self.tr("relay networks {networks}").format(
                             networks=", ".join(a["networks"])),
                         self.tr("ISP relay {host}").format(host=host) if host
                         else self.tr("ISP relay not used")):
                step(text)
            if not self.isVisible():
                return  # the wizard was closed while writing: start nothing behind its back
            sup = self.ctx.supervisor
            if sup.state == "up" or sup.service:  # the service answered the writes
                self.ctx.api.run("reload", {}, lambda _: self._show_records(),
                                 self.finish.failed)
            else:
                self._waiting_for_daemon = True
                if sup.state == "unknown":
                    sup.begin()
                if not sup.start() and sup.state not in ("starting", "up"):
                    self._waiting_for_daemon = False
                    self.finish.failed(ControlError(self.tr("could not start the mail server")))

        self.ctx.api.job(lambda c: c.apply_setup(a, secret, init), written, self.finish.failed)

    def _daemon_state(self, state: str) -> None:
        if not self._waiting_for_daemon:
            return
        if state == "up":
            self._waiting_for_daemon = False
            self._show_records()
        elif state == "down" and self.ctx.supervisor.last_exit is not None:
            self._waiting_for_daemon = False
            code, out = self.ctx.supervisor.last_exit
            self.finish.failed(ControlError(
                self.tr("the mail server stopped with code {code}:\n{output}").format(
                    code=code, output=out)))

    def _show_records(self) -> None:
        self.finish.step(self.tr("mail server running"))
        self.ctx.api.run("dns.show", {}, lambda r: self.finish.finished(r["text"]),
                         self.finish.failed)


__all__ += ["NamesPage", "AccountPage", "RelayPage", "SmarthostPage", "FinishPage",
            "SMARTHOST_SECRET"]
