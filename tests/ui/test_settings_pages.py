"""Settings pages built from the schema: units and help on every field, the server's own
refusal beside the field, secrets never shown, the ISP relay's test message, and every
setting of the schema on some page."""

from __future__ import annotations

import socket

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QSpinBox

from appliance.control.types import SettingSpec
from tests.support.sink import SinkHandler, sink
from tests.ui.conftest import Offline, wait
from ui.pages.settings_form import SettingsPage, expand_keys
from ui.window import _page_classes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_every_setting_is_on_some_page(offline: Offline) -> None:
    schema = [r["key"] for r in offline.client.call("settings.schema")]
    shown: dict[str, list[str]] = {}
    for key, cls in _page_classes():
        for setting in expand_keys(cls.settings_keys, schema):
            shown.setdefault(setting, []).append(key)
    missing = [k for k in schema if k not in shown]
    assert not missing, f"settings no page shows (declare them in a page's settings_keys): " \
                        f"{missing}"


def test_fields_carry_unit_range_and_help(offline: Offline) -> None:
    page: SettingsPage = offline.open("limits")
    assert page.form is not None
    size = page.form.fields["smtp.max_message_size"]
    assert isinstance(size.widget, QSpinBox) and size.widget.suffix() == " bytes"
    assert size.hint is not None and size.hint.text() == "= 25.0 MB"
    timeout = page.form.fields["smtp.timeout"].widget
    assert isinstance(timeout, QSpinBox) and timeout.suffix() == " s"
    assert timeout.minimum() == 1  # _positive, from the schema
    helps = page.findChildren(QLabel, "help:smtp.timeout")
    assert helps and "idle" in helps[0].text()
    queue: SettingsPage = offline.open("queue-timers")
    assert queue.form is not None
    warn = queue.form.fields["queue.delay_warning"].widget
    assert isinstance(warn, QSpinBox) and warn.minimum() == 0
    assert warn.specialValueText() == "never"


def test_refused_in_place_with_the_servers_words(offline: Offline) -> None:
    page: SettingsPage = offline.open("smarthost")
    assert page.form is not None
    host = page.form.fields["smarthost.host"].widget
    assert isinstance(host, QLineEdit)
    host.setText("not a host!")
    page.mark_dirty()
    page.save()
    wait(lambda: page.idle)
    assert "not a valid host name" in page.field_error("smarthost.host")
    assert page.is_dirty()
    assert offline.client.call("settings.get", key="smarthost.host") == ""


def test_password_is_never_shown(offline: Offline) -> None:
    offline.client.call("settings.set_many", values={"smarthost.host": "relay.isp.test",
                                                     "smarthost.password": "s3cret-word"})
    page: SettingsPage = offline.open("smarthost")
    assert page.form is not None
    pw = page.form.fields["smarthost.password"].widget
    assert isinstance(pw, QLineEdit) and pw.echoMode() == QLineEdit.EchoMode.Password
    assert pw.text() == "" and "stored" in pw.placeholderText()
    assert "s3cret" not in pw.toolTip()
    # Saving another field leaves the stored password alone.
    port = page.form.fields["smarthost.port"].widget
    assert isinstance(port, QSpinBox)
    port.setValue(2525)
    page.save()
    wait(lambda: page.idle and not page.is_dirty())
    values = offline.client.call("setup.defaults")["current"]
    assert values["smarthost_password_set"] and values["smarthost"]["smarthost.port"] == 2525


def test_send_a_test_message_through_the_relay(offline: Offline) -> None:
    page: SettingsPage = offline.open("smarthost")
    assert page.form is not None
    handler = SinkHandler()
    port = _free_port()
    fields = page.form.fields
    host, tls, port_box = (fields[k].widget for k in ("smarthost.host", "smarthost.tls",
                                                      "smarthost.port"))
    assert isinstance(host, QLineEdit) and isinstance(tls, QComboBox)
    assert isinstance(port_box, QSpinBox)
    # The form's values, not yet saved, are the ones tried.
    host.setText("localhost")
    port_box.setValue(port)
    tls.setCurrentIndex(tls.findData("none"))
    assert tls.currentText().startswith("None")
    with sink("127.0.0.1", port, handler):
        page.test_to.setText("admin@isp.test")
        page.test_button.click()
        wait(lambda: page.idle and page.test_reply is not None)
    assert page.test_reply is not None and page.test_reply["ok"]
    assert "accepted" in page.test_result.toPlainText()
    assert handler.received[0].recipients == ["admin@isp.test"]
    assert offline.client.call("settings.get", key="smarthost.host") == ""  # nothing saved


def test_schema_types_round_trip() -> None:
    spec = SettingSpec.from_dict({"key": "a.b", "type": "int", "default": 1, "help": "h",
                                  "group": "a", "unit": "s", "minimum": 0, "maximum": None,
                                  "choices": [], "secret": False})
    assert spec.unit == "s" and spec.minimum == 0 and spec.choices == ()
