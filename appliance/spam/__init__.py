"""Spam scoring of mail from outside: built-in checks plus rspamd's score, then a verdict.

Built in: the authentication results (appliance.authcheck's summary),
DNS blocklists, GTUBE, HELO and reverse DNS; each adds points (``rules``).
With ``spam.rspamd_url`` set, rspamd's /checkv2 score is added too. The
total decides: X-Spam-Flag: YES from ``spam.junk_score`` on (filed into
Junk by the global Sieve "before" script), 550 5.7.1 from
``spam.reject_score`` on. A blocklist that refuses our resolver
(127.255.255.254) becomes a warning for the dashboard, never a block.

Parts: ``rules`` (pure), ``lookups`` (DNS, blocking), ``rspamd`` (HTTP),
``training`` (Junk moves over IMAP teach rspamd).
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from appliance.authcheck.lookup import Lookup
from appliance.logs import get_logger
from appliance.spam import rspamd
from appliance.spam.lookups import blocklist_hits, reverse_dns_hits
from appliance.spam.rules import (
    Hit,
    auth_hits,
    decide,
    gtube_hits,
    helo_hits,
    parse_dnsbl,
    spam_headers,
    strip_spam_headers,
    total,
)

__all__ = ["SpamConfig", "SpamResult", "SpamScorer", "Warnings", "config_from_settings",
           "strip_spam_headers"]

log = get_logger("spam")


@dataclass(frozen=True)
class SpamConfig:
    junk_score: int = 5
    reject_score: int = 15
    dnsbl: tuple[tuple[str, int], ...] = ()
    nameservers: tuple[str, ...] = ()
    dns_timeout: float = 5.0
    rspamd_url: str = ""
    rspamd_timeout: float = 10.0


def config_from_settings(s: Mapping[str, Any]) -> SpamConfig:
    return SpamConfig(
        junk_score=int(s["spam.junk_score"]), reject_score=int(s["spam.reject_score"]),
        dnsbl=tuple(parse_dnsbl(s["spam.dnsbl"])), nameservers=tuple(s["dns.nameservers"]),
        dns_timeout=float(s["authcheck.dns_timeout"]), rspamd_url=s["spam.rspamd_url"],
        rspamd_timeout=float(s["spam.rspamd_timeout"]))


@dataclass
class SpamResult:
    score: float
    action: str  # accept, junk, reject
    hits: list[Hit] = field(default_factory=list)
    junk_score: int = 5

    @classmethod
    def of(cls, hits: list[Hit], config: SpamConfig) -> SpamResult:
        score = total(hits)
        return cls(score, decide(score, config.junk_score, config.reject_score), hits,
                   config.junk_score)

    @property
    def junk(self) -> bool:
        return self.action != "accept"

    def headers(self) -> bytes:
        return spam_headers(self.score, self.junk, self.hits, self.junk_score)

    def log_text(self) -> str:
        return f"spam: score={self.score:.1f} {self.action} ({' '.join(map(str, self.hits))})"


class Warnings:
    """Things the admin should know (dashboard), by source; cleared when the cause goes away."""

    def __init__(self) -> None:
        self._items: dict[str, str] = {}
        self._lock = threading.Lock()

    def set(self, key: str, text: str) -> None:
        with self._lock:
            if self._items.get(key) != text:
                log.warning("%s", text)
            self._items[key] = text

    def clear(self, key: str) -> None:
        with self._lock:
            if self._items.pop(key, None) is not None:
                log.info("%s: fine again", key)

    def clear_prefix(self, prefix: str, keep: frozenset[str] | set[str] = frozenset()) -> None:
        with self._lock:
            for key in [k for k in self._items if k.startswith(prefix) and k not in keep]:
                del self._items[key]

    def items(self) -> list[str]:
        with self._lock:
            return list(self._items.values())


class SpamScorer:
    """Scores messages; one per daemon, its DNS look-ups shared by every session."""

    def __init__(self, is_ours: Callable[[str], bool], warnings: Warnings,
                 executor: Executor | None = None) -> None:
        self.is_ours = is_ours  # our host name or one of our domains (HELO_OURS)
        self.warnings = warnings
        self.executor = executor
        self._lookups: dict[tuple[tuple[str, ...], float], Lookup] = {}
        self._lock = threading.Lock()

    def _lookup(self, config: SpamConfig) -> Lookup:
        key = (config.nameservers, config.dns_timeout)
        with self._lock:
            lookup = self._lookups.get(key)
            if lookup is None:
                self._lookups.clear()
                lookup = self._lookups[key] = Lookup(list(config.nameservers) or None,
                                                     config.dns_timeout)
            return lookup

    def local_hits(self, config: SpamConfig, message: bytes, *, ip: str, helo: str,
                   checks: Mapping[str, Any] | None) -> list[Hit]:
        """The built-in checks (blocking: DNS)."""
        hits = gtube_hits(message) + helo_hits(helo, ip, self.is_ours) + auth_hits(checks)
        lookup = self._lookup(config)
        hits += reverse_dns_hits(lookup, ip)
        found = blocklist_hits(lookup, ip, list(config.dnsbl))
        hits += found.hits
        for zone, why in found.refused.items():
            self.warnings.set(
                f"dnsbl:{zone}",
                f"DNS blocklist {zone} does not answer this server: {why}. Its listings are "
                "not used; point dns.nameservers at a resolver of your own (not a public one "
                "such as 8.8.8.8), or remove it from spam.dnsbl")
        for zone in found.answered:
            self.warnings.clear(f"dnsbl:{zone}")
        self.warnings.clear_prefix("dnsbl:", keep={f"dnsbl:{z}" for z, _ in config.dnsbl})
        return hits

    async def score(self, config: SpamConfig, message: bytes, *, ip: str, helo: str,
                    sender: str, recipients: list[str],
                    checks: Mapping[str, Any] | None) -> SpamResult:
        loop = asyncio.get_running_loop()
        local = loop.run_in_executor(self.executor, functools.partial(
            self.local_hits, config, message, ip=ip, helo=helo, checks=checks))
        hits: list[Hit] = []
        if config.rspamd_url:
            try:
                answer = await rspamd.check(
                    config.rspamd_url, message, ip=ip, helo=helo, sender=sender,
                    recipients=recipients, timeout=config.rspamd_timeout)
            except rspamd.RspamdError as exc:
                self.warnings.set("rspamd", f"rspamd does not answer ({exc}): mail is scored "
                                            "with the built-in checks only")
            else:
                self.warnings.clear("rspamd")
                hits.append(Hit("RSPAMD", round(answer.score, 2), ",".join(answer.symbols)))
        return SpamResult.of(await local + hits, config)
