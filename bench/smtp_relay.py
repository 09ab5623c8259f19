#!/usr/bin/env python3
"""SMTP relay benchmark: Mailroom beside Postfix, relaying to a remote sink.

What it measures
    End-to-end relay throughput: N messages (default 2000 x ~4 KB) are
    submitted over C concurrent, persistent SMTP sessions (default 20;
    aiosmtplib client, RSET between messages) from 127.0.0.1 to the server
    under test, each for one recipient userI@far.test - a REMOTE domain, so
    the server must queue it and deliver it onward by SMTP.  The far side is
    one sink on 127.0.0.4:HIGHPORT (accepts everything, no fsync, no
    STARTTLS), chosen with --sink:
      aiosmtpd   (default) bench/peers/relay_sink.py: aiosmtpd in its own
                 Python process, appends one line per message to a file.
                 Never offers PIPELINING.  On 2 cores it takes ~15% of the
                 machine (0.4-1.1 ms CPU per message measured here),
                 which the servers then lack.
      smtp-sink  bench/peers/smtp_sink.py: Postfix's smtp-sink(1) in C
                 (package postfix), one process, dumping every message to a
                 file on tmpfs (-D); 0.1-0.3 ms CPU per message.  Offers
                 PIPELINING unless --sink-pipelining no (its -p).
    The clock runs from the first client connection until the sink has
    received all N messages (its file is polled every 20 ms; only messages
    received whole count) - not until the last 250 at submission.  Also
    shown: when the client had finished submitting ("submit s"), i.e. how
    far the outgoing queue fell behind, and the sink's own CPU per message.

    Every message carries a unique X-Bench-Token header; after each run the
    sink's record is checked: every accepted token arrived exactly once, no
    foreign tokens (a 1 s settle time, outside the timing, lets late
    duplicates show up), every body whole (smtp-sink), and every message
    with as many DKIM-Signature fields as its server must add (2 for a
    signing Mailroom or postfix-dkim, else 0); with smtp-sink, which keeps
    the messages, every signature of the first 20 is also verified
    (dkimpy, against the records `main.py dkim show --json` or the
    OpenDKIM keys give).

    Servers, each started fresh in its own temporary directory per run, with
    a fresh sink per run:
      mailroom  the product via its CLI (init, account add, `settings set
                dns.nameservers 127.0.0.1:DNSPORT`, `settings set
                delivery.remote_port SINKPORT`, serve --port-offset).  A
                real DNS server (tests/support/dnsserver.py, own process) says
                far.test MX 10 mx.far.test, mx.far.test A 127.0.0.4.
                Peak RSS = the daemon's VmHWM.
      postfix   a private instance (bench/peers/postfix.py) relaying:
                mynetworks = 127.0.0.0/8, relay_domains empty,
                transport_maps = texthash: "far.test smtp:[127.0.0.4]:SINKPORT",
                smtp_dns_support_level = disabled, smtp_tls_security_level =
                none, default_destination_concurrency_limit = 10.  Peak RSS =
                sum of VmRSS over master + children, sampled every 100 ms.
      postfix-nocache  (only with --servers) the same with
                smtp_connection_cache_on_demand = no: one connection per
                message, as Mailroom does.
      postfix-dkim  (only with --servers) the same Postfix signing as
                Mailroom does: every message from the sender's domain gets
                an RSA-2048 and an Ed25519 DKIM-Signature, relaxed/relaxed,
                Mailroom's signed header list, from two private OpenDKIM
                milters (bench/peers/opendkim.py: Debian 12's OpenDKIM 2.11
                signs with one algorithm per instance) on 127.0.0.1 high
                ports, smtpd_milters, milter_default_action = tempfail.
                Their CPU and memory count as Postfix's.  Needs
                `apt-get install -y --no-install-recommends opendkim
                opendkim-tools` (not in packaging/deps.sh: benches do not
                run in CI).
      mailroom-nodkim  (only with --servers) the same with dkim.enabled = no:
                `--servers mailroom,mailroom-nodkim` gives the cost of DKIM
                signing (both keys, relaxed/relaxed) per message.
      direct    (only with --servers) the client straight into the sink:
                the ceiling the sink and client allow, no relay at all.
      mailroom-worker, mailroom-worker-nodkim  (only with --servers) the
                same with delivery.worker_process = yes: DKIM signing and the
                SMTP client in a second process the daemon supervises (the
                default since 2026-11-30, so these equal mailroom and
                mailroom-nodkim; kept so older command lines still run).
      mailroom-oneprocess, mailroom-oneprocess-nodkim  (only with --servers)
                delivery.worker_process = no: everything in the daemon's one
                process, as before 2026-11-30.
                Beside the table: mailroom[-worker] / postfix-dkim (both sign)
                and mailroom[-worker]-nodkim / postfix (neither signs), the
                median of the per-repeat ratios, when both are in the run.
      mailroom-before, mailroom-before-nodkim  (only with --servers) the same
                as mailroom / mailroom-nodkim, but the daemon of another
                checkout (--before-main, default /tmp/before/main.py, run
                with this venv's Python): before and after in one run.
    Peak PSS summed over all the server's processes (sampled every 100 ms)
    is the fair memory figure across one-process and many-process servers.
    The DNS server and the sink are not counted in any server's memory.

Fairness caveats (read before quoting a ratio)
    - Route lookup is asymmetric: Mailroom does a real MX + A/AAAA lookup
      over UDP to the loopback DNS server (answers cached by TTL, so once
      per domain in a run); Postfix is pointed at [127.0.0.4] by its
      transport map and looks up nothing.
    - Connection reuse: both keep connections to a destination open and
      send many messages over each (Postfix's connection cache on demand;
      Mailroom's 5 s idle cache).  `--servers mailroom,postfix,
      postfix-nocache` shows how much reuse is worth to Postfix.
    - Concurrency: both are limited to 10 parallel connections to far.test
      (Mailroom's delivery.max_per_destination default is 10; Postfix's own
      default_destination_concurrency_limit is 20, set to 10 here).  Postfix
      starts a destination at initial_destination_concurrency = 5 and ramps up.
    - DKIM: a signing Mailroom (From: bench@example.test is its own
      domain, so it has the domain's two keys) signs in its delivery path
      (the sink check proves it did); OpenDKIM
      signs at submission, through two milter round trips per message
      (one per algorithm) and parses its PEM key for every message
      (OpenSSL 3 decoders) - its real cost, as shipped.  Mailroom names
      absent headers of its list in h=, OpenDKIM only present ones.
    - PIPELINING: only the smtp-sink sink offers it; aiosmtpd never does.
    - TLS: Mailroom tries opportunistic STARTTLS, Postfix is set to
      smtp_tls_security_level = none; the sink offers no STARTTLS, so both
      send in plain text and Mailroom pays only an EHLO-reply check.
    - Durability: both fsync the queue file before answering 250 at
      submission; neither waits for the sink to fsync (it does not).
    - Safety: Postfix keeps default_transport = error from the ingest setup,
      so only far.test (routed by the transport map) can leave it; Mailroom
      can only reach what the loopback DNS server names.  Everything binds
      127.0.0.x high ports.

    Server CPU per message: user + system time of all the server's
    processes (for Postfix also of the children its master has reaped) from
    the load's start until the sink has everything, over the message count.

    Reported: msg/s (median over --repeat runs), ratio Mailroom/peer paired
    within each repeat (> 1 means Mailroom is faster), peak RSS and PSS, and
    counts of deferrals, bounces and warnings/errors found in each server's
    log.  Absolute rates on a shared machine drift; compare the ratios.

How to run (from the project root, with the project's venv; as root for Postfix)
    .venv/bin/python bench/smtp_relay.py
    .venv/bin/python bench/smtp_relay.py --repeat 3
    .venv/bin/python bench/smtp_relay.py -n 500 --servers mailroom,postfix,postfix-nocache,direct
    .venv/bin/python bench/smtp_relay.py --repeat 3 --json > relay.json
    .venv/bin/python bench/smtp_relay.py --repeat 3 --servers mailroom,mailroom-before,postfix
    .venv/bin/python bench/smtp_relay.py --repeat 3 --sink smtp-sink \
        --servers mailroom-worker,mailroom-worker-nodkim,postfix,postfix-dkim

Processes (servers, milters, DNS server, sink) and temp dirs are cleaned up on exit,
errors, Ctrl-C, SIGTERM and SIGHUP.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosmtplib
from peers import mailroom, opendkim, postfix, smtp_sink
from peers.base import (
    RECIPIENT,
    Server,
    ServerError,
    tail,
    terminate_process,
    unwind_on_signals,
)
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
from peers.relay_sink import SINK_HOST, RelaySink, Sink
from smtp_ingest import CLIENT_HELO, build_messages

REMOTE_DOMAIN = "far.test"
MX_NAME = f"mx.{REMOTE_DOMAIN}"
SENDER = RECIPIENT  # a local address of both servers (bench@example.test)
SENDER_DOMAIN = SENDER.rpartition("@")[2]
# Mailroom signs mail from its own domains with both its keys (RSA-2048 + Ed25519).
MAILROOM_SIGNATURES = 2
SETTLE_SECONDS = 1.0
PROJECT_DIR = mailroom.PROJECT_DIR


def recipient(i: int) -> str:
    return f"user{i}@{REMOTE_DOMAIN}"


# ----------------------------------------------------------- DNS server


class DnsServerProcess:
    """tests/support/dnsserver.py in its own process on 127.0.0.1, a free port."""

    def __init__(self, zone: dict[str, Any]) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="bench-dns-"))
        self.zone_file = self.workdir / "zone.json"
        self.zone_file.write_text(json.dumps(zone))
        self.log = self.workdir / "dns.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self) -> None:
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.support.dnsserver",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",  # it picks a port free for UDP and TCP and prints it
                    "--zone",
                    str(self.zone_file),
                ],
                cwd=PROJECT_DIR,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            match = re.search(r"listening on 127\.0\.0\.1:(\d+)", self.log.read_text())
            if match:
                self.port = int(match.group(1))
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise ServerError(f"DNS test server did not start:\n{tail(self.log)}")

    def cleanup(self) -> None:
        try:
            terminate_process(self.proc)
            self.proc = None
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


# ----------------------------------------------------------- servers under test


@dataclass
class Setup:
    """One server under test plus what it needs; `server` is None for direct."""

    server: Server | None
    host: str
    port: int
    log_path: Path | None = None
    signatures: int = 0  # DKIM-Signature fields every message must reach the sink with
    # The signing server's DKIM records (name -> TXT value), read after the run.
    dkim_records: Callable[[], dict[str, str]] | None = None


BEFORE_MAIN = Path("/tmp/before/main.py")  # --before-main


def start_mailroom(
    stack: contextlib.ExitStack, sink: Sink, dkim: bool = True, before: bool = False,
    worker: bool | None = None,
) -> Setup:
    dns = DnsServerProcess(
        {
            REMOTE_DOMAIN: {"MX": [[10, MX_NAME]]},
            MX_NAME: {"A": [sink.host]},
        }
    )
    stack.callback(dns.cleanup)
    dns.start()
    server = stack.enter_context(
        mailroom.Mailroom(
            main_py=BEFORE_MAIN if before else mailroom.MAIN_PY,
            settings={
                "dns.nameservers": f"127.0.0.1:{dns.port}",
                "delivery.remote_port": str(sink.port),
                # From: bench@example.test is ours: each message is DKIM-signed
                # (RSA-2048 + Ed25519) on its way out unless this is off.
                "dkim.enabled": "yes" if dkim else "no",
                # Signing and sending in a second process (appliance.delivery.worker):
                # the product's default since 2026-11-30; None leaves the default.
                **({} if worker is None else
                   {"delivery.worker_process": "yes" if worker else "no"}),
            }
        )
    )
    server.start()
    return Setup(server, server.host, server.port, server.home / "logs" / "mailroom.log",
                 signatures=MAILROOM_SIGNATURES if dkim else 0,
                 dkim_records=lambda: mailroom_dkim_records(server))


def mailroom_dkim_records(server: mailroom.Mailroom) -> dict[str, str]:
    """The active keys' records, from `main.py dkim show DOMAIN --json`."""
    out = subprocess.run(
        [server.python, str(server.main_py), "dkim", "show", SENDER_DOMAIN, "--json"],
        cwd=server.main_py.parent, env=server.env, capture_output=True, text=True,
        timeout=60, check=True,
    ).stdout
    return {k["name"]: k["value"] for k in json.loads(out)["keys"] if k["state"] == "active"}


