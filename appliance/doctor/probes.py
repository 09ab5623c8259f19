"""The facts ``doctor`` needs, gathered from the network and the machine (blocking).

Every target is injectable through settings: the port-25 probe goes to the
MX of ``doctor.probe_domain`` on ``delivery.remote_port``, looked up through
``dns.nameservers``, so tests point it at a loopback sink or a closed port.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from collections.abc import Callable

from appliance.dns.check import LookupFailed, make_lookup

__all__ = ["address_of", "clock_status", "first_mx", "parse_chrony", "ptr_and_forward",
           "smtp_answers"]

Lookup = Callable[[str, str], list[str]]


def smtp_answers(host: str, port: int, timeout: float) -> str | None:
    """None when an SMTP server greets us with 220; else what went wrong, in words."""
    try:
        with socket.create_connection((host, port), timeout) as sock:
            sock.settimeout(timeout)
            banner = sock.recv(512).decode("ascii", "replace")
            with_quit = banner.startswith("220")
            if with_quit:
                sock.sendall(b"QUIT\r\n")
    except TimeoutError:
        return f"no answer on port {port} within {timeout:g} s"
    except ConnectionRefusedError:
        return f"connection to port {port} refused"
    except OSError as exc:
        return f"{exc.strerror or exc}"
    if not with_quit:
        return f"unexpected greeting {banner.strip()[:60]!r}"
    return None


def address_of(host: str, nameservers: list[str] | None, timeout: float) -> str:
    """``host``'s IPv4 address through the same DNS servers delivery uses."""
    import ipaddress

    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    found = make_lookup(nameservers, timeout)(host, "A")
    if not found:
        raise LookupFailed(f"{host} has no address")
    return found[0]


def first_mx(domain: str, nameservers: list[str] | None, timeout: float) -> tuple[str, str]:
    """(name, address) of the most preferred MX of ``domain``; LookupFailed when none."""
    lookup = make_lookup(nameservers, timeout)
    records = []
    for text in lookup(domain, "MX"):
        pref, _, host = text.partition(" ")
        records.append((int(pref), host.rstrip(".")))
    if not records:
        raise LookupFailed(f"{domain} has no MX record")
    for _, host in sorted(records):
        addresses = lookup(host, "A")
        if addresses:
            return host, addresses[0]
    raise LookupFailed(f"no address for the MX hosts of {domain}")


def ptr_and_forward(address: str, hostname: str, nameservers: list[str] | None,
                    timeout: float) -> tuple[list[str], list[str]]:
    """The PTR names of ``address`` and the addresses ``hostname`` has (A or AAAA)."""
    import dns.reversename

    lookup = make_lookup(nameservers, timeout)
    names = lookup(dns.reversename.from_address(address).to_text(), "PTR")
    forward = lookup(hostname, "AAAA" if ":" in address else "A")
    return names, forward


def parse_chrony(text: str) -> tuple[bool, float | None]:
    """``chronyc tracking``: synchronized? and the offset in seconds (+: fast)."""
    synced = "Not synchronised" not in text and "Leap status" in text
    m = re.search(r"System time\s*:\s*([0-9.]+) seconds (fast|slow)", text)
    offset = None
    if m:
        offset = float(m.group(1)) * (1 if m.group(2) == "fast" else -1)
    return synced, offset


def clock_status(run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
                 which: Callable[[str], str | None] = shutil.which,
                 ) -> tuple[str | None, bool | None, float | None]:
    """(source, synchronized, offset) from timedatectl or chrony; (None, None, None) if neither."""
    if which("timedatectl"):
        try:
            result = run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
                         capture_output=True, text=True, timeout=3)
        except (OSError, subprocess.TimeoutExpired):
            result = None
        if result is not None and result.returncode == 0 and result.stdout.strip() in (
                "yes", "no"):
            return "timedatectl", result.stdout.strip() == "yes", None
    if which("chronyc"):
        try:
            result = run(["chronyc", "-n", "tracking"], capture_output=True, text=True,
                         timeout=3)
        except (OSError, subprocess.TimeoutExpired):
            result = None
        if result is not None and result.returncode == 0:
            synced, offset = parse_chrony(result.stdout)
            return "chrony", synced, offset
    return None, None, None
