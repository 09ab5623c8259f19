"""The first-run wizard's operations work before a data directory exists (no daemon, no
state store), and the ISP relay test sends a real message to a real SMTP server."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.control.client import ControlClient, ControlError
from appliance.home import Home
from tests.support.sink import SinkHandler, sink


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_setup_before_the_data_directory_exists(tmp_path: Path) -> None:
    home = Home(tmp_path / "new")
    client = ControlClient(home)
    defaults = client.call("setup.defaults")
    assert defaults["initialized"] is False and defaults["current"] is None
    assert "127.0.0.1/32" in defaults["default_relay"]
    with pytest.raises(ControlError) as err:
        client.call("setup.check_names", hostname="not a name", domain="office.test")
    assert err.value.field == "hostname"
    assert client.call("setup.check_names", hostname="Mail.Office.Test",
                       domain="office.test") == {"hostname": "mail.office.test",
                                                 "domain": "office.test"}
    checked = client.call("setup.check_networks", networks=["192.168.1.0/24"],
                          gateways=["192.168.1.1"])
    assert checked["networks"] == ["192.168.1.0/24"]
    assert any("192.168.1.1" in w for w in checked["warnings"])
    with pytest.raises(ControlError) as err:
        client.call("setup.check_account", address="a@elsewhere.test", password="long-enough",
                    domain="office.test")
    assert err.value.field == "address"
    assert not home.initialized()
    # The whole wizard, through the operations only.
    client.apply_setup({"hostname": "mail.office.test", "domain": "office.test",
                        "address": "alice@office.test", "password": "a-good-password",
                        "networks": ["192.168.1.0/24"],
                        "smarthost": {"smarthost.host": "relay.isp.test"}}, "isp-secret")
    assert home.initialized()
    current = client.call("setup.defaults")["current"]
    assert current["hostname"] == "mail.office.test"
    assert current["accounts"] == ["alice@office.test"]
    assert current["smarthost"]["smarthost.host"] == "relay.isp.test"
    assert current["smarthost_password_set"] and "smarthost.password" not in current["smarthost"]
    with pytest.raises(ControlError):  # made once, not twice
        client.call("setup.init", hostname="mail.office.test", domain="office.test")
    client.close()


def test_settings_schema_and_check(tmp_path: Path) -> None:
    home = Home(tmp_path / "h")
    client = ControlClient(home)
    client.call("setup.init", hostname="mail.office.test", domain="office.test")
    rows = {r["key"]: r for r in client.call("settings.schema")}
    assert rows["smtp.port"]["minimum"] == 1 and rows["smtp.port"]["maximum"] == 65535
    assert rows["smtp.timeout"]["unit"] == "s" and rows["log.max_bytes"]["unit"] == "bytes"
    assert rows["smarthost.tls"]["choices"] == ["starttls", "implicit", "none"]
    assert rows["smarthost.password"]["secret"] and rows["smarthost.host"]["group"] == "smarthost"
    with pytest.raises(ControlError) as err:
        client.call("settings.check", key="smtp.port", value=70000)
    assert err.value.field == "smtp.port" and "out of range" in err.value.message
    assert client.call("settings.check", key="hostname", value="Mail.Office.Test") == \
        "mail.office.test"
    client.close()


def test_smarthost_test_sends_through_a_real_relay(tmp_path: Path) -> None:
    home = Home(tmp_path / "h")
    client = ControlClient(home)
    client.call("setup.init", hostname="mail.office.test", domain="office.test")
    port = _free_port()
    handler = SinkHandler(reject={"nobody@isp.test"})
    with sink("127.0.0.1", port, handler):
        client.call("settings.set_many", values={"smarthost.host": "localhost",
                                                 "smarthost.port": port,
                                                 "smarthost.tls": "none"})
        result = client.call("smarthost.test", recipient="admin@isp.test")
        assert result["ok"], result
        assert result["reply"].startswith("250")
        assert handler.received[0].recipients == ["admin@isp.test"]
        assert handler.received[0].sender == "postmaster@office.test"
        refused = client.call("smarthost.test", recipient="nobody@isp.test")
        assert not refused["ok"] and refused["reply"].startswith("550")
    gone = client.call("smarthost.test", recipient="admin@isp.test")
    assert not gone["ok"] and "refuses connections" in gone["reply"]
    client.close()
