"""Backup archives on a data directory made here: encryption round trip, a damaged byte
named by verify, files renamed during the copy, SQLite in WAL mode, hand restore with tar."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from appliance.backup import (
    BackupError,
    RestoreError,
    make_identity,
    restore_archive,
    take_backup,
    verify_archive,
)
from appliance.backup.archive import open_writer
from appliance.backup.collect import Collector, plan

MESSAGE = b"From: a@example.test\r\nSubject: hi\r\n\r\nhello\r\n"


def make_data_dir(root: Path, big: int = 0) -> dict[str, bytes]:
    """A small data directory with the real layout; returns {relative path: bytes}."""
    files: dict[str, bytes] = {}
    box = root / "mail" / "example.test" / "bob"
    for sub in ("new", "cur", "tmp", ".Sent/new", ".Sent/cur", ".Sent/tmp"):
        (box / sub).mkdir(parents=True, exist_ok=True)
    for i in range(5):
        rel = f"mail/example.test/bob/cur/17000000{i}.M1P1.host,S={len(MESSAGE)}:2,S"
        files[rel] = MESSAGE + str(i).encode()
    files["mail/example.test/bob/new/170000009.M1P1.host"] = MESSAGE
    if big:
        files["mail/example.test/bob/cur/170000099.M9P9.host:2,"] = os.urandom(big)
    files["queue/active/ABC123"] = b'{"id": "ABC123"}\n' + MESSAGE
    files["secrets.json"] = b'{"k": "v"}'
    files["tls/cert.pem"] = b"-----BEGIN CERTIFICATE-----\n"
    files["run/mailroom.pid"] = b"1"  # not data: left out
    files["mail/example.test/bob/tmp/half-written"] = b"x"  # not mail yet: left out
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    db = sqlite3.connect(root / "mailroom.db")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE t(x)")
    db.executemany("INSERT INTO t VALUES(?)", [(i,) for i in range(100)])
    db.commit()
    db.close()
    return files


def test_round_trip_encrypted(tmp_path: Path) -> None:
    root, dest = tmp_path / "data", tmp_path / "usb"
    dest.mkdir()
    files = make_data_dir(root)
    identity, recipient = make_identity()
    seen: list[int] = []
    result = take_backup(root, dest, recipient=recipient,
                         progress=lambda done, total, path: seen.append(done))
    assert result.archive.name.endswith(".tar.zst.age")
    assert result.archive.read_bytes().startswith(b"age-encryption.org/v1")
    assert b"hello" not in result.archive.read_bytes()
    assert oct(result.archive.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in dest.iterdir()] == [result.archive.name]  # no temp left
    assert seen and seen[-1] == result.data_bytes
    with pytest.raises(RestoreError, match="encrypted"):
        verify_archive(result.archive)
    wrong, _ = make_identity()
    report = verify_archive(result.archive, wrong)
    assert not report.ok and "decrypt" in report.bad[0]["problem"]
    report = verify_archive(result.archive, f"# my key\n{identity}\n")
    assert report.ok, report.bad
    new = tmp_path / "restored" / "data"
    restore_archive(result.archive, new, identity)
    for rel, data in files.items():
        if rel.startswith("run/") or "/tmp/" in rel:
            assert not (new / rel).exists(), rel
        else:
            assert (new / rel).read_bytes() == data, rel
    # Empty Maildir folders come back too; the database with every row.
    assert (new / "mail/example.test/bob/.Sent/tmp").is_dir()
    db = sqlite3.connect(new / "mailroom.db")
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 100
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def test_encrypted_archive_without_key_is_a_clear_error(tmp_path: Path) -> None:
    root, dest = tmp_path / "data", tmp_path / "usb"
    dest.mkdir()
    make_data_dir(root)
    _, recipient = make_identity()
    archive = take_backup(root, dest, recipient=recipient).archive
    with pytest.raises(RestoreError, match="encrypted"):
        verify_archive(archive)


def test_a_damaged_byte_names_the_file(tmp_path: Path) -> None:
    root, dest = tmp_path / "data", tmp_path / "usb"
    dest.mkdir()
    make_data_dir(root, big=256 * 1024)  # random bytes: zstd stores them as they are
    archive = take_backup(root, dest).archive
    assert verify_archive(archive).ok
    data = bytearray(archive.read_bytes())
    # The middle of the archive is inside the big message's stored bytes.
    data[len(data) // 2] ^= 0x55
    archive.write_bytes(bytes(data))
    report = verify_archive(archive)
    assert not report.ok
    assert [b["path"] for b in report.bad] == ["mail/example.test/bob/cur/170000099.M9P9.host:2,"]
    assert "SHA-256" in report.bad[0]["problem"]
    with pytest.raises(RestoreError, match="170000099"):
        restore_archive(archive, tmp_path / "new")
    assert not (tmp_path / "new").exists()
    assert [p.name for p in tmp_path.iterdir() if "restoring" in p.name] == []


def test_a_cut_archive_is_damaged(tmp_path: Path) -> None:
    root, dest = tmp_path / "data", tmp_path / "usb"
    dest.mkdir()
    make_data_dir(root)
    archive = take_backup(root, dest).archive
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    report = verify_archive(archive)
    assert not report.ok


def test_files_renamed_during_the_copy_are_found_again(tmp_path: Path) -> None:
    """The listing is made, then the IMAP server moves new/ → cur/ and flags a message."""
    root = tmp_path / "data"
    files = make_data_dir(root)
    folders, listed, _ = plan(root)
    box = root / "mail/example.test/bob"
    os.rename(box / "new/170000009.M1P1.host", box / "cur/170000009.M1P1.host:2,")
    os.rename(box / f"cur/170000000.M1P1.host,S={len(MESSAGE)}:2,S",
              box / f"cur/170000000.M1P1.host,S={len(MESSAGE)}:2,RS")
    out = tmp_path / "a.tar.zst"
    with open(out, "wb") as fh, open_writer(fh) as tar:
        collector = Collector(root, tar, tmp_path)
        collector.copy_all(folders, listed)
    assert collector.missing == []
    copied = {f["path"] for f in collector.files}
    assert "mail/example.test/bob/cur/170000009.M1P1.host:2," in copied
    assert f"mail/example.test/bob/cur/170000000.M1P1.host,S={len(MESSAGE)}:2,RS" in copied
    messages = [p for p in copied if "/cur/" in p or "/new/" in p]
    assert len(messages) == len([r for r in files if "/cur/" in r or "/new/" in r])


def test_restored_by_hand_with_zstd_and_tar(tmp_path: Path) -> None:
    if shutil.which("zstd") is None and os.environ.get("CI") != "true":
        pytest.skip("zstd not installed")
    root, dest = tmp_path / "data", tmp_path / "usb"
    dest.mkdir()
    files = make_data_dir(root)
    archive = take_backup(root, dest).archive
    out = tmp_path / "by-hand"
    out.mkdir()
    subprocess.run(f"zstd -dc {archive} | tar -x -C {out}", shell=True, check=True)
    assert (out / "manifest.json").is_file()
    assert (out / "data/secrets.json").read_bytes() == files["secrets.json"]


def test_refusals(tmp_path: Path) -> None:
    root = tmp_path / "data"
    make_data_dir(root)
    with pytest.raises(BackupError, match="does not exist"):
        take_backup(root, tmp_path / "unplugged")
    dest = tmp_path / "usb"
    dest.mkdir()
    archive = take_backup(root, dest).archive
    with pytest.raises(RestoreError, match="not empty"):
        restore_archive(archive, root)
    # A backup folder inside the data directory is not backed up into itself.
    first = take_backup(root, root / "backups").archive
    second = take_backup(root, root / "backups", now=datetime.now(UTC) + timedelta(seconds=5))
    assert second.files == take_backup(root, dest, now=datetime.now(UTC) + timedelta(seconds=9)
                                       ).files
    assert first.exists() and verify_archive(second.archive).ok
