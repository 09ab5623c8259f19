"""Backups: destination, daily schedule and rotation, the encryption key, the archives with
age and size, Back up now with a progress bar, Verify, and a Restore wizard.

Every action is a control operation; a backup, verify or restore runs as a job
in the daemon (or in-process without one), and the progress bar follows it by
asking ``backup.status`` from the worker thread and by the daemon's ``backup`` events.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QTime, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ui.context import AppContext
from ui.models import human_size
from ui.pages.base import Page

__all__ = ["BackupsPage", "KeyDialog", "RestoreWizard", "age_words"]

COLUMNS = (QT_TRANSLATE_NOOP("BackupsPage", "Backup"), QT_TRANSLATE_NOOP("BackupsPage", "Made"),
           QT_TRANSLATE_NOOP("BackupsPage", "Age"), QT_TRANSLATE_NOOP("BackupsPage", "Size"),
           QT_TRANSLATE_NOOP("BackupsPage", "Encrypted"))


def age_words(page: QWidget, seconds: float) -> str:
    if seconds < 3600:
        return page.tr("{0} min").format(int(seconds // 60))
    if seconds < 2 * 86400:
        return page.tr("{0} h").format(f"{seconds / 3600:.1f}")
    return page.tr("{0} days").format(f"{seconds / 86400:.1f}")


class KeyDialog(QDialog):
    """The new secret key, shown once: copy it, save it to a USB stick, or print it."""

    def __init__(self, identity: str, recipient: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Backup key — shown once"))
        self.text = (f"# Mailroom backup key, made {time.strftime('%Y-%m-%d %H:%M')}\n"
                     f"# public key: {recipient}\n{identity}\n")
        layout = QVBoxLayout(self)
        warning = QLabel(self.tr(
            "Backups are now encrypted to this key. It is shown only this once and is not "
            "kept on this computer: save it to a USB stick or print it, and keep it away "
            "from this box. Without it the backups cannot be read."))
        warning.setWordWrap(True)
        layout.addWidget(warning)
        self.view = QPlainTextEdit(self.text)
        self.view.setReadOnly(True)
        self.view.setAccessibleName(self.tr("Backup key"))
        layout.addWidget(self.view)
        buttons = QDialogButtonBox()
        self.copy_button = buttons.addButton(self.tr("&Copy"),
                                             QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button = buttons.addButton(self.tr("&Save to file…"),
                                             QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.tr("I have kept it &safe"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.copy_button.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.text))
        self.save_button.clicked.connect(self._save)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.resize(640, 260)

    def _save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Save the backup key"),
                                              "mailroom-backup-key.txt")
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> None:
        import os

        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(self.text)


class _KeyField(QWidget):
    """Where an encrypted archive's key comes from: pasted, or read from a file."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setPlaceholderText("AGE-SECRET-KEY-1…")
        self.edit.setAccessibleName(self.tr("Backup key"))
        browse = QPushButton(self.tr("From &file…"))
        browse.clicked.connect(self._browse)
        row.addWidget(self.edit, 1)
        row.addWidget(browse)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("The backup key file"))
        if path:
            try:
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
            except OSError:
                return
            key = next((ln.strip() for ln in text.splitlines()
                        if ln.strip().startswith("AGE-SECRET-KEY-")), "")
            self.edit.setText(key)

    def key(self) -> str:
        return self.edit.text().strip()


