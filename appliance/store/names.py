"""Folder names: IMAP modified UTF-7, validation, and the Maildir++ directory of a folder.

The modified UTF-7 codec (RFC 3501 §5.1.3) is hand-written: Python gains a
``utf-7-imap`` codec only in 3.16, and the maintained IMAP libraries on PyPI
are clients (imapclient, imap-tools) that would pull in a whole client for
these forty lines.

Folder names inside Mailroom are Unicode strings with ``/`` as the hierarchy
separator (``Work/Projects``). On disk they follow Dovecot's Maildir++ layout:
``.`` + the modified-UTF-7 name with ``/`` turned into ``.``
(``.Work.Projects``), so a component may not itself contain ``.``. Every name
is checked here before it becomes a path, so no name can leave the account's
directory.
"""

from __future__ import annotations

import binascii

__all__ = [
    "BadFolderName",
    "SEPARATOR",
    "decode_mutf7",
    "encode_mutf7",
    "folder_dirname",
    "folder_from_dirname",
    "normalize_folder",
]

SEPARATOR = "/"
_MAX_NAME = 255
_MAX_DEPTH = 16


class BadFolderName(ValueError):
    """A folder name that Mailroom refuses (unsafe, malformed or too long)."""


def encode_mutf7(name: str) -> str:
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            raw = "".join(run).encode("utf-16-be")
            b64 = binascii.b2a_base64(raw, newline=False).rstrip(b"=").replace(b"/", b",")
            out.append("&" + b64.decode("ascii") + "-")
            run.clear()

    for ch in name:
        if ch == "&":
            flush()
            out.append("&-")
        elif " " <= ch <= "~":
            flush()
            out.append(ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def decode_mutf7(text: str) -> str:
    """Decode modified UTF-7; raises ``BadFolderName`` on malformed input."""
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch != "&":
            if not " " <= ch <= "~":
                raise BadFolderName("mailbox name is not modified UTF-7")
            out.append(ch)
            i += 1
            continue
        end = text.find("-", i + 1)
        if end < 0:
            raise BadFolderName("unterminated modified UTF-7 sequence")
        chunk = text[i + 1 : end]
        if not chunk:
            out.append("&")
        else:
            b64 = chunk.replace(",", "/")
            b64 += "=" * (-len(b64) % 4)
            try:
                decoded = binascii.a2b_base64(b64.encode("ascii")).decode("utf-16-be")
            except (binascii.Error, UnicodeDecodeError, UnicodeEncodeError) as exc:
                raise BadFolderName("bad modified UTF-7 sequence") from exc
            out.append(decoded)
        i = end + 1
    return "".join(out)


def normalize_folder(name: str) -> str:
    """Check a Unicode folder name and return its canonical form (``INBOX`` upper-cased).

    Refused: empty components (``a//b``, leading or trailing ``/``), ``.``
    inside a component (it is the on-disk separator, and it keeps ``..`` out),
    backslashes, control characters, the IMAP wildcards ``*`` and ``%``, and
    names too long or too deep.
    """
    if not name or len(name) > _MAX_NAME:
        raise BadFolderName("mailbox name is empty or too long")
    parts = name.split(SEPARATOR)
    if parts[0].upper() == "INBOX":
        parts[0] = "INBOX"
    if len(parts) > _MAX_DEPTH:
        raise BadFolderName("mailbox name is nested too deeply")
    for part in parts:
        if not part:
            raise BadFolderName("empty component in mailbox name")
        if "." in part or "\\" in part or "*" in part or "%" in part or part.startswith("~"):
            raise BadFolderName("mailbox name contains a character that is not allowed")
        if any(ord(c) < 32 or ord(c) == 127 for c in part):
            raise BadFolderName("mailbox name contains a control character")
    return SEPARATOR.join(parts)


def folder_dirname(name: str) -> str:
    """The Maildir++ directory (relative to the account) of a canonical folder name.

    ``INBOX`` is the account directory itself (``""``); ``INBOX/x`` is stored
    as ``.INBOX.x`` the way Dovecot stores children of INBOX.
    """
    if name == "INBOX":
        return ""
    return "." + encode_mutf7(name).replace(SEPARATOR, ".")


def folder_from_dirname(dirname: str) -> str | None:
    """The folder name for a ``.Name`` directory, or None if it is not a valid folder."""
    if not dirname.startswith(".") or dirname in (".", ".."):
        return None
    try:
        name = decode_mutf7(dirname[1:]).replace(".", SEPARATOR)
        return normalize_folder(name)
    except BadFolderName:
        return None
