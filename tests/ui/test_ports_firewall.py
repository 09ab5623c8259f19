"""The Ports page's Firewall column and Open/Close, with the real nft in a namespace.

No daemon: the page's operations run in-process (as with a stopped
daemon), and every firewall command runs inside the test's namespace.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.control.setup import initialize
from appliance.home import Home
from tests.support.netns import NetNamespace, netns
from tests.ui.conftest import make_context, teardown, wait


@pytest.fixture
def ns(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetNamespace]:
    with netns("fwui") as space:
        monkeypatch.setattr("appliance.firewall.system.run_command", space.run)
        yield space


def test_firewall_column_and_open_close_show_the_commands_first(
        ns: NetNamespace, tmp_path: Path, qtbot: object) -> None:
    from ui.pages.ports import PortsPage

    home = tmp_path / "home"
    initialize(Home(home), "mail.example.test", "example.test")
    ctx = make_context(home, 0, tmp_path)
    try:
        page = PortsPage(ctx)
        qtbot.addWidget(page)  # type: ignore[attr-defined]
        page.resize(1100, 700)
        page.show()
        page.load()
        wait(lambda: page.idle and page.firewall is not None)
        assert "nftables" in page.firewall_label.text()
        assert page.fw_state["smtp"].text() == "open"
        assert "nothing is filtered" in page.fw_state["smtp"].toolTip()

        shown: list[tuple[str, str, str]] = []
        page.confirm_commands = lambda *a: bool(shown.append(a))  # type: ignore[method-assign]
        page.close_buttons["smtp"].click()
        wait(lambda: page.idle and bool(shown))
        title, intro, commands = shown[0]
        assert "Close smtp" in title and "nftables" in intro and "25/tcp" in intro
        assert commands.startswith("nft -j -f - <<'EOF'") and "closed_tcp" in commands
        assert "Nothing changed" in page.banner.text()
        assert ns.run(["nft", "list", "table", "inet", "mailroom"])[0] != 0  # not run

        page.confirm_commands = lambda *a: True  # type: ignore[method-assign]
        page.close_buttons["smtp"].click()
        wait(lambda: page.idle and page.fw_state["smtp"].text() == "closed")
        assert "dropped by table inet mailroom" in page.fw_state["smtp"].toolTip()
        assert "25" in ns.nft("list", "set", "inet", "mailroom", "closed_tcp")
        page.open_buttons["smtp"].click()
        wait(lambda: page.idle and page.fw_state["smtp"].text() == "open")
        assert "accepted by table inet mailroom" in page.fw_state["smtp"].toolTip()
        page.grab().save(str(tmp_path / "ports.png"))
    finally:
        teardown(ctx)
