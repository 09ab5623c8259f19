"""Both languages stay whole: every visible string goes through Qt's translation, every
string has a Chinese translation, and the shipped .qm is the one the .ts compiles to.

The page walk installs a translator that records what was asked and marks
its answer; a visible text without the mark did not go through translate.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QTabWidget,
    QTreeView,
    QWidget,
)

from appliance.home import Home
from ui import i18n

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "resources" / "i18n" / "mailroom_zh_CN.ts"
MARK = "\u2063"  # invisible separator: marks a translated text without changing its look
# Words that are the same in every language: names, protocols, numbers, symbols.
UNTRANSLATED = re.compile(
    r"^[\W\d_]*$|^(Mailroom|SMTP|SMTPS|POP3S?|IMAPS?|STARTTLS|STLS|TLS|DNS|DKIM|DMARC|SPF|"
    r"MX|IPv[46]|ClamAV|rspamd|Roundcube|ManageSieve|Sieve|English|中文|OK)$"
    # example values: addresses, domains, networks (a list of them), key types, sizes
    r"|^([\w.+-]*[@./:][\w.@/:!+-]*|localhost)(, ([\w.+-]*[@./:][\w.@/:!+-]*|localhost))*$"
    r"|^(RSA|Ed25519)(-\d+)?$|^= ?[\d.,]+ ?(B|KB|MB|GB)$")
# The server's own words, shown as they come (the control API answers in English):
# the DNS records' notes and the firewall's findings.
SERVER_WORDS = ("ⓘ ", "no input filter in the nftables ruleset")


def _tool() -> object:
    spec = importlib.util.spec_from_file_location("translations",
                                                  ROOT / "packaging" / "translations.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["translations"] = module
    spec.loader.exec_module(module)
    return module


def ts_messages(path: Path) -> dict[tuple[str, str], str]:
    """(context, source) -> translation ("" when unfinished)."""
    out = {}
    for ctx in ET.parse(path).getroot().iter("context"):
        name = ctx.findtext("name") or ""
        for m in ctx.iter("message"):
            tr = m.find("translation")
            assert tr is not None
            text = tr.text or tr.findtext("numerusform") or ""
            out[(name, m.findtext("source") or "")] = (
                "" if tr.get("type") in ("unfinished", "vanished", "obsolete") else text.strip())
    return out


# -- the files ---------------------------------------------------------------

def test_every_string_in_the_source_has_a_chinese_translation(tmp_path: Path) -> None:
    tool = _tool()
    fresh = tmp_path / "fresh_zh_CN.ts"
    shipped = tmp_path / "settings_strings.py"
    shipped.write_text(tool.settings_strings())  # type: ignore[attr-defined]
    assert shipped.read_text() == (ROOT / "resources/i18n/settings_strings.py").read_text(), \
        "settings' help lines changed: run make translations"
    tool.lupdate(fresh, [ROOT / "ui", shipped])  # type: ignore[attr-defined]
    wanted = set(ts_messages(fresh))
    have = ts_messages(TS)
    missing = sorted(f"{c}: {s!r}" for c, s in wanted if s.strip() and not have.get((c, s)))
    assert not missing, (f"{len(missing)} strings without a Chinese translation "
                         "(make translations, then translate in resources/i18n/"
                         "mailroom_zh_CN.ts):\n" + "\n".join(missing))


def test_translations_keep_their_placeholders() -> None:
    holder = re.compile(r"\{\w*\}|%\d|%n|%s|%d")
    wrong = [f"{s!r} -> {t!r}" for (_, s), t in ts_messages(TS).items()
             if t and sorted(holder.findall(s)) != sorted(holder.findall(t))]
    assert not wrong, "\n".join(wrong)


def test_the_shipped_qm_is_compiled_from_the_ts(tmp_path: Path) -> None:
    tool = _tool()
    qm = tmp_path / "x.qm"
    tool.lrelease(TS, qm)  # type: ignore[attr-defined]
    assert qm.read_bytes() == i18n.qm_path("zh_CN").read_bytes(), \
        "resources/i18n/mailroom_zh_CN.qm is stale: run make translations"


# -- the pages -------------------------------------------------------------------

QUEUE = [{"id": "RQ0000000001", "queue": "hold", "size": 300, "arrival": 1.7e9,
          "sender": "a@example.test", "attempts": 2, "next_try": None,
          "recipients": [{"address": "b@far.test", "state": "deferred", "reply": "451"}]},
         {"id": "RQ0000000002", "queue": "active", "size": 3000, "arrival": None,
          "sender": "", "attempts": 0, "next_try": None, "recipients": []}]
LOG = ['Nov 29 22:00:00 mail mailroom/control[1]: admin: settings.set '
       '{"key": "smarthost.host", "value": "x"}',
       'Nov 29 22:00:00 mail mailroom/control[1]: admin: service.pause {"paused": true}']


class Recorder(QTranslator):
    """Answers every question with the source text marked, and remembers the question."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[tuple[str, str]] = set()

    def isEmpty(self) -> bool:
        return False

    def translate(self, context: str, source: str, disambiguation: str | None = None,
                  n: int = -1) -> str:
        self.asked.add((context, source))
        return MARK + source if source else source


