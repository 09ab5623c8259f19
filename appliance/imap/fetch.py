"""FETCH and STORE: the renderers of FETCH data items, literals, batched streaming.

A FETCH is decided once per command (``renderer``: which index columns
it needs and one function that renders a message), then run in batches
(``batch_sizes``, and at most ``BATCH_BYTES`` of responses): batch k+1 is
built in a worker thread (``fetch_batch``) while batch k drains to the
client, so a big FETCH neither holds every response in memory nor stalls
other sessions on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from appliance.imap.parser import FetchItem, as_text, format_internaldate, parse_fetch_items
from appliance.imap.selection import Selected
from appliance.imap.state import SYSTEM_FLAGS, Bad, No, SessionState, flag_list
from appliance.store import Account
from appliance.store.mime import header_fields, parse_message, section_bytes, to_crlf
from appliance.store.names import folder_dirname

__all__ = [
    "FetchCommands",
    "Render",
    "fetch_batch",
    "literal",
    "parse_store",
    "batch_sizes",
    "read_file",
    "renderer",
]

FIRST_BATCH = 32
FETCH_BATCH = 1024  # messages per batch, index data only
BODY_BATCH = 32  # messages per batch when files are read (memory: two batches in flight)
# A batch ends early once its responses reach this: 32 messages with 20 MB
# attachments must not mean 640 MB in memory, twice.
BATCH_BYTES = 2 << 20

_KEYWORD = re.compile(r"[!#-'*+\-.0-Z^-z|~]+")
_STORE_ITEM = re.compile(r"([+-]?)FLAGS(\.SILENT)?")

Render = Callable[[Selected, int, tuple, "bytes | None"], bytes]


def read_file(path: Path | str) -> bytes | None:
    """A message file's bytes with LF line ends, or None if it is gone."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)
        while len(data) <= size:  # grew meanwhile, or a short read (usually: EOF at once)
            # A small buffer: with the daemon's fixed mmap threshold (appliance.allocator)
            # a 1 MiB one was an mmap and munmap per message file.
            more = os.read(fd, 1 << 16)
            if not more:
                break
            data += more
    finally:
        os.close(fd)
    return data.replace(b"\r\n", b"\n") if b"\r" in data else data


def crlf(data: bytes) -> bytes:
    """LF bytes (as ``read_file`` returns them) to CRLF."""
    return data.replace(b"\n", b"\r\n") if b"\r" not in data else to_crlf(data)


def literal(data: bytes) -> bytes:
    return b"{%d}\r\n" % len(data) + data


def renderer(items: list[FetchItem]) -> tuple[list[str], Render]:
    """(index columns needed, a function that renders the FETCH data items of one
    message): decided once per command, not once per message and item."""
    columns: list[str] = []
    for item in items:
        col = {"RFC822.SIZE": "vsize", "INTERNALDATE": "internaldate", "ENVELOPE": "envelope",
               "BODYSTRUCTURE": "structure", "BODY": "body", "RFC822.HEADER": "header"}.get(
            item.name if item.section is None else "RFC822.HEADER")
        if col and col not in columns:
            columns.append(col)
    at = {c: i for i, c in enumerate(columns)}
    parts: list[Render] = []
    for item in items:
        parts.append(_item_renderer(item, at))
    if len(parts) == 1:
        return columns, parts[0]
    return columns, lambda sel, uid, row, data: b" ".join([p(sel, uid, row, data)
                                                           for p in parts])


