"""A realistic, varied Maildir for the read benchmark (bench/imap_pop_read.py).

Most messages are what an office mailbox holds: plain text replies, and a
third multipart/mixed with a PDF attachment, 1-50 KB. One in four is one of
the shapes below, chosen so that an IMAP server's ENVELOPE and
BODYSTRUCTURE can be compared with Dovecot's on everything a parser can get
wrong: multipart/alternative, nested mixed + alternative + attachment,
forwarded message/rfc822, encoded words, folded headers (``Subject:``
CRLF ``  Re: ...``), group syntax, missing Date/Message-ID, odd addresses,
8-bit headers and bodies, upper-case type tokens, RFC 2231 parameters,
CRLF-stored files, no closing boundary, header-only messages, and
multipart/related and digest.

Where the files go (``place``): a message already read (\\Seen) goes to
``cur/`` as ``NAME:2,S``, as a restore or a migration from another server
keeps its state; an unread one goes to ``new/`` without flags, as an
outside delivery agent (procmail, fetchmail, getmail) leaves it. One name in
ten carries no ``,S=``/``,W=`` sizes (delivery agents that do not write
them), so the server must find the sizes itself.
"""

from __future__ import annotations

import base64
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

USER = "bench@example.test"

WORDS = [
    "meeting", "budget", "invoice", "report", "schedule", "project", "customer",
    "delivery", "quarter", "review", "office", "printer", "holiday", "contract",
    "proposal", "update", "agenda", "minutes", "draft", "final",
]
UTF8 = ["Grüße", "Préparation", "Überweisung", "日程", "Zažít", "Ærø", "naïve café"]
T0 = 1795000000


def _subject(rng: random.Random, i: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))
    if rng.random() < 0.4:
        text = f"{rng.choice(UTF8)} {text}"
    if i % 997 == 0:
        text += " needle-4711"
    return text


def _b_word(text: str, charset: str = "UTF-8") -> str:
    return f"=?{charset}?B?" + base64.b64encode(text.encode(charset)).decode() + "?="


def _q_word(text: str, charset: str = "UTF-8") -> str:
    out = []
    for byte in text.encode(charset):
        ch = chr(byte)
        if ch == " ":
            out.append("_")
        elif ch.isalnum() and byte < 128:
            out.append(ch)
        else:
            out.append(f"={byte:02X}")
    return f"=?{charset}?Q?" + "".join(out) + "?="


def _encode_subject(text: str) -> str:
    return text if text.isascii() else _b_word(text)


def _date(i: int) -> str:
    return f"Tue, 24 Nov 2026 10:{i % 60:02d}:{i % 37:02d} +0000"