def postfix_relay_config(sink: Sink, conn_cache: bool) -> tuple[dict[str, str], str]:
    main_cf = {
        "mynetworks": "127.0.0.0/8",
        "relay_domains": "",
        # Only far.test is routed anywhere; everything else stays `error`.
        "transport_maps": "texthash:$config_directory/transport",
        "smtp_dns_support_level": "disabled",
        "smtp_tls_security_level": "none",
        "default_destination_concurrency_limit": "10",
    }
    if not conn_cache:
        main_cf["smtp_connection_cache_on_demand"] = "no"
    transport = f"{REMOTE_DOMAIN} smtp:[{sink.host}]:{sink.port}\n"
    return main_cf, transport


def start_postfix(stack: contextlib.ExitStack, sink: Sink, conn_cache: bool = True) -> Setup:
    main_cf, transport = postfix_relay_config(sink, conn_cache)
    server = stack.enter_context(
        postfix.Postfix(main_cf=main_cf, etc_files={"transport": transport})
    )
    server.start()
    return Setup(server, server.host, server.port, server.maillog)


def start_postfix_dkim(stack: contextlib.ExitStack, sink: Sink) -> Setup:
    """Postfix with private OpenDKIM milters (one per algorithm, see
    bench/peers/opendkim.py) signing mail from the sender's domain."""
    algorithms = ("rsa", "ed25519") if opendkim.ed25519_supported() else ("rsa",)
    milters = []
    for algorithm in algorithms:
        milter = stack.enter_context(opendkim.OpenDkim(SENDER_DOMAIN, algorithm))
        milter.start()
        milters.append(milter)
    # OpenDKIM takes ~5 s to stop: let them all stop at once, after Postfix.
    stack.callback(lambda: [m.begin_stop() for m in milters])
    main_cf, transport = postfix_relay_config(sink, conn_cache=True)
    main_cf.update({
        "smtpd_milters": ", ".join(m.milter for m in milters),
        # A milter that fails must not let mail out unsigned.
        "milter_default_action": "tempfail",
    })
    server = stack.enter_context(
        postfix.Postfix(main_cf=main_cf, etc_files={"transport": transport},
                        companions=milters)
    )
    server.start()
    return Setup(
        server, server.host, server.port, server.maillog, signatures=len(milters),
        dkim_records=lambda: {
            f"{m.selector}._domainkey.{SENDER_DOMAIN}.": opendkim.public_record(m.key)
            for m in milters if m.key is not None
        },
    )


