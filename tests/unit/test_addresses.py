"""Tests for SMTP path and address parsing (appliance.addresses)."""

from __future__ import annotations

import pytest

from appliance.addresses import (
    MAX_LOCAL_PART,
    Address,
    AddressError,
    is_valid_domain,
    normalize_domain,
    parse_address,
    parse_path,
)

# -- plain paths --------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["<alice@example.test>", "alice@example.test", "  <alice@example.test>  ",
     "< alice@example.test >"],
)
def test_plain_path_with_or_without_brackets(path: str) -> None:
    """Angle brackets and surrounding blanks are optional."""
    addr = parse_path(path)
    assert addr == Address("alice", "example.test")
    assert str(addr) == "alice@example.test"
    assert not addr.has_relay_trick


def test_dotted_and_special_atext_local_parts() -> None:
    """Dots between atoms and RFC 5321 atext specials are fine."""
    for local in ("first.last", "a+tag", "o'brien", "x_y-z", "a=b", "{curly}", "#hash"):
        addr = parse_path(f"<{local}@example.test>")
        assert addr is not None and addr.local == local
        assert not addr.has_relay_trick


def test_null_path() -> None:
    """``<>`` (and blanks inside it) is the null reverse path."""
    assert parse_path("<>") is None
    assert parse_path("< >") is None


def test_case_is_kept_in_local_part_and_folded_in_domain() -> None:
    """Local parts are case-sensitive on the wire; domains are not."""
    addr = parse_path("<Alice.Smith@EXAMPLE.Test>")
    assert addr is not None
    assert addr.local == "Alice.Smith"
    assert addr.domain == "example.test"


def test_trailing_root_dot_dropped_once() -> None:
    """``example.test.`` is the same domain; ``example.test..`` is garbage."""
    addr = parse_path("<u@example.test.>")
    assert addr is not None and addr.domain == "example.test"
    with pytest.raises(AddressError):
        parse_path("<u@example.test..>")
    assert normalize_domain(" Example.TEST. ") == "example.test"


def test_idn_and_utf8_local_part_accepted() -> None:
    """SMTPUTF8 addresses parse."""
    addr = parse_address("müller@bücher.test")
    assert addr.local == "müller" and addr.domain == "bücher.test"


def test_bare_host_name_allowed_for_addresses() -> None:
    """A sender may use an unqualified host name (``user@localhost``, ``user@host``)."""
    assert parse_address("root@localhost").domain == "localhost"
    assert parse_address("root@host").domain == "host"


# -- quoted local parts -------------------------------------------------------


def test_quoted_local_part_with_space() -> None:
    """Quotes are removed from ``local`` and remembered in ``quoted``."""
    addr = parse_path('<"john doe"@example.test>')
    assert addr is not None
    assert addr.local == "john doe" and addr.quoted
    assert not addr.has_relay_trick


def test_quoted_local_part_with_escaped_quote() -> None:
    """A backslash escapes the next character inside quotes."""
    addr = parse_address(r'"a\"b"@example.test')
    assert addr.local == 'a"b' and addr.quoted


@pytest.mark.parametrize(
    "text",
    ['"unterminated@example.test', '"q"x@example.test', '"q"', '""@example.test'],
)
def test_bad_quoted_local_parts(text: str) -> None:
    """Unterminated quotes, text after the closing quote, no domain, empty quotes."""
    with pytest.raises(AddressError):
        parse_address(text)


# -- source routes ------------------------------------------------------------


def test_source_route_kept() -> None:
    """``@a,@b:user@c`` keeps the hops so the caller can refuse them."""
    addr = parse_path("<@relay1.test,@relay2.test:user@outside.test>")
    assert addr is not None
    assert addr.route == ("relay1.test", "relay2.test")
    assert (addr.local, addr.domain) == ("user", "outside.test")
    assert addr.has_relay_trick


def test_single_hop_source_route() -> None:
    """One hop works as well."""
    addr = parse_path("<@example.test:user@outside.test>")
    assert addr is not None and addr.route == ("example.test",)


@pytest.mark.parametrize("path", ["<@relay.test:>", "<@relay.test>", "@", "<@>"])
def test_bad_source_routes(path: str) -> None:
    """A route with no mailbox after it, or no colon, is refused."""
    with pytest.raises(AddressError):
        parse_path(path)


# -- address literals ---------------------------------------------------------


def test_ipv4_address_literal() -> None:
    """``[192.0.2.1]`` parses as a literal (and counts as a trick)."""
    addr = parse_path("<user@[192.0.2.1]>")
    assert addr is not None
    assert addr.literal and addr.domain == "[192.0.2.1]"
    assert addr.has_relay_trick


@pytest.mark.parametrize("literal", ["[IPv6:2001:db8::1]", "[ipv6:::1]", "[2001:db8::1]"])
def test_ipv6_address_literals(literal: str) -> None:
    """IPv6 literals, with the RFC 5321 tag in any case (and leniently without it)."""
    addr = parse_address(f"user@{literal}")
    assert addr.literal
    assert addr.domain == literal.lower()


@pytest.mark.parametrize(
    "literal", ["[300.1.1.1]", "[1.2.3]", "[]", "[IPv6:zz::1]", "[example.test]"]
)
def test_bad_address_literals(literal: str) -> None:
    """A literal must hold an IP address."""
    with pytest.raises(AddressError):
        parse_address(f"user@{literal}")


# -- overlong parts -----------------------------------------------------------


