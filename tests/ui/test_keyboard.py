"""Every page by keyboard: Alt+letter mnemonics unique on each page (and not taken by the
menu bar), every button reachable with Tab, every page with a Go-menu entry."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QWidget

from tests.ui.conftest import Offline, wait


def mnemonic(text: str) -> str | None:
    found = re.search(r"&([^&\s])", text.replace("&&", ""))
    return found.group(1).lower() if found else None


def page_mnemonics(page: QWidget) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {}
    widgets: list[QWidget] = [*page.findChildren(QAbstractButton), *page.findChildren(QLabel),
                              *page.findChildren(QGroupBox)]
    for w in widgets:
        if isinstance(w, QLabel) and w.buddy() is None:
            continue  # a label's mnemonic works only with a buddy
        text = w.title() if isinstance(w, QGroupBox) else w.text()
        letter = mnemonic(text)
        if letter:
            seen.setdefault(letter, []).append(text)
    return seen


def test_mnemonics_unique_and_every_button_reachable(offline: Offline) -> None:
    window = offline.window
    menu_letters = {mnemonic(a.text()) for a in window.menuBar().actions()} - {None}
    problems = []
    for key, page in window.pages.items():
        assert window.show_page(key)
        wait(lambda p=page: p.idle)  # type: ignore[misc]
        for letter, texts in page_mnemonics(page).items():
            if len(texts) > 1:
                problems.append(f"{key}: Alt+{letter.upper()} used by {texts}")
            elif letter in menu_letters:
                problems.append(f"{key}: Alt+{letter.upper()} is the menu bar's, also {texts}")
        for button in page.findChildren(QAbstractButton):
            if button.objectName().startswith("qt_") or not button.isVisibleTo(page):
                continue  # Qt's own (a table's corner) or not shown
            if not button.focusPolicy() & Qt.FocusPolicy.TabFocus and not mnemonic(
                    button.text()):
                problems.append(f"{key}: {button.text() or button.objectName()!r} is not "
                                "reachable by keyboard")
    assert not problems, "\n".join(problems)


def test_every_page_is_in_the_go_menu(offline: Offline) -> None:
    go = next(a.menu() for a in offline.window.menuBar().actions() if "Go" in a.text())
    titles = [a.text() for a in go.actions()]
    assert titles == [p.display_title() for p in offline.window.pages.values()]
    for action in go.actions()[:9]:
        assert not action.shortcut().isEmpty()
