"""The aiosmtpd compatibility module: the version it was written for, and each patch at work.

If ``test_installed_aiosmtpd_is_the_release_the_patches_were_written_for``
fails, aiosmtpd was upgraded: read the new aiosmtpd/smtp.py against
appliance/smtp/aiosmtpd_compat.py (every name in its docstring), then update
WRITTEN_FOR and the pin in pyproject.toml together.
"""

from __future__ import annotations

import asyncio
import builtins
import inspect
import logging
import re
from pathlib import Path
from typing import Any

import aiosmtpd.smtp as aiosmtpd_smtp
import pytest
from aiosmtpd.smtp import Envelope, Session

from appliance.smtp import aiosmtpd_compat
from appliance.smtp.aiosmtpd_compat import (
    WRITTEN_FOR,
    AiosmtpdVersionError,
    PatchedSMTP,
    check_version,
    installed_version,
    missing_internals,
)
from appliance.smtp.server import ListenerConfig, SmtpLimits, SmtpListener, _Handler, _Protocol

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_installed_aiosmtpd_is_the_release_the_patches_were_written_for() -> None:
    pinned = re.search(r'"aiosmtpd==([^"]+)"', PYPROJECT.read_text())
    assert pinned is not None, "pyproject.toml no longer pins aiosmtpd exactly"
    assert pinned.group(1) == WRITTEN_FOR, (
        f"pyproject.toml pins aiosmtpd {pinned.group(1)} but aiosmtpd_compat.py was written for "
        f"{WRITTEN_FOR}: re-read aiosmtpd/smtp.py against appliance/smtp/aiosmtpd_compat.py")
    assert installed_version() == WRITTEN_FOR, (
        f"AIOSMTPD UPGRADED: {installed_version()} is installed, the patches in "
        f"appliance/smtp/aiosmtpd_compat.py were written for {WRITTEN_FOR}; re-read them "
        "against the new aiosmtpd/smtp.py before changing WRITTEN_FOR")
    check_version()  # no error for the release written for


def test_every_private_name_the_patches_use_is_still_there() -> None:
    assert missing_internals() == []