def _item_renderer(item: FetchItem, at: dict[str, int]) -> Render:
    name = item.name
    if item.section is None:
        if name == "UID":
            return lambda sel, uid, row, data: b"UID %d" % uid
        if name == "FLAGS":
            return lambda sel, uid, row, data: b"FLAGS " + flag_list(*sel.flags_and_recent(uid))
        if name in ("RFC822.SIZE", "ENVELOPE", "BODYSTRUCTURE", "BODY"):
            i = at[{"RFC822.SIZE": "vsize", "ENVELOPE": "envelope", "BODYSTRUCTURE": "structure",
                    "BODY": "body"}[name]]
            if name == "RFC822.SIZE":
                return lambda sel, uid, row, data: b"RFC822.SIZE %d" % row[i]
            prefix = name.encode() + b" "
            return lambda sel, uid, row, data: prefix + row[i]
        if name == "INTERNALDATE":
            i = at["internaldate"]
            return lambda sel, uid, row, data: b"INTERNALDATE " + format_internaldate(row[i] or 0)
        if name == "RFC822.HEADER":
            i = at["header"]
            return lambda sel, uid, row, data: b"RFC822.HEADER " + literal(
                to_crlf(row[i] + b"\n"))
        if name == "RFC822":
            return lambda sel, uid, row, data: b"RFC822 " + literal(crlf(data or b""))
        if name == "RFC822.TEXT":
            def text(sel: Selected, uid: int, row: tuple, data: bytes | None) -> bytes:
                data = data or b""
                return b"RFC822.TEXT " + literal(crlf(
                    section_bytes(data, parse_message(data), [], "TEXT") or b""))
            return text
        raise Bad(f"unknown FETCH item {name}")
    prefix = item.response_name() + b" "
    partial = item.partial

    def finish(body: bytes) -> bytes:
        if partial is not None:
            offset, length = partial
            body = body[offset : offset + length if length is not None else None]
        return prefix + literal(body)

    if item.needs_file:
        if not item.numbers and not item.text:  # BODY[]: the whole message, no parsing
            return lambda sel, uid, row, data: finish(crlf(data or b""))

        def section(sel: Selected, uid: int, row: tuple, data: bytes | None) -> bytes:
            data = data or b""
            content = section_bytes(data, parse_message(data), item.numbers, item.text,
                                    item.fields)
            return finish(crlf(content) if content is not None else b"")
        return section
    i = at["header"]
    if item.text == "HEADER":
        return lambda sel, uid, row, data: finish(crlf(row[i] + b"\n"))
    negate = item.text.endswith(".NOT")
    fields = item.fields
    return lambda sel, uid, row, data: finish(crlf(header_fields(row[i], fields,
                                                                 negate=negate)))


def batch_sizes(read_files: bool) -> Iterator[int]:
    """Messages per batch of a FETCH: growing, so the first responses go out at once."""
    size = FIRST_BATCH
    limit = BODY_BATCH if read_files else FETCH_BATCH
    while True:
        yield size
        size = min(size * 2, limit)


def fetch_batch(acct: Account, sel: Selected, uids: list[int], render: Render,
                columns: tuple[str, ...], read_files: bool,
                max_bytes: int = BATCH_BYTES) -> tuple[list[bytes], int]:
    """(FETCH responses, how many of ``uids`` they cover): all of them, or fewer once
    the responses reach ``max_bytes`` (runs in a worker thread)."""
    if read_files:
        columns = (*columns, "name")
    rows = acct.meta(sel.name, uids, columns) if columns else dict.fromkeys(uids, ())
    folder_dir = str(acct.path / folder_dirname(sel.name)) + "/"
    seq_of = sel.seq_of
    out = []
    size = 0
    for done, uid in enumerate(uids, 1):
        row = rows.get(uid)
        if row is None:
            continue  # expunged by someone else; reported later
        seq = seq_of(uid)
        if not seq:
            continue
        data = None
        if read_files:
            data = read_file(folder_dir + row[-1])
            if data is None:
                data = acct.read(sel.name, uid)  # renamed meanwhile: ask the index again
            if data is None:
                continue
        out.append(b"* %d FETCH (%b)\r\n" % (seq, render(sel, uid, row, data)))
        size += len(out[-1])
        if size >= max_bytes:
            return out, done
    return out, len(uids)


