"""ManageSieve syntax (RFC 5804): commands with quoted strings and literals, responses, names."""

from __future__ import annotations

import asyncio

import pytest

from appliance.managesieve.protocol import (
    Atom,
    CommandTooLarge,
    SyntaxProblem,
    quote,
    read_command,
    response,
    tokenize,
    valid_script_name,
)


def test_tokens_of_a_command_line() -> None:
    assert tokenize(b'PUTSCRIPT "a \\"b\\" \\\\c" {12+}') == (
        [Atom("PUTSCRIPT"), b'a "b" \\c'], 12)
    assert tokenize(b'HAVESPACE "x" 1000') == ([Atom("HAVESPACE"), b"x", Atom("1000")], None)
    assert tokenize(b'SETACTIVE ""') == ([Atom("SETACTIVE"), b""], None)
    assert tokenize(b"CHECKSCRIPT {3}")[1] == 3  # the synchronising form is taken too


@pytest.mark.parametrize("line", [b'GETSCRIPT "open', b'X "bad \\n escape"',
                                  b"PUTSCRIPT {3+} extra", b"NOOP (x)"])
def test_malformed_lines(line: bytes) -> None:
    with pytest.raises(SyntaxProblem):
        tokenize(line)


def feed(data: bytes, limit: int = 100) -> list[Atom | bytes]:
    async def run() -> list[Atom | bytes]:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()

        async def readline() -> bytes:
            return (await reader.readuntil(b"\n")).rstrip(b"\r\n")

        return await read_command(readline, reader.readexactly, limit)

    return asyncio.run(run())


def test_literals_are_read_whole() -> None:
    assert feed(b'PUTSCRIPT "s" {7+}\r\nkeep;\r\n\r\n') == [
        Atom("PUTSCRIPT"), b"s", b"keep;\r\n"]
    # A literal in the middle of a command, the rest on the line after it.
    assert feed(b'RENAMESCRIPT {1+}\r\na "b"\r\n') == [Atom("RENAMESCRIPT"), b"a", b"b"]


def test_a_literal_over_the_limit_is_not_read() -> None:
    with pytest.raises(CommandTooLarge) as caught:
        feed(b'PUTSCRIPT "s" {101+}\r\n' + b"x" * 101 + b"\r\n")
    assert caught.value.size == 101
    # Nor one that takes the command's literals together over it.
    with pytest.raises(CommandTooLarge):
        feed(b"X {60+}\r\n" + b"x" * 60 + b" {60+}\r\n" + b"y" * 60 + b"\r\n")


def test_responses() -> None:
    assert response("OK") == b"OK\r\n"
    assert response("NO", "line 3: bad", "QUOTA/MAXSIZE") == \
        b'NO (QUOTA/MAXSIZE) "line 3: bad"\r\n'
    assert quote('say "hi"') == b'"say \\"hi\\""'
    assert quote("two\nlines") == b"{9}\r\ntwo\nlines"  # CR/LF only travel in a literal


@pytest.mark.parametrize("name,ok", [("rules", True), ("Büro", True), ("", False),
                                     ("a/b", False), (".hidden", False), ("tab\there", False),
                                     ("x" * 129, False)])
def test_script_names(name: str, ok: bool) -> None:
    assert (valid_script_name(name) is None) is ok
