"""Passwords and login checks: argon2 hashes and a brute-force lock-out."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = [
    "Authenticator",
    "LockoutTracker",
    "MIN_PASSWORD_LENGTH",
    "hash_password",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 8

# Light parameters: a small-office box verifies logins from every phone on
# every poll; 19 MiB / 2 passes is the OWASP minimum for argon2id.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass
class LockoutTracker:
    """Counts failed logins per client address and locks out repeat offenders."""

    max_failures: int = 10
    lockout_seconds: float = 900.0
    _failures: dict[str, list[float]] = field(default_factory=dict)

    def locked(self, client: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        recent = [t for t in self._failures.get(client, []) if now - t < self.lockout_seconds]
        if recent:
            self._failures[client] = recent
        else:
            self._failures.pop(client, None)
        return len(recent) >= self.max_failures

    def failed(self, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._failures.setdefault(client, []).append(now)

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)


class Authenticator:
    """Checks a user name and password against the state store, off the event loop.

    Shared by SMTP AUTH, POP3 and IMAP. A user name without a domain is
    taken in the first local domain, as office users type just "alice".
    """

    def __init__(self, state: Any, executor: Executor, lockout: LockoutTracker) -> None:
        self.state = state
        self.executor = executor
        self.lockout = lockout
        self.log = logging.getLogger("mailroom.auth")

    async def __call__(self, username: str, password: str, client_ip: str) -> str | None:
        if self.lockout.locked(client_ip):
            self.log.warning("login refused for %s from [%s]: locked out after repeated "
                             "failures", username, client_ip)
            return None
        address = username.strip().lower()
        if "@" not in address:
            domains = self.state.domains()
            address = f"{address}@{domains[0]}" if domains else address
        account = self.state.account(address)
        loop = asyncio.get_running_loop()
        if account is None or not account.enabled:
            # Hash anyway so that timing does not reveal which accounts exist.
            await loop.run_in_executor(self.executor, verify_password, _dummy_hash(), password)
            ok = False
        else:
            ok = await loop.run_in_executor(
                self.executor, verify_password, account.password_hash, password
            )
        if not ok:
            self.lockout.failed(client_ip)
            self.log.warning("authentication failed for %s from [%s]", username, client_ip)
            return None
        self.lockout.succeeded(client_ip)
        return account.address if account else None


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")
