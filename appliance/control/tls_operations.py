"""Control operations for the TLS certificate: tls.show/import, tls.acme.issue/renew/status.

Registered into :data:`appliance.control.operations.OPERATIONS` when that
module is imported; each takes the :class:`Operations` instance first.
A certificate is checked (``appliance.tls.certificates.check_import``) before
it is installed into the data directory, and a running daemon takes it for
its next handshakes without restarting a listener.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path
from typing import Any

from appliance.control.operations import Operations, op
from appliance.state import StateError

__all__ = ["apply_renewed", "certificate_path", "certificate_warnings"]


def certificate_path(ops: Operations) -> Path:
    return Path(ops.state.get_setting("tls.cert") or ops.home.tls / "cert.pem")


def _listen_hosts(ops: Operations) -> list[str]:
    options = getattr(ops.daemon, "options", None)
    hosts = list(getattr(options, "listen", None) or [])
    return hosts or list(ops.state.get_setting("listen"))


def _mx_hosts(ops: Operations) -> list[str]:
    """The MX hosts of our domains (clients and other servers connect to those names)."""
    from appliance.dns.check import LookupFailed, make_lookup

    lookup = make_lookup(ops.state.get_setting("dns.nameservers") or None, 2.0)
    hosts: list[str] = []
    for domain in ops.state.domains():
        try:
            found = lookup(domain, "MX")
        except LookupFailed:
            continue
        for text in found:
            host = text.split()[-1].rstrip(".").lower()
            if host and host not in hosts:
                hosts.append(host)
    return hosts


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise StateError(f"cannot read the {what} {path}: {exc.strerror or exc}", what) from exc


async def _install(ops: Operations, cert_pem: bytes, key_pem: bytes, chain_pem: bytes = b"",
                   names: list[str] | None = None) -> dict[str, Any]:
    """Check, install into tls/, point the settings at it, let the daemon take it."""
    from cryptography.hazmat.primitives import serialization

    from appliance.tls import install
    from appliance.tls.certificates import CertificateError, check_import

    hostname = ops.state.get_setting("hostname")
    loop = asyncio.get_running_loop()
    others = await loop.run_in_executor(None, _mx_hosts, ops)
    others = [n for n in [*(names or []), *others] if n != hostname]
    try:
        checked = check_import(cert_pem, key_pem, hostname, other_names=others,
                               extra_chain=chain_pem)
    except CertificateError as exc:
        raise StateError(str(exc), "cert") from exc
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in checked.chain)
    install(ops.home.tls, chain, key_pem)
    # The files now live in the data directory (a backup holds them): the
    # settings go back to their defaults, which name those files.
    ops.state.set_setting("tls.cert", "")
    ops.state.set_setting("tls.key", "")
    if ops.daemon is not None:
        await ops.daemon.reload()
    return {**tls_show(ops), "warnings": checked.warnings}


@op("tls.show")
def tls_show(ops: Operations) -> dict[str, Any]:
    """The certificate in use: names, issuer, dates, fingerprint; how it is renewed."""
    from appliance.acme import read_record, renewal_plan
    from appliance.tls.certificates import CertificateError, describe

    cert = certificate_path(ops)
    try:
        info = describe(cert.read_bytes(), str(cert))
    except (OSError, CertificateError) as exc:
        raise StateError(f"cannot read certificate {cert}: {exc}", "tls.cert") from exc
    record = read_record(ops.home.tls) if cert == ops.home.tls / "cert.pem" else None
    not_after = dt.datetime.fromisoformat(info["not_after"])
    info["acme"] = record and {
        "names": record["names"], "directory": record["directory"],
        "email": record.get("email", ""), "method": record.get("method", "http-01"),
        "last_error": record.get("last_error", ""),
        **renewal_plan(record, not_after, ops.state.get_setting("acme.renew_before_days"),
                       dt.datetime.now(dt.UTC)),
    }
    info["warnings"] = certificate_warnings(ops)
    return info


@op("tls.import")
async def tls_import(ops: Operations, cert: str = "", key: str = "", chain: str = "",
                     cert_pem: str = "", key_pem: str = "",
                     chain_pem: str = "") -> dict[str, Any]:
    """Use this certificate (chain) and key: PEM text, or files the daemon can read."""
    cert_bytes = cert_pem.encode() if cert_pem else _read(cert, "cert") if cert else b""
    key_bytes = key_pem.encode() if key_pem else _read(key, "key") if key else b""
    chain_bytes = chain_pem.encode() if chain_pem else _read(chain, "chain") if chain else b""
    if not cert_bytes or not key_bytes:
        raise StateError("give both a certificate and its private key", "cert")
    result = await _install(ops, cert_bytes, key_bytes, chain_bytes)
    # Imported by hand: the daemon no longer renews it from ACME.
    (ops.home.tls / "acme" / "certificate.json").unlink(missing_ok=True)
    result["acme"] = None
    return result


def _names(ops: Operations, names: list[str] | None) -> list[str]:
    from appliance.addresses import is_valid_domain, normalize_domain

    hostname = ops.state.get_setting("hostname")
    wanted = [hostname]
    for name in names or []:
        name = normalize_domain(name.strip())
        if not is_valid_domain(name) or "." not in name:
            raise StateError(f"not a host name a CA can certify: {name!r}", "names")
        if name not in wanted:
            wanted.append(name)
    return wanted


def _options(ops: Operations, directory: str, email: str) -> Any:
    from appliance.acme import options_from

    return options_from(ops.state.settings(), _listen_hosts(ops), directory=directory,
                        email=email)


async def _apply_issued(ops: Operations, issued: Any, method: str, options: Any) -> dict[str, Any]:
    from cryptography import x509

    from appliance.acme import write_record

    result = await _install(ops, issued.cert_pem, issued.key_pem, names=issued.names)
    leaf = x509.load_pem_x509_certificate(issued.cert_pem)
    write_record(ops.home.tls, {
        "names": issued.names, "directory": options.directory, "email": options.email,
        "method": method, "issued": time.time(),
        "not_after": leaf.not_valid_after_utc.isoformat(), "last_error": ""})
    return {**result, **{k: v for k, v in tls_show(ops).items() if k == "acme"}}


async def apply_renewed(ops: Operations, issued: Any, method: str) -> dict[str, Any]:
    """Install a certificate the daemon's renewal got, under the CA it came from."""
    from appliance.acme import read_record

    record = read_record(ops.home.tls) or {}
    options = _options(ops, record.get("directory", ""), record.get("email", ""))
    return await _apply_issued(ops, issued, method, options)