def start_direct(stack: contextlib.ExitStack, sink: Sink) -> Setup:
    return Setup(None, sink.host, sink.port)


SERVERS: dict[
    str, tuple[Callable[[contextlib.ExitStack, Sink], Setup], Callable[[], bool]]
] = {
    "mailroom": (start_mailroom, mailroom.available),
    "mailroom-nodkim": (
        lambda stack, sink: start_mailroom(stack, sink, dkim=False),
        mailroom.available,
    ),
    "mailroom-worker": (
        lambda stack, sink: start_mailroom(stack, sink, worker=True),
        mailroom.available,
    ),
    "mailroom-worker-nodkim": (
        lambda stack, sink: start_mailroom(stack, sink, dkim=False, worker=True),
        mailroom.available,
    ),
    "mailroom-oneprocess": (
        lambda stack, sink: start_mailroom(stack, sink, worker=False),
        mailroom.available,
    ),
    "mailroom-oneprocess-nodkim": (
        lambda stack, sink: start_mailroom(stack, sink, dkim=False, worker=False),
        mailroom.available,
    ),
    "mailroom-before": (
        lambda stack, sink: start_mailroom(stack, sink, before=True),
        lambda: BEFORE_MAIN.exists(),
    ),
    "mailroom-before-nodkim": (
        lambda stack, sink: start_mailroom(stack, sink, dkim=False, before=True),
        lambda: BEFORE_MAIN.exists(),
    ),
    "postfix": (start_postfix, postfix.available),
    "postfix-nocache": (
        lambda stack, sink: start_postfix(stack, sink, conn_cache=False),
        postfix.available,
    ),
    "postfix-dkim": (
        start_postfix_dkim,
        lambda: postfix.available() and opendkim.available(),
    ),
    "direct": (start_direct, lambda: True),
}
DEFAULT_SERVERS = ("mailroom", "postfix")
# Pairs shown side by side under the table: (Mailroom side, peer, what they have in common).
LIKE_FOR_LIKE = (
    ("mailroom", "postfix-dkim", "both sign"),
    ("mailroom-nodkim", "postfix", "neither signs"),
    ("mailroom-worker", "postfix-dkim", "both sign"),
    ("mailroom-worker-nodkim", "postfix", "neither signs"),
)


