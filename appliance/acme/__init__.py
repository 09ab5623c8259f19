"""Certificates from an ACME CA (Let's Encrypt): issue, renew, and the daemon's renewal watch.

HTTP-01 on port 80 (``acme.http_port``) for the few seconds a challenge runs;
DNS-01 as the manual fallback (``begin_dns`` prints the TXT records to add,
``finish_dns`` lets the CA check them). The daemon renews a certificate it
got from ACME ``acme.renew_before_days`` before expiry, or earlier when the
CA's renewal information (ARI) says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from appliance.acme.client import (
    LETS_ENCRYPT,
    AcmeError,
    AcmeOptions,
    Issued,
    begin_dns,
    finish_dns,
    issue,
    pending_dns,
    read_record,
    renewal_window,
    write_record,
)

__all__ = [
    "AcmeError", "AcmeOptions", "Issued", "LETS_ENCRYPT", "Renewal", "begin_dns", "finish_dns",
    "issue", "options_from", "pending_dns", "read_record", "renewal_plan", "write_record",
]


def options_from(settings: dict[str, Any], hosts: list[str], *, directory: str = "",
                 email: str = "") -> AcmeOptions:
    return AcmeOptions(
        directory=directory or settings["acme.directory"],
        email=email or settings["acme.email"],
        http_port=settings["acme.http_port"],
        hosts=hosts,
        ca_file=settings["acme.ca_file"],
    )


def renewal_plan(record: dict[str, Any] | None, not_after: dt.datetime, before_days: int,
                 now: dt.datetime) -> dict[str, Any]:
    """When the certificate in use is to be renewed, and whether that is now."""
    from appliance.tls.certificates import renewal_due

    window = None
    if record and record.get("ari_start"):
        window = dt.datetime.fromisoformat(record["ari_start"])
    renew_at = not_after - dt.timedelta(days=before_days)
    if window is not None and window < renew_at:
        renew_at = window
    return {
        "managed": record is not None,
        "renew_at": renew_at.isoformat(),
        "by": "the CA's renewal information (ARI)" if window is not None and renew_at == window
        else f"{before_days} days before expiry",
        "due": record is not None and renewal_due(not_after, now, before_days, window),
    }


class Renewal:
    """The daemon's watch: renew an ACME certificate when due, say so when it cannot."""

    def __init__(self, tls_dir: Path, settings: Callable[[], dict[str, Any]],
                 hosts: Callable[[], list[str]], cert_path: Callable[[], Path],
                 apply: Callable[[Issued, str], Awaitable[Any]],
                 log: Callable[[str], None], executor: Executor | None = None) -> None:
        self.tls_dir = tls_dir
        self.settings = settings
        self.hosts = hosts
        self.cert_path = cert_path
        self.apply = apply
        self.log = log
        self.executor = executor
        self.warnings: list[str] = []
        self.last_check = 0.0
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Check again now (the settings changed)."""
        self._wake.set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    async def run(self) -> None:
        while True:
            interval = float(self.settings()["acme.check_interval"])
            if interval <= 0:
                await self._sleep(3600)
                continue
            try:
                await self.check()
            except Exception as exc:  # the watch must outlive any one failure
                self.log(f"acme: renewal check failed: {exc}")
            # After a failure try again within the hour, not a whole interval later.
            await self._sleep(min(interval, 3600) if self.warnings else interval)

    async def check(self, force: bool = False) -> dict[str, Any] | None:
        """Renew when due (or ``force``); None when nothing was done."""
        async with self._lock:
            self.last_check = time.time()
            record = read_record(self.tls_dir)
            if record is None:
                self.warnings = []
                return None
            # After the check above: without ACME the daemon never loads cryptography.
            from cryptography import x509

            settings = self.settings()
            loop = asyncio.get_running_loop()
            try:
                cert_pem = self.cert_path().read_bytes()
                not_after = x509.load_pem_x509_certificate(cert_pem).not_valid_after_utc
            except (OSError, ValueError):
                cert_pem, not_after = b"", dt.datetime.now(dt.UTC)
            options = options_from(settings, self.hosts(), directory=record["directory"],
                                   email=record.get("email", ""))
            if cert_pem and not force:
                window = await loop.run_in_executor(
                    self.executor, renewal_window, self.tls_dir, options, cert_pem)
                record["ari_start"] = window.isoformat() if window else ""
                now_record = read_record(self.tls_dir)
                if now_record is None or now_record.get("issued") != record.get("issued"):
                    return None  # a certificate was installed meanwhile: its own check follows
                write_record(self.tls_dir, {**now_record, "ari_start": record["ari_start"]})
            plan = renewal_plan(record, not_after, settings["acme.renew_before_days"],
                                dt.datetime.now(dt.UTC))
            if not (force or plan["due"]):
                self.warnings = []  # not due (any more): nothing to warn about
                return None
            if record.get("method") == "dns-01":
                self.warnings = [
                    f"the TLS certificate ({', '.join(record['names'])}) is due for renewal "
                    f"and was proved over DNS-01, which takes a hand: run mailroom tls acme "
                    f"issue --dns (it expires on {not_after:%Y-%m-%d})"]
                return None
            self.log(f"acme: renewing the certificate for {', '.join(record['names'])} "
                     f"({'by request' if force else 'due: ' + plan['by']})")
            try:
                issued = await loop.run_in_executor(
                    self.executor, lambda: issue(self.tls_dir, list(record["names"]), options,
                                                 self.log))
                result = await self.apply(issued, "http-01")
            except (AcmeError, OSError, ValueError) as exc:
                self.warnings = [f"renewing the TLS certificate failed: {exc} (it expires on "
                                 f"{not_after:%Y-%m-%d}; retried within the hour)"]
                write_record(self.tls_dir, {**(read_record(self.tls_dir) or record),
                                            "last_error": str(exc)})
                self.log(f"acme: renewal failed: {exc}")
                return None
            self.warnings = []
            return dict(result) if isinstance(result, dict) else {}
