"""Everything Mailroom does to aiosmtpd's private internals, in one place.

aiosmtpd's public surface (``smtp_*``/``handle_*``/``auth_*`` methods,
``push``, ``challenge_auth``) is not enough for a public MX: connection caps
need the per-connection coroutine, idle tracking needs the timeout reset,
relay policy needs the address path as written, the null sender needs
``mail_from is not None`` tests, and per-connection introspection cost a
fifth of the loop. Those patches lean on names aiosmtpd may change in any
release, so they live here, written against one version (``WRITTEN_FOR``,
the pin in pyproject.toml). Another version refuses to start an SMTP
listener (``check_version``) until someone has re-read aiosmtpd/smtp.py
against this file, updated ``WRITTEN_FOR`` and the pin, and run
tests/unit/test_aiosmtpd_compat.py.

What is patched, and what it relies on:

- module level: ``aiosmtpd.smtp.inspect`` and ``dir`` (looked up by
  ``SMTP.__init__`` for every connection) are replaced by per-class caches;
  ``aiosmtpd.smtp.sanitized_log`` skips masking AUTH lines nobody logs.
- ``PatchedSMTP._handle_client``: the connection coroutine, so a subclass can
  refuse or admit a client before aiosmtpd greets it (``handle_connection``).
- ``PatchedSMTP._reset_timeout``: called for every valid command; tells the
  subclass the client is active (``client_active``), and moves the deadline
  of one armed timer (``_timeout_handle``, ``_timeout_duration``) instead of
  replacing the timer; ``_timeout_cb`` still closes an idle connection.
- ``PatchedSMTP._getaddr``: the address parser; a subclass gets the path as
  written (``split_path``).
- ``PatchedSMTP.smtp_MAIL``/``smtp_RCPT``: aiosmtpd tests ``mail_from`` for
  truthiness and would take MAIL FROM:<> (stored as "") as no MAIL at all.
- ``PatchedSMTP.write_now``: a reply written without waiting (``_writer``).
- ``PatchedSMTP.smtp_DATA``: aiosmtpd's DATA with the message read in large
  pieces (appliance.smtp.data) instead of a ``readuntil`` per line; the
  same replies, limits (``data_size_limit``, ``line_length_limit``),
  dot-unstuffing and hook (``_handle_hooks``, ``_call_handler_hook``,
  ``_set_post_data_state``, ``_decode_data``).
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import inspect
import logging
import os
from collections.abc import Callable
from typing import Any

import aiosmtpd
import aiosmtpd.smtp as aiosmtpd_smtp
from aiosmtpd.smtp import MISSING, SMTP

from appliance.logs import get_logger
from appliance.smtp.data import DataCollector, DataState, read_data

__all__ = [
    "WRITTEN_FOR",
    "AiosmtpdVersionError",
    "PatchedSMTP",
    "check_version",
    "installed_version",
    "missing_internals",
]

# The aiosmtpd release these patches were read against (pyproject.toml pins it).
WRITTEN_FOR = "1.4.6"

# Set to 1 to start SMTP listeners on another aiosmtpd anyway (while trying an upgrade).
OVERRIDE_ENV = "MAILROOM_AIOSMTPD_UNCHECKED"

log = get_logger("smtpd")


class AiosmtpdVersionError(RuntimeError):
    """The installed aiosmtpd is not the one the patches here were written for."""


def installed_version() -> str:
    try:
        return importlib.metadata.version("aiosmtpd")
    except importlib.metadata.PackageNotFoundError:
        # The frozen build carries no dist-info for aiosmtpd; the module knows its own.
        return str(aiosmtpd.__version__)


# The private names the patches below call or replace: (owner, attribute).
_INTERNALS: tuple[tuple[Any, str], ...] = (
    (aiosmtpd_smtp, "inspect"),
    (aiosmtpd_smtp, "sanitized_log"),
    (aiosmtpd_smtp, "sanitize"),
    (aiosmtpd_smtp, "syntax"),
    (SMTP, "_handle_client"),
    (SMTP, "_reset_timeout"),
    (SMTP, "_timeout_cb"),
    (SMTP, "_getaddr"),
    (SMTP, "_getparams"),
    (SMTP, "_strip_command_keyword"),
    (SMTP, "_call_handler_hook"),
    (SMTP, "check_helo_needed"),
    (SMTP, "check_auth_needed"),
    (SMTP, "smtp_MAIL"),
    (SMTP, "smtp_RCPT"),
    (SMTP, "smtp_DATA"),
    (SMTP, "line_length_limit"),
    (SMTP, "_set_post_data_state"),
)


def missing_internals() -> list[str]:
    """The private names this module needs that the installed aiosmtpd lacks."""
    missing = [f"{getattr(owner, '__name__', owner)}.{name}" for owner, name in _INTERNALS
               if not hasattr(owner, name)]
    init = inspect.getsource(SMTP.__init__)
    for used in ("inspect.getmembers(", "dir(handler)", "dir(self)", "inspect.signature("):
        if used not in init:
            missing.append(f"SMTP.__init__ calls {used})")
    # What PatchedSMTP.smtp_DATA re-implements: aiosmtpd's DATA as it reads today.
    data = inspect.getsource(SMTP.smtp_DATA)
    for used in ("readuntil(b'\\r\\n')", "self.line_length_limit", "self.data_size_limit",
                 "del text[0]", '"DATA" in self._handle_hooks', "self._set_post_data_state()",
                 "552 Error: Too much mail data", "500 Line too long (see RFC5321 4.5.3.1.6)",
                 "354 End data with <CR><LF>.<CR><LF>"):
        if used not in data:
            missing.append(f"SMTP.smtp_DATA no longer has {used}")
    return missing


def check_version(version: str | None = None) -> None:
    """Raise AiosmtpdVersionError unless aiosmtpd is the release WRITTEN_FOR."""
    found = version if version is not None else installed_version()
    if found == WRITTEN_FOR:
        return
    text = (f"aiosmtpd {found} is installed, but Mailroom's SMTP patches "
            f"(appliance/smtp/aiosmtpd_compat.py) were written for aiosmtpd {WRITTEN_FOR}; "
            f"install aiosmtpd=={WRITTEN_FOR} (the version pyproject.toml pins)")
    if os.environ.get(OVERRIDE_ENV) == "1":
        log.error("%s; starting anyway because %s=1", text, OVERRIDE_ENV)
        return
    raise AiosmtpdVersionError(text)


class _Introspection:
    """Class introspection for aiosmtpd, computed once per class instead of per connection.

    aiosmtpd 1.4's ``SMTP.__init__`` runs ``inspect.getmembers``, ``dir`` and
    ``inspect.signature`` over the protocol and the handler for every
    connection to find ``auth_*``, ``smtp_*`` and ``handle_*`` methods; that
    was a fifth of the event loop's time with one message per connection.
    The answers depend only on the classes, so they are cached here and
    handed to aiosmtpd in place of those three calls. The results are the
    same for the names aiosmtpd looks at.
    """

    def __init__(self) -> None:
        self._names: dict[type, list[str]] = {}
        self._signatures: dict[Any, inspect.Signature] = {}

    def dir(self, obj: Any) -> list[str]:
        # aiosmtpd only looks for these prefixes in what dir() returns.
        names = self._names.get(type(obj))
        if names is None:
            names = self._names[type(obj)] = [
                n for n in sorted(dir(type(obj))) if n.startswith(("smtp_", "handle_", "auth_"))
            ]
        return names

    def getmembers(self, obj: Any) -> list[tuple[str, Any]]:
        # aiosmtpd only keeps the auth_* members of what this returns.
        return [(n, getattr(obj, n)) for n in self.dir(obj) if n.startswith("auth_")]

    def signature(self, fn: Any) -> inspect.Signature:
        key = getattr(fn, "__func__", fn)
        sig = self._signatures.get(key)
        if sig is None:
            sig = self._signatures[key] = inspect.signature(fn)
        return sig


_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
_aiosmtpd_sanitized_log = aiosmtpd_smtp.sanitized_log


def _sanitized_log(func: Callable[..., None], msg: Any, *args: Any, **kwargs: Any) -> None:
    # aiosmtpd masks AUTH secrets in every command line it logs at DEBUG
    # before the logger is asked whether DEBUG is on; the mail log never is.
    logger = getattr(func, "__self__", None)
    level = _LEVELS.get(getattr(func, "__name__", ""))
    if isinstance(logger, logging.Logger) and level and not logger.isEnabledFor(level):
        return
    _aiosmtpd_sanitized_log(func, msg, *args, **kwargs)


introspection = _Introspection()
aiosmtpd_smtp.inspect = introspection  # type: ignore[attr-defined]
aiosmtpd_smtp.dir = introspection.dir  # type: ignore[attr-defined]
aiosmtpd_smtp.sanitized_log = _sanitized_log  # type: ignore[attr-defined]


class PatchedSMTP(SMTP):
    """aiosmtpd's SMTP with its private hooks given names of Mailroom's own.

    Subclasses override ``handle_connection`` (calling ``run_session`` to let
    aiosmtpd serve the client), ``client_active`` and ``split_path``.
    """

    async def handle_connection(self) -> None:
        """One client connection; refuse it, or serve it with ``run_session``."""
        await self.run_session()

    async def run_session(self) -> None:
        """aiosmtpd's own connection coroutine: greeting, commands, close."""
        await SMTP._handle_client(self)

    def client_active(self) -> None:
        """The client sent a valid command (aiosmtpd restarted its idle timer)."""

    def split_path(self, arg: str) -> tuple[str | None, str | None]:
        """(path, parameters) of a MAIL/RCPT argument; path None when malformed."""
        return SMTP._getaddr(self, arg)

    def write_now(self, data: bytes) -> None:
        """Queue raw bytes on the connection without waiting for the write."""
        self._writer.write(data)

    async def _handle_client(self) -> None:
        await self.handle_connection()

    # aiosmtpd cancels its idle timer and starts a new one for every command;
    # here one timer stays armed and only the deadline moves. When it fires
    # early (the client was active meanwhile) it is armed again for the rest.
    _deadline = 0.0
    _armed_for = 0.0

    def _reset_timeout(self, duration: float | None = None) -> None:
        loop = self.loop
        self._deadline = deadline = loop.time() + (duration or self._timeout_duration)
        handle = self._timeout_handle
        if handle is None or handle.cancelled() or self._armed_for > deadline:
            if handle is not None:
                handle.cancel()
            self._armed_for = deadline
            self._timeout_handle = loop.call_at(deadline, self._timeout_due)
        self.client_active()

    def _timeout_due(self) -> None:
        if self._deadline > self.loop.time():
            self._armed_for = self._deadline
            self._timeout_handle = self.loop.call_at(self._deadline, self._timeout_due)
            return
        self._timeout_cb()

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        return self.split_path(arg)

    # The null sender is stored as "" (RFC 5321 4.5.5), so "has MAIL been
    # given" is ``mail_from is not None``; aiosmtpd tests its truthiness and
    # would take MAIL FROM:<> as no MAIL at all.

    @aiosmtpd_smtp.syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg: str | None) -> None:  # noqa: N802 - aiosmtpd's name
        if self.envelope is not None and self.envelope.mail_from is not None:
            await self.push("503 5.5.1 Error: nested MAIL command")
            return
        await super().smtp_MAIL(arg)

    @aiosmtpd_smtp.syntax("RCPT TO: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_RCPT(self, arg: str | None) -> None:  # noqa: N802 - aiosmtpd's name
        # aiosmtpd's smtp_RCPT with the MAIL gate above; the rest is its syntax checks.
        if await self.check_helo_needed() or await self.check_auth_needed("RCPT"):
            return
        assert self.envelope is not None and self.session is not None
        if self.envelope.mail_from is None:
            await self.push("503 5.5.1 Error: need MAIL command")
            return
        syntaxerr = "501 5.5.4 Syntax: RCPT TO: <address>"
        if self.session.extended_smtp:
            syntaxerr += " [SP <mail-parameters>]"
        arg = self._strip_command_keyword("TO:", arg) if arg is not None else None
        if arg is None:
            await self.push(syntaxerr)
            return
        address, params = self._getaddr(arg)
        if address is None:
            await self.push("553 5.1.3 Error: malformed address")
            return
        if not address or (params and not self.session.extended_smtp):
            await self.push(syntaxerr)
            return
        rcpt_options = (params or "").upper().split()
        parsed = self._getparams(rcpt_options)
        if parsed is None:
            await self.push(syntaxerr)
            return
        if parsed:  # no RCPT parameters are implemented (no DSN)
            await self.push("555 5.5.4 RCPT TO parameters not recognized or not implemented")
            return
        status = await self._call_handler_hook("RCPT", address, rcpt_options)
        await self.push(status)

    @aiosmtpd_smtp.syntax("DATA")
    async def smtp_DATA(self, arg: str | None) -> None:  # noqa: N802 - aiosmtpd's name
        # aiosmtpd's smtp_DATA, but the message comes in pieces (appliance.smtp.data).
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        collector = DataCollector(self.data_size_limit, self.line_length_limit)
        try:
            if not await read_data(self._reader, collector, lambda: self.transport is not None):
                return  # the connection is gone; nothing to answer
        except asyncio.CancelledError:
            aiosmtpd_smtp.log.info("Connection lost during DATA")
            self._writer.close()
            raise
        state, original = collector.result()
        if state is not DataState.NOMINAL:
            await self.push("500 Line too long (see RFC5321 4.5.3.1.6)"
                            if state is DataState.TOO_LONG else "552 Error: Too much mail data")
            self._set_post_data_state()
            return
        content: str | bytes = original
        if self._decode_data:
            if self.enable_SMTPUTF8:
                content = original.decode("utf-8", errors="surrogateescape")
            else:
                try:
                    content = original.decode("ascii", errors="strict")
                except UnicodeDecodeError:
                    await self.push("500 Error: strict ASCII mode")
                    return
        self.envelope.content = content
        self.envelope.original_content = original
        status = (await self._call_handler_hook("DATA") if "DATA" in self._handle_hooks
                  else MISSING)
        self._set_post_data_state()
        await self.push("250 OK" if status is MISSING else status)