@op("tls.acme.issue")
async def tls_acme_issue(ops: Operations, names: list[str] | None = None, email: str = "",
                         directory: str = "", dns: bool = False,
                         finish: bool = False) -> dict[str, Any]:
    """Get a certificate from the ACME CA for the host name (and ``names``).

    HTTP-01 by default (port ``acme.http_port`` opens for the challenge only).
    ``dns``: the manual DNS-01 fallback; the answer lists the TXT records to
    publish, then ``finish`` lets the CA check them and issues.
    """
    from appliance.acme import AcmeError, begin_dns, finish_dns, issue
    from appliance.state.settings import SettingError, parse_setting

    given = {k: v for k, v in (("acme.email", email), ("acme.directory", directory)) if v}
    for key, value in given.items():
        try:
            parse_setting(key, value)
        except SettingError as exc:
            raise StateError(str(exc), key) from exc
    options = _options(ops, directory, email)
    loop = asyncio.get_running_loop()
    try:
        if dns and not finish:
            wanted = _names(ops, names)
            records = await loop.run_in_executor(None, begin_dns, ops.home.tls, wanted,
                                                 options)
            result: dict[str, Any] = {"pending": True, "names": wanted, "records": records}
        elif finish:
            issued = await loop.run_in_executor(None, finish_dns, ops.home.tls, options)
            result = await _apply_issued(ops, issued, "dns-01", options)
        else:
            wanted = _names(ops, names)
            issued = await loop.run_in_executor(None, issue, ops.home.tls, wanted, options)
            result = await _apply_issued(ops, issued, "http-01", options)
    except (AcmeError, OSError) as exc:
        raise StateError(str(exc), "acme") from exc
    for key, value in given.items():  # remembered once the CA took them: the GUI shows them
        ops.state.set_setting(key, value)
    return result


@op("tls.acme.renew")
async def tls_acme_renew(ops: Operations) -> dict[str, Any]:
    """Renew the ACME certificate now, with the names and CA it was issued with."""
    from appliance.acme import read_record

    record = read_record(ops.home.tls)
    if record is None:
        raise StateError("the certificate in use did not come from ACME (get one with: "
                         "mailroom tls acme issue)", "acme")
    if record.get("method") == "dns-01":
        raise StateError("this certificate was proved over DNS-01: renew it by hand with "
                         "mailroom tls acme issue --dns", "acme")
    renewal = getattr(ops.daemon, "renewal", None)
    if renewal is not None:
        result = await renewal.check(force=True)
        if result is None:
            raise StateError("; ".join(renewal.warnings) or "renewal failed", "acme")
        return tls_show(ops)
    return await tls_acme_issue(ops, names=list(record["names"]),
                                email=record.get("email", ""), directory=record["directory"])


@op("tls.acme.status")
def tls_acme_status(ops: Operations) -> dict[str, Any]:
    from appliance.acme import pending_dns

    settings = ops.state.settings()
    show = tls_show(ops)
    pending = pending_dns(ops.home.tls)
    renewal = getattr(ops.daemon, "renewal", None)
    return {
        "directory": settings["acme.directory"], "email": settings["acme.email"],
        "http_port": settings["acme.http_port"], "certificate": show, "acme": show["acme"],
        "pending_dns": pending and {"names": pending["names"], "records": pending["records"]},
        "last_check": getattr(renewal, "last_check", 0.0) or None,
        "warnings": show["warnings"],
    }


def certificate_warnings(ops: Operations, renewal: bool = True) -> list[str]:
    """What the dashboard, tray and ``tls show`` warn about: expiry ahead, failed renewals
    (those only with ``renewal``: the daemon's status lists them already)."""
    from appliance.acme import read_record
    from appliance.tls import certificate_expiry

    cert = certificate_path(ops)
    if not cert.exists():
        return [f"no TLS certificate at {cert}"]
    try:
        expiry = certificate_expiry(cert)
    except (ValueError, OSError) as exc:
        return [f"cannot read the TLS certificate {cert}: {exc}"]
    watch = getattr(ops.daemon, "renewal", None) if renewal else None
    warnings = list(getattr(watch, "warnings", []) or [])
    left = (expiry.timestamp() - time.time()) / 86400
    # An ACME certificate is renewed 30 days ahead: a warning only once that is late.
    managed = read_record(ops.home.tls) is not None
    if left < 0:
        warnings.append(f"the TLS certificate expired on {expiry:%Y-%m-%d}: clients refuse "
                        "it (get a new one: mailroom tls acme issue, or tls import)")
    elif left < (14 if managed else 30):
        fix = ("its renewal is late: mailroom tls acme renew" if managed
               else "renew it: mailroom tls acme issue, or tls import")
        warnings.append(f"the TLS certificate expires in {int(left)} days "
                        f"({expiry:%Y-%m-%d}); {fix}")
    return warnings
