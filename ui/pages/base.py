"""The base of every page: load / save / dirty, errors beside fields, calls off the GUI thread.

A page that edits declares its unsaved state with ``set_dirty``; ``leave(then)``
is the one guard: it asks Save / Discard / Cancel (``ctx.ask_unsaved``) and
runs ``then`` once the edits are saved or thrown away. The window calls it on
a page change, F5 and closing; list pages call it before another row shows.
A page lists the settings it shows in ``settings_keys`` (a test checks that
every setting of the schema is on some page).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from appliance.control.client import ControlClient
from appliance.control.types import ControlError
from ui.context import AppContext
from ui.widgets import Banner, ErrorLabel

__all__ = ["Page"]


class Page(QWidget):
    title = ""
    # The settings (keys, or "prefix.*") this page lets the admin change.
    settings_keys: tuple[str, ...] = ()
    dirtyChanged = Signal(bool)
    saved = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.loaded = False
        self._dirty = False
        self._inflight = 0
        self._after_save: list[Callable[[], None]] = []
        self.errors: dict[str, ErrorLabel] = {}
        self.outer = QVBoxLayout(self)
        heading = QLabel(f"<h2>{self.display_title()}</h2>")
        self.outer.addWidget(heading)
        self.banner = Banner()
        self.outer.addWidget(self.banner)
        self.save_button: QPushButton | None = None
        self.revert_button: QPushButton | None = None

    def display_title(self) -> str:
        """The title in the admin's language (``title`` is the English source)."""
        return QCoreApplication.translate(type(self).__name__, self.title)

    # -- life cycle -------------------------------------------------------

    def activate(self) -> None:
        """The page was shown: load it the first time, refresh it when clean."""
        if not self.loaded or not self._dirty:
            self.load()

    def load(self) -> None:
        raise NotImplementedError

    def save(self) -> None:
        """Write the page's changes; pages without edits have nothing to save."""
        self.set_dirty(False)

    def revert(self) -> None:
        self.clear_errors()
        self.set_dirty(False)
        self.load()

    def refresh(self) -> None:
        """F5: load again, after asking what to do with unsaved edits."""
        self.leave(self.load, reload=False)

    def leave(self, then: Callable[[], None], *, reload: bool = True) -> str:
        """Run ``then`` once this page's edits are saved or discarded.

        Returns "done" (``then`` ran), "pending" (saving; ``then`` runs when
        the save succeeds, not at all when it fails) or "cancel" (the admin
        stays). ``reload``: discarding reloads the page (else the caller
        refills it, e.g. with another row).
        """
        if not self._dirty:
            then()
            return "done"
        answer = self.ctx.ask_unsaved(self)
        if answer == "discard":
            if reload:
                self.revert()
            else:
                self.clear_errors()
                self.set_dirty(False)
            then()
            return "done"
        if answer == "save":
            ran: list[bool] = []

            def after() -> None:
                ran.append(True)
                then()

            self._after_save.append(after)
            self.save()
            if ran:
                return "done"
            return "pending" if after in self._after_save else "cancel"
        return "cancel"

    def on_event(self, event: dict[str, Any]) -> None:
        """An event from the daemon's stream (for live pages)."""

    def on_daemon(self, state: str) -> None:
        """The daemon went up or down."""

    # -- dirty ------------------------------------------------------------

    def is_dirty(self) -> bool:
        return self._dirty

    def set_dirty(self, dirty: bool = True) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirtyChanged.emit(dirty)
        if not dirty and self._after_save:
            waiting, self._after_save = self._after_save, []
            for then in waiting:
                then()
        if self.save_button is not None:
            self.save_button.setEnabled(dirty)
        if self.revert_button is not None:
            self.revert_button.setEnabled(dirty)

    def mark_dirty(self, *_: Any) -> None:
        if self.loaded and not getattr(self, "_filling", False):
            self.set_dirty(True)

    def save_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addStretch(1)
        self.revert_button = QPushButton(self.tr("Re&vert"))
        self.revert_button.setToolTip(self.tr("Throw away the changes on this page"))
        self.revert_button.clicked.connect(self.revert)
        self.save_button = QPushButton(self.tr("&Save"))
        self.save_button.setToolTip(self.tr("Save the changes on this page (Ctrl+S)"))
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        row.addWidget(self.revert_button)
        row.addWidget(self.save_button)
        self.save_button.setEnabled(False)
        self.revert_button.setEnabled(False)
        return row

    def editor_pane(self, editor: QWidget) -> QWidget:
        """The right-hand side of a list page: the editor, then Revert and Save at the foot."""
        pane = QWidget()
        column = QVBoxLayout(pane)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(editor)
        column.addStretch(1)
        column.addLayout(self.save_buttons())
        return pane

    # -- errors -----------------------------------------------------------

    def error_label(self, *fields: str) -> ErrorLabel:
        label = ErrorLabel()
        for f in fields:
            self.errors[f] = label
        return label

    def show_error(self, exc: ControlError) -> None:
        """A refusal in place: beside its field when the page has one, else in the banner."""
        self._after_save.clear()  # a failed save: whoever waited on it stays put
        label = self.errors.get(exc.field or "")
        if label is not None:
            label.show_message(exc.message)
            self.banner.show_message(self.tr("Not saved: ") + exc.message, "error")
        else:
            self.banner.show_message(exc.message, "error")

    def clear_errors(self) -> None:
        for label in set(self.errors.values()):
            label.show_message("")
        self.banner.show_message("")

    def field_error(self, field: str) -> str:
        label = self.errors.get(field)
        return label.text() if label is not None and label.isVisible() else ""

    # -- calls ------------------------------------------------------------

    @property
    def idle(self) -> bool:
        return self._inflight == 0

    def call(self, op: str, args: dict[str, Any] | None = None,
             on_done: Callable[[Any], None] | None = None,
             on_error: Callable[[ControlError], None] | None = None) -> None:
        """Run operation ``op`` off the GUI thread; a refusal is shown in place unless
        ``on_error`` takes it."""
        params = dict(args or {})
        self.job(lambda c: c.call(op, **params), on_done, on_error)

    def job(self, fn: Callable[[ControlClient], Any],
            on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[ControlError], None] | None = None) -> None:
        self._inflight += 1

        def done(result: Any) -> None:
            self._inflight -= 1
            if on_done is not None:
                on_done(result)

        def failed(exc: ControlError) -> None:
            self._inflight -= 1
            self._after_save.clear()
            (on_error or self.show_error)(exc)

        self.ctx.api.job(fn, done, failed)
