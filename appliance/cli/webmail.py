"""``mailroom webmail enable [--port N]|disable|status``: Roundcube in the browser."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from appliance.control.client import ControlClient
from appliance.webmail.packages import WebmailPackagesError, install, missing

__all__ = ["add_commands", "cmd_webmail", "describe"]


def describe(status: dict[str, Any]) -> str:
    """One line saying what the webmail does now."""
    if status.get("serving"):
        return f"serving on {status['url']}"
    if status.get("enabled"):
        return f"enabled but not serving: {status.get('error') or 'the web server is not running'}"
    kept = " (users' settings kept)" if status.get("keeps_settings") else ""
    return f"disabled{kept}"


def cmd_webmail(client: ControlClient, args: argparse.Namespace) -> int:
    if args.action == "status":
        status = client.call("webmail.status")
        if args.json:
            print(json.dumps(status, indent=2))
        else:
            print(describe(status))
            if status.get("missing"):
                print(f"missing packages: {' '.join(status['missing'])} "
                      f"(install: {status['install']})")
        return 1 if status["enabled"] and not status["serving"] else 0
    if args.action == "disable":
        status = client.call("webmail.disable")
        print(f"webmail: {describe(status)}")
        return 0
    started = time.monotonic()
    absent = missing()
    if absent:
        # Installing is done here, by the admin's command, not by the daemon
        # (which runs as the mailroom user and must not wait minutes on apt).
        print(f"installing: {' '.join(absent)}", file=sys.stderr, flush=True)
        try:
            install(absent)
        except WebmailPackagesError as exc:
            from appliance.state import StateError

            raise StateError(str(exc)) from exc
    params: dict[str, Any] = {} if args.port is None else {"port": args.port}
    status = client.call("webmail.enable", **params)
    print(f"webmail: {describe(status)} (ready in {time.monotonic() - started:.1f} s)")
    if not status.get("daemon"):
        print("note: the Mailroom daemon is not running; logging in needs it "
              "(mailroom serve, or the system service)", file=sys.stderr)
    return 0


def add_commands(add: Callable[..., argparse.ArgumentParser],
                 actions: Callable[[argparse.ArgumentParser], Any],
                 common: argparse.ArgumentParser) -> None:
    p = add("webmail", cmd_webmail, "Roundcube webmail over HTTPS at /webmail (Debian's "
                                    "roundcube, php-fpm and nginx, run by Mailroom)")
    a = actions(p)
    en = a.add_parser("enable", parents=[common],
                      help="install what is missing (as root), configure and serve it")
    en.add_argument("--port", type=int, default=None,
                    help="HTTPS port (default: the webmail.port setting, 443)")
    a.add_parser("disable", parents=[common],
                 help="stop serving; the users' settings are kept")
    st = a.add_parser("status", parents=[common], help="serving or not, and where")
    st.add_argument("--json", action="store_true")
