"""``mailroom doctor [--json]``: what would break this mail server, and how to fix each."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from appliance.control.client import ControlClient

__all__ = ["add_commands", "cmd_doctor", "format_findings"]

MARKS = {"ok": "ok", "warn": "WARN", "fail": "FAIL", "skip": "skip"}


def format_findings(result: dict[str, Any]) -> str:
    lines = []
    for f in result["findings"]:
        lines.append(f"{MARKS[f['status']]:<5} {f['check']}: {f['summary']}")
        if f["fix"] and f["status"] != "ok":
            lines.append(f"      fix: {f['fix']}")
    c = result["counts"]
    lines.append(f"{c['ok']} ok, {c['warn']} warning{'s' if c['warn'] != 1 else ''}, "
                 f"{c['fail']} failing, {c['skip']} not checked")
    return "\n".join(lines)


def cmd_doctor(client: ControlClient, args: argparse.Namespace) -> int:
    result = client.call("doctor.run")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(format_findings(result))
    return 0 if result["ok"] else 1


def add_commands(add: Callable[..., argparse.ArgumentParser],
                 actions: Callable[[argparse.ArgumentParser], Any],
                 common: argparse.ArgumentParser) -> None:
    p = add("doctor", cmd_doctor, "check what breaks a small-office mail server (outbound port "
                                  "25, reverse DNS, certificate, disk, queue, backups, clock) "
                                  "and say how to fix each; exit 1 when something fails")
    p.add_argument("--json", action="store_true")
