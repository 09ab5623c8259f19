"""Record (or check) Dovecot's ENVELOPE/BODYSTRUCTURE answers in tests/data.

    .venv/bin/python -m bench.dovecot_mime_record [--check] [--add ID FILE]

tests/data/dovecot-2.3.19-mime.txt holds one case a line: an id, a message
and the answers a private Dovecot (bench/peers/dovecot.py) gave for it, which
tests/unit/test_mime_dovecot.py holds Mailroom to. This puts every message of
the file into one Maildir, asks Dovecot ``UID FETCH 1:* (ENVELOPE
BODYSTRUCTURE)``, and rewrites the answers (keeping which items each case
checks); ``--check`` only reports the cases whose recorded answer differs
from this machine's Dovecot (e.g. after a Dovecot upgrade); ``--add`` appends
a message file as a new case (both items). Never binds a standard mail port.
"""

from __future__ import annotations

import argparse
import ast
import imaplib
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.peers.dovecot import Dovecot, dovecot_available  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "dovecot-2.3.19-mime.txt"
USER, PASSWORD = "u@x.test", "record-pw"


def load() -> tuple[list[str], list[tuple[str, bytes, dict[str, Any]]]]:
    head, cases = [], []
    for line in DATA.read_text().splitlines():
        if not line or line.startswith("#"):
            head.append(line)
            continue
        cid, message, answers = line.split("\t")
        cases.append((cid, ast.literal_eval(message), ast.literal_eval(answers)))
    return head, cases


def ask_dovecot(messages: list[bytes]) -> list[dict[str, Any]]:
    from imapclient.response_parser import parse_response

    work = Path(tempfile.mkdtemp(prefix="dovecot-mime-"))
    work.chmod(0o755)
    server = Dovecot(work, USER, PASSWORD)
    try:
        for sub in ("cur", "new", "tmp"):
            (server.maildir / sub).mkdir(parents=True)
        for i, message in enumerate(messages):
            # Names in time order, so UID n is message n-1.
            (server.maildir / "cur" / f"{1700000000 + i}.M{i}P1.record:2,S").write_bytes(message)
        server.start()
        client = imaplib.IMAP4("127.0.0.1", server.imap_port, timeout=120)
        client.login(USER, PASSWORD)
        client.select("INBOX", readonly=True)
        typ, data = client.uid("FETCH", "1:*", "(ENVELOPE BODYSTRUCTURE)")
        client.logout()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    if typ != "OK":
        raise SystemExit(f"dovecot answered {typ} {data!r}")
    parsed = parse_response(data)
    answers = []
    for attrs in parsed[1::2]:
        pairs = range(0, len(attrs) - 1, 2)
        answers.append({bytes(attrs[k]).decode(): attrs[k + 1] for k in pairs})
    answers.sort(key=lambda a: a["UID"])
    return answers


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="report differences, write nothing")
    ap.add_argument("--add", nargs=2, metavar=("ID", "FILE"),
                    help="append a message file as a case")
    args = ap.parse_args()
    if not dovecot_available():
        print("dovecot is not installed", file=sys.stderr)
        return 1
    head, cases = load()
    if args.add:
        cid, path = args.add
        if any(c[0] == cid for c in cases) or "\t" in cid:
            ap.error(f"id {cid!r} is taken or holds a tab")
        cases.append((cid, Path(path).read_bytes(), {"ENVELOPE": None, "BODYSTRUCTURE": None}))
    answers = ask_dovecot([c[1] for c in cases])
    if len(answers) != len(cases):
        raise SystemExit(f"{len(cases)} messages but {len(answers)} answers")
    changed = 0
    out = []
    for (cid, message, old), new in zip(cases, answers, strict=True):
        fresh = {item: new[item] for item in old}
        if fresh != old:
            changed += 1
            print(f"{cid}: differs", file=sys.stderr)
        out.append(f"{cid}\t{message!r}\t{fresh!r}")
    print(f"{len(cases)} cases, {changed} differ from the recorded answers", file=sys.stderr)
    if args.check:
        return 1 if changed else 0
    DATA.write_text("\n".join([*head, *out]) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
