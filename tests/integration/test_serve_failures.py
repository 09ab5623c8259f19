"""``serve`` says which listener failed and why, and ``status`` says "degraded"."""

from __future__ import annotations

import errno
import json
import socket
import subprocess
import sys
from pathlib import Path

from appliance.service.listen_errors import explain
from tests.support.daemon import ROOT, Mailroom, free_offset


def test_bind_errors_in_plain_words() -> None:
    def err(code: int, text: str = "") -> OSError:
        return OSError(code, text or "x")

    assert explain("smtp", ["0.0.0.0"], 25, err(errno.EADDRINUSE)) == \
        "SMTP on port 25: another program uses this port"
    assert explain("imap", ["192.0.2.1"], 143, err(errno.EADDRNOTAVAIL)) == \
        "IMAP on port 143: cannot use address 192.0.2.1: not an address of this machine"
    several = OSError(errno.EADDRNOTAVAIL, "error while attempting to bind on address "
                      "('192.0.2.7', 587): cannot assign requested address")
    assert "cannot use address 192.0.2.7" in explain("submission", ["127.0.0.1", "192.0.2.7"],
                                                     587, several)
    assert explain("smtps", ["0.0.0.0"], 465, err(errno.EACCES)) == (
        "SMTP over TLS on port 465: permission denied: ports below 1024 need root "
        "or CAP_NET_BIND_SERVICE")
    assert explain("pop3", ["::1"], 20110, err(errno.EACCES)) == \
        "POP3 on port 20110: permission denied"


def test_a_taken_port_is_reported_and_status_says_degraded(home: Mailroom) -> None:
    home.offset = free_offset()
    taken = socket.create_server(("127.0.0.1", home.port("imap")))
    try:
        home.start()
        try:
            info = json.loads(home.cli("status", "--json").stdout)
            text = home.cli("status").stdout
        finally:
            home.stop()
    finally:
        taken.close()
    said = f"IMAP on port {home.port('imap')}: another program uses this port"
    assert said in (home.home / "serve.out").read_text()
    assert info["health"] == "degraded" and info["problems"] == [said]
    assert [s["name"] for s in info["services"] if s["state"] != "running"] == ["imap"]
    assert f"DEGRADED: {said}" in text


def test_serve_exits_non_zero_when_no_listener_starts(home: Mailroom) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "serve", "--listen", "192.0.2.1",
         "--port-offset", str(free_offset())],
        env=home.env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 1
    assert "cannot use address 192.0.2.1: not an address of this machine" in result.stderr
    assert "no listener could start" in result.stderr
    assert not Path(home.home / "run" / "control.json").exists()
