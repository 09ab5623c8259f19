"""The third-party clients the suite drives are there, with the capabilities the tests use.

Without this, a tool built or installed without a piece (swaks without
Net::SSLeay speaks no TLS; a curl without IMAP) fails deep inside a mail
test with an unrelated-looking assertion, or is skipped in silence. Here
each missing piece fails once, naming the Debian package that brings it;
`packaging/deps.sh test` installs them all.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

# tool -> (Debian package, command that prints its capabilities, [(needle, package bringing it)])
TOOLS: dict[str, tuple[str, list[str], list[tuple[str, str]]]] = {
    "swaks": ("swaks", ["swaks", "--support"], [
        ("=== TLS supported", "libnet-ssleay-perl and libio-socket-ssl-perl"),
        ("=== Basic AUTH supported", "swaks"),
    ]),
    "curl": ("curl", ["curl", "-V"], [
        (f" {proto} ", "curl (a build with that protocol)")
        for proto in ("imap", "imaps", "pop3", "pop3s", "smtp", "smtps")
    ]),
    "fetchmail": ("fetchmail", ["fetchmail", "-V"], [("+SSL", "fetchmail (built with SSL)")]),
    "mbsync": ("isync", ["mbsync", "--version"], []),
    "getmail": ("getmail6", ["getmail", "--version"], []),
    "openssl": ("openssl", ["openssl", "version"], []),
}


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_client_tool_is_installed_with_what_the_tests_use(tool: str) -> None:
    package, command, needs = TOOLS[tool]
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is missing: install the Debian package {package} "
                    "(bash packaging/deps.sh test does)")
    out = subprocess.run(command, capture_output=True, text=True, timeout=30,
                         stdin=subprocess.DEVNULL)
    # curl lists its protocols on one line; pad it so " imap " matches at either end.
    text = " " + (out.stdout + out.stderr).replace("\n", " \n ") + " "
    missing = [(needle.strip(), pkg) for needle, pkg in needs if needle not in text]
    assert not missing, "; ".join(
        f"{tool} lacks {needle!r}: install {pkg}" for needle, pkg in missing
    )
