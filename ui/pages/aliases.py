"""Aliases & groups: the members editor and the /etc/aliases import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from appliance.control.client import ControlClient
from ui.context import AppContext
from ui.models import AliasModel
from ui.pages.address_rows import AddressRows
from ui.pages.base import Page
from ui.widgets import row_table

__all__ = ["AliasesPage"]


class AliasesPage(AddressRows, Page):
    title = QT_TRANSLATE_NOOP("AliasesPage", "Aliases & groups")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = AliasModel(self)
        self.current: dict[str, Any] | None = None
        self._new = False
        split = QSplitter()
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.table = row_table(self.model)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName(self.tr("Aliases"))
        ll.addWidget(self.table)
        row = QHBoxLayout()
        self.new_button = QPushButton(self.tr("&New alias"))
        self.delete_button = QPushButton(self.tr("Dele&te alias…"))
        self.import_button = QPushButton(self.tr("&Import /etc/aliases…"))
        for b in (self.new_button, self.delete_button, self.import_button):
            row.addWidget(b)
        row.addStretch(1)
        ll.addLayout(row)
        self.import_report = QPlainTextEdit()
        self.import_report.setReadOnly(True)
        self.import_report.setMaximumHeight(90)
        self.import_report.hide()
        ll.addWidget(self.import_report)
        split.addWidget(left)

        editor = QGroupBox(self.tr("Alias or group"))
        form = QFormLayout(editor)
        self.address = QLineEdit()
        self.address.setPlaceholderText(self.tr("staff@example.com"))
        label = QLabel(self.tr("&Address:"))
        label.setBuddy(self.address)
        form.addRow(label, self.address)
        # A catch-all is a choice of its own, not an address typed in a special way.
        self.catch_all = QCheckBox(self.tr("&Catch-all: every other address of"))
        self.catch_all.setToolTip(self.tr("Mail to any address of the domain that is neither an "
                                  "account nor another alias goes to the members"))
        self.catch_domain = QComboBox()
        self.catch_domain.setAccessibleName(self.tr("Catch-all domain"))
        crow = QHBoxLayout()
        crow.addWidget(self.catch_all)
        crow.addWidget(self.catch_domain, 1)
        form.addRow("", crow)
        form.addRow("", self.error_label("address"))
        self.members = QListWidget()
        self.members.setAccessibleName(self.tr("Members"))
        mlabel = QLabel(self.tr("&Members:"))
        mlabel.setBuddy(self.members)
        form.addRow(mlabel, self.members)
        mrow = QHBoxLayout()
        self.new_member = QLineEdit()
        self.new_member.setPlaceholderText(self.tr("bob@example.com or :error:550 gone"))
        self.add_member_button = QPushButton(self.tr("Add mem&ber"))
        self.remove_member_button = QPushButton(self.tr("&Remove member"))
        mrow.addWidget(self.new_member, 1)
        mrow.addWidget(self.add_member_button)
        mrow.addWidget(self.remove_member_button)
        form.addRow("", mrow)
        form.addRow("", self.error_label("targets"))
        pane = QWidget()
        column = QVBoxLayout(pane)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(editor, 1)  # the members list takes the height: no empty half
        column.addLayout(self.save_buttons())
        split.addWidget(pane)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        self.outer.addWidget(split, 1)

        self.address.textEdited.connect(self.mark_dirty)
        self.catch_all.toggled.connect(self._catch_all_toggled)
        self.catch_domain.currentIndexChanged.connect(self.mark_dirty)
        self.new_member.returnPressed.connect(self.add_member)
        self.add_member_button.clicked.connect(self.add_member)
        self.remove_member_button.clicked.connect(self.remove_member)
        self.new_button.clicked.connect(lambda: self.leave(self.new_alias, reload=False))
        self.delete_button.clicked.connect(self.delete_alias)
        self.import_button.clicked.connect(self.choose_import)
        self.table.selectionModel().currentRowChanged.connect(self._select)
        self._edit(None)

    def load(self) -> None:
        def fetch(c: ControlClient) -> dict[str, list[str]]:
            self._domains = list(c.call("domain.list"))
            return dict(c.call("alias.list"))

        self.job(fetch, self._fill)

    def _catch_all_toggled(self, on: bool) -> None:
        self.address.setEnabled(not on and not self.address.isReadOnly())
        self.catch_domain.setEnabled(on and self.current is None)
        self.mark_dirty()

    def alias_address(self) -> str:
        if self.catch_all.isChecked():
            return "@" + self.catch_domain.currentText()
        return self.address.text().strip()

    def _fill(self, aliases: dict[str, list[str]], select: str | None = None) -> None:
        domains = getattr(self, "_domains", [])
        if domains != [self.catch_domain.itemText(i) for i in range(self.catch_domain.count())]:
            self._filling = True
            self.catch_domain.clear()
            self.catch_domain.addItems(domains)
            self._filling = False
        rows = [{"address": a, "targets": t} for a, t in aliases.items()]
        keep = select or (self.current or {}).get("address")
        self.model.set_rows(rows)
        self.loaded = True
        self.table.resizeColumnToContents(0)
        found = next((i for i, r in enumerate(rows) if r["address"] == keep), None)
        if found is not None:
            self.select_row(found)
        elif rows and not self._new:
            self.select_row(0)
        elif self.current is not None:
            self._edit(None)
        self.set_dirty(False)

    def _edit(self, row: dict[str, Any] | None) -> None:
        self._filling = True
        self.clear_errors()
        self.current = row
        if row is not None:
            self._new = False
        address = row["address"] if row else ""
        catch_all = address.startswith("@")
        self.address.setReadOnly(row is not None)
        self.address.setText("" if catch_all else address)
        self.catch_all.setChecked(catch_all)
        self.catch_all.setEnabled(row is None)
        if catch_all:
            self.catch_domain.setCurrentIndex(max(0, self.catch_domain.findText(address[1:])))
        self.address.setEnabled(not catch_all)
        self.catch_domain.setEnabled(catch_all and row is None)
        self.members.clear()
        if row:
            self.members.addItems(row["targets"])
        self.delete_button.setEnabled(row is not None)
        self._filling = False
        self.set_dirty(False)

    def member_list(self) -> list[str]:
        return [self.members.item(i).text() for i in range(self.members.count())]

    def new_alias(self) -> None:
        self._new = True
        self.table.clearSelection()
        self._edit(None)
        self.address.setFocus()

    def add_member(self, text: str | None = None) -> None:
        value = (text if isinstance(text, str) else self.new_member.text()).strip()
        if value and value not in self.member_list():
            self.members.addItem(value)
            self.set_dirty(True)
        self.new_member.clear()

    def remove_member(self) -> None:
        row = self.members.currentRow()
        if row >= 0:
            self.members.takeItem(row)
            self.set_dirty(True)

    def save(self) -> None:
        self.clear_errors()
        address = self.alias_address()
        members = self.member_list()
        before = list(self.current["targets"]) if self.current else []
        existing = self.current is not None

        def write(c: ControlClient) -> dict[str, list[str]]:
            added = [m for m in members if m not in before]
            removed = [m for m in before if m not in members]
            if not members:
                if existing:
                    c.call("alias.del", address=address)
            else:
                if added or not existing:
                    c.call("alias.add", address=address, targets=added or members)
                if removed:
                    c.call("alias.del", address=address, targets=removed)
            return dict(c.call("alias.list"))

        def done(aliases: dict[str, list[str]]) -> None:
            self.banner.show_message(self.tr("Saved {0}.").format(address), "info")
            self.current = None
            select = next((a for a in aliases if a == address.lower()), None)
            # Clean last: whoever waited on this save (another row, page) goes next.
            self._fill(aliases, select=select)
            self.set_dirty(False)
            self.saved.emit()

        self.job(write, done)

    def delete_alias(self) -> None:
        if self.current is None:
            return
        addr = self.current["address"]
        if not self.ctx.confirm(self, self.tr("Delete alias"),
                                self.tr("Delete the alias {0}?").format(addr)):
            return

        def done(aliases: dict[str, list[str]]) -> None:
            self.current = None
            self._fill(aliases)

        self.job(lambda c: (c.call("alias.del", address=addr), c.call("alias.list"))[1], done)

    # -- import -----------------------------------------------------------

    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import an aliases file", "/etc",
                                              "aliases files (aliases* *.txt);;All files (*)")
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            self.banner.show_message(self.tr("Cannot read {0}: {1}").format(path, exc.strerror),
                                     "error")
            return
        self.import_text(text, path.name, str(path.resolve().parent))

    def import_text(self, text: str, source: str = "aliases",
                    include_dir: str | None = None) -> None:
        def done(result: dict[str, Any]) -> None:
            lines = [f"{result['imported']} aliases imported into {result['domain']}."]
            lines += [f"warning: {w}" for w in result["warnings"]]
            self.import_report.setPlainText("\n".join(lines))
            self.import_report.show()
            self.load()

        self.call("aliases.import", {"text": text, "source": source,
                                     "include_dir": include_dir}, done)
