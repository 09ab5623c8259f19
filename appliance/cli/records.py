"""``mailroom dkim show|rotate`` and ``mailroom dns records|check``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from appliance.control.client import ControlClient

__all__ = ["add_commands", "cmd_dkim", "cmd_dns"]

MARKS = {"ok": "ok", "missing": "MISSING", "different": "DIFFERENT", "error": "ERROR",
         "optional": "optional, not published"}


def _day(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(ts)) if ts else ""


def cmd_dkim(client: ControlClient, args: argparse.Namespace) -> int:
    if args.action == "rotate":
        info = client.call("dkim.rotate", domain=args.domain, now=args.now)
    else:
        info = client.call("dkim.show", domain=args.domain)
    if getattr(args, "json", False):
        print(json.dumps(info, indent=2))
        return 0
    if info["keys_of"] != info["domain"]:
        print(f"{info['domain']} signs with the keys of {info['keys_of']} (d={info['domain']})")
    for key in info["keys"]:
        state = key["state"]
        if state == "pending":
            state = "pending: signs once its record is seen by `mailroom dns check`"
        elif state == "retired":
            state = f"retired: remove its record after {_day(key['drop_after'])}"
        print(f"{key['selector']:<12} {key['algorithm']:<8} {state} (made {_day(key['created'])})")
        print(f"  {key['name']} IN TXT \"{key['value']}\"")
    return 0


def cmd_dns(client: ControlClient, args: argparse.Namespace) -> int:
    domain = args.domain or ""
    if args.action == "records":
        info = client.call("dns.records", domain=domain)
        if args.json:
            print(json.dumps(info, indent=2))
            return 0
        print(info["text"])
        for hint in info["hints"]:
            print(f"note: {hint}", file=sys.stderr)
        return 0
    info = client.call("dns.check", domain=domain)
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        print(format_check(info))
    return 0 if info["ok"] else 1


def format_check(info: dict[str, Any]) -> str:
    lines = []
    for result in info["results"]:
        r = result["record"]
        line = f"{MARKS[result['state']]:<10} {r['name']} {r['type']} ({r['kind']})"
        if result["fix"]:
            line += f": {result['fix']}"
        lines.append(line)
    bad = info["failing"]
    lines.append("every record is published as it should be" if not bad
                 else f"{bad} record{'s' if bad != 1 else ''} to fix")
    lines += [f"note: {h}" for h in info.get("hints", [])]
    return "\n".join(lines)


def add_commands(add: Callable[..., argparse.ArgumentParser],
                 actions: Callable[[argparse.ArgumentParser], Any],
                 common: argparse.ArgumentParser) -> None:
    p = add("dkim", cmd_dkim, "DKIM keys that sign outgoing mail")
    a = actions(p)
    s = a.add_parser("show", parents=[common], help="a domain's selectors and public records")
    s.add_argument("domain")
    s.add_argument("--json", action="store_true")
    r = a.add_parser("rotate", parents=[common],
                     help="new keys: they sign once their record is seen in DNS (or --now); "
                          "the old ones are kept a week")
    r.add_argument("domain")
    r.add_argument("--now", action="store_true", help="sign with the new keys at once")
    r.add_argument("--json", action="store_true")

    p = add("dns", cmd_dns, "the DNS records to publish, and whether they are")
    a = actions(p)
    for act, text in (("records", "every record to publish, in zone-file form"),
                      ("check", "look each record up: ok, missing or different, with the fix")):
        c = a.add_parser(act, parents=[common], help=text)
        c.add_argument("domain", nargs="?", help="one domain (default: all)")
        c.add_argument("--json", action="store_true")
