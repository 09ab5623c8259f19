"""First-run set-up, shared by ``mailroom init`` and the GUI's wizard.

``initialize`` makes a new data directory (state database, control secret,
self-signed certificate, first domain). The ``check_*`` functions validate
the wizard's answers before anything is written, raising ``StateError``
with the field at fault. ``guess_networks`` and ``default_gateways`` read
the machine's routing table, for the LAN guess and the NAT/gateway warning;
``dns_records`` is what the admin must publish.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from appliance.addresses import AddressError, is_valid_domain, normalize_domain, parse_address
from appliance.auth import MIN_PASSWORD_LENGTH
from appliance.home import Home
from appliance.state import State, StateError
from appliance.state.relay import RelayNetworkError, parse_relay, relay_warnings

__all__ = [
    "initialize", "check_names", "check_account", "check_networks", "check_smarthost",
    "guess_networks", "default_gateways", "relay_gateway_warnings", "dns_records",
    "guess_hostname", "format_records", "apply_answers",
]


def check_names(hostname: str, domain: str) -> tuple[str, str]:
    host, dom = normalize_domain(hostname.strip()), normalize_domain(domain.strip())
    if not is_valid_domain(host):
        raise StateError(f"not a valid host name: {hostname!r} (e.g. mail.example.com)",
                         "hostname")
    if not is_valid_domain(dom):
        raise StateError(f"not a valid domain: {domain!r} (e.g. example.com)", "domain")
    return host, dom


def check_account(address: str, password: str, domain: str) -> str:
    try:
        addr = parse_address(address.strip())
    except AddressError as exc:
        raise StateError(f"malformed address {address!r}: {exc}", "address") from exc
    if addr.has_relay_trick:
        raise StateError(f"address {address!r} uses routing characters", "address")
    if normalize_domain(addr.domain) != normalize_domain(domain):
        raise StateError(f"the first account must be in {domain}", "address")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StateError(
            f"password too short (at least {MIN_PASSWORD_LENGTH} characters)", "password")
    return f"{addr.local.lower()}@{normalize_domain(addr.domain)}"


def check_networks(networks: list[str]) -> list[str]:
    """The relay entries in stored form; the state store's own check, before anything is written."""
    out = []
    for text in networks:
        try:
            out.append(str(parse_relay(text)))
        except RelayNetworkError as exc:
            raise StateError(str(exc), "network") from exc
    return out


def check_smarthost(host: str, port: int) -> None:
    if host and not is_valid_domain(normalize_domain(host), qualified=False):
        raise StateError(f"not a valid host name: {host!r}", "smarthost.host")
    if not 0 < port < 65536:
        raise StateError(f"port out of range: {port}", "smarthost.port")


def initialize(home: Home, hostname: str, domain: str, cert: str | None = None,
               key: str | None = None) -> None:
    """Make a new data directory; nothing is left behind when a step fails.

    The state database is built under another name and renamed into place
    last: the system service starts when ``mailroom.db`` appears
    (``mailroom.path``), and must find it whole, with its secret and
    certificate beside it.
    """
    from appliance.control.client import ensure_secret
    from appliance.service import ensure_tls

    if home.initialized():
        raise StateError(f"{home.root} is already set up", "data_dir")
    hostname, domain = check_names(hostname, domain)
    if bool(cert) != bool(key):
        raise StateError("give both a certificate and a key", "cert")
    home.create()
    building = home.db.with_name(home.db.name + ".new")
    building.unlink(missing_ok=True)  # left by an init that was killed
    state = State(building)
    try:
        state.set_setting("hostname", hostname)
        state.add_domain(domain)
        from appliance.dkim import DkimStore

        DkimStore(state.secrets).ensure(domain)  # its DKIM keys, before any mail leaves
        if cert and key:
            state.set_setting("tls.cert", str(Path(cert).resolve()))
            state.set_setting("tls.key", str(Path(key).resolve()))
        ensure_secret(home)
        ensure_tls(home, state)
    except BaseException:
        state.close()
        building.unlink(missing_ok=True)
        raise
    state.close()
    os.replace(building, home.db)


class _Caller(Protocol):
    def call(self, op: str, **args: Any) -> Any: ...


