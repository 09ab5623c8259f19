"""The GUI's two languages: English (the source text) and Simplified Chinese.

``install(app)`` loads the translation chosen in the menu (kept in the
GUI's own QSettings, not the server's settings) or, when nothing was
chosen, the one the system locale asks for (``LANG=zh_CN.UTF-8``). Our
strings come from ``resources/i18n/mailroom_zh_CN.qm`` (compiled from the
.ts by ``pyside6-lrelease``); Qt's own (the wizard's Back/Next, the message
boxes' Save/Discard/Cancel) from Qt's ``qtbase_zh_CN.qm``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, QTranslator
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox

__all__ = ["LANGUAGES", "install", "current_language", "chosen_language", "set_language",
           "system_language", "translations_dir", "qm_path", "add_language_menu", "count"]

# code -> the language's own name (shown in the Language menu untranslated,
# so someone who cannot read the current language still finds theirs).
LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "中文"}
SETTINGS_KEY = "language"

_installed: list[QTranslator] = []
_current = "en"


def translations_dir() -> Path:
    """resources/i18n, from source and from the frozen build alike."""
    frozen = getattr(sys, "_MEIPASS", None)
    base = Path(frozen) if frozen else Path(__file__).resolve().parent.parent
    return base / "resources" / "i18n"


def qm_path(language: str) -> Path:
    return translations_dir() / f"mailroom_{language}.qm"


def _qt_dirs() -> list[Path]:
    dirs = [Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))]
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        dirs.append(Path(frozen) / "PySide6" / "Qt" / "translations")
    return dirs


def _settings() -> QSettings:
    return QSettings("Mailroom", "Mailroom")


def system_language(locale: QLocale | None = None) -> str:
    """The language the system locale asks for, among ours; English otherwise."""
    locale = locale or QLocale.system()
    if locale.language() == QLocale.Language.Chinese:
        return "zh_CN"
    return "en"


def chosen_language() -> str | None:
    """What the admin picked in the Language menu, if anything."""
    value = _settings().value(SETTINGS_KEY)
    return str(value) if value in LANGUAGES else None


def set_language(language: str) -> None:
    """Remember the choice for the next start (pages are built in one language)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    settings = _settings()
    settings.setValue(SETTINGS_KEY, language)
    settings.sync()


def current_language() -> str:
    return _current


def install(app: QCoreApplication, language: str | None = None) -> str:
    """Load the translators for ``language`` (default: chosen, else the system's).

    Returns the language now in use. Call before any widget is built:
    widgets take their text when they are made.
    """
    global _current
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    language = language or chosen_language() or system_language()
    _current = "en"
    if language == "en":
        return _current
    ours = QTranslator(app)
    if not ours.load(str(qm_path(language))):
        print(f"mailroom: no translation for {language}", file=sys.stderr)
        return _current
    qt = QTranslator(app)
    for directory in _qt_dirs():
        if qt.load(f"qtbase_{language}", str(directory)):
            app.installTranslator(qt)
            _installed.append(qt)
            break
    app.installTranslator(ours)
    _installed.append(ours)
    _current = language
    return _current


def add_language_menu(window: QMainWindow) -> QMenu:
    """Language → English / 中文 in the window's menu bar; the choice applies at the next start."""
    menu = window.menuBar().addMenu(QCoreApplication.translate("Language", "&Language"))
    group = QActionGroup(menu)
    group.setExclusive(True)
    current = chosen_language() or _current
    for code, name in LANGUAGES.items():
        action = QAction(name, menu, checkable=True)
        action.setChecked(code == current)
        action.setData(code)
        group.addAction(action)
        menu.addAction(action)

    def chosen(action: QAction) -> None:
        code = str(action.data())
        set_language(code)
        if code != _current:
            QMessageBox.information(
                window, QCoreApplication.translate("Language", "Language"),
                QCoreApplication.translate(
                    "Language", "Mailroom shows {language} the next time it is opened.").format(
                    language=LANGUAGES[code]))

    group.triggered.connect(chosen)
    return menu


def count(n: int, one: str, many: str) -> str:
    """``one`` or ``many`` (both already translated) with ``{n}`` filled in.

    Not Qt's ``%n`` plurals: those need an English .qm loaded too, and a
    page built where no translator is installed (tests, tools) would show
    "message(s)". Chinese translates both forms alike.
    """
    return (one if n == 1 else many).replace("{n}", f"{n:,}")
