"""Read-side benchmark: Mailroom's IMAP/POP3 beside Dovecot on the same 10,000-message Maildir.

    .venv/bin/python -m bench.imap_pop_read [--messages 10000] [--runs 1]
        [--fill-while-running] [--sessions 500 --addresses 50]
        [--mailroom-main /tmp/before/main.py] [--dovecot-scheme PLAIN]

Every server gets a copy of the same generated Maildir (bench/read_corpus.py:
realistic and varied) and the same client, one server at a time:

- Mailroom is the full daemon (``main.py init``, ``account add``, ``serve``
  through bench/peers/mailroom.py), so its memory is what an office box
  runs; ``--mailroom-main`` adds another checkout's daemon (e.g. the
  commit before a change) as a second column, run with the same python.
- Dovecot 2.3 is a private instance (bench/peers/dovecot.py).

By default the messages are copied into the account's Maildir before the
server starts; with ``--fill-while-running`` the server starts on an empty
account and the files are copied in from outside (tmp/ then renamed into
cur/ or new/, as a restore or an outside delivery agent does) before the
first LOGIN+SELECT. Timed: LOGIN and SELECT of the unindexed mailbox (apart
and together), the same again once indexed, ``FETCH 1:* (FLAGS
RFC822.SIZE ENVELOPE)`` first and again, ``FETCH 1:* BODY.PEEK[]``, ``UID
SEARCH HEADER``, POP3 UIDL and RETR of every message. Memory (PSS from
/proc/PID/smaps_rollup, summed over all of a server's processes, and RSS):
idle, and the peak while one IMAP client and then one POP3 client read
everything. ``--sessions N --addresses A`` then opens N IMAP sessions from
127.0.0.1..127.0.0.A (LOGIN + SELECT INBOX each), holds them, logs them all
out, and reports memory before, with all open, and after a settle.

Equality: ``UID FETCH 1:* (ENVELOPE BODYSTRUCTURE RFC822.SIZE)`` from every
server, parsed (imapclient's response parser) and compared message by
message (matched on the X-Bench-Id header) with Dovecot's, ignoring the
case of MIME tokens (type, subtype, encoding, parameter and disposition
names) and literal-versus-quoted strings; the number that differ per item
and a few examples are printed.

Never binds a standard mail port.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import imaplib
import poplib
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/peers/mailroom.py's imports

from peers import mailroom as mailroom_peer  # noqa: E402

from bench.imap_compare import compare  # noqa: E402
from bench.peers.base import proc_pss_kb, proc_status_kb  # noqa: E402
from bench.peers.dovecot import OWNER, Dovecot, dovecot_available  # noqa: E402
from bench.read_corpus import USER, copy_in, generate  # noqa: E402

PASSWORD = mailroom_peer.PASSWORD
assert mailroom_peer.RECIPIENT == USER
SETTLE = 3.0  # seconds after a logout before "after" memory is read


# -- the servers ---------------------------------------------------------------------


class MailroomDaemon:
    """The full Mailroom daemon of one checkout, started as an admin would."""

    def __init__(self, name: str, main_py: Path) -> None:
        self.name = name
        self.peer = mailroom_peer.Mailroom(
            python=sys.executable, main_py=main_py,
            # 500 bench sessions from 50 addresses: above the default total of 500.
            settings={"imap.max_connections": "2000", "imap.max_connections_per_ip": "100"},
        )
        self.login_scheme = "argon2id (m=19 MiB, t=2)"

    @property
    def maildir(self) -> Path:
        local, _, domain = USER.partition("@")
        return self.peer.mail_root / domain / local

    owner: tuple[int, int] | None = None

    @property
    def imap_port(self) -> int:
        return 143 + self.peer.offset

    @property
    def pop3_port(self) -> int:
        return 110 + self.peer.offset

    def create(self, src: Path | None) -> None:
        """Set up the account; with ``src``, copy its messages in before the start."""
        self.peer.prepare()
        if src is not None:
            shutil.copytree(src, self.maildir, dirs_exist_ok=True)
        self.peer.serve()

    def pids(self) -> list[int]:
        return self.peer.pids()

    def stop(self) -> None:
        self.peer.cleanup()


class DovecotServer:
    def __init__(self, workdir: Path, scheme: str) -> None:
        self.name = "dovecot"
        self.peer = Dovecot(workdir, USER, PASSWORD, scheme=scheme)
        self.login_scheme = scheme
        self.owner: tuple[int, int] | None = OWNER

    @property
    def maildir(self) -> Path:
        return self.peer.maildir

    @property
    def imap_port(self) -> int:
        return self.peer.imap_port

    @property
    def pop3_port(self) -> int:
        return self.peer.pop3_port

    def create(self, src: Path | None) -> None:
        if src is not None:
            shutil.copytree(src, self.maildir)
        else:
            for sub in ("cur", "new", "tmp"):
                (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        self.peer.start()  # gives the home and Maildir to the mail user

    def pids(self) -> list[int]:
        return self.peer.pids()

    def stop(self) -> None:
        self.peer.stop()


Server = MailroomDaemon | DovecotServer


# -- memory --------------------------------------------------------------------------


def memory_kb(server: Server) -> tuple[int, int]:
    """(RSS, PSS) in KiB summed over all the server's live processes."""
    rss = pss = 0
    for pid in server.pids():
        rss += proc_status_kb(pid, "VmRSS") or 0
        pss += proc_pss_kb(pid) or 0
    return rss, pss