@pytest.fixture
def recorder(qapp: QApplication) -> Iterator[Recorder]:
    r = Recorder()
    qapp.installTranslator(r)
    yield r
    qapp.removeTranslator(r)


def texts(root: QWidget) -> Iterator[tuple[str, str]]:
    """(where, text) for every text of ``root`` and its children an admin can see."""
    for w in [root, *root.findChildren(QWidget)]:
        where = f"{type(w).__name__} in {type(root).__name__}"
        if w.objectName().startswith("qt_"):
            continue
        if isinstance(w, QLabel | QAbstractButton):
            yield where, w.text()
        if isinstance(w, QGroupBox):
            yield where, w.title()
        if isinstance(w, QLineEdit):
            yield where + " placeholder", w.placeholderText()
        if isinstance(w, QComboBox) and not w.isEditable():
            for i in range(w.count()):
                if w.itemData(i) != w.itemText(i):  # else a value from the data (a service)
                    yield where + " item", w.itemText(i)
        if isinstance(w, QTabWidget):
            for i in range(w.count()):
                yield where + " tab", w.tabText(i)
        if isinstance(w, QTableView | QTreeView) and w.model() is not None:
            header = w.horizontalHeader() if isinstance(w, QTableView) else w.header()
            if not header.isHidden():
                for c in range(header.count()):
                    yield where + " header", str(w.model().headerData(
                        c, QtCore.Qt.Orientation.Horizontal) or "")
        if isinstance(w, QAbstractItemView) and w.model() is not None:
            _ask_cells(w.model())  # words inside cells are translated as they are shown
        yield where + " tooltip", w.toolTip()
        yield where + " accessible name", w.accessibleName()


def _ask_cells(model: QtCore.QAbstractItemModel) -> None:
    root = QtCore.QModelIndex()
    for r in range(min(model.rowCount(root), 20)):
        c = 0
        while model.index(r, c, root).isValid():
            model.data(model.index(r, c, root))
            c += 1


def untranslated(found: Iterator[tuple[str, str]]) -> list[str]:
    bad = []
    for where, text in found:
        plain = re.sub(r"<[^>]+>", "", text or "").replace("&", "").strip()
        if not plain or MARK in text or UNTRANSLATED.match(plain) or \
                plain.startswith(SERVER_WORDS):
            continue
        bad.append(f"{where}: {text!r}")
    return sorted(set(bad))


def qt_context(context: str) -> bool:
    """Qt's own strings (QWizard's Back, QMessageBox's Save...) come with Qt's .qm."""
    return bool(re.match(r"Q[A-Z]", context)) or any(
        hasattr(m, context) for m in (QtCore, QtGui, QtWidgets))


