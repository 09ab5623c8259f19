"""Settings forms built from the settings schema (the ``settings.schema`` operation).

``SettingsForm`` turns a list of ``SettingSpec`` into fields: a check box for
yes/no, a spin box with its unit and range for numbers, a list of choices, a
line for text and lists, a password field that never shows the stored
value. Each field has one line of help and an error label where the
server's refusal appears. ``SettingsPage`` is a whole page of such fields:
a subclass names its ``title``, ``settings_keys`` (keys or "prefix.*") and,
when it likes, sections, labels and words for choices.
"""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from appliance.control.client import ControlClient
from appliance.control.types import SettingSpec
from ui.context import AppContext
from ui.models import human_size
from ui.pages.base import Page

__all__ = ["SettingsForm", "SettingsPage", "expand_keys", "human_duration", "key_label"]

INT_MAX = 2_147_483_647


def expand_keys(patterns: tuple[str, ...] | list[str], known: list[str]) -> list[str]:
    """The known keys that ``patterns`` ("smtp.timeout", "smarthost.*") name, in schema order."""
    return [k for k in known if any(fnmatchcase(k, p) for p in patterns)]


def key_label(key: str) -> str:
    """A label made from the key when the page gives none: "smtp.max_errors" -> "Max errors"."""
    last = key.rsplit(".", 1)[-1].replace("_", " ")
    return last[:1].upper() + last[1:]


def human_duration(seconds: int) -> str:
    if seconds <= 0:
        return ""
    translate = QCoreApplication.translate
    for size, one, many in (
        (86400, translate("SettingsForm", "{0} day"), translate("SettingsForm", "{0} days")),
        (3600, translate("SettingsForm", "{0} hour"), translate("SettingsForm", "{0} hours")),
        (60, translate("SettingsForm", "{0} minute"), translate("SettingsForm", "{0} minutes")),
    ):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return (one if n == 1 else many).format(n)
    if seconds >= 3600:
        return translate("SettingsForm", "{0} hours").format(f"{seconds / 3600:.1f}")
    if seconds >= 60:
        return translate("SettingsForm", "{0} minutes").format(f"{seconds / 60:.1f}")
    return ""


