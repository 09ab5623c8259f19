"""Spam & virus: thresholds, blocklists, rspamd and clamd, with their state and a Test button."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext
from ui.pages.settings_form import SettingsPage

__all__ = ["SpamPage"]

GOOD, BAD, QUIET = "#2e9d4f", "#d0312d", "#8a8a8a"


class SpamPage(SettingsPage):
    title = QT_TRANSLATE_NOOP("SpamPage", "Spam & virus")
    settings_keys = ("spam.*", "virus.*")
    intro = QT_TRANSLATE_NOOP(
        "SpamPage",
        "Mail from outside is scored for spam: sender checks (SPF, DKIM, DMARC), DNS "
        "blocklists, the sender's name and address, and rspamd when it is installed. From "
        "the junk score on, mail is marked as spam and filed into the Junk folder; from the "
        "reject score on, it is refused. Viruses (with ClamAV) and the attachment types "
        "below are refused for all mail.")
    sections = (
        (QT_TRANSLATE_NOOP("SpamPage", "Spam scores"),
         ("spam.enabled", "spam.junk_score", "spam.reject_score")),
        (QT_TRANSLATE_NOOP("SpamPage", "DNS blocklists"), ("spam.dnsbl",)),
        (QT_TRANSLATE_NOOP("SpamPage", "rspamd"),
         ("spam.rspamd_url", "spam.rspamd_controller_url", "spam.rspamd_password",
          "spam.rspamd_timeout")),
        (QT_TRANSLATE_NOOP("SpamPage", "Viruses (ClamAV)"),
         ("virus.enabled", "virus.clamd", "virus.on_error", "virus.max_scan_size",
          "virus.timeout")),
        (QT_TRANSLATE_NOOP("SpamPage", "Attachments"), ("virus.blocked_extensions",)),
    )
    labels = {
        "spam.enabled": QT_TRANSLATE_NOOP("SpamPage", "Score mail from outside for spam"),
        "spam.junk_score": QT_TRANSLATE_NOOP("SpamPage", "Junk from score"),
        "spam.reject_score": QT_TRANSLATE_NOOP("SpamPage", "Refuse from score"),
        "spam.dnsbl": QT_TRANSLATE_NOOP("SpamPage", "Blocklists"),
        "spam.rspamd_url": QT_TRANSLATE_NOOP("SpamPage", "Scanner address"),
        "spam.rspamd_controller_url": QT_TRANSLATE_NOOP("SpamPage", "Controller address"),
        "spam.rspamd_password": QT_TRANSLATE_NOOP("SpamPage", "Controller password"),
        "spam.rspamd_timeout": QT_TRANSLATE_NOOP("SpamPage", "Time-out"),
        "virus.enabled": QT_TRANSLATE_NOOP("SpamPage", "Scan every message for viruses"),
        "virus.clamd": QT_TRANSLATE_NOOP("SpamPage", "clamd address"),
        "virus.on_error": QT_TRANSLATE_NOOP("SpamPage", "When clamd cannot be reached"),
        "virus.max_scan_size": QT_TRANSLATE_NOOP("SpamPage", "Largest message scanned"),
        "virus.timeout": QT_TRANSLATE_NOOP("SpamPage", "Time-out"),
        "virus.blocked_extensions": QT_TRANSLATE_NOOP("SpamPage", "Refused file types"),
    }
    choice_words = {"virus.on_error": {
        "defer": QT_TRANSLATE_NOOP("SpamPage",
                                   "Keep mail waiting (451: the sender tries again later)"),
        "accept": QT_TRANSLATE_NOOP("SpamPage", "Accept mail unscanned")}}

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        box = QGroupBox(self.tr("Engines"))
        column = QVBoxLayout(box)
        self.rspamd_state = QLabel()
        self.rspamd_state.setWordWrap(True)
        self.rspamd_state.setAccessibleName(self.tr("rspamd state"))
        self.clamd_state = QLabel()
        self.clamd_state.setWordWrap(True)
        self.clamd_state.setAccessibleName(self.tr("clamd state"))
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet(f"color: {BAD};")
        self.warnings.hide()
        column.addWidget(self.rspamd_state)
        column.addWidget(self.clamd_state)
        column.addWidget(self.warnings)
        row = QHBoxLayout()
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setAccessibleName(self.tr("Test result"))
        row.addWidget(self.test_result, 1)
        self.test_button = QPushButton(self.tr("&Test"))
        self.test_button.setToolTip(self.tr(
            "Ask rspamd and clamd whether they answer (with the saved settings) and scan "
            "the EICAR test file, which clamd must find"))
        self.test_button.clicked.connect(self.test)
        row.addWidget(self.test_button)
        column.addLayout(row)
        self.extra.addWidget(box)
        self.status: dict[str, Any] | None = None
        self.scan: dict[str, Any] | None = None

    def load(self) -> None:
        super().load()
        self.call("spam.show", on_done=self._show_warnings)

    def _show_warnings(self, info: dict[str, Any]) -> None:
        items = info.get("warnings") or []
        self.warnings.setText("\n".join(f"⚠ {w}" for w in items))
        self.warnings.setVisible(bool(items))
        if self.status is None:
            self.rspamd_state.setText(self.tr("rspamd: press Test to see whether it answers."))
            self.clamd_state.setText(self.tr("clamd: press Test to see whether it answers."))

    def test(self) -> None:
        self.test_button.setEnabled(False)
        self.test_result.setText(self.tr("Testing…"))

        def run(c: Any) -> dict[str, Any]:
            status = c.call("spam.status")
            scan = c.call("virus.test")
            return {"status": status, "scan": scan}

        def done(result: dict[str, Any]) -> None:
            self.test_button.setEnabled(True)
            self.status, self.scan = result["status"], result["scan"]
            self._show_status(result["status"], result["scan"])

        def failed(exc: Any) -> None:
            self.test_button.setEnabled(True)
            self.test_result.setText("")
            self.show_error(exc)

        self.job(run, done, failed)

    def _line(self, label: QLabel, text: str, colour: str) -> None:
        label.setText(text)
        label.setStyleSheet(f"color: {colour};")

    def _show_status(self, status: dict[str, Any], scan: dict[str, Any]) -> None:
        r, c = status["rspamd"], status["clamd"]
        if not r["configured"]:
            self._line(self.rspamd_state, self.tr("rspamd: not used (no scanner address); the "
                                                  "built-in checks score alone."), QUIET)
        elif r["reachable"]:
            ctl = status["rspamd_controller"]
            text = self.tr("rspamd: answers at {0}.").format(r["url"])
            if not ctl["reachable"]:
                text += " " + self.tr("Its controller does not ({0}): moving mail into or out "
                                      "of Junk teaches it nothing.").format(ctl["error"])
            self._line(self.rspamd_state, text, GOOD if ctl["reachable"] else BAD)
        else:
            self._line(self.rspamd_state, self.tr("rspamd: does not answer at {0} ({1}).")
                       .format(r["url"], r["error"]), BAD)
        if c["reachable"]:
            text = self.tr("clamd: answers at {0} ({1}).").format(c["address"], c["version"])
            if not c["enabled"]:
                text += " " + self.tr("Virus scanning is off.")
            self._line(self.clamd_state, text, GOOD)
        else:
            self._line(self.clamd_state, self.tr("clamd: does not answer at {0} ({1}).")
                       .format(c["address"], c["error"]), BAD if c["enabled"] else QUIET)
        if scan["status"] == "infected":
            self._line(self.test_result, self.tr("The EICAR test file was found: {0}.")
                       .format(scan["signature"]), GOOD)
        elif scan["status"] == "clean":
            self._line(self.test_result, self.tr("clamd did not find the EICAR test file: its "
                                                 "signatures are missing or out of date."), BAD)
        else:
            self._line(self.test_result, self.tr("No virus test: clamd did not answer."), QUIET)
        self._show_warnings(status)