def test_another_release_is_refused_clearly(monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv(aiosmtpd_compat.OVERRIDE_ENV, raising=False)
    with pytest.raises(AiosmtpdVersionError, match=rf"aiosmtpd 1\.5\.0 is installed.*"
                                                   rf"written for aiosmtpd {WRITTEN_FOR}"):
        check_version("1.5.0")
    monkeypatch.setenv(aiosmtpd_compat.OVERRIDE_ENV, "1")
    with caplog.at_level(logging.ERROR, logger="mailroom.smtpd"):
        check_version("1.5.0")  # let through on purpose, but said loudly
    assert "aiosmtpd 1.5.0 is installed" in caplog.text


async def test_a_listener_does_not_start_on_another_release(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The one stand-in here: another aiosmtpd cannot be installed beside the pinned one.
    monkeypatch.delenv(aiosmtpd_compat.OVERRIDE_ENV, raising=False)
    monkeypatch.setattr(aiosmtpd_compat, "installed_version", lambda: "2.0.0")
    listener = SmtpListener(None, ListenerConfig("smtp"), SmtpLimits(), None)  # type: ignore[arg-type]
    with pytest.raises(AiosmtpdVersionError):
        await listener.start("127.0.0.1", 0)
    assert listener.server is None


def test_command_logging_is_skipped_when_off_and_still_masks_auth(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("mail.log.test")
    seen: list[bytes] = []
    original = aiosmtpd_smtp.sanitize

    def counting(text: bytes) -> bytes:
        seen.append(text)
        return original(text)

    aiosmtpd_smtp.sanitize = counting  # type: ignore[assignment]
    try:
        logger.setLevel(logging.WARNING)
        aiosmtpd_smtp.sanitized_log(logger.debug, "line %r", b"AUTH PLAIN c2VjcmV0\r\n")
        assert seen == []  # nothing done for a line nobody logs
        logger.setLevel(logging.DEBUG)
        with caplog.at_level(logging.DEBUG, logger="mail.log.test"):
            aiosmtpd_smtp.sanitized_log(logger.debug, "line %r", b"AUTH PLAIN c2VjcmV0\r\n")
        assert len(seen) == 1
        assert "c2VjcmV0" not in caplog.text and "********" in caplog.text
    finally:
        aiosmtpd_smtp.sanitize = original  # type: ignore[assignment]


async def test_cached_introspection_finds_what_inspect_would() -> None:
    handler = _Handler(None, ListenerConfig("smtp"), SmtpLimits())  # type: ignore[arg-type]
    assert aiosmtpd_smtp.inspect is aiosmtpd_compat.introspection
    for _ in range(2):  # the second time from the cache
        proto = _Protocol(handler, hostname="mx.test", loop=asyncio.get_running_loop())
        assert set(proto._smtp_methods) == {
            m[5:] for m in builtins.dir(proto) if m.startswith("smtp_")}
        assert set(proto._handle_hooks) == {
            m[7:] for m in builtins.dir(handler) if m.startswith("handle_")}
        expected_auth = {
            getattr(f, "__auth_mechanism_name__", n.replace("auth_", "").replace("__", "-"))
            for obj in (proto, handler) for n, f in inspect.getmembers(obj)
            if n.startswith("auth_")}
        assert set(proto._auth_methods) == expected_auth
        assert {"PLAIN", "LOGIN"} <= expected_auth
        assert proto._ehlo_hook_ver == "new"


class _Recorder:
    """A handler that takes every address as written."""

    async def handle_MAIL(self, server: Any, session: Session, envelope: Envelope,  # noqa: N802
                          address: str, options: list[str]) -> str:
        envelope.mail_from = "" if address == "<>" else address
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Session, envelope: Envelope,  # noqa: N802
                          address: str, options: list[str]) -> str:
        envelope.rcpt_tos.append(address)
        return "250 OK"


class _Probe(PatchedSMTP):
    connections: list[str] = []
    active = 0
    paths: list[str] = []

    async def handle_connection(self) -> None:
        assert self.session is not None
        type(self).connections.append(str(self.session.peer[0]))
        if len(type(self).connections) == 1:  # the first client is turned away
            self.write_now(b"421 4.7.0 go away\r\n")
            assert self.transport is not None
            self.transport.close()
            return
        await self.run_session()

    def client_active(self) -> None:
        type(self).active += 1

    def split_path(self, arg: str) -> tuple[str | None, str | None]:
        type(self).paths.append(arg)
        path, _, rest = arg.strip().partition(" ")
        return (path, rest) if path.startswith("<") and path.endswith(">") else (None, None)


async def test_each_patched_hook_works_on_a_live_connection() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Probe(_Recorder(), hostname="mx.test", loop=loop), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await asyncio.wait_for(reader.read(), 10) == b"421 4.7.0 go away\r\n"
        writer.close()

        reader, writer = await asyncio.open_connection("127.0.0.1", port)

        async def say(line: str) -> bytes:
            writer.write(line.encode() + b"\r\n")
            reply = b""
            while True:
                got = await asyncio.wait_for(reader.readline(), 10)
                reply += got
                if got[3:4] != b"-":
                    return reply

        assert (await asyncio.wait_for(reader.readline(), 10)).startswith(b"220 mx.test")
        active_before = _Probe.active
        assert (await say("EHLO client.test")).startswith(b"250-mx.test")
        assert _Probe.active > active_before  # a valid command marks the client active
        assert await say("RCPT TO:<a@b.test>") == b"503 5.5.1 Error: need MAIL command\r\n"
        assert await say("MAIL FROM:<>") == b"250 OK\r\n"  # the null sender counts as MAIL
        assert await say("MAIL FROM:<x@y.test>") == b"503 5.5.1 Error: nested MAIL command\r\n"
        # The path reaches the handler as written, source route and all.
        assert await say("RCPT TO:<@relay.test:z@far.test>") == b"250 OK\r\n"
        assert "<@relay.test:z@far.test>" in _Probe.paths
        assert await say("RCPT TO:<broken") == b"553 5.1.3 Error: malformed address\r\n"
        assert (await say("RCPT TO:<a@b.test> NOTIFY=NEVER")).startswith(b"555 5.5.4 ")
        assert await say("RSET") == b"250 OK\r\n"
        assert await say("RCPT TO:<a@b.test>") == b"503 5.5.1 Error: need MAIL command\r\n"
        assert (await say("QUIT")).startswith(b"221")
        writer.close()
        assert _Probe.connections == ["127.0.0.1", "127.0.0.1"]
    finally:
        server.close()
        await server.wait_closed()


async def test_idle_timer_is_moved_not_replaced_and_still_closes_idle_clients() -> None:
    loop = asyncio.get_running_loop()
    made: list[PatchedSMTP] = []

    def protocol(timeout: float) -> PatchedSMTP:
        made.append(PatchedSMTP(_Recorder(), hostname="mx.test", timeout=timeout, loop=loop))
        return made[-1]

    busy = await loop.create_server(lambda: protocol(300), "127.0.0.1", 0)
    idle = await loop.create_server(lambda: protocol(0.2), "127.0.0.1", 0)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1",
                                                       busy.sockets[0].getsockname()[1])
        await asyncio.wait_for(reader.readline(), 10)
        proto = made[-1]
        timer, deadline = proto._timeout_handle, proto._deadline
        writer.write(b"NOOP\r\n")
        assert await asyncio.wait_for(reader.readline(), 10) == b"250 OK\r\n"
        assert proto._timeout_handle is timer and proto._deadline >= deadline
        proto._timeout_due()  # fired early: armed again for the rest
        assert proto._timeout_handle is not timer and not proto._timeout_handle.cancelled()
        assert proto.transport is not None
        proto._deadline = loop.time() - 1
        proto._timeout_due()  # the deadline has passed: closed as aiosmtpd does
        assert await asyncio.wait_for(reader.read(), 10) == b""
        writer.close()

        reader, writer = await asyncio.open_connection("127.0.0.1",
                                                       idle.sockets[0].getsockname()[1])
        assert (await asyncio.wait_for(reader.readline(), 10)).startswith(b"220")
        assert await asyncio.wait_for(reader.read(), 10) == b""  # closed when idle
        writer.close()
    finally:
        for server in (busy, idle):
            server.close()
            await server.wait_closed()
