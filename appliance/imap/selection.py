"""Mailbox selection: SELECT, EXAMINE, CLOSE, UNSELECT, EXPUNGE, CHECK, and the
selected mailbox as the session sees it.

``Selected`` is the list of UIDs the client knows (sequence number =
position + 1) and their flags. ``Selected.apply`` folds the store's
``Changes`` into it and says what to tell the client (pure: no I/O), so
the session reports EXISTS / FETCH FLAGS / EXPUNGE after each command.
"""

from __future__ import annotations

import asyncio
import bisect

from appliance.imap.parser import as_text, parse_sequence_set, resolve_sequence_set
from appliance.imap.state import SYSTEM_FLAGS, Bad, No, SessionState, flag_list
from appliance.store import Changes, FolderState

__all__ = ["Selected", "SelectionCommands", "select_responses"]


class Selected:
    """The selected mailbox: the UIDs and flags the client has been told about."""

    __slots__ = ("flags", "modseq", "name", "pending_expunge", "readonly", "recent", "uidnext",
                 "uids", "validity")

    def __init__(self, name: str, readonly: bool, validity: int, uidnext: int, modseq: int,
                 uids: list[int], flags: dict[int, str], recent_from: int) -> None:
        self.name = name
        self.readonly = readonly
        self.validity = validity
        self.uidnext = uidnext
        self.modseq = modseq
        self.uids = uids
        self.flags = flags
        self.recent = {u for u in uids if u >= recent_from}
        self.pending_expunge: set[int] = set()

    @classmethod
    def opened(cls, state: FolderState, readonly: bool) -> Selected:
        return cls(state.name, readonly, state.uidvalidity, state.uidnext, state.modseq,
                   state.uids, state.flags, state.recent_from)

    def seq_of(self, uid: int) -> int:
        """The message's sequence number, 0 if the session does not know it."""
        i = bisect.bisect_left(self.uids, uid)
        return i + 1 if i < len(self.uids) and self.uids[i] == uid else 0

    def uids_of(self, text: str, uid_mode: bool) -> list[int]:
        """Message set (sequence numbers, or UIDs in UID commands) → UIDs in view, ascending."""
        ranges = parse_sequence_set(text)
        uids = self.uids
        if not uids:
            return []
        out: set[int] = set()
        if uid_mode:
            for lo, hi in resolve_sequence_set(ranges, uids[-1]):
                a = bisect.bisect_left(uids, lo)
                b = bisect.bisect_right(uids, hi)
                out.update(uids[a:b])
        else:
            for lo, hi in resolve_sequence_set(ranges, len(uids)):
                if lo > len(uids):
                    raise Bad("no such message")
                out.update(uids[lo - 1 : min(hi, len(uids))])
        return sorted(out)

    def apply(self, ch: Changes, *, allow_expunge: bool) -> list[bytes]:
        """Take in what changed in the store; the untagged responses that tell the client.

        Expunged messages stay in view (pending) until ``allow_expunge``:
        sequence numbers must not shift under a FETCH, STORE or SEARCH.
        """
        out: list[bytes] = []
        self.modseq = ch.modseq
        gone = set(ch.expunged)
        self.pending_expunge |= {u for u in gone if u in self.flags}
        if allow_expunge and self.pending_expunge:
            for uid in sorted(self.pending_expunge, reverse=True):
                seq = self.seq_of(uid)
                if seq:
                    out.append(b"* %d EXPUNGE" % seq)
                    del self.uids[seq - 1]
                self.flags.pop(uid, None)
                self.recent.discard(uid)
            self.pending_expunge.clear()
        last = self.uids[-1] if self.uids else 0
        new = [u for u in sorted(ch.flags) if u > last and u not in gone]
        for uid, flags in ch.flags.items():
            if uid in gone or uid > last:
                continue
            if self.flags.get(uid, flags) != flags:
                self.flags[uid] = flags
                seq = self.seq_of(uid)
                if seq:
                    out.append(b"* %d FETCH (UID %d FLAGS %s)"
                               % (seq, uid, flag_list(flags, uid in self.recent)))
        if new:
            for uid in new:
                self.uids.append(uid)
                self.flags[uid] = ch.flags[uid]
                if uid >= ch.recent_from and not self.readonly:
                    self.recent.add(uid)
            out.append(b"* %d EXISTS" % len(self.uids))
            out.append(b"* %d RECENT" % len(self.recent))
        self.uidnext = max(self.uidnext, ch.uidnext)
        return out


def select_responses(sel: Selected) -> list[bytes]:
    """The untagged responses of SELECT/EXAMINE, before its tagged OK."""
    keywords = sorted({f for fl in set(sel.flags.values()) for f in fl.split()
                       if not f.startswith("\\")})
    flags = " ".join([*SYSTEM_FLAGS, *keywords]).encode()
    out = [
        b"* FLAGS (" + flags + b")",
        b"* OK [PERMANENTFLAGS (" + (b"" if sel.readonly else flags + b" \\*")
        + b")] flags permitted",
        b"* %d EXISTS" % len(sel.uids),
        b"* %d RECENT" % len(sel.recent),
    ]
    unseen = next((i + 1 for i, u in enumerate(sel.uids) if "\\Seen" not in sel.flags[u]), None)
    if unseen:
        out.append(b"* OK [UNSEEN %d] first unseen" % unseen)
    out.append(b"* OK [UIDVALIDITY %d] UIDs valid" % sel.validity)
    out.append(b"* OK [UIDNEXT %d] predicted next UID" % sel.uidnext)
    return out


class SelectionCommands(SessionState):
    async def cmd_select(self, tag: bytes, args: list, readonly: bool = False) -> None:
        acct = self._need_auth()
        if len(args) != 1:
            raise Bad("SELECT mailbox")
        name = self._mailbox_arg(args[0])
        self.selected = None
        if not acct.exists(name):
            raise No("[NONEXISTENT] no such mailbox")
        state = await asyncio.to_thread(acct.open, name, claim_recent=not readonly)
        sel = Selected.opened(state, readonly)
        for line in select_responses(sel):
            self.send(line)
        self.selected = sel
        mode = "READ-ONLY" if readonly else "READ-WRITE"
        self.send(tag + f" OK [{mode}] {'EXAMINE' if readonly else 'SELECT'} completed".encode())

    async def cmd_examine(self, tag: bytes, args: list) -> None:
        await self.cmd_select(tag, args, readonly=True)

    async def cmd_check(self, tag: bytes, args: list) -> None:
        self._need_selected()
        await self.ok(tag, "CHECK completed")

    async def cmd_close(self, tag: bytes, args: list) -> None:
        acct, sel = self._need_selected()
        self.selected = None
        if not sel.readonly:
            await asyncio.to_thread(acct.expunge, sel.name)
        self.send(tag + b" OK CLOSE completed")

    async def cmd_unselect(self, tag: bytes, args: list) -> None:
        self._need_selected()
        self.selected = None
        self.send(tag + b" OK UNSELECT completed")

    async def cmd_expunge(self, tag: bytes, args: list, uids: list[int] | None = None) -> None:
        acct, sel = self._need_selected()
        if sel.readonly:
            raise No("[READ-ONLY] mailbox is read-only")
        await asyncio.to_thread(acct.expunge, sel.name, uids)
        await self.ok(tag, "EXPUNGE completed", "EXPUNGE")

    async def cmd_uid_expunge(self, tag: bytes, args: list) -> None:
        _, sel = self._need_selected()
        if not args:
            raise Bad("UID EXPUNGE sequence-set")
        await self.cmd_expunge(tag, args, uids=sel.uids_of(as_text(args[0]), True))
