"""Accounts: add, edit, disable; password; quota with a usage bar; forwarding."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from appliance.control.client import ControlClient
from appliance.control.types import ControlError
from ui.context import AppContext
from ui.models import AccountModel, human_size
from ui.pages.address_rows import AddressRows
from ui.pages.base import Page
from ui.widgets import UsageBarDelegate, row_table

__all__ = ["AccountsPage"]

MB = 1024 * 1024


def split_addresses(text: str) -> list[str]:
    return [t for t in re.split(r"[\s,;]+", text.strip()) if t]


class AccountsPage(AddressRows, Page):
    title = QT_TRANSLATE_NOOP("AccountsPage", "Accounts")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = AccountModel(self)
        self.current: dict[str, Any] | None = None  # None: a new account
        self._new = False
        split = QSplitter()
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.table = row_table(self.model)
        self.table.setItemDelegateForColumn(AccountModel.USAGE_COLUMN,
                                            UsageBarDelegate(AccountModel.usage_fraction, self))
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setAccessibleName(self.tr("Accounts"))
        ll.addWidget(self.table)
        buttons = QHBoxLayout()
        self.new_button = QPushButton(self.tr("&New account"))
        self.delete_button = QPushButton(self.tr("Delete a&ccount…"))
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        ll.addLayout(buttons)
        split.addWidget(left)

        editor = QGroupBox(self.tr("Account"))
        form = QFormLayout(editor)
        self.address = QLineEdit()
        self.address.setPlaceholderText("alice@example.com")
        self._row(form, self.tr("&Address:"), self.address, "address")
        self.enabled = QCheckBox(self.tr("&Enabled (may log in and receive mail)"))
        form.addRow("", self.enabled)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("unchanged"))
        self._row(form, self.tr("&Password:"), self.password, "password")
        self.again = QLineEdit()
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self._row(form, self.tr("Confirm pass&word:"), self.again, "again")
        self.quota = QSpinBox()
        self.quota.setRange(0, 10_000_000)
        self.quota.setSuffix(self.tr(" MB"))
        self.quota.setSpecialValueText(self.tr("unlimited"))
        self._row(form, self.tr("&Quota:"), self.quota, "quota", "quota_bytes")
        self.usage = QProgressBar()
        self.usage.setFormat("%p%")
        form.addRow("Usage:", self.usage)
        # Every address on a line of its own: the whole list is always in view.
        self.forward = QPlainTextEdit()
        self.forward.setPlaceholderText(self.tr("no forwarding (one address per line)"))
        self.forward.setTabChangesFocus(True)
        self.forward.setMaximumHeight(90)
        self._row(form, self.tr("Forward &to:"), self.forward, "targets")
        self.keep_copy = QCheckBox(self.tr("&Keep a copy in this mailbox"))
        form.addRow("", self.keep_copy)
        split.addWidget(self.editor_pane(editor))
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([640, 380])
        self.outer.addWidget(split, 1)

        for w in (self.address, self.password, self.again):
            w.textEdited.connect(self.mark_dirty)
        self.forward.textChanged.connect(self.mark_dirty)
        self.quota.valueChanged.connect(self.mark_dirty)
        self.enabled.toggled.connect(self.mark_dirty)
        self.keep_copy.toggled.connect(self.mark_dirty)
        self.table.selectionModel().currentRowChanged.connect(self._select)
        self.new_button.clicked.connect(lambda: self.leave(self.new_account, reload=False))
        self.delete_button.clicked.connect(self.delete_account)
        self._edit(None)

    def _row(self, form: QFormLayout, text: str, widget: QWidget, *fields: str) -> None:
        label = QLabel(text)
        label.setBuddy(widget)
        box = QVBoxLayout()
        box.setSpacing(2)
        box.addWidget(widget)
        box.addWidget(self.error_label(*fields))
        form.addRow(label, box)

    # -- loading ----------------------------------------------------------

    def load(self) -> None:
        self.call("account.list", {}, self._fill)

    def _fill(self, rows: list[dict[str, Any]], select: str | None = None) -> None:
        keep = select or (self.current or {}).get("address")
        self.model.set_rows(rows)
        self.loaded = True
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(AccountModel.USAGE_COLUMN, 120)
        found = next((i for i, r in enumerate(rows) if r["address"] == keep), None)
        if found is not None:
            self.select_row(found)
        elif rows and not self._new:
            self.select_row(0)
        else:
            self._edit(None)
        self.set_dirty(False)

    def _edit(self, row: dict[str, Any] | None) -> None:
        self._filling = True
        self.clear_errors()
        self.current = row
        new = row is None
        if not new:
            self._new = False
        self.address.setReadOnly(not new)
        self.address.setText("" if new else row["address"])  # type: ignore[index]
        self.password.clear()
        self.again.clear()
        self.password.setPlaceholderText(self.tr("at least 8 characters") if new
                                         else self.tr("unchanged"))
        self.again.setPlaceholderText(self.tr("the same again"))
        self.enabled.setChecked(True if new else bool(row["enabled"]))  # type: ignore[index]
        quota = 0 if new else int(row["quota_bytes"])  # type: ignore[index]
        self.quota.setValue(quota // MB)
        used = 0 if new else int(row.get("used_bytes", 0))  # type: ignore[union-attr]
        if quota:
            self.usage.setRange(0, 1000)
            self.usage.setValue(min(1000, int(used * 1000 / quota)))
            self.usage.setFormat(f"{human_size(used)} of {human_size(quota)} (%p%)")
        else:
            self.usage.setRange(0, 1)
            self.usage.setValue(0)
            self.usage.setFormat(f"{human_size(used)} (no quota)")
        self.forward.setPlainText("" if new else "\n".join(row["forward"]))  # type: ignore[index]
        self.keep_copy.setChecked(False if new else bool(row["keep_copy"]))  # type: ignore[index]
        self.delete_button.setEnabled(not new)
        self._filling = False
        self.set_dirty(False)

    def new_account(self) -> None:
        self._new = True
        self.table.clearSelection()
        self._edit(None)
        self.address.setFocus()

    # -- saving -----------------------------------------------------------

    def save(self) -> None:
        self.clear_errors()
        row = self.current
        address = self.address.text().strip()
        password = self.password.text()
        if password != self.again.text():
            self.show_error(ControlError("the two passwords differ", "again"))
            return
        quota = self.quota.value() * MB
        enabled = self.enabled.isChecked()
        forward = split_addresses(self.forward.toPlainText())
        keep = self.keep_copy.isChecked()

        def write(c: ControlClient) -> list[dict[str, Any]]:
            if row is None:
                addr = c.call("account.add", address=address, password=password,
                              quota_bytes=quota)
                if forward:
                    c.call("forward.set", address=addr, targets=forward, keep_copy=keep)
                if not enabled:
                    c.call("account.disable", address=addr)
            else:
                addr = row["address"]
                # The calls that can refuse input come first.
                if forward and (forward != row["forward"] or keep != row["keep_copy"]):
                    c.call("forward.set", address=addr, targets=forward, keep_copy=keep)
                if password:
                    c.call("account.passwd", address=addr, password=password)
                if not forward and row["forward"]:
                    c.call("forward.clear", address=addr)
                if quota != row["quota_bytes"]:
                    c.call("account.quota", address=addr, quota_bytes=quota)
                if enabled != row["enabled"]:
                    c.call("account.enable" if enabled else "account.disable", address=addr)
            self._saved_address = addr
            return list(c.call("account.list"))

        def done(rows: list[dict[str, Any]]) -> None:
            self.banner.show_message(self.tr("Saved {0}.").format(self._saved_address), "info")
            self.current = {"address": self._saved_address}
            # Clean last: whoever waited on this save (another row, page) goes next.
            self._fill(rows, select=self._saved_address)
            self.set_dirty(False)
            self.saved.emit()

        self.job(write, done)

    def ask_delete(self, row: dict[str, Any]) -> str:
        """"keep" (its mail stays on disk), "delete" (the mail too) or "cancel"."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Delete account"))
        box.setText(self.tr("Delete {0}? It no longer receives mail or logs in.").format(
            row["address"]))
        box.setInformativeText(self.tr("Its mailbox holds {0} messages ({1}).").format(
            row.get("messages", 0), human_size(row.get("used_bytes", 0))))
        keep = box.addButton(self.tr("Delete, &keep the mail"),
                             QMessageBox.ButtonRole.AcceptRole)
        wipe = box.addButton(self.tr("Delete with the &mail"),
                             QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.exec()
        clicked = box.clickedButton()
        return "keep" if clicked is keep else "delete" if clicked is wipe else "cancel"

    def delete_account(self) -> None:
        if self.current is None:
            return
        addr = self.current["address"]
        row = next((r for r in self.model.rows if r["address"] == addr), self.current)
        answer = self.ask_delete(row)
        if answer == "cancel":
            return
        wipe = answer == "delete"

        def done(rows: list[dict[str, Any]]) -> None:
            self.current = None
            self._fill(rows)
            text = (self.tr("Deleted {0} and its mail.") if wipe
                    else self.tr("Deleted {0}; its mail stays on disk."))
            self.banner.show_message(text.format(addr), "info")

        self.job(lambda c: (c.call("account.del", address=addr, delete_mail=wipe),
                            c.call("account.list"))[1], done)

    def on_event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "message.delivered" and self.isVisible() and not self.is_dirty():
            self.call("account.list", {}, lambda rows: self._fill(rows))


