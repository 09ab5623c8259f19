#!/usr/bin/env python3
"""SMTP ingest benchmark: Mailroom beside Postfix and a bare aiosmtpd handler.

What it measures
    End-to-end SMTP ingest: N messages (default 5000 x ~4 KB) sent over
    C concurrent SMTP sessions (default 20) to 127.0.0.1, timed from the
    first connection until ALL N messages sit in the recipient Maildirs'
    new/ directories (polled every 20 ms) - not until the last 250.  Every
    server gets the same messages from the same client in the same run.

    --mode persistent   each session sends many messages over one
                        connection, with RSET between messages
    --mode per-session  one message per connection (connect, EHLO, MAIL,
                        RCPT, DATA, QUIT)

    Servers, each started fresh in its own temporary directory per run:
      mailroom  the product via its CLI (init, account add, serve
                --port-offset); peak RSS = the daemon's VmHWM
      bare      aiosmtpd Controller in a child process; handle_DATA writes
                to tmp/, fsyncs, renames into new/, fsyncs new/, then 250;
                peak RSS = its VmHWM
      postfix   a private instance (postfix -c DIR, loopback high port,
                virtual(8) Maildir delivery); only if /usr/sbin/postfix
                exists; peak RSS = sum of VmRSS over master + children,
                sampled every 100 ms
    Also reported for every server: peak PSS summed over all its processes
    (sampled every 100 ms), the fair memory figure across one-process and
    many-process servers (summed RSS counts Postfix's shared pages once per
    smtpd, so it is several times its real footprint).

    Load client: asyncio + aiosmtplib (default), identical for every server;
    optionally also Postfix's smtp-source (--client aiosmtplib,smtp-source).
    With aiosmtplib every message carries a unique X-Bench-Token header, and
    after each run the delivered files are checked: every accepted token
    exactly once.  smtp-source messages carry no token, so they are counted
    only.

    Reported: msg/s (median over --repeat runs), ratio Mailroom/peer
    (> 1 means Mailroom is faster), and peak RSS.  Absolute rates on a
    shared machine drift; compare the ratios from one run.

How to run (from the project root, with the project's venv)
    .venv/bin/python bench/smtp_ingest.py                    # all servers, both modes
    .venv/bin/python bench/smtp_ingest.py -n 1000 --servers bare,postfix
    .venv/bin/python bench/smtp_ingest.py --mode persistent --repeat 3 --json > ingest.json
    .venv/bin/python bench/smtp_ingest.py --client aiosmtplib,smtp-source

Postfix must run as root (it switches to the `postfix` user and delivers as a
numeric uid); it is skipped when not installed.  Everything binds 127.0.0.1
high ports only, and processes and temp dirs are cleaned up on exit and
Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Any

import aiosmtplib
from peers import bare_aiosmtpd, mailroom, postfix
from peers.base import RECIPIENT, Server, ServerError, unwind_on_signals
from peers.harness import (
    LoadStats,
    add_run_options,
    check_run_options,
    log,
    mailroom_ratios,
    mb,
    pick_servers,
    ratio_text,
    report,
    rotated,
    summary_row,
    watch_run,
)

SERVERS: dict[str, tuple[Callable[[], Server], Callable[[], bool]]] = {
    "mailroom": (mailroom.Mailroom, mailroom.available),
    "bare": (bare_aiosmtpd.BareAiosmtpd, lambda: True),
    "postfix": (postfix.Postfix, postfix.available),
}
MODES = ("persistent", "per-session")
CLIENTS = ("aiosmtplib", "smtp-source")
CLIENT_HELO = "loadgen.example.net"
TOKEN_RE = re.compile(rb"^X-Bench-Token: *(\S+)", re.MULTILINE)
SMTP_SOURCE_HEADER_BYTES = 150  # smtp-source's -l excludes its few header lines


# ----------------------------------------------------------- messages


def build_messages(n: int, size: int, sender: str, run_id: str) -> tuple[list[bytes], list[str]]:
    """N messages of `size` bytes (CRLF, headers included), each with a unique token."""
    filler = b"The quick brown fox jumps over the lazy dog; pack my box with five dozen jugs.\r\n"
    date = formatdate(localtime=True)
    messages: list[bytes] = []
    tokens: list[str] = []
    for i in range(n):
        token = f"{run_id}-{i:07d}"
        head = (
            f"From: Load Generator <{sender}>\r\n"
            f"To: <{RECIPIENT}>\r\n"
            f"Subject: bench message {token}\r\n"
            f"Date: {date}\r\n"
            f"Message-ID: <{token}@{CLIENT_HELO}>\r\n"
            f"X-Bench-Token: {token}\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n"
            "\r\n"
        ).encode()
        room = max(size - len(head), 2)
        body = (filler * (room // len(filler) + 1))[: room - 2] + b"\r\n"
        messages.append(head + body)
        tokens.append(token)
    return messages, tokens


# ----------------------------------------------------------- Maildir counting


def new_dirs(root: Path) -> list[str]:
    """Every Maildir new/ directory under `root` (any depth, any folder)."""
    found: list[str] = []
    for dirpath, dirnames, _ in os.walk(root):
        if "new" in dirnames:
            found.append(os.path.join(dirpath, "new"))
        # Never descend into Maildir internals: listing them is the cost.
        dirnames[:] = [d for d in dirnames if d not in ("new", "cur", "tmp")]
    return found


def count_delivered(root: Path) -> int:
    total = 0
    for d in new_dirs(root):
        with contextlib.suppress(FileNotFoundError):
            total += len(os.listdir(d))
    return total


def delivered_files(root: Path) -> Iterator[str]:
    for d in new_dirs(root):
        for name in os.listdir(d):
            yield os.path.join(d, name)


def check_tokens(root: Path, accepted: set[str]) -> str | None:
    """None if every accepted token was delivered exactly once, else what is wrong."""
    seen: Counter[str] = Counter()
    untokened = 0
    for path in delivered_files(root):
        with open(path, "rb") as f:
            match = TOKEN_RE.search(f.read())
        if match:
            seen[match.group(1).decode("ascii", "replace")] += 1
        else:
            untokened += 1
    problems = []
    if missing := accepted - seen.keys():
        problems.append(f"{len(missing)} accepted but not delivered (e.g. {min(missing)})")
    if dups := sum(c - 1 for c in seen.values() if c > 1):
        problems.append(f"{dups} duplicate deliveries")
    if foreign := seen.keys() - accepted:
        problems.append(f"{len(foreign)} unexpected tokens")
    if untokened:
        problems.append(f"{untokened} files without a token")
    return "; ".join(problems) or None


# ----------------------------------------------------------- load clients


async def aiosmtplib_load(
    server: Server,
    mode: str,
    messages: list[bytes],
    tokens: list[str],
    concurrency: int,
    sender: str,
    stats: LoadStats,
) -> None:
    """`concurrency` sessions pull message indices from one shared iterator."""
    pending = iter(range(len(messages)))

    async def connect() -> aiosmtplib.SMTP:
        smtp = aiosmtplib.SMTP(
            hostname=server.host,
            port=server.port,
            local_hostname=CLIENT_HELO,
            use_tls=False,
            start_tls=False,
            timeout=120,
        )
        await smtp.connect()
        return smtp

    async def send(smtp: aiosmtplib.SMTP, i: int) -> None:
        try:
            errors, _ = await smtp.sendmail(sender, [RECIPIENT], messages[i])
        except aiosmtplib.SMTPException as e:
            stats.fail(f"{type(e).__name__}: {e}")
            return
        if errors:
            stats.fail(f"recipients refused: {errors}")
        else:
            stats.ok(tokens[i])

    async def persistent_session() -> None:
        smtp: aiosmtplib.SMTP | None = None
        used = False  # a message went over this connection: RSET before the next
        try:
            for i in pending:
                try:
                    if smtp is None or not smtp.is_connected:
                        smtp, used = await connect(), False
                    elif used:
                        await smtp.rset()
                except (aiosmtplib.SMTPException, OSError) as e:
                    stats.fail(f"session: {type(e).__name__}: {e}")
                    if smtp is not None:
                        smtp.close()
                    smtp = None
                    continue
                await send(smtp, i)
                used = True
            if smtp is not None and smtp.is_connected:
                with contextlib.suppress(aiosmtplib.SMTPException):
                    await smtp.quit()
        finally:
            if smtp is not None:
                smtp.close()

    async def per_message_sessions() -> None:
        for i in pending:
            try:
                smtp = await connect()
            except (aiosmtplib.SMTPException, OSError) as e:
                stats.fail(f"connect: {type(e).__name__}: {e}")
                continue
            try:
                await send(smtp, i)
                with contextlib.suppress(aiosmtplib.SMTPException):
                    await smtp.quit()
            finally:
                smtp.close()

    worker = persistent_session if mode == "persistent" else per_message_sessions
    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        stats.finished = True


async def smtp_source_load(
    server: Server, mode: str, n: int, concurrency: int, size: int, sender: str, stats: LoadStats
) -> None:
    """Postfix's smtp-source: counts messages sent, aborts on any unexpected reply."""
    args = [
        str(postfix.SMTP_SOURCE),
        "-s", str(concurrency),
        "-m", str(n),
        "-l", str(max(size - SMTP_SOURCE_HEADER_BYTES, 1)),
        "-f", sender,
        "-t", RECIPIENT,
        "-M", CLIENT_HELO,
        "-S", "bench message",
    ]  # fmt: skip
    if mode == "persistent":
        args.append("-d")
    args.append(f"{server.host}:{server.port}")
    proc = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await proc.communicate()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    finally:
        stats.finished = True
    if proc.returncode == 0:
        stats.accepted_count = n
    else:
        text = (err or out).decode(errors="replace").strip()
        stats.fail(f"smtp-source exited {proc.returncode}: {text[-500:]}")


