"""Read-side benchmark: Mailroom's IMAP/POP3 beside Dovecot on the same 10,000-message Maildir.

    .venv/bin/python -m bench.imap_pop_read [--messages 10000] [--runs 1]

Generates a realistic Maildir (1-50 KB, a third multipart with attachments,
UTF-8 encoded subjects, threads of replies), copies it for each server, and
times with the same client (imaplib/poplib), one session at a time:
LOGIN+SELECT of the unindexed mailbox, the same again once indexed,
``FETCH 1:* (FLAGS RFC822.SIZE ENVELOPE)``, ``FETCH 1:* BODY.PEEK[]``,
``UID SEARCH HEADER Subject``, POP3 UIDL and RETR of every message. Peak
RSS: Mailroom's server process (VmHWM); Dovecot's processes (sum of VmRSS,
sampled). Mailroom runs in a child process so its memory is its own.
Never binds a standard mail port.
"""

from __future__ import annotations

import argparse
import base64
import imaplib
import os
import poplib
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.peers.base import proc_status_kb  # noqa: E402
from bench.peers.dovecot import Dovecot, dovecot_available  # noqa: E402

USER, PASSWORD = "bench@example.test", "bench-pw"
WORDS = [
    "meeting",
    "budget",
    "invoice",
    "report",
    "schedule",
    "project",
    "customer",
    "delivery",
    "quarter",
    "review",
    "office",
    "printer",
    "holiday",
    "contract",
    "proposal",
    "update",
    "agenda",
    "minutes",
    "draft",
    "final",
]
UTF8 = ["Grüße", "Préparation", "Überweisung", "日程", "Zažít", "Ærø", "naïve café"]


def _subject(rng: random.Random, i: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))
    if rng.random() < 0.4:
        text = f"{rng.choice(UTF8)} {text}"
    if i % 997 == 0:
        text += " needle-4711"
    return text


def _encode_subject(text: str) -> str:
    if text.isascii():
        return text
    return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode() + "?="


