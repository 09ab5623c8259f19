"""``mailroom firewall status|open|close``: the service ports in the box's firewall."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from appliance.control.client import ControlClient

__all__ = ["add_commands", "cmd_firewall", "format_status"]

MARKS = {"open": "open", "closed": "CLOSED", "limited": "LIMITED", "unknown": "unknown"}


def format_status(info: dict[str, Any]) -> str:
    lines = [f"firewall: {info['description']}"]
    if info.get("note"):
        lines.append(f"  {info['note']}")
    if not info["ports"]:
        lines.append("no service is enabled: no port to let in")
    for row in info["ports"]:
        lines.append(f"  {row['service']:<12} {row['port']:>5}/{row['protocol']:<4} "
                     f"{MARKS.get(row['state'], row['state']):<8} {row['why']}")
    return "\n".join(lines)


def cmd_firewall(client: ControlClient, args: argparse.Namespace) -> int:
    if args.action == "status":
        info = client.call("firewall.status")
        print(json.dumps(info, indent=2) if args.json else format_status(info))
        return 0
    plan = client.call("firewall.plan", action=args.action, service=args.service)
    ports = ", ".join(f"{p['service']} {p['port']}/tcp" for p in plan["ports"])
    verb = "would run" if args.dry_run else "running"
    print(f"# {args.action} {ports} in {plan['backend']}: {verb}")
    for command in plan["commands"]:
        print(command)
    if args.dry_run:
        return 0
    result = client.call("firewall.apply", action=args.action, service=args.service)
    wanted = {p["port"] for p in result["ports"]}
    print(format_status({**result["status"],
                         "ports": [r for r in result["status"]["ports"] if r["port"] in wanted]}))
    return 0


def add_commands(add: Callable[..., argparse.ArgumentParser],
                 actions: Callable[[argparse.ArgumentParser], Any],
                 common: argparse.ArgumentParser) -> None:
    p = add("firewall", cmd_firewall,
            "the service ports in the firewall (nftables, ufw or firewalld)")
    a = actions(p)
    a.add_parser("status", parents=[common],
                 help="for every enabled service: does the firewall let it in").add_argument(
        "--json", action="store_true")
    for act, text in (("open", "let a service's port in"), ("close", "shut a service's port")):
        sp = a.add_parser(act, parents=[common], help=text)
        sp.add_argument("service", metavar="SERVICE",
                        help="smtp, submission, smtps, pop3, pop3s, imap, imaps ..., a port "
                             "number, or all")
        sp.add_argument("--dry-run", action="store_true",
                        help="print the exact commands, change nothing")
