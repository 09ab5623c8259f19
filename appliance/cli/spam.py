"""``mailroom spam show|set|status`` and ``mailroom virus test|status``."""

from __future__ import annotations

import argparse
import base64
import json
import sys
from collections.abc import Callable
from typing import Any

from appliance.control.client import ControlClient

MAX_TEST_FILE = 64 * 1024 * 1024  # as the virus.test operation takes

__all__ = ["add_commands", "cmd_spam", "cmd_virus"]


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _key(name: str) -> str:
    """junk_score means spam.junk_score; virus.* and spam.* are taken as given."""
    return name if name.startswith(("spam.", "virus.")) else f"spam.{name}"


def cmd_spam(client: ControlClient, args: argparse.Namespace) -> int:
    if args.action == "set":
        raw = args.value
        if raw == "-":  # the rspamd password stays off the command line
            raw = sys.stdin.readline().rstrip("\r\n")
        value = client.call("settings.set", key=_key(args.key), value=raw)
        print(f"{_key(args.key)} = {_fmt(value)}")
        return 0
    if args.action == "show":
        info = client.call("spam.show")
        if args.json:
            print(json.dumps(info, indent=2))
            return 0
        for item in info["settings"]:
            print(f"{item['key']} = {_fmt(item['value'])}")
        for warning in info["warnings"]:
            print(f"warning: {warning}")
        return 0
    return _status(client, args)


def _status(client: ControlClient, args: argparse.Namespace) -> int:
    info = client.call("spam.status")
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        print(format_status(info))
    rspamd_down = info["rspamd"]["configured"] and not info["rspamd"]["reachable"]
    clamd_down = info["clamd"]["enabled"] and not info["clamd"]["reachable"]
    return 1 if rspamd_down or clamd_down else 0


def format_status(info: dict[str, Any]) -> str:
    r, c = info["rspamd"], info["clamd"]
    lines = [f"spam scoring: {'on' if info['spam_enabled'] else 'off'}"]
    if not r["configured"]:
        lines.append("rspamd: not used (set spam.rspamd_url, e.g. http://127.0.0.1:11333)")
    else:
        lines.append(f"rspamd: {'reachable' if r['reachable'] else 'NOT reachable'} at {r['url']}"
                     + (f" ({r['error']})" if r["error"] else ""))
        ctl = info["rspamd_controller"]
        lines.append(f"rspamd controller (Junk training): "
                     f"{'reachable' if ctl['reachable'] else 'NOT reachable'} at {ctl['url']}"
                     + (f" ({ctl['error']})" if ctl["error"] else ""))
    state = f"reachable, {c['version']}" if c["reachable"] else f"NOT reachable ({c['error']})"
    lines.append(f"virus scanning: {'on' if c['enabled'] else 'off (virus.enabled no)'}; "
                 f"clamd at {c['address']}: {state}")
    lines += [f"warning: {w}" for w in info["warnings"]]
    return "\n".join(lines)


def cmd_virus(client: ControlClient, args: argparse.Namespace) -> int:
    if args.action == "status":
        return _status(client, args)
    if args.file:
        # Read here, not by the daemon: the file is the caller's, the daemon may not see it.
        try:
            with open(args.file, "rb") as fh:
                data = fh.read(MAX_TEST_FILE + 1)
        except OSError as exc:
            print(f"mailroom: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        if len(data) > MAX_TEST_FILE:
            print(f"mailroom: {args.file} is larger than {MAX_TEST_FILE // 1024 // 1024} MB",
                  file=sys.stderr)
            return 1
        result = client.call("virus.test", data=base64.b64encode(data).decode())
        result["scanned"] = args.file
    else:
        result = client.call("virus.test")
    if args.json:
        print(json.dumps(result, indent=2))
    elif result["status"] == "infected":
        print(f"{result['scanned']}: infected: {result['signature']} (clamd at {result['clamd']})")
    elif result["status"] == "clean":
        print(f"{result['scanned']}: clean (clamd at {result['clamd']})")
    else:
        print(f"{result['scanned']}: not scanned: {result['error']} (clamd at {result['clamd']})",
              file=sys.stderr)
    if not result["enabled"]:
        print("note: virus scanning of mail is off (mailroom settings set virus.enabled yes)",
              file=sys.stderr)
    return 0 if result["status"] in ("infected", "clean") else 1


def add_commands(add: Callable[..., argparse.ArgumentParser],
                 actions: Callable[[argparse.ArgumentParser], Any],
                 common: argparse.ArgumentParser) -> None:
    p = add("spam", cmd_spam, "spam scoring: thresholds, blocklists, rspamd")
    a = actions(p)
    a.add_parser("show", parents=[common], help="the spam and virus settings and warnings"
                 ).add_argument("--json", action="store_true")
    s = a.add_parser("set", parents=[common],
                     help="change a setting: junk_score, reject_score, dnsbl, rspamd_url ... "
                          "(or virus.*)")
    s.add_argument("key")
    s.add_argument("value", help="the new value, or - to read it from stdin")
    a.add_parser("status", parents=[common], help="whether rspamd and clamd answer"
                 ).add_argument("--json", action="store_true")

    p = add("virus", cmd_virus, "virus scanning with ClamAV's clamd")
    a = actions(p)
    t = a.add_parser("test", parents=[common],
                     help="scan FILE (default: the EICAR test string) through clamd")
    t.add_argument("file", nargs="?", metavar="FILE")
    t.add_argument("--json", action="store_true")
    a.add_parser("status", parents=[common], help="whether clamd (and rspamd) answer"
                 ).add_argument("--json", action="store_true")
