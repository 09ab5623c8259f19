"""``mailroom tls show|import`` and ``mailroom tls acme issue|renew|status``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.control.client import ControlClient

__all__ = ["add_commands", "cmd_tls", "format_certificate"]


def _read(path: str, what: str) -> str:
    # Read here, by the user who runs the command: the system service may not
    # be allowed to read a file in their home directory.
    try:
        return Path(path).expanduser().read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        from appliance.state import StateError

        raise StateError(f"cannot read the {what} file {path}: {exc.strerror or exc}") from exc


def format_certificate(info: dict[str, Any]) -> str:
    kind = "self-signed" if info["self_signed"] else f"issued by {info['issuer']}"
    lines = [f"{info['cert']}: {info['subject']}, {kind}, valid until {info['not_after']}"]
    lines.append(f"  names:       {', '.join(info['names']) or '(none)'}")
    state = "EXPIRED" if info["expired"] else f"{info['days_left']} days left"
    lines.append(f"  valid:       {info['not_before'][:10]} to {info['not_after'][:10]} ({state})")
    lines.append(f"  key:         {info['key_type']}")
    lines.append(f"  fingerprint: SHA256 {info['fingerprint']}")
    for i, subject in enumerate(info.get("chain") or [], start=2):
        lines.append(f"  chain {i}:     {subject}")
    acme = info.get("acme")
    if acme:
        lines.append(f"  from ACME:   {acme['directory']} ({acme['method']}), renewal on "
                     f"{acme['renew_at'][:10]} ({acme['by']})")
        if acme.get("last_error"):
            lines.append(f"  last renewal error: {acme['last_error']}")
    else:
        lines.append("  renewal:     by hand (not from ACME)")
    return "\n".join(lines)


def _print_warnings(info: dict[str, Any]) -> None:
    for warning in info.get("warnings") or []:
        print(f"warning: {warning}", file=sys.stderr)


def cmd_tls(client: ControlClient, args: argparse.Namespace) -> int:
    if args.action == "import":
        info = client.call("tls.import", cert_pem=_read(args.cert, "certificate"),
                           key_pem=_read(args.key, "key"),
                           chain_pem=_read(args.chain, "chain") if args.chain else "")
    elif args.action == "acme":
        return _acme(client, args)
    else:
        info = client.call("tls.show")
    if getattr(args, "json", False):
        print(json.dumps(info, indent=2))
        return 0
    print(format_certificate(info))
    _print_warnings(info)
    return 0


def _acme(client: ControlClient, args: argparse.Namespace) -> int:
    if args.acme_action == "status":
        info = client.call("tls.acme.status")
        if args.json:
            print(json.dumps(info, indent=2))
            return 0
        print(f"CA directory: {info['directory']}")
        print(f"contact:      {info['email'] or '(none)'}")
        print(f"HTTP-01 port: {info['http_port']}")
        acme = info["acme"]
        if acme:
            print(f"certificate for {', '.join(acme['names'])}, renewal on "
                  f"{acme['renew_at'][:10]} ({acme['by']}){' - DUE' if acme['due'] else ''}")
        else:
            print("the certificate in use did not come from ACME "
                  "(get one with: mailroom tls acme issue)")
        pending = info.get("pending_dns")
        if pending:
            print(f"a DNS-01 order for {', '.join(pending['names'])} waits for its TXT records "
                  "(then: mailroom tls acme issue --dns --finish)")
        _print_warnings(info)
        return 0
    if args.acme_action == "renew":
        info = client.call("tls.acme.renew")
        print("renewed:")
        print(format_certificate(info))
        _print_warnings(info)
        return 0
    params: dict[str, Any] = {"names": args.names or [], "email": args.email or "",
                              "directory": args.directory or "", "dns": args.dns,
                              "finish": args.finish}
    info = client.call("tls.acme.issue", **params)
    if info.get("pending"):
        print("Publish these TXT records at your DNS provider, wait until they are visible, "
              "then run: mailroom tls acme issue --dns --finish")
        for record in info["records"]:
            print(f"{record['name']}.  IN  TXT  \"{record['value']}\"")
        return 0
    print(format_certificate(info))
    _print_warnings(info)
    return 0


def add_commands(add: Callable[..., argparse.ArgumentParser],
                 actions: Callable[[argparse.ArgumentParser], Any],
                 common: argparse.ArgumentParser) -> None:
    p = add("tls", cmd_tls, "the TLS certificate: self-signed at init, imported, or from "
                            "Let's Encrypt (ACME)")
    a = actions(p)
    a.add_parser("show", parents=[common], help="the certificate in use").add_argument(
        "--json", action="store_true")
    ti = a.add_parser("import", parents=[common],
                      help="use this PEM certificate (chain) and key, after checking them")
    ti.add_argument("cert", help="PEM certificate, leaf first (may hold the chain too)")
    ti.add_argument("key", help="its PEM private key (unencrypted)")
    ti.add_argument("--chain", metavar="FILE", help="the intermediate certificates, if apart")
    ti.add_argument("--json", action="store_true")
    ac = a.add_parser("acme", parents=[common],
                      help="a certificate from Let's Encrypt (or another ACME CA)")
    acts = ac.add_subparsers(dest="acme_action", metavar="ACTION", required=True)
    issue = acts.add_parser(
        "issue", parents=[common],
        help="get a certificate for the host name: HTTP-01 on port 80 (acme.http_port) for "
             "the few seconds of the challenge, or --dns to publish TXT records by hand")
    issue.add_argument("--name", dest="names", action="append", metavar="NAME",
                       help="another name to cover besides the host name (repeatable)")
    issue.add_argument("--email", help="contact address for the CA's expiry notices")
    issue.add_argument("--directory", metavar="URL",
                       help="ACME directory URL (default: the acme.directory setting)")
    issue.add_argument("--dns", action="store_true",
                       help="DNS-01: print the TXT records to publish (when port 80 cannot be "
                            "reached from the Internet)")
    issue.add_argument("--finish", action="store_true",
                       help="with --dns: the records are published; let the CA check them")
    acts.add_parser("renew", parents=[common], help="renew the ACME certificate now")
    acts.add_parser("status", parents=[common],
                    help="the CA, the contact, when the certificate is renewed").add_argument(
        "--json", action="store_true")
