"""ISP relay (smarthost): where outside mail goes, how to log in, and a test message."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext
from ui.pages.settings_form import SettingsPage

__all__ = ["SmarthostPage"]


class SmarthostPage(SettingsPage):
    title = QT_TRANSLATE_NOOP("SmarthostPage", "ISP relay")
    settings_keys = ("smarthost.*",)
    intro = QT_TRANSLATE_NOOP(
        "SmarthostPage",
        "Many internet providers block mail sent straight from an office line. Then all "
        "outside mail goes through the provider's relay (a smarthost), logged in with the "
        "account the provider gave you. Leave the host empty to deliver directly.",
    )
    sections = (
        (
            QT_TRANSLATE_NOOP("SmarthostPage", "Relay"),
            ("smarthost.host", "smarthost.port", "smarthost.tls", "smarthost.verify"),
        ),
        (
            QT_TRANSLATE_NOOP("SmarthostPage", "Log in"),
            ("smarthost.username", "smarthost.password"),
        ),
    )
    labels = {
        "smarthost.host": QT_TRANSLATE_NOOP("SmarthostPage", "Host"),
        "smarthost.port": QT_TRANSLATE_NOOP("SmarthostPage", "Port"),
        "smarthost.tls": QT_TRANSLATE_NOOP("SmarthostPage", "Security"),
        "smarthost.verify": QT_TRANSLATE_NOOP("SmarthostPage", "Check the relay's TLS certificate"),
        "smarthost.username": QT_TRANSLATE_NOOP("SmarthostPage", "User name"),
        "smarthost.password": QT_TRANSLATE_NOOP("SmarthostPage", "Password"),
    }
    choice_words = {
        "smarthost.tls": {
            "starttls": QT_TRANSLATE_NOOP("SmarthostPage", "STARTTLS (usually port 587)"),
            "implicit": QT_TRANSLATE_NOOP("SmarthostPage", "TLS (usually port 465)"),
            "none": QT_TRANSLATE_NOOP(
                "SmarthostPage", "None: plain text (only inside a trusted network)"
            ),
        }
    }

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        box = QGroupBox(self.tr("Send a test message"))
        column = QVBoxLayout(box)
        row = QHBoxLayout()
        label = QLabel(self.tr("T&o:"))
        self.test_to = QLineEdit()
        self.test_to.setPlaceholderText(self.tr("an address outside this server, e.g. your own"))
        label.setBuddy(self.test_to)
        self.test_button = QPushButton(self.tr("Send &test message"))
        self.test_button.setToolTip(
            self.tr(
                "Sends one message through the relay with the values "
                "above, saved or not, and shows the relay's answer"
            )
        )
        self.test_button.clicked.connect(self.send_test)
        self.test_to.returnPressed.connect(self.send_test)
        row.addWidget(label)
        row.addWidget(self.test_to, 1)
        row.addWidget(self.test_button)
        column.addLayout(row)
        column.addWidget(self.error_label("recipient"))
        self.test_result = QPlainTextEdit()
        self.test_result.setReadOnly(True)
        self.test_result.setMaximumHeight(90)
        self.test_result.setAccessibleName(self.tr("Test result"))
        self.test_result.hide()
        column.addWidget(self.test_result)
        self.extra.addWidget(box)
        self.test_reply: dict[str, Any] | None = None

    def send_test(self) -> None:
        if self.form is None:
            return
        self.clear_errors()
        args: dict[str, Any] = {"recipient": self.test_to.text().strip()}
        for key, field in self.form.fields.items():
            args[key.split(".", 1)[1]] = field.value()
        self.test_button.setEnabled(False)
        self.test_result.setPlainText(self.tr("Sending…"))
        self.test_result.show()

        def done(result: dict[str, Any]) -> None:
            self.test_button.setEnabled(True)
            self.test_reply = result
            head = (
                self.tr("The relay accepted the message: {0}")
                if result["ok"]
                else self.tr("Not sent: {0}")
            ).format(result["reply"])
            self.test_result.setPlainText("\n".join([head, *result.get("steps", [])]))
            self.banner.show_message(head, "info" if result["ok"] else "error")

        def failed(exc: Any) -> None:
            self.test_button.setEnabled(True)
            self.test_result.hide()
            self.show_error(exc)

        self.call("smarthost.test", args, done, failed)