def make_message(rng: random.Random, i: int) -> bytes:
    size = int(rng.triangular(1000, 50_000, 4000))
    subject = _encode_subject(_subject(rng, i))
    sender = f"{rng.choice(WORDS).title()} Sender <s{i % 50}@example.org>"
    headers = (
        f"Return-Path: <s{i % 50}@example.org>\nDelivered-To: {USER}\n"
        f"Received: from mx.example.org by mail.example.test; Tue, 24 Nov 2026 10:{i % 60:02d}:00"
        " +0000\n"
        f"From: {sender}\nTo: Bench <{USER}>\nCc: team{i % 7}@example.test\n"
        f"Subject: {subject}\nDate: Tue, 24 Nov 2026 10:{i % 60:02d}:00 +0000\n"
        f"Message-ID: <{i}.bench@example.org>\n"
        + (f"In-Reply-To: <{i - 1}.bench@example.org>\n" if i % 3 else "")
        + "MIME-Version: 1.0\n"
    )
    text_line = " ".join(rng.choice(WORDS) for _ in range(12)) + "\n"
    if i % 3 == 0:
        body_text = text_line * max(1, (size // 3) // len(text_line))
        blob = rng.randbytes(max(100, size // 2))
        b64 = base64.encodebytes(blob).decode()
        body = (
            'Content-Type: multipart/mixed; boundary="b-{i}"\n\n'
            "This is a multi-part message in MIME format.\n"
            f"--b-{i}\nContent-Type: text/plain; charset=utf-8\n"
            f"Content-Transfer-Encoding: 8bit\n\n{body_text}"
            f'--b-{i}\nContent-Type: application/pdf; name="doc{i}.pdf"\n'
            f'Content-Disposition: attachment; filename="doc{i}.pdf"\n'
            f"Content-Transfer-Encoding: base64\n\n{b64}--b-{i}--\n"
        ).replace("{i}", str(i))
    else:
        body = "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
        body += text_line * max(1, size // len(text_line))
    return (headers + body).encode()


def generate(maildir: Path, count: int) -> int:
    rng = random.Random(4711)
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    total = 0
    t0 = 1795000000
    for i in range(count):
        data = make_message(rng, i)
        vsize = len(data) + data.count(b"\n")
        flags = "S" if rng.random() < 0.7 else ""
        name = f"{t0 + i}.M{i}P1.gen,S={len(data)},W={vsize}:2,{flags}"
        path = maildir / "cur" / name
        path.write_bytes(data)
        os.utime(path, (t0 + i, t0 + i))
        total += len(data)
    return total


# -- Mailroom server in a child process ---------------------------------------------


SERVE = """
import asyncio, sys
from pathlib import Path
from appliance.store import Mailstore
from appliance.imap import ImapServer
from appliance.pop3 import PopServer

async def auth(user, password, ip):
    return user if (user, password) == ({user!r}, {password!r}) else None

async def main():
    store = Mailstore(Path(sys.argv[1]), "bench.test")
    imap = ImapServer(store, auth, hostname="bench.test", tls_context=None, implicit_tls=False)
    pop = PopServer(store, auth, hostname="bench.test", tls_context=None, implicit_tls=False)
    await imap.start("127.0.0.1", 0)
    await pop.start("127.0.0.1", 0)
    print(imap.sockets[0][1], pop.sockets[0][1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


class Mailroom:
    name = "mailroom"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.proc: subprocess.Popen[str] | None = None
        self.imap_port = self.pop3_port = 0

    @property
    def maildir(self) -> Path:
        local, _, domain = USER.partition("@")
        return self.workdir / "mail" / domain / local

    def start(self) -> None:
        root = Path(__file__).resolve().parent.parent
        code = SERVE.replace("{user!r}", repr(USER)).replace("{password!r}", repr(PASSWORD))
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, str(self.workdir / "mail")],
            stdout=subprocess.PIPE,
            text=True,
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
        assert self.proc.stdout is not None
        ports = self.proc.stdout.readline().split()
        self.imap_port, self.pop3_port = int(ports[0]), int(ports[1])

    def sample_rss(self) -> None:
        pass

    @property
    def peak_kb(self) -> int:
        return proc_status_kb(self.proc.pid, "VmHWM") or 0 if self.proc else 0

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


# -- the measured client work --------------------------------------------------------


def timed(results: dict[str, float], label: str, fn):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn()
    results[label] = time.perf_counter() - t
    return out


def run_client(server: Mailroom | Dovecot, count: int) -> dict[str, float]:
    r: dict[str, float] = {}

    def login_select() -> imaplib.IMAP4:
        c = imaplib.IMAP4("127.0.0.1", server.imap_port, timeout=600)
        c.login(USER, PASSWORD)
        typ, data = c.select("INBOX")
        assert typ == "OK" and int(data[0]) == count, data
        return c

    c = timed(r, "LOGIN+SELECT (unindexed)", login_select)
    c.logout()
    c = timed(r, "LOGIN+SELECT (indexed)", login_select)
    typ, data = timed(
        r,
        "FETCH 1:* (FLAGS RFC822.SIZE ENVELOPE)",
        lambda: c.fetch("1:*", "(FLAGS RFC822.SIZE ENVELOPE)"),
    )
    assert typ == "OK" and len(data) >= count
    typ, data = timed(
        r, "FETCH 1:* BODY.PEEK[] (all bodies)", lambda: c.fetch("1:*", "(BODY.PEEK[])")
    )
    assert typ == "OK"
    typ, data = timed(
        r,
        "UID SEARCH HEADER Subject",
        lambda: c.uid("SEARCH", None, "HEADER", "Subject", "needle-4711"),
    )
    assert typ == "OK" and len(data[0].split()) == len(range(0, count, 997)), data
    c.logout()

    def pop_all() -> int:
        p = poplib.POP3("127.0.0.1", server.pop3_port, timeout=600)
        p.user(USER)
        p.pass_(PASSWORD)
        t = time.perf_counter()
        listing = p.uidl()[1]
        r["POP3 UIDL"] = time.perf_counter() - t
        total = 0
        for n in range(1, len(listing) + 1):
            total += p.retr(n)[2]
        p.quit()
        return total

    timed(r, "POP3 login+UIDL+RETR all", pop_all)
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--no-dovecot", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-read-"))
    work.chmod(0o755)
    try:
        src = work / "src"
        t = time.perf_counter()
        size = generate(src, args.messages)
        print(
            f"generated {args.messages} messages, {size / 1e6:.0f} MB "
            f"in {time.perf_counter() - t:.1f} s"
        )
        kinds: list[type] = [Mailroom]
        if not args.no_dovecot and dovecot_available():
            kinds.append(Dovecot)
        elif not args.no_dovecot:
            print("dovecot not installed: Mailroom alone")
        table: dict[str, dict[str, list[float]]] = {}
        peaks: dict[str, list[int]] = {}
        for run in range(args.runs):
            for kind in kinds:
                wd = work / f"{kind.name}-{run}"
                server = kind(wd) if kind is Mailroom else kind(wd, USER, PASSWORD)
                shutil.copytree(src, server.maildir)
                subprocess.run(["sync"], check=False)
                server.start()
                stop = threading.Event()

                def sampler(s=server, ev=stop) -> None:  # type: ignore[no-untyped-def]
                    while not ev.wait(0.1):
                        s.sample_rss()

                th = threading.Thread(target=sampler, daemon=True)
                th.start()
                try:
                    results = run_client(server, args.messages)
                    server.sample_rss()
                    peaks.setdefault(kind.name, []).append(server.peak_kb)
                finally:
                    stop.set()
                    th.join()
                    server.stop()
                    shutil.rmtree(wd, ignore_errors=True)
                for label, secs in results.items():
                    table.setdefault(label, {}).setdefault(kind.name, []).append(secs)
        names = [k.name for k in kinds]
        print(
            f"\n{'work (median of ' + str(args.runs) + ')':44}"
            + "".join(f"{n:>12}" for n in names)
            + ("       ratio" if len(names) > 1 else "")
        )
        for label, per in table.items():
            meds = [statistics.median(per[n]) for n in names]
            row = f"{label:44}" + "".join(f"{m:>11.3f}s" for m in meds)
            if len(meds) > 1 and meds[1] > 0:
                row += f"{meds[0] / meds[1]:>11.2f}x"
            print(row)
        print(
            f"{'peak RSS (MB)':44}"
            + "".join(f"{statistics.median(peaks[n]) / 1024:>11.1f} " for n in names)
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
