"""Recipient and sender policy: the decisions behind MAIL FROM and RCPT TO.

Plain functions over plain inputs, so every relay trick can be tested
without a socket. The rule is Postfix's ``reject_unauth_destination``:
mail is accepted for this server's own domains, and for anywhere else only
from a listed network or an authenticated client.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from appliance.addresses import Address, AddressError, parse_path
from appliance.aliases import Directory, expand
from appliance.state.access import AccessIndex, AccessRule
from appliance.state.relay import RelayEntry, normalize_relay

__all__ = [
    "Verdict",
    "access_check",
    "access_match",
    "check_recipient",
    "check_sender",
    "check_sender_use",
    "in_networks",
    "over_quota",
    "owns_address",
    "recipients_over_quota",
]


@dataclass(frozen=True)
class Verdict:
    reply: str  # the full SMTP reply to send
    address: str | None = None  # normalised recipient when accepted

    @property
    def accepted(self) -> bool:
        return self.reply.startswith("250")


def in_networks(ip: str, networks: Iterable[str]) -> bool:
    """Is ``ip`` in a relay network? An exclusion (``!net``) that holds it wins over any."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    inside = False
    for text in networks:
        entry = _entry(text)
        if entry is not None and addr in entry.network:
            if entry.excluded:
                return False
            inside = True
    return inside


@functools.lru_cache(maxsize=1024)
def _entry(text: str) -> RelayEntry | None:
    try:
        return normalize_relay(text)
    except ValueError:
        return None  # a bad entry grants nothing; it must not stop the check


# A path parsed once: clients send the same few senders and recipients again
# and again, and an Address is immutable.
_parse_path = functools.lru_cache(maxsize=4096)(parse_path)


def check_sender(path: str) -> tuple[str, str | None]:
    """(reply, normalised sender); "" is the null sender."""
    try:
        addr = _parse_path(path)
    except AddressError as exc:
        return f"501 5.1.7 Bad sender address syntax ({exc})", None
    if addr is None:
        return "250 2.1.0 Ok", ""
    return "250 2.1.0 Ok", _plain(addr)


def check_recipient(
    path: str,
    *,
    directory: Directory,
    may_relay: bool,
    usage_of: Callable[[str], int] | None = None,
) -> Verdict:
    """Decide RCPT TO. ``may_relay``: the client is in a relay network or authenticated."""
    try:
        addr = _parse_path(path)
    except AddressError as exc:
        return Verdict(f"501 5.1.3 Bad recipient address syntax ({exc})")
    if addr is None:
        return Verdict("501 5.1.3 Bad recipient address syntax")
    shown = f"<{path.strip().strip('<>')}>"
    local_domain = not addr.literal and directory.is_local_domain(addr.domain)
    if addr.has_relay_trick:
        if may_relay and not local_domain and not _hides_route(addr):
            return Verdict("250 2.1.5 Ok", _plain(addr))
        if local_domain and may_relay:
            return Verdict(f"550 5.1.1 {shown}: Recipient address rejected: User unknown")
        return Verdict(f"554 5.7.1 {shown}: Relay access denied")
    if not local_domain:
        if may_relay:
            return Verdict("250 2.1.5 Ok", _plain(addr))
        return Verdict(f"554 5.7.1 {shown}: Relay access denied")
    address = _plain(addr).lower()
    exp = expand(address, directory)
    if not exp.mailboxes and not exp.remote:
        reply = exp.errors[0][1] if exp.errors else "550 5.1.1 User unknown"
        code, _, text = reply.partition(" ")
        return Verdict(f"{code} {_with_address(text, shown)}")
    # Every mailbox the address reaches, not only an account of that name:
    # an alias or a forward to a full mailbox would otherwise be accepted
    # and then bounced (backscatter).
    if usage_of is not None and exp.mailboxes and not exp.remote and all(
        over_quota(mbox, lambda _: 1, directory, usage_of) for mbox in exp.mailboxes
    ):
        return Verdict(f"452 4.2.2 {shown}: Mailbox full")
    return Verdict("250 2.1.5 Ok", address)


def over_quota(
    mailbox: str, size_in: Callable[[str], int], directory: Directory,
    usage_of: Callable[[str], int],
) -> bool:
    """Would a message of ``size_in(mailbox)`` bytes pass ``mailbox``'s quota?

    A size of 1 asks whether it is full. The size is asked for only when
    the mailbox has a quota: measuring a large message costs a scan.
    """
    account = directory.account(mailbox)
    if account is None or not account.quota_bytes:
        return False
    return usage_of(account.address) + size_in(mailbox) > account.quota_bytes


def recipients_over_quota(
    recipients: Iterable[str],
    size_in: Callable[[str], int],
    directory: Directory,
    usage_of: Callable[[str], int],
) -> list[str]:
    """The envelope recipients this message cannot reach: every mailbox they
    lead to would pass its quota. ``size_in(mailbox)``: the message's size
    as stored there."""
    refused = []
    for rcpt in recipients:
        if not directory.is_local_domain(rcpt.rpartition("@")[2]):
            continue
        exp = expand(rcpt, directory)
        if exp.mailboxes and not exp.remote and all(
            over_quota(mbox, size_in, directory, usage_of) for mbox in exp.mailboxes
        ):
            refused.append(rcpt)
    return refused


