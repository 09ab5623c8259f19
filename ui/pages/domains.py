"""Host names & domains: this server's name, the domains it receives mail for, DNS records."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from appliance.control.client import ControlClient
from ui.context import AppContext
from ui.pages.base import Page
from ui.widgets import monospace

__all__ = ["DomainsPage"]


class DomainsPage(Page):
    title = QT_TRANSLATE_NOOP("DomainsPage", "Host names & domains")
    settings_keys = ("hostname",)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.original: dict[str, Any] = {}
        form = QFormLayout()
        self.hostname = QLineEdit()
        self.hostname.setPlaceholderText(self.tr("mail.example.com"))
        label = QLabel(self.tr("&Host name:"))
        label.setBuddy(self.hostname)
        form.addRow(label, self.hostname)
        form.addRow("", self.error_label("hostname"))
        self.outer.addLayout(form)
        self.hostname.textEdited.connect(self.mark_dirty)

        box = QGroupBox(self.tr("Domains this server receives mail for (local-host-names)"))
        inner = QVBoxLayout(box)
        self.domains = QListWidget()
        self.domains.setAccessibleName(self.tr("Domains"))
        inner.addWidget(self.domains)
        row = QHBoxLayout()
        self.new_domain = QLineEdit()
        self.new_domain.setPlaceholderText(self.tr("example.com"))
        new_label = QLabel(self.tr("New do&main:"))
        new_label.setBuddy(self.new_domain)
        # A host name of this server is another name of a domain, not a
        # domain of its own (an empty one, where mail would be refused).
        self.kind = QComboBox()
        self.kind.setAccessibleName(self.tr("Kind of name"))
        self.kind.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.kind.setToolTip(self.tr("A domain of its own, or another name of a domain (its "
                             "mailboxes: bob@alias reaches bob@domain)"))
        self.add_button = QPushButton(self.tr("&Add"))
        self.remove_button = QPushButton(self.tr("&Remove"))
        row.addWidget(new_label)
        row.addWidget(self.new_domain, 1)
        row.addWidget(self.kind)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        inner.addLayout(row)
        inner.addWidget(self.error_label("domain", "name"))
        self.outer.addWidget(box, 1)
        self.add_button.clicked.connect(self.add_domain)
        self.new_domain.returnPressed.connect(self.add_domain)
        self.remove_button.clicked.connect(self.remove_domain)

        dns = QGroupBox(self.tr("DNS records to publish"))
        dl = QVBoxLayout(dns)
        self.records = QPlainTextEdit()
        self.records.setReadOnly(True)
        monospace(self.records)
        self.records.setMaximumHeight(120)
        dl.addWidget(self.records)
        copy = QPushButton(self.tr("&Copy records"))
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(
            self.records.toPlainText()))
        dl.addWidget(copy)
        self.outer.addWidget(dns)
        self.outer.addWidget(self._dkim_box())
        self.outer.addLayout(self.save_buttons())

    def _dkim_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("DKIM keys (they sign the mail that leaves for other domains)"))
        column = QVBoxLayout(box)
        self.keys = QTableWidget(0, 4)
        self.keys.setAccessibleName(self.tr("DKIM keys"))
        self.keys.setHorizontalHeaderLabels([self.tr("Domain"), self.tr("Selector"),
                                             self.tr("Kind"), self.tr("State")])
        self.keys.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.keys.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.keys.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.keys.verticalHeader().setVisible(False)
        self.keys.horizontalHeader().setStretchLastSection(True)
        self.keys.setMaximumHeight(130)
        column.addWidget(self.keys)
        row = QHBoxLayout()
        self.rotate_now = QCheckBox(self.tr("Sign with the new keys at o&nce (else: once their "
                                    "record is seen in DNS)"))
        self.rotate_button = QPushButton(self.tr("R&otate keys"))
        self.rotate_button.setToolTip(self.tr(
            "New keys for the selected key's domain; the old ones are kept a week"))
        self.rotate_button.clicked.connect(self.rotate_keys)
        row.addWidget(self.rotate_now, 1)
        row.addWidget(self.rotate_button)
        column.addLayout(row)
        return box

    def _fill_keys(self, shown: list[dict[str, Any]]) -> None:
        rows = [(d["domain"], k) for d in shown for k in d["keys"]]
        self.keys.setRowCount(len(rows))
        words = {"active": "signs", "pending": "waits for its DNS record",
                 "retired": "retired (kept a week)"}
        for i, (domain, key) in enumerate(rows):
            for col, text in enumerate((domain, key["selector"],
                                        "RSA-2048" if key["algorithm"] == "rsa" else "Ed25519",
                                        words.get(key["state"], key["state"]))):
                item = QTableWidgetItem(text)
                if col == 1:
                    item.setToolTip(f"{key['name']} IN TXT \"{key['value']}\"")
                self.keys.setItem(i, col, item)
        self.keys.resizeColumnsToContents()

    def rotate_keys(self) -> None:
        row = self.keys.currentRow()
        if row < 0:
            self.banner.show_message(self.tr("Select a key of the domain to rotate first."),
                                     "error")
            return
        domain = self.keys.item(row, 0).text()
        now = self.rotate_now.isChecked()

        def done(_: Any) -> None:
            text = (self.tr("New DKIM keys for {0}: they sign now.") if now else
                    self.tr("New DKIM keys for {0}: publish their records (DNS page); they "
                            "sign once seen."))
            self.banner.show_message(text.format(domain), "info")
            self.load()

        self.call("dkim.rotate", {"domain": domain, "now": now}, done)

    def load(self) -> None:
        def fetch(c: ControlClient) -> dict[str, Any]:
            shown = c.call("domain.show")
            return {"hostname": c.call("settings.get", key="hostname"),
                    "domains": [d["name"] for d in shown if not d["alias_of"]],
                    "aliases": {d["name"]: d["alias_of"] for d in shown if d["alias_of"]},
                    "records": c.call("dns.show")["text"],
                    "keys": [c.call("dkim.show", domain=d["name"]) for d in shown
                             if not d["alias_of"]]}

        self.job(fetch, self._fill)

    def _fill(self, data: dict[str, Any]) -> None:
        self._filling = True
        self.original = data
        self.hostname.setText(data["hostname"])
        self.domains.clear()
        for name in data["domains"]:
            self._add_item(name, None)
            for alias, target in data["aliases"].items():
                if target == name:
                    self._add_item(alias, name)
        self._update_kinds()
        self.records.setPlainText(data["records"])
        self._fill_keys(data.get("keys", []))
        self._filling = False
        self.loaded = True
        self.set_dirty(False)

    def _add_item(self, name: str, alias_of: str | None) -> None:
        text = f"{name}  (alias of {alias_of})" if alias_of else name
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, (name, alias_of))
        self.domains.addItem(item)

    def _entries(self) -> list[tuple[str, str | None]]:
        return [self.domains.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(self.domains.count())]

    def _update_kinds(self) -> None:
        self.kind.clear()
        self.kind.addItem(self.tr("as a domain"), None)
        for name in self.domain_names():
            self.kind.addItem(self.tr("as an alias of {0}").format(name), name)

    def domain_names(self) -> list[str]:
        return [name for name, alias_of in self._entries() if not alias_of]

    def domain_aliases(self) -> dict[str, str]:
        return {name: alias_of for name, alias_of in self._entries() if alias_of}

    def add_domain(self) -> None:
        name = self.new_domain.text().strip()
        if not name:
            return
        alias_of = self.kind.currentData()
        if name.lower() not in {n.lower() for n, _ in self._entries()}:
            self._add_item(name, alias_of)
            self.set_dirty(True)
        self.new_domain.clear()
        self._update_kinds()

    def remove_domain(self) -> None:
        row = self.domains.currentRow()
        if row >= 0:
            self.domains.takeItem(row)
            self.set_dirty(True)
            self._update_kinds()

    def save(self) -> None:
        self.clear_errors()
        hostname = self.hostname.text().strip()
        names = self.domain_names()
        aliases = self.domain_aliases()
        changed_host = hostname != self.original.get("hostname")

        def write(c: ControlClient) -> None:
            if changed_host:  # check it first, so that a bad name leaves domains alone
                c.call("settings.check", key="hostname", value=hostname)
            if names != self.original.get("domains") or aliases != self.original.get("aliases"):
                c.call("domain.set", names=names, aliases=aliases)
            if changed_host:
                c.call("settings.set", key="hostname", value=hostname)

        def done(_: Any) -> None:
            self.set_dirty(False)
            self.banner.show_message(self.tr("Saved."), "info")
            self.saved.emit()
            self.load()

        self.job(write, done)