class RestoreWizard(QWizard):
    """Archive → key (when encrypted) → new data folder → restore with progress."""

    def __init__(self, page: BackupsPage, archive: dict[str, Any] | None) -> None:
        super().__init__(page)
        self.page_ = page
        self.setWindowTitle(self.tr("Restore a backup"))
        self.archive = archive
        self.done_info: dict[str, Any] | None = None

        first = QWizardPage()
        first.setTitle(self.tr("Which backup"))
        form = QFormLayout(first)
        self.archive_edit = QLineEdit(archive["path"] if archive else "")
        self.archive_edit.setAccessibleName(self.tr("Backup file"))
        pick = QPushButton(self.tr("&Choose…"))
        pick.clicked.connect(self._choose)
        row = QHBoxLayout()
        row.addWidget(self.archive_edit, 1)
        row.addWidget(pick)
        form.addRow(self.tr("Backup file:"), row)
        self.key_field = _KeyField()
        form.addRow(self.tr("Key (encrypted backups):"), self.key_field)
        self.addPage(first)

        second = QWizardPage()
        second.setTitle(self.tr("Where to"))
        form2 = QFormLayout(second)
        hint = QLabel(self.tr(
            "The backup becomes a new, working data directory in an empty folder; the one "
            "in use is not touched. Start Mailroom on it with: mailroom --data-dir FOLDER "
            "serve (or move it into place while Mailroom is stopped)."))
        hint.setWordWrap(True)
        form2.addRow(hint)
        self.target = QLineEdit()
        self.target.setAccessibleName(self.tr("New data folder"))
        form2.addRow(self.tr("New data folder:"), self.target)
        self.addPage(second)

        third = QWizardPage()
        third.setTitle(self.tr("Restoring"))
        col = QVBoxLayout(third)
        self.progress = QProgressBar()
        self.result = QLabel()
        self.result.setWordWrap(True)
        col.addWidget(self.progress)
        col.addWidget(self.result)
        self.addPage(third)
        self.currentIdChanged.connect(self._entered)

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a backup"),
                                              filter="Mailroom backups (mailroom-*.tar.zst*)")
        if path:
            self.archive_edit.setText(path)

    def _entered(self, page_id: int) -> None:
        if page_id == 2:
            self.start()

    def start(self) -> None:
        args = {"archive": self.archive_edit.text().strip(),
                "data_dir": self.target.text().strip(), "identity": self.key_field.key()}
        self.result.setText(self.tr("Restoring…"))
        self.page_.run_job("backup.restore", args, self._finished, self.progress)

    def _finished(self, job: dict[str, Any]) -> None:
        if job["state"] == "done":
            info = job["result"]
            self.done_info = info
            self.result.setText(self.tr(
                "Restored {0} files into {1}. Start Mailroom on it with: mailroom --data-dir "
                "{1} serve").format(info["files"], info["data_dir"]))
        else:
            self.result.setText(self.tr("Not restored: {0}").format(job.get("error", "")))


