"""What the benchmark scripts share: options, server choice, summaries, the machine.

Each script (smtp_ingest, smtp_relay) runs its own cases; the report rules
are the same for all of them: medians over repeats, Mailroom's ratio to a
peer paired within each repeat, peak memory over the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

POLL_INTERVAL = 0.02
RSS_SAMPLE_EVERY = 5  # polls, i.e. every 100 ms


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def mb(kb: int | None) -> str:
    return f"{kb / 1024:.1f} MB" if kb else "-"


def add_run_options(parser: argparse.ArgumentParser, *, messages: int) -> None:
    """-n, -c, --size, --repeat, --timeout and --json, as every script has them."""
    parser.add_argument("-n", type=int, default=messages,
                        help=f"messages per run (default {messages})")
    parser.add_argument(
        "-c", "--concurrency", type=int, default=20, help="concurrent SMTP sessions (default 20)"
    )
    parser.add_argument(
        "--size", type=int, default=4096, help="message size in bytes (default 4096)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per case; report the median")
    parser.add_argument(
        "--timeout", type=float, default=300, help="seconds per run before it counts as failed"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")


def check_run_options(parser: argparse.ArgumentParser, args: argparse.Namespace,
                      *, min_size: int) -> None:
    if args.n < 1 or args.concurrency < 1 or args.repeat < 1 or args.size < min_size:
        parser.error(f"-n, -c and --repeat must be >= 1, --size >= {min_size}")


def pick_servers(
    parser: argparse.ArgumentParser,
    spec: str | None,
    servers: dict[str, tuple[Any, Callable[[], bool]]],
    candidates: Sequence[str],
) -> list[str]:
    """The servers named in ``spec`` (a comma list), or the available ``candidates``."""
    if spec is None:
        chosen = [name for name in candidates if servers[name][1]()]
        skipped = [name for name in candidates if name not in chosen]
        if skipped:
            log(f"skipping unavailable: {', '.join(skipped)}")
        return chosen
    chosen = [s.strip() for s in spec.split(",") if s.strip()]
    for name in chosen:
        if name not in servers:
            parser.error(f"unknown server {name!r}; choose from {', '.join(servers)}")
        if not servers[name][1]():
            parser.error(f"server {name!r} is not available on this machine")
    return chosen


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


class Run(Protocol):
    server: str
    repeat: int
    messages: int
    seconds: float | None
    rate: float | None
    peak_rss_kb: int | None
    rss_kind: str
    peak_pss_kb: int | None
    error: str | None


def summary_row(runs: Sequence[Run]) -> dict[str, Any]:
    """What every report gives for the runs of one case: medians, peaks, errors."""
    good = [r for r in runs if r.rate is not None]
    rss = [r.peak_rss_kb for r in runs if r.peak_rss_kb]
    pss = [r.peak_pss_kb for r in runs if r.peak_pss_kb]
    return {
        "messages": runs[0].messages,
        "runs_ok": len(good),
        "runs": len(runs),
        "seconds": statistics.median(r.seconds for r in good) if good else None,  # type: ignore[misc]
        "rate": statistics.median(r.rate for r in good) if good else None,  # type: ignore[misc]
        "rates": [round(r.rate, 1) for r in good if r.rate],
        "peak_rss_kb": max(rss) if rss else None,
        "rss_kind": runs[0].rss_kind,
        "peak_pss_kb": max(pss) if pss else None,
        "errors": [r.error for r in runs if r.error],
    }


def mailroom_ratios(runs: Sequence[Run], all_runs: Sequence[Run],
                    case: Callable[[Run], Hashable]) -> dict[str, Any]:
    """Mailroom's rate over each of ``runs``' rates, paired by repeat, and their median.

    Pairing within a repeat (same minutes, same machine load) and then taking
    the median is steadier than a ratio of medians. ``case`` says which runs
    are the same case apart from the server.
    """
    mailroom = {(case(r), r.repeat): r.rate for r in all_runs
                if r.server == "mailroom" and r.rate}
    ratios = [
        mailroom[(case(r), r.repeat)] / r.rate
        for r in runs
        if r.server != "mailroom" and r.rate and (case(r), r.repeat) in mailroom
    ]
    return {
        "ratio_mailroom_over": statistics.median(ratios) if ratios else None,
        "ratios_mailroom_over": [round(x, 3) for x in ratios],
    }


def ratio_text(row: dict[str, Any]) -> str:
    if row["server"] == "mailroom":
        return "1.00" if row["rate"] else "-"
    return f"{row['ratio_mailroom_over']:.2f}" if row["ratio_mailroom_over"] else "-"


@dataclass
class LoadStats:
    accepted: set[str] = field(default_factory=set)
    accepted_count: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    finished: bool = False

    def ok(self, token: str | None = None) -> None:
        self.accepted_count += 1
        if token is not None:
            self.accepted.add(token)

    def fail(self, what: str) -> None:
        """Count a failure; keep the first few distinct error texts."""
        self.failed += 1
        if what not in self.errors and len(self.errors) < 3:
            self.errors.append(what)


async def watch_run(
    task: asyncio.Task[Any],
    stats: LoadStats,
    count: Callable[[], int],
    n: int,
    *,
    start: float,
    timeout: float,
    sample: Callable[[], None] | None,
    arrived: str,
) -> tuple[float | None, str | None]:
    """Poll ``count()`` every 20 ms until ``n`` messages have ``arrived``; (seconds, error).

    ``sample`` (peak memory) runs every 100 ms. The load ``task`` is
    cancelled if it is still running at the end.
    """
    error: str | None = None
    elapsed: float | None = None
    polls = 0
    try:
        while True:
            got = count()
            now = time.perf_counter()
            if got >= n:
                elapsed = now - start
                break
            if task.done() and task.exception() is not None:
                exc = task.exception()
                error = f"load client crashed: {type(exc).__name__}: {exc}"
                break
            if stats.finished and stats.failed and got >= stats.accepted_count:
                error = f"{stats.failed} of {n} messages refused or failed"
                break
            if now - start > timeout:
                error = f"timeout after {timeout:g} s: {got} of {n} {arrived}"
                break
            if sample is not None and polls % RSS_SAMPLE_EVERY == 0:
                sample()
            polls += 1
            await asyncio.sleep(POLL_INTERVAL)
    finally:
        if not task.done():
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    if stats.errors and error is None:
        error = f"{stats.failed} of {n} messages refused or failed"
    if error and stats.errors:
        error += "; errors seen: " + " | ".join(stats.errors)
    return elapsed, error


def rotated(servers: list[str], repeat: int) -> list[str]:
    """The servers in a different order each repeat, so none always goes first."""
    k = repeat % len(servers)
    return servers[k:] + servers[:k]


def report(benchmark: str, params: dict[str, Any], rows: list[dict[str, Any]],
           runs: list[Any], as_json: bool, print_table: Callable[[], None]) -> int:
    """Print the JSON document or the table; exit status 0 when every run succeeded."""
    if as_json:
        doc = {"benchmark": benchmark, "params": params, "machine": machine(),
               "summary": rows, "runs": [asdict(r) for r in runs]}
        print(json.dumps(doc, indent=2))
    else:
        print_table()
    return 0 if all(r["runs_ok"] == r["runs"] for r in rows) else 1
