"""Virus scanning through ClamAV's clamd (INSTREAM, via aioclamd), and blocked attachment types.

``scan`` streams a message to clamd and says clean, infected (with the
signature name), skipped (over ``virus.max_scan_size``) or error (clamd
not reachable, a time-out, a refusal). What to do with each is the
caller's (appliance.screening): infected is 554 5.7.1, an error 451 4.7.1
or accept as ``virus.on_error`` says.
"""

from __future__ import annotations

import asyncio
import functools
import io
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from appliance.virus.attachments import Blocked, blocked_attachment, extension_of

if TYPE_CHECKING:
    import aioclamd

__all__ = ["Blocked", "ClamdConfig", "ScanResult", "blocked_attachment", "config_from_settings",
           "extension_of", "ping", "scan", "EICAR"]

# The EICAR test file (68 bytes): every virus scanner's "this is a test" signature.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@functools.cache
def _aioclamd() -> ModuleType:
    """aioclamd, taught Unix sockets; imported when clamd is first asked, not at daemon start."""
    import aioclamd

    class _Socket(aioclamd._AsyncClamdNetworkSocket):
        """aioclamd's connection, also to a Unix socket (Debian's clamd listens on one)."""

        async def __aenter__(self) -> _Socket:
            if not str(self.host).startswith("/"):
                await super().__aenter__()
                return self
            try:
                self.reader, self.writer = await asyncio.open_unix_connection(self.host)
            except Exception as exc:  # as aioclamd's own: every failure to connect is one error
                raise aioclamd.ClamdConnectionError(f"Error connecting to {self.host}") from exc
            return self

    # aioclamd builds its connections from this module-level name.
    aioclamd._AsyncClamdNetworkSocket = _Socket  # type: ignore[misc]
    return aioclamd


@dataclass(frozen=True)
class ClamdConfig:
    address: str  # /path/to/clamd.ctl or HOST:PORT
    timeout: float = 30.0
    max_size: int = 26214400

    def client(self) -> aioclamd.ClamdAsyncClient:
        aioclamd = _aioclamd()
        if self.address.startswith("/"):
            return aioclamd.ClamdAsyncClient(self.address, 0, timeout=self.timeout)
        host, _, port = self.address.rpartition(":")
        return aioclamd.ClamdAsyncClient(host.strip("[]"), int(port), timeout=self.timeout)


def config_from_settings(s: Mapping[str, Any]) -> ClamdConfig:
    return ClamdConfig(s["virus.clamd"], float(s["virus.timeout"]), int(s["virus.max_scan_size"]))


@dataclass(frozen=True)
class ScanResult:
    status: str  # clean, infected, skipped, error
    signature: str = ""
    error: str = ""


async def scan(config: ClamdConfig, data: bytes) -> ScanResult:
    if len(data) > config.max_size:
        return ScanResult("skipped", error=f"{len(data)} bytes, over virus.max_scan_size "
                                           f"{config.max_size}")
    aioclamd = _aioclamd()
    try:
        answer = await config.client().instream(io.BytesIO(data))
    except aioclamd.BufferTooLongError as exc:
        # clamd's own StreamMaxLength is smaller than ours: say so, as an error.
        return ScanResult("error", error=f"clamd refused the size ({exc}); raise its "
                                         "StreamMaxLength or lower virus.max_scan_size")
    except (aioclamd.ClamdError, OSError, UnicodeDecodeError) as exc:
        return ScanResult("error", error=f"{exc.__class__.__name__}: {exc}")
    if not answer:
        return ScanResult("error", error="clamd gave no answer")
    status, signature = next(iter(answer.values()))
    if status == "FOUND":
        return ScanResult("infected", signature=str(signature))
    if status == "OK":
        return ScanResult("clean")
    return ScanResult("error", error=f"clamd: {status} {signature or ''}".strip())


async def ping(config: ClamdConfig) -> dict[str, Any]:
    """Whether clamd answers: {"reachable", "version", "error"}."""
    aioclamd = _aioclamd()
    client = config.client()
    try:
        pong = await client.ping()
        version = await client.version()
    except (aioclamd.ClamdError, OSError, UnicodeDecodeError) as exc:
        return {"reachable": False, "version": "", "error": f"{exc.__class__.__name__}: {exc}"}
    return {"reachable": pong == "PONG", "version": str(version), "error": ""}
