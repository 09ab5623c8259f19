"""The Webmail page: enable on a port (the real web stack starts), the address shown, disable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.ui.conftest import Offline, closed_port, wait
from ui.pages.webmail import WebmailPage


def test_enable_and_disable_from_the_page(offline: Offline, tmp_path: Path) -> None:
    from appliance.webmail.packages import missing

    if missing():
        if os.environ.get("CI") == "true":
            pytest.fail("Roundcube / php-fpm / nginx missing (packaging/deps.sh test)")
        pytest.skip("Roundcube / php-fpm / nginx not installed")
    offline.client.call("settings.set", key="listen", value="127.0.0.1")
    page: WebmailPage = offline.open("webmail")
    assert page.state.text() == "Disabled"
    assert not page.disable_button.isEnabled()
    port = closed_port()
    page.port.setValue(port)
    assert page.is_dirty()
    try:
        page.enable_button.click()
        wait(lambda: page.idle and page.state.text() == "Serving")
        url = f"https://mail.example.test:{port}/webmail/"
        assert f'href="{url}"' in page.link.text()
        assert not page.is_dirty()
        assert page.enable_button.text() == "&Apply port"
        page.resize(1000, 800)
        page.grab().save(str(tmp_path / "webmail-page.png"))
    finally:
        page.disable_button.click()
        wait(lambda: page.idle and page.state.text() == "Disabled")
    assert offline.client.call("webmail.status")["serving"] is False