class BackupsPage(Page):
    title = QT_TRANSLATE_NOOP("BackupsPage", "Backups")
    settings_keys = ("backup.*",)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        box = QGroupBox(self.tr("Where and when"))
        form = QFormLayout(box)
        self.destination = QLineEdit()
        self.destination.setAccessibleName(self.tr("Backup folder"))
        self.destination.setPlaceholderText(self.tr("a USB disk or a NAS mount, e.g. "
                                                    "/media/usb/backups"))
        browse = QPushButton(self.tr("&Browse…"))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.destination, 1)
        row.addWidget(browse)
        form.addRow(self.tr("Backup folder:"), row)
        form.addRow("", self.error_label("backup.destination"))
        self.daily = QCheckBox(self.tr("Back up every day at"))
        self.at = QTimeEdit()
        self.at.setDisplayFormat("HH:mm")
        self.at.setAccessibleName(self.tr("Backup time"))
        when = QHBoxLayout()
        when.addWidget(self.daily)
        when.addWidget(self.at)
        when.addStretch(1)
        form.addRow(self.tr("Schedule:"), when)
        form.addRow("", self.error_label("backup.time"))
        self.keep_daily = QSpinBox()
        self.keep_daily.setRange(1, 365)
        self.keep_weekly = QSpinBox()
        self.keep_weekly.setRange(0, 520)
        keep = QHBoxLayout()
        keep.addWidget(self.keep_daily)
        keep.addWidget(QLabel(self.tr("daily and")))
        keep.addWidget(self.keep_weekly)
        keep.addWidget(QLabel(self.tr("weekly backups")))
        keep.addStretch(1)
        form.addRow(self.tr("Keep:"), keep)
        form.addRow("", self.error_label("backup.keep_daily", "backup.keep_weekly"))
        self.encryption = QLabel()
        self.encryption.setWordWrap(True)
        self.key_button = QPushButton(self.tr("Make encryption &key…"))
        self.key_button.setToolTip(self.tr("Encrypt backups from now on; the key is shown once"))
        self.key_button.clicked.connect(self.make_key)
        crypt = QHBoxLayout()
        crypt.addWidget(self.encryption, 1)
        crypt.addWidget(self.key_button)
        form.addRow(self.tr("Encryption:"), crypt)
        self.outer.addWidget(box)
        self.outer.addLayout(self.save_buttons())
        for signal in (self.destination.textEdited, self.daily.toggled, self.at.timeChanged,
                       self.keep_daily.valueChanged, self.keep_weekly.valueChanged):
            signal.connect(self.mark_dirty)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName(self.tr("Backups"))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.outer.addWidget(self.table, 1)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.outer.addWidget(self.status)
        actions = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setAccessibleName(self.tr("Progress"))
        actions.addWidget(self.progress, 1)
        self.now_button = QPushButton(self.tr("Back up &now"))
        self.now_button.clicked.connect(self.back_up_now)
        self.verify_button = QPushButton(self.tr("Verif&y"))
        self.verify_button.setToolTip(self.tr("Unpack the selected backup into a scratch "
                                              "folder and check every file"))
        self.verify_button.clicked.connect(lambda: self.verify_selected())
        self.restore_button = QPushButton(self.tr("&Restore…"))
        self.restore_button.clicked.connect(self.open_restore)
        for button in (self.now_button, self.verify_button, self.restore_button):
            actions.addWidget(button)
        self.outer.addLayout(actions)
        self.info: dict[str, Any] = {}
        self.archives: list[dict[str, Any]] = []
        self.job_state = "idle"
        self.last_job: dict[str, Any] = {}
        self.key_dialog: KeyDialog | None = None
        self.wizard: RestoreWizard | None = None
        self._poll = QTimer(self)
        self._poll.setInterval(300)
        self._poll.timeout.connect(self._ask_job)
        self._follow: tuple[Any, QProgressBar] | None = None
        self._asking = False

    # -- loading ----------------------------------------------------------

    def load(self) -> None:
        self.call("backup.show", {}, self._fill)

    def _fill(self, info: dict[str, Any]) -> None:
        self.info = info
        self._filling = True
        try:
            self.destination.setText(info["destination_setting"])
            self.destination.setPlaceholderText(
                self.tr("empty: {0} (on this disk; better a USB disk or a NAS)").format(
                    info["destination"]))
            self.daily.setChecked(bool(info["time"]))
            self.at.setTime(QTime.fromString(info["time"] or "02:30", "HH:mm"))
            self.keep_daily.setValue(info["keep_daily"])
            self.keep_weekly.setValue(info["keep_weekly"])
        finally:
            self._filling = False
        if info["recipient"]:
            self.encryption.setText(self.tr("Encrypted to {0}…").format(info["recipient"][:16]))
            self.key_button.setText(self.tr("New encryption &key…"))
        else:
            self.encryption.setText(self.tr("Not encrypted: anyone holding the backup disk "
                                            "can read every mailbox."))
        self.archives = info["archives"]
        self.table.setRowCount(len(self.archives))
        for row, a in enumerate(self.archives):
            made = time.strftime("%Y-%m-%d %H:%M", time.localtime(a["created"]))
            cells = (a["name"], made, age_words(self, a["age"]), human_size(a["size"]),
                     self.tr("yes") if a["encrypted"] else self.tr("no"))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 3:
                    item.setToolTip(f"{a['size']} bytes")
                self.table.setItem(row, col, item)
        if self.archives and not self.table.selectedItems():
            self.table.selectRow(0)
        lines = list(info["warnings"])
        if not self.archives:
            lines.append(self.tr("No backups yet."))
        self.status.setText("\n".join(f"⚠ {w}" if w in info["warnings"] else w for w in lines))
        job = info.get("job") or {}
        if job.get("state") == "running" and self._follow is None:
            self._follow = (None, self.progress)
            self._poll.start()
        self.set_dirty(False)
        self.loaded = True

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, self.tr("Backup folder"),
                                                self.destination.text())
        if path:
            self.destination.setText(path)
            self.mark_dirty()

    # -- saving -----------------------------------------------------------

    def save(self) -> None:
        self.clear_errors()
        args = {"destination": self.destination.text().strip(),
                "time": self.at.time().toString("HH:mm") if self.daily.isChecked() else "",
                "keep_daily": self.keep_daily.value(), "keep_weekly": self.keep_weekly.value()}

        def done(info: dict[str, Any]) -> None:
            self.banner.show_message(self.tr("Saved."), "info")
            self._fill(info)

        self.call("backup.schedule", args, done)

    # -- the encryption key -------------------------------------------------

    def make_key(self) -> None:
        replace = bool(self.info.get("recipient"))
        question = (self.tr("Make a new key? Backups made so far still need the old one.")
                    if replace else
                    self.tr("Encrypt backups from now on? The key is shown once: have a USB "
                            "stick or a printer ready."))
        if not self.ctx.confirm(self, self.tr("Backup key"), question):
            return

        def done(info: dict[str, Any]) -> None:
            self.key_dialog = KeyDialog(info["identity"], info["recipient"], self)
            self.key_dialog.show()
            self.load()

        self.call("backup.key", {"replace": replace}, done)

    # -- jobs -------------------------------------------------------------

    def run_job(self, op: str, args: dict[str, Any], on_finished: Any,
                bar: QProgressBar) -> None:
        """Start a job and follow it on ``bar``; ``on_finished(job)`` when it ends."""
        bar.setValue(0)
        self._set_busy(True)

        def started(job: dict[str, Any]) -> None:
            self.job_state = "running"
            self._follow = (on_finished, bar)
            self._poll.start()

        def refused(exc: Any) -> None:
            self._set_busy(False)
            self.show_error(exc)
            on_finished({"state": "failed", "error": exc.message})

        self.call(op, args, started, refused)

    def _set_busy(self, busy: bool) -> None:
        for button in (self.now_button, self.verify_button, self.restore_button):
            button.setEnabled(not busy)

    def _ask_job(self) -> None:
        if self._asking:
            return
        self._asking = True

        def done(job: dict[str, Any]) -> None:
            self._asking = False
            self._progress(job)

        def failed(exc: Any) -> None:
            self._asking = False

        self.call("backup.status", {}, done, failed)

    def on_event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "backup" and self._follow is not None:
            self._progress(event)

    def _progress(self, job: dict[str, Any]) -> None:
        if self._follow is None:
            return
        on_finished, bar = self._follow
        if job.get("total"):
            bar.setValue(int(job["done"] * 100 // max(1, job["total"])))
        if job.get("state") == "running":
            where = job.get("path") or ""
            self.status.setText(self.tr("{0}: {1}% {2}").format(
                job.get("kind", ""), bar.value(), where[-60:]))
            return
        if job.get("result") is None and job.get("state") == "done":
            return  # an event without the result: the next poll brings it
        self._poll.stop()
        self._follow = None
        self.job_state = job.get("state", "idle")
        self.last_job = job
        self._set_busy(False)
        if job.get("state") == "done":
            bar.setValue(100)
        self.status.setText("")
        if on_finished is not None:
            on_finished(job)
        self.load()  # the list, its ages and the warnings as they are now

    def back_up_now(self) -> None:
        def finished(job: dict[str, Any]) -> None:
            if job["state"] == "done":
                result = job["result"]
                self.banner.show_message(self.tr("Backed up into {0} ({1}).").format(
                    result["archive"], human_size(result["size"])), "info")
            else:
                self.banner.show_message(self.tr("The backup failed: {0}").format(
                    job.get("error", "")), "error")

        self.run_job("backup.now", {}, finished, self.progress)

    def selected(self) -> dict[str, Any] | None:
        rows = {i.row() for i in self.table.selectedItems()}
        return self.archives[min(rows)] if rows else None

    def verify_selected(self, identity: str | None = None) -> None:
        archive = self.selected()
        if archive is None:
            self.banner.show_message(self.tr("Choose a backup in the list first."), "error")
            return
        if archive["encrypted"] and identity is None:
            identity = self._ask_key()
            if identity is None:
                return

        def finished(job: dict[str, Any]) -> None:
            result = job.get("result") or {}
            if job["state"] == "done" and result.get("ok"):
                self.banner.show_message(self.tr(
                    "{0} is whole: {1} files match the manifest and every database passes "
                    "its integrity check.").format(archive["name"], result["files"]), "info")
            elif job["state"] == "done":
                bad = "; ".join(f"{b['path']}: {b['problem']}" for b in result["bad"][:3])
                self.banner.show_message(self.tr("{0} is damaged: {1}").format(
                    archive["name"], bad), "error")
            else:
                self.banner.show_message(self.tr("Could not verify: {0}").format(
                    job.get("error", "")), "error")

        self.run_job("backup.verify", {"archive": archive["path"], "identity": identity or ""},
                     finished, self.progress)

    def _ask_key(self) -> str | None:
        dialog = QDialog(self)
        dialog.setWindowTitle(self.tr("Backup key"))
        layout = QVBoxLayout(dialog)
        layout.addWidget(QLabel(self.tr("This backup is encrypted: give its key.")))
        field = _KeyField()
        layout.addWidget(field)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        layout.addWidget(buttons)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return field.key()

    def open_restore(self) -> None:
        self.wizard = RestoreWizard(self, self.selected())
        self.wizard.show()