def parse_store(args: list) -> tuple[str, bool, list[str]]:
    """STORE's item and flags → (mode "", "+" or "-", silent, flags in canonical case)."""
    op = as_text(args[1]).upper()
    m = _STORE_ITEM.fullmatch(op)
    if not m:
        raise Bad("bad STORE item")
    flag_tokens = args[2] if isinstance(args[2], list) else args[2:]
    flags = []
    for tok in flag_tokens:
        flag = as_text(tok)
        if flag.startswith("\\"):
            match = next((f for f in SYSTEM_FLAGS if f.lower() == flag.lower()), None)
            if match is None:
                if flag.lower() == "\\recent":
                    continue
                raise Bad(f"unknown system flag {flag[:20]}")
            flag = match
        elif not _KEYWORD.fullmatch(flag):
            raise Bad("bad keyword")
        flags.append(flag)
    return m.group(1), bool(m.group(2)), flags


class FetchCommands(SessionState):
    async def cmd_fetch(self, tag: bytes, args: list, uid_mode: bool = False) -> None:
        acct, sel = self._need_selected()
        if len(args) < 2:
            raise Bad("FETCH sequence-set items")
        items = parse_fetch_items(args[1])
        uids = sel.uids_of(as_text(args[0]), uid_mode)
        if uid_mode and not any(i.name == "UID" for i in items):
            items.insert(0, FetchItem("UID"))
        if not sel.readonly and any(i.sets_seen for i in items):
            unseen = [u for u in uids if "\\Seen" not in sel.flags_of(u)]
            if unseen:
                changed = await asyncio.to_thread(acct.store_flags, sel.name, unseen, "+",
                                                  ["\\Seen"])
                for uid, flags in changed.items():
                    sel.set_flags(uid, flags)
                if not any(i.name == "FLAGS" for i in items):
                    items.append(FetchItem("FLAGS"))
        columns, render = renderer(items)
        read_files = any(i.needs_file for i in items)
        sizes = batch_sizes(read_files)
        columns_t = tuple(columns)

        def start(pos: int) -> asyncio.Future[tuple[list[bytes], int]]:
            return asyncio.ensure_future(asyncio.to_thread(
                fetch_batch, acct, sel, uids[pos : pos + next(sizes)], render, columns_t,
                read_files))

        pos = 0
        pending = start(pos) if uids else None
        try:
            while pending is not None:
                lines, done = await pending
                pending = None
                if self.selected is not sel:
                    break
                pos += done
                if pos < len(uids):
                    pending = start(pos)
                if lines:
                    self.conn.write(b"".join(lines))
                await self.conn.drain()
        finally:
            if pending is not None:
                with contextlib.suppress(Exception):
                    await pending
        await self.ok(tag, ("UID " if uid_mode else "") + "FETCH completed", "FETCH")

    async def cmd_uid_fetch(self, tag: bytes, args: list) -> None:
        await self.cmd_fetch(tag, args, uid_mode=True)

    async def cmd_store(self, tag: bytes, args: list, uid_mode: bool = False) -> None:
        acct, sel = self._need_selected()
        if len(args) < 3:
            raise Bad("STORE sequence-set item flags")
        if sel.readonly:
            raise No("[READ-ONLY] mailbox is read-only")
        mode, silent, flags = parse_store(args)
        uids = sel.uids_of(as_text(args[0]), uid_mode)
        result = await asyncio.to_thread(acct.store_flags, sel.name, uids, mode, flags)
        for uid in uids:
            if uid not in result:
                continue
            sel.set_flags(uid, result[uid])
            if not silent:
                seq = sel.seq_of(uid)
                uid_part = b"UID %d " % uid if uid_mode else b""
                self.send(b"* %d FETCH (%sFLAGS %s)"
                          % (seq, uid_part, flag_list(result[uid], sel.is_recent(uid))))
        await self.ok(tag, ("UID " if uid_mode else "") + "STORE completed", "STORE")

    async def cmd_uid_store(self, tag: bytes, args: list) -> None:
        await self.cmd_store(tag, args, uid_mode=True)
