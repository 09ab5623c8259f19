"""Commands on folders as a whole: CREATE, DELETE, RENAME, (UN)SUBSCRIBE, NAMESPACE,
LIST, LSUB, STATUS, APPEND, COPY, MOVE and the QUOTA commands.

APPEND, COPY and MOVE tell ``server.moved`` what landed where, so Junk
training sees a message filed into or out of Junk.
"""

from __future__ import annotations

import asyncio
import re

from appliance.imap.parser import Atom, as_text, parse_datetime
from appliance.imap.state import Bad, No, SessionState, mailbox_wire
from appliance.store import SPECIAL_USE, Account
from appliance.store.names import SEPARATOR, BadFolderName, decode_mutf7

__all__ = ["MailboxCommands", "compact", "pattern_regex"]


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """A LIST pattern (``*`` any, ``%`` any but the separator) as a regular expression."""
    out = []
    for ch in pattern:
        if ch == "*":
            out.append(".*")
        elif ch == "%":
            out.append("[^/]*")
        else:
            out.append(re.escape(ch))
    regex = "".join(out)
    if regex.upper().startswith("INBOX"):
        regex = "(?i:INBOX)" + regex[5:]
    return re.compile(regex + r"\Z")


def compact(nums: list[int]) -> str:
    """[1,2,3,7] → "1:3,7" (for COPYUID)."""
    out = []
    start = prev = nums[0]
    for n in nums[1:]:
        if n == prev + 1:
            prev = n
            continue
        out.append(f"{start}:{prev}" if start != prev else str(start))
        start = prev = n
    out.append(f"{start}:{prev}" if start != prev else str(start))
    return ",".join(out)