# ----------------------------------------------------------- one run


@dataclass
class RunResult:
    mode: str
    client: str
    server: str
    repeat: int
    messages: int
    delivered: int = 0
    seconds: float | None = None
    rate: float | None = None
    peak_rss_kb: int | None = None
    rss_kind: str = ""
    peak_pss_kb: int | None = None
    error: str | None = None


async def timed_run(
    server: Server, load: Callable[[LoadStats], Any], n: int, timeout: float
) -> tuple[float | None, int, LoadStats, str | None]:
    """Start the load, poll new/ every 20 ms; (seconds, delivered, stats, error)."""
    stats = LoadStats()
    start = time.perf_counter()
    task = asyncio.create_task(load(stats))
    elapsed, error = await watch_run(
        task, stats, lambda: count_delivered(server.mail_root), n, start=start,
        timeout=timeout, sample=server.sample_rss, arrived="delivered",
    )
    return elapsed, count_delivered(server.mail_root), stats, error


def run_one(
    args: argparse.Namespace, server_name: str, mode: str, client: str, rep: int
) -> RunResult:
    n = args.n
    result = RunResult(mode=mode, client=client, server=server_name, repeat=rep, messages=n)
    factory, _ = SERVERS[server_name]
    tokens: list[str] = []

    if client == "aiosmtplib":
        messages, tokens = build_messages(n, args.size, args.sender, secrets.token_hex(4))

        def load(stats: LoadStats) -> Any:
            return aiosmtplib_load(
                server, mode, messages, tokens, args.concurrency, args.sender, stats
            )
    else:

        def load(stats: LoadStats) -> Any:
            return smtp_source_load(
                server, mode, n, args.concurrency, args.size, args.sender, stats
            )

    try:
        with factory() as server:
            result.rss_kind = server.rss_kind
            server.start()
            elapsed, delivered, stats, error = asyncio.run(timed_run(server, load, n, args.timeout))
            result.peak_rss_kb = server.peak_rss_kb()
            result.peak_pss_kb = server.peak_pss_kb()
            result.delivered = delivered
            if error is None and tokens:
                problem = check_tokens(server.mail_root, stats.accepted)
                if problem:
                    error = f"delivery check failed: {problem}"
            if error is None and elapsed:
                result.seconds = elapsed
                result.rate = n / elapsed
            result.error = error
    except ServerError as e:
        result.error = f"server did not start: {e}"
    except Exception as e:  # report it and go on with the other servers
        result.error = f"{type(e).__name__}: {e}"
    return result


