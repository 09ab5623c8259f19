"""``sendmail``: the command scripts and cron jobs use to send mail.

Understands the options programs pass in practice (``-t``, ``-i``/``-oi``,
``-f``, ``-F``, ``-r``, ``-v``, other ``-o`` ignored). The administrator's
``sendmail`` hands the message to the daemon's queue through the control
client; any other local user (cron jobs, scripts, web forms), who may not
read the control secret, drops it into ``DATA/maildrop/`` for the daemon's
pickup, as Postfix's postdrop does. Exit codes follow sysexits.h as
sendmail's do.
"""

from __future__ import annotations

import base64
import contextlib
import getpass
import os
import secrets
import sys
from collections.abc import Sequence
from email.parser import BytesHeaderParser
from email.utils import formataddr
from pathlib import Path
from typing import BinaryIO

from appliance.addresses import header_addresses
from appliance.control.client import ControlClient
from appliance.home import Home, resolve_home
from appliance.queue.pickup import TMP_PREFIX, Drop, encode_drop
from appliance.state import StateError

__all__ = ["main", "parse_options", "read_message", "SendmailUsage"]

EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_TEMPFAIL, EX_NOPERM = 64, 65, 66, 75, 77
SYSTEM_HOME = Path("/var/lib/mailroom")


class SendmailUsage(Exception):
    pass


def parse_options(argv: Sequence[str]) -> tuple[dict[str, object], list[str]]:
    opts: dict[str, object] = {"t": False, "i": False, "v": False, "f": None, "F": None,
                               "data_dir": None}
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
            elif arg == "-v":
                opts["v"] = True
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


def prepare(message: bytes, *, sender: str | None, full_name: str | None, extract: bool,
            rcpts: list[str]) -> tuple[bytes, list[str]]:
    """Recipients (with -t, from the header too; Bcc then removed) and a From: if none.

    With ``sender`` None the From: is left to the daemon (a maildrop user
    does not know the host name).
    """
    head, body = _split(message)
    headers = BytesHeaderParser().parsebytes(head + b"\r\n")
    recipients = list(rcpts)
    if extract:
        fields = headers.get_all("To", []) + headers.get_all("Cc", []) + headers.get_all("Bcc", [])
        recipients += [addr for _, addr in header_addresses(fields) if addr]
        head = _drop_header(head, b"Bcc")
    if headers.get("From") is None and sender is not None:
        head = f"From: {formataddr((full_name or '', sender))}\r\n".encode() + head
    return head + body, recipients


def _home(data_dir: str | None) -> Home:
    home = resolve_home(data_dir)
    if (data_dir is None and not os.environ.get("MAILROOM_HOME") and not home.initialized()
            and (SYSTEM_HOME / "maildrop").exists()):
        # Another user's default data directory is their own; the box's mail
        # server is the system one.
        return Home(SYSTEM_HOME)
    return home


def may_use_control(home: Home) -> bool:
    """Only who can read the control secret (the administrator) talks to the daemon."""
    return os.access(home.control_secret, os.R_OK) or not home.maildrop.exists()


def drop(home: Home, message: Drop) -> str:
    """Write a drop file into ``maildrop/``: complete under a temporary name, then renamed."""
    maildrop = home.maildrop
    # Readable by its owner only where the daemon runs as root; otherwise the
    # daemon's user must read it too (others cannot list the directory).
    mode = 0o600 if maildrop.stat().st_uid == 0 else 0o644
    name = secrets.token_hex(16)
    tmp = maildrop / f"{TMP_PREFIX}{name}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)  # whatever the umask
            fh.write(encode_drop(message))
            fh.flush()
            os.fsync(fh.fileno())
        os.rename(tmp, maildrop / name)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return name


def main(argv: Sequence[str]) -> int:
    try:
        opts, rcpts = parse_options(argv)
    except SendmailUsage as exc:
        print(f"sendmail: {exc}", file=sys.stderr)
        return EX_USAGE
    home = _home(opts["data_dir"])  # type: ignore[arg-type]
    if not may_use_control(home):
        return _main_maildrop(home, opts, rcpts)
    client = ControlClient(home)
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
    if opts["v"]:
        print(f"queued as {qid}")
    return 0


def _main_maildrop(home: Home, opts: dict[str, object], rcpts: list[str]) -> int:
    """Any local user: the message goes into the maildrop, the daemon picks it up."""
    raw = read_message(sys.stdin.buffer, dot_ends=not opts["i"])
    message, recipients = prepare(raw, sender=None, full_name=opts["F"],  # type: ignore[arg-type]
                                  extract=bool(opts["t"]), rcpts=rcpts)
    if not recipients:
        print("sendmail: no recipients given", file=sys.stderr)
        return EX_USAGE
    try:
        name = drop(home, Drop(opts["f"], opts["F"], recipients, message))  # type: ignore[arg-type]
    except PermissionError as exc:
        print(f"sendmail: cannot drop the message into {home.maildrop}: {exc.strerror} "
              "(has the Mailroom daemon run on this machine?)", file=sys.stderr)
        return EX_NOPERM
    except OSError as exc:
        print(f"sendmail: cannot drop the message into {home.maildrop}: {exc}",
              file=sys.stderr)
        return EX_TEMPFAIL
    if opts["v"]:
        print(f"dropped for pickup as {name} (the mail log names its queue ID)")
    return 0