def check_sender_use(
    sender: str,
    *,
    user: str | None,
    trusted: bool,
    directory: Directory,
    granted: Iterable[str] = (),
    own_check: bool = True,
    local_check: bool = True,
) -> str | None:
    """May this client use ``sender`` (normalised; "" is <>) as envelope sender?

    None when it may, else the reply that refuses it. ``user``: the login
    of an authenticated client; ``trusted``: the client is in a relay
    network. A logged-in user may use the addresses they own (see
    ``owns_address``); anyone else outside the relay networks may not use
    an address in our own domains (Postfix: reject_sender_login_mismatch).
    """
    if not sender:
        return None  # bounces from anywhere, and users' auto-replies
    if user is not None:
        if own_check and not owns_address(user, sender, directory, granted):
            return f"553 5.7.1 Sender address not owned by user {user}"
        return None
    if local_check and not trusted and directory.is_local_domain(sender.rpartition("@")[2]):
        return f"550 5.7.1 <{sender}>: Sender address rejected: not logged in"
    return None


def owns_address(user: str, sender: str, directory: Directory, granted: Iterable[str] = ()
                 ) -> bool:
    """Is ``sender`` one of ``user``'s addresses?

    Their own, one an admin granted them, or one whose mail reaches only
    them through the alias expansion (the user's own forward does not
    count against it; a catch-all does not make every address theirs).
    """
    user, sender = user.lower(), sender.lower()
    if sender and (sender == user or sender in {g.lower() for g in granted}):
        return True
    if not directory.is_local_domain(sender.rpartition("@")[2]):
        return False
    exp = expand(sender, _OwnershipView(directory, user))
    if not exp.mailboxes or exp.remote or exp.errors:
        return False
    return all(_account_address(mbox, directory) == user for mbox in exp.mailboxes)


def _account_address(mailbox: str, directory: Directory) -> str:
    account = directory.account(mailbox)
    return account.address.lower() if account is not None else mailbox.lower()


@dataclass(frozen=True)
class _Unforwarded:
    address: str
    enabled: bool
    quota_bytes: int
    forward: None = None


class _OwnershipView:
    """The directory as the ownership check sees it: the user's own forward
    and the catch-alls are left out."""

    def __init__(self, directory: Directory, user: str) -> None:
        self._d = directory
        self._user = user

    def is_local_domain(self, domain: str) -> bool:
        return self._d.is_local_domain(domain)

    def account(self, address: str) -> _Unforwarded | None:
        account = self._d.account(address)
        if account is None:
            return None
        if account.address.lower() == self._user:
            return _Unforwarded(account.address, account.enabled, account.quota_bytes)
        return account  # type: ignore[return-value]

    def alias_targets(self, address: str) -> list[str] | None:
        return None if address.startswith("@") else self._d.alias_targets(address)


def _plain(addr: Address) -> str:
    if addr.quoted:
        local = addr.local.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{local}"@{addr.domain}'
    return f"{addr.local}@{addr.domain}"


def _hides_route(addr: Address) -> bool:
    # A source route to a remote domain names yet another hop: refuse it
    # even from trusted clients, nothing legitimate sends these any more.
    return bool(addr.route)


def _with_address(text: str, shown: str) -> str:
    # "5.1.1 Recipient address rejected: User unknown" -> "5.1.1 <a@b>: Recipient ..."
    code, sep, rest = text.partition(" ")
    if code.count(".") == 2 and code[0].isdigit():
        return f"{code} {shown}: {rest}"
    return f"{shown}: {text}"


# -- the client/sender access list (sendmail's access map) ------------------


def access_match(rules: Iterable[AccessRule], *, ip: str | None = None,
                 sender: str | None = None) -> AccessRule | None:
    """The most specific rule for a client address or for a sender ("" is <>: none).

    A client: the longest network holding the address. A sender, as
    sendmail looks it up: the whole address, then ``user@``, then its domain
    and each parent domain (``From:outside.test`` also covers
    ``mx.outside.test``). ``rules``: a list, or an ``AccessIndex`` built once.
    """
    index = rules if isinstance(rules, AccessIndex) else AccessIndex(list(rules))
    if ip is not None:
        try:
            addr = ipaddress.ip_address(ip.split("%", 1)[0])
        except ValueError:
            return None
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        return index.client(addr)
    if not sender:
        return None
    local, _, domain = sender.lower().rpartition("@")
    labels = domain.split(".")
    for key in [sender.lower(), f"{local}@", *(".".join(labels[i:]) for i in range(len(labels)))]:
        if key in index.senders:
            return index.senders[key]
    return None


def access_check(rules: Iterable[AccessRule], *, ip: str | None = None,
                 sender: str | None = None) -> tuple[str, str] | None:
    """("refuse", reply) / ("discard", "") / ("ok", "") for the matching rule; None: no rule.

    Clients are checked at RCPT and senders at MAIL FROM, as Postfix's
    smtpd_recipient/sender_restrictions do; the caller leaves out logged-in
    clients and the relay networks (permit_sasl_authenticated, permit_mynetworks
    come first there too).
    """
    rule = access_match(rules, ip=ip, sender=sender)
    if rule is None:
        return None
    if rule.action in ("ok", "discard"):
        return rule.action, ""
    if rule.action == "error":
        return "refuse", rule.reply
    if ip is not None:
        return "refuse", f"554 5.7.1 <[{ip}]>: Client host rejected: Access denied"
    return "refuse", f"554 5.7.1 <{sender}>: Sender address rejected: Access denied"
