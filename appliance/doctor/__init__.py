"""``doctor``: what breaks a small-office mail server, checked in one go, each with its fix.

Outbound port 25 (blocked by many ISPs: then the ISP relay), reverse DNS of
the public address, the certificate's expiry, disk space, the age of the
oldest deferred message, the age of the newest backup, the clock. Each
finding is ok, warn, fail or skip (cannot be checked here, and says why);
any fail makes ``mailroom doctor`` exit 1.
"""

from __future__ import annotations

import ipaddress
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from appliance.doctor import checks, probes
from appliance.doctor.checks import Finding

__all__ = ["Finding", "diagnose", "summarize"]

PROBE_TIMEOUT = 5.0


def _outbound(settings: dict[str, Any]) -> Finding:
    from appliance.dns.check import LookupFailed

    nameservers = settings["dns.nameservers"] or None
    if settings["smarthost.host"]:
        target = f"{settings['smarthost.host']}:{settings['smarthost.port']}"
        try:
            address = probes.address_of(settings["smarthost.host"], nameservers, PROBE_TIMEOUT)
        except LookupFailed as exc:
            return checks.outbound(target, str(exc), smarthost=settings["smarthost.host"])
        error = probes.smtp_answers(address, settings["smarthost.port"], PROBE_TIMEOUT)
        return checks.outbound(target, error, smarthost=settings["smarthost.host"])

    port = settings["delivery.remote_port"]
    try:
        host, address = probes.first_mx(settings["doctor.probe_domain"], nameservers,
                                        PROBE_TIMEOUT)
    except LookupFailed as exc:
        return checks.outbound("", None, lookup_error=str(exc))
    error = probes.smtp_answers(address, port, PROBE_TIMEOUT)
    return checks.outbound(f"{host} ({address}) port {port}", error)


def _reverse_dns(settings: dict[str, Any]) -> Finding:
    from appliance.dns.check import LookupFailed
    from appliance.dns.records import detect_addresses

    address = settings["dns.public_ipv4"] or None
    detected = address is None
    if detected:
        address = detect_addresses()[0]
    if address is None:
        return checks.reverse_dns(None, settings["hostname"], None, None)
    if detected and not ipaddress.ip_address(address).is_global:
        # Behind NAT: the PTR that matters is the router's public address's.
        return checks.reverse_dns(None, settings["hostname"], None, None, private=address)
    try:
        names, forward = probes.ptr_and_forward(address, settings["hostname"],
                                                settings["dns.nameservers"] or None,
                                                PROBE_TIMEOUT)
    except LookupFailed as exc:
        return checks.reverse_dns(address, settings["hostname"], None, None, error=str(exc))
    return checks.reverse_dns(address, settings["hostname"], names, forward, detected=detected)


def _certificate(cert: Path, tls_dir: Path, hostname: str) -> Finding:
    from appliance.acme import read_record
    from appliance.tls.certificates import CertificateError, describe

    try:
        info = describe(cert.read_bytes(), str(cert))
    except (OSError, CertificateError) as exc:
        return checks.certificate(None, hostname, error=str(exc))
    managed = cert == tls_dir / "cert.pem" and read_record(tls_dir) is not None
    return checks.certificate(info, hostname, managed=managed)


def _disk(root: Path, minfree: int) -> Finding:
    usage = shutil.disk_usage(root)
    return checks.disk_space(usage.free, usage.total, minfree)


def _queue(entries: list[tuple[str, float]], delay_warning: int) -> Finding:
    deferred = [arrival for queue, arrival in entries if queue == "deferred"]
    return checks.queue_age(min(deferred) if deferred else None, time.time(), len(deferred),
                            delay_warning)


def _backups(settings: dict[str, Any]) -> Finding:
    if "backup.destination" not in settings:
        return checks.backup_age(None, None, time.time())
    destination = settings["backup.destination"]
    if not destination:
        return checks.backup_age(False, None, time.time())
    try:
        from appliance.backup import list_archives

        archives = list_archives(Path(destination))
        newest = archives[0]["created"] if archives else None
    except ImportError:  # a build without backups: newest file by time
        files = [p.stat().st_mtime for p in Path(destination).glob("mailroom-*")]
        newest = max(files) if files else None
    return checks.backup_age(True, newest, time.time(), destination)


def _clock() -> Finding:
    return checks.clock(*probes.clock_status())


def diagnose(settings: dict[str, Any], root: Path, cert: Path, tls_dir: Path,
             queue_entries: Callable[[], list[tuple[str, float]]]) -> list[Finding]:
    """Run every check at once (the network ones wait at most PROBE_TIMEOUT each)."""
    jobs: list[tuple[str, Callable[[], Finding]]] = [
        ("outbound mail", lambda: _outbound(settings)),
        ("reverse DNS", lambda: _reverse_dns(settings)),
        ("TLS certificate", lambda: _certificate(cert, tls_dir, settings["hostname"])),
        ("disk space", lambda: _disk(root, settings["queue.minfree"])),
        ("mail queue", lambda: _queue(queue_entries(), settings["queue.delay_warning"])),
        ("backups", lambda: _backups(settings)),
        ("clock", _clock),
    ]
    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="doctor") as pool:
        futures = [(name, pool.submit(job)) for name, job in jobs]
        findings = []
        for name, future in futures:
            try:
                findings.append(future.result())
            except Exception as exc:  # one broken check must not hide the others
                findings.append(Finding(name, "warn", f"could not check: {exc}"))
    return findings


def summarize(findings: list[Finding]) -> dict[str, Any]:
    counts = {s: sum(1 for f in findings if f.status == s) for s in ("ok", "warn", "fail",
                                                                       "skip")}
    return {"ok": counts["fail"] == 0, "counts": counts, "checked": time.time(),
            "findings": [f.to_dict() for f in findings]}