def test_local_part_length_limit() -> None:
    """64 octets of local part is the limit (counted in UTF-8 bytes)."""
    assert parse_address("a" * MAX_LOCAL_PART + "@example.test").local == "a" * 64
    with pytest.raises(AddressError):
        parse_address("a" * (MAX_LOCAL_PART + 1) + "@example.test")
    with pytest.raises(AddressError):
        parse_address("ü" * 33 + "@example.test")  # 66 bytes


def test_label_and_path_length_limits() -> None:
    """Labels are at most 63 characters; the whole path at most 256."""
    assert parse_address("u@" + "a" * 63 + ".test").domain == "a" * 63 + ".test"
    with pytest.raises(AddressError):
        parse_address("u@" + "a" * 64 + ".test")
    with pytest.raises(AddressError):
        parse_address("u@" + ("a" * 60 + ".") * 5 + "test")


# -- garbage ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "garbage",
        "a@",
        "@example.test",
        "a b@example.test",
        "a\r\n@example.test",
        "a\0@example.test",
        ".a@example.test",
        "a.@example.test",
        "a..b@example.test",
        "a@-b.test",
        "a@b-.test",
        "a@b_c.test",
        "a@exa mple.test",
        "a(comment)@example.test",
        "a<b@example.test",
        "a,b@example.test",
    ],
)
def test_garbage_refused(text: str) -> None:
    """Malformed addresses raise AddressError (a ValueError)."""
    with pytest.raises(AddressError):
        parse_path(text)
    with pytest.raises(ValueError):
        parse_path(f"<{text}>")


@pytest.mark.parametrize("path", ["<a@example.test", "a@example.test>"])
def test_unbalanced_brackets(path: str) -> None:
    """A path opened with < must close with >, and a stray > is no domain."""
    with pytest.raises(AddressError):
        parse_path(path)


def test_empty_address_refused_by_parse_address() -> None:
    """parse_address has no null path."""
    for text in ("", "   "):
        with pytest.raises(AddressError):
            parse_address(text)


# -- is_valid_domain ----------------------------------------------------------


@pytest.mark.parametrize(
    "domain",
    ["example.test", "mail.example.test", "a-b.example.test", "xn--bcher-kva.test",
     "bücher.test", "localhost", "a" * 63 + ".test"],
)
def test_valid_domains(domain: str) -> None:
    """Qualified names, hyphens inside labels, IDN, and localhost."""
    assert is_valid_domain(domain)


@pytest.mark.parametrize(
    "domain",
    ["", "example", ".example.test", "example..test", "example.test.", "-a.test",
     "a-.test", "a_b.test", "a b.test", "a" * 64 + ".test", "a@b.test",
     ".".join(["abcdefgh"] * 29) + ".test"],
)
def test_invalid_domains(domain: str) -> None:
    """Empty, unqualified, empty labels, bad hyphens and characters, overlong."""
    assert not is_valid_domain(domain)


def test_unqualified_host_allowed_when_asked() -> None:
    """``qualified=False`` accepts a bare host name but not garbage."""
    assert is_valid_domain("mailhost", qualified=False)
    assert not is_valid_domain("mail host", qualified=False)
    assert not is_valid_domain("", qualified=False)


# -- relay tricks -------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("<user%outside.test@example.test>", "percent hack"),
        ("<user%outside.test%relay.test@example.test>", "double percent hack"),
        ("<outside.test!user@example.test>", "UUCP bang path"),
        ("<user!outside.test@example.test>", "reversed bang path"),
        ('<"user@outside.test"@example.test>', "quoted @"),
        ('<"user%outside.test"@example.test>', "quoted percent"),
        ('<"outside.test!user"@example.test>', "quoted bang"),
        ("<user@outside.test@example.test>", "unquoted double @"),
        ("<user:outside.test@example.test>", "colon in local part"),
        ("<@example.test:user@outside.test>", "source route"),
        ("<@a.test,@b.test:user@outside.test>", "multi-hop source route"),
        ("<user@[192.0.2.1]>", "IPv4 address literal"),
        ("<user@[127.0.0.1]>", "loopback literal"),
        ("<user@[IPv6:::1]>", "IPv6 address literal"),
    ],
)
def test_has_relay_trick(path: str, why: str) -> None:
    """Each classic open-relay trick is recognised."""
    addr = parse_path(path)
    assert addr is not None
    assert addr.has_relay_trick, why


@pytest.mark.parametrize(
    "path",
    ["<user@example.test>", "<first.last+tag@example.test>", '<"john doe"@example.test>',
     "<user@outside.test>", "<user@example.test.>"],
)
def test_no_relay_trick(path: str) -> None:
    """Ordinary addresses, even outside ones, are not tricks."""
    addr = parse_path(path)
    assert addr is not None
    assert not addr.has_relay_trick


@pytest.mark.parametrize(("value", "expected"), [
    # RFC 5322 4.4 obs-addr-list: empty list elements are allowed and ignored.
    ("Foo Bar <a@b.c>,", [("Foo Bar", "a@b.c")]),
    ('"Quoted, Name" <q@x.org>,', [("Quoted, Name", "q@x.org")]),
    ("a@b.c,, d@e.f", [("", "a@b.c"), ("", "d@e.f")]),
    (", a@b.c", [("", "a@b.c")]),
    ("", []),
])
def test_header_addresses_follow_rfc5322_on_every_python(
    value: str, expected: list[tuple[str, str]]
) -> None:
    # Python 3.11.2 as Debian 12 ships it (with the CVE-2023-27043 fix) throws
    # such lists away whole unless asked to be lenient; 3.11.7 keeps them.
    from appliance.addresses import header_addresses

    assert header_addresses([value]) == expected
