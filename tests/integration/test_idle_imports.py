"""The daemon starts without the libraries only some of its features need (issue 15).

Each of these costs the idle daemon memory (aiohttp alone 14 MB resident);
they are imported where they are used: rspamd, a backup, a DNS look-up, the
checks of inbound mail, DKIM signing, a certificate, a Sieve script, clamd.
A module that shows up here again was imported at the top of a module on
the start-up path: move the import into the function that needs it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.support.daemon import ROOT, Mailroom
from tests.support.waiting import wait

# Top-level packages the idle daemon must not have imported.
NOT_AT_START = (
    "aiohttp", "yarl", "multidict",  # control API (own server) and rspamd client
    "cryptography", "OpenSSL", "nacl",  # certificates, DKIM keys and signatures
    "dns",  # dnspython: MX look-ups, inbound checks, DNS record checks
    "dkim", "spf", "dmarc", "authres", "publicsuffixlist",  # inbound checks, DKIM signing
    "acme", "josepy",  # ACME renewal
    "pyrage", "zstandard",  # backups
    "sievelib",  # Sieve scripts
    "aioclamd",  # clamd
    "aiosmtplib",  # remote delivery (imported at the first one)
    "platformdirs",  # only without a data directory
)


def test_the_idle_daemon_has_not_imported_what_only_some_features_need(
    tmp_path: Path,
) -> None:
    out = tmp_path / "modules.json"
    m = Mailroom(tmp_path / "home",
                 program=[sys.executable, str(ROOT / "tests/support/startup_probe.py"), str(out)])
    m.home.mkdir()
    m.cli("init", "--hostname", "mail.example.test", "--domain", "example.test")
    m.start()
    try:
        wait(out.exists, what="the daemon's start-up")
        seen = json.loads(out.read_text())
        tops = {name.partition(".")[0] for name in seen["modules"]}
        print(f"idle daemon: {len(seen['modules'])} modules, VmRSS {seen['vmrss_kb']} kB")
        assert sorted(tops & set(NOT_AT_START)) == []
        # Still answering: the control API (own HTTP server) and the SMTP listener.
        assert "running" in m.cli("status").stdout
    finally:
        m.stop()
