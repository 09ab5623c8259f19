"""What the delivery step sends out for a script: redirected copies, vacation replies.

Pure functions over the message; the queue manager queues what they return.
"""

from __future__ import annotations

from collections.abc import Callable

from appliance.sieve.message import MailView

__all__ = ["MAX_REDIRECT_HOPS", "REDIRECT_HEADER", "redirect_loop", "redirected_copy",
           "redirect_sender"]

# Each redirect adds this header (Pigeonhole's name); a message that carries it
# MAX_REDIRECT_HOPS times, or already from this account, is not redirected again.
REDIRECT_HEADER = "X-Sieve-Redirected-From"
MAX_REDIRECT_HOPS = 3


def redirect_loop(view: MailView, account: str) -> str | None:
    """Why ``account`` must not redirect this message again, or None."""
    seen = [v.strip().lower() for v in view.header_values(REDIRECT_HEADER)]
    if account.lower() in seen:
        return f"it was redirected by {account} before (a loop)"
    if len(seen) >= MAX_REDIRECT_HOPS:
        return f"it was redirected {len(seen)} times already"
    return None


def redirected_copy(data: bytes, account: str) -> bytes:
    return f"{REDIRECT_HEADER}: {account}\r\n".encode() + data


def redirect_sender(sender: str, account: str, target: str,
                    is_local: Callable[[str], bool]) -> str:
    """The envelope sender of a redirected copy.

    The original one where that is honest: the null sender, a local sender,
    or a copy that stays local. Sent on to another domain in an outside
    sender's name, SPF at the far end would call it forged; then it goes out
    in the name of the account that redirected it (bounces come back to it),
    as Pigeonhole's ``sieve_redirect_envelope_from = recipient`` does.
    """
    if not sender or is_local(sender) or is_local(target):
        return sender
    return account
