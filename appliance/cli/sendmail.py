"""``sendmail``: the command scripts and cron jobs use to send mail.

Understands the options programs pass in practice (``-t``, ``-i``/``-oi``,
``-f``, ``-F``, ``-r``, other ``-o`` ignored) and hands the message to the
daemon's queue through the control client. Exit codes follow sysexits.h as
sendmail's do.
"""

from __future__ import annotations

import base64
import getpass
import sys
from collections.abc import Sequence
from email.parser import BytesHeaderParser
from email.utils import formataddr
from typing import BinaryIO

from appliance.addresses import header_addresses
from appliance.control.client import ControlClient
from appliance.home import resolve_home
from appliance.state import StateError

__all__ = ["main", "parse_options", "read_message", "SendmailUsage"]

EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_TEMPFAIL = 64, 65, 66, 75


class SendmailUsage(Exception):
    pass


def parse_options(argv: Sequence[str]) -> tuple[dict[str, object], list[str]]:
    opts: dict[str, object] = {"t": False, "i": False, "f": None, "F": None, "data_dir": None}
    rcpts: list[str] = []
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--":
            rcpts.extend(args)
            break
        if arg == "--data-dir":
            if not args:
                raise SendmailUsage("--data-dir needs a directory")
            opts["data_dir"] = args.pop(0)
        elif arg in ("-t", "-i", "-oi", "-v", "-bm", "-m") or arg.startswith(("-o", "-B")):
            if arg == "-t":
                opts["t"] = True
            elif arg in ("-i", "-oi"):
                opts["i"] = True
        elif arg[:2] in ("-f", "-r", "-F"):
            key = "F" if arg[:2] == "-F" else "f"
            value = arg[2:] or (args.pop(0) if args else None)
            if value is None:
                raise SendmailUsage(f"{arg} needs a value")
            opts[key] = value
        elif arg.startswith("-") and len(arg) > 1:
            raise SendmailUsage(f"unknown option {arg}")
        else:
            rcpts.append(arg)
    return opts, rcpts


def read_message(stream: BinaryIO, *, dot_ends: bool) -> bytes:
    """Read the message; without -i a line holding a single dot ends it."""
    lines = []
    for line in stream:
        if dot_ends and line.rstrip(b"\r\n") == b".":
            break
        lines.append(line.rstrip(b"\r\n"))
    return b"\r\n".join(lines) + b"\r\n"


def _split(message: bytes) -> tuple[bytes, bytes]:
    idx = message.find(b"\r\n\r\n")
    if idx < 0:
        return message, b""
    return message[: idx + 2], message[idx + 2 :]


def _drop_header(head: bytes, name: bytes) -> bytes:
    out, skipping = [], False
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and skipping:
            continue
        skipping = line.lower().startswith(name.lower() + b":")
        if not skipping:
            out.append(line)
    return b"\r\n".join(out)


def prepare(message: bytes, *, sender: str, full_name: str | None, extract: bool,
            rcpts: list[str]) -> tuple[bytes, list[str]]:
    head, body = _split(message)
    headers = BytesHeaderParser().parsebytes(head + b"\r\n")
    recipients = list(rcpts)
    if extract:
        fields = headers.get_all("To", []) + headers.get_all("Cc", []) + headers.get_all("Bcc", [])
        recipients += [addr for _, addr in header_addresses(fields) if addr]
        head = _drop_header(head, b"Bcc")
    if headers.get("From") is None:
        head = f"From: {formataddr((full_name or '', sender))}\r\n".encode() + head
    return head + body, recipients


def main(argv: Sequence[str]) -> int:
    try:
        opts, rcpts = parse_options(argv)
    except SendmailUsage as exc:
        print(f"sendmail: {exc}", file=sys.stderr)
        return EX_USAGE
    client = ControlClient(resolve_home(opts["data_dir"]))  # type: ignore[arg-type]
    try:
        hostname = client.call("settings.get", key="hostname")
        sender = str(opts["f"] or f"{getpass.getuser()}@{hostname}")
        raw = read_message(sys.stdin.buffer, dot_ends=not opts["i"])
        message, recipients = prepare(
            raw, sender=sender, full_name=opts["F"], extract=bool(opts["t"]), rcpts=rcpts  # type: ignore[arg-type]
        )
        if not recipients:
            print("sendmail: no recipients given", file=sys.stderr)
            return EX_USAGE
        qid = client.call(
            "message.submit", sender="" if sender == "<>" else sender, recipients=recipients,
            message=base64.b64encode(message).decode(),
        )
    except StateError as exc:
        print(f"sendmail: {exc}", file=sys.stderr)
        return EX_DATAERR if getattr(exc, "field", None) else EX_TEMPFAIL
    finally:
        client.close()
    if opts.get("v"):
        print(f"queued as {qid}")
    return 0