# ----------------------------------------------------------- log analysis


def scan_log(server_name: str, path: Path | None) -> dict[str, Any]:
    """Deferrals, bounces and warnings/errors in the server's log."""
    if path is None:
        return {}
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return {"log": f"unreadable: {path}"}
    lines = text.splitlines()
    if server_name.startswith("postfix"):
        bad = [ln for ln in lines if re.search(r"\b(warning|error|fatal|panic):", ln)]
    else:
        bad = [ln for ln in lines if re.search(r"\b(WARNING|ERROR|CRITICAL)\b|Traceback", ln)]
    return {
        "sent": sum("status=sent" in ln for ln in lines),
        "deferred": sum("status=deferred" in ln for ln in lines),
        "bounced": sum("status=bounced" in ln for ln in lines),
        "problems": len(bad),
        "problem_samples": list(dict.fromkeys(re.sub(r"^\S+ \S+ ", "", ln) for ln in bad))[:3],
        "deferred_samples": [ln for ln in lines if "status=deferred" in ln][:2],
    }


def cpu_seconds(owner: Server | Sink | None) -> float | None:
    """User + system CPU of a server's (or the sink's) processes so far, reaped children included.

    Postfix's master reaps smtpd/cleanup/smtp processes that exit during a
    run; their time then shows in the master's cutime/cstime.
    """
    if owner is None:
        return None
    total = 0
    for i, pid in enumerate(owner.pids()):
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rpartition(b")")[2].split()
        except OSError:
            continue
        # fields[0] is the state (stat field 3): utime is field 14, cstime 17.
        total += int(fields[11]) + int(fields[12])
        if i == 0:
            total += int(fields[13]) + int(fields[14])
    return total / os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------- load client


async def relay_load(
    host: str,
    port: int,
    messages: list[bytes],
    tokens: list[str],
    concurrency: int,
    stats: LoadStats,
    submitted: list[float],
) -> None:
    """`concurrency` persistent sessions pull message indices from one iterator.

    Message i goes to user{i}@far.test, from the local sender.
    """
    pending = iter(range(len(messages)))

    async def session() -> None:
        smtp: aiosmtplib.SMTP | None = None
        used = False
        try:
            for i in pending:
                try:
                    if smtp is None or not smtp.is_connected:
                        smtp = aiosmtplib.SMTP(
                            hostname=host,
                            port=port,
                            local_hostname=CLIENT_HELO,
                            use_tls=False,
                            start_tls=False,
                            timeout=120,
                        )
                        await smtp.connect()
                        used = False
                    elif used:
                        await smtp.rset()
                except (aiosmtplib.SMTPException, OSError) as e:
                    stats.fail(f"session: {type(e).__name__}: {e}")
                    if smtp is not None:
                        smtp.close()
                    smtp = None
                    continue
                used = True
                try:
                    errors, _ = await smtp.sendmail(SENDER, [recipient(i)], messages[i])
                except aiosmtplib.SMTPException as e:
                    stats.fail(f"{type(e).__name__}: {e}")
                    continue
                if errors:
                    stats.fail(f"recipients refused: {errors}")
                else:
                    stats.ok(tokens[i])
            if smtp is not None and smtp.is_connected:
                with contextlib.suppress(aiosmtplib.SMTPException):
                    await smtp.quit()
        finally:
            if smtp is not None:
                smtp.close()

    try:
        await asyncio.gather(*(session() for _ in range(concurrency)))
    finally:
        submitted.append(time.perf_counter())
        stats.finished = True


