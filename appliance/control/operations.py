"""Every administrative operation, by name: the surface of the control API.

The daemon serves these over the control API; when no daemon runs, the
client calls them in-process on the same data directory. Either way the
caller gets the same JSON-able result or the same ``StateError``.
"""

from __future__ import annotations

import base64
import inspect
import re
import time
from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Protocol

from appliance.addresses import AddressError, parse_path
from appliance.aliases import parse_aliases
from appliance.auth.bans import (
    BANS_FILE,
    BanList,
    address_key,
    parse_duration,
    policy_from_settings,
)
from appliance.home import Home
from appliance.logs import tail
from appliance.queue.spool import Envelope, Spool, new_queue_id
from appliance.smtp.policy import in_networks
from appliance.state import ERROR_PREFIX, State, StateError
from appliance.state.settings import SETTINGS, mask
from appliance.stats import Stats, summarize
from appliance.store import Mailstore

__all__ = ["Operations", "DaemonHooks", "OPERATIONS"]


class DaemonHooks(Protocol):
    """What only a running daemon can do."""

    def status(self) -> dict[str, Any]: ...
    async def reload(self) -> dict[str, Any]: ...
    def queue_changed(self, qid: str | None, action: str) -> None: ...
    def state_changed(self) -> None: ...
    def set_paused(self, paused: bool) -> None: ...
    @property
    def stats(self) -> Stats: ...


OPERATIONS: dict[str, Callable[..., Any]] = {}
# Operations after which the daemon's cached lookups must be dropped.
_CHANGES_DIRECTORY = ("account.", "alias", "domain.", "forward.", "relay.", "settings.")