def test_every_visible_string_of_every_page_goes_through_translate(
        recorder: Recorder, tmp_path: Path, qtbot: object) -> None:
    from appliance.control.client import ControlClient
    from ui.context import AppContext
    from ui.secrets import SecretStore
    from ui.window import MainWindow
    from ui.wizard import SetupWizard

    home = Home(tmp_path / "home")
    # Set up but not running: the pages load through the client in-process (the settings
    # pages build their forms from the schema), so their loaded words are checked too.
    ControlClient(home).call("setup.init", hostname="mail.example.test", domain="example.test")
    ctx = AppContext(home, secrets=SecretStore(tmp_path / "s.json", use_keyring=False))
    window = MainWindow(ctx)
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    window.show()
    for page in window.pages.values():
        page.load()
    ctx.api.wait_idle(20000)
    qtbot.wait(100)  # type: ignore[attr-defined]  # the results delivered to the pages
    wizard = SetupWizard(ctx)
    qtbot.addWidget(wizard)  # type: ignore[attr-defined]
    # Pages that show words inside their data: a held message, an admin action.
    window.page("queue")._fill(QUEUE)  # type: ignore[attr-defined]
    ctx.logs.extend(LOG)
    ctx.logs.flush()
    try:
        bad = []
        for key in window.pages:
            bad += untranslated(texts(window.page(key)))
            bad += untranslated((f"navigation {key}", window.nav.item(i).text())
                                for i, k in enumerate(window.pages) if k == key)
        for action in window.menuBar().actions():
            bad += untranslated([("menu", action.text())])
            menu = action.menu()
            if isinstance(menu, QMenu):
                bad += untranslated(("menu item", a.text()) for a in menu.actions()
                                    if not a.isSeparator())
        for page_id in wizard.pageIds():
            page = wizard.page(page_id)
            bad += untranslated([("wizard title", page.title()),
                                 ("wizard subtitle", page.subTitle())])
            bad += untranslated(texts(page))
        bad += untranslated([("wizard window title", wizard.windowTitle())])
        from ui.tray import Tray

        tray = Tray(ctx, window)
        bad += untranslated(("tray menu", a.text()) for a in tray.menu.actions()
                            if not a.isSeparator())
        notes = ctx.tray_state.update_status({"services": [], "queue": {"deferred": 60}})
        bad += untranslated([("tray tooltip", ctx.tray_state.tooltip())])
        bad += untranslated(("tray notification", n.title) for n in notes)
        assert not bad, "not marked for translation:\n" + "\n".join(sorted(set(bad)))

        # What was asked at run time is in the .ts too (a class attribute without
        # QT_TRANSLATE_NOOP, a text built at run time, would not be).
        known = {s for (_, s), t in ts_messages(TS).items() if t}
        missing = sorted(f"{c}: {s!r}" for c, s in recorder.asked
                         if s.strip() and not qt_context(c) and s not in known)
        assert not missing, "asked at run time but not translated in the .ts:\n" + \
            "\n".join(missing)
    finally:
        wizard.close()
        window.close()
        ctx.shutdown()


def test_chinese_is_loaded_from_the_locale_or_the_menu_choice(
        qapp: QApplication, tmp_path: Path) -> None:
    from PySide6.QtCore import QLocale, QSettings

    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    assert i18n.system_language(QLocale("zh_CN")) == "zh_CN"
    assert i18n.system_language(QLocale("de_DE")) == "en"
    try:
        assert i18n.chosen_language() is None
        assert i18n.install(qapp, "zh_CN") == "zh_CN"
        assert QCoreApplication.translate("QueuePage", "Mail queue") == "邮件队列"
        assert QCoreApplication.translate("QWizard", "&Next >") != "&Next >"  # Qt's own
        i18n.set_language("en")
        assert i18n.chosen_language() == "en"
        assert i18n.install(qapp) == "en"  # the menu's choice wins over the locale
        assert QCoreApplication.translate("QueuePage", "Mail queue") == "Mail queue"
    finally:
        i18n.install(qapp, "en")


def test_the_language_menu_remembers_the_choice(tmp_path: Path, qtbot: object,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtCore import QSettings

    from ui.context import AppContext
    from ui.secrets import SecretStore
    from ui.window import MainWindow

    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope,
                      str(tmp_path / "settings"))
    told: list[str] = []
    monkeypatch.setattr(i18n.QMessageBox, "information",
                        lambda parent, title, text: told.append(text))
    ctx = AppContext(Home(tmp_path / "home"),
                     secrets=SecretStore(tmp_path / "s.json", use_keyring=False))
    window = MainWindow(ctx)
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    try:
        menu = next(a.menu() for a in window.menuBar().actions()
                    if a.text().replace("&", "") == "Language")
        choices = {a.text(): a for a in menu.actions()}
        assert set(choices) == {"English", "中文"}
        assert choices["English"].isChecked()  # the locale here is not Chinese
        choices["中文"].trigger()
        assert i18n.chosen_language() == "zh_CN"
        assert told and "中文" in told[0]  # shown from the next start
        choices["English"].trigger()
        assert i18n.chosen_language() == "en"
    finally:
        window.close()
        ctx.shutdown()