# ----------------------------------------------------------- report


def summarize(results: list[RunResult], servers: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    keys = sorted(
        {(r.mode, r.client, r.server) for r in results},
        key=lambda k: (MODES.index(k[0]), CLIENTS.index(k[1]), servers.index(k[2])),
    )
    for mode, client, server in keys:
        runs = [r for r in results if (r.mode, r.client, r.server) == (mode, client, server)]
        rows.append({
            "mode": mode, "client": client, "server": server, **summary_row(runs),
            **mailroom_ratios(runs, results, lambda r: (r.mode, r.client)),
        })
    return rows


def print_table(rows: list[dict[str, Any]], repeat: int) -> None:
    head = (
        f"{'mode':<12} {'client':<11} {'server':<9} {'msgs':>6} {'ok':>5} "
        f"{'seconds':>8} {'msg/s':>8} {'ratio(mailroom/x)':>18}  {'peak RSS':<22} peak PSS"
    )
    print(head)
    print("-" * (len(head) + 14))
    for r in rows:
        seconds = f"{r['seconds']:.2f}" if r["seconds"] else "FAILED"
        rate = f"{r['rate']:.1f}" if r["rate"] else "-"
        ratio = ratio_text(r)
        rss = f"{mb(r['peak_rss_kb'])} ({r['rss_kind']})" if r["peak_rss_kb"] else "-"
        pss = mb(r["peak_pss_kb"])
        print(
            f"{r['mode']:<12} {r['client']:<11} {r['server']:<9} {r['messages']:>6} "
            f"{r['runs_ok']}/{r['runs']:<3} {seconds:>8} {rate:>8} {ratio:>18}  {rss:<22} {pss}"
        )
    if repeat > 1:
        print(
            f"(seconds, msg/s: median of {repeat} runs; ratio: median of the per-run "
            "ratios; memory: largest run)"
        )
    print("(peak PSS: sum over all the server's processes, sampled every 100 ms)")
    failures = [(r, e) for r in rows for e in r["errors"]]
    if failures:
        print("\nfailures:")
        for r, e in failures:
            print(f"  {r['mode']} {r['client']} {r['server']}: {e}")


# ----------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="SMTP ingest throughput, end to end into Maildir, Mailroom vs peers.",
        epilog="See the module docstring for what exactly is measured.",
    )
    add_run_options(parser, messages=5000)
    parser.add_argument("--mode", choices=(*MODES, "both"), default="both")
    parser.add_argument(
        "--servers",
        default=None,
        help="comma list of mailroom,bare,postfix (default: all available)",
    )
    parser.add_argument(
        "--client",
        default="aiosmtplib",
        help="comma list of load generators: aiosmtplib,smtp-source (default aiosmtplib)",
    )
    parser.add_argument("--sender", default="loadgen@example.net", help="envelope and From sender")
    args = parser.parse_args(argv)
    check_run_options(parser, args, min_size=256)
    args.servers = pick_servers(parser, args.servers, SERVERS, list(SERVERS))
    args.clients = [c.strip() for c in args.client.split(",") if c.strip()]
    for c in args.clients:
        if c not in CLIENTS:
            parser.error(f"unknown client {c!r}; choose from {', '.join(CLIENTS)}")
        if c == "smtp-source" and not postfix.SMTP_SOURCE.exists():
            parser.error(f"{postfix.SMTP_SOURCE} not found (it comes with the postfix package)")
    args.modes = list(MODES) if args.mode == "both" else [args.mode]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    unwind_on_signals()
    log(
        f"smtp_ingest: {args.n} msgs x {args.size} B, {args.concurrency} sessions, "
        f"modes {','.join(args.modes)}, clients {','.join(args.clients)}, "
        f"servers {','.join(args.servers)}, repeat {args.repeat}; "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    )
    results: list[RunResult] = []
    try:
        for rep in range(args.repeat):
            for mode in args.modes:
                for client in args.clients:
                    for name in rotated(args.servers, rep):
                        r = run_one(args, name, mode, client, rep)
                        results.append(r)
                        what = f"[{rep + 1}/{args.repeat}] {mode:<11} {client:<11} {name:<8}"
                        if r.rate:
                            log(
                                f"{what} {r.messages} msgs in {r.seconds:.2f} s = "
                                f"{r.rate:.1f} msg/s, RSS {mb(r.peak_rss_kb)}, "
                                f"PSS {mb(r.peak_pss_kb)}"
                            )
                        else:
                            log(f"{what} FAILED: {r.error}")
    except KeyboardInterrupt:
        log("interrupted; servers stopped and temp dirs removed")
        if not results:
            return 130

    rows = summarize(results, args.servers)
    params = {
        "messages": args.n, "size": args.size, "concurrency": args.concurrency,
        "modes": args.modes, "clients": args.clients, "servers": args.servers,
        "repeat": args.repeat,
    }
    return report("smtp_ingest", params, rows, results, args.json,
                  lambda: print_table(rows, args.repeat))

if __name__ == "__main__":
    sys.exit(main())