class PeakSampler:
    """Samples a server's summed PSS every 100 ms in a thread while a block runs."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.peak_pss = 0
        self._stop = threading.Event()

    def _run(self) -> None:
        while True:
            self.peak_pss = max(self.peak_pss, memory_kb(self.server)[1])
            if self._stop.wait(0.1):
                return

    @contextlib.contextmanager
    def running(self) -> Iterator[PeakSampler]:
        th = threading.Thread(target=self._run, daemon=True)
        th.start()
        try:
            yield self
        finally:
            self._stop.set()
            th.join()
            self.peak_pss = max(self.peak_pss, memory_kb(self.server)[1])


# -- the measured client work --------------------------------------------------------


@dataclass
class Result:
    seconds: dict[str, float] = field(default_factory=dict)
    memory: dict[str, str] = field(default_factory=dict)  # label -> text, MB
    memory_kb: dict[str, int] = field(default_factory=dict)
    fetched: dict[str, dict[str, Any]] = field(default_factory=dict)


def _mb(kb: int) -> str:
    return f"{kb / 1024:.0f}"


def timed(r: Result, label: str, fn: Callable[[], Any]) -> Any:
    t = time.perf_counter()
    out = fn()
    r.seconds[label] = time.perf_counter() - t
    return out


def login_select(server: Server, r: Result, label: str, count: int) -> imaplib.IMAP4:
    c = imaplib.IMAP4("127.0.0.1", server.imap_port, timeout=600)
    t0 = time.perf_counter()
    c.login(USER, PASSWORD)
    t1 = time.perf_counter()
    typ, data = c.select("INBOX")
    t2 = time.perf_counter()
    assert typ == "OK" and int(data[0]) == count, (server.name, typ, data)
    r.seconds[f"{label} LOGIN+SELECT"] = t2 - t0
    r.seconds[f"{label} LOGIN"] = t1 - t0
    r.seconds[f"{label} SELECT"] = t2 - t1
    return c


def read_imap(server: Server, r: Result, count: int, needles: int) -> None:
    c = login_select(server, r, "first", count)
    c.logout()
    c = login_select(server, r, "indexed", count)
    for label in ("FETCH 1:* (FLAGS RFC822.SIZE ENVELOPE), first", "FETCH 1:* meta, again"):
        typ, data = timed(r, label, lambda: c.fetch("1:*", "(FLAGS RFC822.SIZE ENVELOPE)"))
        assert typ == "OK" and len(data) >= count, (server.name, typ)
    typ, data = timed(r, "FETCH 1:* BODY.PEEK[] (all bodies)",
                      lambda: c.fetch("1:*", "(BODY.PEEK[])"))
    assert typ == "OK"
    del data
    typ, data = timed(r, "UID SEARCH HEADER Subject",
                      lambda: c.uid("SEARCH", None, "HEADER", "Subject", "needle-4711"))
    assert typ == "OK" and len(data[0].split()) == needles, (server.name, data)
    c.logout()


def read_pop3(server: Server, r: Result) -> None:
    def pop_all() -> int:
        p = poplib.POP3("127.0.0.1", server.pop3_port, timeout=600)
        p.user(USER)
        p.pass_(PASSWORD)
        t = time.perf_counter()
        listing = p.uidl()[1]
        r.seconds["POP3 UIDL"] = time.perf_counter() - t
        total = 0
        for n in range(1, len(listing) + 1):
            total += p.retr(n)[2]
        p.quit()
        return total

    timed(r, "POP3 login+UIDL+RETR all", pop_all)


def fetch_for_equality(server: Server) -> dict[str, dict[str, Any]]:
    """{X-Bench-Id: {item: parsed value}} for every message."""
    from imapclient.response_parser import parse_response

    c = imaplib.IMAP4("127.0.0.1", server.imap_port, timeout=600)
    c.login(USER, PASSWORD)
    c.select("INBOX", readonly=True)
    typ, data = c.uid(
        "FETCH", "1:*",
        "(ENVELOPE BODYSTRUCTURE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (X-BENCH-ID)])")
    c.logout()
    assert typ == "OK", (server.name, typ)
    out: dict[str, dict[str, Any]] = {}
    parsed = parse_response(data)  # imaplib's pieces: (head, literal) tuples and b")"
    for attrs in parsed[1::2]:
        values = {bytes(attrs[k]).upper().decode(): attrs[k + 1]
                  for k in range(0, len(attrs) - 1, 2)}
        header = next((v for k, v in values.items() if k.startswith("BODY[")), b"")
        key = bytes(header or b"").partition(b":")[2].strip().decode() or f"uid {values['UID']}"
        out[key] = values
    return out


async def _session(src: str, port: int, timeout: float) -> tuple[asyncio.StreamReader,
                                                                  asyncio.StreamWriter]:
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, local_addr=(src, 0), limit=2**20), timeout)
    await asyncio.wait_for(reader.readline(), timeout)
    for tag, command in ((b"a", b'LOGIN "%s" "%s"' % (USER.encode(), PASSWORD.encode())),
                         (b"b", b"SELECT INBOX")):
        writer.write(tag + b" " + command + b"\r\n")
        await writer.drain()
        while True:
            line = await asyncio.wait_for(reader.readline(), timeout)
            if not line:
                raise ConnectionError(f"{src}: closed during {command[:6]!r}")
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise ConnectionError(f"{src}: {line!r}")
                break
    return reader, writer


async def _logout(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.TimeoutError, ConnectionError):
        writer.write(b"z LOGOUT\r\n")
        await writer.drain()
        while True:
            line = await asyncio.wait_for(reader.readline(), 30)
            if not line or line.startswith(b"z "):
                break
    writer.close()
    with contextlib.suppress(OSError, ConnectionError):
        await writer.wait_closed()


def hold_sessions(server: Server, r: Result, n: int, addresses: int) -> None:
    """Open ``n`` sessions (LOGIN + SELECT) from ``addresses`` loopback sources,
    hold them, log all out; memory before, all open, after a settle."""

    def note(label: str) -> None:
        rss, pss = memory_kb(server)
        r.memory_kb[f"{label} RSS"] = rss
        r.memory_kb[f"{label} PSS"] = pss

    async def run() -> None:
        sem = asyncio.Semaphore(20)

        async def one(k: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
            async with sem:
                return await _session(f"127.0.0.{1 + k % addresses}", server.imap_port, 300)

        t = time.perf_counter()
        held = await asyncio.gather(*(one(k) for k in range(n)))
        r.seconds[f"open {n} sessions (LOGIN+SELECT, 20 at a time)"] = time.perf_counter() - t
        await asyncio.sleep(1)
        note("sessions open")
        t = time.perf_counter()
        await asyncio.gather(*(_logout(rd, wr) for rd, wr in held))
        r.seconds[f"LOGOUT {n} sessions"] = time.perf_counter() - t

    time.sleep(SETTLE)
    note("sessions before")
    asyncio.run(run())
    time.sleep(SETTLE)
    note("sessions after")


# -- one server, all phases ----------------------------------------------------------


@dataclass
class Options:
    count: int
    needles: int
    fill_while_running: bool
    sessions: int
    addresses: int
    read: bool
    equality: bool


def run_server(server: Server, src: Path, opts: Options) -> Result:
    r = Result()
    server.create(None if opts.fill_while_running else src)
    try:
        time.sleep(1)
        rss, pss = memory_kb(server)
        r.memory_kb["idle at start RSS"], r.memory_kb["idle at start PSS"] = rss, pss
        if opts.fill_while_running:
            n = timed(r, "copy into the live Maildir (client side)",
                      lambda: copy_in(src, server.maildir, server.owner))
            assert n == opts.count, n
        if opts.read:
            _, before = memory_kb(server)
            with PeakSampler(server).running() as s:
                read_imap(server, r, opts.count, opts.needles)
            r.memory_kb["IMAP before PSS"], r.memory_kb["IMAP peak PSS"] = before, s.peak_pss
            _, before = memory_kb(server)
            with PeakSampler(server).running() as s:
                read_pop3(server, r)
            r.memory_kb["POP3 before PSS"], r.memory_kb["POP3 peak PSS"] = before, s.peak_pss
        if opts.equality:
            r.fetched = timed(r, "UID FETCH 1:* (ENVELOPE BODYSTRUCTURE RFC822.SIZE ...)",
                              lambda: fetch_for_equality(server))
        if opts.sessions:
            hold_sessions(server, r, opts.sessions, opts.addresses)
    finally:
        server.stop()
    return r


# -- main ----------------------------------------------------------------------------


ROWS = [
    ("copy into the live Maildir (client side)", "s"),
    ("first LOGIN+SELECT", "s"),
    ("first LOGIN", "s"),
    ("first SELECT", "s"),
    ("indexed LOGIN+SELECT", "s"),
    ("indexed LOGIN", "s"),
    ("indexed SELECT", "s"),
    ("FETCH 1:* (FLAGS RFC822.SIZE ENVELOPE), first", "s"),
    ("FETCH 1:* meta, again", "s"),
    ("FETCH 1:* BODY.PEEK[] (all bodies)", "s"),
    ("UID SEARCH HEADER Subject", "s"),
    ("POP3 UIDL", "s"),
    ("POP3 login+UIDL+RETR all", "s"),
    ("UID FETCH 1:* (ENVELOPE BODYSTRUCTURE RFC822.SIZE ...)", "s"),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=1, help="runs per server; medians are shown")
    ap.add_argument("--no-dovecot", action="store_true")
    ap.add_argument("--fill-while-running", action="store_true",
                    help="start on an empty account, copy the Maildir in before the first SELECT")
    ap.add_argument("--sessions", type=int, default=0,
                    help="then hold this many IMAP sessions open (e.g. 500)")
    ap.add_argument("--addresses", type=int, default=50,
                    help="client source addresses 127.0.0.1..127.0.0.N for --sessions")
    ap.add_argument("--mailroom-main", type=Path, action="append", default=[],
                    metavar="PATH", help="another checkout's main.py as an extra Mailroom "
                    "column (e.g. /tmp/before/main.py); may be repeated")
    ap.add_argument("--dovecot-scheme", default="PLAIN",
                    help="Dovecot's passdb scheme: PLAIN (default), ARGON2ID-MAILROOM "
                    "(argon2id with Mailroom's parameters: the same cost per LOGIN) or "
                    "any scheme doveadm pw knows (ARGON2ID, SHA512-CRYPT...)")
    ap.add_argument("--no-read", action="store_true", help="skip the timed read phases")
    ap.add_argument("--no-equality", action="store_true", help="skip the Dovecot comparison")
    ap.add_argument("--dump", type=Path, metavar="DIR",
                    help="write each server's parsed FETCH answers to DIR/NAME.txt")
    args = ap.parse_args()
    if not 1 <= args.addresses <= 254 or args.sessions < 0 or args.messages < 1:
        ap.error("--addresses must be 1..254, --sessions >= 0, --messages >= 1")
    for path in args.mailroom_main:
        if not path.is_file():
            ap.error(f"{path} does not exist")
    opts = Options(args.messages, len(range(0, args.messages, 997)), args.fill_while_running,
                   args.sessions, args.addresses, not args.no_read, not args.no_equality)
    work = Path(tempfile.mkdtemp(prefix="bench-read-"))
    work.chmod(0o755)
    try:
        src = work / "src"
        t = time.perf_counter()
        size = generate(src, args.messages)
        print(f"generated {args.messages} messages, {size / 1e6:.0f} MB "
              f"in {time.perf_counter() - t:.1f} s", flush=True)
        here = Path(__file__).resolve().parent.parent / "main.py"
        makers: list[tuple[str, Callable[[int], Server]]] = []
        if not args.no_dovecot and dovecot_available():
            makers.append(("dovecot", lambda run: DovecotServer(work / f"dovecot-{run}",
                                                                args.dovecot_scheme)))
        elif not args.no_dovecot:
            print("dovecot not installed: Mailroom alone")
        for k, path in enumerate(args.mailroom_main):
            name = "before" if k == 0 else f"other{k}"
            makers.append((name, lambda run, p=path, n=name: MailroomDaemon(n, p)))
        makers.append(("mailroom", lambda run: MailroomDaemon("mailroom", here)))
        results: dict[str, list[Result]] = {}
        schemes: dict[str, str] = {}
        for run in range(args.runs):
            order = makers[run % len(makers):] + makers[:run % len(makers)]
            for name, make in order:
                print(f"run {run + 1}: {name} ...", flush=True)
                server = make(run)
                schemes[name] = server.login_scheme
                subprocess.run(["sync"], check=False)
                results.setdefault(name, []).append(run_server(server, src, opts))
        print_report(results, schemes, args)
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            for name, rs in results.items():
                with open(args.dump / f"{name}.txt", "w") as f:
                    for key, values in sorted(rs[0].fetched.items(),
                                              key=lambda kv: (len(kv[0]), kv[0])):
                        f.write(f"{key}\t{values!r}\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def print_report(results: dict[str, list[Result]], schemes: dict[str, str],
                 args: argparse.Namespace) -> None:
    names = list(results)
    ratio_of = [n for n in names if n != "dovecot"] if "dovecot" in names else []
    mode = "filled while running" if args.fill_while_running else "filled before start"
    print(f"\n{args.messages} messages, {mode}; median of {args.runs} run(s); "
          f"LOGIN: " + ", ".join(f"{n} {schemes[n]}" for n in names))
    head = f"{'':52}" + "".join(f"{n:>11}" for n in names)
    head += "".join(f"{n + '/dc':>13}" for n in ratio_of)
    print(head)
    for label, _unit in ROWS:
        per = {n: [r.seconds[label] for r in results[n] if label in r.seconds] for n in names}
        if not any(per.values()):
            continue
        med = {n: statistics.median(v) if v else None for n, v in per.items()}
        row = f"{label:52}" + "".join(
            f"{med[n]:>10.3f}s" if med[n] is not None else f"{'-':>11}" for n in names)
        for n in ratio_of:
            dc, x = med.get("dovecot"), med[n]
            row += f"{x / dc:>12.2f}x" if dc and x is not None else f"{'-':>13}"
        print(row)

    def mem(label: str) -> dict[str, int | None]:
        out: dict[str, int | None] = {}
        for n in names:
            v = [r.memory_kb[label] for r in results[n] if label in r.memory_kb]
            out[n] = int(statistics.median(v)) if v else None
        return out

    def mem_row(title: str, first: str, second: str | None = None) -> None:
        a = mem(first)
        b = mem(second) if second else None
        if not any(a.values()):
            return
        cells = []
        for n in names:
            if a[n] is None:
                cells.append(f"{'-':>11}")
            elif b is not None and b[n] is not None:
                cells.append(f"{_mb(a[n]) + '→' + _mb(b[n]):>11}")
            else:
                cells.append(f"{_mb(a[n]):>11}")
        row = f"{title:52}" + "".join(cells)
        last = b if b is not None else a
        for n in ratio_of:
            dc, x = last.get("dovecot"), last[n]
            row += f"{x / dc:>12.2f}x" if dc and x else f"{'-':>13}"
        print(row)

    print("memory, MB (all processes)")
    mem_row("idle at start, RSS", "idle at start RSS")
    mem_row("idle at start, PSS", "idle at start PSS")
    mem_row("one IMAP client reads all, PSS before→peak", "IMAP before PSS", "IMAP peak PSS")
    mem_row("one POP3 client reads all, PSS before→peak", "POP3 before PSS", "POP3 peak PSS")
    if args.sessions:
        for label in (f"open {args.sessions} sessions (LOGIN+SELECT, 20 at a time)",
                      f"LOGOUT {args.sessions} sessions"):
            per = {n: [r.seconds[label] for r in results[n] if label in r.seconds]
                   for n in names}
            print(f"{label:52}" + "".join(
                f"{statistics.median(per[n]):>10.2f}s" if per[n] else f"{'-':>11}"
                for n in names))
        for kind in ("RSS", "PSS"):
            mem_row(f"{args.sessions} sessions/{args.addresses} addrs: before, {kind}",
                    f"sessions before {kind}")
            mem_row(f"  all open, {kind}", f"sessions open {kind}")
            mem_row(f"  after LOGOUT + {SETTLE:.0f} s, {kind}", f"sessions after {kind}")
    if "dovecot" in results and not args.no_equality:
        reference = results["dovecot"][0].fetched
        for n in ratio_of:
            print(f"\nequality with Dovecot ({n}, {len(reference)} messages; MIME tokens "
                  "case-insensitive, literal = quoted):")
            for line in compare(reference, results[n][0].fetched):
                print(line)


if __name__ == "__main__":
    main()
