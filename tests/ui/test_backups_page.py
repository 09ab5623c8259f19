"""The Backups page against a real daemon: schedule saved, Back up now with its progress
bar, the list with age and size, Verify, a key shown once, the Restore wizard."""

from __future__ import annotations

import json
from pathlib import Path

from appliance.control.client import ControlClient
from appliance.home import Home
from tests.ui.conftest import Gui, wait
from ui.pages.backups import BackupsPage


def test_backups_page(gui: Gui, tmp_path: Path) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    assert gui.window.show_page("backups")
    page = gui.window.page("backups")
    assert isinstance(page, BackupsPage)
    wait(lambda: page.loaded and page.idle)
    assert page.table.rowCount() == 0
    assert "No backups yet" in page.status.text()

    # Where and when: saved through backup.schedule, errors beside the field.
    page.destination.setText("relative/path")
    page.destination.textEdited.emit("relative/path")
    assert page.is_dirty()
    page.save_button.click()
    wait(lambda: page.idle)
    assert "absolute path" in page.field_error("backup.destination")
    page.destination.setText(str(usb))
    page.daily.setChecked(True)
    page.keep_daily.setValue(5)
    page.save_button.click()
    wait(lambda: page.idle and not page.is_dirty())
    client = ControlClient(Home(gui.mailroom.home))
    shown = client.call("backup.show")
    assert (shown["destination"], shown["time"], shown["keep_daily"]) == (str(usb), "02:30", 5)

    # Back up now: the bar runs to 100 and the list shows the archive with age and size.
    page.now_button.click()
    assert not page.now_button.isEnabled()
    wait(lambda: page.job_state == "done" and page.idle, 30)
    assert page.progress.value() == 100
    wait(lambda: page.table.rowCount() == 1 and page.idle)
    archive = shown_archive = client.call("backup.list")[0]
    assert page.table.item(0, 0).text() == archive["name"]
    assert page.table.item(0, 2).text() == "0 min"
    assert page.table.item(0, 3).text().endswith(("KB", "MB"))
    assert "Backed up into" in page.banner.text()

    page.verify_button.click()
    wait(lambda: page.job_state == "done" and page.idle and "is whole" in page.banner.text(),
         30)

    # The key: shown once in a dialog, kept nowhere on the box but its public half.
    page.make_key()
    wait(lambda: page.key_dialog is not None and page.idle)
    assert page.key_dialog is not None
    key_text = page.key_dialog.view.toPlainText()
    assert "AGE-SECRET-KEY-1" in key_text
    identity = next(ln for ln in key_text.splitlines() if ln.startswith("AGE-SECRET-KEY-"))
    secrets = (gui.mailroom.home / "secrets.json").read_text()
    assert identity not in secrets and identity not in gui.mailroom.log_text()
    wait(lambda: "Encrypted to age1" in page.encryption.text())
    page.key_dialog.save_to(str(tmp_path / "key.txt"))
    page.key_dialog.accept()

    # The restore wizard builds a new data directory from the first archive.
    page.table.selectRow(0)
    page.open_restore()
    wizard = page.wizard
    assert wizard is not None
    assert wizard.archive_edit.text() == shown_archive["path"]
    wizard.target.setText(str(tmp_path / "restored"))
    wizard.next()
    wizard.next()
    wait(lambda: wizard.done_info is not None or "Not restored" in wizard.result.text(), 30)
    assert wizard.done_info is not None, wizard.result.text()
    assert (tmp_path / "restored" / "mailroom.db").is_file()
    restored = ControlClient(Home(tmp_path / "restored"))
    accounts = {a["address"] for a in restored.call("account.list")}
    assert accounts == {"alice@example.test", "bob@example.test"}
    restored.close()
    client.close()
    wizard.close()
    assert page.grab().save(str(tmp_path / "backups.png"))
    assert json.dumps(page.info)  # plain data from the control API