class _Field:
    """One setting's editor: its widget, how to read and fill it, its help and error line."""

    def __init__(
        self,
        spec: SettingSpec,
        label: str,
        choice_words: dict[str, str],
        changed: Callable[..., None],
    ) -> None:
        self.spec = spec
        self.original: Any = None
        self.hint: QLabel | None = None
        self.widget: QWidget
        if spec.type == "bool":
            box = QCheckBox(label)
            box.toggled.connect(changed)
            self.widget = box
        elif spec.choices:
            combo = QComboBox()
            for choice in spec.choices:
                combo.addItem(choice_words.get(choice, choice), choice)
            combo.currentIndexChanged.connect(changed)
            self.widget = combo
        elif spec.type == "int":
            spin = QSpinBox()
            low = spec.minimum if spec.minimum is not None else 0
            spin.setRange(low, spec.maximum if spec.maximum is not None else INT_MAX)
            suffix = {
                "s": " s",
                "ms": " ms",
                "bytes": " " + QCoreApplication.translate("SettingsForm", "bytes"),
            }.get(spec.unit, "")
            spin.setSuffix(suffix)
            spin.setGroupSeparatorShown(spec.unit == "bytes")
            if low == 0 and "0: never" in spec.help:
                spin.setSpecialValueText(QCoreApplication.translate("SettingsForm", "never"))
            spin.valueChanged.connect(changed)
            if spec.unit in ("s", "bytes"):
                self.hint = QLabel()
                spin.valueChanged.connect(self._show_hint)
            self.widget = spin
        else:
            line = QLineEdit()
            if spec.secret:
                line.setEchoMode(QLineEdit.EchoMode.Password)
            elif spec.type == "list":
                line.setPlaceholderText(
                    QCoreApplication.translate("SettingsForm", "comma separated")
                )
            line.textEdited.connect(changed)
            self.widget = line
        self.widget.setObjectName(spec.key)
        self.widget.setAccessibleName(label)
        tip = QCoreApplication.translate("SettingsForm", "Default: {0}").format(
            self._shown(spec.default)
        )
        if spec.minimum is not None or spec.maximum is not None:
            tip += "\n" + QCoreApplication.translate("SettingsForm", "Range: {0} to {1}").format(
                spec.minimum if spec.minimum is not None else 0,
                spec.maximum if spec.maximum is not None else "∞",
            )
        self.widget.setToolTip(f"{spec.key}\n{tip}")

    def _shown(self, value: Any) -> str:
        if self.spec.secret:
            return QCoreApplication.translate("SettingsForm", "(hidden)")
        if isinstance(value, bool):
            return (
                QCoreApplication.translate("SettingsForm", "yes")
                if value
                else QCoreApplication.translate("SettingsForm", "no")
            )
        if isinstance(value, list):
            return ", ".join(value) or QCoreApplication.translate("SettingsForm", "(none)")
        if self.spec.unit == "bytes" and isinstance(value, int):
            return f"{value} bytes ({human_size(value)})"
        if self.spec.unit == "s" and isinstance(value, int):
            words = human_duration(value)
            return f"{value} s" + (f" ({words})" if words else "")
        return str(value) if value != "" else QCoreApplication.translate("SettingsForm", "(empty)")

    def _show_hint(self, value: int) -> None:
        if self.hint is None:
            return
        if self.spec.unit == "bytes":
            self.hint.setText(f"= {human_size(value)}" if value >= 1024 else "")
        else:
            words = human_duration(value)
            self.hint.setText(f"= {words}" if words else "")

    def fill(self, value: Any) -> None:
        self.original = value
        w = self.widget
        if isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            w.setCurrentIndex(max(0, w.findData(value)))
        elif isinstance(w, QSpinBox):
            w.setValue(int(value))
            self._show_hint(int(value))
        elif isinstance(w, QLineEdit):
            if self.spec.secret:
                # Never the stored value: only whether there is one.
                w.clear()
                w.setPlaceholderText(
                    QCoreApplication.translate(
                        "SettingsForm", "stored; type a new one to replace it"
                    )
                    if value
                    else QCoreApplication.translate("SettingsForm", "not set")
                )
            else:
                w.setText(", ".join(value) if isinstance(value, list) else str(value))

    def value(self) -> Any:
        w = self.widget
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QSpinBox):
            return w.value()
        assert isinstance(w, QLineEdit)
        text = w.text().strip() if not self.spec.secret else w.text()
        if self.spec.type == "list":
            return [v.strip() for v in text.replace(" ", ",").split(",") if v.strip()]
        return text

    def changed(self) -> bool:
        if self.spec.secret:
            return bool(self.value())
        return bool(self.value() != self.original)


