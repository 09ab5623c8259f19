"""Attachment types the admin refuses (executables, scripts), found by file name.

Pure: the MIME structure is read with the standard ``email`` parser, whose
``get_filename`` decodes RFC 2231 (``filename*=UTF-8''...``, also split in
sections) and RFC 2047 encoded words; a ``name=`` on Content-Type counts
as well. The last extension decides, after the dots and spaces Windows
ignores at the end of a name ("invoice.pdf.exe." is an .exe).
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Blocked", "blocked_attachment", "extension_of"]

# Cheap test before parsing: a part with a file name says name= or name*=.
_NAMED = re.compile(rb"(?i)name\*?(?:\d+\*?)?\s*=")
MAX_PARTS = 1000  # a message with more parts than this is not checked further


@dataclass(frozen=True)
class Blocked:
    filename: str
    extension: str


def extension_of(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].rstrip(". \t\x00")
    base, dot, ext = name.rpartition(".")
    return ext.lower() if dot and base else ""


def _names(part: email.message.Message) -> list[str]:
    names = []
    try:
        filename = part.get_filename()
    except (ValueError, LookupError, TypeError):
        filename = None
    if filename:
        names.append(str(filename))
    try:
        name = part.get_param("name")
    except (ValueError, LookupError, TypeError):
        name = None
    if name:
        names.append(str(email.utils.collapse_rfc2231_value(name)))
    return names


def blocked_attachment(message: bytes, extensions: Iterable[str]) -> Blocked | None:
    """The first part whose file name has one of ``extensions``, or None."""
    wanted = {e.lower().lstrip(".") for e in extensions}
    if not wanted or not _NAMED.search(message):
        return None
    parsed = email.message_from_bytes(message, policy=email.policy.compat32)
    for count, part in enumerate(parsed.walk()):
        if count >= MAX_PARTS:
            break
        for name in _names(part):
            decoded = str(email.header.make_header(email.header.decode_header(name))) \
                if "=?" in name else name
            ext = extension_of(decoded)
            if ext in wanted:
                return Blocked(decoded, ext)
    return None
