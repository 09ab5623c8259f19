"""DKIM keys: selector names, the rotation rules, signing (with alias domains), the store."""

from __future__ import annotations

import calendar
import json
from pathlib import Path

import dkim
import pytest

from appliance.dkim import DkimStore, KeyRing, Signer, from_domain, selector_for, sign_message
from appliance.dkim.keys import RETIRED_KEEP, txt_value
from appliance.secrets import SecretStore

NOV = calendar.timegm((2026, 11, 29, 12, 0, 0))
DEC = calendar.timegm((2026, 12, 2, 12, 0, 0))
MESSAGE = (b"From: Alice <alice@example.test>\r\nTo: bob@far.test\r\nSubject: hi\r\n"
           b"Date: Sun, 29 Nov 2026 20:00:00 +0000\r\nMessage-ID: <1@example.test>\r\n"
           b"\r\nhello\r\n")


@pytest.fixture(scope="module")
def ring() -> KeyRing:
    return KeyRing().rotate(NOV, now=True)


def test_selectors_name_the_month_and_the_kind() -> None:
    assert selector_for("rsa", NOV) == "mr202611r"
    assert selector_for("ed25519", NOV) == "mr202611e"
    assert selector_for("rsa", NOV, {"mr202611r"}) == "mr202611r2"
    assert selector_for("rsa", NOV, {"mr202611r", "mr202611r2"}) == "mr202611r3"


def test_a_new_domain_signs_with_rsa_and_ed25519(ring: KeyRing) -> None:
    signing = ring.signing()
    assert [(k.algorithm, k.selector, k.state) for k in signing] == [
        ("rsa", "mr202611r", "active"), ("ed25519", "mr202611e", "active")]
    rsa_key = signing[0]
    assert rsa_key.private.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert txt_value(rsa_key).startswith("v=DKIM1; k=rsa; p=MIIBIjANBg")  # 2048-bit SPKI
    assert "private" not in json.dumps(rsa_key.public_view("example.test"))


def test_rotation_waits_until_promoted_then_retires_and_drops(ring: KeyRing) -> None:
    rotated = ring.rotate(DEC)
    assert [k.selector for k in rotated.signing()] == ["mr202611r", "mr202611e"]
    assert sorted(k.selector for k in rotated.pending()) == ["mr202612e", "mr202612r"]
    again = rotated.rotate(DEC)  # a second rotation replaces the pending pair
    assert len(again.keys) == 4
    promoted = rotated.promote(["mr202612r", "mr202612e"], DEC)
    assert [k.selector for k in promoted.signing()] == ["mr202612r", "mr202612e"]
    old = [k for k in promoted.keys if k.state == "retired"]
    assert sorted(k.selector for k in old) == ["mr202611e", "mr202611r"]
    assert promoted.prune(DEC + RETIRED_KEEP - 1) == promoted  # kept a week
    assert len(promoted.prune(DEC + RETIRED_KEEP + 1).keys) == 2


def test_rotate_now_in_the_same_month_gets_new_selectors(ring: KeyRing) -> None:
    now = ring.rotate(NOV + 60, now=True)
    assert [k.selector for k in now.signing()] == ["mr202611r2", "mr202611e2"]
    assert {k.state for k in now.keys if k.selector in ("mr202611r", "mr202611e")} == {"retired"}


def test_signatures_verify_and_are_not_stacked(ring: KeyRing) -> None:
    keys = ring.signing()
    records = {f"{k.selector}._domainkey.example.test.".encode(): txt_value(k).encode()
               for k in keys}
    signed = sign_message(MESSAGE, "example.test", keys)
    verifier = dkim.DKIM(signed)
    for i in range(2):
        assert verifier.verify(idx=i, dnsfunc=lambda name, timeout=5: records.get(name))
    assert sign_message(signed, "example.test", keys) == signed  # never twice on one hop
    tampered = signed.replace(b"hello", b"HELLO")
    assert not dkim.verify(tampered, dnsfunc=lambda n, timeout=5: records.get(n))


def test_signer_signs_our_from_domains_with_d_of_the_alias(ring: KeyRing) -> None:
    ours = {"example.test": ring.signing(), "alias.test": ring.signing()}
    signer = Signer(lambda domain: ours.get(domain, []))
    alias = MESSAGE.replace(b"alice@example.test", b"alice@alias.test").replace(b"\r\n", b"\n")
    signed = signer(alias)
    assert signed.count(b"DKIM-Signature:") == 2 and b"d=alias.test;" in signed
    assert b"\r\n" in signed and b"\n\n" not in signed  # signed as it goes on the wire
    outside = MESSAGE.replace(b"alice@example.test", b"eve@far.test")
    assert signer(outside) == outside
    assert Signer(lambda d: ring.signing(), enabled=lambda: False)(MESSAGE) == MESSAGE


@pytest.mark.parametrize(("head", "domain"), [
    (b"From: a@Example.TEST\r\n\r\nx", "example.test"),
    (b"From: \"Doe, J\" <j@x.test>, k@y.test\r\n\r\nx", "x.test"),
    (b"Subject: none\r\n\r\nFrom: a@b.test\r\n", None),
    (b"From: undisclosed\r\n\r\n", None),
])
def test_from_domain(head: bytes, domain: str | None) -> None:
    assert from_domain(head) == domain


def test_store_keeps_keys_in_the_secrets_file(tmp_path: Path) -> None:
    store = DkimStore(SecretStore(tmp_path / "secrets.json"), clock=lambda: NOV)
    first = store.ensure("example.test")
    assert store.ensure("example.test") == first  # made once
    assert store.domains() == ["example.test"]
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600
    store.rotate("example.test")
    assert len(store.ring("example.test").pending()) == 2
    store.drop("example.test")
    assert store.domains() == []
