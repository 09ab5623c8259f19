"""The settings Mailroom knows: each key's type, default, check and meaning.

Every setting is declared here once; the state store refuses keys and values
that do not pass these checks, so the CLI, the GUI and the importers all get
the same answer for the same input.
"""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from appliance.addresses import is_valid_domain, normalize_domain

__all__ = [
    "SETTINGS", "Setting", "SettingError", "mask", "mask_values", "parse_setting",
    "unknown_setting",
]


class SettingError(ValueError):
    pass


@dataclass(frozen=True)
class Setting:
    key: str
    kind: type
    default: Any
    help: str
    check: Callable[[Any], Any] | None = None
    secret: bool = False


def _hostname(value: str) -> str:
    value = normalize_domain(value)
    if not is_valid_domain(value):
        raise SettingError(f"not a valid host name: {value!r}")
    return value


def _optional_hostname(value: str) -> str:
    return _hostname(value) if value else ""


def _choice(*options: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value.lower() not in options:
            raise SettingError(f"choose one of {', '.join(options)}, not {value!r}")
        return value.lower()

    check.choices = options  # type: ignore[attr-defined]  # for forms (settings.schema)
    return check


def _port(value: int) -> int:
    if not 0 < value < 65536:
        raise SettingError(f"port out of range: {value}")
    return value


def _positive(value: int) -> int:
    if value <= 0:
        raise SettingError(f"must be positive: {value}")
    return value


def _non_negative(value: int) -> int:
    if value < 0:
        raise SettingError(f"must not be negative: {value}")
    return value


def _nameservers(value: list[str]) -> list[str]:
    for item in value:
        host, _, port = item.rpartition(":") if item.count(":") == 1 else (item, "", "")
        try:
            ipaddress.ip_address(host or item)
        except ValueError as exc:
            raise SettingError(f"not an IP address: {item!r}") from exc
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise SettingError(f"bad port in {item!r}")
    return value


def _addresses(value: list[str]) -> list[str]:
    for item in value:
        try:
            ipaddress.ip_address(item)
        except ValueError as exc:
            raise SettingError(f"not an IP address: {item!r}") from exc
    return value


def _optional_ip(version: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not value:
            return ""
        try:
            ip = ipaddress.ip_address(value)
        except ValueError as exc:
            raise SettingError(f"not an IP address: {value!r}") from exc
        if ip.version != version:
            raise SettingError(f"not an IPv{version} address: {value!r}")
        return str(ip)

    return check


def _backup_folder(value: str) -> str:
    if value and not value.startswith(("/", "~")):
        raise SettingError(f"give the backup folder as an absolute path, not {value!r}")
    return value


def _clock_time(value: str) -> str:
    if not value:
        return ""
    hours, sep, minutes = value.partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2
            and int(hours) < 24 and int(minutes) < 60):
        raise SettingError(f"give a time of day as HH:MM, e.g. 02:30, not {value!r}")
    return f"{int(hours):02d}:{minutes}"


def _age_recipient(value: str) -> str:
    if value and not (value.startswith("age1") and len(value) > 50 and value.isalnum()):
        raise SettingError(f"not an age public key (age1...): {value!r}")
    return value


def _dnsbl_zones(value: list[str]) -> list[str]:
    # Each entry is a blocklist zone, optionally with the points a listing adds.
    out = []
    for item in value:
        zone, _, points = item.partition("=")
        zone = normalize_domain(zone)
        if not is_valid_domain(zone):
            raise SettingError(f"not a DNS blocklist zone: {item!r}")
        if points and not points.strip().lstrip("-").isdigit():
            raise SettingError(f"points must be a whole number in {item!r} (e.g. {zone}=5)")
        out.append(f"{zone}={int(points)}" if points else zone)
    return out


def _http_url(value: str) -> str:
    if value and not (value.startswith(("http://", "https://")) and len(value) > 8):
        raise SettingError(f"not an http:// or https:// URL: {value!r}")
    return value.rstrip("/")


def _clamd_address(value: str) -> str:
    # A Unix socket path (Debian's clamd) or HOST:PORT.
    if value.startswith("/"):
        return value
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingError(f"clamd is a socket path (/run/clamav/clamd.ctl) or HOST:PORT, "
                           f"not {value!r}")
    return value


def _extensions(value: list[str]) -> list[str]:
    out = []
    for item in value:
        ext = item.lower().lstrip("*").lstrip(".")
        if not ext or not all(c.isalnum() or c in "-_" for c in ext):
            raise SettingError(f"not a file name extension: {item!r}")
        out.append(ext)
    return out


def _url(value: str) -> str:
    if not value.startswith(("https://", "http://")) or " " in value:
        raise SettingError(f"not an http(s) URL: {value!r}")
    return value


def _optional_email(value: str) -> str:
    if value and (value.count("@") != 1 or not is_valid_domain(value.rpartition("@")[2])):
        raise SettingError(f"not an e-mail address: {value!r}")
    return value


_S = Setting
SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in [
        _S("hostname", str, "localhost.localdomain", "this server's host name (EHLO, Received:)",
           _hostname),
        _S("listen", list, ["0.0.0.0", "::"], "addresses every listener binds", _addresses),
        _S("smtp.enabled", bool, True, "SMTP (MX) listener on port 25"),
        _S("smtp.port", int, 25, "SMTP (MX) port", _port),
        _S("submission.enabled", bool, True, "submission listener (STARTTLS, AUTH required)"),
        _S("submission.port", int, 587, "submission port", _port),
        _S("smtps.enabled", bool, True, "SMTPS listener (implicit TLS, AUTH required)"),
        _S("smtps.port", int, 465, "SMTPS port", _port),
        _S("smtp.max_message_size", int, 26214400, "largest message accepted, bytes", _positive),
        _S("smtp.max_recipients", int, 100, "recipients per message", _positive),
        _S("smtp.timeout", int, 300, "seconds a client may stay idle", _positive),
        _S("smtp.max_errors", int, 20, "errors before a session is dropped", _positive),
        _S("smtp.max_connections", int, 200, "simultaneous SMTP sessions", _positive),
        _S("smtp.max_connections_per_ip", int, 50, "simultaneous sessions from one IP",
           _positive),
        _S("submission.sender_check", bool, True,
           "logged-in users may send only as their own addresses and granted ones"),
        _S("smtp.local_sender_check", bool, True,
           "refuse our own domains as sender from clients not logged in nor in a relay network"),
        _S("pop3.enabled", bool, True, "POP3 listener (STARTTLS, called STLS in POP3)"),
        _S("pop3.port", int, 110, "POP3 port", _port),
        _S("pop3s.enabled", bool, True, "POP3S listener (implicit TLS)"),
        _S("pop3s.port", int, 995, "POP3S port", _port),
        _S("imap.enabled", bool, True, "IMAP listener (STARTTLS)"),
        _S("imap.port", int, 143, "IMAP port", _port),
        _S("imaps.enabled", bool, True, "IMAPS listener (implicit TLS)"),
        _S("imaps.port", int, 993, "IMAPS port", _port),
        _S("managesieve.enabled", bool, True,
           "ManageSieve listener: mail programs edit their filters (STARTTLS, login required)"),
        _S("managesieve.port", int, 4190, "ManageSieve port", _port),
        _S("webmail.enabled", bool, False,
           "serve Roundcube webmail over HTTPS (mailroom webmail enable|disable)"),
        _S("webmail.port", int, 443, "webmail HTTPS port (at /webmail)", _port),
        _S("imap.max_connections", int, 500, "simultaneous IMAP sessions (IMAP and IMAPS)",
           _non_negative),
        _S("imap.max_connections_per_ip", int, 50, "simultaneous IMAP sessions from one IP",
           _non_negative),
        _S("pop3.max_connections", int, 200, "simultaneous POP3 sessions (POP3 and POP3S)",
           _non_negative),
        _S("pop3.max_connections_per_ip", int, 20, "simultaneous POP3 sessions from one IP",
           _non_negative),
        _S("auth.plaintext_from_loopback", bool, True,
           "allow POP3/IMAP password login without TLS from this machine"),
        _S("auth.max_failures", int, 10,
           "failed logins from one address (IPv6: one /64) in auth.failure_window before "
           "it is banned", _positive),
        _S("auth.failure_window", int, 600, "seconds failed logins are counted over",
           _positive),
        _S("auth.lockout_seconds", int, 900,
           "how long a first ban lasts, seconds; each repeat ban doubles it", _positive),
        _S("auth.ban_max_seconds", int, 86400, "the longest automatic ban, seconds",
           _positive),
        _S("auth.failure_delay_ms", int, 1000,
           "answer a failed login after this long, milliseconds (up to 5 times as long once "
           "an account has more recent failures than auth.max_failures)", _non_negative),
        _S("tls.cert", str, "", "PEM certificate chain (empty: tls/cert.pem)"),
        _S("tls.key", str, "", "PEM private key (empty: tls/key.pem)"),
        _S("acme.directory", str, "https://acme-v02.api.letsencrypt.org/directory",
           "ACME CA directory URL (Let's Encrypt; its staging URL for trials)", _url),
        _S("acme.email", str, "", "contact address given to the ACME CA (expiry notices)",
           _optional_email),
        _S("acme.http_port", int, 80, "port the HTTP-01 challenge is answered on, only "
           "while a challenge runs", _port),
        _S("acme.ca_file", str, "", "extra CA certificate file to trust for the ACME "
           "server's HTTPS (a private CA; empty: the system's)"),
        _S("acme.renew_before_days", int, 30, "renew an ACME certificate this many days "
           "before it expires (earlier when the CA's renewal info says so)", _positive),
        _S("acme.check_interval", int, 43200, "seconds between the daemon's renewal checks "
           "(0: never)", _non_negative),
        _S("doctor.probe_domain", str, "gmail.com", "doctor tries outbound port 25 to this "
           "domain's MX", _hostname),
        _S("queue.delivery_workers", int, 50, "messages handled at once", _positive),
        _S("queue.retry_base", int, 300, "first retry after, seconds", _positive),
        _S("queue.retry_cap", int, 3600, "longest retry interval, seconds", _positive),
        _S("queue.lifetime", int, 432000, "give up after, seconds (5 days)", _positive),
        _S("queue.delay_warning", int, 14400, "warn the sender after, seconds (0: never)",
           _non_negative),
        # Postfix's queue_minfree: room for a few messages of the largest size.
        _S("queue.minfree", int, 4 * 26214400,
           "refuse mail (452 at MAIL FROM) while the data directory has less free "
           "space, bytes (0: never)", _non_negative),
        _S("dns.nameservers", list, [], "DNS servers (IP or IP:PORT); empty: system resolver",
           _nameservers),
        _S("authcheck.enabled", bool, True,
           "check SPF, DKIM, DMARC and ARC of mail from outside (not logged in, not from a "
           "relay network) and add an Authentication-Results header"),
        _S("authcheck.dmarc_reject", str, "reject",
           "mail failing DMARC whose domain asks p=reject: reject (550), junk or off "
           "(p=quarantine always goes to junk unless off)", _choice("reject", "junk", "off")),
        _S("authcheck.spf_fail", str, "reject",
           "mail whose SPF says fail (-all) and DMARC does not pass: reject (550), junk or off",
           _choice("reject", "junk", "off")),
        _S("authcheck.own_domain", str, "reject",
           "mail from outside with one of our domains in From: failing SPF and DKIM: "
           "reject (550), junk or off", _choice("reject", "junk", "off")),
        _S("authcheck.dns_timeout", int, 5,
           "seconds to wait for each DNS answer in the inbound checks (no answer: 451)",
           _positive),
        _S("dns.timeout", int, 5, "seconds to wait for a DNS answer in the record checks",
           _positive),
        _S("dns.public_ipv4", str, "", "this server's public IPv4 address for the DNS records "
           "(empty: detected)", _optional_ip(4)),
        _S("dns.public_ipv6", str, "", "this server's public IPv6 address for the DNS records "
           "(empty: detected)", _optional_ip(6)),
        _S("dns.check_interval", int, 14400, "seconds between the daemon's checks of the "
           "published DNS records (0: never)", _non_negative),
        _S("dkim.enabled", bool, True, "DKIM-sign mail leaving for other domains"),
        _S("spam.enabled", bool, True,
           "score mail from outside (not logged in, not from a relay network) for spam: "
           "authentication results, DNS blocklists, GTUBE, HELO, reverse DNS, rspamd"),
        _S("spam.junk_score", int, 5,
           "from this score on mail gets X-Spam-Flag: YES (filed into Junk)", _positive),
        _S("spam.reject_score", int, 15,
           "from this score on mail is refused at the end of DATA (550 5.7.1)", _positive),
        _S("spam.dnsbl", list, ["zen.spamhaus.org"],
           "DNS blocklists asked about the client address, each ZONE or ZONE=POINTS "
           "(default 5 points)", _dnsbl_zones),
        _S("spam.rspamd_url", str, "",
           "rspamd's scanner, e.g. http://127.0.0.1:11333 (empty: built-in checks only)",
           _http_url),
        _S("spam.rspamd_controller_url", str, "http://127.0.0.1:11334",
           "rspamd's controller, taught spam and ham when mail is moved into or out of Junk",
           _http_url),
        _S("spam.rspamd_password", str, "", "rspamd controller password (empty: none)",
           secret=True),
        _S("spam.rspamd_timeout", int, 10, "seconds to wait for rspamd (no answer: its "
           "score is left out)", _positive),
        _S("virus.enabled", bool, False,
           "scan every message with ClamAV's clamd (needs clamav-daemon, 1-2 GB of memory)"),
        _S("virus.clamd", str, "/run/clamav/clamd.ctl",
           "where clamd listens: a Unix socket path or HOST:PORT", _clamd_address),
        _S("virus.on_error", str, "defer",
           "when clamd cannot be reached: defer (451, the sender retries) or accept",
           _choice("defer", "accept")),
        _S("virus.max_scan_size", int, 26214400,
           "larger messages are not scanned (a log line says so), bytes", _positive),
        _S("virus.timeout", int, 30, "seconds to wait for clamd", _positive),
        _S("virus.blocked_extensions", list,
           ["exe", "com", "scr", "bat", "cmd", "pif", "vbs", "vbe", "js", "jse", "wsf", "wsh",
            "msi", "msp", "ps1", "jar", "lnk", "hta", "cpl", "reg", "scf", "vb", "application",
            "gadget", "msc", "inf", "iso", "img"],
           "attachment types refused (554 5.7.1) by file name extension (empty: none)",
           _extensions),
        _S("delivery.remote_port", int, 25, "port remote delivery connects to (tests only)",
           _port),
        _S("delivery.max_connections", int, 50, "parallel outgoing SMTP connections", _positive),
        _S("delivery.max_per_destination", int, 10, "parallel connections to one domain",
           _positive),
        _S("delivery.connect_timeout", int, 30, "seconds to wait for a remote server",
           _positive),
        _S("delivery.worker_process", bool, True,
           "sign and send outside mail from a second process, so that receiving and "
           "sending use two cores (off: all in the daemon's one process)"),
        _S("smarthost.host", str, "", "send all outside mail through this relay (empty: MX)",
           _optional_hostname),
        _S("smarthost.port", int, 587, "smarthost port", _port),
        _S("smarthost.tls", str, "starttls", "smarthost TLS: starttls, implicit or none",
           _choice("starttls", "implicit", "none")),
        _S("smarthost.username", str, "", "smarthost AUTH user (empty: no AUTH)"),
        _S("smarthost.password", str, "", "smarthost AUTH password", secret=True),
        _S("smarthost.verify", bool, True, "check the smarthost's TLS certificate"),
        _S("log.max_bytes", int, 10 * 1024 * 1024, "rotate the log at this size", _positive),
        _S("log.keep", int, 5, "rotated logs kept", _positive),
        _S("backup.destination", str, "", "folder the backups are written to, e.g. a USB disk "
           "or a NAS mount (empty: backups/ in the data directory)", _backup_folder),
        _S("backup.time", str, "", "daily backup at this local time, HH:MM (empty: no "
           "scheduled backups)", _clock_time),
        _S("backup.keep_daily", int, 7, "daily backups kept", _positive),
        _S("backup.keep_weekly", int, 4, "weekly backups kept (the newest of each week)",
           _non_negative),
        _S("backup.recipient", str, "", "age public key the backups are encrypted to (age1...; "
           "empty: not encrypted); make one with: mailroom backup key", _age_recipient),
    ]
}


