"""``mailroom import sendmail DIR`` and ``mailroom access list|add|del``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.control.client import ControlClient

__all__ = ["add_commands", "cmd_import", "cmd_access", "format_plan"]


def format_plan(plan: dict[str, Any]) -> str:
    """Changes (+), what is so already (=), and what cannot be carried (!), each with its line."""
    lines = []
    shown = plan["changes"]
    lines.append(f"Changes ({len(shown)}):")
    lines += [f"  + {c['text']}  [{c['source']}]" for c in shown]
    if plan["unchanged"]:
        lines.append(f"Already so ({len(plan['unchanged'])}):")
        lines += [f"  = {c['text']}  [{c['source']}]" for c in plan["unchanged"]]
    lines.append(f"Cannot be carried over ({len(plan['problems'])}):")
    for p in plan["problems"]:
        line = f": {p['line']}" if p["line"] else ""
        lines.append(f"  ! {p['source']}{line}\n      {p['why']}")
    return "\n".join(lines)


def cmd_import(client: ControlClient, args: argparse.Namespace) -> int:
    directory = str(Path(args.directory).expanduser().resolve())
    home_root = str(Path(args.home_root).expanduser().resolve()) if args.home_root else None
    plan = client.call("import.sendmail.plan", directory=directory, home_root=home_root)
    if args.json and args.dry_run:
        print(json.dumps(plan, indent=2, ensure_ascii=False))
        return 0
    print(format_plan(plan))
    if args.dry_run:
        print("(dry run: nothing changed)")
        return 0
    result = client.call("import.sendmail.apply", directory=directory, home_root=home_root)
    print(f"Applied {len(result['applied'])} change(s).")
    for warning in result["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    for fail in result["failed"]:
        print(f"not applied: {fail['text']} [{fail['source']}]: {fail['error']}",
              file=sys.stderr)
    return 1 if result["failed"] else 0


def cmd_access(client: ControlClient, args: argparse.Namespace) -> int:
    if args.action == "list":
        rules = client.call("access.list")
        if args.json:
            print(json.dumps(rules, indent=2))
            return 0
        for r in rules:
            what = r["reply"] if r["action"] == "error" else r["action"].upper()
            note = f"  ({r['note']})" if r["note"] else ""
            print(f"{r['kind']:<7} {r['key']:<32} {what}{note}")
    elif args.action == "add":
        rule = client.call("access.add", kind=args.kind, key=args.key, action=args.rule_action,
                           reply=args.reply or "")
        what = rule["reply"] if rule["action"] == "error" else rule["action"].upper()
        print(f"{rule['kind']} {rule['key']}: {what}")
    else:
        client.call("access.del", kind=args.kind, key=args.key)
        print(f"no more access rule for {args.kind} {args.key}")
    return 0


def add_commands(add: Callable[..., argparse.ArgumentParser],
                 actions: Callable[[argparse.ArgumentParser], Any],
                 common: argparse.ArgumentParser) -> None:
    p = add("import", cmd_import, "bring over another mail server's setup")
    a = p.add_subparsers(dest="source", metavar="SOURCE", required=True)
    s = a.add_parser("sendmail", parents=[common],
                     help="a sendmail setup: access, local-host-names, aliases (with "
                          ":include: files), virtusertable, ~/.forward, ~/.procmailrc")
    s.add_argument("directory", metavar="DIR",
                   help="a folder with the files (a copy of /etc/mail with /etc/aliases)")
    s.add_argument("--home-root", metavar="DIR",
                   help="where users' home folders are (DIR/USER/.forward, .procmailrc)")
    s.add_argument("--dry-run", action="store_true",
                   help="list every change and every line that cannot be carried; change "
                        "nothing")
    s.add_argument("--json", action="store_true", help="with --dry-run: the plan as JSON")

    p = add("access", cmd_access,
            "clients and senders refused or let through (like sendmail's access file)")
    a = actions(p)
    a.add_parser("list", parents=[common]).add_argument("--json", action="store_true")
    ad = a.add_parser("add", parents=[common], help="add a rule")
    ad.add_argument("kind", choices=("client", "sender"))
    ad.add_argument("key", help="client: an address or network (CIDR); sender: an address, "
                                "user@ or a domain (covers its subdomains)")
    ad.add_argument("rule_action", metavar="ACTION", choices=("reject", "discard", "ok", "error"))
    ad.add_argument("--reply", help='for error: the reply, e.g. "550 5.7.1 No thanks"')
    dl = a.add_parser("del", parents=[common], help="remove a rule")
    dl.add_argument("kind", choices=("client", "sender"))
    dl.add_argument("key")
