"""The ``mailroom`` command line: every admin action, through the control client.

Each subcommand turns its arguments into one control operation; the client
runs it in the daemon when one answers, or on the data directory directly.
A refused change prints one line to stderr and exits 1; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from appliance.control.client import ControlClient
from appliance.home import Home, resolve_home
from appliance.state import StateError

__all__ = ["main", "build_parser", "CliError"]


class CliError(Exception):
    pass


def parse_size(text: str) -> int:
    units = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
    raw = text.strip().upper().removesuffix("B")
    unit = raw[-1:] if raw[-1:] in units and not raw[-1:].isdigit() else ""
    number = raw[: len(raw) - len(unit)]
    try:
        value = float(number)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 500M, 2G)") from exc
    if value < 0:
        raise argparse.ArgumentTypeError("size must not be negative")
    return int(value * units[unit])


def _human(size: int) -> str:
    for unit in ("B", "K", "M", "G"):
        if size < 1024 or unit == "G":
            return f"{size:.0f}{unit}" if unit == "B" else f"{size:.1f}{unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)


def read_password(args: argparse.Namespace) -> str:
    if getattr(args, "password_stdin", False):
        line = sys.stdin.readline()
        if not line:
            raise CliError("no password on standard input")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CliError("give the password with --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise CliError("passwords differ")
    return first


# -- commands -------------------------------------------------------------

Handler = Callable[[ControlClient, argparse.Namespace], int | None]


def cmd_init(client: ControlClient, args: argparse.Namespace) -> int:
    from appliance.control.setup import initialize

    home = client.home
    if home.initialized():
        raise CliError(f"{home.root} is already set up (change it with: mailroom settings set)")
    initialize(home, args.hostname, args.domain, args.cert, args.key)
    print(f"Mailroom set up in {home.root} for {args.domain} (host {args.hostname})")
    return 0


def cmd_settings(client: ControlClient, args: argparse.Namespace) -> int:
    if args.action == "show":
        for item in client.call("settings.show"):
            print(f"{item['key']} = {_fmt_value(item['value'])}")
    elif args.action == "get":
        print(_fmt_value(client.call("settings.get", key=args.key)))
    else:
        raw = args.value
        if raw == "-":  # secrets stay off the command line (and out of ps)
            raw = sys.stdin.readline().rstrip("\r\n")
            if not raw.strip():
                # An empty pipe is a mistake (a variable not set, a file not
                # there), not a wish to clear the value: that takes ''.
                raise CliError(f"no value for {args.key} on standard input; nothing changed "
                               f"(to clear it: mailroom settings set {args.key} '')")
        value = client.call("settings.set", key=args.key, value=raw)
        print(f"{args.key} = {_fmt_value(value)}")
    return 0


def _fmt_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def cmd_domain(client: ControlClient, args: argparse.Namespace) -> int:
    if args.action == "list":
        for row in client.call("domain.show"):
            alias = f" (alias of {row['alias_of']})" if row["alias_of"] else ""
            print(f"{row['name']}{alias}")
    elif args.action == "add":
        if args.alias_of:
            name = client.call("domain.add", name=args.name, alias_of=args.alias_of)
            print(f"added {name} as an alias of {args.alias_of.strip().lower()} (the same "
                  f"mailboxes)")
        else:
            print(f"added domain {client.call('domain.add', name=args.name)}")
    else:
        gone = client.call("domain.del", name=args.name)
        if gone["alias_of"]:
            print(f"deleted {gone['name']} (alias of {gone['alias_of']})")
        else:
            print(f"deleted domain {gone['name']}")
    return 0


def cmd_account(client: ControlClient, args: argparse.Namespace) -> int:
    action = args.action
    if action == "list":
        rows = client.call("account.list")
        if args.json:
            print(json.dumps(rows, indent=2))
            return 0
        for row in rows:
            quota = _human(row["quota_bytes"]) if row["quota_bytes"] else "unlimited"
            flags = "" if row["enabled"] else "  DISABLED"
            fwd = f"  forward→{','.join(row['forward'])}" if row["forward"] else ""
            if row["forward"] and row["keep_copy"]:
                fwd += " (+copy)"
            print(f"{row['address']:<32} {_human(row['used_bytes']):>8} of {quota:<9} "
                  f"{row['messages']:>6} msgs{flags}{fwd}")
    elif action == "add":
        password = read_password(args)
        addr = client.call("account.add", address=args.address, password=password,
                           quota_bytes=args.quota or 0)
        print(f"added account {addr}")
    elif action == "del":
        gone = client.call("account.del", address=args.address,
                           delete_mail=bool(getattr(args, "delete_mail", False)))
        print(f"deleted account {args.address}" + (" and its mail" if gone["mail_deleted"]
                                                    else " (its mail stays on disk)"))
    elif action == "passwd":
        client.call("account.passwd", address=args.address, password=read_password(args))
        print(f"password changed for {args.address}")
    elif action in ("disable", "enable"):
        client.call(f"account.{action}", address=args.address)
        print(f"{action}d {args.address}")
    elif action == "quota":
        client.call("account.quota", address=args.address, quota_bytes=args.size)
        print(f"quota of {args.address}: {_human(args.size) if args.size else 'unlimited'}")
    elif action == "senders":
        return _account_senders(client, args)
    return 0


def _account_senders(client: ControlClient, args: argparse.Namespace) -> int:
    if args.senders_action == "list":
        for sender in client.call("account.senders.list", address=args.address):
            print(sender)
    elif args.senders_action == "add":
        sender = client.call("account.senders.add", address=args.address, sender=args.sender)
        print(f"{args.address} may send as {sender}")
    else:
        client.call("account.senders.del", address=args.address, sender=args.sender)
        print(f"{args.address} may no longer send as {args.sender}")
    return 0


def cmd_mailbox(client: ControlClient, args: argparse.Namespace) -> int:
    rows = client.call("mailbox.list", address=args.address)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'Folder':<24} {'Messages':>9} {'Unseen':>7} {'Size':>9}")
    for r in rows:
        print(f"{r['folder']:<24} {r['messages']:>9} {r['unseen']:>7} {_human(r['size']):>9}")
    return 0


def cmd_alias(client: ControlClient, args: argparse.Namespace) -> int:
    if args.action == "list":
        for name, targets in client.call("alias.list").items():
            print(f"{name}: {', '.join(targets)}")
    elif args.action == "add":
        addr = client.call("alias.add", address=args.address, targets=args.targets)
        print(f"{addr}: {', '.join(client.call('alias.list')[addr])}")
    else:
        client.call("alias.del", address=args.address, targets=args.targets)
        print(f"deleted {'members from ' if args.targets else ''}alias {args.address}")
    return 0


def cmd_forward(client: ControlClient, args: argparse.Namespace) -> int:
    if args.action == "set":
        client.call("forward.set", address=args.address, targets=args.targets,
                    keep_copy=args.keep)
        copy = " (keeping a copy)" if args.keep else ""
        print(f"{args.address} forwards to {', '.join(args.targets)}{copy}")
    else:
        client.call("forward.clear", address=args.address)
        print(f"{args.address} no longer forwards")
    return 0


def cmd_relay(client: ControlClient, args: argparse.Namespace) -> int:
    if args.action == "list":
        for net in client.call("relay.list"):
            print(net)
    elif args.action == "add":
        result = client.call("relay.add", network=args.network)
        net = result["network"]
        if net.startswith("!"):
            print(f"relay excluded for {net[1:]} (even inside a listed network)")
        else:
            print(f"relay allowed from {net}")
        for warning in result["warnings"]:
            print(f"warning: {warning}", file=sys.stderr)
    else:
        client.call("relay.del", network=args.network)
        net = args.network.strip()
        if net.startswith("!"):
            print(f"relay no longer excluded for {net[1:].strip()}")
        else:
            print(f"relay no longer allowed from {net}")
    return 0


def cmd_ban(client: ControlClient, args: argparse.Namespace) -> int:
    def when(ts: float) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))

    if args.action == "list":
        bans = client.call("ban.list")
        if args.json:
            print(json.dumps(bans, indent=2))
        for ban in [] if args.json else bans:
            print(f"{ban['key']}\tuntil {when(ban['until'])}\tban {ban['count']}\t{ban['reason']}")
    elif args.action == "add":
        ban = client.call("ban.add", address=args.address, duration=args.duration,
                          reason=args.reason or "")
        print(f"{ban['key']} banned until {when(ban['until'])}")
    else:
        client.call("ban.del", address=args.address)
        print(f"{args.address} no longer banned")
    return 0


def cmd_newaliases(client: ControlClient, args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from exc
    result = client.call(
        "aliases.import", text=text, domain=args.domain, source=path.name,
        include_dir=args.include_dir or str(path.resolve().parent),
    )
    for warning in result["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{path}: {result['imported']} aliases imported into {result['domain']}")
    return 0


def cmd_serve(client: ControlClient, args: argparse.Namespace) -> int:

    from appliance.service import Daemon, ServeOptions

    home = client.home
    if not home.initialized():
        raise CliError(f"no Mailroom data in {home.root} (run: mailroom init)")
    if client.daemon_running():
        raise CliError(f"a Mailroom daemon already runs on {home.root}")
    listen = [h.strip() for item in args.listen or [] for h in item.split(",") if h.strip()]
    options = ServeOptions(listen=listen, port_offset=args.port_offset,
                           foreground_log=args.verbose)
    daemon = Daemon(home, options)
    with asyncio.Runner(loop_factory=_event_loop_factory()) as runner:
        return int(runner.run(daemon.run()) or 0)  # 1: not one listener could start


def _event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it is installed: the same asyncio API, a faster loop in C."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def cmd_status(client: ControlClient, args: argparse.Namespace) -> int:
    try:
        info = client.call("status")
    except StateError as exc:
        print(f"mailroom: {exc}", file=sys.stderr)
        return 3  # like init scripts: 3 = not running
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    up = time.strftime("%H:%M:%S", time.gmtime(info["uptime"]))
    paused = "  (incoming mail PAUSED)" if info["paused"] else ""
    print(f"mailroom daemon pid {info['pid']} on {info['hostname']}, up {up}{paused}")
    if info.get("health") == "degraded":
        print("  DEGRADED: " + "; ".join(info.get("problems") or ["a listener is down"]))
    for warning in info.get("warnings") or []:
        print(f"  warning: {warning}")
    for svc in info["services"]:
        where = ", ".join(svc["sockets"]) or f"{','.join(svc['hosts'])}:{svc['port']}"
        err = f"  {svc['error']}" if svc["error"] else ""
        print(f"  {svc['name']:<11} {svc['port']:>5}  {svc['state']:<8} {svc['tls']:<9} "
              f"{where}{err}")
    q = info["queue"]
    print(f"  queue: {q['active']} active, {q['deferred']} deferred, {q['hold']} held")
    print(f"  {format_delivery_process(info.get('delivery_process') or {})}")
    return 0


def format_delivery_process(proc: dict[str, Any]) -> str:
    """One line on who sends outside mail (the status field ``delivery_process``)."""
    if not proc.get("enabled"):
        return "sending: in the daemon's own process (delivery.worker_process off)"
    restarts = f", {proc['restarts']} restarts" if proc.get("restarts") else ""
    if proc.get("pid") is None:
        return f"sending: delivery process idle (starts with the next outside message){restarts}"
    return (f"sending: delivery process pid {proc['pid']}, {proc.get('in_flight', 0)} "
            f"in flight{restarts}")


def cmd_reload(client: ControlClient, args: argparse.Namespace) -> int:
    result = client.call("reload")
    restarted = ", ".join(result["restarted"]) or "no listener"
    print(f"configuration reloaded ({restarted} restarted)")
    return 0


def cmd_mailq(client: ControlClient, args: argparse.Namespace) -> int:
    entries = client.call("queue.list")
    if args.json:
        print(json.dumps(entries, indent=2, ensure_ascii=False))
        return 0
    print(format_mailq(entries))
    return 0


def format_mailq(entries: list[dict[str, Any]]) -> str:
    if not entries:
        return "Mail queue is empty"
    marks = {"active": "*", "hold": "!", "deferred": " "}
    lines = ["-Queue ID-   --Size-- ----Arrival Time---- -Sender/Recipient-------"]
    total = 0
    for e in entries:
        total += e["size"]
        when = time.strftime("%a %b %d %H:%M:%S", time.localtime(e["arrival"]))
        qid = e["id"] + marks.get(e["queue"], " ")
        lines.append(f"{qid:<13}{e['size']:>8} {when}  {e['sender'] or 'MAILER-DAEMON'}")
        last = None
        for r in e["recipients"]:
            if r["reply"] and r["reply"] != last:
                lines.append(f"{'':<44}({r['reply']})")
                last = r["reply"]
            lines.append(f"{'':<45}{r['address']}")
        lines.append("")
    lines.append(f"-- {(total + 1023) // 1024} Kbytes in {len(entries)} Request"
                 f"{'s' if len(entries) != 1 else ''}.")
    return "\n".join(lines)


def cmd_queue(client: ControlClient, args: argparse.Namespace) -> int:
    if args.action == "list":
        return cmd_mailq(client, args)
    if args.action == "flush":
        client.call("queue.flush")
        print("queue flushed: every deferred message will be retried now")
        return 0
    if args.action == "show":
        info = client.call("queue.show", id=args.id)
        print(f"Queue ID: {info['id']} ({info['queue']})")
        print(f"Sender: <{info['sender']}>")
        for r in info["recipients"]:
            print(f"Recipient: <{r['address']}> {r['state']} {r['reply']}".rstrip())
        print()
        print(info["message"], end="")
        return 0
    client.call(f"queue.{args.action}", id=args.id)
    print(f"{args.id}: {args.action} done")
    return 0


def cmd_mailstats(client: ControlClient, args: argparse.Namespace) -> int:
    rows = client.call("stats", by="hour" if args.hourly else "day")
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    head = "Hour" if args.hourly else "Day"
    print(f"{head:<14} {'Dir':<4} {'Received':>9} {'Delivered':>10} {'Deferred':>9} "
          f"{'Bounced':>8} {'Rejected':>9}")
    totals = dict.fromkeys(("received", "delivered", "deferred", "bounced", "rejected"), 0)
    for r in rows:
        print(f"{r['period']:<14} {r['direction']:<4} {r['received']:>9} {r['delivered']:>10} "
              f"{r['deferred']:>9} {r['bounced']:>8} {r['rejected']:>9}")
        for k in totals:
            totals[k] += r[k]
    print(f"{'Total':<19} {totals['received']:>9} {totals['delivered']:>10} "
          f"{totals['deferred']:>9} {totals['bounced']:>8} {totals['rejected']:>9}")
    return 0


def cmd_logs(client: ControlClient, args: argparse.Namespace) -> int:
    from appliance.logs import follow, tail

    if args.queue_id:  # every line about one message, from the rotated files too
        for line in client.call("logs.queue_id", id=args.queue_id, lines=args.lines or 500):
            print(line)
        return 0
    log_file = client.home.log_file
    for line in tail(log_file, 20 if args.lines is None else args.lines):
        print(line)
    if args.follow:
        sys.stdout.flush()
        try:
            # Start following at the current end; tail already printed the rest.
            for line in follow(log_file):
                print(line, flush=True)
        except KeyboardInterrupt:
            return 0
    return 0


# -- parser ---------------------------------------------------------------


def build_parser(prog: str = "mailroom") -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS,
                        help="data directory (default: $MAILROOM_HOME or the platform default)")
    parser = argparse.ArgumentParser(
        prog=prog, parents=[common],
        description="Mailroom: a mail server appliance for a small office. "
                    "Without a command, opens the desktop program (GUI).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, handler: Handler, help: str, **kw: Any) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help, description=help, **kw)
        p.set_defaults(handler=handler)
        return p

    def actions(p: argparse.ArgumentParser) -> Any:
        return p.add_subparsers(dest="action", metavar="ACTION", required=True)

    p = add("gui", lambda c, a: 0, "open the desktop program (the default)")
    p = add("init", cmd_init, "set up a new data directory")
    p.add_argument("--hostname", required=True,
                   help="this server's host name, e.g. mail.example.com")
    p.add_argument("--domain", required=True, help="the first mail domain, e.g. example.com")
    p.add_argument("--cert", help="PEM certificate to use instead of a self-signed one")
    p.add_argument("--key", help="PEM private key for --cert")

    p = add("settings", cmd_settings, "show or change settings")
    a = actions(p)
    a.add_parser("show", parents=[common], help="every setting and its value")
    g = a.add_parser("get", parents=[common], help="one setting")
    g.add_argument("key")
    s = a.add_parser("set", parents=[common], help="change one setting")
    s.add_argument("key")
    s.add_argument("value", help="the new value, or - to read it from stdin")

    p = add("domain", cmd_domain, "mail domains this server receives for")
    a = actions(p)
    a.add_parser("list", parents=[common], help="domains, each followed by its aliases")
    da = a.add_parser("add", parents=[common], help="add a domain, or another name of one")
    da.add_argument("name")
    da.add_argument("--alias-of", metavar="DOMAIN",
                    help="NAME is another name of DOMAIN: it reaches the same mailboxes "
                         "(like sendmail's local-host-names)")
    a.add_parser("del", parents=[common],
                 help="delete a domain (its aliases first), or just an alias").add_argument(
        "name")

    p = add("account", cmd_account, "mail accounts")
    a = actions(p)
    a.add_parser("list", parents=[common], help="accounts with usage and quota").add_argument(
        "--json", action="store_true")
    ad = a.add_parser("add", parents=[common], help="add an account")
    ad.add_argument("address")
    ad.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    ad.add_argument("--quota", type=parse_size, help="mailbox size limit, e.g. 2G (default: none)")
    ad = a.add_parser("del", parents=[common], help="delete an account (its mail stays on "
                      "disk unless --delete-mail)")
    ad.add_argument("address")
    ad.add_argument("--delete-mail", action="store_true", help="delete its mailbox too")
    for act in ("disable", "enable"):
        a.add_parser(act, parents=[common]).add_argument("address")
    pw = a.add_parser("passwd", parents=[common], help="change a password")
    pw.add_argument("address")
    pw.add_argument("--password-stdin", action="store_true")
    qa = a.add_parser("quota", parents=[common], help="set the quota (0: unlimited)")
    qa.add_argument("address")
    qa.add_argument("size", type=parse_size)
    sa = a.add_parser("senders", parents=[common],
                      help="addresses an account may send as, besides its own")
    sa_actions = sa.add_subparsers(dest="senders_action", required=True)
    sa_actions.add_parser("list", parents=[common]).add_argument("address")
    for act, text in (("add", "let ACCOUNT send as SENDER"), ("del", "take that back")):
        sp = sa_actions.add_parser(act, parents=[common], help=text)
        sp.add_argument("address", metavar="ACCOUNT")
        sp.add_argument("sender", metavar="SENDER")

    p = add("mailbox", cmd_mailbox, "an account's folders")
    a = actions(p)
    ml = a.add_parser("list", parents=[common], help="folders with counts and sizes")
    ml.add_argument("address")
    ml.add_argument("--json", action="store_true")

    p = add("alias", cmd_alias, "aliases and groups (like /etc/aliases)")
    a = actions(p)
    a.add_parser("list", parents=[common])
    aa = a.add_parser("add", parents=[common], help="add an alias or members to it")
    aa.add_argument("address")
    aa.add_argument("targets", nargs="+", metavar="TARGET")
    ad = a.add_parser("del", parents=[common], help="delete an alias, or some of its members")
    ad.add_argument("address")
    ad.add_argument("targets", nargs="*", metavar="TARGET")

    p = add("forward", cmd_forward, "per-account forwarding (like ~/.forward)")
    a = actions(p)
    fs = a.add_parser("set", parents=[common])
    fs.add_argument("address")
    fs.add_argument("targets", nargs="+", metavar="TARGET")
    fs.add_argument("--keep", action="store_true", help="keep a copy in the mailbox too")
    a.add_parser("clear", parents=[common]).add_argument("address")

    p = add("relay", cmd_relay, "networks allowed to relay (like access Connect:... RELAY)")
    a = actions(p)
    a.add_parser("list", parents=[common])
    for act in ("add", "del"):
        a.add_parser(act, parents=[common]).add_argument(
            "network", metavar="CIDR",
            help="a network (192.168.1.0/24), or !NETWORK to exclude it (!192.168.1.1)")

    p = add("ban", cmd_ban, "addresses banned for guessing passwords")
    a = actions(p)
    a.add_parser("list", parents=[common], help="bans in force").add_argument(
        "--json", action="store_true")
    ba = a.add_parser("add", parents=[common], help="ban an address by hand")
    ba.add_argument("address", metavar="ADDRESS", help="an IP address (IPv6: its /64 is banned)")
    ba.add_argument("duration", nargs="?", metavar="DURATION",
                    help="900, 15m, 2h, 1d (default: as an automatic ban, doubling on repeats)")
    ba.add_argument("--reason", help="noted with the ban")
    a.add_parser("del", parents=[common], help="lift a ban now").add_argument(
        "address", metavar="ADDRESS")

    from appliance.cli.tls import add_commands as add_tls_commands

    add_tls_commands(add, actions, common)  # tls show|import|acme (appliance/cli/tls.py)
    from appliance.cli.spam import add_commands as add_spam_commands

    add_spam_commands(add, actions, common)  # spam show|set|status, virus test|status
    from appliance.cli.doctor import add_commands as add_doctor_commands

    add_doctor_commands(add, actions, common)  # doctor [--json]

    p = add("newaliases", cmd_newaliases, "import an /etc/aliases file")
    p.add_argument("file", nargs="?", default="/etc/aliases")
    p.add_argument("--domain", help="domain for names without one (default: the first domain)")
    p.add_argument("--include-dir", help="where to look for :include: files")

    p = add("serve", cmd_serve, "run the mail server daemon")
    p.add_argument("--listen", action="append", metavar="ADDR",
                   help="address to listen on (repeatable; default: the 'listen' setting)")
    p.add_argument("--port-offset", type=int, default=0, metavar="N",
                   help="every service listens on its standard port + N")
    p.add_argument("-v", "--verbose", action="store_true", help="also log to stderr")

    add("status", cmd_status, "show each listener and its state").add_argument(
        "--json", action="store_true")
    add("reload", cmd_reload, "apply changed settings without dropping mail")
    add("mailq", cmd_mailq, "list queued mail").add_argument("--json", action="store_true")

    p = add("queue", cmd_queue, "act on queued mail")
    a = actions(p)
    a.add_parser("list", parents=[common]).add_argument("--json", action="store_true")
    a.add_parser("flush", parents=[common], help="retry everything now")
    for act in ("show", "retry", "hold", "release", "delete", "bounce"):
        a.add_parser(act, parents=[common]).add_argument("id", metavar="QUEUE_ID")

    p = add("mailstats", cmd_mailstats,
            "counts of mail received, delivered, deferred, bounced, rejected")
    p.add_argument("--hourly", action="store_true", help="per hour instead of per day")
    p.add_argument("--json", action="store_true")
    sub.add_parser("sendmail", help="queue a message from stdin (sendmail-compatible options: "
                   "-t -i -oi -f SENDER -F NAME [RCPT...])", add_help=False)

    from appliance.cli.filters import add_commands as add_filter_commands

    add_filter_commands(add, actions, common)  # filter show|set|check|import-procmail, vacation

    from appliance.cli.records import add_commands as add_dns_commands

    add_dns_commands(add, actions, common)  # dkim show|rotate, dns records|check

    from appliance.cli.backup import add_commands as add_backup_commands

    add_backup_commands(add, actions, common)  # backup now|list|verify|restore|schedule|key

    from appliance.cli.firewall import add_commands as add_firewall_commands

    add_firewall_commands(add, actions, common)  # firewall status|open|close

    from appliance.cli.importer import add_commands as add_import_commands

    add_import_commands(add, actions, common)  # import sendmail, access list|add|del

    from appliance.cli.webmail import add_commands as add_webmail_commands

    add_webmail_commands(add, actions, common)  # webmail enable|disable|status

    p = add("logs", cmd_logs, "show the mail log")
    p.add_argument("-n", "--lines", type=int, default=None)
    p.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    p.add_argument("-q", "--queue-id", metavar="QUEUE_ID",
                   help="only the lines about this message (up to --lines, default 500)")
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "mailroom") -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    home: Home = resolve_home(getattr(args, "data_dir", None))
    client = ControlClient(home)
    try:
        return int(args.handler(client, args) or 0)
    except (CliError, StateError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        os._exit(0)
    finally:
        client.close()
