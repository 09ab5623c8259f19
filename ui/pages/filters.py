"""Filters: an account's Sieve rules (simple rows or the script itself) and its out-of-office reply.

The rows become Sieve on the server (``filter.rules.preview``/``set``), the
script the rows make is shown under them, and expert mode edits the script
directly; the server's check of it (line and reason) shows beside it. The
out-of-office reply is a switch with dates, a subject and a text.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QDate, QTimer
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from appliance.control.client import ControlClient
from ui.context import AppContext
from ui.pages.base import Page
from ui.widgets import monospace

__all__ = ["FiltersPage"]

COL_FIELD, COL_HEADER, COL_OPERATOR, COL_VALUE, COL_ACTION, COL_TARGET = range(6)


class FiltersPage(Page):
    title = QT_TRANSLATE_NOOP("FiltersPage", "Filters")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.fields = [("from", self.tr("From")), ("to", self.tr("To or Cc")),
                       ("subject", self.tr("Subject")), ("header", self.tr("Header…"))]
        self.operators = [("contains", self.tr("contains")), ("is", self.tr("is")),
                          ("matches", self.tr("matches (* and ?)"))]
        self.actions = [("move", self.tr("Move to folder")), ("forward", self.tr("Forward to")),
                        ("discard", self.tr("Delete")), ("mark_read", self.tr("Mark as read"))]
        self.address: str | None = None
        self.info: dict[str, Any] | None = None
        self._changed: set[str] = set()  # "rules", "script", "vacation"
        self._filling = False

        top = QHBoxLayout()
        label = QLabel(self.tr("&Account:"))
        self.account = QComboBox()
        self.account.setAccessibleName(self.tr("Account"))
        self.account.setMinimumContentsLength(24)
        label.setBuddy(self.account)
        top.addWidget(label)
        top.addWidget(self.account)
        self.scripts_label = QLabel()
        top.addWidget(self.scripts_label, 1)
        self.outer.addLayout(top)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._rules_tab(), self.tr("&Rules"))
        self.tabs.addTab(self._expert_tab(), self.tr("&Expert (Sieve)"))
        self.tabs.addTab(self._vacation_tab(), self.tr("&Out of office"))
        self.outer.addWidget(self.tabs, 1)
        self.outer.addLayout(self.save_buttons())

        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(250)
        self._preview_timer.timeout.connect(self._preview)
        self.account.activated.connect(self._account_chosen)

    # -- the three tabs ---------------------------------------------------

    def _rules_tab(self) -> QWidget:
        tab = QWidget()
        column = QVBoxLayout(tab)
        intro = QLabel(self.tr(
            "Each rule is tried in turn; the first one that moves, forwards or deletes a "
            "message ends the filtering. Spam is filed into Junk before any rule."))
        intro.setWordWrap(True)
        column.addWidget(intro)
        self.hand_written = QLabel(self.tr(
            "This account's script was written by hand (or imported): see Expert. Saving "
            "rules here replaces it."))
        self.hand_written.setWordWrap(True)
        self.hand_written.setStyleSheet("color: #b35c00")
        self.hand_written.hide()
        column.addWidget(self.hand_written)
        self.table = QTableWidget(0, 6)
        self.table.setAccessibleName(self.tr("Rules"))
        self.table.setHorizontalHeaderLabels([
            self.tr("If"), self.tr("Header"), self.tr("Test"), self.tr("Value"),
            self.tr("Then"), self.tr("Folder or address")])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_VALUE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_TARGET, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        column.addWidget(self.table, 2)
        row = QHBoxLayout()
        self.add_button = QPushButton(self.tr("&New rule"))
        self.remove_button = QPushButton(self.tr("Re&move rule"))
        self.add_button.clicked.connect(lambda: self.add_rule())
        self.remove_button.clicked.connect(self.remove_rule)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        column.addLayout(row)
        self.rules_error = self.error_label("rules")
        column.addWidget(self.rules_error)
        generated = QLabel(self.tr("The Sieve script these rules make:"))
        column.addWidget(generated)
        self.generated = QPlainTextEdit()
        self.generated.setReadOnly(True)
        self.generated.setAccessibleName(self.tr("Generated script"))
        monospace(self.generated)
        column.addWidget(self.generated, 1)
        return tab

    def _expert_tab(self) -> QWidget:
        tab = QWidget()
        column = QVBoxLayout(tab)
        intro = QLabel(self.tr(
            "The account's active Sieve script (RFC 5228, with fileinto, copy, imap4flags, "
            "body, envelope, vacation, relational and date). Mail programs with a filter "
            "editor (ManageSieve) see the same script."))
        intro.setWordWrap(True)
        column.addWidget(intro)
        self.script = QPlainTextEdit()
        self.script.setAccessibleName(self.tr("Sieve script"))
        self.script.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        monospace(self.script)
        column.addWidget(self.script, 1)
        row = QHBoxLayout()
        self.check_button = QPushButton(self.tr("&Check"))
        self.check_button.setToolTip(self.tr("Ask the server whether this script can be saved"))
        self.check_button.clicked.connect(self.check_script)
        row.addWidget(self.check_button)
        self.script_error = self.error_label("script")
        row.addWidget(self.script_error, 1)
        self.check_result = QLabel()
        row.addWidget(self.check_result)
        column.addLayout(row)
        self.script.textChanged.connect(lambda: self._edited("script"))
        return tab

    def _vacation_tab(self) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        self.vacation_on = QCheckBox(self.tr("Send an out-of-office re&ply"))
        form.addRow("", self.vacation_on)
        self.start_on = QCheckBox(self.tr("F&rom"))
        self.start = QDateEdit()
        self.until_on = QCheckBox(self.tr("&Until"))
        self.until = QDateEdit()
        for check, edit in ((self.start_on, self.start), (self.until_on, self.until)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setDate(QDate.currentDate())
            edit.setEnabled(False)
            check.toggled.connect(edit.setEnabled)
            check.toggled.connect(lambda _on: self._edited("vacation"))
            edit.dateChanged.connect(lambda _d: self._edited("vacation"))
            line = QHBoxLayout()
            line.addWidget(check)
            line.addWidget(edit)
            line.addStretch(1)
            form.addRow("", line)
        self.subject = QLineEdit()
        self.subject.setPlaceholderText(self.tr("Auto: (their subject)"))
        subject_label = QLabel(self.tr("Su&bject:"))
        subject_label.setBuddy(self.subject)
        form.addRow(subject_label, self.subject)
        self.days = QSpinBox()
        self.days.setRange(1, 365)
        self.days.setValue(7)
        self.days.setSuffix(self.tr(" day(s)"))
        self.days.setMaximumWidth(160)
        days_label = QLabel(self.tr("Answer each sender once in:"))
        days_label.setBuddy(self.days)
        form.addRow(days_label, self.days)
        self.text = QPlainTextEdit()
        self.text.setAccessibleName(self.tr("Reply text"))
        self.text.setPlaceholderText(self.tr("I am away until Monday and will answer then."))
        text_label = QLabel(self.tr("Te&xt:"))
        text_label.setBuddy(self.text)
        form.addRow(text_label, self.text)
        form.addRow("", self.error_label("text"))
        note = QLabel(self.tr(
            "No reply goes to mailing lists, automatic mail, bounces, or twice to the same "
            "sender within the days above."))
        note.setWordWrap(True)
        form.addRow("", note)
        self.vacation_on.toggled.connect(lambda _on: self._edited("vacation"))
        self.subject.textEdited.connect(lambda _t: self._edited("vacation"))
        self.days.valueChanged.connect(lambda _v: self._edited("vacation"))
        self.text.textChanged.connect(lambda: self._edited("vacation"))
        return tab

    # -- loading ----------------------------------------------------------

    def load(self) -> None:
        wanted = self.address

        def fetch(c: ControlClient) -> tuple[list[str], dict[str, Any] | None]:
            accounts = [a["address"] for a in c.call("account.list")]
            chosen = wanted if wanted in accounts else (accounts[0] if accounts else None)
            return accounts, (c.call("filter.show", address=chosen) if chosen else None)

        self.job(fetch, lambda result: self._fill(*result))

    def _account_chosen(self, index: int) -> None:
        address = self.account.itemText(index)
        if address == self.address:
            return
        previous = self.address

        def go() -> None:
            self.address = address
            self.load()

        if self.leave(go, reload=False) == "cancel" and previous is not None:
            self.account.setCurrentText(previous)

    def _fill(self, accounts: list[str], info: dict[str, Any] | None) -> None:
        self._filling = True
        try:
            self.account.clear()
            self.account.addItems(accounts)
            self.info = info
            self.address = info["address"] if info else None
            if self.address:
                self.account.setCurrentText(self.address)
            for w in (self.tabs, self.add_button):
                w.setEnabled(info is not None)
            if info is None:
                self.banner.show_message(self.tr("Add an account first (Accounts page)."), "info")
                return
            names = [s["name"] + (self.tr(" (active)") if s["active"] else "")
                     for s in info["scripts"]]
            self.scripts_label.setText(
                self.tr("Scripts: %s") % ", ".join(names) if names else self.tr("No script yet"))
            self.table.setRowCount(0)
            rules = info["rules"]
            self.hand_written.setVisible(rules is None)
            for rule in rules or []:
                self.add_rule(rule)
            self.script.setPlainText(info["script"])
            self.generated.setPlainText(info["script"] if rules is not None else "")
            vac = info["vacation"]
            self.vacation_on.setChecked(vac is not None)
            vac = vac or {}
            for check, edit, key in ((self.start_on, self.start, "start"),
                                     (self.until_on, self.until, "until")):
                check.setChecked(bool(vac.get(key)))
                edit.setDate(QDate.fromString(vac[key], "yyyy-MM-dd") if vac.get(key)
                             else QDate.currentDate())
            self.subject.setText(vac.get("subject") or "")
            self.days.setValue(int(vac.get("days") or 7))
            self.text.setPlainText(vac.get("text") or "")
            self.check_result.setText("")
        finally:
            self._filling = False
        self.loaded = True
        self._changed.clear()
        self.clear_errors()
        self.set_dirty(False)

    # -- rule rows --------------------------------------------------------

    def _combo(self, items: list[tuple[str, str]], value: str) -> QComboBox:
        combo = QComboBox()
        for key, text in items:
            combo.addItem(text, key)
        combo.setCurrentIndex(max(0, combo.findData(value)))
        return combo

    def add_rule(self, rule: dict[str, Any] | None = None) -> None:
        rule = rule or {"field": "subject", "operator": "contains", "value": "",
                        "action": "move", "target": "", "header": ""}
        row = self.table.rowCount()
        self.table.insertRow(row)
        field = self._combo(self.fields, rule["field"])
        header = QLineEdit(rule.get("header", ""))
        header.setPlaceholderText("X-Mailer")
        operator = self._combo(self.operators, rule["operator"])
        value = QLineEdit(rule["value"])
        action = self._combo(self.actions, rule["action"])
        target = QLineEdit(rule.get("target", ""))
        for col, widget in ((COL_FIELD, field), (COL_HEADER, header), (COL_OPERATOR, operator),
                            (COL_VALUE, value), (COL_ACTION, action), (COL_TARGET, target)):
            self.table.setCellWidget(row, col, widget)
        for combo in (field, operator, action):
            combo.currentIndexChanged.connect(lambda _i: self._row_changed())
        for edit in (header, value, target):
            edit.textEdited.connect(lambda _t: self._row_changed())
        self._enable_row(row)
        self.table.resizeColumnToContents(COL_FIELD)
        self.table.resizeColumnToContents(COL_ACTION)
        if not self._filling:
            self._row_changed()
            value.setFocus()

    def _enable_row(self, row: int) -> None:
        field = self.table.cellWidget(row, COL_FIELD)
        action = self.table.cellWidget(row, COL_ACTION)
        header = self.table.cellWidget(row, COL_HEADER)
        target = self.table.cellWidget(row, COL_TARGET)
        assert isinstance(field, QComboBox) and isinstance(action, QComboBox)
        assert isinstance(header, QLineEdit) and isinstance(target, QLineEdit)
        header.setEnabled(field.currentData() == "header")
        kind = action.currentData()
        target.setEnabled(kind in ("move", "forward"))
        target.setPlaceholderText(self.tr("Finance") if kind == "move"
                                  else self.tr("someone@example.com") if kind == "forward"
                                  else "")

    def remove_rule(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            row = self.table.rowCount() - 1
        if row >= 0:
            self.table.removeRow(row)
            self._row_changed()

    def rules(self) -> list[dict[str, str]]:
        out = []
        for row in range(self.table.rowCount()):
            def cell(col: int, row: int = row) -> Any:
                return self.table.cellWidget(row, col)

            out.append({"field": cell(COL_FIELD).currentData(),
                        "header": cell(COL_HEADER).text().strip(),
                        "operator": cell(COL_OPERATOR).currentData(),
                        "value": cell(COL_VALUE).text(),
                        "action": cell(COL_ACTION).currentData(),
                        "target": cell(COL_TARGET).text().strip()})
        return out

    def _row_changed(self) -> None:
        if self._filling:
            return
        for row in range(self.table.rowCount()):
            self._enable_row(row)
        self._edited("rules")
        self._preview_timer.start()

    def _preview(self) -> None:
        def shown(result: dict[str, Any]) -> None:
            self.errors["rules"].show_message(result["message"])
            if result["ok"]:
                self.generated.setPlainText(result["script"])

        self.call("filter.rules.preview", {"rules": self.rules()}, shown)

    # -- expert -----------------------------------------------------------

    def check_script(self) -> None:
        def shown(result: dict[str, Any]) -> None:
            if result["ok"]:
                self.errors["script"].show_message("")
                self.check_result.setText(self.tr("The script is fine."))
                return
            self.check_result.setText("")
            self.show_script_error(result["line"], result["message"])

        self.call("filter.check", {"script": self.script.toPlainText()}, shown)

    def show_script_error(self, line: int | None, message: str) -> None:
        text = self.tr("Line %1: %2").replace("%1", str(line)).replace("%2", message) \
            if line else message
        self.errors["script"].show_message(text)
        if line:
            block = self.script.document().findBlockByLineNumber(line - 1)
            cursor = QTextCursor(block)
            self.script.setTextCursor(cursor)
            self.script.centerCursor()

    # -- saving -----------------------------------------------------------

    def _edited(self, part: str) -> None:
        if self._filling or not self.loaded:
            return
        self._changed.add(part)
        if part == "script":
            self.check_result.setText("")
        self.set_dirty(True)

    def save(self) -> None:
        if self.address is None:
            return
        self.clear_errors()
        address, changed = self.address, set(self._changed)
        rules, script = self.rules(), self.script.toPlainText()
        # Whichever of rules and script was edited last is what the admin meant.
        use_script = "script" in changed and (
            "rules" not in changed or self.tabs.currentIndex() == 1)
        vacation = {
            "on": self.vacation_on.isChecked(),
            "text": self.text.toPlainText(),
            "subject": self.subject.text().strip() or None,
            "start": self.start.date().toString("yyyy-MM-dd") if self.start_on.isChecked()
            else None,
            "until": self.until.date().toString("yyyy-MM-dd") if self.until_on.isChecked()
            else None,
            "days": self.days.value(),
        }

        def write(c: ControlClient) -> dict[str, Any]:
            if use_script:
                c.call("filter.set", address=address, script=script)
            elif "rules" in changed:
                c.call("filter.rules.set", address=address, rules=rules)
            if "vacation" in changed:
                if vacation["on"]:
                    c.call("vacation.on", address=address, text=vacation["text"],
                           subject=vacation["subject"], start=vacation["start"],
                           until=vacation["until"], days=vacation["days"])
                else:
                    c.call("vacation.off", address=address)
            return dict(c.call("filter.show", address=address))

        def done(info: dict[str, Any]) -> None:
            accounts = [self.account.itemText(i) for i in range(self.account.count())]
            self._fill(accounts, info)
            self.banner.show_message(self.tr("Saved the filters of %s.") % address, "info")
            self.saved.emit()

        def failed(exc: Any) -> None:
            if exc.field == "script" and use_script:
                self.tabs.setCurrentIndex(1)
                line, _, rest = exc.message.partition(": ")
                number = line.removeprefix("line ")
                if line.startswith("line ") and number.isdigit():
                    self.show_script_error(int(number), rest)
                    self.banner.show_message(self.tr("Not saved: ") + exc.message, "error")
                    self._after_save.clear()
                    return
            if exc.field == "text":
                self.tabs.setCurrentIndex(2)
            elif exc.field == "rules":
                self.tabs.setCurrentIndex(0)
            self.show_error(exc)

        self.job(write, done, failed)
