"""Pieces of the SMTP listener that need no socket."""

from __future__ import annotations

import logging

import aiosmtpd.smtp as aiosmtpd_smtp
import pytest

import appliance.smtp.server  # noqa: F401  (installs its aiosmtpd patches)


def test_aiosmtpd_command_logging_is_skipped_when_off_and_still_masks_auth(
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
