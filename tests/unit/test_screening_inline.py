"""Screening looks for file names on the event loop first: mail that names no file
needs no thread hop."""

from __future__ import annotations

import base64
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from appliance.screening import Screening, _may_name_files
from appliance.state.settings import SETTINGS
from appliance.virus import blocked_attachment


class CountingExecutor(ThreadPoolExecutor):
    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.calls = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return super().submit(fn, *args, **kwargs)


def _mail(*parts: bytes) -> bytes:
    return b"From: a@b.test\r\nSubject: hi\r\n" + b"".join(parts)


PLAIN = _mail(b"Content-Type: text/plain\r\n\r\nThe quick brown fox.\r\n")
NAMED = [
    _mail(b'Content-Type: application/octet-stream; name="x.exe"\r\n\r\nAA==\r\n'),
    _mail(b"Content-Disposition: attachment; FILENAME=x.exe\r\n\r\nAA==\r\n"),
    _mail(b"Content-Disposition: attachment; filename*0*=UTF-8''x.;\r\n"
          b" filename*1=exe\r\n\r\nAA==\r\n"),
    _mail(b"Content-Type: application/x; NaMe =\r\n \"=?utf-8?b?"
          + base64.b64encode(b"x.exe") + b'?="\r\n\r\nAA==\r\n'),
]


def test_every_message_with_a_blocked_name_is_looked_at() -> None:
    extensions = SETTINGS["virus.blocked_extensions"].default
    for message in NAMED:
        assert blocked_attachment(message, extensions) is not None, message
        assert _may_name_files(message)
    assert not _may_name_files(PLAIN)
    assert _may_name_files(b"x" * (200 * 1024))  # large: checked off the loop as before


@pytest.fixture
def screening() -> Screening:
    settings = {key: spec.default for key, spec in SETTINGS.items()}
    return Screening(lambda: settings, lambda domain: True, CountingExecutor())


async def test_mail_without_names_skips_the_thread(screening: Screening) -> None:
    executor = screening.executor
    assert isinstance(executor, CountingExecutor)
    passed = await screening.check(PLAIN, PLAIN.index(b"\r\n\r\n") + 2, ip="127.0.0.1",
                                   helo="c.test", sender="a@b.test", recipients=["c@d.test"],
                                   outside=False)
    assert passed.reply == "" and executor.calls == 0
    refused = await screening.check(NAMED[0], NAMED[0].index(b"\r\n\r\n") + 2, ip="127.0.0.1",
                                    helo="c.test", sender="a@b.test", recipients=["c@d.test"],
                                    outside=False)
    assert refused.reply.startswith("554 5.7.1") and executor.calls == 1