class SettingsForm(QWidget):
    """Fields for some settings, in sections; ``values()`` gives what changed."""

    edited = Signal()

    def __init__(
        self,
        page: Page,
        specs: list[SettingSpec],
        sections: list[tuple[str, list[str]]] | None = None,
        labels: dict[str, str] | None = None,
        choice_words: dict[str, dict[str, str]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.fields: dict[str, _Field] = {}
        by_key = {s.key: s for s in specs}
        labels = labels or {}
        choice_words = choice_words or {}
        if not sections:
            sections = [("", [s.key for s in specs])]
        placed = {k for _, keys in sections for k in keys}
        rest = [s.key for s in specs if s.key not in placed]
        if rest:
            sections = [*sections, (QCoreApplication.translate("SettingsForm", "Other"), rest)]
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        for title, keys in sections:
            keys = [k for k in keys if k in by_key]
            if not keys:
                continue
            box = QGroupBox(title) if title else QWidget()
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
            for key in keys:
                spec = by_key[key]
                label = labels.get(key) or key_label(key)
                field = _Field(spec, label, choice_words.get(key, {}), self._edited)
                self.fields[key] = field
                cell = QVBoxLayout()
                cell.setSpacing(1)
                row = QHBoxLayout()
                row.addWidget(field.widget, 1 if spec.type in ("str", "list") else 0)
                if field.hint is not None:
                    row.addWidget(field.hint)
                row.addStretch(0 if spec.type in ("str", "list") else 1)
                cell.addLayout(row)
                if spec.help:
                    help_label = QLabel(QCoreApplication.translate("settings", spec.help))
                    help_label.setWordWrap(True)
                    help_label.setStyleSheet("color: palette(placeholder-text);")
                    help_label.setObjectName(f"help:{key}")
                    cell.addWidget(help_label)
                cell.addWidget(page.error_label(key))
                if spec.type == "bool":
                    # In a widget of its own: a bare layout beside an empty label left a gap.
                    holder = QWidget()
                    holder.setLayout(cell)
                    cell.setContentsMargins(0, 0, 0, 0)
                    form.addRow(QLabel(), holder)
                else:
                    text = QLabel(label + ":")
                    text.setBuddy(field.widget)
                    form.addRow(text, cell)
            column.addWidget(box)
        self._filling = False

    def _edited(self, *_: Any) -> None:
        if not self._filling:
            self.edited.emit()

    def fill(self, values: dict[str, Any]) -> None:
        self._filling = True
        try:
            for key, field in self.fields.items():
                if key in values:
                    field.fill(values[key])
        finally:
            self._filling = False

    def changes(self) -> dict[str, Any]:
        return {k: f.value() for k, f in self.fields.items() if f.changed()}


class SettingsPage(Page):
    """A page of settings from the schema; subclasses say which and how to group them."""

    intro = ""
    sections: tuple[tuple[str, tuple[str, ...]], ...] = ()
    labels: dict[str, str] = {}
    choice_words: dict[str, dict[str, str]] = {}

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.form: SettingsForm | None = None
        if self.intro:
            intro = QLabel(self.tr_context(self.intro))
            intro.setWordWrap(True)
            self.outer.addWidget(intro)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.outer.addWidget(self.scroll, 1)
        self.extra = QVBoxLayout()  # pages put their own boxes here (the relay's test)
        self.outer.addLayout(self.extra)
        self.outer.addLayout(self.save_buttons())

    def tr_context(self, text: str) -> str:
        return QCoreApplication.translate(type(self).__name__, text)

    def load(self) -> None:
        patterns = self.settings_keys

        def fetch(c: ControlClient) -> dict[str, Any]:
            schema = [SettingSpec.from_dict(r) for r in c.call("settings.schema")]
            keys = expand_keys(patterns, [s.key for s in schema])
            values = {r["key"]: r["value"] for r in c.call("settings.show") if r["key"] in keys}
            return {"specs": [s for s in schema if s.key in keys], "values": values}

        self.job(fetch, self._fill)

    def _build(self, specs: list[SettingSpec]) -> None:
        sections = [(self.tr_context(title), list(keys)) for title, keys in self.sections]
        labels = {k: self.tr_context(v) for k, v in self.labels.items()}
        words = {
            k: {c: self.tr_context(w) for c, w in m.items()} for k, m in self.choice_words.items()
        }
        self.form = SettingsForm(self, specs, sections, labels, words)
        self.form.edited.connect(self.mark_dirty)
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.addWidget(self.form)
        column.addStretch(1)
        self.scroll.setWidget(holder)

    def _fill(self, data: dict[str, Any]) -> None:
        if self.form is None:
            self._build(data["specs"])
        assert self.form is not None
        self.form.fill(data["values"])
        self.loaded = True
        self.set_dirty(False)

    def save(self) -> None:
        if self.form is None:
            return
        self.clear_errors()
        values = self.form.changes()
        if not values:
            self.set_dirty(False)
            return
        running = self.ctx.supervisor.state == "up"

        def done(_stored: dict[str, Any]) -> None:
            self.set_dirty(False)
            self.banner.show_message(
                self.tr("Saved and applied.")
                if running
                else self.tr("Saved; the daemon uses it when it starts."),
                "info",
            )
            self.saved.emit()
            self.load()

        self.call("settings.set_many", {"values": values}, done)
