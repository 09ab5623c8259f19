"""Backup benchmark: Mailroom's backup and verify beside ``tar | zstd`` of the same data dir.

    .venv/bin/python -m bench.backup [--messages 10000] [--size-mb 1024] [--encrypt]

Builds a real data directory (``init``, one account, its index made by
opening the folder) holding ``--messages`` Maildir messages of ``--size-mb``
in all: text bodies of ordinary words, a third of them with a base64
attachment of random bytes (already-compressed data, as photos and PDFs
are). Then, in the same run and on the same (warm) files:

- peer backup:   ``tar -cf - -C DIR . | zstd -3 -T0 > out.tar.zst``
- Mailroom:      ``take_backup`` (SQLite backup API, SHA-256 manifest, zstd -3 threaded;
                 age-encrypted with ``--encrypt``)
- peer verify:   ``zstd -dc out.tar.zst | tar -x -C scratch``
- Mailroom:      ``verify_archive`` (unpack, re-hash every file, SQLite integrity check)

and prints seconds, MB/s of data and archive size side by side, with the
ratio to the peer (the goal: within 1.5x).
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from appliance.backup import make_identity, take_backup, verify_archive  # noqa: E402
from appliance.control.setup import initialize  # noqa: E402
from appliance.home import Home  # noqa: E402
from appliance.state import State  # noqa: E402
from appliance.store import Mailstore  # noqa: E402

USER = "bench@example.test"
WORDS = [
    "meeting", "invoice", "project", "schedule", "please", "review", "attached", "report",
    "budget", "quarter", "thanks", "regards", "tomorrow", "office", "printer", "customer",
    "order", "delivery", "update", "contract", "holiday", "team", "lunch", "question", "answer",
    "draft", "final", "version", "numbers",
]


def build(root: Path, messages: int, total_bytes: int, seed: int = 7) -> int:
    """A data directory with ``messages`` messages of about ``total_bytes``; its size."""
    rng = random.Random(seed)
    initialize(Home(root), "mail.example.test", "example.test")
    state = State(root / "mailroom.db")
    state.add_account(USER, "bench-password-1")
    state.close()
    store = Mailstore(root / "mail", "mail.example.test")
    box = store.ensure(USER)
    cur = box / "cur"
    per = total_bytes // messages
    blob = os.urandom(4 * 1024 * 1024)
    now = int(time.time())
    for i in range(messages):
        text = " ".join(rng.choice(WORDS) for _ in range(max(40, min(per, 6000) // 7)))
        head = (f"From: Person {i % 97} <p{i % 97}@example.net>\r\nTo: {USER}\r\n"
                f"Subject: {rng.choice(WORDS)} {rng.choice(WORDS)} #{i}\r\n"
                f"Message-ID: <{i}.bench@example.net>\r\nMIME-Version: 1.0\r\n")
        body = text.encode()
        want = per - len(head) - len(body)
        if i % 3 == 0 and want > 0:
            # A third carry attachments: the rest of the size, as already-compressed bytes.
            start = rng.randrange(0, len(blob) - 1)
            raw = (blob[start:] + blob)[: want * 3 * 2 // 4 // 2 * 2]
            att = base64.encodebytes(raw)
            data = (head + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
                    "Content-Type: text/plain\r\n\r\n").encode() + body + (
                b"\r\n--b\r\nContent-Type: application/octet-stream\r\n"
                b"Content-Transfer-Encoding: base64\r\n\r\n") + att + b"\r\n--b--\r\n"
        else:
            data = (head + "Content-Type: text/plain\r\n\r\n").encode() + body
            while len(data) < per // 2:  # plain letters are smaller; attachments make up
                data += body
        name = f"{now - i}.M{i}P1.mail.example.test,S={len(data)}:2,S"
        (cur / name).write_bytes(data)
    # The index (SQLite) made the way the IMAP server makes it.
    store.account(USER).open("INBOX")
    store.close()
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


CPU = [0.0]  # CPU seconds (user + system, this process and its children) of the last timed()


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    """Wall seconds and the result; CPU[0] gets the CPU seconds (a busy machine shares
    its cores unevenly between one process and a pipeline of several: both are shown)."""
    start, cpu = time.perf_counter(), _cpu()
    result = fn()
    CPU[0] = _cpu() - cpu
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--size-mb", type=int, default=1024, help="total size of the mail")
    parser.add_argument("--encrypt", action="store_true", help="Mailroom's archive age-encrypted")
    parser.add_argument("--dir", help="work in this folder (default: a temporary one)")
    args = parser.parse_args()
    if shutil.which("zstd") is None or shutil.which("tar") is None:
        print("needs tar and zstd (apt-get install zstd)", file=sys.stderr)
        return 2
    work = Path(args.dir or tempfile.mkdtemp(prefix="bench-backup-"))
    root, dest, scratch = work / "data", work / "backups", work / "scratch"
    dest.mkdir(parents=True, exist_ok=True)
    print(f"building {args.messages} messages, {args.size_mb} MB in {root} ...", flush=True)
    t, size = timed(lambda: build(root, args.messages, args.size_mb * 2**20))
    mb = int(size) / 1e6  # type: ignore[call-overload]
    print(f"data directory: {mb:.0f} MB, {args.messages} messages (built in {t:.1f} s)\n")

    peer_out = dest / "peer.tar.zst"
    t_peer, _ = timed(lambda: subprocess.run(
        f"tar -cf - -C {root} . | zstd -3 -T0 -q -o {peer_out}", shell=True, check=True))
    c_peer = CPU[0]
    identity, recipient = make_identity() if args.encrypt else ("", "")
    t_ours, result = timed(lambda: take_backup(root, dest, recipient=recipient))
    c_ours = CPU[0]
    archive = result.archive  # type: ignore[attr-defined]
    scratch.mkdir()
    t_peer_v, _ = timed(lambda: subprocess.run(
        f"zstd -dc -q {peer_out} | tar -x -C {scratch}", shell=True, check=True))
    c_peer_v = CPU[0]
    shutil.rmtree(scratch)
    t_ours_v, report = timed(lambda: verify_archive(archive, identity, scratch=work))
    c_ours_v = CPU[0]
    assert report.ok, report.bad  # type: ignore[attr-defined]

    rows = [("backup", t_ours, t_peer, c_ours, c_peer, archive.stat().st_size,
             peer_out.stat().st_size),
            ("verify", t_ours_v, t_peer_v, c_ours_v, c_peer_v, None, None)]
    what = "Mailroom (age)" if args.encrypt else "Mailroom"
    print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'':7} {what + ' s':>15} {'MB/s':>6} {'tar|zstd s':>11} {'MB/s':>6} {'ratio':>6}"
          f" | {'CPU s':>6} {'peer CPU':>8} {'ratio':>6} | {'archive MB':>10} {'peer MB':>7}")
    for name, ours, peer, c_o, c_p, a_size, p_size in rows:
        sizes = f"{a_size / 1e6:>10.0f} {p_size / 1e6:>7.0f}" if a_size else ""
        print(f"{name:7} {ours:>15.2f} {mb / ours:>6.0f} {peer:>11.2f} {mb / peer:>6.0f} "
              f"{ours / peer:>5.2f}x | {c_o:>6.2f} {c_p:>8.2f} {c_o / c_p:>5.2f}x | {sizes}")
    if not args.dir:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
