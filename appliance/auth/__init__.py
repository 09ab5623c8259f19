"""Passwords and login checks: argon2 hashes, a slow-down and auto-ban of guessers."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from appliance.auth.bans import LoginGuard

__all__ = [
    "Authenticator",
    "LoginGuard",
    "MIN_PASSWORD_LENGTH",
    "hash_password",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 8
_MAX_SLOWDOWN = 5  # the longest answer to a failed login, in failure_delay units

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


class Authenticator:
    """Checks a user name and password against the state store, off the event loop.

    Shared by SMTP AUTH, POP3 and IMAP (``for_service`` names the caller in
    the failure log). A user name without a domain is taken in the first
    local domain, as office users type just "alice". A failed login is
    counted by ``guard`` (which bans guessers) and answered only after
    ``failure_delay`` seconds, longer once the account has more recent
    failures than the ban threshold (see ``_slowdown``): guessing one
    account from many addresses gets slower and slower.
    """

    def __init__(self, state: Any, executor: Executor, guard: LoginGuard,
                 failure_delay: float = 1.0) -> None:
        self.state = state
        self.executor = executor
        self.guard = guard
        self.failure_delay = failure_delay
        self.log = logging.getLogger("mailroom.auth")
        # Hashes at once: each needs 19 MiB and a core. More than the cores cannot
        # finish sooner, and a burst of logins (every phone after a restart) would
        # each hold 19 MiB and start a pool thread of its own meanwhile.
        self.max_hashing = max(2, os.cpu_count() or 2)
        self._hashing: asyncio.Semaphore | None = None

    def for_service(self, service: str) -> Callable[[str, str, str], Awaitable[str | None]]:
        """The same checks, with failures logged as ``service`` (smtp, imap, pop3)."""
        return functools.partial(self.__call__, service=service)

    async def __call__(self, username: str, password: str, client_ip: str,
                       service: str = "login") -> str | None:
        if self.guard.refused(client_ip):
            # A session opened before its address was banned.
            self.log.warning("login refused for %s from [%s]: address banned",
                             username, client_ip)
            return None
        address = username.strip().lower()
        if "@" not in address:
            domains = self.state.domains()
            address = f"{address}@{domains[0]}" if domains else address
        account = self.state.account(address)
        loop = asyncio.get_running_loop()
        if self._hashing is None:
            self._hashing = asyncio.Semaphore(self.max_hashing)
        async with self._hashing:
            if account is None or not account.enabled:
                # Hash anyway so that timing does not reveal which accounts exist.
                await loop.run_in_executor(self.executor, verify_password, _dummy_hash(),
                                           password)
                ok = False
            else:
                ok = await loop.run_in_executor(
                    self.executor, verify_password, account.password_hash, password
                )
        if not ok:
            self.log.warning("authentication failed for %s from [%s]", username, client_ip)
            self.guard.failed(client_ip, address, service)
            delay = self.failure_delay * _slowdown(self.guard.account_failures(address),
                                                   self.guard.policy.max_failures)
            if delay > 0:
                await asyncio.sleep(delay)
            return None
        self.guard.succeeded(address)
        return account.address if account else None


def _slowdown(failures: int, threshold: int) -> int:
    """How many failure delays a failed login waits, from the account's recent failures.

    One up to the ban threshold (an owner's typos cost a second each, as
    always); past it the account is being guessed from several addresses,
    none of which reach a ban, so each further try waits longer.
    """
    return min(max(1, failures - threshold + 1), _MAX_SLOWDOWN)


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")