# ----------------------------------------------------------- one run


@dataclass
class RunResult:
    server: str
    repeat: int
    messages: int
    received: int = 0
    seconds: float | None = None
    submit_seconds: float | None = None
    rate: float | None = None
    peak_rss_kb: int | None = None
    rss_kind: str = ""
    peak_pss_kb: int | None = None
    cpu_ms_per_msg: float | None = None
    sink_cpu_ms_per_msg: float | None = None
    expected_signatures: int | None = None  # DKIM-Signature fields each message must carry
    # DKIM-Signature fields per message -> messages (as the sink saw them)
    signatures: dict[int, int] = field(default_factory=dict)
    log: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class Timing:
    seconds: float | None  # until the sink had everything
    submit_seconds: float | None  # until the client had its last 250
    cpu: float | None  # the server's CPU seconds over the run
    sink_cpu: float | None  # the sink's


async def timed_run(
    setup: Setup,
    sink: Sink,
    messages: list[bytes],
    tokens: list[str],
    concurrency: int,
    timeout: float,
) -> tuple[Timing, LoadStats, str | None]:
    """Start the load, poll the sink every 20 ms."""
    n = len(messages)
    stats = LoadStats()
    submitted: list[float] = []
    cpu_before = cpu_seconds(setup.server)
    sink_before = cpu_seconds(sink)
    start = time.perf_counter()
    task = asyncio.create_task(
        relay_load(setup.host, setup.port, messages, tokens, concurrency, stats, submitted)
    )
    elapsed, error = await watch_run(
        task, stats, sink.count, n, start=start, timeout=timeout,
        sample=setup.server.sample_rss if setup.server is not None else None,
        arrived="received by the sink",
    )
    cpu_after = cpu_seconds(setup.server)
    sink_after = cpu_seconds(sink)
    cpu = cpu_after - cpu_before if cpu_after is not None and cpu_before is not None else None
    sink_cpu = (sink_after - sink_before
                if sink_after is not None and sink_before is not None else None)
    submit = submitted[0] - start if submitted else None
    return Timing(elapsed, submit, cpu, sink_cpu), stats, error


def check_delivery(sink: Sink, accepted: set[str], signatures: int) -> str | None:
    """None if every accepted token arrived exactly once, whole, with `signatures`
    DKIM-Signature fields; else what is wrong."""
    seen = sink.tokens()
    untokened = seen.pop("-", 0)
    problems = []
    if missing := accepted - seen.keys():
        problems.append(f"{len(missing)} accepted but never received (e.g. {min(missing)})")
    if dups := sum(c - 1 for c in seen.values() if c > 1):
        problems.append(f"{dups} duplicate deliveries")
    if foreign := seen.keys() - accepted:
        problems.append(f"{len(foreign)} unexpected tokens")
    if untokened:
        problems.append(f"{untokened} messages without a token (bounces or warnings?)")
    if damaged := sink.damaged():
        problems.append(f"{damaged} messages whose body arrived cut or altered")
    if wrong := {k: c for k, c in sink.signatures().items() if k != signatures}:
        shown = ", ".join(f"{c} with {k}" for k, c in sorted(wrong.items()))
        problems.append(f"DKIM-Signature fields: expected {signatures} per message, got {shown}")
    return "; ".join(problems) or None


VERIFY_SAMPLE = 20  # messages whose signatures are verified after a run (smtp-sink only)


def verify_signatures(sink: Sink, setup: Setup) -> str | None:
    """None if every signature of the first VERIFY_SAMPLE messages verifies
    (dkimpy, the server's records served from memory), else what is wrong;
    only the smtp-sink sink keeps messages."""
    if not setup.signatures or setup.dkim_records is None:
        return None
    if not isinstance(sink, smtp_sink.SmtpSink):
        return None
    import dkim

    try:
        records = {name.rstrip(".").lower(): value.encode()
                   for name, value in setup.dkim_records().items()}
    except (OSError, subprocess.SubprocessError, ValueError, KeyError) as e:
        log(f"DKIM signatures not verified: no records ({type(e).__name__}: {e})")
        return None

    def txt(name: bytes, timeout: int = 5) -> bytes | None:
        return records.get(name.decode("ascii", "replace").rstrip(".").lower())

    def verifies(message: bytes, idx: int) -> bool:
        try:
            return bool(dkim.DKIM(message).verify(idx=idx, dnsfunc=txt))
        except Exception:  # dkimpy raises for some bad signatures (nacl, key type)
            return False

    messages = sink.messages(VERIFY_SAMPLE)
    bad = sum(
        not verifies(message, i) for message in messages for i in range(setup.signatures)
    )
    if bad:
        return (f"{bad} of {len(messages) * setup.signatures} DKIM signatures "
                f"of the first {len(messages)} messages do not verify")
    return None


