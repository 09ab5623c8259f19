"""Auto-ban of password guessers: failed logins counted, repeat offenders banned at connect.

Failed logins (SMTP AUTH, IMAP, POP3) are counted per client address and
per account name. An address past ``max_failures`` within ``window``
seconds is banned for ``ban_seconds``, doubling on each repeat ban up to
``max_ban_seconds`` (fail2ban's ``bantime.increment``). IPv6 clients are
grouped per /64: one host there owns a whole /64 and can pick a new
address for every try. Addresses the caller calls exempt (the relay
networks) are never banned.

Bans live in memory (the connect check is a dict lookup) and in a JSON
file in the data directory, written atomically on every change, so they
outlive a restart.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import os
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from appliance.durable import write_file

__all__ = [
    "Ban",
    "BanList",
    "BanPolicy",
    "FailureLog",
    "LoginGuard",
    "address_key",
    "parse_duration",
    "policy_from_settings",
]

log = logging.getLogger("mailroom.auth")

BANS_FILE = "bans.json"
_RECENT = 200  # failed logins kept for the Security page
_MAX_TRACKED = 10000  # addresses/accounts with counted failures, before the oldest are dropped


def address_key(text: str) -> str:
    """The key an address is counted and banned under: IPv4 as is, IPv6 as its /64.

    Accepts an address, an IPv4-mapped IPv6 address, or an IPv6 network of
    /64 or longer (as ``ban add 2001:db8:1:2::/64``). Raises ValueError for
    anything else.
    """
    text = text.strip().strip("[]")
    if "/" in text:
        net = ipaddress.ip_network(text, strict=False)
        if isinstance(net, ipaddress.IPv4Network):
            if net.prefixlen != 32:
                raise ValueError(f"only single IPv4 addresses can be banned, not {text!r}")
            return str(net.network_address)
        if net.prefixlen < 64:
            raise ValueError(f"IPv6 bans are per /64; {text!r} is wider")
        return str(ipaddress.ip_network((net.network_address, 64), strict=False))
    addr = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.ip_network((addr, 64), strict=False))
    return str(addr)


@functools.lru_cache(maxsize=4096)
def _cached_key(ip: str) -> str:
    """address_key for the connect check: "" for what is not an address."""
    try:
        return address_key(ip)
    except ValueError:
        return ""


_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str | int) -> int:
    """Seconds from ``90``, ``90s``, ``15m``, ``2h``, ``1d`` or ``1w``; ValueError otherwise."""
    if isinstance(text, int):
        seconds = text
    else:
        m = _DURATION.match(text)
        if not m:
            raise ValueError(f"not a duration: {text!r} (e.g. 900, 15m, 2h, 1d)")
        seconds = int(m.group(1)) * _UNITS[m.group(2).lower()]
    if seconds <= 0:
        raise ValueError("a ban must last a positive time")
    return seconds


@dataclass(frozen=True)
class BanPolicy:
    max_failures: int = 10
    window: float = 600.0
    ban_seconds: float = 900.0
    max_ban_seconds: float = 86400.0

    def duration(self, count: int) -> float:
        """How long ban number ``count`` (1, 2, ...) of one address lasts."""
        return min(self.ban_seconds * 2 ** min(count - 1, 32), self.max_ban_seconds)


def policy_from_settings(settings: Mapping[str, Any]) -> BanPolicy:
    return BanPolicy(max_failures=settings["auth.max_failures"],
                     window=settings["auth.failure_window"],
                     ban_seconds=settings["auth.lockout_seconds"],
                     max_ban_seconds=settings["auth.ban_max_seconds"])


@dataclass
class Ban:
    key: str
    since: float  # wall-clock seconds
    until: float
    reason: str
    count: int  # this address's bans in a row (1: the first)

    def active(self, now: float) -> bool:
        return now < self.until

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class BanList:
    """Banned addresses, in memory and in ``path`` (None: memory only).

    A ban that ran out stays on record for ``policy.max_ban_seconds`` more,
    so that an address banned again soon after gets a doubled ban.
    """

    def __init__(self, path: Path | None, policy: BanPolicy | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.policy = policy or BanPolicy()
        self.clock = clock
        self._bans: dict[str, Ban] = {}
        self._expired_logged: set[str] = set()
        # Called with (key, until) for a ban, (key, None) for a lift: the
        # firewall drops banned addresses too (appliance.firewall.feed).
        self.on_change: list[Callable[[str, float | None], None]] = []
        if path is not None:
            self._load()

    # -- the connect-time check -------------------------------------------

    def banned(self, ip: str) -> bool:
        if not self._bans:
            return False  # the common case: nothing to parse
        # A socket's peer address is canonical: an IPv4 one is its own key.
        key = ip if ":" not in ip else _cached_key(ip)
        ban = self._bans.get(key) if key else None
        if ban is None:
            return False
        if ban.active(self.clock()):
            return True
        self._note_expired(ban)
        return False

    def get(self, ip_or_key: str) -> Ban | None:
        ban = self._bans.get(address_key(ip_or_key))
        return ban if ban is not None and ban.active(self.clock()) else None

    # -- changes ------------------------------------------------------------

    def ban(self, ip_or_key: str, reason: str, seconds: float | None = None) -> Ban:
        """Ban an address (its /64 for IPv6): ``seconds``, or the policy's doubling length."""
        key = address_key(ip_or_key)
        now = self.clock()
        before = self._bans.get(key)
        count = 1
        if before is not None and before.active(now):
            if seconds is None:
                return before
            count = before.count  # an admin changing the length: not a repeat
        elif before is not None:
            count = before.count + 1  # banned recently enough to be remembered: a repeat
        length = self.policy.duration(count) if seconds is None else seconds
        ban = Ban(key=key, since=now, until=now + length, reason=reason, count=count)
        self._bans[key] = ban
        self._expired_logged.discard(key)
        log.warning("ban [%s] for %ds until %s: %s (ban %d)", key, round(length),
                    _utc(ban.until), reason, count)
        self._save()
        self._tell(key, ban.until)
        return ban

    def unban(self, ip_or_key: str, reason: str = "lifted by admin") -> bool:
        """Lift a ban now and forget its history; False if the address was not banned."""
        key = address_key(ip_or_key)
        ban = self._bans.pop(key, None)
        if ban is None:
            return False
        was_active = ban.active(self.clock())
        self._expired_logged.discard(key)
        if was_active:
            log.warning("unban [%s]: %s", key, reason)
        self._save()
        self._tell(key, None)
        return was_active

    def _tell(self, key: str, until: float | None) -> None:
        for callback in self.on_change:
            try:
                callback(key, until)
            except Exception:  # a listener's failure must not undo or stop the ban
                log.exception("ban listener failed for [%s]", key)

    def sweep(self) -> None:
        """Log bans that ran out, and forget those past their memory."""
        now = self.clock()
        forget = [k for k, b in self._bans.items()
                  if now >= b.until + self.policy.max_ban_seconds]
        for ban in list(self._bans.values()):
            if not ban.active(now):
                self._note_expired(ban)
        if forget:
            for key in forget:
                del self._bans[key]
                self._expired_logged.discard(key)
            self._save()

    def active(self) -> list[Ban]:
        now = self.clock()
        return sorted((b for b in self._bans.values() if b.active(now)), key=lambda b: b.until)

    def _note_expired(self, ban: Ban) -> None:
        if ban.key not in self._expired_logged:
            self._expired_logged.add(ban.key)
            log.warning("unban [%s]: ban expired", ban.key)

    # -- the file -----------------------------------------------------------

    def reload(self) -> None:
        """Read the file again (a change made while no daemon ran)."""
        if self.path is not None:
            self._bans.clear()
            self._load()

    def _load(self) -> None:
        assert self.path is not None
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            log.warning("cannot read the ban list %s: %s", self.path, exc)
            return
        try:
            data = json.loads(raw)
            bans = [Ban(key=address_key(str(b["key"])), since=float(b["since"]),
                        until=float(b["until"]), reason=str(b["reason"]), count=int(b["count"]))
                    for b in data["bans"]]
        except (ValueError, KeyError, TypeError) as exc:
            # Keep the damaged file for a look; start with no bans rather than not at all.
            aside = self.path.with_name(self.path.name + ".bad")
            log.warning("the ban list %s is damaged (%s); moved to %s", self.path, exc, aside)
            os.replace(self.path, aside)
            return
        now = self.clock()
        for ban in bans:
            self._bans[ban.key] = ban
            if not ban.active(now):
                self._expired_logged.add(ban.key)  # logged when it ran out, or not our business

    def _save(self) -> None:
        if self.path is None:
            return
        data = {"version": 1, "bans": [b.as_dict() for b in self._bans.values()]}
        body = json.dumps(data, indent=1).encode()
        try:
            write_file(self.path.with_name(f".{self.path.name}.tmp"), self.path, [body])
        except OSError as exc:
            # The ban holds in memory; only a restart would forget it.
            log.error("cannot write the ban list %s: %s", self.path, exc)


