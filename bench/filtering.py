#!/usr/bin/env python3
"""SMTP ingest with filtering on and off, in one run: the cost per message in ms and CPU.

What it measures
    N messages (default 2000, about 4 KB each, half to bob and half to
    alice) sent from an outside address (127.0.0.2: not a relay network, so
    each is checked and scored) over C concurrent SMTP sessions (default 10)
    to one Mailroom daemon, timed from the first connection until all N sit
    in the Maildirs. The daemon's CPU time (user + system, from /proc) over
    the same span is reported per message.

    "off": spam.enabled no, no blocked attachment types, virus scanning off,
    each account's Sieve script a bare `keep;`.
    "on": the built-in spam checks (GTUBE, HELO, reverse DNS, two DNS
    blocklists, the authentication results) against the local DNS server
    (tests.support.dnsserver), blocked attachment types, and a 20-rule Sieve
    script per account (header, address, :matches, size, body, exists tests;
    none matches, so every rule runs and the mail is kept in the INBOX).
    --clamd adds a private clamd (tests.support.engines: one test signature),
    --rspamd a private rspamd (/checkv2 for every message).

    The authentication checks (SPF, DKIM, DMARC) run in both modes: they are
    measured by bench/inbound_auth.py. Runs alternate off/on on the same
    daemon (settings set + filter set between runs), --repeat times each; the
    medians are printed side by side.

How to run (from the project root)
    .venv/bin/python bench/filtering.py
    .venv/bin/python bench/filtering.py -n 5000 -c 20 --repeat 3 --clamd --rspamd --json

Everything binds 127.0.0.x high ports; the daemon, the DNS server and the
engines stop at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from bench.inbound_auth import send_all  # noqa: E402
from tests.support.daemon import Mailroom, make_mailroom  # noqa: E402
from tests.support.dnsserver import DnsServer  # noqa: E402

RECIPIENTS = ("bob@example.test", "alice@example.test")
ZONE = {
    "far.test": {"TXT": ["v=spf1 ip4:127.0.0.2 -all"]},
    "_dmarc.far.test": {"TXT": ["v=DMARC1; p=none"]},
    "mx.far.test": {"A": ["127.0.0.2"]},
    "2.0.0.127.in-addr.arpa": {"PTR": "mx.far.test"},
    "1.0.0.127.bl-one.test": {"A": ["127.0.0.2"]},  # something listed, not the sender
}
BLOCKLISTS = "bl-one.test,bl-two.test"

SIEVE_20 = """require ["fileinto", "body", "relational", "comparator-i;ascii-numeric"];
if header :contains "subject" "invoice" { fileinto "Finance"; stop; }
if header :contains "subject" "rechnung" { fileinto "Finance"; stop; }
if header :contains "subject" ["order", "shipping", "delivery"] { fileinto "Orders"; stop; }
if header :contains "subject" "newsletter" { fileinto "News"; stop; }
if header :contains "list-id" "announce" { fileinto "Lists"; stop; }
if header :contains "from" "bank" { fileinto "Bank"; stop; }
if header :contains "x-mailer" "bulk" { fileinto "Bulk"; stop; }
if header :contains "to" "sales@" { fileinto "Sales"; stop; }
if address :is "from" "boss@partner.test" { fileinto "Boss"; stop; }
if address :domain :is "from" "supplier.test" { fileinto "Suppliers"; stop; }
if address :localpart :is "to" "support" { fileinto "Support"; stop; }
if address :is ["cc", "bcc"] "audit@example.test" { fileinto "Audit"; stop; }
if header :matches "subject" "*[URGENT]*" { fileinto "Urgent"; stop; }
if header :matches "subject" "Re: Re: Re: *" { fileinto "Threads"; stop; }
if address :matches "from" "*@*.marketing.test" { discard; stop; }
if size :over 5M { fileinto "Large"; stop; }
if size :under 10 { fileinto "Tiny"; stop; }
if body :contains "unsubscribe here" { fileinto "News"; stop; }
if body :contains "wire transfer" { fileinto "Bank"; stop; }
if exists "x-campaign-id" { fileinto "Campaigns"; stop; }
"""


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def message(i: int, run: int) -> tuple[str, bytes]:
    to = RECIPIENTS[i % 2]
    body = "".join(f"line {n} of a message of about four kilobytes, as mail is\r\n"
                   for n in range(60))
    return to, (f"From: Carol <carol@far.test>\r\nTo: {to}\r\nSubject: bench {run}-{i}\r\n"
                f"Date: Sun, 29 Nov 2026 20:00:00 +0000\r\n"
                f"Message-ID: <bench.{run}.{i}@far.test>\r\n\r\n{body}").encode()


def delivered(m: Mailroom) -> int:
    return sum(len(m.maildir_files(r)) for r in RECIPIENTS)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(m: Mailroom, messages: list[tuple[str, bytes]], sessions: int) -> tuple[float, float]:
    """Wall ms and daemon CPU ms per message."""
    assert m.proc is not None
    before = delivered(m)
    cpu = cpu_seconds(m.proc.pid)
    start = time.monotonic()
    asyncio.run(send_all(m.port("smtp"), messages, sessions))
    while delivered(m) < before + len(messages):
        if time.monotonic() - start > 600:
            raise SystemExit("messages did not all arrive in 10 minutes")
        time.sleep(0.02)
    wall = time.monotonic() - start
    used = cpu_seconds(m.proc.pid) - cpu
    return wall * 1000 / len(messages), used * 1000 / len(messages)


def switch(m: Mailroom, on: bool, tmp: Path, engines: dict[str, str]) -> None:
    settings = {"spam.enabled": "yes" if on else "no",
                "virus.blocked_extensions": "exe,com,scr,bat,js,vbs" if on else "",
                "virus.enabled": "yes" if on and "clamd" in engines else "no",
                "spam.rspamd_url": engines.get("rspamd", "") if on else ""}
    for key, value in settings.items():
        m.cli("settings", "set", key, value)
    script = tmp / ("on.sieve" if on else "off.sieve")
    script.write_text(SIEVE_20 if on else "keep;\n")
    for rcpt in RECIPIENTS:
        m.cli("filter", "set", rcpt, str(script))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("-n", "--messages", type=int, default=2000)
    parser.add_argument("-c", "--sessions", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--clamd", action="store_true", help="also scan with a private clamd")
    parser.add_argument("--rspamd", action="store_true", help="also score with a private rspamd")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    runs: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
    stops = []
    with DnsServer(ZONE) as dns_server, tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        engines: dict[str, str] = {}
        try:
            if args.clamd:
                from tests.support.engines import start_clamd

                clamd = start_clamd(tmp / "clamd")
                stops.append(clamd.stop)
                engines["clamd"] = clamd.address
            if args.rspamd:
                from tests.support.engines import start_rspamd

                rspamd = start_rspamd(tmp / "rspamd", dns_server.nameserver)
                stops.append(rspamd.stop)
                engines["rspamd"] = rspamd.url
            m = make_mailroom(tmp)
            m.cli("settings", "set", "dns.nameservers", dns_server.nameserver)
            m.cli("settings", "set", "spam.dnsbl", BLOCKLISTS)
            if "clamd" in engines:
                m.cli("settings", "set", "virus.clamd", engines["clamd"])
            m.start()
            stops.append(m.stop)
            for run in range(args.repeat * 2):
                mode = "off" if run % 2 == 0 else "on"
                switch(m, mode == "on", tmp, engines)
                batch = [message(i, run) for i in range(args.messages)]
                wall, cpu = one_run(m, batch, args.sessions)
                runs[mode].append((wall, cpu))
                log(f"run {run + 1}: filtering {mode}: {wall:.3f} ms/msg wall, "
                    f"{cpu:.3f} ms/msg daemon CPU")
                if mode == "on":
                    newest = max((p for r in RECIPIENTS for p in m.maildir_files(r)),
                                 key=lambda p: p.stat().st_mtime)
                    if "X-Spam-Score:" not in newest.read_text():
                        raise SystemExit(f"filtering on but no X-Spam-Score in {newest}")
        finally:
            for stop in reversed(stops):
                stop()

    def median(mode: str, i: int) -> float:
        return statistics.median(r[i] for r in runs[mode])

    off_wall, on_wall = median("off", 0), median("on", 0)
    off_cpu, on_cpu = median("off", 1), median("on", 1)
    extras = "+".join(sorted(engines)) or "built-in only"
    result = {
        "messages": args.messages, "sessions": args.sessions, "repeat": args.repeat,
        "engines": extras,
        "off_ms_per_message": round(off_wall, 3), "on_ms_per_message": round(on_wall, 3),
        "off_msg_per_s": round(1000 / off_wall, 1), "on_msg_per_s": round(1000 / on_wall, 1),
        "cost_ms_per_message": round(on_wall - off_wall, 3),
        "off_cpu_ms_per_message": round(off_cpu, 3), "on_cpu_ms_per_message": round(on_cpu, 3),
        "cost_cpu_ms_per_message": round(on_cpu - off_cpu, 3),
        "runs": runs,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"filtering off: {1000 / off_wall:.0f} msg/s, {off_cpu:.2f} ms CPU/msg   "
              f"filtering on ({extras}, 20-rule Sieve): {1000 / on_wall:.0f} msg/s, "
              f"{on_cpu:.2f} ms CPU/msg   cost: {on_wall - off_wall:.2f} ms wall and "
              f"{on_cpu - off_cpu:.2f} ms CPU per message "
              f"({args.messages} messages x {args.repeat} runs each, {args.sessions} sessions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