def make_sink(args: argparse.Namespace, messages: list[bytes], tokens: list[str]) -> Sink:
    if args.sink == "smtp-sink":
        sizes = {t: smtp_sink.dumped_body_size(m) for t, m in zip(tokens, messages, strict=True)}
        return smtp_sink.SmtpSink(SINK_HOST, pipelining=args.sink_pipelining, sizes=sizes)
    return RelaySink(SINK_HOST)


def sink_text(args: argparse.Namespace) -> str:
    if args.sink == "smtp-sink":
        return (f"Postfix's smtp-sink (C), PIPELINING {'on' if args.sink_pipelining else 'off'}")
    return "aiosmtpd (Python), no PIPELINING (aiosmtpd never offers it)"


def run_one(args: argparse.Namespace, server_name: str, rep: int) -> RunResult:
    n = args.n
    result = RunResult(server=server_name, repeat=rep, messages=n)
    start_server, _ = SERVERS[server_name]
    messages, tokens = build_messages(n, args.size, SENDER, secrets.token_hex(4))
    setup: Setup | None = None
    try:
        with contextlib.ExitStack() as stack:
            sink = stack.enter_context(make_sink(args, messages, tokens))
            sink.start()
            setup = start_server(stack, sink)
            result.expected_signatures = setup.signatures
            if setup.server is not None:
                result.rss_kind = setup.server.rss_kind
            timing, stats, error = asyncio.run(
                timed_run(setup, sink, messages, tokens, args.concurrency, args.timeout)
            )
            elapsed, submit, cpu = timing.seconds, timing.submit_seconds, timing.cpu
            if setup.server is not None:
                result.peak_rss_kb = setup.server.peak_rss_kb()
                result.peak_pss_kb = setup.server.peak_pss_kb()
            if error is None:
                time.sleep(SETTLE_SECONDS)  # let late duplicates arrive
                problem = (check_delivery(sink, stats.accepted, setup.signatures)
                           or verify_signatures(sink, setup))
                if problem:
                    error = f"delivery check failed: {problem}"
            result.received = sink.count()
            result.signatures = dict(sorted(sink.signatures().items()))
            result.submit_seconds = submit
            if cpu is not None:
                result.cpu_ms_per_msg = cpu * 1000 / n
            if timing.sink_cpu is not None:
                result.sink_cpu_ms_per_msg = timing.sink_cpu * 1000 / n
            result.log = scan_log(server_name, setup.log_path)
            if args.keep_logs and setup.log_path is not None and setup.log_path.exists():
                args.keep_logs.mkdir(parents=True, exist_ok=True)
                shutil.copy(setup.log_path, args.keep_logs / f"{server_name}-{rep + 1}.log")
            if error is None and elapsed:
                result.seconds = elapsed
                result.rate = n / elapsed
            result.error = error
            if error and setup.log_path is not None:
                log(f"--- last lines of {server_name}'s log ---\n{tail(setup.log_path, 15)}")
    except ServerError as e:
        result.error = f"server did not start: {e}"
    except Exception as e:  # report it and go on with the other servers
        result.error = f"{type(e).__name__}: {e}"
    return result


# ----------------------------------------------------------- report


