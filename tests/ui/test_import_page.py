"""The Import page: a folder, the preview (the same plan as --dry-run), apply."""

from __future__ import annotations

from pathlib import Path

from appliance.control.client import ControlClient
from appliance.control.setup import initialize
from appliance.home import Home
from tests.ui.conftest import make_context, teardown, wait

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "sendmail"


def test_preview_then_apply_the_sample_setup(tmp_path: Path, qtbot: object) -> None:
    from ui.pages.importer import ImportPage

    home = tmp_path / "home"
    initialize(Home(home), "mail.example.test", "example.test")
    client = ControlClient(Home(home))
    client.call("account.add", address="std01@example.test", password="pw-long-1-x")
    ctx = make_context(home, 0, tmp_path)
    asked: list[str] = []
    ctx.confirm = lambda parent, title, question: bool(asked.append(question)) or True
    try:
        page = ImportPage(ctx)
        qtbot.addWidget(page)  # type: ignore[attr-defined]
        page.resize(1100, 700)
        page.show()
        page.load()
        page.preview_button.click()
        assert "Choose the folder first" in page.field_error("directory")
        assert not page.apply_button.isEnabled()

        page.directory.setText(str(SAMPLES))
        page.preview_button.click()
        wait(lambda: page.idle and page.plan is not None)
        groups = [page.tree.topLevelItem(i) for i in range(page.tree.topLevelItemCount())]
        assert [g.text(0).split(" (")[0] for g in groups] == [  # type: ignore[union-attr]
            "Changes", "Already so", "Cannot be carried over"]
        changes = [groups[0].child(i).text(0) for i in range(groups[0].childCount())]  # type: ignore[union-attr]
        assert "relay network 192.168.1.0/24" in changes
        assert "alias info@example.test → std01@example.test" in changes
        problems = [(groups[2].child(i).text(0), groups[2].child(i).text(1))  # type: ignore[union-attr]
                    for i in range(groups[2].childCount())]  # type: ignore[union-attr]
        assert any(where == "access:13" and "To:partner.outside.test" in text
                   for text, where in problems)
        assert "192.168.1.0/24" not in client.call("relay.list")  # a preview changes nothing
        page.grab().save(str(tmp_path / "import.png"))

        assert page.apply_button.isEnabled()
        page.apply_button.click()
        wait(lambda: page.idle and "change(s) made" in page.banner.text())
        assert asked and "change(s) of the preview" in asked[0]
        assert "192.168.1.0/24" in client.call("relay.list")
        assert client.call("alias.list")["info@example.test"] == ["std01@example.test"]
        wait(lambda: page.idle and page.plan is not None and not page.apply_button.isEnabled())
    finally:
        client.close()
        teardown(ctx)
