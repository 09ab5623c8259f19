"""What every IMAP command handler shares: the session's state and its replies.

``SessionState`` holds the connection, the logged-in account and the
selected mailbox; the command modules (``selection``, ``fetch``, ``search``,
``idle``, ``mailboxes``) each add their handlers to it as a mixin, and
``session.ImapSession`` puts them together with dispatch and login.

After each command the session asks the store what changed since the
modification sequence it last saw and reports it (``Selected.apply``),
holding EXPUNGEs back during FETCH, STORE and SEARCH as RFC 3501 §7.4.1
requires.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from appliance.imap.listener import Connection
from appliance.imap.parser import as_text
from appliance.store import Account
from appliance.store.mime import imap_string
from appliance.store.names import BadFolderName, decode_mutf7, encode_mutf7, normalize_folder

if TYPE_CHECKING:
    from appliance.imap import ImapServer
    from appliance.imap.selection import Selected

__all__ = ["SYSTEM_FLAGS", "Bad", "Logout", "No", "SessionState", "flag_list", "mailbox_wire"]

SYSTEM_FLAGS = ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")


class Bad(Exception):
    """Answer the command with BAD and this text."""


class No(Exception):
    """Answer the command with NO and this text (may start with a [CODE])."""


class Logout(Exception):
    """End the session after this command (LOGOUT, too many failures, idle time-out)."""


def flag_list(flags: str, recent: bool) -> bytes:
    """``(\\Seen \\Recent)``: a message's stored flags plus this session's \\Recent."""
    text = flags + (" \\Recent" if recent else "") if flags else ("\\Recent" if recent else "")
    return b"(" + text.strip().encode("utf-8", "replace") + b")"


def mailbox_wire(name: str) -> bytes:
    """A folder name as IMAP sends it: modified UTF-7, quoted or a literal."""
    return imap_string(encode_mutf7(name).encode("ascii"))


class SessionState:
    """The state of one IMAP connection and the helpers its command handlers use."""

    def __init__(self, server: ImapServer, conn: Connection) -> None:
        self.server = server
        self.conn = conn
        self.user: str | None = None
        self.account: Account | None = None
        self.selected: Selected | None = None
        self.bad_count = 0
        self.auth_failures = 0
        self.changed = asyncio.Event()
        self._unwatch: Callable[[], None] | None = None

    def send(self, line: bytes) -> None:
        self.conn.write(line + b"\r\n")

    def _need_auth(self) -> Account:
        if self.account is None:
            raise Bad("log in first")
        return self.account

    def _need_selected(self) -> tuple[Account, Selected]:
        acct = self._need_auth()
        if self.selected is None:
            raise Bad("no mailbox selected")
        return acct, self.selected

    def _mailbox_arg(self, token: object) -> str:
        raw = as_text(token)
        try:
            name = decode_mutf7(raw) if raw.isascii() else raw
        except BadFolderName as exc:
            raise No("[CANNOT] mailbox name is not valid modified UTF-7") from exc
        return normalize_folder(name)

    def _quota(self) -> int:
        return self.server.quota_of(self.user or "") if self.server.quota_of else 0

    async def ok(self, tag: bytes, text: str, command: str = "") -> None:
        await self._report_changes(command)
        self.send(tag + b" OK " + text.encode())

    async def _report_changes(self, command: str = "", rescan: bool = False) -> None:
        sel = self.selected
        if sel is None or self.account is None:
            return
        ch = await asyncio.to_thread(
            self.account.changes, sel.name, sel.modseq, claim_recent=not sel.readonly,
            rescan=rescan,
        )
        if self.selected is not sel:
            return
        for line in sel.apply(ch, allow_expunge=command not in ("FETCH", "STORE", "SEARCH")):
            self.send(line)