class MailboxCommands(SessionState):
    async def cmd_create(self, tag: bytes, args: list) -> None:
        acct = self._need_auth()
        if len(args) != 1:
            raise Bad("CREATE mailbox")
        raw = as_text(args[0]).rstrip(SEPARATOR)  # "foo/" asks for a future parent: same thing
        name = self._mailbox_arg(raw.encode())
        if name == "INBOX":
            raise No("[ALREADYEXISTS] INBOX always exists")
        await asyncio.to_thread(acct.create_folder, name)
        await self.ok(tag, "CREATE completed")

    async def cmd_delete(self, tag: bytes, args: list) -> None:
        acct = self._need_auth()
        if len(args) != 1:
            raise Bad("DELETE mailbox")
        name = self._mailbox_arg(args[0])
        if self.selected is not None and self.selected.name == name:
            self.selected = None
        await asyncio.to_thread(acct.delete_folder, name)
        await self.ok(tag, "DELETE completed")

    async def cmd_rename(self, tag: bytes, args: list) -> None:
        acct = self._need_auth()
        if len(args) != 2:
            raise Bad("RENAME old new")
        old, new = self._mailbox_arg(args[0]), self._mailbox_arg(args[1])
        if self.selected is not None and self.selected.name == old:
            self.selected = None
        await asyncio.to_thread(acct.rename_folder, old, new)
        await self.ok(tag, "RENAME completed")

    async def cmd_subscribe(self, tag: bytes, args: list, on: bool = True) -> None:
        acct = self._need_auth()
        if len(args) != 1:
            raise Bad("SUBSCRIBE mailbox")
        name = self._mailbox_arg(args[0])
        if on and not acct.exists(name):
            raise No("[NONEXISTENT] no such mailbox")
        await asyncio.to_thread(acct.set_subscribed, name, on)
        await self.ok(tag, ("SUBSCRIBE" if on else "UNSUBSCRIBE") + " completed")

    async def cmd_unsubscribe(self, tag: bytes, args: list) -> None:
        await self.cmd_subscribe(tag, args, on=False)

    async def cmd_namespace(self, tag: bytes, args: list) -> None:
        self._need_auth()
        self.send(b'* NAMESPACE (("" "/")) NIL NIL')
        await self.ok(tag, "NAMESPACE completed")

    async def cmd_list(self, tag: bytes, args: list, lsub: bool = False) -> None:
        acct = self._need_auth()
        select_opts: set[str] = set()
        return_opts: set[str] = set()
        if args and isinstance(args[0], list):
            select_opts = {as_text(x).upper() for x in args[0]}
            args = args[1:]
        if len(args) >= 4 and isinstance(args[2], Atom) and args[2].upper() == "RETURN":
            return_opts = {as_text(x).upper() for x in args[3]} if isinstance(args[3], list) \
                else set()
            args = args[:2]
        if len(args) != 2:
            raise Bad("LIST reference mailbox")
        ref = as_text(args[0])
        patterns = [as_text(p) for p in args[1]] if isinstance(args[1], list) \
            else [as_text(args[1])]
        verb = b"LSUB" if lsub else b"LIST"
        if patterns == [""]:
            self.send(b'* ' + verb + b' (\\Noselect) "/" ""')
            await self.ok(tag, f"{verb.decode()} completed")
            return
        folders = await asyncio.to_thread(acct.folders)
        subs = await asyncio.to_thread(acct.subscriptions)
        existing = set(folders)
        regexes = []
        for pattern in patterns:
            try:
                full = decode_mutf7(ref + pattern)
            except BadFolderName:
                continue
            regexes.append(pattern_regex(full))
        only_subscribed = lsub or "SUBSCRIBED" in select_opts
        only_special = "SPECIAL-USE" in select_opts
        candidates = sorted(existing | (subs if only_subscribed else set()),
                            key=lambda n: (n != "INBOX", n))
        for name in candidates:
            if not any(r.match(name) for r in regexes):
                continue
            if only_subscribed and name not in subs:
                continue
            attrs = []
            special = SPECIAL_USE.get(name)
            if only_special and not special:
                continue
            if name not in existing:
                attrs.append("\\NonExistent" if not lsub else "\\Noselect")
            has_children = any(f.startswith(name + SEPARATOR) for f in existing)
            attrs.append("\\HasChildren" if has_children else "\\HasNoChildren")
            if special:
                attrs.append(special)
            if not lsub and ("SUBSCRIBED" in return_opts or "SUBSCRIBED" in select_opts) \
                    and name in subs:
                attrs.append("\\Subscribed")
            self.send(b"* " + verb + b" (" + " ".join(attrs).encode() + b') "/" '
                      + mailbox_wire(name))
        await self.ok(tag, f"{verb.decode()} completed")

    async def cmd_lsub(self, tag: bytes, args: list) -> None:
        await self.cmd_list(tag, args, lsub=True)

    async def cmd_status(self, tag: bytes, args: list) -> None:
        acct = self._need_auth()
        if len(args) != 2 or not isinstance(args[1], list):
            raise Bad("STATUS mailbox (items)")
        name = self._mailbox_arg(args[0])
        if not acct.exists(name):
            raise No("[NONEXISTENT] no such mailbox")
        items = [as_text(x).upper() for x in args[1]]
        info = await asyncio.to_thread(acct.status, name)
        out = []
        for item in items:
            if item not in info:
                raise Bad(f"unknown STATUS item {item[:20]}")
            out.append(f"{item} {info[item]}")
        self.send(b"* STATUS " + mailbox_wire(name) + b" (" + " ".join(out).encode() + b")")
        await self.ok(tag, "STATUS completed")

    async def cmd_append(self, tag: bytes, args: list) -> None:
        acct = self._need_auth()
        if len(args) < 2:
            raise Bad("APPEND mailbox [(flags)] [date-time] message")
        name = self._mailbox_arg(args[0])
        rest = args[1:]
        flags: list[str] = []
        date = None
        if rest and isinstance(rest[0], list):
            flags = [as_text(f) for f in rest[0]]
            rest = rest[1:]
        if len(rest) == 2:
            date = parse_datetime(as_text(rest[0]))
            rest = rest[1:]
        if len(rest) != 1 or not isinstance(rest[0], bytes):
            raise Bad("message literal expected")
        validity, uid = await asyncio.to_thread(
            acct.append, name, rest[0], flags=flags, internaldate=date, quota_bytes=self._quota()
        )
        if self.server.moved is not None:
            self.server.moved(acct, None, name, [uid])
        await self.ok(tag, f"[APPENDUID {validity} {uid}] APPEND completed")

    async def cmd_copy(self, tag: bytes, args: list, uid_mode: bool = False,
                       move: bool = False) -> None:
        acct, sel = self._need_selected()
        if len(args) != 2:
            raise Bad("COPY sequence-set mailbox")
        if move and sel.readonly:
            raise No("[READ-ONLY] mailbox is read-only")
        uids = sel.uids_of(as_text(args[0]), uid_mode)
        dst = self._mailbox_arg(args[1])
        if not acct.exists(dst):
            raise No("[TRYCREATE] no such mailbox")
        validity, pairs = await asyncio.to_thread(
            acct.copy, sel.name, uids, dst, move=move, quota_bytes=self._quota()
        )
        code = ""
        if pairs:
            code = f"[COPYUID {validity} {compact([p[0] for p in pairs])} " \
                   f"{compact([p[1] for p in pairs])}] "
        if pairs and self.server.moved is not None:
            self.server.moved(acct, sel.name, dst, [p[1] for p in pairs])
        verb = "MOVE" if move else "COPY"
        if move:
            if code:
                self.send(b"* OK " + code.encode().strip() + b" moved")
            await self.ok(tag, f"{verb} completed", "MOVE")
        else:
            await self.ok(tag, f"{code}{verb} completed", "COPY")

    async def cmd_uid_copy(self, tag: bytes, args: list) -> None:
        await self.cmd_copy(tag, args, uid_mode=True)

    async def cmd_move(self, tag: bytes, args: list) -> None:
        await self.cmd_copy(tag, args, move=True)

    async def cmd_uid_move(self, tag: bytes, args: list) -> None:
        await self.cmd_copy(tag, args, uid_mode=True, move=True)

    async def cmd_getquotaroot(self, tag: bytes, args: list) -> None:
        acct = self._need_auth()
        if not args:
            raise Bad("mailbox name expected")
        name = self._mailbox_arg(args[0])
        self.send(b"* QUOTAROOT " + mailbox_wire(name) + b' ""')
        await self._send_quota(acct)
        await self.ok(tag, "GETQUOTAROOT completed")

    async def cmd_getquota(self, tag: bytes, args: list) -> None:
        acct = self._need_auth()
        if not args or as_text(args[0]) != "":
            raise No("[NONEXISTENT] no such quota root")
        await self._send_quota(acct)
        await self.ok(tag, "GETQUOTA completed")

    async def cmd_setquota(self, tag: bytes, args: list) -> None:
        self._need_auth()
        raise No("[NOPERM] quotas are set by the administrator")

    async def _send_quota(self, acct: Account) -> None:
        used, _ = await asyncio.to_thread(acct.usage)
        limit = self._quota()
        if limit:
            self.send(b'* QUOTA "" (STORAGE %d %d)' % ((used + 1023) // 1024, limit // 1024))
        else:
            self.send(b'* QUOTA "" ()')