def summarize(results: list[RunResult], servers: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for server in servers:
        runs = [r for r in results if r.server == server]
        if not runs:
            continue
        submits = [r.submit_seconds for r in runs if r.rate is not None and r.submit_seconds]
        cpus = [r.cpu_ms_per_msg for r in runs if r.rate is not None and r.cpu_ms_per_msg]
        sink_cpus = [r.sink_cpu_ms_per_msg for r in runs
                     if r.rate is not None and r.sink_cpu_ms_per_msg]
        rows.append(
            {
                "server": server,
                **summary_row(runs),
                **mailroom_ratios(runs, results, lambda r: ()),
                "submit_seconds": statistics.median(submits) if submits else None,
                "cpu_ms_per_msg": statistics.median(cpus) if cpus else None,
                "sink_cpu_ms_per_msg": statistics.median(sink_cpus) if sink_cpus else None,
                "like_for_like": like_for_like(server, results),
                "dkim_signatures": max(
                    (r.expected_signatures for r in runs if r.expected_signatures is not None),
                    default=None,
                ),
                "deferred": sum(r.log.get("deferred", 0) for r in runs),
                "bounced": sum(r.log.get("bounced", 0) for r in runs),
                "log_problems": sum(r.log.get("problems", 0) for r in runs),
                "log_samples": list(
                    dict.fromkeys(
                        s
                        for r in runs
                        for s in r.log.get("problem_samples", [])
                        + r.log.get("deferred_samples", [])
                    )
                )[:4],
            }
        )
    return rows


def like_for_like(server: str, results: list[RunResult]) -> dict[str, Any] | None:
    """For a Mailroom server of LIKE_FOR_LIKE with its peer in the run: its rate
    over the peer's, paired by repeat, and their median."""
    for mine, peer, common in LIKE_FOR_LIKE:
        if server != mine:
            continue
        rates = {(r.server, r.repeat): r.rate for r in results if r.rate}
        ratios = [rates[(mine, rep)] / rates[(peer, rep)]
                  for rep in sorted({r.repeat for r in results})
                  if (mine, rep) in rates and (peer, rep) in rates]
        if not any(r.server == peer for r in results):
            return None
        return {
            "peer": peer,
            "common": common,
            "ratio": statistics.median(ratios) if ratios else None,
            "ratios": [round(x, 3) for x in ratios],
        }
    return None


def print_like_for_like(rows: list[dict[str, Any]]) -> None:
    pairs = [(r, r["like_for_like"]) for r in rows if r.get("like_for_like")]
    if not pairs:
        return
    cpu = {r["server"]: r["cpu_ms_per_msg"] for r in rows}
    print("\nlike for like (msg/s ratio, median of the per-repeat ratios; > 1: Mailroom faster):")
    for row, lfl in pairs:
        name = f"{row['server']} / {lfl['peer']} ({lfl['common']})"
        ratio = f"{lfl['ratio']:.2f}" if lfl["ratio"] else "-"
        per_run = ", ".join(f"{x:.2f}" for x in lfl["ratios"])
        cpus = " vs ".join(f"{cpu[s]:.2f}" if cpu.get(s) else "-"
                           for s in (row["server"], lfl["peer"]))
        print(f"  {name:<52} {ratio:>5}  (per repeat: {per_run or '-'}; "
              f"CPU ms/msg {cpus})")


def print_table(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(
        f"relay: {args.n} msgs x {args.size} B to user*@{REMOTE_DOMAIN}, "
        f"{args.concurrency} persistent sessions, end to end (until the sink has all); "
        f"sink: {sink_text(args)}"
    )
    w = max([16] + [len(r["server"]) for r in rows])
    head = (
        f"{'server':<{w}} {'msgs':>5} {'ok':>5} {'seconds':>8} {'submit s':>8} {'msg/s':>7} "
        f"{'ratio(mailroom/x)':>17} {'CPU ms/msg':>10}  {'peak RSS':<20} {'peak PSS':>9} "
        f"{'defer':>5} {'logerr':>6}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        seconds = f"{r['seconds']:.2f}" if r["seconds"] else "FAILED"
        submit = f"{r['submit_seconds']:.2f}" if r["submit_seconds"] else "-"
        rate = f"{r['rate']:.1f}" if r["rate"] else "-"
        ratio = ratio_text(r)
        cpu = f"{r['cpu_ms_per_msg']:.2f}" if r["cpu_ms_per_msg"] else "-"
        rss = f"{mb(r['peak_rss_kb'])} ({r['rss_kind']})" if r["peak_rss_kb"] else "-"
        print(
            f"{r['server']:<{w}} {r['messages']:>5} {r['runs_ok']}/{r['runs']:<3} {seconds:>8} "
            f"{submit:>8} {rate:>7} {ratio:>17} {cpu:>10}  {rss:<20} {mb(r['peak_pss_kb']):>9} "
            f"{r['deferred']:>5} {r['log_problems']:>6}"
        )
    if args.repeat > 1:
        print(
            f"(seconds, msg/s: median of {args.repeat} runs; ratio: median of the per-run "
            "ratios; memory: largest run; defer/logerr: summed over runs)"
        )
    print(
        "(peak PSS: sum over all the server's processes, sampled every 100 ms; "
        "submit s: when the client had its last 250; CPU: the server's user+system "
        "time over the run, per message"
        + ("; postfix-dkim's includes OpenDKIM's)" if "postfix-dkim" in args.servers else ")")
    )
    sink_cpus = [r["sink_cpu_ms_per_msg"] for r in rows if r["sink_cpu_ms_per_msg"]]
    if sink_cpus:
        print(f"(the sink's own CPU: {min(sink_cpus):.2f}-{max(sink_cpus):.2f} ms/msg)")
    checked = [f"{r['server']} {r['dkim_signatures']}" for r in rows
               if r["dkim_signatures"] is not None]
    if checked:
        print(f"(DKIM-Signature fields on every message, checked at the sink: "
              f"{', '.join(checked)})")
    if args.sink == "smtp-sink" and any(r["dkim_signatures"] for r in rows):
        print(f"(and every signature of the first {VERIFY_SAMPLE} messages of each signing "
              "run verified with dkimpy against the server's own records)")
    if "postfix-dkim" in args.servers and not opendkim.ed25519_supported():
        print("(this OpenDKIM cannot sign with Ed25519: postfix-dkim signs with RSA-2048 only)")
    print_like_for_like(rows)
    print(
        "(caveats: Mailroom resolves MX+A over loopback DNS (cached), Postfix's "
        f"transport map names [{SINK_HOST}] with no lookup; both reuse connections; "
        "both capped at 10 per destination - Mailroom's default, Postfix set from its 20)"
    )
    samples = [(r["server"], s) for r in rows for s in r["log_samples"]]
    if samples:
        print("\nfrom the servers' logs:")
        for server, s in samples:
            print(f"  {server}: {s[:220]}")
    failures = [(r, e) for r in rows for e in r["errors"]]
    if failures:
        print("\nfailures:")
        for r, e in failures:
            print(f"  {r['server']}: {e}")


# ----------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    global BEFORE_MAIN
    parser = argparse.ArgumentParser(
        description="SMTP relay throughput, end to end into a remote sink, Mailroom vs Postfix.",
        epilog="See the module docstring for what exactly is measured and the caveats.",
    )
    add_run_options(parser, messages=2000)
    parser.add_argument(
        "--servers",
        default=None,
        help=f"comma list of {','.join(SERVERS)} (default: those of "
        f"{','.join(DEFAULT_SERVERS)} available)",
    )
    parser.add_argument(
        "--keep-logs",
        type=Path,
        metavar="DIR",
        help="copy each run's server log (mailroom.log, Postfix maillog) into DIR",
    )
    parser.add_argument(
        "--before-main",
        type=Path,
        default=BEFORE_MAIN,
        metavar="MAIN_PY",
        help="the main.py the mailroom-before servers run (default: %(default)s)",
    )
    parser.add_argument(
        "--sink",
        choices=("aiosmtpd", "smtp-sink"),
        default="aiosmtpd",
        help="the far side: aiosmtpd in Python (default) or Postfix's smtp-sink in C",
    )
    parser.add_argument(
        "--sink-pipelining",
        choices=("yes", "no"),
        default=None,
        help="whether the sink offers PIPELINING (smtp-sink: yes by default, no runs it "
        "with -p; aiosmtpd never offers it)",
    )
    args = parser.parse_args(argv)
    BEFORE_MAIN = args.before_main.resolve()
    check_run_options(parser, args, min_size=512)
    if args.sink == "aiosmtpd":
        if args.sink_pipelining == "yes":
            parser.error("--sink-pipelining yes needs --sink smtp-sink: "
                         "aiosmtpd never offers PIPELINING")
        args.sink_pipelining = False
    else:
        if not smtp_sink.available():
            parser.error(f"--sink smtp-sink: {smtp_sink.SMTP_SINK} is not installed "
                         "(Debian package postfix)")
        args.sink_pipelining = args.sink_pipelining != "no"
    args.servers = pick_servers(parser, args.servers, SERVERS, DEFAULT_SERVERS)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    unwind_on_signals()
    log(
        f"smtp_relay: {args.n} msgs x {args.size} B to {REMOTE_DOMAIN}, "
        f"{args.concurrency} sessions, servers {','.join(args.servers)}, repeat {args.repeat}; "
        f"sink {sink_text(args)}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    )
    results: list[RunResult] = []
    try:
        for rep in range(args.repeat):
            for name in rotated(args.servers, rep):
                r = run_one(args, name, rep)
                results.append(r)
                what = f"[{rep + 1}/{args.repeat}] {name:<16}"
                d = r.log
                logged = (
                    f", log: {d.get('sent', 0)} sent {d.get('deferred', 0)} deferred "
                    f"{d.get('bounced', 0)} bounced {d.get('problems', 0)} warnings/errors"
                    if d
                    else ""
                )
                if r.rate:
                    log(
                        f"{what} {r.messages} msgs in {r.seconds:.2f} s "
                        f"(submitted in {r.submit_seconds or 0:.2f} s) = {r.rate:.1f} msg/s, "
                        f"CPU {r.cpu_ms_per_msg or 0:.2f} ms/msg "
                        f"(sink {r.sink_cpu_ms_per_msg or 0:.2f}), "
                        f"DKIM-Signature fields {r.signatures}, "
                        f"RSS {mb(r.peak_rss_kb)}, PSS {mb(r.peak_pss_kb)}{logged}"
                    )
                else:
                    log(f"{what} FAILED: {r.error}{logged}")
    except KeyboardInterrupt:
        log("interrupted; servers, DNS server and sinks stopped, temp dirs removed")
        if not results:
            return 130

    rows = summarize(results, args.servers)
    params = {
        "messages": args.n, "size": args.size, "concurrency": args.concurrency,
        "servers": args.servers, "repeat": args.repeat, "remote_domain": REMOTE_DOMAIN,
        "sink": SINK_HOST, "sink_kind": args.sink, "sink_pipelining": args.sink_pipelining,
    }
    return report("smtp_relay", params, rows, results, args.json,
                  lambda: print_table(rows, args))

if __name__ == "__main__":
    sys.exit(main())
