"""Deleting an account asks whether its mail goes too, and does what was answered."""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import Offline, wait
from ui.pages.accounts import AccountsPage


def _maildir(home: Path, local: str) -> Path:
    box = home / "mail" / "example.test" / local
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True, exist_ok=True)
    (box / "new" / "1.mailroom:2,").write_bytes(b"Subject: kept?\r\n\r\nbody\r\n")
    return box


def test_delete_keeps_or_removes_the_mail_as_asked(offline: Offline) -> None:
    alice, bob = _maildir(offline.home, "alice"), _maildir(offline.home, "bob")
    page: AccountsPage = offline.open("accounts")
    answers = ["cancel", "keep", "delete"]
    asked: list[str] = []

    def ask(row: dict[str, object]) -> str:
        asked.append(str(row["address"]))
        return answers.pop(0)

    page.ask_delete = ask  # type: ignore[method-assign]
    page.select_address("alice@example.test")
    page.delete_button.click()  # cancel: nothing happens
    assert page.idle and any(r["address"] == "alice@example.test" for r in page.model.rows)
    page.delete_button.click()  # keep the mail
    wait(lambda: page.idle and all(r["address"] != "alice@example.test"
                                   for r in page.model.rows))
    assert alice.is_dir() and "stays on disk" in page.banner.text()
    page.select_address("bob@example.test")
    page.delete_button.click()  # with the mail
    wait(lambda: page.idle and not page.model.rows)
    assert not bob.exists() and "and its mail" in page.banner.text()
    assert asked == ["alice@example.test", "alice@example.test", "bob@example.test"]
    # Nothing half-deleted is left beside the other mailboxes.
    assert sorted(p.name for p in bob.parent.iterdir()) == ["alice"]
