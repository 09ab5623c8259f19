"""Certificates: the one in use (names, issuer, expiry, fingerprint), Import…, Get from
Let's Encrypt…, Renew now, the expiry warnings, and the ACME settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext
from ui.pages.settings_form import SettingsPage
from ui.widgets import ErrorLabel

__all__ = ["CertificatesPage", "ImportDialog", "AcmeDialog"]


class _FileRow(QWidget):
    """A path field with a Browse… button."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = caption
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.path = QLineEdit()
        self.path.setAccessibleName(caption)
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse)
        row.addWidget(self.path, 1)
        row.addWidget(browse)

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, self.caption, str(Path.home()),
                                              self.tr("PEM files (*.pem *.crt *.key);;"
                                                      "All files (*)"))
        if name:
            self.path.setText(name)


class ImportDialog(QDialog):
    """Choose the certificate, its key and (if apart) the chain; the files are read here."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Import a certificate"))
        column = QVBoxLayout(self)
        intro = QLabel(self.tr("The certificate (PEM, the server's own first) and its private "
                               "key. Both are checked before anything changes: the key must "
                               "belong to the certificate, the chain must be in order, the "
                               "names must cover this server's host name."))
        intro.setWordWrap(True)
        column.addWidget(intro)
        form = QFormLayout()
        self.cert = _FileRow(self.tr("Certificate file"))
        self.key = _FileRow(self.tr("Private key file"))
        self.chain = _FileRow(self.tr("Chain file (optional)"))
        form.addRow(self.tr("&Certificate:"), self.cert)
        form.addRow(self.tr("&Key:"), self.key)
        form.addRow(self.tr("C&hain (optional):"), self.chain)
        column.addLayout(form)
        self.error = ErrorLabel()
        column.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.addButton(self.tr("&Import"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        column.addWidget(buttons)
        self.pem: dict[str, str] = {}

    def _check(self) -> None:
        pem = {}
        for field, row, needed in (("cert_pem", self.cert, True), ("key_pem", self.key, True),
                                   ("chain_pem", self.chain, False)):
            path = row.path.text().strip()
            if not path:
                if needed:
                    self.error.show_message(self.tr("Choose the %s.") % row.caption.lower())
                    return
                continue
            try:
                pem[field] = Path(path).expanduser().read_text(encoding="ascii",
                                                               errors="replace")
            except OSError as exc:
                self.error.show_message(self.tr("Cannot read %1: %2").replace("%1", path)
                                        .replace("%2", exc.strerror or str(exc)))
                return
        self.pem = pem
        self.accept()


class AcmeDialog(QDialog):
    """Ask what Let's Encrypt needs: a contact address and any names besides the host name."""

    def __init__(self, hostname: str, email: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Get a certificate from Let's Encrypt"))
        column = QVBoxLayout(self)
        intro = QLabel(self.tr(
            "Let's Encrypt checks that %1 reaches this server: port 80 opens for the few "
            "seconds of the check (forward it on the router to this box). Where that cannot "
            "work, use the command line: mailroom tls acme issue --dns.").replace(
            "%1", hostname))
        intro.setWordWrap(True)
        column.addWidget(intro)
        form = QFormLayout()
        self.email = QLineEdit(email)
        self.email.setPlaceholderText(self.tr("for expiry notices, e.g. postmaster@…"))
        self.names = QLineEdit()
        self.names.setPlaceholderText(self.tr("other names, separated by commas (optional)"))
        form.addRow(self.tr("&E-mail:"), self.email)
        form.addRow(self.tr("&Other names:"), self.names)
        column.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(self.tr("&Get certificate"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        column.addWidget(buttons)

    def values(self) -> dict[str, Any]:
        names = [n.strip() for n in self.names.text().replace(" ", ",").split(",") if n.strip()]
        return {"email": self.email.text().strip(), "names": names}


class CertificatesPage(SettingsPage):
    title = QT_TRANSLATE_NOOP("CertificatesPage", "Certificates")
    settings_keys = ("tls.*", "acme.*")
    sections = (
        (QT_TRANSLATE_NOOP("CertificatesPage", "Let's Encrypt (ACME)"),
         ("acme.email", "acme.directory", "acme.renew_before_days", "acme.check_interval",
          "acme.http_port", "acme.ca_file")),
        (QT_TRANSLATE_NOOP("CertificatesPage", "Certificate files (advanced)"),
         ("tls.cert", "tls.key")))
    labels = {
        "acme.email": QT_TRANSLATE_NOOP("CertificatesPage", "Contact e-mail"),
        "acme.directory": QT_TRANSLATE_NOOP("CertificatesPage", "CA directory URL"),
        "acme.renew_before_days": QT_TRANSLATE_NOOP("CertificatesPage",
                                                    "Renew days before expiry"),
        "acme.check_interval": QT_TRANSLATE_NOOP("CertificatesPage", "Check for renewal every"),
        "acme.http_port": QT_TRANSLATE_NOOP("CertificatesPage", "HTTP-01 challenge port"),
        "acme.ca_file": QT_TRANSLATE_NOOP("CertificatesPage", "Extra CA for the ACME server"),
        "tls.cert": QT_TRANSLATE_NOOP("CertificatesPage", "Certificate file"),
        "tls.key": QT_TRANSLATE_NOOP("CertificatesPage", "Private key file")}

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.info: dict[str, Any] | None = None
        box = QGroupBox(self.tr("Certificate in use"))
        grid = QFormLayout(box)
        self.fields: dict[str, QLabel] = {}
        for key, label in (("names", self.tr("Names:")), ("issuer", self.tr("Issued by:")),
                           ("valid", self.tr("Valid:")), ("key", self.tr("Key:")),
                           ("fingerprint", self.tr("SHA-256 fingerprint:")),
                           ("renewal", self.tr("Renewal:"))):
            value = QLabel("–")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[key] = value
            grid.addRow(label, value)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b3261e; font-weight: bold")
        self.warning.hide()
        grid.addRow(self.warning)
        buttons = QHBoxLayout()
        self.import_button = QPushButton(self.tr("&Import…"))
        self.import_button.setToolTip(self.tr("Use a certificate and key you have as files"))
        self.import_button.clicked.connect(self.import_certificate)
        self.acme_button = QPushButton(self.tr("Get from Let's &Encrypt…"))
        self.acme_button.setToolTip(self.tr("A free certificate every mail program trusts, "
                                            "renewed by the server itself"))
        self.acme_button.clicked.connect(self.get_from_acme)
        self.renew_button = QPushButton(self.tr("&Renew now"))
        self.renew_button.setToolTip(self.tr("Renew the Let's Encrypt certificate now "
                                             "(it renews itself 30 days before expiry)"))
        self.renew_button.clicked.connect(self.renew_now)
        self.renew_button.setEnabled(False)
        for button in (self.import_button, self.acme_button, self.renew_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        grid.addRow(buttons)
        # Above the settings: what is in use matters more than how it is renewed.
        self.outer.insertWidget(2, box)
        self.busy = False

    # -- loading ----------------------------------------------------------

    def load(self) -> None:
        super().load()
        self.call("tls.show", {}, self._show)

    def _show(self, info: dict[str, Any]) -> None:
        self.info = info
        self.fields["names"].setText(", ".join(info["names"]) or self.tr("(none)"))
        self.fields["issuer"].setText(self.tr("itself (self-signed)") if info["self_signed"]
                                      else info["issuer"])
        state = (self.tr("EXPIRED") if info["expired"]
                 else self.tr("%1 days left").replace("%1", str(info["days_left"])))
        self.fields["valid"].setText(f"{info['not_before'][:10]} – {info['not_after'][:10]} "
                                     f"({state})")
        self.fields["key"].setText(info["key_type"])
        self.fields["fingerprint"].setText(info["fingerprint"])
        acme = info.get("acme")
        if acme:
            self.fields["renewal"].setText(
                self.tr("automatic, from %1, on %2").replace("%1", acme["directory"])
                .replace("%2", acme["renew_at"][:10]))
        else:
            self.fields["renewal"].setText(self.tr("by hand (not from Let's Encrypt)"))
        self.renew_button.setEnabled(bool(acme) and acme.get("method") != "dns-01"
                                     and not self.busy)
        warnings = info.get("warnings") or []
        self.warning.setText("\n".join(f"⚠ {w}" for w in warnings))
        self.warning.setVisible(bool(warnings))

    # -- actions ----------------------------------------------------------

    def _working(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        for button in (self.import_button, self.acme_button):
            button.setEnabled(not busy)
        if busy:
            self.renew_button.setEnabled(False)
            self.banner.show_message(text, "info")

    def _done(self, what: str) -> Any:
        def done(info: dict[str, Any]) -> None:
            self._working(False)
            self._show(info)
            extra = info.get("warnings") or []
            notes = " ".join(self.tr("Note: %1.").replace("%1", w) for w in extra)
            self.banner.show_message(f"{what} {notes}".strip(), "warning" if extra else "info")

        return done

    def _failed(self, exc: Any) -> None:
        self._working(False)
        if self.info is not None:
            self._show(self.info)
        self.banner.show_message(exc.message, "error")

    def import_certificate(self) -> None:
        dialog = ImportDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.import_pem(dialog.pem)

    def import_pem(self, pem: dict[str, str]) -> None:
        self._working(True, self.tr("Checking and installing the certificate…"))
        self.call("tls.import", pem, self._done(self.tr("Certificate imported and in use.")),
                  self._failed)

    def get_from_acme(self) -> None:
        email = ""
        if self.form is not None and "acme.email" in self.form.fields:
            email = str(self.form.fields["acme.email"].value() or "")
        hostname = self.info["names"][0] if self.info and self.info["names"] else ""
        dialog = AcmeDialog(hostname, email, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.issue(dialog.values())

    def issue(self, values: dict[str, Any]) -> None:
        self._working(True, self.tr("Asking Let's Encrypt… (port 80 is open for the check)"))
        self.call("tls.acme.issue", values,
                  self._done(self.tr("New certificate in use; it renews itself.")),
                  self._failed)

    def renew_now(self) -> None:
        self._working(True, self.tr("Renewing…"))
        self.call("tls.acme.renew", {}, self._done(self.tr("Certificate renewed and in use.")),
                  self._failed)
