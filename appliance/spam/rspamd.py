"""rspamd over HTTP: /checkv2 on the scanner, /learnspam and /learnham on the controller.

aiohttp on the event loop (nothing blocks). Every call has a time-out and
a cap on the answer's size; a failure raises :class:`RspamdError`, which
the caller logs and otherwise ignores: rspamd being away must not stop mail.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import aiohttp

__all__ = ["RspamdAnswer", "RspamdError", "check", "close", "learn", "ping"]

MAX_ANSWER = 1024 * 1024  # an answer lists symbols; more than this is not rspamd talking


class RspamdError(Exception):
    pass


@dataclass(frozen=True)
class RspamdAnswer:
    score: float
    action: str  # rspamd's own advice (no action, add header, reject ...): logged only
    symbols: tuple[str, ...]


_sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}


def _session() -> aiohttp.ClientSession:
    """The event loop's one session: its kept-alive connections spare rspamd and us a new
    TCP connection (and a millisecond of CPU) for every message."""
    import aiohttp  # here, not at the top: 14 MB the daemon only needs with rspamd configured

    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        for gone in [other for other in _sessions if other.is_closed()]:
            del _sessions[gone]
        session = _sessions[loop] = aiohttp.ClientSession()
    return session


async def close() -> None:
    """Close this event loop's session (the daemon, when it stops)."""
    session = _sessions.pop(asyncio.get_running_loop(), None)
    if session is not None:
        await session.close()


async def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Any:
    import aiohttp

    try:
        async with _session().post(url, data=body, headers=headers,
                                   timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            raw = await response.content.read(MAX_ANSWER + 1)
            if len(raw) > MAX_ANSWER:
                raise RspamdError(f"{url}: answer too large")
            if response.status != 200:
                text = raw[:200].decode("utf-8", "replace").strip()
                raise RspamdError(f"{url}: HTTP {response.status} {text}")
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise RspamdError(f"{url}: {_why(exc)}") from exc
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise RspamdError(f"{url}: not a JSON answer") from exc


async def check(url: str, message: bytes, *, ip: str, helo: str, sender: str,
                recipients: Iterable[str], timeout: float, queue_id: str = "",
                user: str = "") -> RspamdAnswer:
    """Score ``message`` (the whole of it, as received) with rspamd."""
    headers = {"IP": ip, "Helo": helo or "unknown", "From": sender or "<>",
               "Content-Type": "message/rfc822"}
    if queue_id:
        headers["Queue-Id"] = queue_id
    if user:
        headers["User"] = user
    # aiohttp sends a header once per key; rspamd takes several Rcpt headers,
    # so they go as a list in a multidict.
    from multidict import CIMultiDict

    multi: CIMultiDict[str] = CIMultiDict(headers)
    for rcpt in recipients:
        multi.add("Rcpt", rcpt)
    data = await _post(url.rstrip("/") + "/checkv2", message, multi, timeout)  # type: ignore[arg-type]
    if not isinstance(data, dict) or "score" not in data:
        raise RspamdError(f"{url}: unexpected answer {str(data)[:120]}")
    return RspamdAnswer(float(data["score"]), str(data.get("action", "")),
                        tuple(sorted(data.get("symbols") or {})))


async def learn(controller_url: str, message: bytes, *, spam: bool, timeout: float,
                password: str = "") -> str:
    """Teach rspamd's Bayes classifier; the answer's text (already learned is not a failure)."""
    headers = {"Content-Type": "message/rfc822"}
    if password:
        headers["Password"] = password
    endpoint = "/learnspam" if spam else "/learnham"
    try:
        data = await _post(controller_url.rstrip("/") + endpoint, message, headers, timeout)
    except RspamdError as exc:
        # A message rspamd has learned already (HTTP 208, or 404 with this text): no harm done.
        if "HTTP 208" in str(exc) or "already learned" in str(exc):
            return "already learned"
        raise
    if isinstance(data, dict) and data.get("success"):
        return "learned"
    raise RspamdError(f"{controller_url}: {str(data)[:120]}")


async def ping(url: str, timeout: float) -> dict[str, Any]:
    """Whether rspamd answers at ``url``: {"reachable", "error"}."""
    import aiohttp

    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http, \
                http.get(url.rstrip("/") + "/ping") as response:
            text = (await response.content.read(100)).decode("utf-8", "replace").strip()
            if response.status == 200 and text.lower().startswith("pong"):
                return {"reachable": True, "error": ""}
            return {"reachable": False, "error": f"HTTP {response.status} {text}"}
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return {"reachable": False, "error": _why(exc)}


def _why(exc: BaseException) -> str:
    """A failure in a few words: aiohttp's own texts repeat the address and the socket call."""
    import aiohttp

    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect: {exc.os_error.strerror or exc.os_error}"
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    return f"{exc.__class__.__name__} {exc}".strip()
