"""The Sieve interpreter: runs a parsed script over a message, collecting actions.

Several scripts can run in sequence over one ``Result`` (the global
"before" script, the out-of-office script, the user's own): actions add up,
and ``stop`` in any of them ends the sequence. Whatever is wrong at run
time raises ``SieveRuntimeError``; the caller then keeps the message.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import TYPE_CHECKING

from appliance.sieve.match import RELATIONS, matches
from appliance.sieve.message import MailView
from appliance.sieve.script import unquote
from appliance.store.names import BadFolderName, normalize_folder

if TYPE_CHECKING:  # sievelib: imported by the first script parsed
    from sievelib.commands import Command

__all__ = ["Result", "SieveRuntimeError", "VacationRequest", "run"]

MAX_REDIRECTS = 4
MAX_FILEINTO = 32
DEFAULT_DAYS = 7
MAX_DAYS = 365


class SieveRuntimeError(Exception):
    """A script failed while running: the message is kept."""


@dataclass
class VacationRequest:
    reason: str
    subject: str | None = None
    from_: str | None = None
    addresses: list[str] = field(default_factory=list)
    days: int = DEFAULT_DAYS
    handle: str = ""
    mime: bool = False


@dataclass
class Result:
    # folder -> flags, in the order the script filed into them
    filings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    redirects: list[str] = field(default_factory=list)
    vacation: VacationRequest | None = None
    implicit_keep: bool = True
    stopped: bool = False
    flags: list[str] = field(default_factory=list)  # imap4flags' internal variable

    def copy(self) -> Result:
        return Result(dict(self.filings), list(self.redirects), self.vacation,
                      self.implicit_keep, self.stopped, list(self.flags))

    def deliveries(self) -> list[tuple[str, tuple[str, ...]]]:
        """Where the message goes: (folder, flags); the implicit keep is INBOX."""
        out = dict(self.filings)
        if self.implicit_keep and "INBOX" not in out:
            out["INBOX"] = tuple(self.flags)
        return list(out.items())


class _Stop(Exception):
    pass


def _strings(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [unquote(v) for v in value]
    return [unquote(value)]


def _flag_list(value: object) -> list[str]:
    """imap4flags: each string may hold several space-separated flags."""
    out: list[str] = []
    for text in _strings(value):
        for flag in text.split():
            if flag.lower() not in (f.lower() for f in out):
                out.append(flag)
    return out


def _limit(text: str) -> int:
    text = str(text).strip()
    scale = {"K": 1024, "M": 1024**2, "G": 1024**3}.get(text[-1:].upper(), 1)
    digits = text[:-1] if scale != 1 else text
    try:
        return int(digits) * scale
    except ValueError as exc:
        raise SieveRuntimeError(f"bad size limit {text!r}") from exc


def _zone(text: str) -> timezone:
    sign = -1 if text.startswith("-") else 1
    hours, minutes = int(text[1:3]), int(text[3:5])
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def date_part(moment: datetime, part: str) -> str | None:
    """RFC 5260 date-part of ``moment``; None for an unknown part."""
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    zone = f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    parts = {
        "year": f"{moment.year:04d}",
        "month": f"{moment.month:02d}",
        "day": f"{moment.day:02d}",
        "date": f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}",
        "julian": str((moment.date() - date(1858, 11, 17)).days),
        "hour": f"{moment.hour:02d}",
        "minute": f"{moment.minute:02d}",
        "second": f"{moment.second:02d}",
        "time": f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}",
        "iso8601": moment.replace(microsecond=0).isoformat(),
        "std11": format_datetime(moment),
        "zone": zone,
        "weekday": str(moment.isoweekday() % 7),
    }
    return parts.get(part.lower())


def _address_part(address: str, part: str) -> str:
    if part == ":all":
        return address
    local, at, domain = address.rpartition("@")
    if not at:
        local, domain = address, ""
    return local if part == ":localpart" else domain


class _Run:
    def __init__(self, view: MailView, result: Result, now: datetime) -> None:
        self.view = view
        self.result = result
        self.now = now

    # -- control ---------------------------------------------------------

    def block(self, commands: list[Command]) -> None:
        taken = True  # whether the current if/elsif chain has run a branch
        for command in commands:
            name = command.name
            if name == "require":
                continue
            if name == "if":
                taken = self.test(command.arguments["test"])
                if taken:
                    self.block(command.children)
            elif name == "elsif":
                if not taken:
                    taken = self.test(command.arguments["test"])
                    if taken:
                        self.block(command.children)
            elif name == "else":
                if not taken:
                    self.block(command.children)
                taken = True
            else:
                self.action(command)

    # -- tests -----------------------------------------------------------

    def _match(self, command: Command, values: list[str], keys: list[str]) -> bool:
        args, extra = command.arguments, command.extra_arguments
        match_type = args.get("match-type", ":is")
        relation = unquote(extra.get("match-type", '"eq"')).lower()
        if match_type in (":count", ":value") and relation not in RELATIONS:
            raise SieveRuntimeError(f"bad relational operator {relation!r}")
        comparator = unquote(extra["comparator"]) if "comparator" in extra else "i;ascii-casemap"
        return matches(values, keys, match_type=match_type, comparator=comparator,
                       relation=relation)

    def test(self, command: Command) -> bool:
        name, args = command.name, command.arguments
        view = self.view
        if name == "true":
            return True
        if name == "false":
            return False
        if name == "not":
            return not self.test(args["test"])
        if name == "allof":
            return all(self.test(t) for t in args["tests"])
        if name == "anyof":
            return any(self.test(t) for t in args["tests"])
        if name == "exists":
            return all(view.has_header(h) for h in _strings(args["header-names"]))
        if name == "size":
            limit = _limit(args["limit"])
            return view.size > limit if args["comparator"] == ":over" else view.size < limit
        if name == "header":
            values = [v for h in _strings(args["header-names"]) for v in view.header_values(h)]
            return self._match(command, values, _strings(args["key-list"]))
        if name in ("address", "envelope"):
            part = args.get("address-part", ":all")
            addresses: list[str] = []
            for h in _strings(args["header-list"]):
                if name == "address":
                    addresses += view.addresses(h)
                elif h.lower() == "from":
                    addresses.append(view.sender)
                elif h.lower() == "to":
                    addresses.append(view.recipient)
            values = [_address_part(a, part) for a in addresses]
            return self._match(command, values, _strings(args["key-list"]))
        if name == "body":
            transform = args.get("body-transform", ":text")
            types = _strings(command.extra_arguments.get("body-transform"))
            return self._match(command, view.body_parts(transform, types),
                               _strings(args["key-list"]))
        if name == "hasflag":
            return self._match(command, list(self.result.flags), _flag_list(args["list-of-flags"]))
        if name in ("date", "currentdate"):
            return self._date(command)
        raise SieveRuntimeError(f"unsupported test {name!r}")

    def _date(self, command: Command) -> bool:
        args, extra = command.arguments, command.extra_arguments
        zone_tag = args.get("zone")
        if command.name == "currentdate":
            moment = self.now
        else:
            values = self.view.header_values(unquote(args["header-name"]))
            if not values:
                return False
            text = values[0]
            if unquote(args["header-name"]).lower() == "received":
                text = text.rpartition(";")[2]
            try:
                moment = parsedate_to_datetime(text.strip())
            except (TypeError, ValueError, IndexError):
                return False
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
        if zone_tag == ":zone":
            moment = moment.astimezone(_zone(unquote(extra["zone"])))
        elif zone_tag != ":originalzone":
            moment = moment.astimezone()
        value = date_part(moment, unquote(args["date-part"]))
        if value is None:
            raise SieveRuntimeError(f"unknown date-part {unquote(args['date-part'])!r}")
        return self._match(command, [value], _strings(args["key-list"]))

    # -- actions ---------------------------------------------------------

    def _flags_of(self, command: Command) -> tuple[str, ...]:
        if "flags" in command.arguments:
            return tuple(_flag_list(command.extra_arguments.get("flags")))
        return tuple(self.result.flags)

    def _file(self, folder: str, flags: tuple[str, ...]) -> None:
        result = self.result
        if folder not in result.filings and len(result.filings) >= MAX_FILEINTO:
            raise SieveRuntimeError(f"more than {MAX_FILEINTO} fileinto actions")
        result.filings[folder] = flags

    def action(self, command: Command) -> None:
        name, args = command.name, command.arguments
        result = self.result
        if name == "stop":
            raise _Stop
        if name == "keep":
            self._file("INBOX", self._flags_of(command))
            result.implicit_keep = False
        elif name == "discard":
            result.implicit_keep = False
        elif name == "fileinto":
            mailbox = unquote(args["mailbox"])
            try:
                folder = normalize_folder(mailbox)
            except BadFolderName as exc:
                raise SieveRuntimeError(f"fileinto {mailbox!r}: {exc}") from None
            self._file(folder, self._flags_of(command))
            if "copy" not in args:
                result.implicit_keep = False
        elif name == "redirect":
            address = unquote(args["address"]).strip()
            if address.startswith("<") and address.endswith(">"):
                address = address[1:-1]
            local, at, domain = address.rpartition("@")
            if (not at or not local or not domain or len(address) > 254
                    or any(c.isspace() or ord(c) < 32 for c in address)):
                raise SieveRuntimeError(f"redirect to a bad address {address!r}")
            if address.lower() not in (a.lower() for a in result.redirects):
                if len(result.redirects) >= MAX_REDIRECTS:
                    raise SieveRuntimeError(f"more than {MAX_REDIRECTS} redirects")
                result.redirects.append(address)
            if "copy" not in args:
                result.implicit_keep = False
        elif name in ("setflag", "addflag", "removeflag"):
            flags = _flag_list(args["list-of-flags"])
            if name == "setflag":
                result.flags = flags
            elif name == "addflag":
                have = {f.lower() for f in result.flags}
                result.flags += [f for f in flags if f.lower() not in have]
            else:
                gone = {f.lower() for f in flags}
                result.flags = [f for f in result.flags if f.lower() not in gone]
        elif name == "vacation":
            if result.vacation is None:  # RFC 5230: one vacation action per delivery
                result.vacation = self._vacation(command)
        else:
            raise SieveRuntimeError(f"unsupported action {name!r}")

    def _vacation(self, command: Command) -> VacationRequest:
        args, extra = command.arguments, command.extra_arguments
        days = DEFAULT_DAYS
        if "days" in args:
            try:
                days = int(str(extra["days"]))
            except (KeyError, ValueError):
                raise SieveRuntimeError("vacation :days needs a number") from None
        days = min(max(days, 1), MAX_DAYS)  # RFC 5230 4.1: at least one day
        reason = unquote(args["reason"])
        subject = unquote(extra["subject"]) if "subject" in args else None
        sender = unquote(extra["from"]) if "from" in args else None
        mime = "mime" in args
        handle = unquote(extra["handle"]) if "handle" in args else hashlib.sha256(
            "\0".join([reason, subject or "", sender or "", str(mime)]).encode()
        ).hexdigest()[:32]
        return VacationRequest(reason, subject, sender, _strings(extra.get("addresses")),
                               days, handle, mime)


def run(commands: list[Command], view: MailView, result: Result,
        now: datetime | None = None) -> Result:
    """Run one script over ``view``, adding to ``result`` (also returned).

    The imap4flags variable starts empty for each script. Raises
    ``SieveRuntimeError``; ``result`` may then hold part of this script's
    actions, so callers run on a copy.
    """
    result.flags = []
    try:
        _Run(view, result, now or datetime.now().astimezone()).block(commands)
    except _Stop:
        result.stopped = True
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        # A parse tree shape we did not expect: the script's fault, not the mail's.
        raise SieveRuntimeError(f"cannot run the script: {exc!r}") from exc
    return result
