"""Checking a certificate before it is used: pair, chain order, dates, names; renewal timing."""

from __future__ import annotations

import datetime as dt
import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from appliance.acme import renewal_plan
from appliance.tls import ReloadableContext, install, make_self_signed
from appliance.tls.certificates import CertificateError, check_import, covers, describe

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
Key = ec.EllipticCurvePrivateKey


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key: Key, issuer: str, issuer_key: Key, *, ca: bool,
          names: list[str] | None = None, days: int = 90,
          start: dt.datetime | None = None) -> x509.Certificate:
    start = start or NOW - dt.timedelta(days=1)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + dt.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _key_pem(key: Key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class Chain:
    def __init__(self, names: list[str] | None = None, days: int = 90,
                 start: dt.datetime | None = None) -> None:
        self.root_key, self.mid_key, self.key = (ec.generate_private_key(ec.SECP256R1())
                                                 for _ in range(3))
        self.root = _cert("Test Root", self.root_key, "Test Root", self.root_key, ca=True,
                          days=3650, start=NOW - dt.timedelta(days=100))
        self.mid = _cert("Test Intermediate", self.mid_key, "Test Root", self.root_key,
                         ca=True, days=1000, start=NOW - dt.timedelta(days=100))
        self.leaf = _cert("mail.example.test", self.key, "Test Intermediate", self.mid_key,
                          ca=False, names=names or ["mail.example.test"], days=days,
                          start=start)


def test_a_good_chain_passes_with_its_warnings() -> None:
    c = Chain(names=["mail.example.test", "*.example.test"])
    checked = check_import(_pem(c.leaf, c.mid), _key_pem(c.key), "mail.example.test",
                           other_names=["mx2.example.test", "mx.other.test"], now=NOW,
                           roots=[c.root])
    assert [x.subject for x in checked.chain] == [c.leaf.subject, c.mid.subject]
    # The wildcard covers mx2; mx.other.test is warned about, not refused.
    assert len(checked.warnings) == 1 and "mx.other.test" in checked.warnings[0]


def test_chain_given_apart_and_an_unknown_root_is_a_warning() -> None:
    c = Chain()
    checked = check_import(_pem(c.leaf), _key_pem(c.key), "mail.example.test",
                           extra_chain=_pem(c.mid), now=NOW, roots=[])
    assert len(checked.chain) == 2
    checked = check_import(_pem(c.leaf), _key_pem(c.key), "mail.example.test", now=NOW,
                           roots=[c.root])
    assert any("does not trust" in w and "--chain" in w for w in checked.warnings)


def test_key_of_another_certificate_is_refused() -> None:
    c, other = Chain(), Chain()
    with pytest.raises(CertificateError, match="key does not belong"):
        check_import(_pem(c.leaf, c.mid), _key_pem(other.key), "mail.example.test", now=NOW)


def test_chain_out_of_order_is_refused_and_explained() -> None:
    c = Chain()
    reversed_pem = _pem(c.mid, c.leaf)
    with pytest.raises(CertificateError, match="put the server's own certificate first"):
        check_import(reversed_pem, _key_pem(c.key), "mail.example.test", now=NOW)
    stranger = Chain()
    with pytest.raises(CertificateError, match="chain out of order or incomplete"):
        check_import(_pem(c.leaf, stranger.mid), _key_pem(c.key), "mail.example.test", now=NOW)


def test_expired_not_yet_valid_and_wrong_names_are_refused() -> None:
    old = Chain(days=10, start=NOW - dt.timedelta(days=20))
    with pytest.raises(CertificateError, match="expired on"):
        check_import(_pem(old.leaf, old.mid), _key_pem(old.key), "mail.example.test", now=NOW)
    future = Chain(start=NOW + dt.timedelta(days=2))
    with pytest.raises(CertificateError, match="not valid before"):
        check_import(_pem(future.leaf), _key_pem(future.key), "mail.example.test", now=NOW)
    other = Chain(names=["www.example.test"])
    with pytest.raises(CertificateError, match="not for this server's host name"):
        check_import(_pem(other.leaf), _key_pem(other.key), "mail.example.test", now=NOW)


def test_garbage_and_encrypted_keys_get_plain_words() -> None:
    c = Chain()
    with pytest.raises(CertificateError, match="no PEM certificate"):
        check_import(b"hello", _key_pem(c.key), "mail.example.test", now=NOW)
    encrypted = c.key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.BestAvailableEncryption(b"secret"))
    with pytest.raises(CertificateError, match="passphrase"):
        check_import(_pem(c.leaf), encrypted, "mail.example.test", now=NOW)


def test_wildcards_cover_one_label() -> None:
    assert covers(["*.example.test"], "mail.example.test")
    assert not covers(["*.example.test"], "a.b.example.test")
    assert not covers(["*.example.test"], "example.test")
    assert covers(["127.0.0.1"], "127.0.0.1")


def test_describe_and_install(tmp_path: Path) -> None:
    make_self_signed("mail.example.test", tmp_path / "c.pem", tmp_path / "k.pem")
    info = describe((tmp_path / "c.pem").read_bytes(), "c.pem", now=NOW)
    assert info["self_signed"] and info["names"][0] == "mail.example.test"
    assert len(info["fingerprint"].split(":")) == 32
    tls = tmp_path / "tls"
    install(tls, b"first-cert", b"first-key")
    install(tls, (tmp_path / "c.pem").read_bytes(), (tmp_path / "k.pem").read_bytes())
    assert (tls / "cert.pem.previous").read_bytes() == b"first-cert"
    for name in ("key.pem", "key.pem.previous"):
        assert stat.S_IMODE((tls / name).stat().st_mode) == 0o600


def test_reloadable_context_switches_new_handshakes(tmp_path: Path) -> None:
    make_self_signed("a.example.test", tmp_path / "a.pem", tmp_path / "ak.pem")
    make_self_signed("b.example.test", tmp_path / "b.pem", tmp_path / "bk.pem")
    ctx = ReloadableContext(tmp_path / "a.pem", tmp_path / "ak.pem")
    before = ctx.current
    ctx.load(tmp_path / "b.pem", tmp_path / "bk.pem")
    assert ctx.current is not before and ctx.context.sni_callback is not None
    with pytest.raises(ssl.SSLError):  # a bad pair leaves the one in use
        ctx.load(tmp_path / "a.pem", tmp_path / "bk.pem")


def test_renewal_plan_30_days_or_the_ari_window() -> None:
    not_after = NOW + dt.timedelta(days=40)
    record = {"names": ["mail.example.test"]}
    plan = renewal_plan(record, not_after, 30, NOW)
    assert not plan["due"] and plan["renew_at"].startswith("2026-12-09")
    assert renewal_plan(record, not_after, 30, NOW + dt.timedelta(days=11))["due"]
    ari = {**record, "ari_start": (NOW - dt.timedelta(hours=1)).isoformat()}
    plan = renewal_plan(ari, not_after, 30, NOW)
    assert plan["due"] and "ARI" in plan["by"]
    assert not renewal_plan(None, not_after, 30, NOW + dt.timedelta(days=39))["due"]