def op(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        OPERATIONS[name] = fn
        return fn

    return register


class Operations:
    def __init__(self, home: Home, state: State, daemon: DaemonHooks | None = None) -> None:
        self.home = home
        self.state = state
        self.daemon = daemon
        self._spool: Spool | None = None
        self._store: Mailstore | None = None

    @property
    def spool(self) -> Spool:
        if self._spool is None:
            self._spool = Spool(self.home.queue)
        return self._spool

    @property
    def store(self) -> Mailstore:
        if self._store is None:
            self._store = Mailstore(self.home.mail, self.state.get_setting("hostname"))
        return self._store

    def _need_daemon(self) -> DaemonHooks:
        if self.daemon is None:
            raise StateError("the Mailroom daemon is not running (start it with: mailroom serve)")
        return self.daemon

    def names(self) -> list[str]:
        return sorted(OPERATIONS)

    async def call(self, name: str, args: dict[str, Any]) -> Any:
        fn = OPERATIONS.get(name)
        if fn is None:
            raise StateError(f"unknown operation {name!r}")
        # Only the arguments are checked here: a TypeError from inside the
        # operation is a bug and must surface as one, not as "bad arguments".
        try:
            inspect.signature(fn).bind(self, **args)
        except TypeError as exc:
            raise StateError(f"bad arguments for {name}: {exc}") from exc
        result = fn(self, **args)
        if hasattr(result, "__await__"):
            result = await result
        if self.daemon is not None and name.startswith(_CHANGES_DIRECTORY):
            self.daemon.state_changed()
        return result

    # -- settings ---------------------------------------------------------

    @op("settings.show")
    def settings_show(self) -> list[dict[str, Any]]:
        values = self.state.settings()
        return [
            {"key": k, "value": mask(k, values[k]), "default": s.default, "help": s.help,
             "secret": s.secret}
            for k, s in SETTINGS.items()
        ]

    @op("settings.get")
    def settings_get(self, key: str) -> Any:
        return mask(key, self.state.get_setting(key))

    def _check_tls(self, changes: dict[str, Any]) -> None:
        """Refuse a certificate and key that do not load together, before storing either."""
        if not {"tls.cert", "tls.key"} & set(changes):
            return
        from appliance.tls import server_context

        def pick(name: str, default: str) -> Path:
            value = changes[name] if name in changes else self.state.get_setting(name)
            return Path(str(value).strip() or self.home.tls / default).expanduser()

        cert, key = pick("tls.cert", "cert.pem"), pick("tls.key", "key.pem")
        field = "tls.cert" if "tls.cert" in changes else "tls.key"
        try:
            server_context(cert, key)
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            raise StateError(
                f"certificate {cert} and key {key} do not work together: {exc} "
                "(to replace both, use: mailroom tls import CERT KEY)", field
            ) from exc

    # tls.show and tls.import live in appliance.control.tls_operations.

    @op("settings.set")
    async def settings_set(self, key: str, value: Any) -> Any:
        self._check_tls({key: value})
        stored = self.state.set_setting(key, value)
        if self.daemon is not None:
            # A running daemon applies the change at once; only listeners
            # whose address changed are restarted.
            await self.daemon.reload()
        return mask(key, stored)

    # -- domains ----------------------------------------------------------

    @op("domain.list")
    def domain_list(self) -> list[str]:
        """The real domains; ``domain.show`` lists their aliases too."""
        return self.state.domains()

    @op("domain.show")
    def domain_show(self) -> list[dict[str, Any]]:
        """Every name mail is received for: each domain, then its aliases."""
        aliases = self.state.domain_aliases()
        out: list[dict[str, Any]] = []
        for domain in self.state.domains():
            out.append({"name": domain, "alias_of": None})
            out += [{"name": a, "alias_of": domain} for a, t in aliases.items() if t == domain]
        return out

    @op("domain.add")
    def domain_add(self, name: str, alias_of: str | None = None) -> str:
        if alias_of:
            return self.state.add_domain_alias(name, alias_of)
        domain = self.state.add_domain(name)
        from appliance.control.dns_operations import dkim_show

        dkim_show(self, domain)  # its DKIM keys, made now
        return domain

    @op("domain.del")
    def domain_del(self, name: str) -> dict[str, Any]:
        return {"name": name.strip().lower(), "alias_of": self.state.delete_domain(name)}

    # -- accounts ---------------------------------------------------------

    @op("account.list")
    def account_list(self) -> list[dict[str, Any]]:
        out = []
        for acct in self.state.accounts():
            info = acct.public()
            used, count = self.store.usage(acct.address)
            info["used_bytes"] = used
            info["messages"] = count
            out.append(info)
        return out

    @op("mailbox.list")
    def mailbox_list(self, address: str) -> list[dict[str, Any]]:
        account = self.state.account(address.strip().lower())
        if account is None:
            raise StateError(f"no such account: {address}", "address")
        mailbox = self.store.account(account.address)
        out = []
        for folder in mailbox.folders():
            st = mailbox.status(folder)
            out.append({"folder": folder, "messages": st["MESSAGES"], "unseen": st["UNSEEN"],
                        "size": st["SIZE"]})
        return out

    @op("account.add")
    def account_add(self, address: str, password: str, quota_bytes: int = 0) -> str:
        addr = self.state.add_account(address, password, quota_bytes)
        self.store.ensure(addr)
        return addr

    @op("account.del")
    def account_del(self, address: str, delete_mail: bool = False) -> dict[str, Any]:
        """Delete the account; its Maildir stays on disk unless ``delete_mail``."""
        addr = address.strip().lower()
        self.state.delete_account(addr)
        removed = False
        if delete_mail:
            import shutil

            try:
                maildir = self.store.maildir(addr)
            except ValueError:
                maildir = None
            if maildir is not None and maildir.is_dir():
                # Renamed first: a mailbox half gone is never seen under its name.
                doomed = maildir.with_name(f".deleted-{maildir.name}-{int(time.time())}")
                maildir.rename(doomed)
                shutil.rmtree(doomed, ignore_errors=True)
                removed = True
        return {"address": addr, "mail_deleted": removed}

    @op("account.passwd")
    def account_passwd(self, address: str, password: str) -> None:
        self.state.set_password(address, password)

    @op("account.disable")
    def account_disable(self, address: str) -> None:
        self.state.set_enabled(address, False)

    @op("account.enable")
    def account_enable(self, address: str) -> None:
        self.state.set_enabled(address, True)

    @op("account.quota")
    def account_quota(self, address: str, quota_bytes: int) -> None:
        self.state.set_quota(address, quota_bytes)

    @op("account.senders.list")
    def account_senders_list(self, address: str) -> list[str]:
        if self.state.account(address.strip().lower()) is None:
            raise StateError(f"no such account: {address}", "address")
        return self.state.granted_senders(address)

    @op("account.senders.add")
    def account_senders_add(self, address: str, sender: str) -> str:
        return self.state.grant_sender(address, sender)

    @op("account.senders.del")
    def account_senders_del(self, address: str, sender: str) -> None:
        self.state.revoke_sender(address, sender)

    # -- aliases and forwards ---------------------------------------------

    @op("alias.list")
    def alias_list(self) -> dict[str, list[str]]:
        return self.state.aliases()

    @op("alias.add")
    def alias_add(self, address: str, targets: list[str]) -> str:
        return self.state.add_alias(address, targets)

    @op("alias.del")
    def alias_del(self, address: str, targets: list[str] | None = None) -> None:
        self.state.delete_alias(address, targets or [])

    @op("aliases.import")
    def aliases_import(
        self, text: str, domain: str | None = None, source: str = "aliases",
        include_dir: str | None = None,
    ) -> dict[str, Any]:
        return import_aliases(self.state, text, domain=domain, source=source,
                              include_dir=include_dir)

    @op("forward.set")
    def forward_set(self, address: str, targets: list[str], keep_copy: bool = False) -> None:
        self.state.set_forward(address, targets, keep_copy)

    @op("forward.clear")
    def forward_clear(self, address: str) -> None:
        self.state.clear_forward(address)

    # -- relay networks ---------------------------------------------------

    @op("relay.list")
    def relay_list(self) -> list[str]:
        return self.state.relay_networks()

    @op("relay.add")
    def relay_add(self, network: str) -> dict[str, Any]:
        """Store one entry; ``warnings`` (public network, NAT gateway) are for the user."""
        from appliance.control.setup import relay_gateway_warnings

        cidr = self.state.add_relay(network)
        warnings = relay_gateway_warnings(self.state.relay_networks(), only=[cidr])
        return {"network": cidr, "warnings": warnings}

    @op("relay.show")
    def relay_show(self, networks: list[str] | None = None) -> dict[str, Any]:
        """The stored entries, or ``networks`` (an editor's list) checked as ``relay.set`` would,
        with their warnings; nothing is stored."""
        from appliance.control.setup import check_networks, relay_gateway_warnings

        entries = self.state.relay_networks() if networks is None else check_networks(networks)
        return {"networks": entries, "warnings": relay_gateway_warnings(entries)}

    @op("relay.del")
    def relay_del(self, network: str) -> None:
        self.state.delete_relay(network)

    # -- queue ------------------------------------------------------------

    @op("queue.list")
    def queue_list(self) -> list[dict[str, Any]]:
        out = []
        for queue, env, status in self.spool.entries():
            if status is not None:
                rcpts = [
                    {"address": r.address, "state": r.state, "reply": r.reply}
                    for r in status.recipients
                    if r.state in ("queued", "deferred")
                ]
            else:
                rcpts = [{"address": a, "state": "queued", "reply": ""} for a in env.recipients]
            out.append({
                "id": env.id,
                "queue": queue,
                "size": env.size,
                "arrival": env.arrival,
                "sender": env.sender,
                "recipients": rcpts,
                "attempts": status.attempts if status else 0,
                "next_try": status.next_try if status else None,
            })
        return out

    def _locate(self, qid: str) -> tuple[str, Path]:
        found = self.spool.locate(qid)
        if found is None:
            raise StateError(f"no such queued message: {qid}", "id")
        return found

    @op("queue.show")
    def queue_show(self, id: str) -> dict[str, Any]:
        queue, path = self._locate(id)
        env, data = self.spool.read(path)
        entry = next((e for e in self.queue_list() if e["id"] == id), {})
        return {**entry, "message": data.decode("utf-8", "replace")}

    @op("queue.delete")
    def queue_delete(self, id: str) -> None:
        self._locate(id)
        self.spool.remove(id)
        if self.daemon:
            self.daemon.queue_changed(id, "delete")

    @op("queue.hold")
    def queue_hold(self, id: str) -> None:
        self._locate(id)
        self.spool.move(id, "hold")
        if self.daemon:
            self.daemon.queue_changed(id, "hold")

    @op("queue.release")
    def queue_release(self, id: str) -> None:
        queue, _ = self._locate(id)
        if queue != "hold":
            raise StateError(f"{id} is not on hold", "id")
        self.spool.move(id, "deferred")
        if self.daemon:
            self.daemon.queue_changed(id, "retry")

    @op("queue.retry")
    def queue_retry(self, id: str) -> None:
        queue, _ = self._locate(id)
        if queue == "hold":
            raise StateError(f"{id} is on hold; release it first", "id")
        self._need_daemon().queue_changed(id, "retry")

    @op("queue.flush")
    def queue_flush(self) -> None:
        self._need_daemon().queue_changed(None, "flush")

    @op("queue.bounce")
    def queue_bounce(self, id: str) -> None:
        self._locate(id)
        self._need_daemon().queue_changed(id, "bounce")

    @op("message.submit")
    def message_submit(self, sender: str, recipients: list[str], message: str) -> str:
        """Queue a message from a program on this machine (the sendmail command)."""
        try:
            data = base64.b64decode(message, validate=True)
        except ValueError as exc:
            raise StateError("message is not base64", "message") from exc
        checked = []
        for rcpt in recipients:
            try:
                addr = parse_path(rcpt if "@" in rcpt else f"{rcpt}@{self._first_domain()}")
            except AddressError as exc:
                raise StateError(f"bad recipient {rcpt!r}: {exc}", "recipients") from exc
            if addr is None or addr.has_relay_trick:
                raise StateError(f"bad recipient {rcpt!r}", "recipients")
            checked.append(f"{addr.local}@{addr.domain}")
        if sender:
            try:
                parsed = parse_path(sender)
            except AddressError as exc:
                raise StateError(f"bad sender {sender!r}: {exc}", "sender") from exc
            sender = f"{parsed.local}@{parsed.domain}" if parsed else ""
        qid = new_queue_id()
        hostname = self.state.get_setting("hostname")
        head_end = data.find(b"\r\n\r\n")
        head = data[: head_end if head_end >= 0 else len(data)]
        added = [
            f"Received: by {hostname} (Mailroom, from local program)\r\n"
            f"\tid {qid}; {format_datetime(datetime.now().astimezone())}\r\n".encode()
        ]
        if not re.search(rb"(?im)^message-id:", head):
            added.append(f"Message-ID: {make_msgid(domain=hostname)}\r\n".encode())
        if not re.search(rb"(?im)^date:", head):
            added.append(f"Date: {format_datetime(datetime.now().astimezone())}\r\n".encode())
        env = Envelope(id=qid, sender=sender, recipients=checked, arrival=time.time(),
                       client="local", origin="sendmail")
        self.spool.enqueue(env, [*added, data])
        if self.daemon:
            self.daemon.queue_changed(qid, "new")
        return qid

    def _first_domain(self) -> str:
        domains = self.state.domains()
        return domains[0] if domains else self.state.get_setting("hostname")

    @op("stats")
    def stats(self, by: str = "day", since: str = "") -> list[dict[str, Any]]:
        return summarize(self._stats().rows(since), by)

    def _stats(self) -> Stats:
        if self.daemon is not None:
            return self.daemon.stats
        return Stats(self.home.db)

    # -- daemon -----------------------------------------------------------

    @op("status")
    def status(self) -> dict[str, Any]:
        return self._need_daemon().status()

    @op("reload")
    async def reload(self) -> dict[str, Any]:
        return await self._need_daemon().reload()

    @op("service.pause")
    def service_pause(self, paused: bool = True) -> None:
        self._need_daemon().set_paused(paused)

    @op("logs.recent")
    def logs_recent(self, lines: int = 100) -> list[str]:
        return tail(self.home.log_file, lines)

    @op("logs.queue_id")
    def logs_queue_id(self, id: str, lines: int = 500) -> list[str]:
        """The log lines naming one queued message (the Queue page shows them beside it)."""
        from appliance.logs.search import lines_about

        try:
            return lines_about(self.home.log_file, id.strip().upper(), lines)
        except ValueError as exc:
            raise StateError(str(exc), "id") from exc

    @op("ping")
    def ping(self) -> dict[str, Any]:
        return {"time": time.time(), "daemon": self.daemon is not None}

    # -- bans of password guessers (appliance.auth.bans) -----------------

    def _bans(self) -> BanList:
        guard = getattr(self.daemon, "guard", None)
        if guard is not None:
            return guard.bans  # the daemon's own list: a change applies at once
        return BanList(self.home.root / BANS_FILE, policy_from_settings(self.state.settings()))

    @op("ban.list")
    def ban_list(self) -> list[dict[str, Any]]:
        return [b.as_dict() for b in self._bans().active()]

    @op("ban.add")
    def ban_add(self, address: str, duration: str | int | None = None,
                reason: str = "") -> dict[str, Any]:
        """Ban an address (IPv6: its /64) by hand; ``duration`` like 900, 15m, 2h, 1d."""
        try:
            key = address_key(address)
            seconds = None if duration in (None, "") else parse_duration(duration)
        except ValueError as exc:
            raise StateError(str(exc), "address") from exc
        relay = self.state.relay_networks()
        given = address.strip().strip("[]").split("/")[0]
        if in_networks(given, relay) or in_networks(key.split("/")[0], relay):
            raise StateError(f"{address} is in the relay networks, which are never banned "
                             "(see: mailroom relay list)", "address")
        reason = " ".join(reason.split())[:200] or "banned by hand"
        return self._bans().ban(key, reason, seconds).as_dict()

    @op("ban.del")
    def ban_del(self, address: str) -> None:
        try:
            lifted = self._bans().unban(address)
        except ValueError as exc:
            raise StateError(str(exc), "address") from exc
        if not lifted:
            raise StateError(f"{address} is not banned")

    @op("ban.failures")
    def ban_failures(self, limit: int = 50) -> list[dict[str, Any]]:
        """Recent failed logins, newest first (kept by the running daemon only)."""
        guard = getattr(self.daemon, "guard", None)
        return guard.recent_failures(limit) if guard is not None else []

    # -- for the desktop program (appended) -------------------------------

    @op("settings.set_many")
    async def settings_set_many(self, values: dict[str, Any]) -> dict[str, Any]:
        """Change several settings at once: all are checked first, or none is stored."""
        from appliance.state.settings import SettingError, parse_setting

        for key, raw in values.items():
            try:
                parse_setting(key, raw)
            except SettingError as exc:
                raise StateError(str(exc), key if key in SETTINGS else "key") from exc
        self._check_tls(values)
        stored = {key: mask(key, self.state.set_setting(key, raw))
                  for key, raw in values.items()}
        if self.daemon is not None and stored:
            await self.daemon.reload()
        return stored

    @op("relay.set")
    def relay_set(self, networks: list[str]) -> dict[str, Any]:
        """Make the relay entries exactly ``networks``: all are checked before any change."""
        from appliance.control.setup import relay_gateway_warnings

        stored = self.state.set_relay_networks(networks)
        return {"networks": stored, "warnings": relay_gateway_warnings(stored)}

    @op("domain.set")
    def domain_set(self, names: list[str], aliases: dict[str, str] | None = None) -> list[str]:
        """Make the domains exactly ``names`` (and, when given, the domain aliases exactly
        ``aliases``, {alias: domain}): all are checked before any change."""
        from appliance.addresses import is_valid_domain, normalize_domain

        wanted = []
        for name in names:
            domain = normalize_domain(name.strip())
            if not is_valid_domain(domain):
                raise StateError(f"not a valid domain name: {name!r}", "domain")
            if domain not in wanted:
                wanted.append(domain)
        if not wanted:
            raise StateError("keep at least one domain", "domain")
        current = self.state.domains()
        in_use = {a.domain for a in self.state.accounts()}
        for domain in current:
            if domain not in wanted and domain in in_use:
                raise StateError(f"domain {domain} still has accounts; delete them first",
                                 "domain")
        have = self.state.domain_aliases()
        want = have if aliases is None else {
            normalize_domain(a.strip()): normalize_domain(t.strip()) for a, t in aliases.items()}
        for alias, target in want.items():
            if not is_valid_domain(alias):
                raise StateError(f"not a valid domain name: {alias!r}", "domain")
            if alias in wanted:
                raise StateError(f"{alias} cannot be a domain and an alias at once", "domain")
            if target not in wanted:
                raise StateError(f"{alias} is an alias of {target}, which is not kept "
                                 f"as a domain", "domain")
        # Aliases go first and come last, so that a name can turn from one
        # kind into the other and a domain can go with its aliases.
        for alias, target in have.items():
            if want.get(alias) != target:
                self.state.delete_domain(alias)
        for domain in wanted:
            if domain not in current:
                self.state.add_domain(domain)
        for alias, target in want.items():
            if have.get(alias) != target:
                self.state.add_domain_alias(alias, target)
        for domain in current:
            if domain not in wanted:
                self.state.delete_domain(domain)
        return self.state.domains()

    @op("dns.show")
    def dns_records(self, address: str = "") -> dict[str, Any]:
        from appliance.control.dns_operations import dns_records as records
        from appliance.control.setup import dns_records, format_records

        if not address:
            return records(self)
        # An address given by the caller: the first-run wizard's simple list.
        names = self.state.domains() + list(self.state.domain_aliases())
        found = dns_records(self.state.get_setting("hostname"), names, address)
        return {"records": found, "text": format_records(found)}

    @op("network.show")
    def network_guess(self) -> dict[str, Any]:
        from appliance.control.setup import default_gateways, guess_networks

        return {"networks": guess_networks(), "gateways": default_gateways()}

    @op("status.dashboard")
    async def dashboard(self, check_dns: bool = True) -> dict[str, Any]:
        """Everything the GUI's first page shows, in one call."""
        import asyncio

        from appliance.control.setup import relay_gateway_warnings

        status = self.daemon.status() if self.daemon is not None else None
        since = time.strftime("%Y-%m-%d %H", time.localtime(time.time() - 23 * 3600))
        hourly = summarize(self._stats().rows(since), "hour")
        today = time.strftime("%Y-%m-%d")
        kinds = ("received", "delivered", "deferred", "bounced", "rejected")
        counters = dict.fromkeys(kinds, 0)
        hours: dict[str, dict[str, int]] = {}
        for row in hourly:
            slot = hours.setdefault(row["period"], dict.fromkeys(kinds, 0))
            for k in kinds:
                slot[k] += row[k]
                if row["period"].startswith(today):
                    counters[k] += row[k]
        queue = status["queue"] if status else {
            q: len(self.spool.ids(q)) for q in ("active", "deferred", "hold")}
        warnings = relay_gateway_warnings(self.state.relay_networks())
        warnings += self._certificate_warnings()
        domains = self.state.domains()
        if check_dns:
            loop = asyncio.get_running_loop()
            found = await loop.run_in_executor(None, self._mx_warnings, domains)
            warnings += found
        if status:
            for svc in status["services"]:
                if svc["state"] != "running":
                    warnings.append(svc["error"] or f"{svc['name']} is {svc['state']}")
            if status["paused"]:
                warnings.append("incoming mail is paused")
            warnings += status.get("warnings") or []  # e.g. a DNS record that stopped passing
            storage = status.get("storage") or {}
            if storage.get("low"):
                warnings.append(
                    f"disk space low: {storage['free'] // 1024} KiB free in the data directory, "
                    f"under the reserve of {storage['minfree'] // 1024} KiB (queue.minfree): "
                    "new mail is refused (452) until there is room")
        return {
            "daemon": status is not None,
            "status": status,
            "hostname": self.state.get_setting("hostname"),
            "domains": domains,
            "today": counters,
            "hours": [{"hour": h, **v} for h, v in sorted(hours.items())],
            "queue": queue,
            "queue_total": sum(queue.values()),
            "warnings": warnings,
        }

    def _certificate_warnings(self) -> list[str]:
        from appliance.control.tls_operations import certificate_warnings

        return certificate_warnings(self, renewal=False)  # status() carries those

    def _mx_warnings(self, domains: list[str]) -> list[str]:
        """One lookup per domain, remembered for 10 minutes; never slower than ~2 s."""
        import dns.exception
        import dns.resolver

        from appliance.dns.mx import parse_nameserver

        servers = self.state.get_setting("dns.nameservers")
        cache: dict[Any, tuple[float, str]] = self.__dict__.setdefault("_mx_cache", {})
        out = []
        for domain in domains:
            key = (domain, tuple(servers))
            hit = cache.get(key)
            if hit is None or time.time() - hit[0] > 600:
                resolver = dns.resolver.Resolver(configure=not servers)
                if servers:
                    parsed = [parse_nameserver(s) for s in servers]
                    resolver.nameservers = [h for h, _ in parsed]
                    resolver.port = parsed[0][1]
                resolver.lifetime = 1.5
                try:
                    resolver.resolve(domain, "MX")
                    verdict = ""
                except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
                    verdict = f"no MX record published for {domain}"
                except (dns.exception.DNSException, OSError, ValueError):
                    verdict = f"could not check the MX record of {domain} (DNS not answering)"
                hit = (time.time(), verdict)
                cache[key] = hit
            if hit[1]:
                out.append(hit[1])
        return out


def import_aliases(
    state: State, text: str, *, domain: str | None, source: str, include_dir: str | None
) -> dict[str, Any]:
    """Import /etc/aliases text: what cannot be imported is skipped with a warning."""
    domains = state.domains()
    if domain is None:
        if not domains:
            raise StateError("add a domain first", "domain")
        domain = domains[0]
    else:
        canonical = state.canonical_domain(domain)
        if canonical is None:
            raise StateError(f"{domain} is not one of this server's domains", "domain")
        domain = canonical  # names without a domain go where the alias leads

    def read_include(path: str) -> str:
        candidates = [Path(path)]
        if include_dir:
            candidates.insert(0, Path(include_dir) / Path(path).name)
        for candidate in candidates:
            if candidate.is_file():
                return candidate.read_text(encoding="utf-8", errors="replace")
        raise OSError(f"cannot read {path}")

    parsed = parse_aliases(text, source=source, read_include=read_include)
    warnings = list(parsed.warnings)

    def qualify(name: str) -> str:
        return name if "@" in name else f"{name}@{domain}"

    names = {qualify(e.name) for e in parsed.entries}
    entries: dict[str, list[str]] = {}
    for entry in parsed.entries:
        name = qualify(entry.name)
        where = f"{source}:{entry.line}"
        if state.account(name) is not None:
            warnings.append(f"{where}: {entry.name} is an account; alias skipped")
            continue
        targets = []
        for target in entry.targets:
            if target.kind == "error":
                targets.append(ERROR_PREFIX + target.value)
                continue
            addr = qualify(target.value)
            tdomain = addr.rpartition("@")[2]
            if (
                state.is_local_domain(tdomain)
                and addr not in names
                and state.account(addr) is None
                and state.alias_targets(addr) is None
            ):
                warnings.append(f"{where}: {target.value}: no such local account; skipped")
                continue
            targets.append(addr)
        if not targets:
            warnings.append(f"{where}: {entry.name}: nothing left to deliver to; alias skipped")
            continue
        entries[name] = targets
    # Names dropped above may be targets of others: drop those references too.
    for name, targets in entries.items():
        kept = [t for t in targets if t not in names or t in entries or state.account(t)]
        for t in set(targets) - set(kept):
            warnings.append(f"{source}: {name}: target {t} was skipped; removed")
        entries[name] = kept
    entries = {n: t for n, t in entries.items() if t}
    state.replace_aliases(entries)
    return {"imported": len(entries), "warnings": warnings, "domain": domain}


# dkim.* and dns.* live in their own module; importing it registers them.
from appliance.control import backup_operations as _backup_operations  # noqa: E402, F401
from appliance.control import dns_operations as _dns_operations  # noqa: E402, F401
from appliance.control import doctor_operations as _doctor_operations  # noqa: E402, F401
from appliance.control import filter_operations as _filter_operations  # noqa: E402, F401
from appliance.control import firewall_operations as _firewall_operations  # noqa: E402, F401
from appliance.control import import_operations as _import_operations  # noqa: E402, F401
from appliance.control import settings_schema as _settings_schema  # noqa: E402, F401
from appliance.control import setup_operations as _setup_operations  # noqa: E402, F401
from appliance.control import spam_operations as _spam_operations  # noqa: E402, F401
from appliance.control import tls_operations as _tls_operations  # noqa: E402, F401
from appliance.control import webmail_operations as _webmail_operations  # noqa: E402, F401
