"""The verdicts of ``doctor``: each turns facts already gathered into ok/warn/fail + a fix.

Pure functions (no network, no files), so each verdict is tested on its own;
``appliance.doctor.probes`` gathers the facts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = [
    "Finding", "Status", "backup_age", "certificate", "clock", "disk_space", "outbound",
    "queue_age", "reverse_dns",
]

Status = Literal["ok", "warn", "fail", "skip"]
DAY = 86400.0


@dataclass
class Finding:
    check: str
    status: Status
    summary: str
    fix: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _gb(size: float) -> str:
    return f"{size / 1024**3:.1f} GB" if size >= 1024**3 else f"{size / 1024**2:.0f} MB"


def _age(seconds: float) -> str:
    if seconds >= 2 * DAY:
        return f"{seconds / DAY:.0f} days"
    if seconds >= 7200:
        return f"{seconds / 3600:.0f} hours"
    return f"{max(seconds, 0) / 60:.0f} minutes"


def outbound(target: str, error: str | None, *, smarthost: str = "",
             lookup_error: str | None = None) -> Finding:
    """Can mail leave? ``target`` is what was tried (an MX, or the ISP relay)."""
    name = "outbound mail"
    if lookup_error:
        return Finding(name, "warn", f"could not find a mail server to try: {lookup_error}",
                       "check this box's DNS (settings dns.nameservers) and try again")
    if smarthost:
        if error is None:
            return Finding(name, "ok", f"outside mail goes through the ISP relay {target}, "
                                       "which answers")
        return Finding(name, "fail", f"the ISP relay {target} does not answer: {error}",
                       "check smarthost.host and smarthost.port with your ISP "
                       "(mailroom settings show)")
    if error is None:
        return Finding(name, "ok", f"outgoing port 25 is open (reached {target})")
    return Finding(
        name, "fail", f"cannot connect to {target}: {error}; the ISP probably blocks "
                      "outgoing port 25, so mail to other domains stays in the queue",
        "send outside mail through your ISP's relay: mailroom settings set smarthost.host "
        "SMTP.YOUR-ISP.EXAMPLE (and smarthost.username / smarthost.password)")


def reverse_dns(address: str | None, hostname: str, ptr_names: list[str] | None,
                forward: list[str] | None, *, error: str | None = None,
                detected: bool = False, private: str = "") -> Finding:
    """The PTR of the public address should name the host name, which points back to it."""
    name = "reverse DNS"
    if address is None:
        known = (f"this box's address {private} is private (behind NAT): the public one is "
                 "not known") if private else "this server's public address is not known"
        return Finding(name, "warn", known,
                       "mailroom settings set dns.public_ipv4 ADDRESS (your router's)")
    if error:
        return Finding(name, "warn", f"could not look up the PTR record of {address}: {error}",
                       "check this box's DNS (settings dns.nameservers) and try again")
    hint = " (detected; behind NAT set dns.public_ipv4)" if detected else ""
    names = [n.rstrip(".").lower() for n in ptr_names or []]
    if not names:
        return Finding(name, "fail", f"{address}{hint} has no PTR record: many receivers "
                                     "(Gmail, Outlook) refuse or junk mail from it",
                       f"ask whoever gives you {address} (your ISP) to set its PTR to "
                       f"{hostname}")
    if hostname.lower() not in names:
        return Finding(name, "fail", f"the PTR of {address}{hint} is {', '.join(names)}, not "
                                     f"{hostname}",
                       f"ask your ISP to set the PTR of {address} to {hostname}, or make "
                       f"{names[0]} the host name (mailroom settings set hostname)")
    if address not in (forward or []):
        return Finding(name, "warn", f"the PTR of {address} is {hostname}, but {hostname} "
                                     f"does not point back to {address}",
                       f"publish {hostname} A {address} (mailroom dns records)")
    return Finding(name, "ok", f"{address} and {hostname} point at each other")


def certificate(info: dict[str, Any] | None, hostname: str, *, error: str | None = None,
                managed: bool = False) -> Finding:
    name = "TLS certificate"
    if info is None:
        return Finding(name, "fail", f"cannot read the certificate: {error}",
                       "import one (mailroom tls import CERT KEY) or get one from Let's "
                       "Encrypt (mailroom tls acme issue)")
    days = info["days_left"]
    expiry = info["not_after"][:10]
    if info["expired"]:
        return Finding(name, "fail", f"the certificate expired on {expiry}: mail clients "
                                     "refuse to connect",
                       "renew it: mailroom tls acme renew" if managed else
                       "get a new one: mailroom tls acme issue (or tls import)")
    from appliance.tls.certificates import covers

    if not covers(info["names"], hostname):
        return Finding(name, "fail", f"the certificate is for {', '.join(info['names'])}, not "
                                     f"{hostname}", "mailroom tls acme issue")
    if days < (14 if managed else 30):
        return Finding(name, "warn" if days >= 7 else "fail",
                       f"the certificate expires in {days} days ({expiry})",
                       "mailroom tls acme renew" if managed else
                       "mailroom tls acme issue (then it renews itself)")
    if info["self_signed"]:
        return Finding(name, "warn", f"the certificate is self-signed (valid until {expiry}): "
                                     "mail clients warn, other servers cannot check it",
                       "get one from Let's Encrypt: mailroom tls acme issue")
    how = "renewed automatically" if managed else "renew it by hand"
    return Finding(name, "ok", f"valid until {expiry} ({days} days; {how})")


def disk_space(free: int, total: int, minfree: int) -> Finding:
    name = "disk space"
    summary = f"{_gb(free)} free of {_gb(total)} in the data directory"
    fix = "free some space, or move the data directory to a larger disk"
    if minfree and free < minfree:
        return Finding(name, "fail", f"{summary}: under the reserve queue.minfree "
                                     f"({_gb(minfree)}), new mail is refused", fix)
    if free < max(3 * minfree, total // 20):
        return Finding(name, "warn", f"{summary}: running low", fix)
    return Finding(name, "ok", summary)


def queue_age(oldest: float | None, now: float, count: int, delay_warning: int) -> Finding:
    """The oldest deferred message: mail that cannot leave piles up unseen."""
    name = "mail queue"
    if oldest is None:
        return Finding(name, "ok", "no message is waiting for a retry")
    age = now - oldest
    summary = (f"{count} deferred message{'s' if count != 1 else ''}, the oldest waiting "
               f"{_age(age)}")
    fix = "see why: mailroom mailq (then queue show ID); a blocked port 25 needs the ISP relay"
    if age > DAY:
        return Finding(name, "fail", summary, fix)
    if delay_warning and age > delay_warning:
        return Finding(name, "warn", summary, fix)
    return Finding(name, "ok", summary)


def backup_age(configured: bool | None, newest: float | None, now: float,
               destination: str = "") -> Finding:
    """``configured`` None: this build has no backups at all."""
    name = "backups"
    if configured is None:
        return Finding(name, "skip", "backups are not part of this version")
    if not configured:
        return Finding(name, "warn", "backups are not set up: one disk failure loses every "
                                     "mailbox", "mailroom settings set backup.destination "
                                                "/media/usb-disk (and backup.time 02:00)")
    if newest is None:
        return Finding(name, "warn", f"no backup in {destination} yet", "mailroom backup now")
    age = now - newest
    if age > 7 * DAY:
        return Finding(name, "fail", f"the newest backup is {_age(age)} old",
                       "mailroom backup now; check the schedule (backup.time) and the disk")
    if age > 2 * DAY:
        return Finding(name, "warn", f"the newest backup is {_age(age)} old",
                       "mailroom backup now; check the schedule (backup.time) and the disk")
    return Finding(name, "ok", f"the newest backup is {_age(age)} old")


def clock(source: str | None, synchronized: bool | None, offset: float | None = None) -> Finding:
    """Only what the machine's own time service says; without one: cannot check."""
    name = "clock"
    fix = "run a time service: apt install systemd-timesyncd (or chrony)"
    if source is None or synchronized is None:
        return Finding(name, "skip", "cannot check: neither timedatectl nor chrony answers "
                                     "on this machine", fix)
    if not synchronized:
        return Finding(name, "fail", f"{source}: the clock is not synchronized; wrong times "
                                     "break TLS, DKIM and logs", fix)
    if offset is not None and abs(offset) > 1.0:
        return Finding(name, "warn", f"{source}: the clock is {offset:+.1f} s off", fix)
    shown = f" ({offset * 1000:+.0f} ms)" if offset is not None else ""
    return Finding(name, "ok", f"synchronized ({source}){shown}")
