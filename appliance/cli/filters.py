"""``mailroom filter show|set|check|import-procmail`` and ``mailroom vacation on|off|show``.

``filter import-procmail`` stores what converted and prints each recipe it
left out (pipes and the like) on stderr with its line; it exits 1 only when
not one recipe converted, so an import of a mostly simple file goes on.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.control.client import ControlClient

__all__ = ["add_commands", "cmd_filter", "cmd_vacation"]


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        from appliance.cli import CliError

        raise CliError(f"cannot read {path}: {exc}") from None


def cmd_filter(client: ControlClient, args: argparse.Namespace) -> int:
    from appliance.cli import CliError

    if args.action == "show":
        if args.use_global:
            info = client.call("filter.global.show")
            print(f"# {info['path']}")
            print(info["script"], end="")
            return 0
        if not args.account:
            raise CliError("give an ACCOUNT (or --global)")
        info = client.call("filter.show", address=args.account)
        names = [f"{s['name']}{' (active)' if s['active'] else ''}" for s in info["scripts"]]
        print(f"# scripts of {info['address']}: {', '.join(names) or 'none'}", file=sys.stderr)
        if info["vacation"]:
            print("# out-of-office reply is on (mailroom vacation show)", file=sys.stderr)
        print(info["script"], end="")
        return 0
    if args.action == "check":
        paths = args.args
        if len(paths) not in (1, 2):
            raise CliError("usage: filter check [ACCOUNT] FILE")
        result = client.call("filter.check", script=_read(paths[-1]))
        if not result["ok"]:
            where = f"{paths[-1]}:{result['line']}: " if result["line"] else f"{paths[-1]}: "
            print(f"{where}{result['message']}", file=sys.stderr)
            return 1
        print(f"{paths[-1]}: ok")
        return 0
    if args.action == "set":
        if args.use_global:
            path = args.account if args.file is None else args.file
            if path is None:
                raise CliError("usage: filter set --global FILE")
            info = client.call("filter.global.set", script=_read(path))
            print(f"global before script stored in {info['path']}")
            return 0
        if not args.account or args.file is None:
            raise CliError("usage: filter set ACCOUNT FILE")
        info = client.call("filter.set", address=args.account, script=_read(args.file),
                           name=args.name)
        print(f"stored script {info['name']} for {info['address']} (active: {info['active']})")
        return 0
    # import-procmail
    text = _read(args.file)
    info = client.call("filter.import_procmail", address=args.account, text=text,
                       source=Path(args.file).name if args.file != "-" else ".procmailrc")
    for problem in info["problems"]:
        print(f"{args.file}: {problem}", file=sys.stderr)
    if info["stored_as"] is None:
        print(f"{args.file}: no recipe could be converted; nothing stored", file=sys.stderr)
        return 1
    print(info["converted"], end="")
    how = ("added after the rules of the active script" if info["merged"]
           else "stored as the active script")
    print(f"# {info['recipes']} recipe(s) {how} {info['stored_as']!r} of {info['address']}",
          file=sys.stderr)
    return 0


def cmd_vacation(client: ControlClient, args: argparse.Namespace) -> int:
    if args.action == "on":
        info = client.call(
            "vacation.on", address=args.account, text=_read(args.text_file),
            subject=args.subject, start=args.start, until=args.until, days=args.days,
            addresses=args.address or [],
        )
    elif args.action == "off":
        info = client.call("vacation.off", address=args.account)
    else:
        info = client.call("vacation.show", address=args.account)
    vac: dict[str, Any] | None = info["vacation"]
    if not info["on"]:
        print(f"out-of-office reply for {info['address']}: off")
        return 0
    assert vac is not None
    span = ""
    if vac["start"] or vac["until"]:
        span = f" from {vac['start'] or 'now'} until {vac['until'] or 'switched off'}"
    print(f"out-of-office reply for {info['address']}: on{span}, "
          f"once per sender every {vac['days']} day(s)")
    print(f"subject: {vac['subject'] or 'Auto: <their subject>'}")
    print(vac["text"], end="" if vac["text"].endswith("\n") else "\n")
    return 0


def add_commands(add: Callable[..., argparse.ArgumentParser], actions: Callable[..., Any],
                 common: argparse.ArgumentParser) -> None:
    p = add("filter", cmd_filter, "Sieve mail filters of an account")
    a = actions(p)
    s = a.add_parser("show", parents=[common], help="the account's active script")
    s.add_argument("account", nargs="?", metavar="ACCOUNT")
    s.add_argument("--global", dest="use_global", action="store_true",
                   help="the global before script (spam into Junk) instead")
    s = a.add_parser("set", parents=[common],
                     help="store a Sieve script (refused with its line if it does not parse) "
                          "and make it the active one")
    s.add_argument("account", nargs="?", metavar="ACCOUNT")
    s.add_argument("file", nargs="?", metavar="FILE", help="the script ('-': standard input)")
    s.add_argument("--name", default="main", help="the script's name (default: main)")
    s.add_argument("--global", dest="use_global", action="store_true",
                   help="replace the global before script: filter set --global FILE")
    s = a.add_parser("check", parents=[common], help="check a Sieve script without storing it")
    s.add_argument("args", nargs="+", metavar="[ACCOUNT] FILE")
    s = a.add_parser("import-procmail", parents=[common],
                     help="convert .procmailrc recipes into the account's Sieve filters")
    s.add_argument("account", metavar="ACCOUNT")
    s.add_argument("file", metavar="FILE")

    p = add("vacation", cmd_vacation, "out-of-office replies")
    a = actions(p)
    on = a.add_parser("on", parents=[common], help="switch the out-of-office reply on")
    on.add_argument("account", metavar="ACCOUNT")
    on.add_argument("--text-file", required=True, metavar="FILE",
                    help="the reply's text ('-': standard input)")
    on.add_argument("--subject", help="the reply's subject (default: Auto: <their subject>)")
    on.add_argument("--from", dest="start", metavar="DATE", help="first day, YYYY-MM-DD")
    on.add_argument("--until", metavar="DATE", help="last day, YYYY-MM-DD")
    on.add_argument("--days", type=int, default=7,
                    help="answer each sender once in this many days (default 7)")
    on.add_argument("--address", action="append", metavar="ADDR",
                    help="another address of the account's (may be repeated)")
    for name, text in (("off", "switch it off"), ("show", "whether it is on, and its text")):
        a.add_parser(name, parents=[common], help=text).add_argument("account", metavar="ACCOUNT")
