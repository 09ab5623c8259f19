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
from array import array
from collections.abc import Iterable, Mapping

from appliance.imap.parser import as_text, parse_sequence_set, resolve_sequence_set
from appliance.imap.state import SYSTEM_FLAGS, Bad, No, SessionState, flag_list
from appliance.store import Changes, FolderState

__all__ = ["Selected", "SelectionCommands", "select_responses"]


class Selected:
    """The selected mailbox: the UIDs and flags the client has been told about.

    Kept small because every open session holds one (500 sessions on a
    10,000-message INBOX): the UIDs in an ``array`` of 32-bit numbers, and
    per message one 16-bit index into the few distinct (flags, \\Recent)
    combinations the mailbox uses, instead of a list of int objects and a
    dict of strings (about 6 instead of 100+ bytes a message).
    """

    __slots__ = ("_ids", "_kind_of", "_kinds", "modseq", "name", "pending_expunge", "readonly",
                 "uidnext", "uids", "validity")

    def __init__(self, name: str, readonly: bool, validity: int, uidnext: int, modseq: int,
                 uids: Iterable[int], flags: Mapping[int, str], recent_from: int) -> None:
        self.name = name
        self.readonly = readonly
        self.validity = validity
        self.uidnext = uidnext
        self.modseq = modseq
        self.uids = array("I", uids)
        self._kinds: list[tuple[str, bool]] = []  # (flags, recent) → its index in _ids
        self._kind_of: dict[tuple[str, bool], int] = {}
        ids = [self._kind(flags[u], u >= recent_from) for u in self.uids]
        self._ids = array("H" if len(self._kinds) <= 0xFFFF else "I", ids)
        self.pending_expunge: set[int] = set()

    @classmethod
    def opened(cls, state: FolderState, readonly: bool) -> Selected:
        return cls(state.name, readonly, state.uidvalidity, state.uidnext, state.modseq,
                   state.uids, state.flags, state.recent_from)

    def _kind(self, flags: str, recent: bool) -> int:
        key = (flags, recent)
        k = self._kind_of.get(key)
        if k is None:
            k = self._kind_of[key] = len(self._kinds)
            self._kinds.append(key)
            if k == 0x10000 and getattr(self, "_ids", None) is not None:
                self._ids = array("I", self._ids)  # more distinct flag sets than 16 bits hold
        return k

    def _pos(self, uid: int) -> int:
        i = bisect.bisect_left(self.uids, uid)
        return i if i < len(self.uids) and self.uids[i] == uid else -1

    def seq_of(self, uid: int) -> int:
        """The message's sequence number, 0 if the session does not know it."""
        return self._pos(uid) + 1

    def knows(self, uid: int) -> bool:
        return self._pos(uid) >= 0

    def flags_of(self, uid: int) -> str:
        """Stored flags of a message in view ("" for one the session does not know)."""
        i = self._pos(uid)
        return self._kinds[self._ids[i]][0] if i >= 0 else ""

    def is_recent(self, uid: int) -> bool:
        i = self._pos(uid)
        return i >= 0 and self._kinds[self._ids[i]][1]

    def flags_and_recent(self, uid: int) -> tuple[str, bool]:
        i = self._pos(uid)
        return self._kinds[self._ids[i]] if i >= 0 else ("", False)

    def at(self, pos: int) -> tuple[str, bool]:
        """(flags, recent) of the message at ``pos`` (sequence number - 1)."""
        return self._kinds[self._ids[pos]]

    def set_flags(self, uid: int, flags: str) -> None:
        i = self._pos(uid)
        if i >= 0:
            self._ids[i] = self._kind(flags, self._kinds[self._ids[i]][1])

    def recent_count(self) -> int:
        recent = {k for k, (_, r) in enumerate(self._kinds) if r}
        if len(recent) <= 4:  # the usual case: count in C
            return sum(self._ids.count(k) for k in recent)
        return sum(1 for k in self._ids if k in recent)

    def keywords(self) -> list[str]:
        """The keywords set on some message in view, sorted."""
        used = {self._kinds[k][0] for k in set(self._ids)}
        return sorted({f for fl in used for f in fl.split() if not f.startswith("\\")})

    def first_unseen(self) -> int:
        """Sequence number of the first message without \\Seen, 0 if none."""
        unseen = {k for k, (f, _) in enumerate(self._kinds) if "\\Seen" not in f}
        return next((i + 1 for i, k in enumerate(self._ids) if k in unseen), 0)

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
        self.pending_expunge |= {u for u in gone if self.knows(u)}
        if allow_expunge and self.pending_expunge:
            for uid in sorted(self.pending_expunge, reverse=True):
                i = self._pos(uid)
                if i >= 0:
                    out.append(b"* %d EXPUNGE" % (i + 1))
                    del self.uids[i]
                    del self._ids[i]
            self.pending_expunge.clear()
        last = self.uids[-1] if self.uids else 0
        new = [u for u in sorted(ch.flags) if u > last and u not in gone]
        for uid, flags in ch.flags.items():
            if uid in gone or uid > last:
                continue
            i = self._pos(uid)
            if i < 0:
                continue
            old, recent = self._kinds[self._ids[i]]
            if old != flags:
                self._ids[i] = self._kind(flags, recent)
                out.append(b"* %d FETCH (UID %d FLAGS %s)" % (i + 1, uid, flag_list(flags, recent)))
        if new:
            for uid in new:
                recent = uid >= ch.recent_from and not self.readonly
                self.uids.append(uid)
                self._ids.append(self._kind(ch.flags[uid], recent))
            out.append(b"* %d EXISTS" % len(self.uids))
            out.append(b"* %d RECENT" % self.recent_count())
        self.uidnext = max(self.uidnext, ch.uidnext)
        return out


def select_responses(sel: Selected) -> list[bytes]:
    """The untagged responses of SELECT/EXAMINE, before its tagged OK."""
    flags = " ".join([*SYSTEM_FLAGS, *sel.keywords()]).encode()
    out = [
        b"* FLAGS (" + flags + b")",
        b"* OK [PERMANENTFLAGS (" + (b"" if sel.readonly else flags + b" \\*")
        + b")] flags permitted",
        b"* %d EXISTS" % len(sel.uids),
        b"* %d RECENT" % sel.recent_count(),
    ]
    unseen = sel.first_unseen()
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
