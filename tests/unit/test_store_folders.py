"""Folders (appliance.store.folders): layout, create/delete/rename, subscriptions."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.store import Mailstore
from appliance.store.folders import (
    DEFAULT_FOLDERS,
    FolderError,
    list_folders,
    make_folder_dir,
    read_subscriptions,
    renamed_subscriptions,
    write_subscriptions,
)
from appliance.store.names import BadFolderName

ALICE = "alice@example.test"


def test_make_folder_dir_and_list(tmp_path: Path) -> None:
    make_folder_dir(tmp_path, "INBOX")
    assert not (tmp_path / "maildirfolder").exists()
    d = make_folder_dir(tmp_path, "Work/Entwürfe")
    assert d == tmp_path / ".Work.Entw&APw-rfe"
    assert (d / "maildirfolder").exists() and all((d / s).is_dir() for s in ("new", "cur", "tmp"))
    (tmp_path / ".dovecot.sieve").write_text("")  # a dot-file is no folder
    (tmp_path / ".half").mkdir()  # nor a directory without cur/
    assert list_folders(tmp_path) == ["INBOX", "Work/Entwürfe"]


def test_subscriptions_file_round_trip(tmp_path: Path) -> None:
    write_subscriptions(tmp_path, {"INBOX", "Entwürfe", "Work/A"})
    assert (tmp_path / "subscriptions").read_text() == "Entw&APw-rfe\nINBOX\nWork/A\n"
    (tmp_path / "subscriptions").write_text("INBOX\n../etc\n\nWork/A\n")
    assert read_subscriptions(tmp_path) == {"INBOX", "Work/A"}  # bad lines skipped
    assert read_subscriptions(tmp_path / "none") == set()


def test_renamed_subscriptions() -> None:
    subs = {"INBOX", "Work", "Work/A", "Workshop"}
    assert renamed_subscriptions(subs, "Work", "Jobs") == {"INBOX", "Jobs", "Jobs/A", "Workshop"}
    assert renamed_subscriptions(subs, "Other", "New") is None


def test_ensure_makes_special_use_folders_subscribed(store: Mailstore) -> None:
    acct = store.account(ALICE)
    acct.ensure()
    assert acct.folders() == ["INBOX", *sorted(DEFAULT_FOLDERS)]
    assert acct.subscriptions() == {"INBOX", *DEFAULT_FOLDERS}
    acct.set_subscribed("Junk", False)
    acct.set_subscribed("Later", True)
    assert acct.subscriptions() == {"INBOX", "Later", *DEFAULT_FOLDERS} - {"Junk"}


def test_rename_gives_a_fresh_uidvalidity_and_moves_subscriptions(store: Mailstore) -> None:
    acct = store.account(ALICE)
    acct.ensure()
    acct.create_folder("Work/A")
    acct.set_subscribed("Work/A", True)
    acct.append("Work/A", b"Subject: x\n\nx\n")
    before = acct.open("Work/A").uidvalidity
    acct.rename_folder("Work", "Jobs")
    state = acct.open("Jobs/A")
    assert state.uids == [1] and state.uidvalidity > before
    assert "Jobs/A" in acct.subscriptions() and "Work/A" not in acct.subscriptions()
    with pytest.raises(FolderError) as exc:
        acct.rename_folder("Jobs", "Jobs/Sub")
    assert exc.value.code == "CANNOT"


def test_delete_folder_gives_back_its_usage(store: Mailstore) -> None:
    acct = store.account(ALICE)
    acct.ensure()
    acct.create_folder("Old")
    acct.append("Old", b"Subject: x\n\n" + b"x" * 100)
    assert store.usage(ALICE)[1] == 1
    acct.delete_folder("Old")
    assert store.usage(ALICE) == (0, 0)
    with pytest.raises(FolderError) as exc:
        acct.delete_folder("Old")
    assert exc.value.code == "NONEXISTENT"


def test_folder_operations(store: Mailstore) -> None:
    acct = store.account(ALICE)
    acct.ensure()
    acct.create_folder("Work/Projekt")
    assert {"Work", "Work/Projekt"} <= set(acct.folders())
    with pytest.raises(FolderError):
        acct.create_folder("Work")
    acct.rename_folder("Work", "Jobs")
    assert "Jobs/Projekt" in acct.folders() and "Work" not in acct.folders()
    acct.delete_folder("Jobs/Projekt")
    assert "Jobs/Projekt" not in acct.folders()
    with pytest.raises(FolderError):
        acct.delete_folder("INBOX")
    with pytest.raises(BadFolderName):
        acct.create_folder("../../etc")
    assert not (store.root / "etc").exists()
