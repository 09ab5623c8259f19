"""Out-of-office replies (RFC 5230): whether to answer, the answer, and who was answered.

Who was answered when is kept per account in ``.mailroom-vacation.db``
(SQLite, in the account's home beside the scripts), one row per (handle,
sender), so ``:days`` holds across restarts.
"""

from __future__ import annotations

import email.parser
import email.policy
import sqlite3
import threading
import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from appliance.sieve.interpret import VacationRequest
from appliance.sieve.message import MailView

__all__ = ["VacationMemory", "compose_reply", "why_not_reply"]

MEMORY_FILE = ".mailroom-vacation.db"
_NEVER_LOCAL = {"mailer-daemon", "postmaster", "listserv", "majordomo", "mailer", "nobody",
                "noreply", "no-reply", "do-not-reply", "donotreply"}
_LIST_HEADERS = ("List-Id", "List-Post", "List-Unsubscribe", "List-Help", "List-Owner")
_RECIPIENT_HEADERS = ("To", "Cc", "Bcc", "Resent-To", "Resent-Cc")


def why_not_reply(view: MailView, request: VacationRequest, own: list[str]) -> str | None:
    """Why no reply may go out (RFC 5230 4.5-4.6, RFC 3834), or None to reply.

    ``own``: the recipient's addresses (the account, the address the mail
    was sent to, ``:addresses``, ``:from``).
    """
    sender = view.sender.lower()
    mine = {a.lower() for a in [*own, *request.addresses, request.from_ or ""] if a}
    if not sender:
        return "the envelope sender is <>"
    local = sender.rpartition("@")[0]
    if (local in _NEVER_LOCAL or local.startswith("owner-") or local.endswith("-request")
            or local.startswith("bounce")):
        return f"the sender <{sender}> is a robot"
    if sender in mine:
        return "the sender is the recipient"
    auto = [v.strip().lower() for v in view.header_values("Auto-Submitted")]
    if any(v.split(";")[0].strip() != "no" for v in auto):
        return "the mail is Auto-Submitted"
    if any(view.has_header(h) for h in _LIST_HEADERS):
        return "the mail comes from a mailing list"
    precedence = {v.strip().lower() for v in view.header_values("Precedence")}
    if precedence & {"bulk", "list", "junk"}:
        return "the mail has Precedence: bulk, list or junk"
    addressed = {a.lower() for h in _RECIPIENT_HEADERS for a in view.addresses(h)}
    if not addressed & mine:
        return "the recipient's address is not in To or Cc"
    return None


def compose_reply(view: MailView, request: VacationRequest, recipient: str,
                  hostname: str) -> bytes:
    """The reply message (RFC 5230 5 and RFC 3834 3), to go out from <>."""
    original_subject = (view.header_values("Subject") or [""])[0]
    subject = request.subject if request.subject is not None else f"Auto: {original_subject}"
    msg = EmailMessage(policy=email.policy.SMTP)
    if request.mime:
        entity = email.parser.Parser(policy=email.policy.SMTP).parsestr(
            request.reason.replace("\r\n", "\n")
        )
        for name, value in entity.items():
            if name.lower().startswith("content-") or name.lower() == "mime-version":
                msg[name] = value
        msg.set_payload(entity.get_payload())
    else:
        msg.set_content(request.reason if request.reason.endswith("\n")
                        else request.reason + "\n")
    msg["From"] = request.from_ or recipient
    msg["To"] = view.sender
    msg["Subject"] = subject.replace("\r", " ").replace("\n", " ")
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@{hostname}>"
    message_ids = view.raw_values("Message-ID")
    if message_ids:
        msg_id = message_ids[0].strip()
        msg["In-Reply-To"] = msg_id
        references = " ".join(v.strip() for v in view.raw_values("References"))
        msg["References"] = f"{references} {msg_id}".strip()
    msg["Auto-Submitted"] = "auto-replied"
    msg["Precedence"] = "bulk"
    return msg.as_bytes()


class VacationMemory:
    """Who was answered, per handle, for how long; one per account home."""

    _lock = threading.Lock()

    def __init__(self, home: Path) -> None:
        self.path = Path(home) / MEMORY_FILE

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.execute("CREATE TABLE IF NOT EXISTS answered("
                   " handle TEXT, sender TEXT, until REAL, PRIMARY KEY(handle, sender))")
        return db

    def recently_answered(self, handle: str, sender: str, now: float | None = None) -> bool:
        if not self.path.exists():
            return False
        now = time.time() if now is None else now
        with self._lock:
            db = self._db()
            try:
                row = db.execute("SELECT until FROM answered WHERE handle=? AND sender=?",
                                 (handle, sender.lower())).fetchone()
            finally:
                db.close()
        return row is not None and row[0] > now

    def remember(self, handle: str, sender: str, days: int, now: float | None = None) -> None:
        now = time.time() if now is None else now
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            db = self._db()
            try:
                with db:
                    db.execute("INSERT OR REPLACE INTO answered VALUES(?,?,?)",
                               (handle, sender.lower(), now + days * 86400))
                    db.execute("DELETE FROM answered WHERE until < ?", (now,))
            finally:
                db.close()

    def forget(self) -> None:
        """Answer everyone again (a new absence)."""
        self.path.unlink(missing_ok=True)
