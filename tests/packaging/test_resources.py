"""resources/: found the same way from source and frozen; what the desktop and systemd need."""

from __future__ import annotations

import configparser
import sqlite3
import sys
import tomllib
from pathlib import Path

import pytest

from appliance import resources
from appliance.resources import read_template, resource_dir, resource_path
from appliance.state.snapshot import snapshot_database
from appliance.version import __version__

ROOT = Path(__file__).resolve().parents[2]


def test_version_matches_pyproject() -> None:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        assert tomllib.load(fh)["project"]["version"] == __version__


def test_found_beside_the_code_from_source() -> None:
    assert resource_dir() == ROOT / "resources"
    assert resource_path("templates", "bounce-failure.txt").is_file()


def test_found_under_meipass_when_frozen(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "resources" / "templates").mkdir(parents=True)
    (tmp_path / "resources" / "templates" / "x.txt").write_text("frozen")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resource_path("templates", "x.txt").read_text() == "frozen"


def test_missing_resource_is_named() -> None:
    with pytest.raises(FileNotFoundError, match="templates/nope.txt"):
        resource_path("templates", "nope.txt")


@pytest.mark.parametrize("name", ["bounce-failure.txt", "bounce-delay.txt", "vacation.txt"])
def test_templates_present(name: str) -> None:
    text = read_template(name)
    assert text.endswith("\n")
    if name.startswith("bounce"):
        assert "$reporting_mta" in text and "$recipients" in text


def test_icons_at_the_usual_sizes() -> None:
    icons = ROOT / "resources" / "icons"
    for size in (16, 22, 24, 32, 48, 64, 128, 256):
        png = icons / "hicolor" / f"{size}x{size}" / "apps" / "mailroom.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
    assert (icons / "hicolor" / "scalable" / "apps" / "mailroom.svg").is_file()
    for health in ("up", "degraded", "down", "unknown"):
        assert (icons / "tray" / f"mailroom-{health}-22.png").is_file()


@pytest.mark.parametrize("name", ["mailroom.desktop", "mailroom-tray.desktop"])
def test_desktop_entries(name: str) -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(ROOT / "resources" / "desktop" / name)
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Icon"] == "mailroom"
    assert section["Exec"].split()[0] == "mailroom"


def test_snapshot_is_a_consistent_owner_only_copy(tmp_path: Path) -> None:
    db = tmp_path / "mailroom.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (42)")
        conn.commit()
        # Still open, the row only in the WAL: a file copy would miss it.
        dest = snapshot_database(db, tmp_path / "backups" / "pre-upgrade-0.0.9.db")
        assert dest.stat().st_mode & 0o077 == 0
        with sqlite3.connect(dest) as copy:
            assert copy.execute("SELECT x FROM t").fetchall() == [(42,)]
    assert not list((tmp_path / "backups").glob("*.part"))


def test_snapshot_of_nothing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        snapshot_database(tmp_path / "none.db", tmp_path / "copy.db")


def test_resources_module_never_imports_qt() -> None:
    assert "PySide6" not in Path(resources.__file__).read_text()
