#!/usr/bin/env python3
"""CPU per DKIM signature: this checkout's appliance/dkim/sign.py beside another one, in one run.

What it measures
    The delivery worker signs every outgoing message with both of the
    From: domain's keys (RSA-2048 and Ed25519, relaxed/relaxed). For a
    realistic message (the relay bench's 4 KB message with the Received:
    line the daemon adds; ``--size`` changes it) this times, with
    time.process_time over ``--calls`` calls, alternating the versions
    ``--repeat`` times and keeping the fastest round of each:

    * ``Signer(message)``: what the worker calls (From: domain, CRLF, sign);
    * ``from_domain`` alone: the worker also calls it to fetch the keys;
    * ``sign_message``;
    * the two private-key operations alone (RSA PKCS#1 v1.5 over a
      SHA-256 digest, Ed25519 over it), which no Python around them can cut.

    "around the keys" is Signer minus the two key operations: the part the
    code of sign.py decides. Both versions must produce the same bytes for
    the same message, keys and timestamp: the run checks that first.

    The other version is ``git show REV:appliance/dkim/sign.py`` (``--other``,
    default BEFORE_TEMPLATES: sign.py as it was before the fast path) or a file path.
    CPU time, not wall time: the machine may be busy with something else.

Run:  .venv/bin/python bench/dkim_sign.py [--other REV|PATH] [--calls 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import calendar
import importlib.util
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from appliance.dkim import sign as current  # noqa: E402
from appliance.dkim.keys import DkimKey, KeyRing  # noqa: E402

NOV = calendar.timegm((2026, 11, 29, 12, 0, 0))
# The parent of "DKIM signing: the Python around the two key operations from 298 to 52 us".
BEFORE_TEMPLATES = "5362cea~1"


def message(size: int) -> bytes:
    """The relay bench's message (bench/smtp_ingest.py) as it sits in the queue."""
    head = (
        b"Received: from bench.client.test (localhost [127.0.0.1])\r\n"
        b"\tby mail.example.test (Mailroom) with ESMTP id 4Kx2b9VQzRz1Ab\r\n"
        b"\tfor <user17@far.test>; Mon, 30 Nov 2026 04:20:00 +0000\r\n"
        b"From: Load Generator <bench@example.test>\r\n"
        b"To: <user17@far.test>\r\n"
        b"Subject: bench message 5f0c2a-0000017\r\n"
        b"Date: Mon, 30 Nov 2026 04:20:00 +0000\r\n"
        b"Message-ID: <5f0c2a-0000017@bench.client.test>\r\n"
        b"X-Bench-Token: 5f0c2a-0000017\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\n"
        b"\r\n"
    )
    filler = b"The quick brown fox jumps over the lazy dog; pack my box with five dozen jugs.\r\n"
    room = max(size - len(head), 2)
    return head + (filler * (room // len(filler) + 1))[: room - 2] + b"\r\n"


def load_other(spec: str) -> ModuleType:
    path = Path(spec)
    if not path.exists():
        text = subprocess.run(["git", "-C", str(ROOT), "show", f"{spec}:appliance/dkim/sign.py"],
                              check=True, capture_output=True).stdout
        path = Path(tempfile.mkdtemp(prefix="dkim-bench-")) / "other_sign.py"
        path.write_bytes(text)
    loader = importlib.util.spec_from_file_location("other_sign", path)
    assert loader is not None and loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return module


def per_call(fn: Callable[[], object], calls: int) -> float:
    """Microseconds of CPU per call."""
    start = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - start) / calls * 1e6


def key_ops(keys: list[DkimKey]) -> Callable[[], object]:
    """The two private-key operations alone, as sign.py does them."""
    digest = bytes(32)
    signers = [current._private_key(k) for k in keys]

    def run() -> None:
        for s in signers:
            s.sign(digest)
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--other", default=BEFORE_TEMPLATES,
                        help="git revision or file of the sign.py to compare")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--size", type=int, default=4096)
    args = parser.parse_args(argv)

    other_spec = args.other
    other = load_other(other_spec)
    keys = KeyRing().rotate(NOV, now=True).signing()
    msg = message(args.size)
    lf_msg = msg.replace(b"\r\n", b"\n")

    real_time = time.time
    time.time = lambda: NOV + 0.5  # the same t= for the identity check
    try:
        for m in (msg, lf_msg):
            a = current.Signer(lambda d: keys)(m)
            b = other.Signer(lambda d: keys)(m)
            if a != b:
                print("MISMATCH: the two versions sign differently", file=sys.stderr)
                return 1
    finally:
        time.time = real_time

    versions = {"this": current, "other": other}
    def signer(mod: ModuleType, m: bytes) -> Callable[[], object]:
        sign = mod.Signer(lambda d: keys)
        return lambda: sign(m)

    cases: dict[str, Callable[[ModuleType], Callable[[], object]]] = {
        "Signer(message)": lambda mod: signer(mod, msg),
        "Signer(LF message)": lambda mod: signer(mod, lf_msg),
        "from_domain": lambda mod: (lambda: mod.from_domain(msg)),
        "sign_message": lambda mod: (lambda: mod.sign_message(msg, "example.test", keys)),
    }
    best: dict[tuple[str, str], float] = {}
    ops = key_ops(keys)
    for fn in [ops] + [make(mod) for make in cases.values() for mod in versions.values()]:
        fn()  # warm: imports, key parsing
    for _ in range(args.repeat):
        for name, make in cases.items():
            for label, mod in versions.items():
                us = per_call(make(mod), args.calls)
                best[name, label] = min(best.get((name, label), us), us)
        us = per_call(ops, args.calls)
        best["keys", ""] = min(best.get(("keys", ""), us), us)

    print(f"DKIM signing, {len(msg)}-byte message, 2 keys (RSA-2048 + Ed25519), "
          f"CPU us per call, best of {args.repeat} x {args.calls}")
    print(f"this: working tree    other: {other_spec}")
    print(f"{'':24}{'other':>10}{'this':>10}{'this/other':>12}")
    for name in cases:
        o, t = best[name, "other"], best[name, "this"]
        print(f"{name:24}{o:10.1f}{t:10.1f}{t / o:12.2f}")
    k = best["keys", ""]
    print(f"{'key operations alone':24}{k:10.1f}{k:10.1f}")
    o, t = best["Signer(message)", "other"] - k, best["Signer(message)", "this"] - k
    print(f"{'Signer around the keys':24}{o:10.1f}{t:10.1f}{t / o:12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
