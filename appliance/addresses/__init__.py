"""Mail address parsing and classification.

SMTP paths are parsed by hand here rather than with ``email.headerregistry``
because the SMTP grammar (RFC 5321 ``Path``) differs from the RFC 5322 header
grammar: source routes, quoted local parts and address literals must be seen
as they were written so that relay tricks (``user%other@local``,
``"user@other"@local``, ``other!user@local``, ``@local:user@other``) can be
recognised and refused instead of being silently rewritten.
"""

from __future__ import annotations

import inspect
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import getaddresses

__all__ = [
    "Address",
    "AddressError",
    "parse_path",
    "parse_address",
    "header_addresses",
    "is_valid_domain",
    "normalize_domain",
]

MAX_LOCAL_PART = 64
MAX_DOMAIN = 255
MAX_PATH = 256

_ATEXT_LAX = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~@:\-\u0080-\U0010FFFF]+$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9\-\u0080-\U0010FFFF]{1,63}(?<!-)$")


class AddressError(ValueError):
    """An address that cannot be parsed at all."""


@dataclass(frozen=True)
class Address:
    """A parsed mailbox.

    ``local`` is the local part with quoting removed; ``quoted`` says whether
    it was written quoted; ``route`` holds an RFC 5321 source route, if any;
    ``literal`` says the domain is an address literal like ``[192.0.2.1]``.
    """

    local: str
    domain: str
    quoted: bool = False
    route: tuple[str, ...] = ()
    literal: bool = False

    def __str__(self) -> str:
        return f"{self.local}@{self.domain}"

    @property
    def has_relay_trick(self) -> bool:
        """Whether the address tries to hide a second destination.

        Sendmail and old relays resolved these forms into another address
        (``%`` hack, UUCP bang paths, nested ``@``, source routes), so a
        local-looking address could be relayed elsewhere.
        """
        if self.route or self.literal:
            return True
        return any(ch in self.local for ch in "%!@:")


def normalize_domain(domain: str) -> str:
    """Lower-case a domain and drop one trailing root dot."""
    domain = domain.strip().lower()
    if domain.endswith(".") and not domain.endswith(".."):
        domain = domain[:-1]
    return domain


def is_valid_domain(domain: str, *, qualified: bool = True) -> bool:
    """Whether ``domain`` is a syntactically valid host name (IDN allowed).

    ``qualified`` asks for at least one dot, as a mail domain of our own
    must have; senders' addresses may carry a bare host name.
    """
    if not domain or len(domain) > MAX_DOMAIN:
        return False
    if qualified and "." not in domain and domain != "localhost":
        return False
    if qualified and domain.rpartition(".")[2].isdigit():
        return False  # an IP address, not a host name
    return all(_LABEL.match(label) for label in domain.split("."))


def _split_local_domain(addr: str) -> tuple[str, bool, str]:
    """Split ``local@domain`` honouring a quoted local part."""
    if addr.startswith('"'):
        i = 1
        out: list[str] = []
        while i < len(addr):
            ch = addr[i]
            if ch == "\\" and i + 1 < len(addr):
                out.append(addr[i + 1])
                i += 2
                continue
            if ch == '"':
                break
            out.append(ch)
            i += 1
        else:
            raise AddressError("unterminated quoted local part")
        rest = addr[i + 1 :]
        if not rest.startswith("@"):
            raise AddressError("missing domain after quoted local part")
        return "".join(out), True, rest[1:]
    local, at, domain = addr.rpartition("@")
    if not at:
        raise AddressError("address has no domain")
    return local, False, domain


def _parse_domain(domain: str) -> tuple[str, bool]:
    if domain.startswith("[") and domain.endswith("]"):
        inner = domain[1:-1]
        if inner.lower().startswith("ipv6:"):
            inner = inner[5:]
        try:
            ipaddress.ip_address(inner)
        except ValueError as exc:
            raise AddressError(f"bad address literal {domain}") from exc
        return domain.lower(), True
    domain = normalize_domain(domain)
    if not is_valid_domain(domain, qualified=False):
        raise AddressError(f"bad domain {domain!r}")
    return domain, False


def parse_address(text: str) -> Address:
    """Parse a bare ``local@domain`` (no angle brackets, no route)."""
    text = text.strip()
    if not text or len(text) > MAX_PATH:
        raise AddressError("empty or overlong address")
    if any(ch in text for ch in "\r\n\0\t ") and not text.startswith('"'):
        raise AddressError("address contains white space or control characters")
    local, quoted, domain = _split_local_domain(text)
    if not local:
        raise AddressError("empty local part")
    if len(local.encode()) > MAX_LOCAL_PART:
        raise AddressError("local part too long")
    if not quoted and (
        local.startswith(".") or local.endswith(".") or ".." in local
    ):
        raise AddressError("bad dots in local part")
    # "@" and ":" pass here so that has_relay_trick can name the trick.
    if not quoted and not all(_ATEXT_LAX.match(p) for p in local.split(".") if p):
        raise AddressError(f"bad characters in local part {local!r}")
    dom, literal = _parse_domain(domain)
    return Address(local=local, domain=dom, quoted=quoted, literal=literal)


def parse_path(text: str) -> Address | None:
    """Parse an SMTP ``Path`` as given to MAIL FROM or RCPT TO.

    Returns ``None`` for the null path ``<>``. Angle brackets are optional
    (many clients omit them); a source route is kept in ``route`` so the
    caller can judge it.
    """
    text = text.strip()
    if text.startswith("<"):
        if not text.endswith(">"):
            raise AddressError("missing closing angle bracket")
        text = text[1:-1].strip()
    if text == "":
        return None
    route: tuple[str, ...] = ()
    if text.startswith("@"):
        # "@a,@b:user@c": everything up to the first colon outside quotes.
        head, colon, rest = text.partition(":")
        if not colon or not rest:
            raise AddressError("bad source route")
        route = tuple(h.strip().lstrip("@") for h in head.split(","))
        text = rest
    addr = parse_address(text)
    if route:
        return Address(addr.local, addr.domain, addr.quoted, route, addr.literal)
    return addr


# CPython's fix for CVE-2023-27043 (3.11.10, 3.12.6, and backported into some
# distributions' older point releases, Debian 12's 3.11.2 among them) made
# getaddresses() strict: a list with an empty element, such as the trailing
# comma of "Foo <a@b.c>,", is then thrown away whole as [('', '')]. RFC 5322
# section 4.4 (obs-addr-list) allows empty elements and says to ignore them,
# which is what the lenient parser does; ask for it wherever the keyword exists
# so that every Python gives the same addresses.
_LENIENT = (
    {"strict": False} if "strict" in inspect.signature(getaddresses).parameters else {}
)


def header_addresses(values: Iterable[str]) -> list[tuple[str, str]]:
    """(display name, address) pairs of address header fields (To:, Cc:, From: ...).

    Empty list elements are skipped (RFC 5322 obs-addr-list); the answer is
    the same on every supported Python whatever its ``getaddresses`` default.
    """
    return [(n, a) for n, a in getaddresses(list(values), **_LENIENT) if n or a]