def unknown_setting(key: str) -> str:
    """The refusal of an unknown key, naming the closest known one (a typo, most likely)."""
    close = difflib.get_close_matches(key.lower(), SETTINGS, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else " (see: mailroom settings show)"
    return f"unknown setting {key!r}{hint}"


def parse_setting(key: str, raw: Any) -> Any:
    """Turn ``raw`` (a CLI string or a JSON value) into the setting's typed value."""
    spec = SETTINGS.get(key)
    if spec is None:
        raise SettingError(unknown_setting(key))
    value: Any
    if spec.kind is bool:
        if isinstance(raw, bool):
            value = raw
        elif str(raw).lower() in ("1", "true", "yes", "on"):
            value = True
        elif str(raw).lower() in ("0", "false", "no", "off"):
            value = False
        else:
            raise SettingError(f"{key} takes yes or no, not {raw!r}")
    elif spec.kind is int:
        if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
            raise SettingError(f"{key} takes a whole number")
        try:
            value = int(raw)
        except (TypeError, ValueError) as exc:
            raise SettingError(f"{key} takes a number, not {raw!r}") from exc
    elif spec.kind is list:
        if isinstance(raw, list):
            value = [str(v).strip() for v in raw if str(v).strip()]
        else:
            value = [v.strip() for v in str(raw).replace(" ", ",").split(",") if v.strip()]
    else:
        if not isinstance(raw, str):
            raise SettingError(f"{key} takes text")
        value = raw.strip()
    if spec.check is not None:
        value = spec.check(value)
    return value


def mask(key: str, value: Any) -> Any:
    """What may be shown of a setting: secrets never come back in full."""
    spec = SETTINGS.get(key)
    if spec is not None and spec.secret and value:
        return "********"
    return value


def mask_values(values: Any) -> Any:
    """``mask`` over a {key: value} mapping (settings.set_many's argument), for log lines."""
    if not isinstance(values, dict):
        return values
    return {k: mask(str(k), v) for k, v in values.items()}
