"""The first-run wizard: five questions, then everything is written through the API.

1. host name (guessed) and mail domain; 2. the first account; 3. the
networks that may relay (the LAN guessed, with the NAT warning); 4. an
optional smarthost; 5. apply: set up the data directory, add the account,
relay networks and smarthost, start the daemon, show the DNS records.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
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

from appliance.control import setup
from appliance.control.client import ControlClient
from appliance.state import DEFAULT_RELAY, StateError
from ui.context import AppContext
from ui.icons import envelope_pixmap
from ui.widgets import ErrorLabel, monospace

__all__ = ["SetupWizard"]

SMARTHOST_SECRET = "wizard-smarthost-password"


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

    def show_error(self, exc: StateError) -> bool:
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
        self.setTitle("Your mail server's names")
        self.setSubTitle("The name other servers know this machine by, and the domain your "
                         "addresses end in (alice@<b>domain</b>).")
        form = QFormLayout(self)
        self.hostname = QLineEdit(setup.guess_hostname())
        self.domain = QLineEdit()
        self.domain.setPlaceholderText("example.com")
        self.errors["hostname"] = _labelled(form, "&Host name:", self.hostname)
        self.errors["domain"] = _labelled(form, "Mail &domain:", self.domain)
        hint = QLabel("The host name needs an A record pointing at this server; the domain "
                      "gets an MX record naming the host. The last page shows both.")
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
            self.w.answers["hostname"], self.w.answers["domain"] = setup.check_names(
                self.hostname.text(), self.domain.text())
        except StateError as exc:
            return self.show_error(exc)
        self.clear()
        return True


class AccountPage(_Page):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self.setTitle("The first account")
        self.setSubTitle("Your own mailbox. It also receives mail for postmaster and abuse.")
        form = QFormLayout(self)
        self.address = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.again = QLineEdit()
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.errors["address"] = _labelled(form, "&Address:", self.address)
        self.errors["password"] = _labelled(form, "&Password:", self.password)
        self.errors["again"] = _labelled(form, "&Again:", self.again)

    def initializePage(self) -> None:
        if not self.address.text():
            self.address.setText(f"admin@{self.w.answers.get('domain', 'example.com')}")

    def validatePage(self) -> bool:
        if self.password.text() != self.again.text():
            return self.show_error(StateError("the passwords differ", "again"))
        try:
            self.w.answers["address"] = setup.check_account(
                self.address.text(), self.password.text(), self.w.answers["domain"])
        except StateError as exc:
            return self.show_error(exc)
        self.w.answers["password"] = self.password.text()
        self.clear()
        return True


class RelayPage(_Page):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Who may send mail out")
        self.setSubTitle("Computers on the ticked networks may send mail to anyone through "
                         "this server without logging in. Everyone else logs in (port 587).")
        layout = QVBoxLayout(self)
        self.list = QListWidget()
        self.list.setAccessibleName("Relay networks")
        layout.addWidget(self.list)
        form = QFormLayout()
        self.extra = QLineEdit()
        self.extra.setPlaceholderText("more networks, e.g. 10.1.0.0/16, !10.1.0.1 to exclude one")
        self.errors["network"] = _labelled(form, "&Other networks:", self.extra)
        layout.addLayout(form)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color:#8a5a00;")
        layout.addWidget(self.warning)
        self.gateways = setup.default_gateways()
        self.list.itemChanged.connect(lambda _: self._warn())
        self.extra.textChanged.connect(lambda _: self._warn())
        self._filled = False

    def initializePage(self) -> None:
        if self._filled:
            return
        self._filled = True
        for net in DEFAULT_RELAY:
            item = QListWidgetItem(f"{net}  (this machine)")
            item.setData(Qt.ItemDataRole.UserRole, net)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.list.addItem(item)
        for net in setup.guess_networks():
            item = QListWidgetItem(f"{net}  (local network)")
            item.setData(Qt.ItemDataRole.UserRole, net)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.list.addItem(item)
        self._warn()

    def networks(self) -> list[str]:
        nets = [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.CheckState.Checked]
        nets += [n.strip() for n in self.extra.text().replace(" ", ",").split(",") if n.strip()]
        return nets

    def _warn(self) -> None:
        # The same check and words as the relay.set operation the wizard ends with
        # (no daemon runs yet to ask).
        try:
            nets = setup.check_networks(self.networks())
        except StateError as exc:
            self.show_error(exc)
            self.warning.setText("")
            return
        self.clear()
        notes = setup.relay_gateway_warnings(nets, self.gateways)
        self.warning.setText("\n".join(f"⚠ {n}" for n in notes))

    def validatePage(self) -> bool:
        try:
            self.w.answers["networks"] = setup.check_networks(self.networks())
        except StateError as exc:
            return self.show_error(exc)
        self.clear()
        return True


class SmarthostPage(_Page):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Sending through your provider (optional)")
        self.setSubTitle("Many ISPs block port 25: then send outside mail through their relay. "
                         "Leave the host empty to deliver directly to each domain's MX.")
        form = QFormLayout(self)
        self.host = QLineEdit()
        self.host.setPlaceholderText("smtp.provider.example (empty: deliver directly)")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(587)
        self.tls = QComboBox()
        self.tls.addItems(["starttls", "implicit", "none"])
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.errors["smarthost.host"] = _labelled(form, "Relay &host:", self.host)
        self.errors["smarthost.port"] = _labelled(form, "P&ort:", self.port)
        self.errors["smarthost.tls"] = _labelled(form, "&Security:", self.tls)
        self.errors["smarthost.username"] = _labelled(form, "&User name:", self.username)
        self.errors["smarthost.password"] = _labelled(form, "Pass&word:", self.password)
        note = QLabel(f"The password is kept in {wizard.ctx.secrets.backend} until it is "
                      "stored in the server's secrets file (readable by the server only).")
        note.setWordWrap(True)
        form.addRow(note)
        self.password.textEdited.connect(self._keep_secret)

    def _keep_secret(self, text: str) -> None:
        if text:
            self.w.ctx.secrets.set(SMARTHOST_SECRET, text)
        else:
            self.w.ctx.secrets.delete(SMARTHOST_SECRET)

    def validatePage(self) -> bool:
        host = self.host.text().strip()
        try:
            setup.check_smarthost(host, self.port.value())
        except StateError as exc:
            return self.show_error(exc)
        self.w.answers["smarthost"] = {
            "smarthost.host": host, "smarthost.port": self.port.value(),
            "smarthost.tls": self.tls.currentText(),
            "smarthost.username": self.username.text().strip(),
        } if host else {}
        self.clear()
        return True


class FinishPage(_Page):
    FIELD_PAGES = {"hostname": 0, "domain": 0, "address": 1, "password": 1, "network": 2}

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Setting up Mailroom")
        self.setSubTitle("Writing the configuration and starting the mail server.")
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
        self.records_label = QLabel("Publish these DNS records at your DNS provider:")
        self.records = QPlainTextEdit()
        self.records.setReadOnly(True)
        monospace(self.records)
        self.copy = QPushButton("&Copy records")
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

    def failed(self, exc: StateError) -> None:
        self.running = False
        self.error.show_message(f"{exc.message}\nGo back, correct it and try again.")
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
        self.setSubTitle("Mailroom is running. One last thing: DNS.")
        self.records.setPlainText(records)
        for w in (self.records_label, self.records, self.copy):
            w.show()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.done


class SetupWizard(QWizard):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.answers: dict[str, Any] = {}
        self.setWindowTitle("Set up Mailroom")
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
        self.resize(680, 520)
        self._waiting_for_daemon = False
        ctx.supervisor.stateChanged.connect(self._daemon_state)

    def apply(self) -> None:
        """Write everything (off the GUI thread), then start the daemon."""
        if self.finish.running:
            return
        self.finish.running = True
        a = dict(self.answers)
        home = self.ctx.home
        secret = self.ctx.secrets.get(SMARTHOST_SECRET) or ""
        step = self.finish.step
        init = self.ctx.initializer()

        def write(c: ControlClient) -> None:
            setup.apply_answers(c, home, a, secret, init)

        def written(_: Any) -> None:
            self.ctx.secrets.delete(SMARTHOST_SECRET)
            for text in (f"data directory {home.root}", f"domain {a['domain']}",
                         f"account {a['address']}",
                         f"relay networks {', '.join(a['networks'])}",
                         "smarthost " + (a.get("smarthost") or {}).get("smarthost.host",
                                                                       "not used")):
                step(text)
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
                    self.finish.failed(StateError("could not start the daemon"))

        self.ctx.api.job(write, written, self.finish.failed)

    def _daemon_state(self, state: str) -> None:
        if not self._waiting_for_daemon:
            return
        if state == "up":
            self._waiting_for_daemon = False
            self._show_records()
        elif state == "down" and self.ctx.supervisor.last_exit is not None:
            self._waiting_for_daemon = False
            code, out = self.ctx.supervisor.last_exit
            self.finish.failed(StateError(f"the daemon exited with code {code}:\n{out}"))

    def _show_records(self) -> None:
        self.finish.step("mail server running")
        self.ctx.api.run("dns.show", {}, lambda r: self.finish.finished(r["text"]),
                         self.finish.failed)


__all__ += ["NamesPage", "AccountPage", "RelayPage", "SmarthostPage", "FinishPage"]
