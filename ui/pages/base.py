"""The base of every page: load / save / dirty, errors beside fields, calls off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from appliance.control.client import ControlClient
from appliance.state import StateError
from ui.context import AppContext
from ui.widgets import Banner, ErrorLabel

__all__ = ["Page"]


class Page(QWidget):
    title = ""
    dirtyChanged = Signal(bool)
    saved = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.loaded = False
        self._dirty = False
        self._inflight = 0
        self.errors: dict[str, ErrorLabel] = {}
        self.outer = QVBoxLayout(self)
        heading = QLabel(f"<h2>{self.title}</h2>")
        self.outer.addWidget(heading)
        self.banner = Banner()
        self.outer.addWidget(self.banner)
        self.save_button: QPushButton | None = None
        self.revert_button: QPushButton | None = None

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
        self.revert_button = QPushButton("Re&vert")
        self.revert_button.setToolTip("Throw away the changes on this page")
        self.revert_button.clicked.connect(self.revert)
        self.save_button = QPushButton("&Save")
        self.save_button.setToolTip("Save the changes on this page (Ctrl+S)")
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

    def show_error(self, exc: StateError) -> None:
        label = self.errors.get(exc.field or "")
        if label is not None:
            label.show_message(exc.message)
            self.banner.show_message("Not saved: " + exc.message, "error")
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
             on_error: Callable[[StateError], None] | None = None) -> None:
        params = dict(args or {})
        self.job(lambda c: c.call(op, **params), on_done, on_error)

    def job(self, fn: Callable[[ControlClient], Any],
            on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[StateError], None] | None = None) -> None:
        self._inflight += 1

        def done(result: Any) -> None:
            self._inflight -= 1
            if on_done is not None:
                on_done(result)

        def failed(exc: StateError) -> None:
            self._inflight -= 1
            (on_error or self.show_error)(exc)

        self.ctx.api.job(fn, done, failed)