def apply_answers(client: _Caller, home: Home, answers: dict[str, Any],
                  smarthost_password: str = "",
                  init: Callable[[Home, str, str], None] | None = None) -> None:
    """Write the first-run wizard's answers, through the control API only.

    On an existing data directory (the wizard run again) the same calls
    change what is there; a running daemon applies them at once. ``init``
    makes a new data directory: ``initialize`` in-process, or for the
    system service ``appliance.home.service.ServiceInit`` (as the service's
    user; it returns once the service answers, so what follows reaches it).
    """
    a = answers
    if not home.initialized():
        (init or initialize)(home, a["hostname"], a["domain"])
    else:
        client.call("settings.set", key="hostname", value=a["hostname"])
        if a["domain"] not in client.call("domain.list"):
            client.call("domain.add", name=a["domain"])
    known = {r["address"] for r in client.call("account.list")}
    if a["address"] in known:
        if a["password"]:  # the wizard run again leaves an empty password as it was
            client.call("account.passwd", address=a["address"], password=a["password"])
    else:
        client.call("account.add", address=a["address"], password=a["password"])
    client.call("relay.set", networks=a["networks"])
    values = dict(a.get("smarthost") or {})
    if values and smarthost_password:
        values["smarthost.password"] = smarthost_password
    if values:
        client.call("settings.set_many", values=values)


def guess_hostname() -> str:
    name = socket.getfqdn()
    if "." not in name or name.endswith((".localdomain", ".local")) or name == "localhost":
        return f"mail.{name.split('.')[0]}.lan" if name and name != "localhost" else \
            "mail.example.com"
    return name


def _route_table() -> list[tuple[str, int, int, int]]:
    """(iface, destination, gateway, mask) from /proc/net/route, IPv4, little-endian ints."""
    try:
        lines = Path("/proc/net/route").read_text().splitlines()[1:]
    except OSError:
        return []
    rows = []
    for line in lines:
        parts = line.split()
        if len(parts) < 8:
            continue
        try:
            dest, gw, mask = (int.from_bytes(bytes.fromhex(p), "little")
                              for p in (parts[1], parts[2], parts[7]))
        except ValueError:
            continue
        rows.append((parts[0], dest, gw, mask))
    return rows


def default_gateways() -> list[str]:
    return sorted({str(ipaddress.IPv4Address(gw)) for _, dest, gw, mask in _route_table()
                   if dest == 0 and mask == 0 and gw})


def guess_networks() -> list[str]:
    """The local networks this machine is directly attached to (the office LAN)."""
    nets = set()
    for iface, dest, gw, mask in _route_table():
        if iface == "lo" or gw or not mask or not dest:
            continue
        net = ipaddress.IPv4Network((dest, bin(mask).count("1")), strict=False)
        if net.is_private and not net.is_loopback and net.prefixlen >= 8:
            nets.add(str(net))
    if not nets:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.connect(("192.0.2.1", 9))  # no packet is sent
                ip = s.getsockname()[0]
            net = ipaddress.ip_network(f"{ip}/24", strict=False)
            if net.is_private and not net.is_loopback:
                nets.add(str(net))
        except OSError:
            pass
    return sorted(nets)


def relay_gateway_warnings(networks: list[str], gateways: list[str] | None = None,
                           only: list[str] | None = None) -> list[str]:
    """Warnings about relay entries: public networks, and gateways that relay behind NAT."""
    gateways = default_gateways() if gateways is None else gateways
    return relay_warnings(networks, gateways, only)


def dns_records(hostname: str, domains: list[str], address: str = "") -> list[dict[str, Any]]:
    """The records to publish for each domain: MX and SPF (DKIM/DMARC later)."""
    ip = address or "<this server's public IP>"
    records: list[dict[str, Any]] = [
        {"name": f"{hostname}.", "type": "A", "value": ip,
         "note": "the mail server's address"},
    ]
    for domain in domains:
        records.append({"name": f"{domain}.", "type": "MX", "value": f"10 {hostname}.",
                        "note": f"mail for {domain} goes to {hostname}"})
        records.append({"name": f"{domain}.", "type": "TXT", "value": '"v=spf1 mx -all"',
                        "note": "SPF: only the MX may send for this domain"})
    records.append({"name": ip, "type": "PTR", "value": f"{hostname}.",
                    "note": "reverse DNS: ask your ISP"})
    return records


def format_records(records: list[dict[str, Any]]) -> str:
    """Zone-file lines, ready to copy."""
    width = max((len(r["name"]) for r in records), default=0)
    return "\n".join(f"{r['name']:<{width}}  IN  {r['type']:<4} {r['value']}"
                     for r in records)
