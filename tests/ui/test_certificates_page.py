"""The Certificates page (the certificate in use, Import…, refusals in the server's words)
and the Diagnostics page (doctor's findings in colour)."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from appliance.tls import make_self_signed
from tests.support.dnsserver import DnsServer
from tests.support.sink import closed_port
from tests.ui.conftest import Gui, Offline, wait
from ui.pages.certificates import CertificatesPage, ImportDialog
from ui.pages.doctor import STATUS_COLOURS, DoctorPage


def test_certificates_page_shows_imports_and_refuses(gui: Gui, tmp_path: Path) -> None:
    assert gui.window.show_page("certificates")
    page = gui.window.page("certificates")
    assert isinstance(page, CertificatesPage)
    wait(lambda: page.loaded and page.idle and page.info is not None)
    assert "mail.example.test" in page.fields["names"].text()
    assert page.fields["issuer"].text() == "itself (self-signed)"
    assert "by hand" in page.fields["renewal"].text()
    assert not page.renew_button.isEnabled()
    assert page.form is not None and "acme.email" in page.form.fields

    make_self_signed("mail.example.test", tmp_path / "c.pem", tmp_path / "k.pem")
    make_self_signed("mail.example.test", tmp_path / "c2.pem", tmp_path / "k2.pem")
    dialog = ImportDialog(page)
    dialog.cert.path.setText(str(tmp_path / "c.pem"))
    dialog._check()
    assert not dialog.pem and "key" in dialog.error.text().lower()  # the key is missing
    dialog.key.path.setText(str(tmp_path / "k2.pem"))
    dialog._check()
    page.import_pem(dialog.pem)  # a key of another certificate: refused, nothing changes
    wait(lambda: page.idle and not page.busy)
    assert "does not belong" in page.banner.text()
    before = page.fields["fingerprint"].text()

    dialog.key.path.setText(str(tmp_path / "k.pem"))
    dialog._check()
    page.import_pem(dialog.pem)
    wait(lambda: page.idle and not page.busy)
    assert "Certificate imported and in use." in page.banner.text()
    installed = x509.load_pem_x509_certificate((tmp_path / "c.pem").read_bytes())
    assert page.fields["fingerprint"].text() != before
    assert page.fields["fingerprint"].text().replace(":", "").lower() == \
        installed.fingerprint(installed.signature_hash_algorithm).hex()  # type: ignore[arg-type]
    page.grab().save(str(tmp_path / "certificates.png"))


def test_diagnostics_page_runs_doctor(offline: Offline, dns: DnsServer, tmp_path: Path) -> None:
    offline.client.call("settings.set_many", values={
        "dns.nameservers": dns.nameserver, "doctor.probe_domain": "far-away.test",
        "delivery.remote_port": closed_port(), "dns.public_ipv4": "203.0.113.10"})
    page = offline.open("doctor")
    assert isinstance(page, DoctorPage)
    wait(lambda: page.result is not None and not page.running, 20)
    checks = [page.table.item(r, 0).text() for r in range(page.table.rowCount())]
    assert checks[:3] == ["Outbound mail", "Reverse DNS", "TLS certificate"]
    status = page.table.item(0, 1)
    assert status.text() == "✗ failing"
    assert status.foreground().color().name() == STATUS_COLOURS["fail"]
    assert "smarthost.host" in page.table.item(0, 3).text()
    assert "failing" in page.summary.text()
    page.grab().save(str(tmp_path / "doctor.png"))
