"""What the SMTP server asks at the end of DATA, after the authentication checks: may this pass?

In order: blocked attachment types and viruses (every message, logged-in
users' too), then spam scoring (mail from outside only, whose incoming
X-Spam-* fields are removed first: a sender must not vouch for himself).
One call, :meth:`Screening.check`; the answer is a refusal (554/550/451
with the reason for the log) or the header section to queue with.
Settings are read for each message, so a reload applies at once.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from appliance import virus
from appliance.logs import get_logger
from appliance.spam import (
    SpamResult,
    SpamScorer,
    Warnings,
    config_from_settings,
    strip_spam_headers,
)
from appliance.spam.rules import GTUBE, gtube_hits

__all__ = ["Screened", "Screening"]

log = get_logger("screening")


@dataclass
class Screened:
    reply: str = ""  # refuse with this SMTP reply; "" lets the message pass
    reason: str = ""  # why, for the NOQUEUE log line
    head: bytes | None = None  # the new header section; None: unchanged
    notes: list[str] = field(default_factory=list)  # for the log once the message is queued
    counts_as_rejected: bool = False  # 5xx: statistics count it


class Screening:
    """One per daemon: the scanners, the spam scorer and their warnings for the dashboard."""

    def __init__(self, settings: Callable[[], Mapping[str, Any]],
                 is_ours: Callable[[str], bool], executor: Executor | None = None) -> None:
        self.settings = settings
        self.executor = executor
        self.warnings = Warnings()
        self.spam = SpamScorer(is_ours, self.warnings, executor)

    async def check(self, message: bytes, head_end: int, *, ip: str, helo: str, sender: str,
                    recipients: list[str], outside: bool,
                    checks: Mapping[str, Any] | None = None) -> Screened:
        s = self.settings()
        loop = asyncio.get_running_loop()
        notes: list[str] = []
        extensions = s["virus.blocked_extensions"]
        if extensions and _may_name_files(message):
            blocked = await loop.run_in_executor(self.executor, functools.partial(
                virus.blocked_attachment, message, extensions))
            if blocked is not None:
                return Screened(
                    f"554 5.7.1 Message refused: attachments of type .{blocked.extension} "
                    f"are not accepted ({_printable(blocked.filename)})",
                    f"blocked attachment {_printable(blocked.filename)}",
                    counts_as_rejected=True)
        if s["virus.enabled"]:
            refused = await self._scan(virus.config_from_settings(s), message, s, notes)
            if refused is not None:
                return refused
        else:
            self.warnings.clear("clamd")
        if not outside:
            if s["spam.enabled"] and GTUBE in message:
                # The test string is sent on purpose: honoured from any client, so the admin
                # can try spam filing from the office network. Nothing else is scored.
                return self._verdict(SpamResult.of(gtube_hits(message),
                                                   config_from_settings(s)),
                                     strip_spam_headers(message[:head_end]), notes)
            return Screened(notes=notes)
        head = strip_spam_headers(message[:head_end])
        if not s["spam.enabled"]:
            return Screened(head=head, notes=notes)
        config = config_from_settings(s)
        body = head + message[head_end:] if len(head) != head_end else message
        result = await self.spam.score(config, body, ip=ip, helo=helo, sender=sender,
                                       recipients=recipients, checks=checks)
        return self._verdict(result, head, notes)

    @staticmethod
    def _verdict(result: SpamResult, head: bytes, notes: list[str]) -> Screened:
        if result.action == "reject":
            return Screened(f"550 5.7.1 Message refused as spam (score {result.score:.1f})",
                            result.log_text(), counts_as_rejected=True)
        notes.append(result.log_text())
        return Screened(head=result.headers() + head, notes=notes)

    async def _scan(self, config: virus.ClamdConfig, message: bytes, s: Mapping[str, Any],
                    notes: list[str]) -> Screened | None:
        result = await virus.scan(config, message)
        if result.status == "infected":
            self.warnings.clear("clamd")
            return Screened(f"554 5.7.1 Message refused: virus found ({result.signature})",
                            f"virus {result.signature}", counts_as_rejected=True)
        if result.status == "skipped":
            notes.append(f"virus: not scanned: {result.error}")
        elif result.status == "error":
            self.warnings.set("clamd", f"the virus scanner (clamd at {config.address}) cannot "
                                       f"be reached: {result.error}")
            if s["virus.on_error"] == "defer":
                return Screened("451 4.7.1 Virus scanner unavailable; try again later",
                                f"clamd: {result.error}")
            notes.append(f"virus: not scanned ({result.error}), accepted (virus.on_error)")
        else:
            self.warnings.clear("clamd")
            notes.append("virus: clean")
        return None

    def current_warnings(self) -> list[str]:
        return self.warnings.items()


# Up to this size a message is looked at on the event loop (a fraction of a
# millisecond) before the thread hop that would cost more than the look.
_LOOK_INLINE = 128 * 1024


def _may_name_files(message: bytes) -> bool:
    """Could ``message`` hold a part with a file name (``virus.blocked_attachment``'s test)?

    Only parts whose header says ``name=`` (or ``filename=``, ``name*=`` ...)
    are looked at there; a message without the letters "name" in any case
    has none, and most mail is such a message.
    """
    return len(message) > _LOOK_INLINE or b"name" in message.lower()


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)[:100]
