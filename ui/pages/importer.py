"""Import: bring over a sendmail setup. Choose its folder, preview every change and every
line that cannot be carried, then apply (the same plan as `mailroom import sendmail --dry-run`)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from ui.context import AppContext
from ui.pages.base import Page

__all__ = ["ImportPage"]


class ImportPage(Page):
    title = QT_TRANSLATE_NOOP("ImportPage", "Import")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.plan: dict[str, Any] | None = None
        intro = QLabel(self.tr(
            "Bring over a sendmail setup: access, local-host-names, aliases (with their "
            ":include: lists), virtusertable, and each user's .forward and .procmailrc. "
            "Preview first: nothing changes until you apply."))
        intro.setWordWrap(True)
        self.outer.addWidget(intro)
        box = QGroupBox(self.tr("Where the old setup is"))
        grid = QGridLayout(box)
        self.directory = QLineEdit()
        self.directory.setPlaceholderText("/etc/mail")
        self.home_root = QLineEdit()
        self.home_root.setPlaceholderText(self.tr("optional, e.g. /home"))
        for row, (text, edit) in enumerate((
                (self.tr("F&older with access, aliases, virtusertable…:"), self.directory),
                (self.tr("&Home folders (USER/.forward, USER/.procmailrc):"), self.home_root))):
            label = QLabel(text)
            label.setBuddy(edit)
            choose = QPushButton(self.tr("Choose…"))
            choose.clicked.connect(lambda _=False, e=edit: self._choose(e))
            grid.addWidget(label, row, 0)
            grid.addWidget(edit, row, 1)
            grid.addWidget(choose, row, 2)
            edit.textEdited.connect(self._forget_plan)
        grid.addWidget(self.error_label("directory"), 2, 1)
        grid.setColumnStretch(1, 1)
        self.outer.addWidget(box)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels([self.tr("What"), self.tr("Where")])
        self.tree.setAccessibleName(self.tr("Import preview"))
        self.tree.setWordWrap(True)
        self.tree.setColumnWidth(0, 640)
        self.outer.addWidget(self.tree, 1)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.outer.addWidget(self.summary)
        row = QHBoxLayout()
        row.addStretch(1)
        self.preview_button = QPushButton(self.tr("&Preview"))
        self.preview_button.setToolTip(self.tr("List every change and every line that cannot "
                                               "be carried over; changes nothing"))
        self.preview_button.clicked.connect(self.preview)
        self.apply_button = QPushButton(self.tr("&Apply"))
        self.apply_button.setToolTip(self.tr("Make the changes of the preview"))
        self.apply_button.clicked.connect(self.apply)
        self.apply_button.setEnabled(False)
        row.addWidget(self.preview_button)
        row.addWidget(self.apply_button)
        self.outer.addLayout(row)

    def load(self) -> None:
        self.loaded = True

    def _choose(self, edit: QLineEdit) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a folder"),
                                                  edit.text() or "/")
        if folder:
            edit.setText(folder)
            self._forget_plan()

    def _forget_plan(self, *_: Any) -> None:
        self.plan = None
        self.apply_button.setEnabled(False)

    def _args(self) -> dict[str, Any]:
        return {"directory": self.directory.text().strip(),
                "home_root": self.home_root.text().strip() or None}

    def preview(self) -> None:
        self.clear_errors()
        if not self.directory.text().strip():
            self.errors["directory"].show_message(self.tr("Choose the folder first."))
            return
        self.call("import.sendmail.plan", self._args(), self.show_plan)

    def show_plan(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        self.tree.clear()
        groups = (
            (self.tr("Changes (%d)"), plan["changes"], "+"),
            (self.tr("Already so (%d)"), plan["unchanged"], "="),
            (self.tr("Cannot be carried over (%d)"), plan["problems"], "!"),
        )
        for title, items, mark in groups:
            top = QTreeWidgetItem([title % len(items), ""])
            self.tree.addTopLevelItem(top)
            for item in items:
                if mark == "!":
                    text = f"{item['line']} — {item['why']}" if item["line"] else item["why"]
                else:
                    text = item["text"]
                child = QTreeWidgetItem([text, item["source"]])
                child.setToolTip(0, text)
                top.addChild(child)
            top.setExpanded(True)
        self.summary.setText(self.tr(
            "%d change(s) to make, %d already so, %d line(s) that cannot be carried over.")
            % (len(plan["changes"]), len(plan["unchanged"]), len(plan["problems"])))
        self.apply_button.setEnabled(bool(plan["changes"]))

    def apply(self) -> None:
        if not self.plan or not self.plan["changes"]:
            return
        question = self.tr("Make the %d change(s) of the preview? The lines that cannot be "
                           "carried over stay as they are.") % len(self.plan["changes"])
        if not self.ctx.confirm(self, self.tr("Import"), question):
            return

        def done(result: dict[str, Any]) -> None:
            failed = result["failed"]
            if failed:
                first = failed[0]
                self.banner.show_message(
                    self.tr("%d change(s) made; %d refused, e.g. %s: %s") % (
                        len(result["applied"]), len(failed), first["source"], first["error"]),
                    "error")
            else:
                self.banner.show_message(self.tr("%d change(s) made.") % len(result["applied"]),
                                         "info")
            self.call("import.sendmail.plan", self._args(), self.show_plan)

        self.apply_button.setEnabled(False)
        self.call("import.sendmail.apply", self._args(), done)
