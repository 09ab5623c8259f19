#!/usr/bin/env python3
"""SMTP ingest with the inbound checks (SPF, DKIM, DMARC, ARC) on and off, in one run.

What it measures
    N messages (default 2000), each DKIM-signed by far.test with an RSA-2048
    and an Ed25519 key, sent from an outside address (127.0.0.2: not a relay
    network, so every message is checked) over C concurrent SMTP sessions
    (default 10, many messages per session) to one Mailroom daemon, timed
    from the first connection until all N sit in the Maildir. The far.test
    zone (SPF, both DKIM keys, DMARC p=reject) is served by the local DNS
    server (tests.support.dnsserver) that dns.nameservers points at.

    Runs alternate between `authcheck.enabled no` and `yes` (switched with
    `settings set` + `reload`, same daemon), --repeat times each; the median
    of each is reported with the cost: throughput lost in per cent, and the
    wall time added per message. Signing happens before the clock starts.
    Every "on" run checks that the delivered mail says dkim=pass dmarc=pass.

How to run (from the project root)
    .venv/bin/python bench/inbound_auth.py
    .venv/bin/python bench/inbound_auth.py -n 5000 -c 20 --repeat 3 --json

Everything binds 127.0.0.x high ports; the daemon and the DNS server stop
at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiosmtplib  # noqa: E402

from tests.support.daemon import Mailroom, make_mailroom  # noqa: E402
from tests.support.dnsserver import DnsServer  # noqa: E402
from tests.support.mailauth import FarDomain, message  # noqa: E402

OUTSIDE = "127.0.0.2"
RECIPIENT = "bob@example.test"


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def send_all(port: int, messages: list[tuple[str, bytes]], sessions: int) -> None:
    """(recipient, message) pairs from the outside address, over ``sessions`` connections."""
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for item in messages:
        queue.put_nowait(item)

    async def session() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=60,
                                 source_address=(OUTSIDE, 0), local_hostname="mx.far.test",
                                 start_tls=False)
        await client.connect()
        try:
            while not queue.empty():
                to, msg = queue.get_nowait()
                await client.sendmail("carol@far.test", [to], msg)
        finally:
            await client.quit()

    await asyncio.gather(*(session() for _ in range(sessions)))


def count(m: Mailroom) -> int:
    return len(m.maildir_files(RECIPIENT))


def one_run(m: Mailroom, messages: list[bytes], sessions: int) -> float:
    before = count(m)
    start = time.monotonic()
    asyncio.run(send_all(m.port("smtp"), [(RECIPIENT, msg) for msg in messages], sessions))
    while count(m) < before + len(messages):
        if time.monotonic() - start > 600:
            raise SystemExit("messages did not all arrive in 10 minutes")
        time.sleep(0.02)
    return len(messages) / (time.monotonic() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("-n", "--messages", type=int, default=2000)
    parser.add_argument("-c", "--sessions", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    far = FarDomain()
    body = "".join(f"line {i} of a message of about four kilobytes, as mail is\r\n"
                   for i in range(60))
    log(f"signing {args.messages} messages (RSA-2048 + Ed25519)...")
    batches = []
    for run in range(args.repeat * 2):
        batches.append([
            far.sign(message(subject=f"bench {run}-{i}").replace(
                b"Hello from outside.\r\n", body.encode()))
            for i in range(args.messages)
        ])
    rates: dict[str, list[float]] = {"off": [], "on": []}
    with DnsServer(far.zone()) as dns_server, tempfile.TemporaryDirectory() as tmp:
        m = make_mailroom(Path(tmp))
        m.cli("settings", "set", "dns.nameservers", dns_server.nameserver)
        m.start()
        try:
            for run, batch in enumerate(batches):
                mode = "off" if run % 2 == 0 else "on"
                m.cli("settings", "set", "authcheck.enabled", "yes" if mode == "on" else "no")
                m.cli("reload")
                rate = one_run(m, batch, args.sessions)
                rates[mode].append(rate)
                log(f"run {run + 1}: checks {mode}: {rate:.0f} msg/s")
                if mode == "on":
                    newest = max(m.maildir_files(RECIPIENT), key=lambda p: p.stat().st_mtime)
                    text = newest.read_text()
                    if "dkim=pass" not in text or "dmarc=pass" not in text:
                        raise SystemExit(f"checks on but no dkim/dmarc pass in {newest}")
        finally:
            m.stop()
    off, on = statistics.median(rates["off"]), statistics.median(rates["on"])
    result = {
        "messages": args.messages, "sessions": args.sessions, "repeat": args.repeat,
        "checks_off_msg_per_s": round(off, 1), "checks_on_msg_per_s": round(on, 1),
        "cost_percent": round((1 - on / off) * 100, 1),
        "cost_ms_per_message": round((1 / on - 1 / off) * 1000, 3),
        "runs": rates,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"checks off: {off:.0f} msg/s   checks on: {on:.0f} msg/s   "
              f"cost: {result['cost_percent']}% of throughput, "
              f"{result['cost_ms_per_message']} ms per message "
              f"({args.messages} messages x {args.repeat} runs each, {args.sessions} sessions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
