"""Maildir file names and Dovecot's side files (``dovecot-uidlist``, ``dovecot-keywords``).

Flag letters follow the Maildir spec as Dovecot reads them: D (\\Draft),
F (\\Flagged), R (\\Answered), S (\\Seen), T (\\Deleted); lower-case letters
are keywords numbered by the folder's ``dovecot-keywords`` file (``0`` → a).
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

__all__ = [
    "SYSTEM_FLAGS",
    "flags_from_name",
    "name_with_flags",
    "read_keywords",
    "read_uidlist",
    "size_from_name",
    "split_name",
    "write_keywords",
    "write_uidlist",
    "append_uidlist",
]

SYSTEM_FLAGS = {
    "\\Draft": "D", "\\Flagged": "F", "\\Answered": "R", "\\Seen": "S", "\\Deleted": "T",
}
_LETTER_TO_FLAG = {v: k for k, v in SYSTEM_FLAGS.items()}
_MAX_KEYWORDS = 26


def split_name(name: str) -> tuple[str, str]:
    """``base:2,FS`` → (``base``, ``FS``); a name without info → (name, "")."""
    base, sep, info = name.partition(":")
    if sep and info.startswith("2,"):
        return base, info[2:]
    return base, ""


def size_from_name(name: str, key: str = "S") -> int | None:
    """The ``,S=`` (file size) or ``,W=`` (CRLF size) field of a Maildir name."""
    for part in name.split(":", 1)[0].split(",")[1:]:
        if part.startswith(key + "="):
            try:
                return int(part[2:])
            except ValueError:
                return None
    return None


def flags_from_name(letters: str, keywords: list[str]) -> list[str]:
    out: list[str] = []
    for ch in letters:
        if ch in _LETTER_TO_FLAG:
            out.append(_LETTER_TO_FLAG[ch])
        elif ch == "P":
            out.append("$Forwarded")
        elif "a" <= ch <= "z":
            idx = ord(ch) - ord("a")
            if idx < len(keywords):
                out.append(keywords[idx])
    return sorted(set(out))


def name_with_flags(base: str, flags: list[str] | set[str], keywords: list[str]) -> str:
    """The ``cur/`` file name for ``base`` carrying ``flags``; unknown keywords must be
    added to ``keywords`` first (``keyword_letters`` does that)."""
    letters: list[str] = []
    for flag in flags:
        letter = SYSTEM_FLAGS.get(flag)
        if letter:
            letters.append(letter)
        elif flag == "$Forwarded" and "$Forwarded" not in keywords:
            letters.append("P")
        elif flag in keywords:
            letters.append(chr(ord("a") + keywords.index(flag)))
    return f"{base}:2,{''.join(sorted(letters))}"


def keywords_fit(flags: list[str] | set[str], keywords: list[str]) -> bool:
    """Whether every keyword in ``flags`` has (or can get) a letter; adds new ones."""
    for flag in flags:
        if flag.startswith("\\") or flag in keywords:
            continue
        if flag == "$Forwarded":
            continue
        if len(keywords) >= _MAX_KEYWORDS:
            return False
        keywords.append(flag)
    return True


def read_keywords(folder_dir: Path) -> list[str]:
    keywords: list[str] = []
    with contextlib.suppress(FileNotFoundError, UnicodeDecodeError):
        for line in (folder_dir / "dovecot-keywords").read_text("utf-8").splitlines():
            idx, _, name = line.partition(" ")
            if idx.isdigit() and name and int(idx) < _MAX_KEYWORDS:
                while len(keywords) <= int(idx):
                    keywords.append(f"$unknown{len(keywords)}")
                keywords[int(idx)] = name
    return keywords


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, path)


def write_keywords(folder_dir: Path, keywords: list[str]) -> None:
    _replace(folder_dir / "dovecot-keywords", "".join(f"{i} {k}\n" for i, k in enumerate(keywords)))


_HEADER = re.compile(r"^3 (.*)$")


def read_uidlist(folder_dir: Path) -> tuple[int, int, dict[str, int]] | None:
    """(uidvalidity, nextuid, {base: uid}) from ``dovecot-uidlist`` (version 3), or None."""
    try:
        lines = (folder_dir / "dovecot-uidlist").read_text("utf-8", "replace").splitlines()
    except FileNotFoundError:
        return None
    if not lines:
        return None
    m = _HEADER.match(lines[0])
    if not m:
        return None
    fields = {item[:1]: item[1:] for item in m.group(1).split()}
    try:
        validity, nextuid = int(fields["V"]), int(fields["N"])
    except (KeyError, ValueError):
        return None
    uids: dict[str, int] = {}
    for line in lines[1:]:
        head, sep, base = line.partition(":")
        uid_text = head.split(" ", 1)[0]
        if sep and uid_text.isdigit():
            uid = int(uid_text)
            uids[base] = uid
            nextuid = max(nextuid, uid + 1)
    return validity, nextuid, uids


def write_uidlist(
    folder_dir: Path, validity: int, nextuid: int, rows: list[tuple[int, str]]
) -> None:
    """Rewrite ``dovecot-uidlist`` atomically; ``rows`` are (uid, base) in UID order."""
    body = "".join(f"{uid} :{base}\n" for uid, base in rows)
    _replace(folder_dir / "dovecot-uidlist", f"3 V{validity} N{nextuid}\n{body}")


def append_uidlist(folder_dir: Path, validity: int, nextuid: int, rows: list[tuple[int, str]],
                   all_rows: list[tuple[int, str]] | None = None) -> None:
    """Append new records (Dovecot raises next_uid past the last record it reads)."""
    path = folder_dir / "dovecot-uidlist"
    if not path.exists():
        write_uidlist(folder_dir, validity, nextuid, all_rows if all_rows is not None else rows)
        return
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(f"{uid} :{base}\n" for uid, base in rows))