class FailureLog:
    """Failed logins in the last ``window`` seconds, per address key and per account."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._by_address: dict[str, deque[float]] = {}
        self._by_account: dict[str, deque[float]] = {}
        self.recent: deque[dict[str, Any]] = deque(maxlen=_RECENT)

    def add(self, key: str, account: str, service: str, ip: str, window: float) -> tuple[int, int]:
        """Count one failure; returns the failures in the window (address, account)."""
        now = self.clock()
        self.recent.append({"time": now, "address": ip, "account": account,
                            "service": service})
        return (_count(self._by_address, key, now, window),
                _count(self._by_account, account, now, window))

    def account_failures(self, account: str, window: float) -> int:
        times = self._by_account.get(account)
        if not times:
            return 0
        _age(times, self.clock(), window)
        return len(times)

    def forget_address(self, key: str) -> None:
        self._by_address.pop(key, None)

    def forget_account(self, account: str) -> None:
        self._by_account.pop(account, None)


def _age(times: deque[float], now: float, window: float) -> None:
    while times and now - times[0] >= window:
        times.popleft()


def _count(table: dict[str, deque[float]], key: str, now: float, window: float) -> int:
    times = table.get(key)
    if times is None:
        if len(table) >= _MAX_TRACKED:
            # A flood of one-shot addresses must not grow this without end;
            # the least recently added one goes (dicts keep insertion order).
            del table[next(iter(table))]
        times = table[key] = deque()
    _age(times, now, window)
    times.append(now)
    return len(times)


class LoginGuard:
    """Counts failed logins and bans addresses past the policy's threshold.

    ``exempt(ip)``: True for addresses never banned (the relay networks).
    """

    def __init__(self, bans: BanList, exempt: Callable[[str], bool] = lambda ip: False,
                 clock: Callable[[], float] | None = None) -> None:
        self.bans = bans
        self.exempt = exempt
        self.failures = FailureLog(clock or bans.clock)

    @property
    def policy(self) -> BanPolicy:
        return self.bans.policy

    def refused(self, ip: str) -> bool:
        """Is this client banned (and not exempt)? The connect-time check."""
        return self.bans.banned(ip) and not self.exempt(ip)

    def failed(self, ip: str, account: str, service: str) -> Ban | None:
        """Count a failed login; returns the ban it caused, if it caused one."""
        try:
            key, bannable = address_key(ip), True
        except ValueError:
            key, bannable = ip, False  # not an IP (a Unix socket peer): counted, never banned
        account = account.strip().lower()
        policy = self.policy
        by_address, _ = self.failures.add(key, account, service, ip, policy.window)
        if not bannable or by_address < policy.max_failures or self.exempt(ip):
            return None
        self.failures.forget_address(key)
        reason = (f"{by_address} failed logins in {round(policy.window)}s "
                  f"(last: {service} as {account or '?'})")
        return self.bans.ban(key, reason)

    def succeeded(self, account: str) -> None:
        # The slow-down is for guessing: the owner who finally typed it right is done.
        self.failures.forget_account(account.strip().lower())

    def account_failures(self, account: str) -> int:
        return self.failures.account_failures(account.strip().lower(), self.policy.window)

    def recent_failures(self, limit: int = _RECENT) -> list[dict[str, Any]]:
        """Newest first."""
        items = list(self.failures.recent)[-limit:]
        items.reverse()
        return items


def _utc(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