def _text(rng: random.Random, size: int) -> str:
    line = " ".join(rng.choice(WORDS) for _ in range(12)) + "\n"
    return line * max(1, size // len(line))


def _b64(rng: random.Random, size: int) -> str:
    return base64.encodebytes(rng.randbytes(max(60, size))).decode()


# -- the common shapes ---------------------------------------------------------------


def _common(rng: random.Random, i: int, size: int) -> tuple[dict[str, str], str]:
    headers = {
        "From": f"{rng.choice(WORDS).title()} Sender <s{i % 50}@example.org>",
        "To": f"Bench <{USER}>",
        "Cc": f"team{i % 7}@example.test",
        "Subject": _encode_subject(_subject(rng, i)),
        "Date": _date(i),
        "Message-ID": f"<{i}.bench@example.org>",
    }
    if i % 3:
        headers["In-Reply-To"] = f"<{i - 1}.bench@example.org>"
    if i % 3 == 0:
        body = (
            f'Content-Type: multipart/mixed; boundary="b-{i}"\n\n'
            "This is a multi-part message in MIME format.\n"
            f"--b-{i}\nContent-Type: text/plain; charset=utf-8\n"
            f"Content-Transfer-Encoding: 8bit\n\n{_text(rng, size // 3)}"
            f'--b-{i}\nContent-Type: application/pdf; name="doc{i}.pdf"\n'
            f'Content-Disposition: attachment; filename="doc{i}.pdf"\n'
            f"Content-Transfer-Encoding: base64\n\n{_b64(rng, size // 2)}--b-{i}--\n"
        )
    else:
        body = ("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
                + _text(rng, size))
    return headers, body


# -- the varied shapes: each edits the common headers and/or replaces the body ----------


def _alternative(rng: random.Random, i: int, size: int, h: dict[str, str]) -> str:
    text = _text(rng, size // 3)
    return (
        f'Content-Type: multipart/alternative;\n boundary="=_alt_{i}"\n\n'
        f"--=_alt_{i}\nContent-Type: text/plain; charset=\"iso-8859-1\"\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
        f"Gr=FC=DFe,\n{text}=\n-- =\n\n"
        f"--=_alt_{i}\nContent-Type: text/html; charset=\"iso-8859-1\"\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
        f"<html><body><p>Gr=FC=DFe,</p><p>{text}</p></body></html>\n"
        f"--=_alt_{i}--\n"
    )


def _mixed_nested(rng: random.Random, i: int, size: int, h: dict[str, str]) -> str:
    text = _text(rng, size // 4)
    return (
        f"Content-Type: multipart/mixed; boundary=outer{i}\n\n"
        f"--outer{i}\nContent-Type: multipart/alternative; boundary=inner{i}\n\n"
        f"--inner{i}\nContent-Type: text/plain; charset=utf-8; format=flowed\n\n{text}"
        f"--inner{i}\nContent-Type: text/html; charset=utf-8\n\n<p>{text}</p>\n"
        f"--inner{i}--\n\n"
        f"--outer{i}\nContent-Type: application/vnd.openxmlformats-officedocument."
        "spreadsheetml.sheet;\n name*=UTF-8''%C3%9Cbersicht%20Q3.xlsx\n"
        "Content-Disposition: attachment;\n filename*=UTF-8''%C3%9Cbersicht%20Q3.xlsx;\n"
        ' size=12345; creation-date="Tue, 24 Nov 2026 09:00:00 +0000"\n'
        f"Content-Transfer-Encoding: base64\n\n{_b64(rng, size // 3)}"
        f"--outer{i}--\n"
    )


def _forward(rng: random.Random, i: int, size: int, h: dict[str, str]) -> str:
    h["Subject"] = "Fwd: " + _encode_subject(_subject(rng, i))
    inner = (
        f"From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>\n"
        f"To: someone@example.net, \"Last, First\" <first.last@example.net>\n"
        f"Subject: =?ISO-8859-1?Q?Angebot_f=FCr_Q4?=\n"
        f"Date: Mon, 23 Nov 2026 17:{i % 60:02d}:00 +0100\n"
        f"Message-ID: <inner-{i}@example.de>\nMIME-Version: 1.0\n"
        f"Content-Type: multipart/mixed; boundary=\"in-{i}\"\n\n"
        f"--in-{i}\nContent-Type: text/plain; charset=iso-8859-1\n"
        "Content-Transfer-Encoding: 8bit\n\n"
        + "Sehr geehrte Damen und Herren, anbei das Angebot.\n" * 5
        + f"--in-{i}\nContent-Type: image/png; name=logo.png\n"
        "Content-Transfer-Encoding: base64\nContent-ID: <logo@example.de>\n\n"
        + _b64(rng, 400) + f"--in-{i}--\n"
    )
    return (
        f"Content-Type: multipart/mixed; boundary=\"fw-{i}\"\n\n"
        f"--fw-{i}\nContent-Type: text/plain; charset=us-ascii\n\nSee below.\n\n"
        f"--fw-{i}\nContent-Type: message/rfc822\n"
        f"Content-Description: forwarded message\n\n{inner}"
        f"--fw-{i}--\n"
    )


def _folded(rng: random.Random, i: int, size: int, h: dict[str, str]) -> None:
    h["Subject"] = "\n  Re: " + " ".join(rng.choice(WORDS) for _ in range(4))
    h["To"] = (f"Bench <{USER}>,\n\t\"Team Lead\" <lead@example.test>,\n"
               "    other@example.test")
    h["Cc"] = "\n first@example.test"


def _groups(rng: random.Random, i: int, size: int, h: dict[str, str]) -> None:
    h["To"] = f"Project Team: {USER}, alice@example.test, Bob <bob@example.test>;"
    h["Cc"] = "undisclosed-recipients:;"
    if i % 2:
        h["Bcc"] = "Empty group:;, carol@example.test"


def _missing(rng: random.Random, i: int, size: int, h: dict[str, str]) -> None:
    del h["Date"]
    del h["Message-ID"]
    if i % 2:
        del h["Cc"]
        h.pop("In-Reply-To", None)


ODD_FROM = [
    '"Doe, John" <john.doe@example.org>',
    '"john..doe"@example.org',
    "jane@example.org (Jane Roe)",
    "<@relay.example.net:route@example.org>",
    "root",
    "user@[192.0.2.1]",
    "=?ISO-8859-1?Q?Andr=E9?= Pirard <andre@example.fr>",
    '"Quote \\"Q\\" Person" <q@example.org>',
    "Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
    '"Giant; \\"Big\\" Box" <sysservices@example.net>',
    "Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
    "<bare.angle@example.org>",
    "Name With  Two   Spaces <spaces@example.org>",
    "undisclosed",
    "=?UTF-8?B?5pel5pys6Kqe?= <nihongo@example.jp>",
    "a@b.c, ",
]


def _odd_addresses(rng: random.Random, i: int, size: int, h: dict[str, str]) -> None:
    h["From"] = ODD_FROM[(i // 64) % len(ODD_FROM)]
    h["Reply-To"] = ODD_FROM[(i // 64 + 3) % len(ODD_FROM)]
    h["To"] = ODD_FROM[(i // 64 + 7) % len(ODD_FROM)]


def _eight_bit(rng: random.Random, i: int, size: int, h: dict[str, str]) -> bytes:
    # Raw 8-bit in headers and body, no MIME at all: old clients and lists.
    h["Subject"] = "Grüße aus Köln " + " ".join(rng.choice(WORDS) for _ in range(3))
    h["From"] = "Jürgen Groß <juergen@example.de>"
    body = ("Grüße, " + _text(rng, size // 2)).encode("latin-1", "replace")
    return b"\n" + body


def _upper_tokens(rng: random.Random, i: int, size: int, h: dict[str, str]) -> str:
    return (
        "Content-Type: TEXT/HTML; CHARSET=ISO-8859-1\n"
        "Content-Transfer-Encoding: Quoted-Printable\n"
        f"Content-ID: <part{i}@example.org>\nContent-Description: the report\n"
        "Content-Language: de-DE, en\nContent-Location: http://example.org/r.html\n"
        "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n"
        "Content-Disposition: INLINE\n\n"
        f"<p>{_text(rng, size // 2)}</p>\n"
    )


def _rfc2231(rng: random.Random, i: int, size: int, h: dict[str, str]) -> str:
    return (
        f"Content-Type: multipart/mixed; boundary=\"2231-{i}\"\n\n"
        f"--2231-{i}\nContent-Type: text/plain\n\n{_text(rng, 300)}"
        f"--2231-{i}\nContent-Type: text/plain; charset=utf-8;\n"
        " name*0*=utf-8''%E6%97%A5; name*1*=%E7%A8%8B; name*2=.txt\n"
        "Content-Disposition: attachment;\n filename*0*=utf-8''%E6%97%A5;\n"
        " filename*1*=%E7%A8%8B; filename*2=\".txt\"\n\n"
        f"{_text(rng, 300)}"
        f"--2231-{i}\nContent-Type: application/octet-stream;\n"
        " name=\"=?UTF-8?Q?Rechnung_M=C3=A4rz.pdf?=\"\n"
        "Content-Disposition: attachment; filename=\"=?UTF-8?Q?Rechnung_M=C3=A4rz.pdf?=\"\n"
        f"Content-Transfer-Encoding: base64\n\n{_b64(rng, size // 3)}"
        f"--2231-{i}\nContent-Type: text/plain; title*=us-ascii'en-us'This%20is%20fun\n"
        "Content-Disposition: inline\n\nshort\n"
        f"--2231-{i}--\n"
    )


def _related_digest(rng: random.Random, i: int, size: int, h: dict[str, str]) -> str:
    if i % 2:
        return (
            f"Content-Type: multipart/related; type=\"text/html\"; boundary=rel{i}\n\n"
            f"--rel{i}\nContent-Type: text/html; charset=utf-8\n\n"
            f"<img src=\"cid:img{i}@x\">{_text(rng, 500)}\n"
            f"--rel{i}\nContent-Type: image/jpeg\nContent-ID: <img{i}@x>\n"
            f"Content-Disposition: inline; filename=photo.jpg\n"
            f"Content-Transfer-Encoding: base64\n\n{_b64(rng, size // 2)}"
            f"--rel{i}--\n"
        )
    return (
        f"Content-Type: multipart/digest; boundary=dg{i}\n\n"
        f"--dg{i}\n\nFrom: a@example.org\nSubject: first\n\nfirst body\n\n"
        f"--dg{i}\nContent-Type: message/rfc822\n\n"
        "From: b@example.org\nSubject: second\nContent-Type: text/plain\n\nsecond body\n\n"
        f"--dg{i}--\n"
    )


def _crlf(rng: random.Random, i: int, size: int, h: dict[str, str]) -> None:
    pass  # the file is written with CRLF line ends (see make_message)


def _encoded_words(rng: random.Random, i: int, size: int, h: dict[str, str]) -> None:
    h["Subject"] = (
        _q_word("Préparation du") + " " + _q_word("budget", "ISO-8859-1")
        + "\n " + _b_word("日程の確認") + " plain tail words " + _subject(rng, i)
    )
    h["From"] = f"{_q_word('Zoë Ærø')} <zoe@example.dk>"
    h["To"] = f"{_b_word('Bénédicte')} <{USER}>"


def _broken(rng: random.Random, i: int, size: int, h: dict[str, str]) -> str | bytes:
    kind = (i // 64) % 4
    if kind == 0:  # no closing boundary, preamble and epilogue
        return (
            f"Content-Type: multipart/mixed; boundary=\"nc{i}\"\n\npreamble text\n"
            f"--nc{i}\nContent-Type: text/plain\n\n{_text(rng, 400)}"
            f"--nc{i}\nContent-Type: text/csv; name=data.csv\n\na,b,c\n1,2,3\n"
        )
    if kind == 1:  # header only, no blank line, no body
        h.pop("Cc", None)
        return b""
    if kind == 2:  # no MIME headers at all
        return b"\n" + _text(rng, 2000).encode()
    return (  # a message/rfc822 in a message/rfc822
        "Content-Type: message/rfc822\n\n"
        "From: outer@example.org\nSubject: outer\nContent-Type: message/rfc822\n\n"
        "From: inner@example.org\nSubject: inner\n\ninnermost text\n"
    )


def _senders(rng: random.Random, i: int, size: int, h: dict[str, str]) -> None:
    h["From"] = "One <one@example.org>, Two <two@example.org>"
    h["Sender"] = "Secretary <sec@example.org>"
    h["Reply-To"] = "list@example.org"
    h["Bcc"] = f"hidden{i % 5}@example.test"
    h["In-Reply-To"] = f"<a{i}@example.org> (comment) <b{i}@example.org>"
    h["Message-ID"] = f"<{i}$odd&chars={i % 7}@[192.0.2.7]>"


VARIANTS: list[Callable[..., object]] = [
    _alternative, _mixed_nested, _forward, _folded, _groups, _missing, _odd_addresses,
    _eight_bit, _upper_tokens, _rfc2231, _related_digest, _crlf, _encoded_words, _broken,
    _senders,
]


def make_message(rng: random.Random, i: int) -> bytes:
    size = int(rng.triangular(1000, 50_000, 4000))
    headers, body = _common(rng, i, size)
    variant = VARIANTS[(i // 4) % len(VARIANTS)] if i % 4 == 1 else None
    new_body = variant(rng, i, size, headers) if variant else None
    lines = [
        f"Return-Path: <s{i % 50}@example.org>",
        f"Delivered-To: {USER}",
        f"Received: from mx.example.org by mail.example.test; {_date(i)}",
        f"X-Bench-Id: {i}",
    ]
    # "Subject:" + value: a value starting with a newline is folded right after the colon.
    lines += [f"{k}:{v}" if v.startswith("\n") else f"{k}: {v}" for k, v in headers.items()]
    if variant is not _broken or not isinstance(new_body, bytes):
        lines.append("MIME-Version: 1.0")
    head = ("\n".join(lines) + "\n").encode("utf-8")
    if variant is _eight_bit:
        head = head.decode("utf-8").encode("latin-1", "replace")
    if isinstance(new_body, bytes):
        data = head + new_body
    else:
        data = head + (new_body if isinstance(new_body, str) else body).encode()
    if variant is _crlf:
        data = data.replace(b"\n", b"\r\n")
    return data


def generate(maildir: Path, count: int) -> int:
    """Write ``count`` messages into ``maildir`` (cur/ and new/, see the module doc); bytes."""
    rng = random.Random(4711)
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(count):
        data = make_message(rng, i)
        vsize = len(data) + data.count(b"\n") - data.count(b"\r\n")
        seen = rng.random() < 0.7
        base = (f"{T0 + i}.{i}_1.agent.example" if i % 10 == 7
                else f"{T0 + i}.M{i}P1.gen,S={len(data)},W={vsize}")
        path = maildir / "cur" / f"{base}:2,S" if seen else maildir / "new" / base
        path.write_bytes(data)
        os.utime(path, (T0 + i, T0 + i))
        total += len(data)
    return total


def copy_in(src: Path, maildir: Path, owner: tuple[int, int] | None = None) -> int:
    """Copy a generated Maildir into a live one the way a delivery agent does: each
    file written in tmp/ then renamed into new/ or cur/ (so a server scanning
    meanwhile never sees half a file). Files keep their times; ``owner`` is
    (uid, gid) when the server reads mail as another user. Returns the count."""
    count = 0
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    for sub in ("cur", "new"):
        for entry in sorted(os.scandir(src / sub), key=lambda e: e.name):
            tmp = maildir / "tmp" / entry.name.partition(":")[0]
            shutil.copy2(entry.path, tmp)
            if owner is not None:
                os.chown(tmp, *owner)
            os.rename(tmp, maildir / sub / entry.name)
            count += 1
    return count
